#!/bin/bash
# What the partitions engine costs in accuracy (not part of the test
# command):
#   bash test/bench/partitions.sh [images]        (default 10000)
# Sets up like the test command and prints one table: the test accuracy (r2
# for diabetes) of the memory engine and of {"engine": "partitions"} with 2,
# 4 and 8 partitions, on the same random split (seed 42, test_size 0.25), for
# the bundled datasets and the first [images] Fashion-MNIST training images
# (784 pixel columns; Debian's dataset-fashion-mnist).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
N=${1:-10000}
DEPS="$DEPS dataset-fashion-mnist"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION mlsql" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -f test/data/load.sql >/dev/null
D=/usr/share/datasets/fashion-mnist
paste -d, \
	<(zcat "$D/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$N" | od -An -v -tu1 -w1 | tr -d ' ') \
	<(zcat "$D/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $((N * 784)) |
		od -An -v -tu1 -w784 | sed -E 's/^ +//; s/ +/,/g; s/.*/"{&}"/') |
	psql -qX -v ON_ERROR_STOP=1 -c "CREATE TABLE fashion (label int, pixels smallint[])" \
		-c "\\copy fashion FROM STDIN WITH (FORMAT csv)" >/dev/null
PIX=$(for j in $(seq 1 784); do printf '%spixels[%d]::float8 / 255 AS p%d' "$([ "$j" = 1 ] || echo ', ')" "$j" "$j"; done)
psql -qX -c "CREATE TABLE fashion_cols AS SELECT label, $PIX FROM fashion" >/dev/null
DPIX=$(for j in $(seq 1 64); do printf '%spixels[%d] AS p%d' "$([ "$j" = 1 ] || echo ', ')" "$j" "$j"; done)
psql -qX -c "CREATE TABLE digits_cols AS SELECT digit, $DPIX FROM digits" >/dev/null
echo "machine: $(nproc) cores; Fashion-MNIST images: $N"

# acc SOURCE TARGET ALGORITHM PARAMS ENGINE-PARAMS: the key test metric
acc() {
	psql -qXAt -c "SELECT round(coalesce((metrics->>'accuracy')::numeric, (metrics->>'r2')::numeric), 4)
		FROM ml_train('b_' || md5(random()::text), '$1', '$2', '$3', '$4'::jsonb || '$5'::jsonb, deploy => 'never')"
}
echo
echo "| data | learner | memory engine | partitions 2 | partitions 4 | partitions 8 |"
echo "|---|---|---|---|---|---|"
while IFS='|' read -r data src target alg params; do
	row="| $data | $alg $params | $(acc "$src" "$target" "$alg" "$params" '{"split": "random"}')"
	for p in 2 4 8; do
		row="$row | $(acc "$src" "$target" "$alg" "$params" "{\"engine\": \"partitions\", \"partitions\": $p}" 2>&1 | tail -1)"
	done
	echo "$row |"
done <<'EOF'
breast cancer|bc_train|target|logistic|{}
breast cancer|bc_train|target|tree|{"max_depth": 5}
breast cancer|bc_train|target|forest|{"n_estimators": 100}
breast cancer|bc_train|target|gbdt|{"n_trees": 100}
wine|wine_train|cultivar|forest|{"n_estimators": 100}
iris|iris_train|species|knn|{}
diabetes (r2)|diabetes_train|target|gbdt|{"n_trees": 100, "learning_rate": 0.05}
digits|digits_cols|digit|logistic|{}
fashion-mnist|fashion_cols|label|logistic|{"max_iter": 200}
fashion-mnist|fashion_cols|label|forest|{"n_estimators": 100}
fashion-mnist|fashion_cols|label|gbdt|{"n_trees": 100}
EOF
