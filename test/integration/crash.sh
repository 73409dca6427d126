#!/bin/bash
# kill -9 of a backend in the middle of a training: the server recovers,
# the catalog is as it was (no half model), its sequences still run ahead of
# their tables, and the next training works.
. "$(dirname "$0")/common.inc"
plan 6

counts() {
	q "SELECT (SELECT count(*) FROM mlsql.projects) || '/' || (SELECT count(*) FROM mlsql.runs) || '/' ||
	          (SELECT count(*) FROM mlsql.models) || '/' || (SELECT count(*) FROM mlsql.metrics) || '/' ||
	          (SELECT count(*) FROM mlsql.experiments) || '/' || (SELECT count(*) FROM mlsql.datasets)"
}
q "SELECT count(*) FROM ml_train('crash', 'bc_train', 'target', 'logistic')" >/dev/null
q "CREATE TABLE bigc AS SELECT b.* FROM bc_train b, generate_series(1, 60)" >/dev/null
before=$(counts)
psql -qXAt -c "SET application_name = 'doomed'" -c "SET mlsql.threads = 1" \
	-c "SELECT count(*) FROM ml_train('crash', 'bigc', 'target', 'gbdt', '{\"n_trees\": 5000, \"learning_rate\": 0.01}')" \
	>/dev/null 2>/tmp/crash.err &
for i in $(seq 1 100); do
	bpid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'doomed' AND state = 'active'")
	[ -n "$bpid" ] && break
	sleep 0.1
done
sleep 1
killed=$(kill -9 "$bpid" 2>&1 && echo killed)
wait
# the training's own session lost its server process
check crash_killed_mid_training "$killed/$(grep -c 'server closed the connection unexpectedly' /tmp/crash.err)" "killed/1"
rm -f /tmp/crash.err
# crash recovery restarts every backend; wait until the server takes connections again
for i in $(seq 1 300); do
	psql -qXAt -c "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done
check crash_server_recovers "$(q "SELECT 1")" 1
check crash_catalog_unchanged "$(counts)" "$before"
check crash_sequences_ahead "$(q "SELECT (SELECT last_value FROM mlsql.runs_id_seq) >= (SELECT max(id) FROM mlsql.runs)
                                    AND (SELECT last_value FROM mlsql.models_id_seq) >= (SELECT max(id) FROM mlsql.models)")" t
check crash_next_training_works "$(q "SELECT version FROM ml_train('crash', 'bc_train', 'target', 'logistic')")" 2
check crash_old_model_scores "$(q "SELECT ml_predict('crash@1', b) IN (0, 1) FROM bc_train b LIMIT 1")" t
