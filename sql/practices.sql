-- practices: ml_sanity_check and ml_label_issues (issue 22, items 1 and 2),
-- on the project's recorded configuration.  Its own fixtures.
\i test/regress/datasets.sql
SET client_min_messages = warning;
-- bc's 30 measurements (not id, not diagnosis: the target as text)
CREATE TEMP TABLE bc_features AS
SELECT array_agg(column_name::text ORDER BY ordinal_position) AS f
FROM information_schema.columns
WHERE table_name = 'bc' AND table_schema = 'public' AND column_name NOT IN ('id', 'target', 'diagnosis');

-- ==== ml_label_issues ====
-- 5 % of bc's labels flipped, chosen by a seeded hash of id (md5: the same everywhere)
CREATE TABLE bc_noisy AS
SELECT b.*, (('x' OPERATOR(pg_catalog.||) substr(md5('flip' || b.id), 1, 8))::bit(32)::int % 20 = 0) AS flipped
FROM bc b;
UPDATE bc_noisy SET target = 1 - target WHERE flipped;
SELECT count(*) FILTER (WHERE flipped) AS flipped, count(*) AS n_rows FROM bc_noisy;
SELECT project, algorithm FROM ml_train('noisy', 'bc_noisy', 'target', 'logistic', features => (SELECT f FROM bc_features));
CREATE TEMP TABLE found AS
SELECT i.*, n AS rank FROM ml_label_issues('noisy', key => 'id') WITH ORDINALITY AS i(row_key, given, suggested, self_confidence, margin, n);
-- precision and recall of the flipped rows among the rows returned
SELECT count(*) AS returned, count(*) FILTER (WHERE b.flipped) AS flipped_found,
       round(count(*) FILTER (WHERE b.flipped)::numeric / count(*), 3) AS precision,
       round(count(*) FILTER (WHERE b.flipped)::numeric / (SELECT count(*) FROM bc_noisy WHERE flipped), 3) AS recall
FROM found f JOIN bc_noisy b ON b.id::text = f.row_key;
SELECT count(*) FILTER (WHERE b.flipped)::float8 / count(*) >= 0.8 AS precision_ok,
       count(*) FILTER (WHERE b.flipped)::float8 / (SELECT count(*) FROM bc_noisy WHERE flipped) >= 0.6 AS recall_ok
FROM found f JOIN bc_noisy b ON b.id::text = f.row_key;
-- each suggestion differs from the given label, margins are negative, most suspicious first
SELECT bool_and(given <> suggested) AS suggests_other, bool_and(margin < 0) AS negative_margin,
       bool_and(self_confidence BETWEEN 0 AND 1) AS confidence_is_probability,
       (SELECT bool_and(a.self_confidence <= b.self_confidence) FROM found a JOIN found b ON b.rank = a.rank + 1) AS ordered
FROM found;
-- the given label is the row's label in the source
SELECT bool_and(f.given = b.target::text) AS given_is_label FROM found f JOIN bc_noisy b ON b.id::text = f.row_key;
-- same data, same seed: the same rows
SELECT count(*) AS same_rows FROM ml_label_issues('noisy', key => 'id') i JOIN found f USING (row_key, given, suggested, self_confidence);
-- without a key, each row is named by itself as JSON
SELECT (row_key::jsonb ->> 'id') = (SELECT row_key FROM found WHERE rank = 1) AS json_names_row,
       (row_key::jsonb ->> 'target') = given AS json_has_label
FROM ml_label_issues('noisy', folds => 5) LIMIT 1;
-- a query source may end with a comment: it is wrapped on a line of its own
SELECT count(*) AS same_rows_from_commented_query
FROM ml_label_issues('noisy', 'SELECT * FROM bc_noisy -- every row', key => 'id') i JOIN found f USING (row_key, given, suggested, self_confidence);
-- recorded: a label_issues experiment, a run with its metrics and the rows as an artifact
SELECT e.kind, e.config ->> 'algorithm' AS algorithm, e.config -> 'folds' AS folds, e.config ->> 'key' AS key,
       count(r.id) AS runs
FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id JOIN mlsql.runs r ON r.experiment_id = e.id
WHERE p.name = 'noisy' AND e.kind = 'label_issues' GROUP BY 1, 2, 3, 4 ORDER BY 4;
SELECT m.name, m.value = (SELECT count(*) FROM found) AS matches_rows
FROM mlsql.metrics m JOIN mlsql.runs r ON r.id = m.run_id JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'noisy' AND m.name = 'label_issues' ORDER BY r.id LIMIT 1;
SELECT a.name, a.content_type, jsonb_array_length(convert_from(a.content, 'UTF8')::jsonb) = (SELECT count(*) FROM found) AS all_rows
FROM mlsql.artifacts a JOIN mlsql.runs r ON r.id = a.run_id JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'noisy' AND a.name = 'label_issues' ORDER BY r.id LIMIT 1;

-- ==== ml_sanity_check ====
-- a clean project: every check passes
SELECT project, algorithm FROM ml_train('clean', 'bc', 'target', 'forest', features => (SELECT f FROM bc_features));
SELECT check_name, passed, value IS NOT NULL AS has_value FROM ml_sanity_check('clean');
SELECT value AS minority_share FROM ml_sanity_check('clean') WHERE check_name = 'class_balance';
-- a planted leak: a feature equal to the target
CREATE VIEW bc_leak AS SELECT b.*, b.target AS outcome_code FROM bc b;
SELECT project FROM ml_train('leaky', 'bc_leak', 'target', 'forest',
                             features => ARRAY['mean_radius', 'mean_texture', 'worst_area', 'outcome_code']);
SELECT check_name, passed, detail LIKE '%outcome_code (1.0000)%' AS names_it
FROM ml_sanity_check('leaky') WHERE check_name = 'single_feature_leakage';
-- the same configuration on another source: the column is constant there, then empty
SELECT check_name, passed, value FROM ml_sanity_check('leaky', 'SELECT b.*, 0 AS outcome_code FROM bc b')
WHERE check_name IN ('single_feature_leakage', 'constant_features', 'empty_features');
SELECT check_name, passed, detail LIKE 'outcome_code is NULL in every row%' AS names_it
FROM ml_sanity_check('leaky', 'SELECT b.*, NULL::float8 AS outcome_code FROM bc b')
WHERE check_name = 'empty_features';
-- duplicated rows under new ids, split by id: the same rows on both sides
CREATE TABLE bc_twice AS
SELECT b.id, b.mean_radius, b.mean_texture, b.worst_area, b.worst_concave_points, b.target FROM bc b
UNION ALL
SELECT b.id + 100000, b.mean_radius, b.mean_texture, b.worst_area, b.worst_concave_points, b.target FROM bc b;
SELECT project FROM ml_train('twice', 'bc_twice', 'target', 'logistic', '{"split_key": "id"}',
                             features => ARRAY['mean_radius', 'mean_texture', 'worst_area', 'worst_concave_points']);
SELECT check_name, passed, value > 0.2 AS large_share FROM ml_sanity_check('twice') WHERE check_name = 'train_test_overlap';
-- a learner that cannot memorize: overfit_small does not apply
SELECT check_name, passed, detail LIKE 'does not apply%' AS not_applicable
FROM ml_sanity_check('twice') WHERE check_name = 'overfit_small';
-- a regression project
SELECT project FROM ml_train('sugar', 'diabetes', 'target', 'tree', task => 'regression');
SELECT check_name, passed FROM ml_sanity_check('sugar') WHERE check_name IN ('overfit_small', 'deterministic', 'shuffled_labels', 'class_balance');
-- recorded: one sanity_check run per call, a metric per check, the rows as an artifact
SELECT p.name, count(DISTINCT r.id) AS runs, count(*) FILTER (WHERE m.name LIKE '%\_passed') / count(DISTINCT r.id) AS checks_per_run
FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id JOIN mlsql.runs r ON r.experiment_id = e.id
JOIN mlsql.metrics m ON m.run_id = r.id
WHERE e.kind = 'sanity_check' GROUP BY 1 ORDER BY 1;
SELECT jsonb_path_query_array(convert_from(a.content, 'UTF8')::jsonb, '$[*].check_name') AS checks
FROM mlsql.artifacts a JOIN mlsql.runs r ON r.id = a.run_id JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'clean' AND a.name = 'sanity_check';
RESET client_min_messages;

-- ==== errors: clear, and nothing written ====
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM mlsql.experiments) AS e, (SELECT count(*) FROM mlsql.runs) AS r,
       (SELECT count(*) FROM mlsql.metrics) AS m, (SELECT count(*) FROM mlsql.artifacts) AS a;
SELECT * FROM ml_sanity_check(NULL);
SELECT * FROM ml_sanity_check('no such project');
SELECT * FROM ml_label_issues(NULL);
SELECT * FROM ml_label_issues('no such project');
SELECT * FROM ml_label_issues('sugar');
SELECT * FROM ml_label_issues('noisy', folds => 1);
SELECT * FROM ml_label_issues('noisy', folds => 21);
SELECT * FROM ml_label_issues('noisy', folds => NULL);
SELECT * FROM ml_label_issues('noisy', key => 'no_such_column');
SELECT * FROM ml_label_issues('noisy', 'bc_noisy; DROP TABLE bc_noisy');
SELECT * FROM ml_sanity_check('noisy', 'WITH d AS (DELETE FROM bc_noisy RETURNING *) SELECT * FROM d');
SELECT * FROM ml_sanity_check('noisy', 'no_such_table');
SELECT (SELECT count(*) FROM mlsql.experiments) = b.e AND (SELECT count(*) FROM mlsql.runs) = b.r
       AND (SELECT count(*) FROM mlsql.metrics) = b.m AND (SELECT count(*) FROM mlsql.artifacts) = b.a AS nothing_written,
       (SELECT count(*) FROM bc_noisy) AS bc_noisy_rows
FROM before b;
