-- search: ml_search (grid, random, bayes / TPE, halving), resumption, the
-- test split kept out of selection, failed trials, nested keys, the model
-- selection helpers, decision thresholds, bad input
\i test/regress/datasets.sql

-- grid search enumerates exactly the cartesian product, in order
SELECT count(*) AS trials, count(DISTINCT params) AS distinct_params,
       bool_and(status = 'finished') AS all_finished, count(*) FILTER (WHERE best) AS best_rows
FROM ml_search('s_grid', 'diabetes_train', 'target', 'elastic_net',
               '{"alpha": [0.001, 0.01, 0.1], "l1_ratio": [0.2, 0.5, 0.8]}', method => 'grid', deploy => 'never');
SELECT trial, params FROM ml_search('s_grid', 'diabetes_train', 'target', 'elastic_net',
               '{"alpha": [0.001, 0.01, 0.1], "l1_ratio": [0.2, 0.5, 0.8]}', method => 'grid', deploy => 'never')
WHERE trial IN (1, 2, 4, 9) ORDER BY trial;

-- random and TPE honour bounds, integers and log scales; 30 trials each
CREATE TEMP TABLE draws AS
SELECT m AS method, s.params, s.score, s.status
FROM unnest(ARRAY['random', 'bayes']) m,
     LATERAL ml_search('s_' || m, 'bc_train', 'target', 'gbdt',
                       '{"learning_rate": {"log_uniform": [0.01, 0.5]}, "max_depth": {"int_uniform": [2, 5]},
                         "subsample": {"uniform": [0.5, 1]}, "objective": ["auto", "logloss"]}',
                       method => m, trials => 30, params => '{"n_trees": 20}', deploy => 'never') s;
SELECT method, count(*) AS trials,
       bool_and((params->>'learning_rate')::float8 BETWEEN 0.01 AND 0.5) AS lr_in_bounds,
       bool_and((params->>'max_depth')::float8 = round((params->>'max_depth')::float8)
                AND (params->>'max_depth')::int BETWEEN 2 AND 5) AS depth_int_in_bounds,
       bool_and((params->>'subsample')::float8 BETWEEN 0.5 AND 1) AS subsample_in_bounds,
       bool_and(params->>'objective' IN ('auto', 'logloss')) AS choices_only,
       bool_and((params->>'n_trees')::int = 20) AS fixed_kept,
       count(DISTINCT params->>'max_depth') AS depths_seen
FROM draws GROUP BY method ORDER BY method;
-- log scale: about half of the random learning rates fall below the
-- geometric mean of the bounds (0.0707); on a linear scale an eighth would
SELECT count(*) FILTER (WHERE (params->>'learning_rate')::float8 < sqrt(0.01 * 0.5)) BETWEEN 8 AND 22 AS log_scale
FROM draws WHERE method = 'random';

-- the same seed gives the same trials; another seed others
SELECT (SELECT array_agg(params ORDER BY trial) FROM ml_search('s_seed_a', 'bc_train', 'target', 'tree',
            '{"max_depth": {"int_uniform": [1, 12]}, "min_samples_leaf": {"int_uniform": [1, 30]}}',
            method => 'bayes', trials => 8, deploy => 'never'))
     = (SELECT array_agg(params ORDER BY trial) FROM ml_search('s_seed_b', 'bc_train', 'target', 'tree',
            '{"max_depth": {"int_uniform": [1, 12]}, "min_samples_leaf": {"int_uniform": [1, 30]}}',
            method => 'bayes', trials => 8, deploy => 'never')) AS same_seed_same_trials,
       (SELECT array_agg(params ORDER BY trial) FROM ml_search('s_seed_a', 'bc_train', 'target', 'tree',
            '{"max_depth": {"int_uniform": [1, 12]}, "min_samples_leaf": {"int_uniform": [1, 30]}}',
            method => 'bayes', trials => 8, deploy => 'never'))
     <> (SELECT array_agg(params ORDER BY trial) FROM ml_search('s_seed_c', 'bc_train', 'target', 'tree',
            '{"max_depth": {"int_uniform": [1, 12]}, "min_samples_leaf": {"int_uniform": [1, 30]}}',
            method => 'bayes', trials => 8, seed => 7, deploy => 'never')) AS other_seed_other_trials;

-- more trials resume the search: the first ones are read back, not rerun,
-- and the longer search is the one a single call would have run
CREATE TEMP TABLE r4 AS SELECT * FROM ml_search('s_resume', 'bc_train', 'target', 'knn',
    '{"k": {"int_uniform": [1, 40]}}', method => 'bayes', trials => 4, deploy => 'never');
CREATE TEMP TABLE r8 AS SELECT * FROM ml_search('s_resume', 'bc_train', 'target', 'knn',
    '{"k": {"int_uniform": [1, 40]}}', method => 'bayes', trials => 8, deploy => 'never');
CREATE TEMP TABLE r8_once AS SELECT * FROM ml_search('s_resume_once', 'bc_train', 'target', 'knn',
    '{"k": {"int_uniform": [1, 40]}}', method => 'bayes', trials => 8, deploy => 'never');
SELECT (SELECT count(*) FROM r8) AS trials,
       (SELECT bool_and(r4.run_id = r8.run_id AND r4.score = r8.score) FROM r4 JOIN r8 USING (trial)) AS first_four_reused,
       (SELECT array_agg(params ORDER BY trial) FROM r8) = (SELECT array_agg(params ORDER BY trial) FROM r8_once) AS same_as_one_call,
       (SELECT count(*) FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
        WHERE p.name = 's_resume' AND e.kind = 'search') AS search_experiments;

-- the test split never takes part in selection: a copy of breast cancer
-- whose test rows have their labels flipped gives the same trials and the
-- same cross-validated scores; only the refit's test score differs
CREATE VIEW bc_flipped AS
SELECT mean_radius, mean_texture, mean_area, worst_radius, worst_concave_points, worst_area,
       CASE WHEN part = 'test' THEN 1 - target ELSE target END AS target, part FROM bc_split;
CREATE VIEW bc_plain AS
SELECT mean_radius, mean_texture, mean_area, worst_radius, worst_concave_points, worst_area, target, part FROM bc_split;
CREATE TEMP TABLE s_plain AS SELECT * FROM ml_search('s_plain', 'bc_plain', 'target', 'knn',
    '{"k": {"int_uniform": [1, 30]}, "weights": ["uniform", "distance"]}', method => 'bayes', trials => 10,
    params => '{"split": "column", "split_column": "part"}', deploy => 'never');
CREATE TEMP TABLE s_flip AS SELECT * FROM ml_search('s_flip', 'bc_flipped', 'target', 'knn',
    '{"k": {"int_uniform": [1, 30]}, "weights": ["uniform", "distance"]}', method => 'bayes', trials => 10,
    params => '{"split": "column", "split_column": "part"}', deploy => 'never');
SELECT bool_and(a.params = b.params AND a.score = b.score AND a.best = b.best) AS selection_ignores_test
FROM s_plain a JOIN s_flip b USING (trial);
SELECT p.name, round((x.value)::numeric, 2) < 0.5 AS flipped_test_scores_low
FROM mlsql.projects p JOIN mlsql.models m ON m.project_id = p.id JOIN mlsql.metrics x ON x.run_id = m.run_id
WHERE p.name IN ('s_plain', 's_flip') AND x.split = 'test' AND x.name = 'accuracy' ORDER BY 1;

-- every trial is a run of the search experiment with per-fold scores,
-- mean, std and time; the refit is a child of the best trial's run
SELECT count(*) FILTER (WHERE m.step IS NOT NULL) AS fold_scores,
       count(*) FILTER (WHERE m.step IS NULL AND m.name = 'accuracy') AS means,
       count(*) FILTER (WHERE m.name = 'accuracy_std') AS stds
FROM s_plain s JOIN mlsql.metrics m ON m.run_id = s.run_id AND m.split = 'validation';
SELECT r.parent_run_id = (SELECT run_id FROM s_plain WHERE best) AS refit_child_of_best,
       r.params @> (SELECT params - 'split' - 'split_column' FROM s_plain WHERE best) AS refit_params,
       (SELECT bool_and(train_seconds >= 0) FROM mlsql.runs WHERE id IN (SELECT run_id FROM s_plain)) AS timed
FROM mlsql.runs r JOIN mlsql.models m ON m.run_id = r.id JOIN mlsql.projects p ON p.id = m.project_id
WHERE p.name = 's_plain';

-- a failing combination is a failed trial with its error; the search goes on
SELECT trial, params, status, score IS NOT NULL AS scored, best
FROM ml_search('s_fail', 'bc_train', 'target', 'knn', '{"k": [0, 5, 100000]}', method => 'grid', deploy => 'never')
ORDER BY trial;
SELECT status, error FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 's_fail' AND status = 'failed' ORDER BY r.id;
SELECT * FROM ml_search('s_allfail', 'bc_train', 'target', 'knn', '{"k": [0]}', method => 'grid');
SELECT count(*) AS nothing_written FROM mlsql.projects WHERE name = 's_allfail';

-- halving: the pruned are recorded as such; the survivors use every row
SELECT status, count(*), min(score) IS NOT NULL AS scored
FROM ml_search('s_halving', 'bc_train', 'target', 'knn', '{"k": {"int_uniform": [1, 30]}}',
               method => 'halving', trials => 9, deploy => 'never')
GROUP BY status ORDER BY status;

-- nested keys reach ensemble members
SELECT count(*) AS trials, bool_and(params->'base'->>'algorithm' = 'tree') AS base_kept,
       bool_and((params->'base'->>'max_depth')::int IN (2, 4)) AS nested_set
FROM ml_search('s_nested', 'bc_train', 'target', 'bagging', '{"base.max_depth": [2, 4]}', method => 'grid',
               params => '{"base": {"algorithm": "tree"}, "n_estimators": 5}', deploy => 'never');
SELECT count(*) AS trials, bool_and((params->'estimators'->1->>'k')::int BETWEEN 3 AND 9) AS member_set
FROM ml_search('s_nested2', 'bc_train', 'target', 'voting', '{"estimators.1.k": {"int_uniform": [3, 9]}}',
               trials => 3, params => '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "knn"}]}',
               deploy => 'never');

-- model selection helpers
SELECT fold, train_rows + validation_rows AS rows, (validation_metrics->>'accuracy')::float8 > 0.9 AS good,
       train_metrics ? 'accuracy' AS has_train
FROM ml_cross_validate('bc_train', 'target', 'logistic', folds => 4) ORDER BY fold;
SELECT train_size, train_rows, train_score >= validation_score AS train_above_validation
FROM ml_learning_curve('bc_train', 'target', 'tree', '{"max_depth": 3}', sizes => '{0.2,0.6,1}',
                       folds => 3, project => 's_curve') ORDER BY train_size;
SELECT xml_is_well_formed(ml_plot('learning_curve', e.id)) AS svg,
       (length(ml_plot('learning_curve', e.id)) - length(replace(ml_plot('learning_curve', e.id), '<circle', ''))) / 7 AS points
FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id WHERE p.name = 's_curve';
SELECT algorithm, trials, cv_score > 0.85 AS good_cv, test_score > 0.85 AS good_test, version IS NOT NULL AS refit
FROM ml_compare('s_compare', 'bc_train', 'target', '{logistic,knn,tree}', 4) ORDER BY algorithm;
SELECT count(*) FILTER (WHERE deployed) AS deployed_models FROM mlsql.leaderboard WHERE project = 's_compare';
SELECT param, importance BETWEEN 0 AND 1 AS share, n_values
FROM ml_param_importance((SELECT e.id FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
                          WHERE p.name = 's_random' AND e.kind = 'search'))
ORDER BY param;

-- decision thresholds for binary classifiers
SELECT count(*) AS points, bool_and(recall IS NULL OR recall BETWEEN 0 AND 1) AS recall_ok,
       max(recall) FILTER (WHERE threshold = 0) AS recall_at_0
FROM ml_threshold_curve('s_compare@1', 'bc_train');
SELECT count(*) FILTER (WHERE ml_predict('s_compare@1', b) = 1) AS positives_default FROM bc_train b;
SELECT ml_set_threshold('s_compare@1', 0.99) IS NOT NULL AS set;
SELECT count(*) FILTER (WHERE ml_predict('s_compare@1', b) = 1)
       = (SELECT count(*) FILTER (WHERE (ml_predict_proba('s_compare@1', b))[2] >= 0.99) FROM bc_train b) AS honoured
FROM bc_train b;
SELECT ml_set_threshold('s_compare@1', NULL) IS NOT NULL AS cleared;
SELECT ml_set_threshold('s_compare@1', 1.5);
SELECT ml_set_threshold('s_grid@1', 0.5);
SELECT * FROM ml_threshold_curve('s_grid@1', 'diabetes_train');

-- bad input: clear errors, nothing written
SELECT count(*) AS runs_before FROM mlsql.runs \gset
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": {"normal": [1, 2]}}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": {"int_uniform": [9, 2]}}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": []}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"depth": [1, 2]}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": {"log_uniform": [0, 2]}}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": [1, 2]}', trials => 0);
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": [1, 2]}', folds => 1);
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": [1, 2]}', metric => 'r2');
SELECT * FROM ml_search('s_bad', 'diabetes_train', 'target', 'tree', '{"max_depth": [1, 2]}', metric => 'accuracy');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": [1, 2]}', params => '{"max_depth": 3}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": {"uniform": [1, 2]}}', method => 'grid');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth": [1, 2]}', method => 'annealing');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '[1, 2]');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'bagging', '{"estimators.0.k": [1, 2]}');
SELECT * FROM ml_search('s_bad', 'bc_train', 'target', 'tree', '{"max_depth.x": [1, 2]}');
SELECT * FROM ml_compare('s_bad', 'bc_train', 'target', '{voting}');
SELECT * FROM ml_cross_validate('bc_train', 'target', 'logistic', folds => 1);
SELECT * FROM ml_learning_curve('bc_train', 'target', 'logistic', sizes => '{0,0.5}');
SELECT count(*) - :runs_before AS runs_written FROM mlsql.runs;
