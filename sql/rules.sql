-- rules: heuristic baselines (ml_rule) and slices (ml_evaluate_slices).
-- Its own fixtures.
\i test/regress/datasets.sql
SET client_min_messages = warning;
SELECT version, deployed FROM ml_train('rule_bc', 'bc', 'target', 'logistic',
    features => ARRAY['mean_radius', 'worst_area', 'mean_texture']);
RESET client_min_messages;

-- a rule on worst_area: a model version of algorithm rule, scored on the
-- last training's test rows; the gate compares it with the live model there
SELECT project, version, algorithm, task, round((metrics->>'accuracy')::numeric, 4) AS accuracy,
       metrics->>'split' AS split, round((baseline->>'accuracy')::numeric, 4) AS baseline, deployed
FROM ml_rule('rule_bc', 'CASE WHEN worst_area > 800 THEN 0 ELSE 1 END', 'area');
-- its score is taken on the rows of the training it is compared with
SELECT count(DISTINCT r.test_fingerprint) AS fingerprints, count(*) AS runs
FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'rule_bc' AND r.parent_run_id IS NULL;
-- scoring evaluates the compiled tree: every row as SQL's CASE says
SELECT count(*) FILTER (WHERE ml_predict('rule_bc@2', b) = CASE WHEN worst_area > 800 THEN 0 ELSE 1 END) AS agree,
       count(*) AS n_rows
FROM bc b;
-- the model reads the columns the rule names (here one), NULL falls to ELSE
SELECT ml_predict('rule_bc@2', ARRAY[900]::float8[]) AS big, ml_predict('rule_bc@2', ARRAY[500]::float8[]) AS small,
       ml_predict_proba('rule_bc@2', ARRAY[NULL]::float8[]) AS null_area;
SELECT round((ml_evaluate('rule_bc@2', 'bc')->>'accuracy')::numeric, 4) AS accuracy_all_rows,
       round(avg((CASE WHEN worst_area > 800 THEN 0 ELSE 1 END = target)::int), 4) AS by_sql
FROM bc;
SELECT ml_model_info('rule_bc@2')->'algorithm' AS algorithm, ml_model_info('rule_bc@2')->'model' AS model,
       ml_model_info('rule_bc@2')->'features' AS features;
-- recorded: an experiment of kind rule, a run with its metrics and the baseline's, a version
SELECT e.kind, e.config->>'rule' AS rule, e.config->>'expression' AS expression, r.algorithm, r.params
FROM mlsql.experiments e JOIN mlsql.runs r ON r.experiment_id = e.id JOIN mlsql.projects p ON p.id = e.project_id
WHERE p.name = 'rule_bc' AND e.kind = 'rule' ORDER BY r.id;
SELECT d.reason FROM mlsql.deployments d JOIN mlsql.projects p ON p.id = d.project_id
WHERE p.name = 'rule_bc' ORDER BY d.id;
-- deployed by hand, it serves the project's name
SELECT version FROM ml_deploy('rule_bc', 2);
SELECT ml_predict('rule_bc', ARRAY[900]::float8[]) AS deployed_rule;
-- the live rule is re-scored on a new training's rows, and the project's rules
-- are reported beside the majority baseline on the same test rows
SELECT version, algorithm, deployed, round((baseline->>'accuracy')::numeric, 4) AS majority,
       round((baseline->'rules'->'area'->>'accuracy')::numeric, 4) AS rule_area,
       baseline->'rules'->'area'->>'version' AS rule_version, baseline->'rules'->'area'->>'split' AS split
FROM ml_train('rule_bc', 'bc', 'target', 'tree', features => ARRAY['mean_radius', 'worst_area', 'mean_texture']);
-- the rule's score there is a child run of that training
SELECT r.algorithm, r.params->>'name' AS name, m.split, round(m.value::numeric, 4) AS accuracy
FROM mlsql.runs r JOIN mlsql.metrics m ON m.run_id = r.id AND m.name = 'accuracy'
JOIN mlsql.runs parent ON parent.id = r.parent_run_id JOIN mlsql.models mo ON mo.run_id = parent.id
WHERE mo.project_id = (SELECT id FROM mlsql.projects WHERE name = 'rule_bc') AND mo.version = 3 AND r.algorithm = 'rule';
-- a second version of a name replaces the first in later baselines
SELECT version, deployed FROM ml_rule('rule_bc', 'CASE WHEN worst_area > 700 OR mean_radius > 17 THEN 0 ELSE 1 END', 'area');
SELECT jsonb_object_keys(baseline->'rules') AS rule, baseline->'rules'->'area'->>'version' AS version
FROM ml_train('rule_bc', 'bc', 'target', 'tree', features => ARRAY['mean_radius', 'worst_area', 'mean_texture'], deploy => 'never');

-- hostile or wrong expressions: refused with a clear error, nothing written
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM mlsql.runs) AS runs, (SELECT count(*) FROM mlsql.models) AS models,
       (SELECT count(*) FROM mlsql.experiments) AS experiments, (SELECT count(*) FROM bc) AS bc_rows;
SELECT * FROM ml_rule('rule_bc', '(SELECT 1)');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area > (SELECT max(worst_area) FROM bc) THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN pg_sleep(10) IS NULL THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', '1); DROP TABLE bc; --');
SELECT * FROM ml_rule('rule_bc', '1; DROP TABLE bc');
SELECT * FROM ml_rule('rule_bc', '1 FROM pg_authid');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN no_such_column > 1 THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN (WITH d AS (DELETE FROM bc RETURNING 1) SELECT count(*) FROM d) > 0 THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area::int > 800 THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN target = 1 THEN 1 ELSE 0 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area > 800 THEN 0 ELSE 2 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area > 800 THEN 0 END');
SELECT * FROM ml_rule('rule_bc', 'worst_area > 800');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', 'CASE WHEN worst_area OPERATOR(pg_catalog.>) 800 THEN 0 ELSE 1 END');
SELECT * FROM ml_rule('rule_bc', '');
SELECT * FROM ml_rule('rule_bc', NULL);
SELECT * FROM ml_rule('rule_bc', '1', '');
SELECT * FROM ml_rule('no_such_project', '1');
SELECT (SELECT count(*) FROM mlsql.runs) = runs AS no_run, (SELECT count(*) FROM mlsql.models) = models AS no_model,
       (SELECT count(*) FROM mlsql.experiments) = experiments AS no_experiment,
       (SELECT count(*) FROM bc) = bc_rows AS bc_intact
FROM before;

-- a text target (iris): the rule names classes; a regression rule (diabetes)
SET client_min_messages = warning;
SELECT version FROM ml_train('rule_iris', 'iris', 'species', 'logistic', features => ARRAY['petal_length', 'petal_width']);
SELECT version FROM ml_train('rule_diab', 'diabetes', 'target', 'linear', features => ARRAY['bmi', 'bp', 's5']);
RESET client_min_messages;
SELECT version, round((metrics->>'accuracy')::numeric, 4) AS accuracy, deployed FROM ml_rule('rule_iris',
    'CASE WHEN petal_length < 2.5 THEN ''setosa'' WHEN petal_width < 1.75 THEN ''versicolor'' ELSE ''virginica'' END', 'petals');
SELECT * FROM ml_rule('rule_iris', 'CASE WHEN petal_length < 2.5 THEN ''rose'' ELSE ''virginica'' END');
SELECT version, round((metrics->>'r2')::numeric, 4) AS r2, round((baseline->>'r2')::numeric, 4) AS baseline_r2, deployed
FROM ml_rule('rule_diab', '150 + 900 * bmi + greatest(s5, 0) * abs(-500)', 'bmi_line');
SELECT count(*) FILTER (WHERE abs(ml_predict('rule_diab@2', d) - (150 + 900 * bmi + greatest(s5, 0) * 500)) < 1e-9) AS agree
FROM diabetes d;
SELECT * FROM ml_rule('rule_diab', 'CASE WHEN bmi > 0 THEN 200 END');
SELECT * FROM ml_rule('rule_diab', 'bmi / (bp - bp)');

-- text columns: compared with constants (= <> IN), NULL and unseen values as SQL does
CREATE TABLE rule_loans AS
SELECT i AS id, (ARRAY['north', 'south', 'east', 'west'])[1 + i % 4] AS region, (i % 7)::float8 AS debt,
       ((i % 4) IN (0, 2) OR i % 7 > 5)::int AS late
FROM generate_series(1, 200) i;
SET client_min_messages = warning;
SELECT version FROM ml_train('rule_loans', 'rule_loans', 'late', 'logistic', features => ARRAY['region', 'debt']);
RESET client_min_messages;
SELECT version, round((metrics->>'accuracy')::numeric, 4) AS accuracy
FROM ml_rule('rule_loans', 'CASE WHEN region IN (''north'', ''east'') OR debt > 5 THEN 1 ELSE 0 END', 'regions');
SELECT r.region, r.debt, ml_predict('rule_loans@2', r) AS predicted,
       CASE WHEN r.region IN ('north', 'east') OR r.debt > 5 THEN 1 ELSE 0 END AS by_sql
FROM (VALUES ('north', 1.0), ('south', 1.0), ('mars', 1.0), (NULL, 1.0), (NULL, 6.0), ('east', NULL::float8)) r(region, debt);
SELECT * FROM ml_rule('rule_loans', 'CASE WHEN region > ''m'' THEN 1 ELSE 0 END');
SELECT * FROM ml_rule('rule_loans', 'CASE WHEN region = 1 THEN 1 ELSE 0 END');

-- slices on real data: breast cancer by tumour size, diabetes by sex
SELECT slice, n, round((metrics->>'accuracy')::numeric, 4) AS accuracy, round(gap::numeric, 4) AS gap, flagged,
       metrics->>'flag_metric' AS flag_metric
FROM ml_evaluate_slices('rule_bc@1', 'bc', 'CASE WHEN worst_area > 1000 THEN ''large'' WHEN worst_area > 500 THEN ''medium'' ELSE ''small'' END');
SELECT slice, n, round((metrics->>'r2')::numeric, 3) AS r2, round(gap::numeric, 3) AS gap, flagged,
       round((metrics->>'flag_value')::numeric, 2) AS mae
FROM ml_evaluate_slices('rule_diab@1', 'diabetes', 'sex > 0');

-- an under-served group: flagged beyond its noise; a group too small to tell is not
CREATE TABLE rule_groups AS
SELECT i AS id, 1.0::float8 AS x,
       CASE WHEN i <= 300 THEN 'major' WHEN i <= 340 THEN 'minor' WHEN i <= 345 THEN 'tiny' END AS grp,
       CASE WHEN i <= 300 THEN (i > 15)::int WHEN i <= 340 THEN (i > 320)::int WHEN i <= 345 THEN (i > 341)::int ELSE 1 END AS y
FROM generate_series(1, 355) i;
SET client_min_messages = warning;
SELECT version FROM ml_train('rule_groups', 'rule_groups', 'y', 'logistic', features => ARRAY['x'], deploy => 'never');
SELECT version FROM ml_rule('rule_groups', 'CASE WHEN x > 0 THEN 1 ELSE 0 END', 'always_one');
SELECT version FROM ml_deploy('rule_groups', 2);
RESET client_min_messages;
SELECT slice, n, round((metrics->>'accuracy')::numeric, 4) AS accuracy, round(gap::numeric, 4) AS gap, flagged,
       (SELECT array_agg(round(v::numeric, 3)) FROM jsonb_array_elements_text(metrics->'flag_interval') v) AS interval,
       round((metrics->>'flag_overall')::numeric, 4) AS overall
FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'grp');
-- recorded as a run of the project: a "slices" experiment, its counts, every row as an artifact
SELECT e.kind, e.config ->> 'slice' AS slice, m.name, m.value,
       jsonb_array_length(convert_from(a.content, 'UTF8')::jsonb) AS artifact_rows
FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
JOIN mlsql.runs r ON r.experiment_id = e.id JOIN mlsql.metrics m ON m.run_id = r.id
JOIN mlsql.artifacts a ON a.run_id = r.id AND a.name = 'slices'
WHERE p.name = 'rule_groups' AND e.kind = 'slices' ORDER BY m.name;

-- Simpson's paradox: women look under-served overall, yet are served better
-- than men in each department (they apply where it is hard)
CREATE TABLE rule_simpson AS
SELECT i AS id, 1.0::float8 AS x,
       CASE WHEN i <= 200 THEN 'F' ELSE 'M' END AS gender,
       CASE WHEN i <= 20 OR i BETWEEN 201 AND 380 THEN 'easy' ELSE 'hard' END AS dept,
       CASE WHEN i <= 20 THEN 1                            -- F easy: 20 of 20
            WHEN i <= 200 THEN (i <= 137)::int             -- F hard: 117 of 180
            WHEN i <= 380 THEN (i <= 370)::int             -- M easy: 170 of 180
            ELSE (i <= 390)::int END AS y                  -- M hard: 10 of 20
FROM generate_series(1, 400) i;
SET client_min_messages = warning;
SELECT version FROM ml_train('rule_simpson', 'rule_simpson', 'y', 'logistic', features => ARRAY['x'], deploy => 'never');
SELECT version FROM ml_rule('rule_simpson', 'CASE WHEN x > 0 THEN 1 ELSE 0 END', 'always_one');
SELECT version FROM ml_deploy('rule_simpson', 2);
RESET client_min_messages;
SELECT slice, n, round((metrics->>'accuracy')::numeric, 4) AS accuracy, round(gap::numeric, 4) AS gap, flagged
FROM ml_evaluate_slices('rule_simpson', 'rule_simpson', 'gender');
SELECT slice, n, round((metrics->>'accuracy')::numeric, 4) AS accuracy, round(gap::numeric, 4) AS gap, flagged
FROM ml_evaluate_slices('rule_simpson', 'rule_simpson', 'dept || ''/'' || gender');

-- slices: NULLs are a slice of their own; hostile slices refused
SELECT slice, n FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'CASE WHEN grp = ''tiny'' THEN NULL ELSE grp END');
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', '1) AS x, * FROM pg_authid --');
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'grp; DROP TABLE rule_groups');
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', '(WITH d AS (DELETE FROM rule_groups RETURNING 1) SELECT count(*) FROM d)');
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'random() > 0.5');
CREATE SEQUENCE rule_seq;
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'nextval(''rule_seq'')');
SELECT nextval('rule_seq') AS never_called_before;
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', 'no_such_column');
SELECT * FROM ml_evaluate_slices('rule_groups', 'rule_groups', NULL);
SELECT * FROM ml_evaluate_slices('no_such_project', 'rule_groups', 'grp');
SELECT count(*) AS rows_left FROM rule_groups;

DROP TABLE rule_loans, rule_groups, rule_simpson;
DROP SEQUENCE rule_seq;
