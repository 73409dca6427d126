#!/bin/bash
# gbdt benchmark against XGBoost 1.7 hist (not part of the test command):
#   [REPEAT=3] [THREADS="1 2"] bash test/bench/gbdt.sh [higgs|fashion|all]
# Sets up like the test command (plus python3-xgboost, python3-sklearn and
# dataset-fashion-mnist), loads the seeded HIGGS-shaped data (800k training and
# 200k test rows x 28 float4 features, binary; 100 rounds of depth 8, learning
# rate 0.1) and / or Fashion-MNIST (60k / 10k images, smallint[784], 10
# classes; 50 rounds of depth 6, learning rate 0.3), 255 bins, and trains both
# sides with the same settings on 1 and 2 threads.  One table: wall seconds
# (mlsql: the whole ml_train statement, reading the table and scoring the test
# rows included; XGBoost: fit on in-memory numpy arrays, DMatrix built inside),
# time ratio, test AUC / accuracy, peak RSS (mlsql: the backend's VmHWM;
# XGBoost: the Python process's ru_maxrss, data included).
# Then scoring on one core (higgs): ml_predict of 100 trees of depth 6 over the
# 200k test rows against XGBoost's inplace_predict, and a logistic model over
# all 1M rows against count(t.*) (medians of five).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
WHICH=${1:-all}
REPEAT=${REPEAT:-1}	# runs of each side per row; the table shows the medians
THREADS=${THREADS:-1 2}	# thread counts, one row each
DEPS="$DEPS python3-xgboost python3-sklearn dataset-fashion-mnist"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION mlsql" >/dev/null
PY=/usr/bin/python3
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

load() {	# load NAME: the table NAME (part, label, features)
	local csv
	csv=$(mktemp /tmp/mlsql-gbdt.XXXXXX.csv)
	$PY test/bench/gbdt.py "$1" "$csv"
	chmod 644 "$csv"
	if [ "$1" = higgs ]; then
		cols=$(seq -s, -f 'f%g real' 1 28)
		psql -qX -c "CREATE TABLE higgs (part text, label int, $cols)" >/dev/null
	else
		psql -qX -c "CREATE TABLE fashion (part text, label int, pixels smallint[])" >/dev/null
	fi
	psql -qX -c "\\copy $1 FROM '$csv' WITH (FORMAT csv)" >/dev/null
	rm -f "$csv"
	psql -qX -c "VACUUM ANALYZE $1" >/dev/null
}

settings() {	# the benchmark's gbdt settings for DATA, as in gbdt.py
	if [ "$1" = higgs ]; then
		echo '"n_trees": 100, "max_depth": 8, "learning_rate": 0.1, "max_bins": 255'
	else
		echo '"n_trees": 50, "max_depth": 6, "learning_rate": 0.3, "max_bins": 255'
	fi
}

mlsql_run() {	# mlsql_run DATA THREADS METRIC: "seconds score peak_mib"
	local out
	out=$(psql -qXAt -F' ' -c "SET mlsql.threads = $2" -c "\\timing on" \
		-c "SELECT round((metrics->>'$3')::numeric, 4) FROM ml_train('bench_$1_$2', '$1', 'label', 'gbdt',
		      '{\"split\": \"column\", \"split_column\": \"part\", $(settings "$1")}', deploy => 'never')" \
		-c "\\timing off" \
		-c "SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\\s+(\\d+)'))[1]::bigint / 1024")
	# lines: score, "Time: N ms (...)", peak
	echo "$out" | awk '/^Time:/ { t = $2 / 1000; next } NF { v[++n] = $1 } END { printf "%.2f %s %s\n", t, v[1], v[2] }'
}

median() {	# median of the lines on stdin, by their first field
	sort -n -k1,1 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

table_row() {	# table_row DATA THREADS METRIC: REPEAT runs of each side, alternating; medians by time
	local m x ms="" xs=""
	for r in $(seq "$REPEAT"); do
		ms="$ms$(mlsql_run "$1" "$2" "$3")"$'\n'
		xs="$xs$($PY test/bench/gbdt.py xgb "$1" "$2")"$'\n'
	done
	[ "$REPEAT" -gt 1 ] && echo "  $1, $2 threads: mlsql runs: $(echo "$ms" | awk 'NF {printf "%s s  ", $1}')XGBoost runs: $(echo "$xs" | awk 'NF {printf "%s s  ", $1}')" >&2
	m=$(echo "$ms" | grep . | median)
	x=$(echo "$xs" | grep . | median)
	set -- "$1" "$2" "$3" $m $x
	# $4 mlsql s, $5 score, $6 MiB; $7 xgb s, $8 score, $9 MiB
	printf "| %s | %s | %s s | %s s | %.2fx | %s %s | %s | %s MiB | %s MiB |\n" \
		"$1" "$2" "$4" "$7" "$(echo "$4 / $7" | bc -l)" "$3" "$5" "$8" "$6" "$9"
}

echo
echo "| data | threads | mlsql | XGBoost | ratio | mlsql score | XGBoost score | mlsql peak | XGBoost peak |"
echo "|---|---|---|---|---|---|---|---|---|"
if [ "$WHICH" = higgs ] || [ "$WHICH" = all ]; then
	load higgs
	for t in $THREADS; do table_row higgs "$t" roc_auc; done
fi
if [ "$WHICH" = fashion ] || [ "$WHICH" = all ]; then
	load fashion
	for t in $THREADS; do table_row fashion "$t" accuracy; done
fi

timed() {	# timed SQL: the median seconds of five runs on one core
	for r in 1 2 3 4 5; do
		psql -qXAt -c "SET max_parallel_workers_per_gather = 0" -c "\\timing on" -c "$1" |
			awk '/^Time:/ { print $2 / 1000 }'
	done | sort -n | sed -n 3p
}

if [ "$WHICH" = higgs ] || [ "$WHICH" = all ]; then
	psql -qX -c "CREATE TABLE higgs_test AS SELECT * FROM higgs WHERE part = 'test'" \
		-c "VACUUM ANALYZE higgs_test" \
		-c "SELECT 1 FROM ml_train('bench_score', 'higgs', 'label', 'gbdt',
			'{\"split\": \"column\", \"split_column\": \"part\", \"n_trees\": 100, \"max_depth\": 6, \"max_bins\": 255}')" \
		-c "SELECT 1 FROM ml_train('bench_linear', 'higgs', 'label', 'logistic',
			'{\"split\": \"column\", \"split_column\": \"part\"}')" >/dev/null
	gb=$(timed "SELECT count(*) FROM higgs_test h WHERE ml_predict('bench_score', h) = 1")
	gba=$(timed "SELECT count(*) FROM higgs_test h WHERE ml_predict('bench_score', ARRAY[$(seq -s, -f 'f%g' 1 28)]) = 1")
	xs=$($PY test/bench/gbdt.py score)
	cnt=$(timed "SELECT count(t.*) FROM higgs t")
	lin=$(timed "SELECT count(*) FROM higgs t WHERE ml_predict('bench_linear', t) = 1")
	echo
	echo "| scoring, one core | mlsql | reference | ratio | goal |"
	echo "|---|---|---|---|---|"
	printf "| gbdt, 100 trees of depth 6, 200 000 rows: \`ml_predict('p', h)\` vs XGBoost \`inplace_predict\` | %s s | %s s | %.2fx | <= 1.0x |\n" \
		"$gb" "$xs" "$(echo "$gb / $xs" | bc -l)"
	printf "| the same, \`ml_predict('p', ARRAY[f1, ..., f28])\` | %s s | %s s | %.2fx | <= 1.0x |\n" \
		"$gba" "$xs" "$(echo "$gba / $xs" | bc -l)"
	printf "| logistic, 1 000 000 rows: \`ml_predict('p', t)\` vs \`count(t.*)\` | %s s | %s s | %.2fx | <= 1.2x |\n" \
		"$lin" "$cnt" "$(echo "$lin / $cnt" | bc -l)"
fi
