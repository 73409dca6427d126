-- aggregate: ml_fit (mergeable statistics and collected rows), parallel
-- plans equal to serial ones, one model per group, ml_predict on model
-- bytes, ml_save, corrupted states, bad input
\i test/regress/datasets.sql

-- linear least squares from merged X'X / X'y statistics: the same
-- predictions as ml_train's least squares on the same rows
SELECT count(*) FROM ml_train('agg_lin', 'diabetes_train', 'target', 'linear', test_size => 0, deploy => 'always');
CREATE TEMP TABLE agg_models AS
SELECT 'linear' AS name, ml_fit('linear', target, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) AS model FROM diabetes;
SELECT max(abs(ml_predict(a.model, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) - ml_predict('agg_lin', d))) < 1e-9 AS same_as_ml_train
FROM agg_models a, diabetes d WHERE a.name = 'linear';
-- ridge through the params argument: the same as ml_train's ridge
SELECT count(*) FROM ml_train('agg_ridge', 'diabetes_train', 'target', 'linear', '{"alpha": 0.5}', test_size => 0, deploy => 'always');
SELECT max(abs(ml_predict(m.model, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) - ml_predict('agg_ridge', d))) < 1e-9 AS ridge_same
FROM (SELECT ml_fit('linear', target, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6], '{"alpha": 0.5}') AS model FROM diabetes) m,
     diabetes d;

-- naive Bayes from merged per-class moments (text labels): the same
-- probabilities as ml_train's
SELECT count(*) FROM ml_train('agg_nb', 'iris_train', 'species', 'naive_bayes', test_size => 0, deploy => 'always');
SELECT max(abs(a[1] - b[1]) + abs(a[2] - b[2]) + abs(a[3] - b[3])) < 1e-9 AS nb_same
FROM (SELECT ml_predict_proba(m.model, ARRAY[sepal_length, sepal_width, petal_length, petal_width]) AS a,
             ml_predict_proba('agg_nb', i) AS b
      FROM (SELECT ml_fit('naive_bayes', species, ARRAY[sepal_length, sepal_width, petal_length, petal_width]) AS model
            FROM iris) m, iris_train i) s;

-- parallel plans: partial aggregates on the workers, combined in the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT ml_fit('linear', mean_compactness, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) FROM bc;
-- and workers really ran it (the leader does not take part): their partial states were combined
CREATE FUNCTION pg_temp.workers_launched(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        IF l ~ 'Workers Launched' THEN
            RETURN substring(l FROM '[0-9]+')::int;
        END IF;
    END LOOP;
    RETURN 0;
END $$;
SELECT pg_temp.workers_launched($q$SELECT ml_fit('linear', mean_compactness, ARRAY[mean_radius, mean_texture, worst_area]) FROM bc$q$) > 0 AS workers_ran;
CREATE TEMP TABLE agg_parallel AS
SELECT 'linear' AS name, ml_fit('linear', mean_compactness, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) AS model FROM bc
UNION ALL
SELECT 'naive_bayes', ml_fit('naive_bayes', diagnosis, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) FROM bc
UNION ALL
SELECT 'baseline', ml_fit('baseline', mean_compactness, ARRAY[mean_radius]) FROM bc
UNION ALL
SELECT 'tree', ml_fit('tree', target, ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points], '{"max_depth": 4}') FROM bc
UNION ALL
SELECT 'logistic', ml_fit('logistic', diagnosis, ARRAY[mean_radius, mean_texture, worst_area]) FROM bc;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
CREATE TEMP TABLE agg_serial AS
SELECT 'linear' AS name, ml_fit('linear', mean_compactness, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) AS model FROM bc
UNION ALL
SELECT 'naive_bayes', ml_fit('naive_bayes', diagnosis, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) FROM bc
UNION ALL
SELECT 'baseline', ml_fit('baseline', mean_compactness, ARRAY[mean_radius]) FROM bc
UNION ALL
SELECT 'tree', ml_fit('tree', target, ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points], '{"max_depth": 4}') FROM bc
UNION ALL
SELECT 'logistic', ml_fit('logistic', diagnosis, ARRAY[mean_radius, mean_texture, worst_area]) FROM bc;
-- collected rows are put in an order of their own content, so the
-- parallel model is byte for byte the serial one; statistics merge in
-- another order, so they agree to rounding
SELECT p.name, p.model = s.model AS same_bytes FROM agg_parallel p JOIN agg_serial s USING (name)
WHERE p.name IN ('tree', 'logistic') ORDER BY 1;
SELECT p.name, max(abs(CASE WHEN p.name = 'naive_bayes'
                            THEN (ml_predict_proba(p.model, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]))[2] - (ml_predict_proba(s.model, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]))[2]
                            WHEN p.name = 'baseline'
                            THEN ml_predict(p.model, ARRAY[mean_radius]) - ml_predict(s.model, ARRAY[mean_radius])
                            ELSE ml_predict(p.model, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) - ml_predict(s.model, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, worst_radius, worst_texture, worst_area, worst_concave_points, worst_symmetry]) END)) < 1e-9 AS within_1e9
FROM agg_parallel p JOIN agg_serial s USING (name), bc WHERE p.name IN ('linear', 'naive_bayes', 'baseline')
GROUP BY p.name ORDER BY 1;

-- parallel scans score in parallel
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(ml_predict('agg_lin', d)) FROM diabetes_train d;
SELECT round(sum(ml_predict('agg_lin', d))::numeric, 6) AS parallel_sum FROM diabetes_train d;
RESET ALL;
SELECT round(sum(ml_predict('agg_lin', d))::numeric, 6) AS serial_sum FROM diabetes_train d;

-- one model per group, in one query: each group's model predicts as a
-- model trained on that group alone
SELECT setseed(0.5);
CREATE TABLE agg_groups AS
SELECT g, x, 3 * g + (g % 7) * x + random() AS y
FROM generate_series(1, 100) g, LATERAL (SELECT random() * 10 AS x FROM generate_series(1, 40)) r;
CREATE TEMP TABLE per_group AS
SELECT g, ml_fit('linear', y, ARRAY[x]) AS model FROM agg_groups GROUP BY g;
SELECT count(*) AS groups,
       max(abs(ml_predict(p.model, ARRAY[5.0]) - ml_predict(alone.model, ARRAY[5.0]))) < 1e-9 AS same_as_alone,
       max(abs(ml_predict(p.model, ARRAY[0.0]) - 3 * p.g)) < 1 AS intercepts_recovered
FROM per_group p,
     LATERAL (SELECT ml_fit('linear', y, ARRAY[x]) AS model FROM agg_groups a WHERE a.g = p.g) alone;

-- an aggregate-trained model joins the registry
SELECT project, version, deployed FROM ml_save('agg_saved', (SELECT model FROM agg_serial WHERE name = 'tree'));
SELECT bool_and(ml_predict('agg_saved', ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points])
                = ml_predict((SELECT model FROM agg_serial WHERE name = 'tree'),
                             ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points])) AS registry_scores_alike
FROM bc;
SELECT algorithm, info->'features' AS features FROM mlsql.models m, ml_model_info(m.id) info
WHERE m.project_id = (SELECT id FROM mlsql.projects WHERE name = 'agg_saved');
SELECT * FROM ml_save('agg_saved', '\x00'::bytea);
SELECT project, version, deployed FROM ml_save('agg_saved', (SELECT model FROM agg_serial WHERE name = 'linear'));

-- classification scoring of model bytes
SELECT ml_predict_proba((SELECT model FROM agg_serial WHERE name = 'logistic'), ARRAY[20.0, 20.0, 1500.0]) IS NOT NULL AS proba;
SELECT ml_predict((SELECT model FROM agg_serial WHERE name = 'logistic'), ARRAY[20.0, 20.0, 1500.0]);
SELECT ml_predict((SELECT model FROM agg_serial WHERE name = 'linear'), ARRAY[1.0, 2.0]);
SELECT ml_predict((SELECT model FROM agg_serial WHERE name = 'linear'), NULL) IS NULL AS strict;

-- a state is checked before it is trusted
CREATE AGGREGATE agg_state(text, anyelement, float8[]) (SFUNC = mlsql.fit_trans, STYPE = bytea);
CREATE TEMP TABLE st AS SELECT agg_state('tree', target, ARRAY[bmi, bp]) AS s FROM diabetes;
SELECT length(mlsql.fit_final(s)) > 0 AS flat_state_reads FROM st;
SELECT mlsql.fit_final(set_byte(s, 40, get_byte(s, 40) # 1)) FROM st;
SELECT mlsql.fit_final(substr(s, 1, 30)) FROM st;
SELECT mlsql.fit_final('\x4d4c4147'::bytea);
SELECT mlsql.fit_combine(s, s) FROM st;

-- bad input names the row it reached
SELECT ml_fit('linear', target, CASE WHEN id = 5 THEN ARRAY[bmi] ELSE ARRAY[bmi, bp] END) FROM diabetes;
SELECT ml_fit('linear', target, ARRAY[bmi, CASE WHEN id = 7 THEN NULL ELSE bp END]) FROM diabetes;
SELECT ml_fit('linear', target, ARRAY[bmi, CASE WHEN id = 9 THEN 'NaN'::float8 ELSE bp END]) FROM diabetes;
SELECT ml_fit('linear', CASE WHEN id = 3 THEN NULL ELSE target END, ARRAY[bmi]) FROM diabetes;
SELECT ml_fit('boosted', target, ARRAY[bmi]) FROM diabetes;
SELECT ml_fit('kmeans', target, ARRAY[bmi]) IS NOT NULL AS kmeans_ignores_target FROM diabetes;
-- the algorithm named decides the task: linear regresses, a text target cannot be regressed
SELECT ml_fit('linear', species, ARRAY[petal_length]) FROM iris;
SELECT ml_fit('logistic', species, ARRAY[petal_length]) IS NOT NULL AS logistic_on_labels FROM iris;
SELECT ml_fit('tree', target, ARRAY[bmi], '{"max_depth": -1}') FROM diabetes;
SELECT ml_fit('tree', target, ARRAY[bmi]) FROM diabetes WHERE false;
-- collected rows are bounded by mlsql.max_memory; statistics do not grow
SET mlsql.max_memory = 1024;
SELECT ml_fit('tree', g % 2, ARRAY[g, g, g, g, g, g, g, g, g, g]::float8[]) FROM generate_series(1, 20000) g;
SELECT length(ml_fit('linear', g % 2, ARRAY[g, g * g, g % 7, g, g, g, g, g, g, g]::float8[])) > 0 AS statistics_fit
FROM generate_series(1, 20000) g;
RESET mlsql.max_memory;

-- clustering through the aggregate: the target is ignored (NULL)
SELECT count(DISTINCT ml_predict(m.model, ARRAY[petal_length, petal_width])) AS clusters,
       bool_and(ml_predict(m.model, ARRAY[petal_length, petal_width]) IN (0, 1, 2)) AS ids
FROM (SELECT ml_fit('kmeans', NULL::int, ARRAY[petal_length, petal_width], '{"k": 3}') AS model FROM iris) m, iris;
