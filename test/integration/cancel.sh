#!/bin/bash
# pg_cancel_backend stops a long training promptly; nothing is written.
. "$(dirname "$0")/common.inc"
plan 24

q "CREATE TABLE big AS SELECT b.* FROM bc_train b, generate_series(1, 300)" >/dev/null
before=$(q "SELECT count(*) FROM mlsql.runs")
# the same session runs one more statement after the cancel: its backend survived
psql -qXAt -c "SET application_name = 'long_fit'" \
	-c "SELECT ml_train('slow', 'big', 'target', 'logistic', '{\"max_iter\": 1000000, \"tol\": 0}')" \
	-c "SELECT 'alive after cancel'" >/tmp/cancel.out 2>/tmp/cancel.err &
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
check backend_survives "$(cat /tmp/cancel.out)" "alive after cancel"
rm -f /tmp/cancel.err /tmp/cancel.out

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
	-c "SELECT ml_train('slow_vote', 'big', 'target', 'voting', '{\"estimators\": [{\"algorithm\": \"logistic\", \"max_iter\": 1000000, \"tol\": 0}, {\"algorithm\": \"forest\", \"n_estimators\": 2000}]}')" \
	-c "SELECT 'alive after timeout'" 2>&1)
end=$(date +%s.%N)
check timeout_stops_voting "$(echo "$err" | grep -c 'canceling statement due to statement timeout')" 1
check voting_timeout_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 4) ? "yes" : "no (" b - a " s)" }')" yes
check voting_timeout_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs")" "$before"
check backend_survives_voting "$(echo "$err" | grep -c '^alive after timeout$')" 1

# statement_timeout stops every long operation, including its worker
# threads; the time past the timeout is the cancellation latency (reported;
# the check allows 3 s so a loaded machine does not fail it)
q "CREATE TABLE bigx AS SELECT b.* FROM bc_train b, generate_series(1, 300)" >/dev/null
q "SELECT count(*) FROM ml_train('cancel_scorer', 'bc_train', 'target', 'gbdt', '{\"n_trees\": 100}')" >/dev/null
latency() {	# latency NAME SQL: run SQL under a 1 s statement_timeout
	local start end err
	start=$(date +%s.%N)
	err=$(psql -qXAt -c "SET statement_timeout = '1s'" -c "SET mlsql.threads = 2" -c "$2" 2>&1 >/dev/null)
	end=$(date +%s.%N)
	local lat
	lat=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a - 1 }')
	echo "# cancel latency $1: $lat s"
	check "cancel_$1" "$(echo "$err" | grep -c 'canceling statement due to statement timeout')/$(awk -v l="$lat" 'BEGIN { print (l < 3) ? "prompt" : "slow" }')" "1/prompt"
}
latency logistic "SELECT ml_train('c1', 'bigx', 'target', 'logistic', '{\"max_iter\": 100000, \"tol\": 0}')"
latency mlp "SELECT ml_train('c2', 'bigx', 'target', 'mlp', '{\"epochs\": 100000, \"tol\": 0}')"
latency svm "SELECT ml_train('c3', 'bigx', 'target', 'svm', '{\"max_iter\": 100000, \"tol\": 1e-12}')"
latency kmeans "SELECT ml_train('c4', 'SELECT mean_radius, mean_texture, worst_area FROM bigx', NULL, 'kmeans', '{\"k\": 50, \"n_init\": 100, \"tol\": 0}')"
latency stacking "SELECT ml_train('c5', 'bigx', 'target', 'stacking', '{\"estimators\": [{\"algorithm\": \"forest\", \"n_estimators\": 500}, {\"algorithm\": \"logistic\"}], \"folds\": 5}')"
latency bagging "SELECT ml_train('c6', 'bigx', 'target', 'bagging', '{\"base\": {\"algorithm\": \"gbdt\", \"n_trees\": 500}, \"n_estimators\": 20}')"
latency search "SELECT * FROM ml_search('c7', 'bigx', 'target', 'gbdt', '{\"max_depth\": [6, 8]}', trials => 20, params => '{\"n_trees\": 1000}')"
latency ml_fit "SELECT ml_fit('forest', target, ARRAY[mean_radius, mean_texture, worst_area], '{\"n_estimators\": 5000}') FROM bigx"
latency predict_scan "SELECT count(ml_predict('cancel_scorer', b)) FROM bigx b, generate_series(1, 100)"
check cancel_latency_writes_nothing "$(q "SELECT count(*) FROM mlsql.projects WHERE name ~ '^c[0-9]$'")" 0
