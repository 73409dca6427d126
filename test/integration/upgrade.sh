#!/bin/bash
# The upgrade path: CREATE EXTENSION mlsql VERSION '0.1.0', train and deploy,
# ALTER EXTENSION mlsql UPDATE TO '0.2.0', work there as other roles (a
# project, a grant, a snapshot, an object squatted in schema mlsql, a role
# dropped), then ALTER EXTENSION mlsql UPDATE (0.3.0): every model scores
# exactly as before, the schema equals a fresh install, roles become OIDs,
# PUBLIC loses CREATE on mlsql, and the new functions work.
. "$(dirname "$0")/common.inc"
plan 13
OLD=it_upgrade_old
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $OLD" -c "CREATE DATABASE $OLD" >/dev/null
u() { PGDATABASE=$OLD psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }
PGDATABASE=$OLD psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION mlsql VERSION '0.1.0'" \
	-c "SET client_min_messages = warning" -f test/data/load.sql >/dev/null
check upgrade_old_version "$(u "SELECT extversion FROM pg_extension WHERE extname = 'mlsql'")" 0.1.0
u "SELECT count(*) FROM ml_train('up_log', 'bc_train', 'target', 'logistic')" >/dev/null
u "SELECT count(*) FROM ml_train('up_gbdt', 'iris_train', 'species', 'gbdt', '{\"n_trees\": 30}')" >/dev/null
u "SELECT count(*) FROM ml_train('up_lin', 'diabetes_train', 'target', 'linear')" >/dev/null
u "CREATE TABLE before AS
   SELECT 'log' AS m, id, ml_predict('up_log', b)::text AS v FROM bc b
   UNION ALL SELECT 'gbdt', id, ml_predict_proba('up_gbdt', i)::text FROM iris i
   UNION ALL SELECT 'lin', id, ml_predict('up_lin', d)::text FROM diabetes d" >/dev/null

u "ALTER EXTENSION mlsql UPDATE TO '0.2.0'" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP ROLE IF EXISTS it_up_alice" -c "DROP ROLE IF EXISTS it_up_mallory" -c "DROP ROLE IF EXISTS it_up_gone" >/dev/null
u "CREATE ROLE it_up_alice; CREATE ROLE it_up_mallory; CREATE ROLE it_up_gone;
   GRANT SELECT ON bc_train TO it_up_alice, it_up_gone, it_up_mallory; GRANT CREATE ON SCHEMA public TO it_up_alice"
u "SET ROLE it_up_alice; SELECT count(*) FROM ml_train('up_alice', 'bc_train', 'target', 'logistic');
   SELECT ml_grant('up_alice', 'it_up_mallory', 'use'); SELECT ml_snapshot('bc_train')" >/dev/null
u "SET ROLE it_up_gone; SELECT count(*) FROM ml_train('up_gone', 'bc_train', 'target', 'logistic')" >/dev/null
u "REVOKE SELECT ON bc_train FROM it_up_gone; DROP ROLE it_up_gone"
u "SET ROLE it_up_mallory; CREATE TABLE mlsql.squat (x int)"

warnings=$(PGDATABASE=$OLD psql -qXAt -v ON_ERROR_STOP=1 -c "ALTER EXTENSION mlsql UPDATE" 2>&1 >/dev/null)
check upgrade_new_version "$(u "SELECT extversion FROM pg_extension WHERE extname = 'mlsql'")" 0.3.0
check upgrade_warns_of_squatter "$(echo "$warnings" | grep -c 'schema mlsql holds mlsql.squat of role it_up_mallory')" 1
check upgrade_no_create_on_mlsql "$(u "SELECT has_schema_privilege('it_up_mallory', 'mlsql', 'CREATE') OR has_schema_privilege('it_up_alice', 'mlsql', 'CREATE')")" f
check upgrade_roles_by_oid "$(u "SELECT p.owner = 'it_up_alice'::regrole AND g.role = 'it_up_mallory'::regrole
    AND g.granted_by = 'it_up_alice'::regrole AND d.deployed_by = 'it_up_alice'::regrole
    FROM mlsql.projects p JOIN mlsql.grants g ON g.project_id = p.id JOIN mlsql.deployments d ON d.project_id = p.id
    WHERE p.name = 'up_alice'")" t
check upgrade_dropped_role_owns_nothing "$(u "SELECT owner::oid FROM mlsql.projects WHERE name = 'up_gone'")" 0
check upgrade_recorder_migrated "$(u "SET ROLE it_up_alice; SELECT count(*) FROM ml_retrain('up_alice')")" 1
check upgrade_snapshot_still_hers "$(u "SELECT c.relowner::regrole FROM mlsql.datasets d JOIN pg_class c ON c.oid = d.snapshot")" it_up_alice
check upgrade_grantee_scores "$(u "SET ROLE it_up_mallory; SELECT count(ml_predict('up_alice', b)) FROM bc_train b" 2>&1)" 569
check upgrade_models_score_identically "$(u "SELECT count(*) FILTER (WHERE b.v IS DISTINCT FROM a.v) || '/' || count(*)
    FROM before b JOIN (
      SELECT 'log' AS m, id, ml_predict('up_log', b)::text AS v FROM bc b
      UNION ALL SELECT 'gbdt', id, ml_predict_proba('up_gbdt', i)::text FROM iris i
      UNION ALL SELECT 'lin', id, ml_predict('up_lin', d)::text FROM diabetes d) a USING (m, id)")" "0/1161"

# the upgraded schema is the fresh one: catalog columns, functions, comments
# the extension's own relations (not snapshots or other roles' tables), with
# defaults, indexes, policies and privileges; its functions with settings
schema=$(cat <<'SQL'
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
         || ' ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-') AS x
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE n.nspname = 'mlsql' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')
  UNION ALL
  SELECT 'acl ' || c.relname || ' ' || coalesce(c.relacl::text, '-') || ' rls ' || c.relrowsecurity
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  WHERE c.relnamespace = 'mlsql'::regnamespace
  UNION ALL
  SELECT 'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), '_idx[0-9]*', '_idx')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  WHERE c.relnamespace = 'mlsql'::regnamespace
  UNION ALL
  SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || qual FROM pg_policies WHERE schemaname = 'mlsql'
  UNION ALL
  SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '-') FROM pg_namespace WHERE nspname = 'mlsql'
  UNION ALL
  SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || p.provolatile::text || p.proparallel::text
         || ' ' || p.prosecdef || ' ' || coalesce(p.proconfig::text, '-') || ' ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
         || ' ' || md5(p.prosrc)
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mlsql') s
SQL
)
upgraded=$(u "$schema")
fresh=$(q "$schema")
echo "# schema lines: upgraded $(echo "$upgraded" | wc -l), fresh $(echo "$fresh" | wc -l)"
diff <(echo "$upgraded") <(echo "$fresh") | head -5
check upgrade_schema_equals_fresh "$([ "$(echo "$fresh" | wc -l)" -gt 100 ] && [ "$upgraded" = "$fresh" ] && echo same)" same
check upgrade_new_functions "$(u "SELECT count(*) FROM ml_search('up_log', 'bc_train', 'target', 'logistic',
    '{\"alpha\": [0.1, 1]}', method => 'grid', deploy => 'never')")" 2
check upgrade_threshold "$(u "SELECT ml_set_threshold('up_log', 0.9) IS NOT NULL")" t
PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $OLD" >/dev/null
psql -qX -d postgres -c "DROP ROLE it_up_alice" -c "DROP ROLE it_up_mallory" >/dev/null
