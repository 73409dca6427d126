#!/bin/bash
# ml_train's read path against a serial scan (not part of the test command):
#   [REPEAT=5] [THREADS="1 2"] [ROWS=800000] bash test/bench/read.sh
#   READ_HERE=1 bash test/bench/read.sh   (the server in PGHOST / PGPORT, with
#                                          mlsql installed: no build, no apt)
# Sets up like the test command, makes a seeded ROWS x 28 real table plus an
# int label (random() after setseed), VACUUM ANALYZE, then times, REPEAT
# times each (alternating), the serial scan floor
#   SET max_parallel_workers_per_gather = 0; SELECT sum(f1), ..., sum(f28)
# and ml_train(..., 'baseline', deploy => 'never') with mlsql.threads = 1 and
# 2: reading the table, the data version's statistics, the row hashes of the
# split and the fingerprint, the pipeline and the catalog writes (the
# baseline's fit itself is O(n)).  One markdown table of the medians and
# their ratio to the scan.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
REPEAT=${REPEAT:-5}
THREADS=${THREADS:-1 2}
ROWS=${ROWS:-800000}
if [ -z "${READ_HERE:-}" ]; then
	DEPS="$DEPS bc"
	install_deps
	build_install
	start_pg
	export PGDATABASE=postgres
fi
cd "$ROOT"
export PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION IF NOT EXISTS mlsql" >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); rows: $ROWS"

DEFS=$(seq -s, -f 'f%g real' 1 28)
SUMS=$(seq -s, -f 'sum(f%g)' 1 28)
GEN=$(seq -s, -f 'random()::real AS f%g' 1 28)
psql -qX -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS bench_read" -c "SELECT setseed(0.21)" \
	-c "CREATE TABLE bench_read ($DEFS, label int) WITH (autovacuum_enabled = off)" \
	-c "INSERT INTO bench_read SELECT *, (f1 + f2 + random() > 1.5)::int
	      FROM (SELECT $GEN FROM generate_series(1, $ROWS)) s" \
	-c "VACUUM ANALYZE bench_read" >/dev/null
# warm the buffers
psql -qX -c "SELECT count(*) FROM bench_read" >/dev/null

seconds() {	# seconds SQL...: wall time of the last statement
	psql -qXAt "$@" -c "\\timing on" -c "$LAST" | awk '/^Time:/ { t = $2 / 1000 } END { printf "%.3f\n", t }'
}
scan() {
	LAST="SELECT $SUMS FROM bench_read"
	seconds -c "SET max_parallel_workers_per_gather = 0"
}
train() {	# train THREADS
	LAST="SELECT 1 FROM ml_train('bench_read', 'bench_read', 'label', 'baseline', deploy => 'never')"
	seconds -c "SET mlsql.threads = $1"
}
median() {
	sort -n | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

scans=""
declare -A runs
for r in $(seq "$REPEAT"); do
	scans="$scans$(scan)"$'\n'
	for t in $THREADS; do
		runs[$t]="${runs[$t]:-}$(train "$t")"$'\n'
	done
done
s=$(echo "$scans" | grep . | median)
echo "  scan runs: $(echo "$scans" | xargs)" >&2
echo
echo "| work | seconds | ratio to the scan |"
echo "|---|---|---|"
printf "| serial SELECT sum() of the 28 columns | %s s | 1.00x |\n" "$s"
for t in $THREADS; do
	echo "  ml_train $t threads runs: $(echo "${runs[$t]}" | xargs)" >&2
	m=$(echo "${runs[$t]}" | grep . | median)
	printf "| ml_train baseline, mlsql.threads = %s | %s s | %.2fx |\n" "$t" "$m" "$(echo "$m / $s" | bc -l)"
done
