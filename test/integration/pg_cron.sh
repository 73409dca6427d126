#!/bin/bash
# pg_cron is preloaded by the throwaway server: a retraining can be scheduled.
. "$(dirname "$0")/common.inc"

check cron_preloaded "$(q "SHOW shared_preload_libraries")" pg_cron
export PGDATABASE=postgres
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
job=$(q "SELECT cron.schedule('mlsql-retrain', '0 3 * * *', \$\$SELECT ml_train('nightly', 'bc_train', 'target', 'logistic')\$\$)")
check cron_job_scheduled "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'mlsql-retrain' AND command LIKE '%ml_train%'")" 1
q "SELECT cron.unschedule($job)" >/dev/null
