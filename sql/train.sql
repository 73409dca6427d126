-- train: ml_train on scikit-learn's data, the catalog rows it writes,
-- reproducibility, and agreement with scikit-learn
\i test/regress/datasets.sql

-- acceptance: logistic regression on breast cancer (30 features, 25% test)
SELECT project, version, algorithm, task, deployed,
       metrics->>'split' AS split,
       (metrics->>'accuracy')::float8 >= 0.95 AS accuracy_ok,
       (metrics->>'roc_auc')::float8 >= 0.98 AS roc_auc_ok,
       (metrics->>'accuracy')::float8 > (baseline->>'accuracy')::float8 AS beats_baseline,
       round((baseline->>'roc_auc')::numeric, 3) AS baseline_roc_auc
FROM ml_train('cancer', 'bc_train', 'target', 'logistic');

-- the run and what it recorded
SELECT r.algorithm, r.status, r.seed, r.task, r.n_train, r.n_test,
       r.params, r.train_seconds >= 0 AS timed, r.rows_per_second > 0 AS has_rate,
       r.peak_memory_bytes > 0 AS has_memory, r.mlsql_version,
       r.pg_version = current_setting('server_version') AS pg_version_ok,
       e.kind, e.config->>'source' AS source, e.config->'features'->>0 AS first_feature
FROM mlsql.runs r JOIN mlsql.experiments e ON e.id = r.experiment_id
JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'cancer' AND r.parent_run_id IS NULL;

-- final metrics on both splits, and the baseline as a child run
SELECT r.algorithm, m.split, array_agg(m.name ORDER BY m.name) AS metrics
FROM mlsql.metrics m JOIN mlsql.runs r ON r.id = m.run_id
JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'cancer' AND m.step IS NULL AND m.name NOT IN ('n_iter', 'converged')
GROUP BY 1, 2 ORDER BY 1, 2;

-- the baseline predicts the majority class: its accuracy is that class's share
SELECT abs(m.value - (SELECT count(*) FILTER (WHERE target = 1)::float8 / count(*)
                      FROM bc)) < 0.01 AS baseline_is_majority
FROM mlsql.metrics m JOIN mlsql.runs r ON r.id = m.run_id
WHERE r.algorithm = 'baseline' AND m.split = 'train' AND m.name = 'accuracy'
  AND r.project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer');

-- the loss curve: one train log_loss per L-BFGS iteration, going down
SELECT count(*) = (SELECT value FROM mlsql.metrics mm WHERE mm.run_id = m.run_id AND mm.name = 'n_iter') AS one_per_iteration,
       (array_agg(value ORDER BY step))[1] > (array_agg(value ORDER BY step DESC))[1] AS decreasing,
       min(step) AS first_step
FROM mlsql.metrics m
WHERE m.name = 'log_loss' AND m.step IS NOT NULL
  AND m.run_id = (SELECT run_id FROM mlsql.models WHERE version = 1
                  AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer'))
GROUP BY m.run_id;

-- the model row, its hash and the data version
SELECT mo.version, mo.algorithm, mo.size_bytes = octet_length(mo.model) AS size_ok,
       mo.hash = encode(sha256(mo.model), 'hex') AS hash_ok,
       substr(mo.model, 1, 4) AS magic,
       d.n_rows, d.fingerprint ~ '^[0-9a-f]{16}$' AS fingerprint_ok,
       jsonb_array_length(d.columns) AS n_columns,
       d.columns->30->>'name' AS target, d.columns->30->>'role' AS role, d.columns->30->>'distinct' AS classes
FROM mlsql.models mo JOIN mlsql.runs r ON r.id = mo.run_id
JOIN mlsql.datasets d ON d.id = r.dataset_id
WHERE mo.project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer');

SELECT p.name, p.task, p.owner = current_user::regrole AS owner_ok, count(dp.*) AS deployments
FROM mlsql.projects p LEFT JOIN mlsql.deployments dp ON dp.project_id = p.id
GROUP BY 1, 2, 3;

-- same data and seed: byte-identical model; another seed: another split
SELECT version, deployed FROM ml_train('cancer', 'bc_train', 'target', 'logistic', deploy => 'never');
SELECT version FROM ml_train('cancer', 'bc_train', 'target', 'logistic', seed => 7, deploy => 'never');
SELECT a.model = b.model AS same_seed_identical, a.model <> c.model AS other_seed_differs
FROM mlsql.models a, mlsql.models b, mlsql.models c
WHERE a.version = 1 AND b.version = 2 AND c.version = 3
  AND a.project_id = b.project_id AND b.project_id = c.project_id
  AND a.project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer');

-- the split is a function of the row: a shuffled source gives the same test rows,
-- so the same metrics
SELECT (a.metrics->>'accuracy') = (b.metrics->>'accuracy') AS same_accuracy,
       abs((a.metrics->>'log_loss')::float8 - (b.metrics->>'log_loss')::float8) < 1e-9 AS same_log_loss
FROM ml_train('order_a', 'SELECT * FROM bc_train', 'target', 'logistic', deploy => 'never') a,
     ml_train('order_b', 'SELECT * FROM bc_train ORDER BY md5(mean_radius::text)', 'target', 'logistic', deploy => 'never') b;

-- ridge and least squares match scikit-learn (Ridge, LinearRegression) within 1e-6
CREATE TEMP TABLE ridge_ref (alpha float8, intercept float8, coef_0 float8, coef_1 float8,
    coef_2 float8, coef_3 float8, coef_4 float8, coef_5 float8, coef_6 float8, coef_7 float8,
    coef_8 float8, coef_9 float8);
\copy ridge_ref FROM 'test/fixtures/ridge_diabetes.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ridge_models AS
SELECT r.alpha, t.model_id, t.task
FROM ridge_ref r,
     LATERAL ml_train('diabetes_ridge', 'diabetes_train', 'target', 'linear',
                      jsonb_build_object('alpha', r.alpha), test_size => 0, deploy => 'never') t;
SELECT r.alpha, m.task,
       abs((ml_model_info(m.model_id)->'model'->>'intercept')::float8 - r.intercept) < 1e-6 AS intercept_ok,
       (SELECT bool_and(abs((ml_model_info(m.model_id)->'model'->'coef'->>j)::float8
                             - (ARRAY[r.coef_0, r.coef_1, r.coef_2, r.coef_3, r.coef_4, r.coef_5,
                                      r.coef_6, r.coef_7, r.coef_8, r.coef_9])[j + 1]) < 1e-6)
        FROM generate_series(0, 9) j) AS coef_ok
FROM ridge_ref r JOIN ridge_models m USING (alpha)
ORDER BY r.alpha;

-- regression metrics and the baseline (mean) on the held-out split
SELECT task, (metrics->>'r2')::float8 > 0.3 AS r2_ok, (baseline->>'r2')::float8 <= 0 AS baseline_r2_not_positive,
       (metrics->>'rmse')::float8 < (baseline->>'rmse')::float8 AS beats_baseline,
       metrics ? 'mae' AS has_mae
FROM ml_train('diabetes', 'diabetes_train', 'target', 'linear', '{"alpha": 0.1}');

-- logistic matches scikit-learn's StandardScaler + LogisticRegression(C = 1 / alpha)
CREATE TEMP TABLE logit_ref (id int, p0 float8, p1 float8);
\copy logit_ref FROM 'test/fixtures/logistic_breast_cancer.csv' WITH (FORMAT csv, HEADER true)
SELECT version FROM ml_train('cancer_all', 'bc_train', 'target', 'logistic',
                             '{"tol": 1e-10, "max_iter": 10000}', test_size => 0);
SELECT max(abs((ml_predict_proba('cancer_all', b))[2] - r.p1)) < 1e-4 AS proba_matches_sklearn
FROM bc b JOIN logit_ref r USING (id);

-- multinomial with text labels (iris)
SELECT task, algorithm, (metrics->>'accuracy')::float8 >= 0.9 AS accuracy_ok,
       (metrics->>'roc_auc')::float8 >= 0.95 AS roc_auc_ok
FROM ml_train('iris', 'iris_train', 'species', 'logistic');
SELECT ml_classes('iris') AS classes;
CREATE TEMP TABLE iris_ref (id int, p0 float8, p1 float8, p2 float8);
\copy iris_ref FROM 'test/fixtures/logistic_iris.csv' WITH (FORMAT csv, HEADER true)
SELECT version FROM ml_train('iris_all', 'iris_train', 'species', 'logistic',
                             '{"tol": 1e-10, "max_iter": 10000}', test_size => 0);
SELECT max(greatest(abs(p[1] - r.p0), abs(p[2] - r.p1), abs(p[3] - r.p2))) < 1e-4 AS proba_matches_sklearn
FROM (SELECT id, ml_predict_proba('iris_all', i) AS p FROM iris i) s JOIN iris_ref r USING (id);

-- "linear" on a classification target is logistic regression
SELECT algorithm, task FROM ml_train('cancer_linear', 'bc_train', 'target');

-- task inference and override
SELECT task FROM ml_train('infer_int', 'SELECT mean_radius, target FROM bc', 'target', 'baseline');
SELECT task FROM ml_train('infer_float', 'SELECT mean_radius, mean_area FROM bc', 'mean_area', 'baseline');
SELECT task FROM ml_train('infer_many_ints', 'SELECT mean_radius, id FROM bc', 'id', 'baseline');
SELECT task FROM ml_train('infer_bool', 'SELECT mean_radius, target = 1 AS benign FROM bc', 'benign', 'logistic');
SELECT task, (metrics->>'r2') IS NOT NULL AS has_r2
FROM ml_train('override', 'SELECT mean_radius, target FROM bc', 'target', 'linear', task => 'regression');
SELECT ml_classes('infer_bool');

-- test_size 0 trains on every row and says so
SELECT metrics->>'split' AS split FROM ml_train('all_rows', 'bc_train', 'target', 'logistic', test_size => 0);
SELECT n_train, n_test FROM mlsql.runs
WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'all_rows') AND parent_run_id IS NULL;

-- source forms: schema-qualified and quoted names, WITH queries
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Odd Table" AS SELECT mean_radius AS "Radius", target AS "Label" FROM bc;
SELECT task, version FROM ml_train('quoted', '"My Schema"."Odd Table"', 'Label', 'logistic');
SELECT ml_predict('quoted', t) = "Label" AS ok, count(*) FROM "My Schema"."Odd Table" t GROUP BY 1 ORDER BY 1;
SELECT task FROM ml_train('with_query', 'WITH x AS (SELECT * FROM bc_train) SELECT * FROM x', 'target', 'baseline');
