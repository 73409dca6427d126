#!/bin/bash
# The upgrade path: CREATE EXTENSION mlsql VERSION '0.1.0', train and deploy,
# ALTER EXTENSION mlsql UPDATE; every model scores exactly as before, the
# schema equals a fresh 0.2.0 install, and the new functions work.
. "$(dirname "$0")/common.inc"
OLD=it_upgrade_old
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $OLD" -c "CREATE DATABASE $OLD" >/dev/null
u() { PGDATABASE=$OLD psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }
PGDATABASE=$OLD psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION mlsql VERSION '0.1.0'" \
	-c "SET client_min_messages = warning" -f test/sql/data.sql >/dev/null
check upgrade_old_version "$(u "SELECT extversion FROM pg_extension WHERE extname = 'mlsql'")" 0.1.0
u "SELECT count(*) FROM ml_train('up_log', 'bc_train', 'target', 'logistic')" >/dev/null
u "SELECT count(*) FROM ml_train('up_gbdt', 'iris_train', 'species', 'gbdt', '{\"n_trees\": 30}')" >/dev/null
u "SELECT count(*) FROM ml_train('up_lin', 'diabetes_train', 'target', 'linear')" >/dev/null
u "CREATE TABLE before AS
   SELECT 'log' AS m, id, ml_predict('up_log', b)::text AS v FROM bc b
   UNION ALL SELECT 'gbdt', id, ml_predict_proba('up_gbdt', i)::text FROM iris i
   UNION ALL SELECT 'lin', id, ml_predict('up_lin', d)::text FROM diabetes d" >/dev/null

u "ALTER EXTENSION mlsql UPDATE" >/dev/null
check upgrade_new_version "$(u "SELECT extversion FROM pg_extension WHERE extname = 'mlsql'")" 0.3.0
check upgrade_models_score_identically "$(u "SELECT count(*) FILTER (WHERE b.v IS DISTINCT FROM a.v) || '/' || count(*)
    FROM before b JOIN (
      SELECT 'log' AS m, id, ml_predict('up_log', b)::text AS v FROM bc b
      UNION ALL SELECT 'gbdt', id, ml_predict_proba('up_gbdt', i)::text FROM iris i
      UNION ALL SELECT 'lin', id, ml_predict('up_lin', d)::text FROM diabetes d) a USING (m, id)")" "0/1161"

# the upgraded schema is the fresh one: catalog columns, functions, comments
schema='SELECT string_agg(x, E'"'"'\n'"'"' ORDER BY x) FROM (
  SELECT c.relname || '"'"'.'"'"' || a.attname || '"'"' '"'"' || format_type(a.atttypid, a.atttypmod) || '"'"' '"'"' || a.attnotnull AS x
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = '"'"'mlsql'"'"' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('"'"'r'"'"', '"'"'v'"'"')
  UNION ALL
  SELECT p.proname || '"'"'('"'"' || pg_get_function_identity_arguments(p.oid) || '"'"') '"'"' || p.provolatile::text || p.proparallel::text || '"'"' '"'"' || coalesce(obj_description(p.oid, '"'"'pg_proc'"'"'), '"'"'-'"'"') || '"'"' '"'"' || md5(p.prosrc)
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = '"'"'e'"'"'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = '"'"'mlsql'"'"') s'
upgraded=$(u "$schema")
fresh=$(q "$schema")
echo "# schema lines: upgraded $(echo "$upgraded" | wc -l), fresh $(echo "$fresh" | wc -l)"
diff <(echo "$upgraded") <(echo "$fresh") | head -5
check upgrade_schema_equals_fresh "$([ "$(echo "$fresh" | wc -l)" -gt 100 ] && [ "$upgraded" = "$fresh" ] && echo same)" same
check upgrade_new_functions "$(u "SELECT count(*) FROM ml_search('up_log', 'bc_train', 'target', 'logistic',
    '{\"alpha\": [0.1, 1]}', method => 'grid', deploy => 'never')")" 2
check upgrade_threshold "$(u "SELECT ml_set_threshold('up_log', 0.9) IS NOT NULL")" t
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $OLD" >/dev/null
