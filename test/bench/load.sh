#!/bin/bash
# Load and concurrency (not part of the test command):  bash test/bench/load.sh
# Sets up like the test command and runs pgbench:
#  1. 8 clients score single rows with ml_predict for 20 s while another
#     session retrains and redeploys the same project in a loop; a
#     prediction that is not a valid label fails its transaction, so the
#     failure count is the number of predictions that did not come from a
#     complete model
#  2. 4 clients train the same project concurrently, 5 trainings each
# and prints throughput and latency percentiles (from pgbench's per
# transaction log), and the versions the concurrent trainings got.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION mlsql" -f test/data/load.sql >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
psql -qXAt -c "SELECT count(*) FROM ml_train('load', 'bc_train', 'target', 'logistic')" >/dev/null
LOG=$(mktemp -d /tmp/mlsql-load.XXXXXX)
chmod 777 "$LOG"

pct() {	# pct DIR PREFIX: p50 / p99 / max latency in ms of pgbench's logs
	cat "$1"/"$2"* | awk '{print $3 / 1000}' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f / %.2f / %.2f", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR] }'
}

cat >"$LOG/score.sql" <<'SQL'
\set id random(1, 569)
SELECT CASE WHEN ml_predict('load', b) IN (0, 1) THEN 1 ELSE 1 / (b.id - b.id) END FROM bc b WHERE id = :id;
SQL
# the redeployer: new versions of two algorithms, deployed as they come
(end=$((SECONDS + 20)); n=0
 while [ $SECONDS -lt $end ]; do
	alg=$([ $((n % 2)) = 0 ] && echo tree || echo logistic)
	psql -qXAt -c "SELECT count(*) FROM ml_train('load', 'bc_train', 'target', '$alg', deploy => 'always')" >/dev/null
	n=$((n + 1))
 done; echo "$n" >"$LOG/redeploys") &
pgbench -n -c 8 -j 2 -T 20 -f "$LOG/score.sql" -l --log-prefix="$LOG/score" >"$LOG/score.out" 2>&1 || true
wait
echo
echo "Scoring during redeploys: 8 clients, 20 s, $(cat "$LOG/redeploys") retrain + deploy cycles meanwhile"
grep -E "^number of (transactions actually processed|failed transactions)|^tps" "$LOG/score.out" | sed 's/^/  /'
echo "  latency p50 / p99 / max (ms): $(pct "$LOG" score)"

cat >"$LOG/train.sql" <<'SQL'
SELECT count(*) FROM ml_train('conc', 'bc_train', 'target', 'logistic', deploy => 'always');
SQL
pgbench -n -c 4 -j 2 -t 5 -f "$LOG/train.sql" -l --log-prefix="$LOG/train" >"$LOG/train.out" 2>&1 || true
echo
echo "Concurrent trainings of one project: 4 clients x 5"
grep -E "^number of (transactions actually processed|failed transactions)|^tps" "$LOG/train.out" | sed 's/^/  /'
echo "  latency p50 / p99 / max (ms): $(pct "$LOG" train)"
echo "  versions: $(psql -qXAt -c "SELECT count(*) || ' models, versions ' || min(version) || '..' || max(version) || ', distinct: ' || count(DISTINCT version) FROM mlsql.models m JOIN mlsql.projects p ON p.id = m.project_id WHERE p.name = 'conc'")"
rm -rf "$LOG"
