#!/bin/bash
# pg_dump keeps the catalog (pg_extension_config_dump): a restored database
# scores exactly like the original.
. "$(dirname "$0")/common.inc"
plan 3

q "SELECT version FROM ml_train('dumped', 'bc_train', 'target', 'logistic')" >/dev/null
want=$(q "SELECT sum((ml_predict_proba('dumped', b))[2]) FROM bc b")
pg_dump -Fc -f /tmp/mlsql_dump.$$ "$IT_DB"
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS ${IT_DB}_restored" -c "CREATE DATABASE ${IT_DB}_restored" >/dev/null
pg_restore -d "${IT_DB}_restored" /tmp/mlsql_dump.$$ 2>/tmp/mlsql_restore.err
got=$(psql -qXAt -d "${IT_DB}_restored" -c "SELECT sum((ml_predict_proba('dumped', b))[2]) FROM bc b")
check restored_scores_identically "$got" "$want"
counts="SELECT (SELECT count(*) FROM mlsql.projects) || '/' || (SELECT count(*) FROM mlsql.runs) || '/' || (SELECT count(*) FROM mlsql.models) || '/' || (SELECT count(*) FROM mlsql.deployments) || '/' || (SELECT count(*) FROM mlsql.metrics)"
check restored_catalog "$(psql -qXAt -d "${IT_DB}_restored" -c "$counts")" "$(q "$counts")"
# a restored database keeps numbering after the dumped rows
check restored_sequences "$(psql -qXAt -d "${IT_DB}_restored" -c "SELECT version FROM ml_train('dumped', 'bc_train', 'target', 'logistic', seed => 5)")" 2
rm -f /tmp/mlsql_dump.$$ /tmp/mlsql_restore.err
