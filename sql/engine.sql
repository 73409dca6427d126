-- engine: ml_train's aggregate and partitions engines against the memory
-- engine on the bundled datasets, plans with 0, 1 and 2 parallel workers,
-- the records they leave, and their errors.
\i test/regress/datasets.sql
SET client_min_messages = warning;
-- the memory engine with the same (random) split and a tight logistic tolerance
SELECT count(*) FROM ml_train('m_lin', 'diabetes_train', 'target', 'linear', '{"split": "random"}', deploy => 'always');
SELECT count(*) FROM ml_train('m_ridge', 'diabetes_train', 'target', 'linear', '{"split": "random", "alpha": 2.5}', deploy => 'always');
SELECT count(*) FROM ml_train('m_nb', 'iris_train', 'species', 'naive_bayes', '{"split": "random"}', deploy => 'always');
SELECT count(*) FROM ml_train('m_base', 'bc_train', 'target', 'baseline', '{"split": "random"}', deploy => 'always');
SELECT count(*) FROM ml_train('m_enet', 'diabetes_train', 'target', 'elastic_net', '{"split": "random", "alpha": 0.1}', deploy => 'always');
SELECT count(*) FROM ml_train('m_lasso', 'diabetes_train', 'target', 'lasso', '{"split": "random", "alpha": 0.05}', deploy => 'always');
SELECT count(*) FROM ml_train('m_log2', 'bc_train', 'target', 'logistic', '{"split": "random", "tol": 1e-10, "max_iter": 100000}', deploy => 'always');
SELECT count(*) FROM ml_train('m_log3', 'wine_train', 'cultivar', 'logistic', '{"split": "random", "tol": 1e-10, "max_iter": 100000, "alpha": 0.5}', deploy => 'always');
SELECT count(*) FROM ml_train('m_km', 'SELECT sepal_length, sepal_width, petal_length, petal_width FROM iris', NULL, 'kmeans', '{"split": "random", "k": 3}', deploy => 'always');
-- the aggregate engine
SELECT count(*) FROM ml_train('a_lin', 'diabetes_train', 'target', 'linear', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('a_ridge', 'diabetes_train', 'target', 'linear', '{"engine": "aggregate", "alpha": 2.5}', deploy => 'always');
SELECT count(*) FROM ml_train('a_nb', 'iris_train', 'species', 'naive_bayes', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('a_base', 'bc_train', 'target', 'baseline', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('a_enet', 'diabetes_train', 'target', 'elastic_net', '{"engine": "aggregate", "alpha": 0.1}', deploy => 'always');
SELECT count(*) FROM ml_train('a_lasso', 'diabetes_train', 'target', 'lasso', '{"engine": "aggregate", "alpha": 0.05}', deploy => 'always');
SELECT count(*) FROM ml_train('a_log2', 'bc_train', 'target', 'logistic', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('a_log3', 'wine_train', 'cultivar', 'logistic', '{"engine": "aggregate", "alpha": 0.5}', deploy => 'always');
SELECT count(*) FROM ml_train('a_km', 'SELECT sepal_length, sepal_width, petal_length, petal_width FROM iris', NULL, 'kmeans', '{"engine": "aggregate", "k": 3}', deploy => 'always');
RESET client_min_messages;

-- the same rows on each side of the split, the same model: exact sums within 1e-9,
-- Newton's optimum within 1e-6 of L-BFGS at tol 1e-10
SELECT 'linear' AS learner, max(abs(ml_predict('a_lin', t) - ml_predict('m_lin', t))) < 1e-9 AS same FROM diabetes_train t
UNION ALL SELECT 'ridge', max(abs(ml_predict('a_ridge', t) - ml_predict('m_ridge', t))) < 1e-9 FROM diabetes_train t
UNION ALL SELECT 'naive_bayes', max(abs(p.a - p.m)) < 1e-9 FROM iris_train t,
    LATERAL (SELECT unnest(ml_predict_proba('a_nb', t)) AS a, unnest(ml_predict_proba('m_nb', t)) AS m) p
UNION ALL SELECT 'baseline', max(abs((ml_predict_proba('a_base', t))[2] - (ml_predict_proba('m_base', t))[2])) < 1e-12 FROM bc_train t
UNION ALL SELECT 'elastic_net', max(abs(ml_predict('a_enet', t) - ml_predict('m_enet', t))) < 1e-9 FROM diabetes_train t
UNION ALL SELECT 'lasso', max(abs(ml_predict('a_lasso', t) - ml_predict('m_lasso', t))) < 1e-9 FROM diabetes_train t
UNION ALL SELECT 'logistic binary', max(abs((ml_predict_proba('a_log2', t))[2] - (ml_predict_proba('m_log2', t))[2])) < 1e-6 FROM bc_train t
UNION ALL SELECT 'logistic multinomial', max(abs(p.a - p.m)) < 1e-6 FROM wine_train t,
    LATERAL (SELECT unnest(ml_predict_proba('a_log3', t)) AS a, unnest(ml_predict_proba('m_log3', t)) AS m) p;

-- the metrics of both engines on the same test rows
SELECT r.project, abs((r.metrics->>k)::float8 - (m.metrics->>k)::float8) < 1e-9 AS same_metric, k AS metric
FROM (SELECT p.name AS project, jsonb_object_agg(me.name, me.value) AS metrics
      FROM mlsql.projects p JOIN mlsql.runs ru ON ru.project_id = p.id AND ru.parent_run_id IS NULL
      JOIN mlsql.metrics me ON me.run_id = ru.id AND me.split = 'test' AND me.step IS NULL
      WHERE p.name LIKE 'a\_%' GROUP BY p.name) r
JOIN (SELECT p.name AS project, jsonb_object_agg(me.name, me.value) AS metrics
      FROM mlsql.projects p JOIN mlsql.runs ru ON ru.project_id = p.id AND ru.parent_run_id IS NULL
      JOIN mlsql.metrics me ON me.run_id = ru.id AND me.split = 'test' AND me.step IS NULL
      WHERE p.name LIKE 'm\_%' GROUP BY p.name) m ON substr(m.project, 3) = substr(r.project, 3),
LATERAL unnest(ARRAY['r2', 'rmse', 'accuracy', 'f1', 'log_loss', 'roc_auc']) k
WHERE r.metrics ? k AND r.project NOT IN ('a_km', 'a_log2', 'a_log3')
ORDER BY 1, 3;
-- logistic: the same decisions, log_loss within 1e-6
SELECT p.name, abs(a.value - m.value) < 1e-6 AS log_loss_close
FROM mlsql.projects p, mlsql.runs ra, mlsql.metrics a, mlsql.projects q, mlsql.runs rm, mlsql.metrics m
WHERE p.name IN ('a_log2', 'a_log3') AND q.name = 'm' || substr(p.name, 2)
  AND ra.project_id = p.id AND ra.parent_run_id IS NULL AND a.run_id = ra.id AND a.split = 'test' AND a.name = 'log_loss' AND a.step IS NULL
  AND rm.project_id = q.id AND rm.parent_run_id IS NULL AND m.run_id = rm.id AND m.split = 'test' AND m.name = 'log_loss' AND m.step IS NULL
ORDER BY 1;
-- kmeans: seeded from a sample, the same clustering up to the cluster numbers
SELECT count(DISTINCT (ml_predict('a_km', t), ml_predict('m_km', t))) AS pairs FROM iris t;

-- the records: the split's row counts, the passes, a loss curve per pass, the data version
SELECT p.name, r.n_train + r.n_test = 442 AS all_rows, r.n_test BETWEEN 80 AND 140 AS about_a_quarter
FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL WHERE p.name = 'a_lin';
SELECT p.name, me.value AS passes
FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL
JOIN mlsql.metrics me ON me.run_id = r.id AND me.name = 'passes'
WHERE p.name IN ('a_lin', 'a_nb', 'a_enet', 'a_base') ORDER BY 1;
SELECT count(*) > 3 AS newton_steps, bool_and(v.value > 0) AS positive,
       (array_agg(v.value ORDER BY v.step DESC))[1] < (array_agg(v.value ORDER BY v.step))[1] AS decreasing
FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL
JOIN mlsql.loss_curves v ON v.run_id = r.id AND v.metric = 'log_loss' WHERE p.name = 'a_log2';
-- the test split is ml_in_test's
SELECT (SELECT count(*) FROM diabetes_train t WHERE ml_in_test(42, 0.25, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target)) =
       (SELECT r.n_test FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL WHERE p.name = 'a_lin') AS split_is_ml_in_test;
-- the data version from sketches: exact while a column has at most 1024 values
SELECT a.c->>'name' AS col, a.c->'count' = m.c->'count' AS count, a.c->'nulls' = m.c->'nulls' AS nulls,
       a.c->'distinct' = m.c->'distinct' AS distinct_, abs((a.c->>'mean')::float8 - (m.c->>'mean')::float8) < 1e-9 AS mean,
       a.c->'edges' = m.c->'edges' AS edges, a.c->'min' = m.c->'min' AND a.c->'max' = m.c->'max' AS min_max
FROM (SELECT jsonb_array_elements(d.columns) AS c FROM mlsql.datasets d JOIN mlsql.runs r ON r.dataset_id = d.id
      JOIN mlsql.projects p ON p.id = r.project_id AND r.parent_run_id IS NULL WHERE p.name = 'a_nb') a
JOIN (SELECT jsonb_array_elements(d.columns) AS c FROM mlsql.datasets d JOIN mlsql.runs r ON r.dataset_id = d.id
      JOIN mlsql.projects p ON p.id = r.project_id AND r.parent_run_id IS NULL WHERE p.name = 'm_nb') m
  ON a.c->>'name' = m.c->>'name'
ORDER BY 1;

-- plans with 0, 1 and 2 parallel workers: the same model within 1e-9, the same metrics
CREATE TABLE engine_big AS SELECT b.* FROM bc_train b, generate_series(1, 20) g;
ANALYZE engine_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT mlsql.engine_pass(NULL, ARRAY[mean_radius], ARRAY[]::text[], target, NULL) FROM engine_big;
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM ml_train('par0', 'engine_big', 'target', 'logistic', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('par0_lin', 'engine_big', 'mean_area', 'linear', '{"engine": "aggregate"}', deploy => 'always');
SET max_parallel_workers_per_gather = 1;
SELECT count(*) FROM ml_train('par1', 'engine_big', 'target', 'logistic', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('par1_lin', 'engine_big', 'mean_area', 'linear', '{"engine": "aggregate"}', deploy => 'always');
SET max_parallel_workers_per_gather = 2;
SELECT count(*) FROM ml_train('par2', 'engine_big', 'target', 'logistic', '{"engine": "aggregate"}', deploy => 'always');
SELECT count(*) FROM ml_train('par2_lin', 'engine_big', 'mean_area', 'linear', '{"engine": "aggregate"}', deploy => 'always');
RESET client_min_messages;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SELECT max(abs((ml_predict_proba('par1', t))[2] - (ml_predict_proba('par0', t))[2])) < 1e-9 AS one_worker,
       max(abs((ml_predict_proba('par2', t))[2] - (ml_predict_proba('par0', t))[2])) < 1e-9 AS two_workers,
       max(abs(ml_predict('par1_lin', t) - ml_predict('par0_lin', t))) < 1e-9 * max(abs(ml_predict('par0_lin', t))) AS linear_one,
       max(abs(ml_predict('par2_lin', t) - ml_predict('par0_lin', t))) < 1e-9 * max(abs(ml_predict('par0_lin', t))) AS linear_two
FROM bc_train t;
SELECT count(DISTINCT round(me.value::numeric, 9)) AS distinct_values, me.name
FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL
JOIN mlsql.metrics me ON me.run_id = r.id AND me.split = 'test' AND me.step IS NULL
WHERE p.name IN ('par0', 'par1', 'par2') GROUP BY me.name ORDER BY me.name;

-- partitions: one model per seeded partition, averaged; any supervised learner
SET client_min_messages = warning;
SELECT algorithm, (metrics->>'accuracy')::float8 > 0.9 AS accurate
FROM ml_train('p_tree', 'bc_train', 'target', 'tree', '{"engine": "partitions", "partitions": 3, "max_depth": 4}', deploy => 'always');
SELECT algorithm, (metrics->>'r2')::float8 > 0.3 AS learns
FROM ml_train('p_gbdt', 'diabetes_train', 'target', 'gbdt', '{"engine": "partitions", "partitions": 2, "n_trees": 40}', deploy => 'always');
RESET client_min_messages;
SELECT me.value AS partitions FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL
JOIN mlsql.metrics me ON me.run_id = r.id AND me.name = 'partitions' WHERE p.name = 'p_tree';
SELECT ml_predict_label('p_tree', t) IS NOT NULL AS scores FROM bc_train t LIMIT 1;

-- a deployment decision against the live model re-scored on the same rows
SELECT version, deployed FROM ml_train('a_lin', 'diabetes_train', 'target', 'linear', '{"engine": "aggregate", "alpha": 100}');

-- errors, before anything is written
\set VERBOSITY terse
SELECT count(*) FROM mlsql.runs \gset before_
SELECT ml_train('e_x', 'bc_train', 'target', 'tree', '{"engine": "aggregate"}');
SELECT ml_train('e_x', 'SELECT sepal_length, sepal_width FROM iris', NULL, 'iforest', '{"engine": "partitions"}');
SELECT ml_train('e_x', 'bc_train', 'target', 'linear', '{"engine": "fast"}');
SELECT ml_train('e_x', 'bc_train', 'target', 'linear', '{"engine": 1}');
SELECT ml_train('e_x', 'bc_train', 'target', 'linear', '{"engine": "aggregate", "split": "stratified"}');
SELECT ml_train('e_x', 'bc_train', 'target', 'linear', '{"engine": "aggregate", "partitions": 2}');
SELECT ml_train('e_x', 'bc_train', 'target', 'tree', '{"engine": "partitions", "partitions": 0}');
SELECT ml_train('e_x', 'bc_train', 'target', 'tree', '{"engine": "partitions", "partitions": 2.5}');
SELECT ml_train('e_x', 'bc_train', 'target', 'linear', '{"partitions": 3}');
SELECT ml_train('e_x', 'bc_train', 'target', 'naive_bayes', '{"engine": "aggregate", "class_weight": "balanced"}');
SELECT ml_train('e_x', 'SELECT * FROM bc_arrays', 'target', 'logistic', '{"engine": "aggregate"}');
SELECT ml_train('e_x', 'SELECT 1.0 AS a, 2.0 AS y WHERE false', 'y', 'linear', '{"engine": "aggregate"}');
SELECT ml_train('e_x', 'SELECT a, CASE WHEN a > 3 THEN ''NaN''::float8 ELSE a END AS b, a AS y FROM generate_series(1, 10) a', 'y', 'linear', '{"engine": "aggregate"}');
SELECT ml_train('e_x', 'SELECT a, CASE WHEN a > 3 THEN NULL ELSE a END AS y FROM generate_series(1, 10) a', 'y', 'linear', '{"engine": "aggregate"}');
SELECT ml_train('e_x', 'SELECT a, (a % 3)::text AS c, a AS y FROM generate_series(1, 30) a', 'y', 'linear', '{"engine": "aggregate", "preprocess": {"c": {"encode": "target"}}}');
SET mlsql.max_memory = '1MB';
SELECT ml_train('e_x', 'SELECT b.* FROM bc_train b, generate_series(1, 10)', 'target', 'tree', '{"engine": "partitions", "partitions": 1}');
RESET mlsql.max_memory;
SELECT * FROM ml_search('e_x', 'bc_train', 'target', 'tree', '{"max_depth": [2, 3]}', params => '{"engine": "aggregate"}');
SELECT count(*) = :before_count AS nothing_written FROM mlsql.runs;
-- forged bytes are bad input, never a crash
SELECT mlsql.engine_pass('\x00'::bytea, ARRAY[1.0]::float8[], ARRAY[]::text[], 1.0, NULL);
SELECT mlsql.engine_pass(NULL, ARRAY[1.0]::float8[], ARRAY[]::text[], 1.0, NULL);
SELECT mlsql.engine_bucket('\x4d4c4543'::bytea, ARRAY[1.0]::float8[], ARRAY[]::text[], 1.0, NULL);
SELECT mlsql.raw_num('text'::text);
SELECT ml_in_test(1, 1.5, 1);
SELECT ml_in_test(1, 0.5, VARIADIC ARRAY[1, 2]);
\set VERBOSITY default
-- a query source may end with a comment: the passes wrap it on a line of its own
SELECT count(*) FROM ml_train('m_comment', 'SELECT * FROM diabetes_train -- every row', 'target', 'linear',
                              '{"split": "random", "engine": "aggregate"}', deploy => 'never');
