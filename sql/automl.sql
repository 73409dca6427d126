-- automl: ml_automl within a small budget on iris (classification) and
-- diabetes (regression); the leaderboard view; the test split scored once;
-- the budget kept; bad input writes nothing.  Which trials finish depends on
-- the machine's speed, so only facts that do not are printed.
\i test/regress/datasets.sql
SET client_min_messages = warning;

-- classification: ten seconds on iris
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE a_iris AS SELECT * FROM ml_automl('auto_iris', 'iris', 'species', '10 seconds');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '10 seconds' + interval '3 seconds' AS within_budget_and_margin;
SELECT project, version, task, deployed, (metrics->>'accuracy')::float8 > 0.8 AS accurate,
       (baseline->>'accuracy')::float8 < 0.5 AS baseline_weak
FROM a_iris;

-- the leaderboard: one baseline, every applicable learner with its defaults,
-- a search, one ensemble; ranks from 1; one run refit, the one deployed
SELECT phase, count(*) > 0 AS present
FROM mlsql.automl_leaderboard WHERE project = 'auto_iris' GROUP BY phase ORDER BY min(run_id);
SELECT count(*) FILTER (WHERE phase = 'baselines') AS baselines,
       count(*) FILTER (WHERE phase = 'ensemble') AS ensembles,
       count(*) FILTER (WHERE phase = 'defaults') >= 5 AS learners_tried,
       bool_and(algorithm <> 'voting' AND algorithm <> 'stacking' AND algorithm <> 'bagging')
           FILTER (WHERE phase <> 'ensemble') AS no_composite_trials,
       bool_and(cv_score IS NOT NULL) FILTER (WHERE status = 'finished') AS scored,
       min(rank) AS best_rank,
       count(*) FILTER (WHERE refit) AS refits,
       round(sum(weight)::numeric, 6) AS weights_sum,
       bool_and(chosen = (weight > 0)) FILTER (WHERE chosen) AS chosen_weighted
FROM mlsql.automl_leaderboard WHERE project = 'auto_iris';
-- the baseline ranks below every learner with its defaults that finished
SELECT bool_and(l.cv_score > b.cv_score) AS learners_beat_baseline
FROM mlsql.automl_leaderboard l, mlsql.automl_leaderboard b
WHERE l.project = 'auto_iris' AND b.project = 'auto_iris' AND b.phase = 'baselines'
  AND l.phase = 'defaults' AND l.status = 'finished';
-- the deployed model is the refit of a leaderboard row, of its algorithm
SELECT a.algorithm = l.algorithm AS deployed_is_refit, d.version = a.version AS live
FROM a_iris a, mlsql.automl_leaderboard l, mlsql.deployed_models d
WHERE l.project = 'auto_iris' AND l.refit AND d.project = 'auto_iris';
-- the test split is scored once, by the refit: no trial has a test metric
SELECT count(*) FILTER (WHERE m.split = 'test') AS trial_test_metrics
FROM mlsql.automl_leaderboard l JOIN mlsql.metrics m ON m.run_id = l.run_id
WHERE l.project = 'auto_iris';
SELECT count(DISTINCT r.id) AS refit_runs_scored_on_test, bool_and(r.id = a.run_id) AS it_is_the_row
FROM mlsql.runs r JOIN mlsql.metrics m ON m.run_id = r.id AND m.split = 'test', a_iris a
WHERE r.parent_run_id IN (SELECT run_id FROM mlsql.automl_leaderboard WHERE project = 'auto_iris');
-- the experiment: kind automl, its plan
SELECT kind, config->>'metric' AS metric, config->>'folds' AS folds, config->>'budget_seconds' AS budget
FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
WHERE p.name = 'auto_iris' AND kind = 'automl';
-- the chosen ensemble refits as a soft vote with the selection's weights
SELECT l.params->>'voting' AS voting,
       jsonb_array_length(l.params->'weights') = jsonb_array_length(l.params->'estimators') AS one_weight_each
FROM mlsql.automl_leaderboard l WHERE l.project = 'auto_iris' AND l.phase = 'ensemble';

-- regression: ten seconds on diabetes
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE a_diab AS SELECT * FROM ml_automl('auto_diab', 'diabetes', 'target', '10 seconds', 'regression');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '10 seconds' + interval '3 seconds' AS within_budget_and_margin;
SELECT project, version, task, deployed, (metrics->>'r2')::float8 > 0.3 AS fits FROM a_diab;
SELECT count(*) FILTER (WHERE phase = 'baselines') AS baselines,
       count(*) FILTER (WHERE phase = 'ensemble') AS ensembles,
       count(*) FILTER (WHERE refit) AS refits,
       min(metric) AS metric,
       bool_and(algorithm IN (SELECT a.algorithm FROM ml_algorithms() a WHERE 'regression' = ANY (tasks)))
           AS regression_learners
FROM mlsql.automl_leaderboard WHERE project = 'auto_diab';
SELECT (SELECT algorithm FROM mlsql.automl_leaderboard WHERE project = 'auto_diab' AND refit)
       = (SELECT algorithm FROM mlsql.deployed_models WHERE project = 'auto_diab') AS deployed_is_refit;

-- the project's rules are phase 1 trials beside the baseline: a rule does not
-- train, its cv score is its key metric on each fold's held-out rows; it
-- stays out of the ensemble (a voting refit trains its members) and is never refit
SELECT version FROM ml_train('auto_bc', 'bc', 'target', 'logistic');
SELECT version FROM ml_rule('auto_bc', 'CASE WHEN worst_area > 800 THEN 0 ELSE 1 END', 'area');
SELECT version FROM ml_automl('auto_bc', 'bc', 'target', '2 seconds');
SELECT version FROM ml_automl('auto_bc', 'SELECT * FROM bc', 'target', '2 seconds');
-- a source without the rule's column: the rule is skipped (a NOTICE)
SELECT version FROM ml_automl('auto_bc', 'SELECT id, mean_radius, mean_texture, target FROM bc', 'target', '1 second');
SELECT dense_rank() OVER (ORDER BY experiment_id) AS call, algorithm, params,
       cv_score > 0 AND cv_score < 1 AS plausible, cv_std >= 0 AS has_std, status, chosen, refit
FROM mlsql.automl_leaderboard WHERE project = 'auto_bc' AND phase = 'baselines'
ORDER BY experiment_id, rank;
-- the same data gives the same score; it is the rule's accuracy on the training
-- split (ml_rule's, on the same split) up to the folds' unequal sizes
SELECT count(*) AS rule_trials, count(DISTINCT l.cv_score) AS distinct_scores,
       bool_and(abs(l.cv_score - m.value) < 0.002) AS matches_rule_train_accuracy
FROM mlsql.automl_leaderboard l, mlsql.runs r
JOIN mlsql.experiments e ON e.id = r.experiment_id AND e.kind = 'rule' AND r.algorithm = 'rule'
JOIN mlsql.metrics m ON m.run_id = r.id AND m.split = 'train' AND m.name = 'accuracy'
JOIN mlsql.projects p ON p.id = r.project_id AND p.name = 'auto_bc'
WHERE l.project = 'auto_bc' AND l.algorithm = 'rule';
SELECT count(*) FILTER (WHERE phase = 'ensemble') AS ensembles,
       bool_and(NOT params->'estimators' @> '[{"algorithm": "rule"}]') FILTER (WHERE phase = 'ensemble')
           AS no_rule_in_ensembles,
       count(*) FILTER (WHERE algorithm = 'rule' AND (chosen OR refit)) AS rules_chosen_or_refit
FROM mlsql.automl_leaderboard WHERE project = 'auto_bc';

-- a second call on the project is another experiment; its refit faces the usual gate
SELECT version, task FROM ml_automl('auto_iris', 'iris', 'species', '2 seconds');
SELECT count(DISTINCT experiment_id) AS calls FROM mlsql.automl_leaderboard WHERE project = 'auto_iris';

-- the leaderboard shows only what the caller may see
CREATE ROLE regress_automl_eve;
SET ROLE regress_automl_eve;
SELECT count(*) AS visible FROM mlsql.automl_leaderboard;
RESET ROLE;
DROP ROLE regress_automl_eve;

-- bad input: clear errors, nothing written
CREATE TEMP TABLE before AS SELECT (SELECT count(*) FROM mlsql.runs) AS runs,
       (SELECT count(*) FROM mlsql.experiments) AS experiments, (SELECT count(*) FROM mlsql.projects) AS projects;
SELECT * FROM ml_automl(NULL, 'iris', 'species');
SELECT * FROM ml_automl('auto_x', NULL, 'species');
SELECT * FROM ml_automl('auto_x', 'iris', NULL);
SELECT * FROM ml_automl('auto_x', 'iris', 'species', NULL);
SELECT * FROM ml_automl('auto_x', 'iris', 'species', '0 seconds');
SELECT * FROM ml_automl('auto_x', 'iris', 'species', '-5 minutes');
SELECT * FROM ml_automl('auto_x', 'iris', 'species', '1 second', 'clustering');
SELECT * FROM ml_automl('auto_x', 'no_such_table', 'species', '1 second');
SELECT * FROM ml_automl('auto_x', 'iris', 'no_such_column', '1 second');
SELECT * FROM ml_automl('auto_x', 'SELECT 1; DROP TABLE iris', 'species', '1 second');
SELECT * FROM ml_automl('auto_iris', 'diabetes', 'target', '1 second');
SELECT * FROM ml_automl('auto_x', 'SELECT * FROM iris WHERE id % 25 = 0', 'species', '1 second');
SELECT * FROM ml_automl('', 'iris', 'species', '1 second');
SELECT (SELECT count(*) FROM mlsql.runs) = runs AS no_runs,
       (SELECT count(*) FROM mlsql.experiments) = experiments AS no_experiments,
       (SELECT count(*) FROM mlsql.projects) = projects AS no_projects
FROM before;
RESET client_min_messages;
