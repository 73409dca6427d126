#!/bin/bash
# Fashion-MNIST benchmark (not part of the test command): 10 000 training and
# 2 000 test images from Debian's dataset-fashion-mnist as a float4[784]
# column, trained in mlsql and in scikit-learn with the same settings.
#   bash test/bench/fashion.sh
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
DEPS="$DEPS dataset-fashion-mnist python3-sklearn"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres
csv=$(mktemp /tmp/fashion.XXXXXX.csv)
/usr/bin/python3 test/bench/fashion_mnist.py "$csv" | tee /tmp/fashion_sklearn.txt
chmod 644 "$csv"
psql -qX -c "CREATE EXTENSION mlsql" -c "CREATE TABLE fashion (id int, part text, label int, pixels float4[])" \
	-c "\\copy fashion FROM '$csv' WITH (FORMAT csv)" >/dev/null
rm -f "$csv"
for spec in "logistic|{}" "knn|{}" "forest|{\"n_estimators\": 20}" "mlp|{\"epochs\": 20}"; do
	algo=${spec%%|*}
	params=${spec#*|}
	psql -qXAt -c "\\timing on" -c "SELECT 'mlsql   ' || rpad('$algo', 9) || ' accuracy ' || round((metrics->>'accuracy')::numeric, 4)
		FROM ml_train('fashion_$algo', 'SELECT pixels, label, part FROM fashion', 'label', '$algo',
		              '{\"split\": \"column\", \"split_column\": \"part\"}'::jsonb || '$params'::jsonb, deploy => 'never')" 2>/dev/null |
		grep -v '^$' | tr '\n' ' '
	echo
done
