#!/bin/bash
# The aggregate engine against the memory engine (not part of the test
# command):
#   bash test/bench/engine.sh [rows]        (default 10000000)
# Sets up like the test command and prints one table for logistic regression
# on a rows x 30 float8 table (a linear boundary with noise):
#  - the memory engine (serial), the aggregate engine with 0 and 2 parallel
#    workers: wall time, passes over the table, the backend's peak private
#    memory (RssAnon of its process, sampled every 0.1 s; parallel workers
#    are other processes) and the test accuracy
#  - with Citus installed: the same table distributed over a local
#    coordinator and two workers, the aggregate engine on it against the
#    single node
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ROWS=${1:-10000000}
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION mlsql" >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); rows: $ROWS"

COLS=$(seq -s, -f 'x%g' 1 30)
DEFS=$(seq -s, -f 'x%g float8' 1 30)
YS=$(for j in $(seq 1 30); do printf " + %d * x%d" $((j % 7 - 3)) "$j"; done)
make_table() {	# make_table: the rows x 30 table lg in the current database
	psql -qX -v ON_ERROR_STOP=1 -c "SELECT setseed(0.42)" \
		-c "CREATE TABLE lg (id bigint, $DEFS, y int) WITH (autovacuum_enabled = off)" \
		-c "INSERT INTO lg SELECT g, $COLS, ((0$YS) / 3 + random() - 0.5 > 0)::int FROM (SELECT g, $(seq -s, -f 'random() - 0.5 AS x%g' 1 30) FROM generate_series(1, $ROWS) g) s" \
		-c "VACUUM ANALYZE lg" >/dev/null
}
make_table

# run NAME SETTINGS PARAMS: one training in a session whose RssAnon is sampled
run() {
	local name=$1 settings=$2 params=$3 pid peak=0 kb t0 t1
	coproc S { psql -qXAt 2>&1; }
	echo "SELECT pg_backend_pid();" >&"${S[1]}"
	read -r pid <&"${S[0]}"
	echo "SET mlsql.max_memory = '16GB'; $settings SELECT count(*) FROM ml_train('$name', 'SELECT $COLS, y FROM lg', 'y', 'logistic', '$params', deploy => 'always'); SELECT 'done';" >&"${S[1]}"
	t0=$(date +%s.%N)
	while true; do
		kb=$(awk '/RssAnon/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
		[ "${kb:-0}" -gt "$peak" ] && peak=$kb
		if read -r -t 0.1 line <&"${S[0]}"; then
			[ "$line" = done ] && break
		fi
	done
	t1=$(date +%s.%N)
	echo "\\q" >&"${S[1]}"
	wait "$S_PID" 2>/dev/null || true
	printf '%s %.1f %d\n' "$name" "$(echo "$t1 - $t0" | bc)" $((peak / 1024))
}
metric() {	# metric PROJECT NAME
	psql -qXAt -c "SELECT trim_scale(round(me.value::numeric, 4)) FROM mlsql.metrics me JOIN mlsql.runs r ON r.id = me.run_id
		JOIN mlsql.projects p ON p.id = r.project_id WHERE p.name = '$1' AND me.name = '$2' AND me.step IS NULL
		ORDER BY me.split DESC LIMIT 1"
}

echo
echo "| logistic, $ROWS rows x 30 features | wall s | passes | peak backend RssAnon MB | test accuracy |"
echo "|---|---|---|---|---|"
read -r _ s m < <(run mem "SET max_parallel_workers_per_gather = 0;" '{}')
echo "| memory engine (serial) | $s | 1 read | $m | $(metric mem accuracy) |"
read -r _ s0 m0 < <(run agg0 "SET max_parallel_workers_per_gather = 0;" '{"engine": "aggregate"}')
echo "| aggregate engine, 0 workers | $s0 | $(metric agg0 passes) | $m0 | $(metric agg0 accuracy) |"
read -r _ s2 m2 < <(run agg2 "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET min_parallel_table_scan_size = 0;" '{"engine": "aggregate"}')
echo "| aggregate engine, 2 workers | $s2 | $(metric agg2 passes) | $m2 | $(metric agg2 accuracy) |"
echo
echo "aggregate / memory time: $(echo "scale=2; $s0 / $s" | bc); 2-worker speed-up: $(echo "scale=2; $s0 / $s2" | bc)"
psql -qXAt -c "SELECT 'same model, 0 vs 2 workers: largest probability difference ' || max(abs((ml_predict_proba('agg0', t))[2] - (ml_predict_proba('agg2', t))[2]))
	FROM (SELECT * FROM lg LIMIT 100000) t"
psql -qXAt -c "SELECT 'aggregate vs memory engine (its default stratified split, L-BFGS to tol 1e-5): largest probability difference ' || max(abs((ml_predict_proba('agg0', t))[2] - (ml_predict_proba('mem', t))[2]))
	FROM (SELECT * FROM lg LIMIT 100000) t"

if [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ]; then
	stop_pg
	trap - EXIT
	. test/citus_cluster.inc
	export PGOPTIONS="-c client_min_messages=warning"
	make_table
	psql -qX -c "CREATE TABLE lgd (LIKE lg)" -c "SELECT create_distributed_table('lgd', 'id')" -c "INSERT INTO lgd SELECT * FROM lg" -c "VACUUM ANALYZE lgd" >/dev/null
	t0=$(date +%s.%N)
	psql -qXAt -c "SET max_parallel_workers_per_gather = 0" -c "SELECT count(*) FROM ml_train('c1', 'SELECT $COLS, y FROM lg', 'y', 'logistic', '{\"engine\": \"aggregate\"}')" >/dev/null
	t1=$(date +%s.%N)
	psql -qXAt -c "SELECT count(*) FROM ml_train('c2', 'SELECT $COLS, y FROM lgd', 'y', 'logistic', '{\"engine\": \"aggregate\"}')" >/dev/null
	t2=$(date +%s.%N)
	echo
	echo "| Citus, logistic, aggregate engine | wall s |"
	echo "|---|---|"
	printf '| one node (the coordinator, a local table, 0 workers) | %.1f |\n' "$(echo "$t1 - $t0" | bc)"
	printf '| distributed over 2 workers (32 shards) | %.1f |\n' "$(echo "$t2 - $t1" | bc)"
	psql -qXAt -c "SELECT 'same model, local vs distributed: largest probability difference ' || max(abs((ml_predict_proba('c1', t))[2] - (ml_predict_proba('c2', t))[2]))
		FROM (SELECT * FROM lg LIMIT 100000) t"
else
	echo
	echo "Citus is not installed: no distributed run (README.md, Developing mlsql, says how to build it)"
fi
