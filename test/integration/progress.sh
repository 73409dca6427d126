#!/bin/bash
# Long trainings report progress every mlsql.progress seconds: a NOTICE,
# and the backend's query text in pg_stat_activity that another session
# reads while the training runs; mlsql.progress = 0 silences them.
. "$(dirname "$0")/common.inc"
plan 3

q "CREATE TABLE bigp AS SELECT b.* FROM bc_train b, generate_series(1, 60)" >/dev/null
psql -qXAt -c "SET application_name = 'long_progress'" -c "SET mlsql.progress = 1" -c "SET mlsql.threads = 1" \
	-c "SELECT count(*) FROM ml_train('prog', 'bigp', 'target', 'gbdt', '{\"n_trees\": 3000, \"max_depth\": 8, \"learning_rate\": 0.01}', deploy => 'never')" \
	>/dev/null 2>/tmp/progress.err &
pid=$!
seen=""
for i in $(seq 1 300); do
	seen=$(q "SELECT query FROM pg_stat_activity WHERE application_name = 'long_progress' AND query LIKE 'mlsql progress:%'")
	[ -n "$seen" ] && break
	sleep 0.1
done
echo "# pg_stat_activity: $seen"
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_progress'" >/dev/null
wait $pid
echo "# $(grep -m1 'NOTICE:  mlsql progress' /tmp/progress.err)"
check progress_notice "$(grep -c 'NOTICE:  mlsql progress: ml_train: round [0-9]* of 3000, [a-z_]* [0-9.e-]*, [0-9]* s elapsed, about [0-9]* s left' /tmp/progress.err | awk '{print ($1 >= 1) ? "yes" : "no"}')" yes
check progress_in_pg_stat_activity "$(echo "$seen" | grep -c '^mlsql progress: ml_train: round')" 1
# mlsql.progress = 0 silences a fit that runs well past the interval: the
# same long fit, canceled once it has run 3 s (whatever the machine's speed),
# says nothing, neither as a NOTICE nor in pg_stat_activity
psql -qXAt -c "SET application_name = 'silent_progress'" -c "SET mlsql.progress = 0" -c "SET mlsql.threads = 1" \
	-c "SELECT count(*) FROM ml_train('prog0', 'bigp', 'target', 'gbdt', '{\"n_trees\": 20000, \"max_depth\": 8, \"learning_rate\": 0.001}', deploy => 'never')" \
	>/dev/null 2>/tmp/progress0.err &
pid=$!
ran=no; shown=0
for i in $(seq 1 600); do
	shown=$((shown + $(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'silent_progress' AND query LIKE 'mlsql progress:%'")))
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'silent_progress' AND state = 'active' AND now() - query_start > interval '3 s'")" = 1 ] && { ran=yes; break; }
	sleep 0.1
done
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'silent_progress'" >/dev/null
wait $pid
canceled=$(grep -c 'canceling statement due to user request' /tmp/progress0.err)
echo "# silent fit ran 3 s: $ran, canceled: $canceled, progress rows seen: $shown"
check progress_silenced "$ran $canceled $shown $(grep -c 'mlsql progress' /tmp/progress0.err)" "yes 1 0 0"
rm -f /tmp/progress.err /tmp/progress0.err
