-- trust: no role gains a right it was not granted.  Every attack here worked
-- on 0.2.0; each must leave the attacker with nothing.
\i test/regress/datasets.sql
CREATE ROLE regress_trust_alice;
CREATE ROLE regress_trust_bob;
CREATE ROLE regress_trust_mallory;
GRANT SELECT ON bc, bc_train TO regress_trust_alice, regress_trust_bob, regress_trust_mallory;
GRANT CREATE ON SCHEMA public TO regress_trust_alice, regress_trust_bob, regress_trust_mallory;
CREATE SCHEMA evil AUTHORIZATION regress_trust_mallory;

-- 1. nobody but the extension owner creates objects in schema mlsql
SELECT has_schema_privilege('regress_trust_mallory', 'mlsql', 'CREATE') AS mallory_may_create,
       has_schema_privilege('regress_trust_alice', 'mlsql', 'CREATE') AS alice_may_create;
SET ROLE regress_trust_mallory;
CREATE FUNCTION mlsql.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT pg_catalog.now()';
CREATE TABLE mlsql.snapshot_999999 (x int);
SELECT nextval('mlsql.datasets_id_seq');
RESET ROLE;

-- 2. a search_path that puts the attacker's now(), clock_timestamp(),
-- encode(), sha256(), current_setting() and operators =, ->>, || first:
-- each logs who called it and, when that is not mallory, makes her superuser
SET ROLE regress_trust_mallory;
CREATE TABLE evil.calls (who name, what text);
GRANT INSERT ON evil.calls TO PUBLIC;
CREATE FUNCTION evil.strike(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evil.calls VALUES (current_user, what);
    IF current_user OPERATOR(pg_catalog.<>) 'regress_trust_mallory' THEN
        EXECUTE 'ALTER ROLE regress_trust_mallory SUPERUSER';
    END IF;
END $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('clock_timestamp'); RETURN pg_catalog.clock_timestamp(); END $$;
CREATE FUNCTION evil.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('current_setting'); RETURN pg_catalog.current_setting($1); END $$;
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('sha256'); RETURN pg_catalog.sha256($1); END $$;
CREATE FUNCTION evil.encode(bytea, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('encode'); RETURN pg_catalog.encode($1, $2); END $$;
CREATE FUNCTION evil.eq8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('= bigint'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.eq8);
CREATE FUNCTION evil.eqt(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('= text'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eqt);
CREATE FUNCTION evil.getf(jsonb, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('->>'); RETURN $1 OPERATOR(pg_catalog.->>) $2; END $$;
CREATE OPERATOR evil.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.getf);
CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.strike('||'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat);
CREATE TABLE mal_rows AS SELECT * FROM bc_train;
SET search_path = evil, pg_catalog, public;
-- the traps work: the attacker's own statements reach them
SELECT now() IS NOT NULL AS trap_armed;
SELECT count(*) AS trap_calls FROM evil.calls;
TRUNCATE evil.calls;
-- every function that writes the catalog, under that search_path
SELECT count(*) FROM ml_train('mal_p', 'mal_rows', 'target', 'logistic');
SELECT count(*) FROM ml_train('mal_p', 'mal_rows', 'target', 'tree', deploy => 'always');
SELECT count(*) FROM ml_deploy('mal_p', 1);
SELECT count(*) FROM ml_deploy('mal_p', 'best_score');
SELECT ml_alias('mal_p', 'champion', 2) IS NOT NULL AS aliased;
SELECT ml_grant('mal_p', 'regress_trust_bob', 'use');
SELECT ml_set_threshold('mal_p@1', 0.4) IS NOT NULL AS threshold_set;
SELECT count(*) FROM ml_save('mal_p', (SELECT ml_fit('logistic', target, ARRAY[mean_radius]) FROM mal_rows));
SELECT ml_snapshot('mal_rows') IS NOT NULL AS snapshotted;
SELECT count(*) FROM ml_search('mal_p', 'mal_rows', 'target', 'tree', '{"max_depth": [2, 3]}', method => 'grid', deploy => 'never');
SELECT count(*) FROM ml_learning_curve('mal_rows', 'target', 'tree', sizes => '{0.5,1}', folds => 2, project => 'mal_p');
SELECT count(*) FROM ml_compare('mal_p', 'mal_rows', 'target', ARRAY['tree'], 2, deploy => 'never');
SELECT count(*) FROM ml_threshold_curve('mal_p', 'mal_rows');
SELECT count(*) FROM ml_retrain('mal_p');
SELECT count(*) FROM ml_reproduce((SELECT max(run_id) FROM mlsql.models m JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) m.project_id
                                   WHERE p.name OPERATOR(pg_catalog.=) 'mal_p' AND m.algorithm OPERATOR(pg_catalog.=) 'tree'));
SELECT count(*) > 0 AS scored FROM ml_explain('mal_p', (SELECT b FROM mal_rows b LIMIT 1));
SELECT count(*) > 0 AS has_importance FROM ml_feature_importance('mal_p@1');
RESET search_path;
RESET ROLE;
-- nothing ran as another role, and mallory is no superuser; the functions
-- that read sources with the caller's search_path (ml_compare,
-- ml_threshold_curve, ml_retrain, ml_reproduce) called none of her traps either
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'regress_trust_mallory';
SELECT who, what, count(*) FROM evil.calls GROUP BY 1, 2 ORDER BY 1, 2;
-- what she did went through: owned by her, by OID
SELECT p.owner, p.owner = 'regress_trust_mallory'::regrole AS by_oid,
       (SELECT count(*) FROM mlsql.models m WHERE m.project_id = p.id) AS models,
       (SELECT count(DISTINCT d.deployed_by) FROM mlsql.deployments d WHERE d.project_id = p.id) AS deployers
FROM mlsql.projects p WHERE p.name = 'mal_p';

-- 3. a grantee's recorded source is not replayed by the owner
SET ROLE regress_trust_alice;
CREATE TABLE alice_secret (note text);
INSERT INTO alice_secret VALUES ('salary of the CEO');
SELECT count(*) FROM ml_train('alice_model', 'bc_train', 'target', 'logistic');
SELECT ml_grant('alice_model', 'regress_trust_bob', 'manage');
RESET ROLE;
SET ROLE regress_trust_bob;
CREATE TABLE bob_loot (who name, secret text);
GRANT INSERT ON bob_loot TO PUBLIC;
-- a volatile function in bob's source: run as alice, it would copy her secret
CREATE FUNCTION bob_spy() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO bob_loot SELECT current_user, note FROM alice_secret;
    RETURN 1;
EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO bob_loot VALUES (current_user, NULL);
    RETURN 1;
END $$;
-- bob records his source and deploys it (he may: he manages the project)
SELECT count(*) FROM ml_train('alice_model', 'SELECT b.*, bob_spy() AS spy FROM bc_train b', 'target', 'logistic', deploy => 'always');
SELECT who, secret FROM bob_loot GROUP BY 1, 2;
RESET ROLE;
SET ROLE regress_trust_alice;
SELECT * FROM ml_retrain('alice_model');
\set VERBOSITY sqlstate
SELECT * FROM ml_reproduce((SELECT max(r.id) FROM mlsql.runs r JOIN mlsql.experiments e ON e.id = r.experiment_id
                            JOIN mlsql.projects p ON p.id = r.project_id
                            WHERE p.name = 'alice_model' AND r.algorithm = 'logistic' AND r.parent_run_id IS NULL
                              AND e.created_by = 'regress_trust_bob'::regrole));
\set VERBOSITY default
-- she adopts a configuration by training it herself; then replays work
SELECT count(*) FROM ml_train('alice_model', 'bc_train', 'target', 'logistic', deploy => 'always');
SELECT count(*) FROM ml_retrain('alice_model');
RESET ROLE;
SELECT who, count(*) FILTER (WHERE secret IS NOT NULL) AS secrets FROM bob_loot GROUP BY 1 ORDER BY 1;
-- who recorded each training configuration, by OID
SELECT e.created_by, count(*) FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
WHERE p.name = 'alice_model' AND e.kind = 'train' GROUP BY 1 ORDER BY 1::text;

-- 4. ml_snapshot runs one read-only query and nothing else
SET ROLE regress_trust_alice;
CREATE TABLE alice_rows AS SELECT mean_radius, target FROM bc_train;
\set VERBOSITY terse
SELECT ml_snapshot('SELECT * FROM alice_rows; DELETE FROM alice_rows');
SELECT ml_snapshot('WITH d AS (DELETE FROM alice_rows RETURNING *) SELECT * FROM d');
SELECT ml_snapshot('SELECT * INTO alice_copy FROM alice_rows');
SELECT ml_snapshot('SELECT * FROM alice_rows FOR UPDATE');
SELECT ml_train('x', 'WITH d AS (DELETE FROM alice_rows RETURNING *) SELECT * FROM d', 'target');
SELECT * FROM ml_threshold_curve('alice_model', 'WITH d AS (DELETE FROM alice_rows RETURNING *) SELECT * FROM d');
\set VERBOSITY default
SELECT count(*) AS rows_kept FROM alice_rows;
SELECT to_regclass('alice_copy') IS NULL AS no_copy;
-- a snapshot is the caller's table, readable by nobody else
SELECT ml_snapshot('alice_rows') AS snap \gset
SELECT c.relowner::regrole AS owner, c.relnamespace::regnamespace AS schema,
       has_table_privilege('regress_trust_mallory', c.oid, 'SELECT') AS mallory_reads
FROM mlsql.datasets d JOIN pg_class c ON c.oid = d.snapshot WHERE d.id = :snap;
RESET ROLE;
SET ROLE regress_trust_mallory;
SELECT count(*) FROM mlsql.datasets WHERE id = :snap;
\set VERBOSITY sqlstate
SELECT count(*) FROM ml_train('mal_snap', 'snapshot:' || :snap, 'target');
\set VERBOSITY default
RESET ROLE;

-- 5. another role's project does not exist for you, whatever you call
SELECT id AS alice_pid FROM mlsql.projects WHERE name = 'alice_model' \gset
SELECT id AS mal_pid FROM mlsql.projects WHERE name = 'mal_p' \gset
SET ROLE regress_trust_mallory;
\set VERBOSITY terse
SELECT ml_train('alice_model', 'mal_rows', 'target', 'logistic');
SELECT * FROM ml_save('alice_model', (SELECT ml_fit('logistic', target, ARRAY[mean_radius]) FROM mal_rows));
SELECT * FROM ml_search('alice_model', 'mal_rows', 'target', 'tree', '{"max_depth": [2]}');
SELECT * FROM ml_deploy('alice_model', 1);
SELECT ml_alias('alice_model', 'x', 1);
SELECT ml_grant('alice_model', 'regress_trust_mallory', 'manage');
SELECT ml_set_threshold('alice_model', 0.3);
SELECT ml_predict('alice_model', ARRAY[1.0]);
SELECT * FROM ml_retrain('alice_model');
\set VERBOSITY default
-- visibility answers only for the caller: another role's project looks
-- like one that does not exist
SELECT mlsql.project_visible(:alice_pid) AS sees_alice, mlsql.project_visible(-1) AS sees_nothing,
       mlsql.project_visible(:mal_pid) AS sees_her_own;
SELECT count(*) AS alice_rows_seen FROM mlsql.runs WHERE project_id = :alice_pid;
RESET ROLE;
SELECT mlsql.project_visible(p.id) AS superuser_sees FROM mlsql.projects p WHERE p.name = 'alice_model';
SELECT count(*) AS old_helpers FROM pg_proc
WHERE proname IN ('project_visible', 'run_visible', 'dataset_visible') AND pronargs = 2;
-- a grantee with use only may not manage
SET ROLE regress_trust_alice;
SELECT ml_grant('alice_model', 'regress_trust_mallory', 'use');
RESET ROLE;
SET ROLE regress_trust_mallory;
SELECT ml_predict('alice_model', (SELECT b FROM bc_train b LIMIT 1)) IS NOT NULL AS scores;
\set VERBOSITY terse
SELECT ml_alias('alice_model', 'x', 1);
SELECT * FROM ml_retrain('alice_model');
\set VERBOSITY default
RESET ROLE;

-- 6. roles by OID: a role dropped and created again under its name is another role
CREATE ROLE regress_trust_temp;
GRANT SELECT ON bc_train TO regress_trust_temp;
SET ROLE regress_trust_temp;
SELECT count(*) FROM ml_train('temp_p', 'bc_train', 'target', 'logistic');
RESET ROLE;
SET ROLE regress_trust_alice;
SELECT ml_grant('alice_model', 'regress_trust_temp', 'use');
RESET ROLE;
REVOKE SELECT ON bc_train FROM regress_trust_temp;
DROP ROLE regress_trust_temp;
CREATE ROLE regress_trust_temp;
SET ROLE regress_trust_temp;
SELECT count(*) AS sees_projects FROM mlsql.projects;
\set VERBOSITY terse
SELECT ml_predict('temp_p', ARRAY[1.0]);
SELECT ml_predict('alice_model', ARRAY[1.0]);
\set VERBOSITY default
RESET ROLE;
SELECT p.owner::text ~ '^[0-9]+$' AS owner_shown_as_oid FROM mlsql.projects p WHERE p.name = 'temp_p';
DROP ROLE regress_trust_temp;

-- 7. the model-bytes cache compares whole bytes: the second model is forged
-- to share the first's length, first 64 bytes and CRC (its intercept's low
-- bits chosen for that), and must still score as itself
CREATE TABLE forged (i int, m bytea);
INSERT INTO forged VALUES
 (1, decode('4d4c535101000200010002000000020000007831020000007831000000000101000100000000000000000000000000000000000000000000f03f000000000200000000000000020000007832020000007832000000000101000100000000000000000000000000000000000000000000f03f0000000002000000000000000100000079000000001c00000002000000280cc3300cc30040e13ccff33ccff33f1e1886611886f1bfcf2ab68e', 'hex')),
 (2, decode('4d4c535101000200010002000000020000007831020000007831000000000101000100000000000000000000000000000000000000000000f03f000000000200000000000000020000007832020000007832000000000101000100000000000000000000000000000000000000000000f03f0000000002000000000000000100000079000000001c00000002000000489224499224e93f499224499224e9bfd0083871dbb6dd3fcf2ab68e', 'hex'));
SELECT length(a.m) = length(b.m) AS same_length, substr(a.m, 1, 64) = substr(b.m, 1, 64) AS same_head,
       substr(a.m, length(a.m) - 3) = substr(b.m, length(b.m) - 3) AS same_crc, a.m <> b.m AS different
FROM forged a, forged b WHERE a.i = 1 AND b.i = 2;
SELECT i, round(ml_predict(m, ARRAY[1, 1]::float8[])::numeric, 6) AS in_one_scan FROM forged ORDER BY i;
SELECT round(ml_predict(m, ARRAY[1, 1]::float8[])::numeric, 6) AS alone FROM forged WHERE i = 2;
-- PL/pgSQL keeps a simple expression's state while its variable changes
DO $$
DECLARE
    r record;
    p text := '';
BEGIN
    FOR r IN SELECT m FROM forged ORDER BY i LOOP
        p := p || round(ml_predict(r.m, ARRAY[1, 1]::float8[])::numeric, 6) || ' ';
    END LOOP;
    RAISE NOTICE 'scored in a PL/pgSQL loop: %', p;
END $$;
DROP TABLE forged;

-- clean up
SET ROLE regress_trust_alice;
DROP TABLE alice_secret, alice_rows;
RESET ROLE;
DELETE FROM mlsql.projects WHERE name IN ('mal_p', 'alice_model', 'temp_p', 'mal_snap');
DROP SCHEMA evil CASCADE;
DROP OWNED BY regress_trust_alice, regress_trust_bob, regress_trust_mallory;
DROP ROLE regress_trust_alice;
DROP ROLE regress_trust_bob;
DROP ROLE regress_trust_mallory;
