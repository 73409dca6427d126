#!/bin/bash
# Training as an aggregate and scoring at scan speed, against the Python way
# (not part of the test command):
#   bash test/bench/aggregate.sh [rows]        (default 10000000)
# Sets up like the test command plus python3-psycopg2, python3-numpy and
# python3-sklearn, and prints one table:
#  - least squares over a rows x 30 float8 table: SELECT sum() of every
#    column (the scan floor), ml_fit('linear') serial and with 2 parallel
#    workers, NumPy normal equations and scikit-learn LinearRegression on
#    the same data pulled with psycopg2 (pull time reported apart); the
#    largest coefficient difference from NumPy's lstsq
#  - scoring 1M rows: SELECT of the rows alone, ml_predict of a linear model,
#    ml_predict of gbdt (100 trees, depth 6)
#  - end to end at 1M rows: psycopg2 pull + scikit-learn fit + predictions
#    written back with COPY (into a new table), against ml_train + UPDATE ...
#    SET score = ml_predict, and against ml_train + CREATE TABLE AS (the same
#    output as the Python side's)
#  - point queries: pgbench (2 clients, 10 s) of an index lookup with and
#    without ml_predict in the select list
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ROWS=${1:-10000000}
DEPS="$DEPS python3-psycopg2 python3-numpy python3-sklearn bc"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
PY=/usr/bin/python3
psql -qX -c "CREATE EXTENSION mlsql" >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); rows: $ROWS"

COLS=$(seq -s, -f 'x%g' 1 30)
DEFS=$(seq -s, -f 'x%g float8' 1 30)
SUMS=$(seq -s, -f 'sum(x%g)' 1 30)
YSUM=$(for j in $(seq 1 30); do printf " + %d * x%d" "$j" "$j"; done)
psql -qX -v ON_ERROR_STOP=1 -c "SELECT setseed(0.42)" \
	-c "CREATE TABLE lsq (id bigint, $DEFS, y float8) WITH (autovacuum_enabled = off)" \
	-c "INSERT INTO lsq SELECT g, $COLS, 1$YSUM + random() FROM (SELECT g, $(seq -s, -f 'random() AS x%g' 1 30) FROM generate_series(1, $ROWS) g) s" \
	-c "VACUUM ANALYZE lsq" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -c "CREATE TABLE t1m AS SELECT * FROM lsq WHERE id <= 1000000" \
	-c "ALTER TABLE t1m ADD PRIMARY KEY (id)" -c "VACUUM ANALYZE t1m" >/dev/null

best_of() {	# best_of N SQL...: the best wall seconds of N runs of the statements
	local n=$1 best=999999 t0 t1 s
	shift
	for _ in $(seq "$n"); do
		t0=$(date +%s.%N)
		psql -qXAt -v ON_ERROR_STOP=1 "$@" >/dev/null
		t1=$(date +%s.%N)
		s=$(echo "$t1 - $t0" | bc -l)
		best=$(echo "if ($s < $best) $s else $best" | bc -l)
	done
	printf "%.2f" "$best"
}
SERIAL=(-c "SET max_parallel_workers_per_gather = 0")
PAR=(-c "SET max_parallel_workers_per_gather = 2" -c "SET parallel_setup_cost = 0" -c "SET parallel_tuple_cost = 0" -c "SET min_parallel_table_scan_size = 0" -c "SET parallel_leader_participation = off")
FIT="SELECT length(ml_fit('linear', y, ARRAY[$COLS])) FROM lsq"

scan_s=$(best_of 3 "${SERIAL[@]}" -c "SELECT $SUMS, sum(y) FROM lsq")
fit_s=$(best_of 3 "${SERIAL[@]}" -c "$FIT")
scan_p=$(best_of 3 "${PAR[@]}" -c "SELECT $SUMS, sum(y) FROM lsq")
fit_p=$(best_of 3 "${PAR[@]}" -c "$FIT")
# coefficients of the aggregate-trained model: ml_predict at 0 and at each unit vector
COEF=$(psql -qXAt "${PAR[@]}" -c "WITH m AS (SELECT ml_fit('linear', y, ARRAY[$COLS]) AS b FROM lsq)
        SELECT string_agg(v::text, ' ' ORDER BY j) FROM m, LATERAL (
          SELECT 0 AS j, ml_predict(m.b, array_fill(0::float8, ARRAY[30])) AS v
          UNION ALL
          SELECT j, ml_predict(m.b, (SELECT array_agg(CASE WHEN i = j THEN 1 ELSE 0 END::float8 ORDER BY i)
                                    FROM generate_series(1, 30) i)) - ml_predict(m.b, array_fill(0::float8, ARRAY[30]))
          FROM generate_series(1, 30) j) c")
PYOUT=$($PY - "$COEF" <<'EOF'
import os, sys, time
import numpy as np, psycopg2
from sklearn.linear_model import LinearRegression
mlsql = np.array([float(v) for v in sys.argv[1].split()])
con = psycopg2.connect("")
cur = con.cursor()
t0 = time.time()
cur.execute("SELECT " + ",".join("x%d" % j for j in range(1, 31)) + ", y FROM lsq")
D = np.array(cur.fetchall(), dtype=np.float64)
pull = time.time() - t0
X = np.hstack([np.ones((D.shape[0], 1)), D[:, :30]])
y = D[:, 30]
t0 = time.time()
beta = np.linalg.solve(X.T @ X, X.T @ y)
neq = time.time() - t0
t0 = time.time()
LinearRegression().fit(D[:, :30], y)
skl = time.time() - t0
ref = np.linalg.lstsq(X, y, rcond=None)[0]
print("%.2f %.2f %.2f %.3g %.3g" % (pull, neq, skl, np.max(np.abs(mlsql - ref)), np.max(np.abs(beta - ref))))
EOF
)
read -r pull neq skl diff ndiff <<<"$PYOUT"

# scoring 1M rows
psql -qX -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM ml_train('b_lin', 't1m', 'y', 'linear', features => '{$COLS}', deploy => 'always')" \
	-c "SELECT count(*) FROM ml_train('b_gbdt', 'SELECT * FROM t1m WHERE id <= 200000', 'y', 'gbdt', '{\"n_trees\": 100, \"max_depth\": 6}', features => '{$COLS}', deploy => 'always')" >/dev/null
sel_s=$(best_of 3 "${SERIAL[@]}" -c "SELECT count(t.*) FROM t1m t")
lin_s=$(best_of 3 "${SERIAL[@]}" -c "SELECT count(ml_predict('b_lin', t)) FROM t1m t")
gb_s=$(best_of 3 "${SERIAL[@]}" -c "SELECT count(ml_predict('b_gbdt', t)) FROM t1m t")

# end to end at 1M rows
e2e_py=$($PY - <<'EOF'
import io, time
import numpy as np, psycopg2
from sklearn.linear_model import LinearRegression
con = psycopg2.connect("")
cur = con.cursor()
t0 = time.time()
cur.execute("SELECT id, " + ",".join("x%d" % j for j in range(1, 31)) + ", y FROM t1m")
D = np.array(cur.fetchall(), dtype=np.float64)
m = LinearRegression().fit(D[:, 1:31], D[:, 31])
pred = m.predict(D[:, 1:31])
cur.execute("CREATE TEMP TABLE scores (id bigint, score float8)")
buf = io.StringIO()
for i, p in zip(D[:, 0].astype(np.int64), pred):
    buf.write("%d\t%r\n" % (i, p))
buf.seek(0)
cur.copy_expert("COPY scores FROM STDIN", buf)
con.commit()
print("%.2f" % (time.time() - t0))
EOF
)
# before the UPDATE, which leaves a dead version of every row
# the same output as the Python side's: a new table of (id, score)
e2e_ctas=$(best_of 1 -c "SELECT count(*) FROM ml_train('b_e2e2', 't1m', 'y', 'linear', features => '{$COLS}', deploy => 'always')" \
	-c "CREATE TEMP TABLE scores AS SELECT id, ml_predict('b_e2e2', t) AS score FROM t1m t")
e2e_sql=$(best_of 1 -c "ALTER TABLE t1m ADD COLUMN IF NOT EXISTS score float8" \
	-c "SELECT count(*) FROM ml_train('b_e2e', 't1m', 'y', 'linear', features => '{$COLS}', deploy => 'always')" \
	-c "UPDATE t1m t SET score = ml_predict('b_e2e', t)")

# point queries
echo "\\set id random(1, 1000000)
SELECT x1 FROM t1m WHERE id = :id;" >/tmp/mlsql-point.sql
echo "\\set id random(1, 1000000)
SELECT x1, ml_predict('b_lin', t) FROM t1m t WHERE id = :id;" >/tmp/mlsql-point-ml.sql
tps_plain=$(pgbench -n -c 2 -j 2 -T 10 -f /tmp/mlsql-point.sql 2>/dev/null | awk '/^tps/ {print $3; exit}')
tps_ml=$(pgbench -n -c 2 -j 2 -T 10 -f /tmp/mlsql-point-ml.sql 2>/dev/null | awk '/^tps/ {print $3; exit}')

echo
printf "| measurement | seconds | ratio |\n|---|---|---|\n"
printf "| \`SELECT sum()\` of 31 columns, 1 process (scan floor) | %s | 1.00 |\n" "$scan_s"
printf "| \`ml_fit('linear')\`, 1 process | %s | %.2f x floor |\n" "$fit_s" "$(echo "$fit_s / $scan_s" | bc -l)"
printf "| \`SELECT sum()\`, 2 parallel workers | %s | |\n" "$scan_p"
printf "| \`ml_fit('linear')\`, 2 parallel workers | %s | %.2f x speed-up |\n" "$fit_p" "$(echo "$fit_s / $fit_p" | bc -l)"
printf "| psycopg2 pull of the table | %s | |\n" "$pull"
printf "| NumPy normal equations (after the pull) | %s | |\n" "$neq"
printf "| scikit-learn LinearRegression (after the pull) | %s | |\n" "$skl"
printf "| largest coefficient difference, ml_fit vs NumPy lstsq | %s | (NumPy's normal equations: %s) |\n" "$diff" "$ndiff"
printf "| 1M rows: \`SELECT count(t.*)\` | %s | 1.00 |\n" "$sel_s"
printf "| 1M rows: \`ml_predict\` linear | %s | %.2f x; %.0f rows/s |\n" "$lin_s" "$(echo "$lin_s / $sel_s" | bc -l)" "$(echo "1000000 / $lin_s" | bc -l)"
printf "| 1M rows: \`ml_predict\` gbdt 100 trees depth 6 | %s | %.0f rows/s |\n" "$gb_s" "$(echo "1000000 / $gb_s" | bc -l)"
printf "| end to end 1M rows: psycopg2 + scikit-learn + COPY back | %s | |\n" "$e2e_py"
printf "| end to end 1M rows: \`ml_train\` + \`UPDATE ... ml_predict\` | %s | %.2f x faster |\n" "$e2e_sql" "$(echo "$e2e_py / $e2e_sql" | bc -l)"
printf "| end to end 1M rows: \`ml_train\` + \`CREATE TABLE scores AS SELECT id, ml_predict\` | %s | %.2f x faster |\n" "$e2e_ctas" "$(echo "$e2e_py / $e2e_ctas" | bc -l)"
printf "| point query tps, plain / with \`ml_predict\` | %s / %s | %.2f |\n" "$tps_plain" "$tps_ml" "$(echo "$tps_ml / $tps_plain" | bc -l)"
