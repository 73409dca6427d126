-- security: a model never opens a door to data the caller cannot read; the
-- functions added with search, ensembles and aggregates check the project's
-- grants like the rest
\i test/regress/datasets.sql
CREATE ROLE regress_sec_alice;
CREATE ROLE regress_sec_bob;
GRANT CREATE ON SCHEMA public TO regress_sec_alice, regress_sec_bob;
GRANT SELECT ON bc, bc_train TO regress_sec_alice, regress_sec_bob;
SET ROLE regress_sec_alice;
CREATE TABLE secret_data AS SELECT * FROM bc_train;
SELECT count(*) FROM ml_train('sec_alice', 'secret_data', 'target', 'logistic');
SELECT count(*) FROM ml_train('sec_alice_stack', 'secret_data', 'target', 'voting',
    '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "tree"}]}');
SELECT ml_grant('sec_alice', 'regress_sec_bob', 'use');
RESET ROLE;
SET ROLE regress_sec_bob;
CREATE TABLE bob_rows AS SELECT g AS x, g % 2 AS y FROM generate_series(1, 40) g;
-- bob may score alice's model on his own rows...
SELECT count(*) FROM ml_transform('sec_alice', (SELECT b FROM bc_train b LIMIT 1));
-- ...but nothing reads alice's table for him
SELECT * FROM ml_evaluate('sec_alice', 'secret_data');
SELECT * FROM ml_drift('sec_alice', 'secret_data');
\set VERBOSITY terse
SELECT * FROM ml_snapshot('secret_data');
\set VERBOSITY default
SELECT * FROM ml_train('sec_bob', 'secret_data', 'target');
SELECT * FROM ml_train('sec_bob', 'SELECT * FROM secret_data', 'target');
SELECT * FROM ml_search('sec_bob', 'secret_data', 'target', 'tree', '{"max_depth": [2]}');
SELECT * FROM ml_cross_validate('secret_data', 'target', 'tree');
SELECT * FROM ml_learning_curve('secret_data', 'target', 'tree');
SELECT * FROM ml_threshold_curve('sec_alice', 'secret_data');
SELECT ml_fit('linear', target, ARRAY[mean_radius]) FROM secret_data;
-- use is not manage: no thresholds, saves, searches or trainings in her project
SELECT ml_set_threshold('sec_alice', 0.9);
SELECT * FROM ml_save('sec_alice', (SELECT ml_fit('logistic', y, ARRAY[x::float8]) FROM bob_rows));
SELECT * FROM ml_search('sec_alice', 'bob_rows', 'y', 'logistic', '{"alpha": [1]}');
SELECT * FROM ml_train('sec_alice', 'bob_rows', 'y', 'logistic');
-- a project not granted does not exist for him, nor do its runs
SELECT * FROM ml_ensemble_report('sec_alice_stack');
SELECT count(*) AS visible_runs FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'sec_alice_stack';
RESET ROLE;
DROP TABLE secret_data, bob_rows;
SELECT count(*) FROM (SELECT ml_grant('sec_alice', 'regress_sec_bob', 'none')) g;
DELETE FROM mlsql.projects WHERE name LIKE 'sec_alice%';
REVOKE CREATE ON SCHEMA public FROM regress_sec_alice, regress_sec_bob;
REVOKE SELECT ON bc, bc_train FROM regress_sec_alice, regress_sec_bob;
DROP ROLE regress_sec_alice;
DROP ROLE regress_sec_bob;
