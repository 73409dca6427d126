#!/bin/bash
# Benchmarks (not part of the test command): bash test/bench/run.sh [rows]
# Sets up like the test command, then reports:
#  - read: rows/s of ml_train with the baseline learner (read through the
#    cursor, column statistics, fingerprint, preprocessing, split; the
#    learner itself is trivial) against a plain SELECT count(*) over the same
#    table, as a ratio
#  - train: logistic and ridge on the same rows
#  - score: ml_predict over every row in one query
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ROWS=${1:-1000000}
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres
psql -qX -c "CREATE EXTENSION mlsql" >/dev/null
psql -qX -c "CREATE TABLE bench AS
  SELECT i AS id, (i % 1000)::float8 / 7 AS f1, (i * 7 % 1013)::float8 AS f2, (i * 13 % 997)::float8 AS f3,
         (i * 17 % 991)::float8 AS f4, (i * 19 % 983)::float8 AS f5, (i * 23 % 977)::float8 AS f6,
         (i * 29 % 971)::float8 AS f7, (i * 31 % 967)::float8 AS f8,
         (ARRAY['a', 'b', 'c', 'd', 'e'])[1 + i % 5] AS cat,
         ((i % 1000) + (i * 7 % 1013) > 1000)::int AS y
  FROM generate_series(1, $ROWS) i" >/dev/null
psql -qX -c "VACUUM ANALYZE bench" >/dev/null

timeit() {	# seconds a statement takes, best of 3
	local best=""
	for r in 1 2 3; do
		local t
		t=$(psql -qXAt -c "\\timing on" -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	awk -v t="$best" 'BEGIN { printf "%.3f", t / 1000 }'
}

count_s=$(timeit "SELECT count(*) FROM bench")
read_s=$(timeit "SELECT version FROM ml_train('bench_read', 'SELECT f1, f2, f3, f4, f5, f6, f7, f8, cat, y FROM bench', 'y', 'baseline', deploy => 'never')")
logit_s=$(timeit "SELECT version FROM ml_train('bench_logit', 'SELECT f1, f2, f3, f4, f5, f6, f7, f8, cat, y FROM bench', 'y', 'logistic', deploy => 'never')")
ridge_s=$(timeit "SELECT version FROM ml_train('bench_ridge', 'SELECT f1, f2, f3, f4, f5, f6, f7, f8, cat, f1 + f2 AS t FROM bench', 't', 'linear', '{\"alpha\": 1}', deploy => 'never')")
psql -qXAt -c "SELECT ml_deploy('bench_logit', 1)" >/dev/null
score_s=$(timeit "SELECT sum(ml_predict('bench_logit', b)) FROM bench b")
echo "rows: $ROWS, features: 8 numeric + 1 categorical (5 values)"
echo "count(*):               ${count_s} s  ($(awk -v n="$ROWS" -v t="$count_s" 'BEGIN { printf "%.0f", n / t }') rows/s)"
echo "ml_train baseline:      ${read_s} s  ($(awk -v n="$ROWS" -v t="$read_s" 'BEGIN { printf "%.0f", n / t }') rows/s, $(awk -v a="$read_s" -v b="$count_s" 'BEGIN { printf "%.1f", a / b }') x count(*))"
echo "ml_train logistic:      ${logit_s} s"
echo "ml_train ridge:         ${ridge_s} s"
echo "ml_predict, every row:  ${score_s} s  ($(awk -v n="$ROWS" -v t="$score_s" 'BEGIN { printf "%.0f", n / t }') rows/s)"
