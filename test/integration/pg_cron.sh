#!/bin/bash
# pg_cron is preloaded by the throwaway server: ml_schedule registers
# ml_retrain with pg_cron, the job really runs (cron.job_run_details says
# succeeded) and records a new run; ml_unschedule removes it.
. "$(dirname "$0")/common.inc"

plan 9
require cron_preloaded "$(q "SHOW shared_preload_libraries")" pg_cron
# pg_cron lives in cron.database_name (postgres): work there
export PGDATABASE=postgres
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS mlsql" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -f test/data/load.sql >/dev/null
q "SELECT version FROM ml_train('nightly', 'bc_train', 'target', 'logistic')" >/dev/null
before=$(q "SELECT count(*) FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id WHERE p.name = 'nightly'")
job=$(q "SELECT ml_schedule('nightly', '* * * * *')")
check cron_job_scheduled "$(q "SELECT count(*) FROM cron.job WHERE jobid = $job AND jobname = 'mlsql-retrain-nightly' AND command LIKE '%ml_retrain(''nightly'')%'")" 1
status=""
for i in $(seq 1 150); do
	status=$(q "SELECT status FROM cron.job_run_details WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
	[ -n "$status" ] && break
	sleep 1
done
check cron_job_succeeded "$status" succeeded
[ "$status" = failed ] && q "SELECT return_message FROM cron.job_run_details WHERE jobid = $job"
after=$(q "SELECT count(*) FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id WHERE p.name = 'nightly'")
check cron_retrain_recorded_runs "$(( after > before ))" 1
check cron_unscheduled "$(q "SELECT ml_unschedule('nightly')")" t
check cron_job_removed "$(q "SELECT count(*) FROM cron.job WHERE jobid = $job")" 0
err=$(q "SELECT ml_schedule('nightly', 'every day')" 2>&1 >/dev/null)
check cron_invalid_schedule "$(echo "$err" | grep -c 'invalid schedule')" 1

# scheduling: the job runs as the scheduling role, which must manage the
# project and have recorded its configuration itself
PGOPTIONS="-c client_min_messages=warning" q "DROP ROLE IF EXISTS it_cron_user; DROP ROLE IF EXISTS it_cron_mgr" >/dev/null 2>&1
q "CREATE ROLE it_cron_user; CREATE ROLE it_cron_mgr; GRANT SELECT ON bc_train TO it_cron_user, it_cron_mgr;
   GRANT USAGE ON SCHEMA cron TO it_cron_user, it_cron_mgr" >/dev/null
q "SELECT ml_grant('nightly', 'it_cron_user', 'use'), ml_grant('nightly', 'it_cron_mgr', 'manage')" >/dev/null
err=$(q "SET ROLE it_cron_user; SELECT ml_schedule('nightly', '0 3 * * *')" 2>&1 >/dev/null)
check cron_use_only_refused "$(echo "$err" | grep -c 'permission denied for project "nightly"')" 1
err=$(q "SET ROLE it_cron_mgr; SELECT ml_schedule('nightly', '0 3 * * *')" 2>&1 >/dev/null)
check cron_other_recorder_refused "$(echo "$err" | grep -c 'was recorded by role postgres, not by it_cron_mgr')" 1
q "SET ROLE it_cron_mgr; SELECT count(*) FROM ml_train('nightly', 'bc_train', 'target', 'logistic', deploy => 'always')" >/dev/null
job=$(q "SET ROLE it_cron_mgr; SELECT ml_schedule('nightly', '0 3 * * *')" | tail -1)
check cron_job_runs_as_scheduler "$(q "SELECT username FROM cron.job WHERE jobid = $job")" it_cron_mgr
q "SET ROLE it_cron_mgr; SELECT ml_unschedule('nightly')" >/dev/null
q "DELETE FROM mlsql.grants WHERE role IN ('it_cron_user'::regrole, 'it_cron_mgr'::regrole);
   DELETE FROM mlsql.projects WHERE name = 'nightly';
   REVOKE ALL ON bc_train FROM it_cron_user, it_cron_mgr; REVOKE USAGE ON SCHEMA cron FROM it_cron_user, it_cron_mgr;
   DROP ROLE it_cron_user; DROP ROLE it_cron_mgr" >/dev/null
