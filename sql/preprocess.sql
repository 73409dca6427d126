-- preprocess: column types, imputation, encoding, scaling, unseen values at
-- predict time, splits and data fingerprints

\i test/regress/houses.sql

-- every column type with defaults: NULLs imputed (mean / a missing category),
-- text and enum one-hot encoded, dates and timestamps as numbers, arrays expanded
SELECT task, algorithm, (metrics->>'r2')::float8 > 0.9 AS r2_ok
FROM ml_train('houses', 'SELECT city, sqft, rooms, garden, heat, listed, seen, emb, price FROM houses',
              'price', 'linear', test_size => 0.25);

SELECT jsonb_pretty(preprocess) FROM mlsql.runs
WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'houses') AND parent_run_id IS NULL;

SELECT j->'features' AS features FROM ml_model_info('houses') j;

-- the float8[] form takes the raw columns of models that read only numbers
-- (and booleans): it equals the record form, through the same preprocessing
SELECT version FROM ml_train('houses_num', 'SELECT sqft, rooms, garden, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"*": {"scale": "standard"}}}', deploy => 'always');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE ml_predict('houses_num', h)
                        = ml_predict('houses_num', ARRAY[h.sqft, h.rooms, h.garden::int]::float8[])) AS agree,
       count(*) FILTER (WHERE ml_transform('houses_num', h)
                        = ml_transform('houses_num', ARRAY[h.sqft, h.rooms, h.garden::int]::float8[])) AS same_features
FROM houses h;
-- a model that reads a category, a date or a timestamp needs a row
SELECT ml_predict('houses', ARRAY[1, 2, 3]::float8[]);

-- unseen categories go to __other__, NULLs to __missing__ / the training mean
SELECT t[1:6] AS city_block,
       t[7] = (SELECT (c->>'fill')::float8 FROM mlsql.runs ru, jsonb_array_elements(ru.preprocess) c
               WHERE ru.project_id = (SELECT id FROM mlsql.projects WHERE name = 'houses')
                 AND ru.parent_run_id IS NULL AND c->>'column' = 'sqft') AS sqft_is_fill_when_null
FROM (SELECT ml_transform('houses', r) AS t
      FROM (SELECT 'rome' AS city, NULL::float8 AS sqft, 1 AS rooms, true AS garden,
                   'gas'::heating AS heat, date '2020-02-01' AS listed,
                   timestamp '2020-01-02' AS seen, ARRAY[1, 2]::float4[] AS emb) r) s;
SELECT (ml_transform('houses', r))[1:6] AS null_city
FROM (SELECT NULL::text AS city, 60::float8 AS sqft, 1 AS rooms, true AS garden,
             'gas'::heating AS heat, date '2020-02-01' AS listed,
             timestamp '2020-01-02' AS seen, ARRAY[1, 2]::float4[] AS emb) r;
SELECT ml_predict('houses', r) IS NOT NULL AS scores_unseen_and_null
FROM (SELECT 'rome' AS city, NULL::float8 AS sqft, NULL::int AS rooms, NULL::bool AS garden,
             NULL::heating AS heat, NULL::date AS listed, NULL::timestamp AS seen,
             NULL::float4[] AS emb) r;

-- dates are days since 1970-01-01, timestamps seconds since 1970-01-01 UTC
SELECT bool_and(t[15] = h.listed - date '1970-01-01') AS date_encoding,
       bool_and(t[16] = extract(epoch FROM h.seen)) AS timestamp_encoding,
       bool_and(t[17] = h.emb[1] AND t[18] = h.emb[2]) AS array_elements
FROM houses h, LATERAL (SELECT ml_transform('houses', h) AS t) s;

-- imputation options, checked against SQL over the training rows (test_size 0)
CREATE TEMP TABLE imputed_runs AS
SELECT how, t.run_id
FROM (VALUES ('median'), ('mode'), ('constant'), ('indicator')) v(how),
     LATERAL ml_train('impute_' || how, 'SELECT sqft, rooms, price FROM houses', 'price', 'linear',
                      jsonb_build_object('preprocess', jsonb_build_object('sqft',
                          jsonb_build_object('impute', how, 'value', -1))),
                      test_size => 0, deploy => 'always') t;
SELECT c->>'column' AS column, c->>'impute' AS impute, (c->>'imputed')::int AS imputed,
       CASE c->>'impute'
            WHEN 'median' THEN (c->>'fill')::float8 = (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY sqft) FROM houses)
            WHEN 'mode' THEN (c->>'fill')::float8 = (SELECT mode() WITHIN GROUP (ORDER BY sqft) FROM houses)
            WHEN 'constant' THEN (c->>'fill')::float8 = -1
            WHEN 'indicator' THEN (c->>'fill')::float8 = (SELECT avg(sqft) FROM houses)
       END AS fill_ok
FROM imputed_runs i JOIN mlsql.runs r ON r.id = i.run_id, jsonb_array_elements(r.preprocess) c
WHERE c->>'column' = 'sqft'
ORDER BY 1, 2;
SELECT ml_model_info('impute_indicator')->'features' AS indicator_features;
SELECT (ml_transform('impute_indicator', r))::text AS with_indicator
FROM (SELECT NULL::float8 AS sqft, 2 AS rooms) r;

-- categorical imputation: mode and constant
SELECT version FROM ml_train('cat_mode', 'SELECT city, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"city": {"impute": "mode"}}}', test_size => 0);
SELECT version FROM ml_train('cat_const', 'SELECT city, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"city": {"impute": "constant", "value": "nice"}}}', test_size => 0);
SELECT (ml_transform('cat_mode', r))[1:6] AS null_as_mode,
       (ml_transform('cat_const', r))[1:6] AS null_as_constant,
       (SELECT mode() WITHIN GROUP (ORDER BY city) FROM houses) AS most_frequent
FROM (SELECT NULL::text AS city) r;

-- encodings: ordinal codes in byte order; target encoding uses the smoothed
-- training mean per category at predict time (out-of-fold during training)
SELECT version FROM ml_train('enc_ordinal', 'SELECT city, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"city": {"encode": "ordinal"}}}', test_size => 0);
SELECT city, (ml_transform('enc_ordinal', h))[1] AS code
FROM (SELECT DISTINCT city FROM houses UNION ALL SELECT 'rome') h
ORDER BY 2;
SELECT version FROM ml_train('enc_target', 'SELECT city, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"city": {"encode": "target"}}}', test_size => 0);
SELECT s.city, abs((ml_transform('enc_target', h))[1]
           - (s.total + (SELECT avg(price) FROM houses)) / (s.n + 1)) < 1e-9 AS smoothed_mean
FROM (SELECT city, sum(price) AS total, count(*) AS n FROM houses WHERE city IS NOT NULL GROUP BY city) s,
     LATERAL (SELECT s.city) h
ORDER BY 1;
SELECT abs((ml_transform('enc_target', r))[1] - (SELECT avg(price) FROM houses)) < 1e-9 AS unseen_is_prior
FROM (SELECT 'rome' AS city) r;
-- target encoding for a multiclass target: one feature per class
SELECT version FROM ml_train('enc_target_multi', 'SELECT city, heat::text AS h FROM houses', 'h', 'logistic',
                             '{"preprocess": {"city": {"encode": "target"}}}', deploy => 'always');
SELECT ml_model_info('enc_target_multi')->'features' AS features;
-- max_categories keeps the most frequent; the rest share __other__
SELECT version FROM ml_train('enc_max', 'SELECT city, price FROM houses', 'price', 'linear',
                             '{"preprocess": {"city": {"max_categories": 2}}}', test_size => 0);
SELECT ml_model_info('enc_max')->'features' AS features;

-- scaling: standard and minmax, statistics of the training rows
SELECT version FROM ml_train('scale_std', 'SELECT sqft, price FROM houses WHERE sqft IS NOT NULL', 'price', 'linear',
                             '{"preprocess": {"*": {"scale": "standard"}}}', test_size => 0);
SELECT version FROM ml_train('scale_minmax', 'SELECT sqft, price FROM houses WHERE sqft IS NOT NULL', 'price', 'linear',
                             '{"preprocess": {"*": {"scale": "minmax"}}}', test_size => 0);
SELECT bool_and(abs((ml_transform('scale_std', h))[1] - (h.sqft - s.m) / s.sd) < 1e-9) AS standard_ok,
       bool_and(abs((ml_transform('scale_minmax', h))[1] - (h.sqft - s.lo) / (s.hi - s.lo)) < 1e-12) AS minmax_ok
FROM houses h, (SELECT avg(sqft) m, stddev_pop(sqft) sd, min(sqft) lo, max(sqft) hi FROM houses) s
WHERE h.sqft IS NOT NULL;

-- classification with text categories and NULLs, defaults only
SELECT task, (metrics->>'accuracy')::float8 > 0.9 AS accuracy_ok
FROM ml_train('house_label', 'SELECT city, sqft, rooms, label FROM houses', 'label', 'logistic');
SELECT ml_classes('house_label') AS classes;

-- splits
SELECT run_id AS random_run FROM ml_train('split_random', 'SELECT sqft, rooms, price FROM houses', 'price', 'linear',
                                         '{"split": "random"}', deploy => 'never') \gset
SELECT n_train + n_test AS rows, n_test BETWEEN 70 AND 130 AS about_a_quarter FROM mlsql.runs WHERE id = :random_run;
SELECT run_id AS strat_run FROM ml_train('split_strat', 'SELECT sqft, rooms, label FROM houses', 'label', 'logistic',
                                         '{"split": "stratified"}', deploy => 'never') \gset
SELECT r.n_test = (SELECT sum(round(c * 0.25)) FROM (SELECT count(*) c FROM houses GROUP BY label) x) AS exact_per_class
FROM mlsql.runs r WHERE r.id = :strat_run;
CREATE TABLE houses_split AS
SELECT *, CASE WHEN id % 5 = 0 THEN 'test' WHEN id % 5 = 1 THEN 'validation' ELSE 'train' END AS part FROM houses;
SELECT run_id AS column_run FROM ml_train('split_column', 'SELECT sqft, rooms, price, part FROM houses_split', 'price', 'linear',
                                         '{"split": "column", "split_column": "part"}', features => ARRAY['sqft', 'rooms'],
                                         deploy => 'never') \gset
SELECT n_train, n_test, n_validation FROM mlsql.runs WHERE id = :column_run;
SELECT array_agg(DISTINCT split ORDER BY split) AS splits_recorded FROM mlsql.metrics WHERE run_id = :column_run;
-- time: the newest rows are the test set; evaluating on them reproduces the test metrics
SELECT t.model_id AS time_model FROM ml_train('split_time', 'SELECT sqft, rooms, seen, price FROM houses', 'price', 'linear',
                                              '{"split": "time", "split_column": "seen"}', features => ARRAY['sqft', 'rooms'],
                                              deploy => 'never') t \gset
SELECT abs((ml_evaluate(:time_model, 'SELECT * FROM houses ORDER BY seen DESC LIMIT 100')->>'r2')::float8
           - m.value) < 1e-12 AS newest_rows_are_test
FROM mlsql.metrics m JOIN mlsql.models mo ON mo.run_id = m.run_id
WHERE mo.id = :time_model AND m.split = 'test' AND m.name = 'r2';
-- split_key: rows with the same key land on the same side, whatever their values
SELECT abs((a.metrics->>'r2')::float8 - (b.metrics->>'r2')::float8) < 1e-9 AS key_decides
FROM ml_train('split_key_a', 'SELECT id, sqft, rooms, price FROM houses', 'price', 'linear',
              '{"split": "random", "split_key": "id"}', features => ARRAY['sqft', 'rooms'], deploy => 'never') a,
     ml_train('split_key_b', 'SELECT id, sqft, rooms, price FROM houses ORDER BY id DESC', 'price', 'linear',
              '{"split": "random", "split_key": "id"}', features => ARRAY['sqft', 'rooms'], deploy => 'never') b;

-- fingerprints: order-independent; one changed value changes them
CREATE TABLE houses_changed AS SELECT * FROM houses;
UPDATE houses_changed SET sqft = sqft + 1 WHERE id = 17;
SELECT version FROM ml_train('fp', 'SELECT sqft, rooms, price FROM houses', 'price', 'linear', deploy => 'never');
SELECT version FROM ml_train('fp', 'SELECT sqft, rooms, price FROM houses ORDER BY random()', 'price', 'linear', deploy => 'never');
SELECT version FROM ml_train('fp', 'SELECT sqft, rooms, price FROM houses_changed', 'price', 'linear', deploy => 'never');
SELECT count(DISTINCT d.fingerprint) AS distinct_fingerprints,
       (array_agg(d.fingerprint ORDER BY r.id))[1] = (array_agg(d.fingerprint ORDER BY r.id))[2] AS reorder_same,
       (array_agg(d.fingerprint ORDER BY r.id))[1] <> (array_agg(d.fingerprint ORDER BY r.id))[3] AS change_differs
FROM mlsql.runs r JOIN mlsql.datasets d ON d.id = r.dataset_id
WHERE r.project_id = (SELECT id FROM mlsql.projects WHERE name = 'fp') AND r.parent_run_id IS NULL;

-- column statistics recorded with the data version
SELECT c->>'name' AS name, c->>'type' AS type, c->>'kind' AS kind, (c->>'nulls')::int AS nulls,
       (c->>'distinct')::int AS distinct_values
FROM mlsql.datasets d, jsonb_array_elements(d.columns) WITH ORDINALITY AS x(c, o)
WHERE d.id = (SELECT dataset_id FROM mlsql.runs WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'houses')
              AND parent_run_id IS NULL)
ORDER BY o;

-- an enum target keeps its labels
SELECT task FROM ml_train('enum_target', 'SELECT city, rooms, heat FROM houses', 'heat', 'logistic', deploy => 'always');
SELECT ml_classes('enum_target') AS classes,
       (SELECT count(DISTINCT ml_predict_label('enum_target', h)) FROM houses h) <= 3 AS labels_are_classes;
