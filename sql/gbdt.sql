-- gbdt: gradient-boosted trees against XGBoost 1.7 hist (fixtures from
-- test/ref/make_fixtures.py), early stopping and the loss curve, native
-- missing values, leaf-wise growth, thread-independent bytes, bad input
\i test/regress/datasets.sql

CREATE TEMP TABLE xgb_ref (dataset text, metric text, score float8);
\copy xgb_ref FROM 'test/fixtures/gbdt_xgboost.csv' WITH (FORMAT csv, HEADER true)

-- held-out scores with XGBoost's settings (100 rounds, learning rate 0.1,
-- depth 6, 255 bins): within 0.005 (accuracy, AUC) or 0.01 (r2)
CREATE TEMP TABLE gb_scores AS
SELECT d.dataset, t.metrics
FROM (VALUES ('breast_cancer', 'bc_split', 'target'), ('iris', 'iris_split', 'species'),
             ('wine', 'wine_split', 'cultivar'), ('diabetes', 'diabetes_split', 'target')) d(dataset, src, target),
     ml_train('gb_' || d.dataset, d.src, d.target, 'gbdt',
              '{"split": "column", "split_column": "part"}') t;
SELECT r.dataset, r.metric, round((s.metrics->>r.metric)::numeric, 4) AS mlsql, round(r.score::numeric, 4) AS xgboost,
       abs((s.metrics->>r.metric)::float8 - r.score) <= CASE r.metric WHEN 'r2' THEN 0.01 ELSE 0.005 END AS within
FROM xgb_ref r JOIN gb_scores s USING (dataset)
ORDER BY 1, 2;

-- the model: flat trees, one per round (binary), k per round (multiclass)
SELECT ml_model_info('gb_breast_cancer')->'model'->>'trees' AS bc_trees,
       ml_model_info('gb_wine')->'model'->>'trees' AS wine_trees,
       ml_model_info('gb_wine')->'model'->>'objective' AS wine_objective;

-- the loss curve: train and validation loss every round, and early stopping
-- keeps the best round (validation rows carved from the training split)
SELECT run_id AS es_run FROM ml_train('gb_es', 'bc_split', 'target', 'gbdt',
    '{"split": "column", "split_column": "part", "n_trees": 1000, "learning_rate": 0.3,
      "early_stopping_rounds": 10}', deploy => 'never') \gset
SELECT (SELECT value FROM mlsql.metrics WHERE run_id = :es_run AND name = 'best_iteration') < 1000 AS stopped_early,
       (SELECT value FROM mlsql.metrics WHERE run_id = :es_run AND name = 'n_trees')
     = (SELECT value FROM mlsql.metrics WHERE run_id = :es_run AND name = 'best_iteration') AS kept_best,
       (SELECT min(value) FROM mlsql.metrics WHERE run_id = :es_run AND split = 'validation' AND name = 'log_loss'
          AND step IS NOT NULL)
     = (SELECT value FROM mlsql.metrics WHERE run_id = :es_run AND split = 'validation' AND name = 'log_loss'
          AND step = (SELECT value FROM mlsql.metrics WHERE run_id = :es_run AND name = 'best_iteration')) AS best_is_lowest,
       (SELECT count(*) FROM mlsql.metrics WHERE run_id = :es_run AND split = 'train' AND name = 'log_loss' AND step IS NOT NULL)
     = (SELECT max(step) FROM mlsql.metrics WHERE run_id = :es_run AND split = 'validation' AND name = 'log_loss') AS curve_every_round;
-- the train loss falls round after round
SELECT bool_and(value < prev) AS train_loss_falls
FROM (SELECT value, lag(value) OVER (ORDER BY step) AS prev FROM mlsql.metrics
      WHERE run_id = :es_run AND split = 'train' AND name = 'log_loss' AND step IS NOT NULL) s
WHERE prev IS NOT NULL;

-- missing values: NULLs that say something about the target.  Native
-- routing (no imputation) beats mean imputation of the same columns.
CREATE TEMP VIEW bc_missing AS
SELECT CASE WHEN (id::bigint * 7919) % 10 < CASE WHEN target = 1 THEN 4 ELSE 0 END THEN NULL ELSE worst_perimeter END AS worst_perimeter,
       CASE WHEN (id::bigint * 104729) % 10 < 2 THEN NULL ELSE mean_texture END AS mean_texture,
       CASE WHEN (id::bigint * 7919) % 10 < CASE WHEN target = 1 THEN 4 ELSE 0 END THEN NULL ELSE worst_concave_points END AS worst_concave_points,
       CASE WHEN (id::bigint * 15485863) % 10 < 2 THEN NULL ELSE worst_smoothness END AS worst_smoothness,
       target, CASE WHEN id % 4 = 0 THEN 'test' ELSE 'train' END AS part
FROM bc;
SELECT count(*) FILTER (WHERE worst_perimeter IS NULL OR mean_texture IS NULL) * 1.0 / count(*) > 0.2 AS many_nulls FROM bc_missing;
SELECT (n.metrics->>'log_loss')::float8 < (m.metrics->>'log_loss')::float8 AS native_beats_mean_imputation,
       (n.metrics->>'roc_auc')::float8 >= (m.metrics->>'roc_auc')::float8 AS auc_no_worse
FROM ml_train('gb_native', 'bc_missing', 'target', 'gbdt', '{"split": "column", "split_column": "part"}', deploy => 'never') n,
     ml_train('gb_imputed', 'bc_missing', 'target', 'gbdt',
              '{"split": "column", "split_column": "part", "preprocess": {"*": {"impute": "mean"}}}', deploy => 'never') m;
-- no imputation was needed, and NULL scores
SELECT count(*) AS imputed_columns FROM mlsql.runs r, jsonb_array_elements(r.preprocess) c
WHERE r.project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_native') AND (c->>'imputed')::int > 0;
SELECT ml_predict_proba('gb_native@1', ARRAY[NULL, 20, NULL, 0.1]::float8[])
     = ml_predict_proba('gb_native@1', (SELECT r FROM (SELECT NULL::float8 AS worst_perimeter, 20::float8 AS mean_texture,
                                                         NULL::float8 AS worst_concave_points, 0.1::float8 AS worst_smoothness) r))
       AS null_is_missing,
       (SELECT ml_predict('gb_native@1', b) FROM bc_missing b WHERE worst_perimeter IS NULL LIMIT 1) IS NOT NULL AS row_with_nulls;

-- regression objectives
SELECT o.objective, (t.metrics->>'r2')::float8 > 0.2 AS learns
FROM (VALUES ('squared_error'), ('absolute_error'), ('huber')) o(objective),
     ml_train('gb_db_' || o.objective, 'diabetes_split', 'target', 'gbdt',
              jsonb_build_object('split', 'column', 'split_column', 'part', 'objective', o.objective,
                                 'huber_delta', 50, 'learning_rate', 0.05),
              deploy => 'never') t
ORDER BY 1;

-- leaf-wise growth: at most max_leaves leaves per tree
SELECT model_id AS leafwise FROM ml_train('gb_leafwise', 'bc_split', 'target', 'gbdt',
    '{"split": "column", "split_column": "part", "max_leaves": 8, "max_depth": 20, "n_trees": 20}',
    deploy => 'never') \gset
SELECT (ml_model_info(:leafwise)->'model'->>'leaves')::int <= 8 * 20 AS leaves_bounded,
       (ml_model_info(:leafwise)->'model'->>'leaves')::int > 4 * 20 AS more_than_depth_2,
       (ml_model_info(:leafwise)->'model'->>'trees')::int = 20 AS trees;

-- gain importance; overfitting a tiny set
SELECT method, count(*) AS features, round(sum(importance)::numeric, 6) AS total
FROM ml_feature_importance('gb_breast_cancer') GROUP BY 1;
-- also the share of splits and of cover per feature; each kind sums to 1,
-- and counting splits is not weighing them by gain
SELECT k.kind, count(*) AS features, round(sum(i.importance)::numeric, 9) AS total,
       bool_and(i.importance >= 0) AS nonnegative, min(i.method) = k.kind AS labelled
FROM (VALUES ('gain'), ('split_count'), ('cover')) k(kind), ml_feature_importance('gb_breast_cancer', k.kind) i
GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE abs(g.importance - s.importance) > 1e-6) > 0 AS kinds_differ
FROM ml_feature_importance('gb_breast_cancer', 'gain') g JOIN ml_feature_importance('gb_breast_cancer', 'split_count') s USING (feature);
DO $$ BEGIN PERFORM * FROM ml_feature_importance('gb_breast_cancer', 'weight');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, 'model \d+', 'model N'); END $$;
SELECT (metrics->>'accuracy')::float8 = 1 AS fits_20_rows
FROM ml_train('gb_tiny', 'SELECT * FROM bc_train LIMIT 20', 'target', 'gbdt',
              '{"min_child_weight": 0, "n_trees": 50, "learning_rate": 0.5}', test_size => 0, deploy => 'never');

-- same seed, same bytes with one and with two threads (60 000 rows, so
-- histograms are summed in several chunks; subsampling on); another seed
-- gives another model
CREATE TEMP TABLE synth AS
SELECT i, (i * 7919 % 1000) / 1000.0 AS a, (i * 104729 % 997) / 997.0 AS b,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 15485863 % 991) / 991.0 END AS c,
       ((i * 7919 % 1000) / 1000.0 + (i * 104729 % 997) / 997.0 > 1.0)::int AS y
FROM generate_series(1::bigint, 60000) i;
SET mlsql.threads = 1;
SELECT version FROM ml_train('gb_t1', 'SELECT a, b, c, y FROM synth', 'y', 'gbdt',
    '{"n_trees": 10, "subsample": 0.8, "colsample_bytree": 0.7}', deploy => 'never');
SET mlsql.threads = 2;
SELECT version FROM ml_train('gb_t2', 'SELECT a, b, c, y FROM synth', 'y', 'gbdt',
    '{"n_trees": 10, "subsample": 0.8, "colsample_bytree": 0.7}', deploy => 'never');
SELECT version FROM ml_train('gb_s7', 'SELECT a, b, c, y FROM synth', 'y', 'gbdt',
    '{"n_trees": 10, "subsample": 0.8, "colsample_bytree": 0.7}', seed => 7, deploy => 'never');
RESET mlsql.threads;
SELECT (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_t1'))
     = (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_t2')) AS same_bytes,
       (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_t1'))
     <> (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_s7')) AS seed_matters;
-- three classes: with two threads a round's class trees grow in parallel
-- tasks, and the bytes are still those of one thread
SET mlsql.threads = 1;
SELECT version FROM ml_train('gb_m1', 'SELECT a, b, c, (floor(a * 3))::int % 3 AS k FROM synth WHERE i <= 20000', 'k', 'gbdt',
    '{"n_trees": 5, "subsample": 0.8, "colsample_bytree": 0.7}', deploy => 'never');
SET mlsql.threads = 2;
SELECT version FROM ml_train('gb_m2', 'SELECT a, b, c, (floor(a * 3))::int % 3 AS k FROM synth WHERE i <= 20000', 'k', 'gbdt',
    '{"n_trees": 5, "subsample": 0.8, "colsample_bytree": 0.7}', deploy => 'never');
RESET mlsql.threads;
SELECT (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_m1'))
     = (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_m2')) AS same_bytes_multiclass;

-- ten features on 20 000 rows: with two threads a histogram of one chunk is
-- shared by groups of features, and the bytes are still those of one thread
SET mlsql.threads = 1;
SELECT version FROM ml_train('gb_w1', 'SELECT a, b, c, a * b AS d, a - b AS e, b * c AS f, a + c AS g, sin(a * 9) AS h, cos(b * 7) AS j, (i % 17)::float8 AS k, y FROM synth WHERE i <= 20000', 'y', 'gbdt',
    '{"n_trees": 5, "max_depth": 5}', deploy => 'never');
SET mlsql.threads = 2;
SELECT version FROM ml_train('gb_w2', 'SELECT a, b, c, a * b AS d, a - b AS e, b * c AS f, a + c AS g, sin(a * 9) AS h, cos(b * 7) AS j, (i % 17)::float8 AS k, y FROM synth WHERE i <= 20000', 'y', 'gbdt',
    '{"n_trees": 5, "max_depth": 5}', deploy => 'never');
RESET mlsql.threads;
SELECT (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_w1'))
     = (SELECT md5(model) FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_w2')) AS same_bytes_feature_groups;

-- ml_explain: TreeSHAP contributions plus the bias sum to the raw output,
-- here the log-odds of class 1 (brute-force Shapley checks are in the C unit
-- tests); the record form maps columns by name and shows preprocessed values
SELECT count(*) > 100 AS many_rows, max(abs(total - ln(p / (1 - p)))) < 1e-9 AS sums_to_log_odds
FROM (SELECT (ml_predict_proba('gb_breast_cancer', b))[2] AS p,
             (SELECT sum(contribution) FROM ml_explain('gb_breast_cancer', b)) AS total
      FROM bc_split b) s
WHERE p BETWEEN 0.001 AND 0.999;
SELECT feature, round(value::numeric, 4) AS value, contribution <> 0 AS moves
FROM ml_explain('gb_breast_cancer', (SELECT b FROM bc_split b LIMIT 1))
ORDER BY abs(contribution) DESC LIMIT 3;
SELECT count(*) AS rows, count(*) FILTER (WHERE feature = '(bias)' AND value IS NULL) AS bias_rows
FROM ml_explain('gb_breast_cancer', (SELECT b FROM bc_split b LIMIT 1));
-- the float8[] form, NULL as missing, and the model-id form agree
SELECT (SELECT array_agg(contribution ORDER BY feature) FROM ml_explain('gb_native@1', ARRAY[NULL, 20, NULL, 0.1]::float8[]))
     = (SELECT array_agg(contribution ORDER BY feature)
        FROM ml_explain((SELECT id FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'gb_native')),
                        ARRAY[NULL, 20, NULL, 0.1]::float8[])) AS forms_agree;
-- linear models: w x per feature, the intercept as bias
SELECT version FROM ml_train('ex_logit', 'bc_train', 'target', 'logistic', test_size => 0);
SELECT max(abs((SELECT sum(contribution) FROM ml_explain('ex_logit', b))
               - ln((ml_predict_proba('ex_logit', b))[2] / (ml_predict_proba('ex_logit', b))[1]))) < 1e-9 AS logistic_sums
FROM (SELECT * FROM bc_train LIMIT 50) b
WHERE (ml_predict_proba('ex_logit', b))[2] BETWEEN 0.001 AND 0.999;
-- trees and forests: TreeSHAP of the prediction, or of the most probable
-- class's probability (binary: the second class's)
SELECT version FROM ml_train('ex_tree', 'diabetes_train', 'target', 'tree', '{"max_depth": 5}', test_size => 0);
SELECT version FROM ml_train('ex_forest', 'wine_train', 'cultivar', 'forest', '{"n_estimators": 20, "max_depth": 4}', test_size => 0);
SELECT max(abs((SELECT sum(contribution) FROM ml_explain('ex_tree', d)) - ml_predict('ex_tree', d))) < 1e-9 AS tree_sums
FROM diabetes d;
SELECT max(abs((SELECT sum(contribution) FROM ml_explain('ex_forest', w))
               - (SELECT max(x) FROM unnest(ml_predict_proba('ex_forest', w)) x))) < 1e-9 AS forest_sums
FROM wine w;
SELECT version FROM ml_train('ex_knn', 'iris_train', 'species', 'knn', test_size => 0);
SELECT * FROM ml_explain('ex_knn', ARRAY[1, 2, 3, 4]::float8[]);

-- bad input
SELECT ml_train('bad', 'bc_train', 'target', 'gbdt', '{"max_bins": 1}');
SELECT ml_train('bad', 'bc_train', 'target', 'gbdt', '{"learning_rate": 0}');
SELECT ml_train('bad', 'bc_train', 'target', 'gbdt', '{"objective": "huber"}');
SELECT ml_train('bad', 'diabetes_train', 'target', 'gbdt', '{"objective": "softmax"}');
SELECT ml_train('bad', 'bc_train', 'target', 'gbdt', '{"subsample": 1.5}');
SELECT ml_train('bad', 'SELECT * FROM (VALUES (1.0, 0), (2.0, 1)) v(x, y)', 'y', 'gbdt', '{"early_stopping_rounds": 5}', test_size => 0);
SELECT count(*) AS bad_projects FROM mlsql.projects WHERE name = 'bad';

-- ml_import_xgboost: XGBoost 1.7 models saved as JSON (test/fixtures, from
-- test/ref/make_fixtures.py) score the test rows as XGBoost did, within 1e-6
-- (relative; XGBoost sums its leaf values in float32), and the imported
-- breast cancer model's SHAP contributions equal XGBoost's pred_contribs
-- within 1e-4
CREATE TEMP TABLE xgb_pred (dataset text, id int, features float8[], prediction float8[], contribs float8[]);
\copy xgb_pred FROM 'test/fixtures/xgb_predictions.csv' WITH (FORMAT csv, HEADER true)
\set xgb_bc `cat test/fixtures/xgb_breast_cancer.json`
\set xgb_ir `cat test/fixtures/xgb_iris.json`
\set xgb_db `cat test/fixtures/xgb_diabetes.json`
CREATE TEMP TABLE xgb_models AS
SELECT 'breast_cancer' AS dataset, ml_import_xgboost(:'xgb_bc') AS model
UNION ALL SELECT 'iris', ml_import_xgboost(:'xgb_ir')
UNION ALL SELECT 'diabetes', ml_import_xgboost(:'xgb_db', ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']);
SELECT p.dataset, count(*) AS rows,
       max((SELECT max(abs(a - b) / greatest(1, abs(b)))
            FROM unnest(CASE WHEN p.dataset = 'diabetes' THEN ARRAY[ml_predict(m.model, p.features)]
                             ELSE ml_predict_proba(m.model, p.features) END, p.prediction) u(a, b))) < 1e-6 AS equal
FROM xgb_pred p JOIN xgb_models m USING (dataset) GROUP BY 1 ORDER BY 1;
SELECT version, deployed FROM ml_save('xgb_bc', (SELECT model FROM xgb_models WHERE dataset = 'breast_cancer'), 'always');
SELECT ml_model_info('xgb_bc')->'model'->>'trees' AS trees, ml_model_info('xgb_bc')->>'algorithm' AS algorithm;
SELECT count(*) AS contributions,
       max(abs(e.contribution - p.contribs[CASE WHEN e.feature = '(bias)' THEN 31 ELSE substr(e.feature, 2)::int END])) < 1e-4 AS shap_equal
FROM xgb_pred p, ml_explain('xgb_bc', p.features) e WHERE p.contribs IS NOT NULL;
-- the feature names given are the model's; the wrong count is an error
SELECT version FROM ml_save('xgb_db', (SELECT model FROM xgb_models WHERE dataset = 'diabetes'), 'always');
SELECT array_agg(feature ORDER BY feature) FILTER (WHERE feature IN ('age', 'bmi')) AS named
FROM ml_explain('xgb_db', (SELECT features FROM xgb_pred WHERE dataset = 'diabetes' LIMIT 1));
SELECT ml_import_xgboost(:'xgb_db', ARRAY['age']);

-- scoring: rows of floats walk a float copy of the nodes (the smallest float
-- not below each threshold), other rows the double nodes.  Nudging each real
-- up by a relative 2^-40 moves a row off the float grid, to the double walk,
-- and keeps it on the same side of every threshold (midpoints between
-- training values, at least half a float step away): the predictions are the
-- same to the last bit, NULLs (default directions) included, by record, by
-- array and in ml_evaluate's blocks of rows
CREATE TEMP TABLE bc_real AS
SELECT id, target, mean_radius::real AS a, mean_texture::real AS b, (mean_smoothness - 0.1)::real AS c,
       worst_area::real AS d, CASE WHEN id % 9 = 0 THEN NULL ELSE worst_concavity::real END AS e
FROM bc;
SELECT 1 AS trained FROM ml_train('gb_real', 'SELECT target, a, b, c, d, e FROM bc_real', 'target', 'gbdt',
                                  '{"n_trees": 30, "max_depth": 4}');
CREATE TEMP TABLE bc_real_p AS
SELECT r.id,
       ml_predict_proba('gb_real', r)::text AS by_record,
       ml_predict_proba('gb_real', ARRAY[a, b, c, d, e]::float8[])::text AS by_array,
       ml_predict_proba('gb_real', (SELECT array_agg(v + abs(v) * 2 ^ -40 ORDER BY o)
                                    FROM unnest(ARRAY[a, b, c, d, e]::float8[]) WITH ORDINALITY u(v, o)))::text AS nudged
FROM bc_real r;
SELECT count(*) AS rows, count(*) FILTER (WHERE by_record = by_array) AS array_same,
       count(*) FILTER (WHERE by_record = nudged) AS nudged_same
FROM bc_real_p;
CREATE TEMP TABLE bc_real_nudged AS
SELECT id, target, a + abs(a) * 2 ^ -40 AS a, b + abs(b) * 2 ^ -40 AS b, c + abs(c) * 2 ^ -40 AS c,
       d + abs(d) * 2 ^ -40 AS d, e + abs(e) * 2 ^ -40 AS e
FROM bc_real;
SELECT ml_evaluate('gb_real', 'bc_real') = ml_evaluate('gb_real', 'bc_real_nudged') AS evaluate_same;
