-- predict: scoring in queries, by row and by array, by project and by id
-- (uses the tables and projects of the train test)
\i test/regress/train_projects.sql

-- the record and the float8[] forms agree on every row
SELECT count(*) AS rows,
       count(*) FILTER (WHERE ml_predict('cancer', b) = ml_predict('cancer', a.features)) AS agree,
       count(*) FILTER (WHERE ml_predict_proba('cancer', b) = ml_predict_proba('cancer', a.features)) AS proba_agree
FROM bc b JOIN bc_arrays a USING (id);

-- predicted labels are the argmax of the probabilities, in ml_classes order
SELECT ml_classes('cancer') AS classes,
       bool_and(ml_predict('cancer', b) = CASE WHEN p[2] > p[1] THEN 1 ELSE 0 END) AS argmax_ok,
       bool_and(abs(p[1] + p[2] - 1) < 1e-12) AS sums_to_one,
       bool_and(ml_predict_label('cancer', b) = ml_predict('cancer', b)::int::text) AS label_ok
FROM (SELECT b, ml_predict_proba('cancer', b) AS p FROM bc b) s;

-- by model id, by version, by alias
SELECT bool_and(ml_predict(m.id, b) = ml_predict('cancer', b)) AS by_id,
       bool_and(ml_predict('cancer@1', b) = ml_predict('cancer', b)) AS by_version,
       bool_and(ml_predict_proba(m.id, b) = ml_predict_proba('cancer@1', b)) AS proba_by_id
FROM bc b, mlsql.models m
WHERE m.version = 1 AND m.project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer');
SELECT ml_alias('cancer', 'champion', 3) IS NOT NULL AS aliased;
SELECT bool_and(ml_predict('cancer@champion', b) = ml_predict('cancer@3', b)) AS by_alias,
       bool_or(ml_predict_proba('cancer@champion', b) <> ml_predict_proba('cancer@1', b)) AS differs_from_v1
FROM bc b;

-- text labels: ml_predict_label gives the label, ml_predict refuses
SELECT ml_predict_label('iris', i) AS predicted, species, count(*)
FROM iris i GROUP BY 1, 2 ORDER BY 1, 2;
SELECT ml_predict('iris', i) FROM iris i LIMIT 1;

-- bool labels come back as 0 / 1 from ml_predict and as true / false labels
SELECT DISTINCT ml_predict('infer_bool', b) AS value, ml_predict_label('infer_bool', b) AS label
FROM bc b ORDER BY 1;

-- regression
SELECT round(ml_predict('diabetes', d)::numeric, 6) = round(ml_predict('diabetes',
         ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6])::numeric, 6) AS forms_agree
FROM diabetes d WHERE id = 1;

-- 100k rows scored inside one query
CREATE TABLE bc_big AS SELECT b.* FROM bc b, generate_series(1, 176) g;
SELECT count(*) AS rows,
       sum(ml_predict('cancer', b)) = 176 * (SELECT sum(ml_predict('cancer', c)) FROM bc c) AS sums_agree
FROM bc_big b;

-- the same in a forced parallel plan: same answer as the serial one
ANALYZE bc_big;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT sum(ml_predict('cancer', b)) AS s, count(*) AS n FROM bc_big b;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(ml_predict('cancer', b)), count(*) FROM bc_big b;
SELECT sum(ml_predict('cancer', b)) = (SELECT s FROM serial) AND count(*) = (SELECT n FROM serial)
       AS parallel_equals_serial
FROM bc_big b;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE bc_big;

-- model details
SELECT j->>'algorithm' AS algorithm, j->>'task' AS task, j->>'target' AS target,
       jsonb_array_length(j->'features') AS n_features, j->'classes' AS classes,
       jsonb_array_length(j->'model'->'coef'->0) AS n_coef
FROM ml_model_info('cancer') j;

-- a record without NULLs is read in place (per call site, the offsets of the
-- model's columns, past variable-length ones); with a NULL anywhere, column
-- by column: the same features and predictions to the last bit, for a
-- standardizing model and one that takes the values as they are
CREATE TEMP TABLE mixed AS
SELECT id, 'row ' || id AS note, target, mean_radius::real AS r4, mean_texture AS f8,
       (mean_perimeter * 10)::smallint AS i2, mean_area::int AS i4, (mean_area * 1000)::bigint AS i8,
       mean_smoothness > 0.1 AS flag, repeat('x', id % 5) AS filler, worst_radius::real AS r4b
FROM bc;
SELECT 1 AS trained FROM ml_train('mixed_lin', 'SELECT target, r4, f8, i2, i4, i8, flag, r4b FROM mixed', 'target',
                                  'logistic', '{"preprocess": {"*": {"scale": "standard"}}}');
SELECT 1 AS trained FROM ml_train('mixed_gb', 'SELECT target, r4, f8, i2, i4, i8, flag, r4b FROM mixed', 'target',
                                  'gbdt', '{"n_trees": 10}');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE ml_predict_proba('mixed_lin', m)::text = ml_predict_proba('mixed_lin', g)::text) AS lin_same,
       count(*) FILTER (WHERE ml_transform('mixed_lin', m)::text = ml_transform('mixed_lin', g)::text) AS transform_same,
       count(*) FILTER (WHERE ml_predict_proba('mixed_gb', m)::text = ml_predict_proba('mixed_gb', g)::text) AS gb_same,
       count(*) FILTER (WHERE ml_transform('mixed_lin', m)::text <> ml_transform('mixed_gb', m)::text) AS scaled
FROM mixed m, LATERAL (SELECT m.*, NULL::int AS extra) g;
