#!/bin/bash
# pg_cancel_backend stops a long training promptly; nothing is written.
. "$(dirname "$0")/common.inc"

q "CREATE TABLE big AS SELECT b.* FROM bc_train b, generate_series(1, 300)" >/dev/null
before=$(q "SELECT count(*) FROM mlsql.runs")
psql -qXAt -c "SET application_name = 'long_fit'" \
	-c "SELECT ml_train('slow', 'big', 'target', 'logistic', '{\"max_iter\": 1000000, \"tol\": 0}')" \
	>/dev/null 2>/tmp/cancel.err &
pid=$!
# wait until the training is running, then cancel it
for i in $(seq 1 100); do
	running=$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'long_fit' AND state = 'active'")
	[ "$running" = 1 ] && break
	sleep 0.1
done
sleep 2
start=$(date +%s.%N)
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_fit'" >/dev/null
wait $pid
end=$(date +%s.%N)
check cancel_reports_cancel "$(grep -c 'canceling statement due to user request' /tmp/cancel.err)" 1
check cancel_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 5) ? "yes" : "no" }')" yes
check cancel_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs")" "$before"
check backend_survives "$(q "SELECT 1")" 1
rm -f /tmp/cancel.err

# statement_timeout stops a threaded forest too, and nothing is written
start=$(date +%s.%N)
err=$(psql -qXAt -c "SET statement_timeout = '1s'" \
	-c "SELECT ml_train('slow_forest', 'big', 'target', 'forest', '{\"n_estimators\": 2000}')" 2>&1 >/dev/null)
end=$(date +%s.%N)
check timeout_stops_forest "$(echo "$err" | grep -c 'canceling statement due to statement timeout')" 1
check timeout_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 4) ? "yes" : "no (" b - a " s)" }')" yes
check timeout_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs")" "$before"

# statement_timeout stops a threaded gbdt within a round (interrupts are
# checked between nodes), and nothing is written
start=$(date +%s.%N)
err=$(psql -qXAt -c "SET statement_timeout = '1s'" -c "SET mlsql.threads = 2" \
	-c "SELECT ml_train('slow_gbdt', 'big', 'target', 'gbdt', '{\"n_trees\": 100000, \"max_depth\": 10}')" 2>&1 >/dev/null)
end=$(date +%s.%N)
check timeout_stops_gbdt "$(echo "$err" | grep -c 'canceling statement due to statement timeout')" 1
check gbdt_timeout_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 4) ? "yes" : "no (" b - a " s)" }')" yes
check gbdt_timeout_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs")" "$before"

# statement_timeout stops an ensemble whose members train on worker threads:
# a worker sees the cancel request, its task ends, and the calling thread
# raises the cancel; nothing is written
start=$(date +%s.%N)
err=$(psql -qXAt -c "SET statement_timeout = '1s'" -c "SET mlsql.threads = 2" \
	-c "SELECT ml_train('slow_vote', 'big', 'target', 'voting', '{\"estimators\": [{\"algorithm\": \"logistic\", \"max_iter\": 1000000, \"tol\": 0}, {\"algorithm\": \"forest\", \"n_estimators\": 2000}]}')" 2>&1 >/dev/null)
end=$(date +%s.%N)
check timeout_stops_voting "$(echo "$err" | grep -c 'canceling statement due to statement timeout')" 1
check voting_timeout_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 4) ? "yes" : "no (" b - a " s)" }')" yes
check voting_timeout_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs")" "$before"
check backend_survives_voting "$(q "SELECT 1")" 1
