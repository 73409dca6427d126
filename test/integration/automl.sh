#!/bin/bash
# ml_automl keeps its budget (plus a small margin), reports progress while
# it runs, and pg_cancel_backend stops it promptly with nothing written.
. "$(dirname "$0")/common.inc"
plan 9

# trials on 22,760 rows take up to a second or so: the budget binds
q "CREATE TABLE big AS SELECT b.* FROM bc_train b, generate_series(1, 40)" >/dev/null
before=$(q "SELECT count(*) FROM mlsql.runs")

# a 15 s budget ends within 15 s + 3 s (the stated margin), reporting progress
start=$(date +%s.%N)
psql -qXAt -c "SET application_name = 'automl_budget'" -c "SET mlsql.progress = 1" -c "SET mlsql.threads = 1" \
	-c "SELECT algorithm, deployed FROM ml_automl('am_budget', 'big', 'target', '15 seconds')" \
	>/tmp/automl_budget.out 2>/tmp/automl_budget.err &
pid=$!
seen=""
for i in $(seq 1 200); do
	seen=$(q "SELECT query FROM pg_stat_activity WHERE application_name = 'automl_budget' AND query LIKE 'mlsql progress: ml_automl:%'")
	[ -n "$seen" ] && break
	sleep 0.1
done
wait $pid
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "# 15 s budget: finished in $elapsed s; $(grep -m1 'ml_automl: [0-9]* trials' /tmp/automl_budget.err | sed 's/^NOTICE:  //')"
check budget_kept "$(awk -v e="$elapsed" 'BEGIN { print (e < 15 + 3) ? "yes" : "no (" e " s)" }')" yes
check budget_deploys "$(cut -d'|' -f2 /tmp/automl_budget.out)" t
check budget_refits_one "$(q "SELECT count(*) FROM mlsql.automl_leaderboard WHERE project = 'am_budget' AND refit")" 1
check progress_notice "$(grep -c 'NOTICE:  mlsql progress: ml_automl: [a-z]* trial [0-9]*' /tmp/automl_budget.err | awk '{print ($1 >= 1) ? "yes" : "no"}')" yes
check progress_in_pg_stat_activity "$(echo "$seen" | grep -c '^mlsql progress: ml_automl: ')" 1

# a cancel 3 s into a 5 minute budget stops it promptly; nothing is written
before=$(q "SELECT count(*) FROM mlsql.runs")
psql -qXAt -c "SET application_name = 'automl_cancel'" \
	-c "SELECT * FROM ml_automl('am_cancel', 'big', 'target', '5 minutes')" \
	-c "SELECT 'alive after cancel'" >/tmp/automl_cancel.out 2>/tmp/automl_cancel.err &
pid=$!
for i in $(seq 1 600); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'automl_cancel' AND state = 'active' AND now() - query_start > interval '3 s'")" = 1 ] && break
	sleep 0.1
done
start=$(date +%s.%N)
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'automl_cancel'" >/dev/null
wait $pid
end=$(date +%s.%N)
echo "# canceled after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
check cancel_reports_cancel "$(grep -c 'canceling statement due to user request' /tmp/automl_cancel.err)" 1
check cancel_is_prompt "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 3) ? "yes" : "no (" b - a " s)" }')" yes
check cancel_writes_nothing "$(q "SELECT count(*) FROM mlsql.runs") $(q "SELECT count(*) FROM mlsql.projects WHERE name = 'am_cancel'")" "$before 0"
check cancel_backend_survives "$(cat /tmp/automl_cancel.out)" "alive after cancel"
rm -f /tmp/automl_budget.out /tmp/automl_budget.err /tmp/automl_cancel.out /tmp/automl_cancel.err
