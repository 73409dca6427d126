-- bytes: the same data and seed give the same model bytes as the release
-- before a change.  The md5 of models that no BLAS kernel computes (their
-- bytes do not depend on the CPU's kernels), trained from the bundled data;
-- the expected output holds those of 0.3.0 before the code was reorganized.
\i test/regress/datasets.sql
SELECT learner, md5(model) FROM (
    SELECT 'baseline regression' AS learner, ml_fit('baseline', target, ARRAY[age]) AS model FROM diabetes
    UNION ALL SELECT 'baseline classes', ml_fit('baseline', species, ARRAY[sepal_length]) FROM iris
    UNION ALL SELECT 'naive_bayes text', ml_fit('naive_bayes', species, ARRAY[sepal_length, sepal_width, petal_length, petal_width]) FROM iris
    UNION ALL SELECT 'naive_bayes numeric', ml_fit('naive_bayes', target, ARRAY[mean_radius, worst_area]) FROM bc
    UNION ALL SELECT 'tree', ml_fit('tree', diagnosis, ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points], '{"max_depth": 5}') FROM bc
    UNION ALL SELECT 'forest', ml_fit('forest', diagnosis, ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points], '{"n_estimators": 20, "seed": 3}') FROM bc
    UNION ALL SELECT 'gbdt', ml_fit('gbdt', target, ARRAY[age, sex, bmi, bp, s1, s5], '{"n_trees": 30}') FROM diabetes
    UNION ALL SELECT 'knn', ml_fit('knn', species, ARRAY[sepal_length, sepal_width, petal_length, petal_width]) FROM iris
    UNION ALL SELECT 'iforest', ml_fit('iforest', NULL::float8, ARRAY[mean_radius, worst_area], '{"n_estimators": 20}') FROM bc
) m ORDER BY 1;
