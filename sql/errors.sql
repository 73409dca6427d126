-- errors: bad input gives a clear error with an errcode, and writes nothing
\i test/regress/train_projects.sql

CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN hint <> '' THEN E'\nHINT: ' || hint ELSE '' END;
END $$;

CREATE FUNCTION catalog_rows() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s/%s/%s/%s/%s/%s',
        (SELECT count(*) FROM mlsql.projects), (SELECT count(*) FROM mlsql.datasets),
        (SELECT count(*) FROM mlsql.experiments), (SELECT count(*) FROM mlsql.runs),
        (SELECT count(*) FROM mlsql.metrics), (SELECT count(*) FROM mlsql.models),
        (SELECT count(*) FROM mlsql.deployments))
$$;

-- a project that has versions but nothing deployed
SELECT version, deployed FROM ml_train('undeployed', 'bc_train', 'target', 'logistic', deploy => 'never');
-- rows with a NULL / NaN feature to score
CREATE TEMP TABLE bc_null AS SELECT * FROM bc WHERE id <= 3;
UPDATE bc_null SET mean_radius = NULL WHERE id = 2;
CREATE TEMP TABLE bc_nan AS SELECT * FROM bc WHERE id <= 3;
UPDATE bc_nan SET worst_area = 'NaN' WHERE id = 2;

CREATE TEMP TABLE before AS SELECT catalog_rows() AS rows;
CREATE TABLE cases (id serial, sql text);
INSERT INTO cases (sql) VALUES
-- source
($$SELECT ml_train('e', 'no_such_table', 'target')$$),
($$SELECT ml_train('e', 'bc; DROP TABLE bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT * FROM bc; DROP TABLE bc', 'target')$$),
($$SELECT ml_train('e', '', 'target')$$),
($$SELECT ml_train('e', NULL, 'target')$$),
($$SELECT ml_train('e', 'SELECT * FROM bc_train WHERE false', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius FROM bc', 'mean_radius')$$),
-- target
($$SELECT ml_train('e', 'bc_train', 'no_such_column')$$),
($$SELECT ml_train('e', 'bc_train', NULL)$$),
($$SELECT ml_train('e', 'SELECT mean_radius, NULL::int AS y FROM bc', 'y')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, CASE WHEN id % 10 = 0 THEN NULL ELSE target END AS y FROM bc', 'y')$$),
($$SELECT ml_train('e', 'SELECT * FROM bc_train WHERE target = 1', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, diagnosis FROM bc', 'diagnosis', task => 'regression')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, CASE WHEN id = 3 THEN ''NaN''::float8 ELSE mean_area END AS y FROM bc', 'y')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, mean_texture AS target, mean_area AS target FROM bc', 'target')$$),
-- features
($$SELECT ml_train('e', 'SELECT CASE WHEN id IN (4, 9, 11) THEN NULL ELSE mean_radius END AS r, target FROM bc', 'target', params => '{"preprocess": {"r": {"impute": "error"}}}')$$),
($$SELECT ml_train('e', 'SELECT CASE WHEN id = 4 THEN ''NaN''::float8 ELSE mean_radius END AS r, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT CASE WHEN id = 4 THEN ''-Infinity''::float8 ELSE mean_radius END AS r, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, point(1, 2) AS p, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, ARRAY[[1, 2], [3, 4]] AS a, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, CASE WHEN id = 7 THEN ARRAY[1, 2, 3] ELSE ARRAY[1, 2] END AS a, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius, NULL::float8[] AS a, target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"nope": {"impute": "mean"}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"*": {"imput": "mean"}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"*": {"impute": "average"}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"mean_radius": {"encode": "onehot"}}}')$$),
($$SELECT ml_train('e', 'bc', 'target', params => '{"preprocess": {"diagnosis": {"impute": "median"}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"mean_radius": {"impute": "constant"}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": {"*": {"max_categories": 0}}}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"preprocess": [1]}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"split": "sideways"}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"split": "time"}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"split_column": "target"}')$$),
($$SELECT ml_train('e', 'SELECT *, CASE WHEN mean_radius > 15 THEN ''test'' ELSE ''later'' END AS s FROM bc_train', 'target', params => '{"split": "column", "split_column": "s"}')$$),
($$SELECT ml_train('e', 'SELECT *, ''test'' AS s FROM bc_train', 'target', params => '{"split": "column", "split_column": "s"}')$$),
($$SELECT ml_train('e', 'SELECT *, ''x''::text AS s FROM bc_train', 'target', params => '{"split": "time", "split_column": "s"}')$$),
($$SELECT ml_train('e', 'diabetes_train', 'target', params => '{"split": "stratified"}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', params => '{"split_key": "nope"}')$$),
($$SELECT ml_train('e', 'snapshot:999', 'target')$$),
($$SELECT ml_train('e', 'snapshot:abc', 'target')$$),
($$SELECT ml_train('e', 'bc', 'target', features => ARRAY['mean_radius', 'nope'])$$),
($$SELECT ml_train('e', 'bc', 'target', features => ARRAY['mean_radius', 'target'])$$),
($$SELECT ml_train('e', 'bc', 'target', features => ARRAY['mean_radius', 'mean_radius'])$$),
($$SELECT ml_train('e', 'bc', 'target', features => ARRAY[]::text[])$$),
($$SELECT ml_train('e', 'bc', 'target', features => ARRAY['mean_radius', NULL])$$),
($$SELECT ml_train('e', 'SELECT target FROM bc', 'target')$$),
($$SELECT ml_train('e', 'SELECT mean_radius AS x, mean_area AS x, target FROM bc', 'target')$$),
-- arguments
($$SELECT ml_train('e', 'bc_train', 'target', test_size => 1)$$),
($$SELECT ml_train('e', 'bc_train', 'target', test_size => -0.1)$$),
($$SELECT ml_train('e', 'bc_train', 'target', test_size => 'NaN')$$),
($$SELECT ml_train('e', 'bc_train', 'target', test_size => NULL)$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'xgboost')$$),
($$SELECT ml_train('e', 'bc_train', 'target', task => 'clustering')$$),
($$SELECT ml_train('e', 'bc_train', 'target', deploy => 'sometimes')$$),
($$SELECT ml_train('', 'bc_train', 'target')$$),
($$SELECT ml_train('a@b', 'bc_train', 'target')$$),
($$SELECT ml_train('e', 'bc_train', 'target', seed => NULL)$$),
-- params
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"alhpa": 1}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"alpha": "big"}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"alpha": -1}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"max_iter": 2.5}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"max_iter": 0}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '{"alpha": null}')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'logistic', '[1, 2]')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'linear', '{"fit_intercept": 1}')$$),
($$SELECT ml_train('e', 'diabetes_train', 'target', 'logistic')$$),
($$SELECT ml_train('e', 'bc_train', 'target', 'baseline', '{"alpha": 1}')$$),
-- project task mismatch
($$SELECT ml_train('cancer', 'diabetes_train', 'target')$$),
-- memory bound
($$SET LOCAL mlsql.max_memory = '1MB'; SELECT ml_train('e', 'SELECT b.* FROM bc_train b, generate_series(1, 20)', 'target')$$),
-- scoring
($$SELECT ml_predict('cancer', ARRAY[1, 2, 3]::float8[])$$),
($$SELECT ml_predict('cancer', NULL::float8[])$$),
($$SELECT ml_predict('cancer', (SELECT features || 'NaN'::float8 FROM bc_arrays LIMIT 1)[2:31])$$),
($$SELECT ml_predict('cancer', ARRAY[[1, 2], [3, 4]]::float8[])$$),
($$SELECT ml_predict('cancer', (SELECT features[1:29] || NULL::float8 FROM bc_arrays LIMIT 1))$$),
($$SELECT ml_predict('cancer', d) FROM diabetes d LIMIT 1$$),
($$SELECT ml_predict('cancer', b) FROM bc_nan b$$),
($$SELECT ml_predict('cancer', b) FROM (SELECT *, 'x'::text AS worst_symmetry FROM bc_train) b$$),
($$SELECT ml_predict_label('iris', r) FROM (SELECT sepal_length::text AS sepal_length, sepal_width, petal_length, petal_width FROM iris) r$$),
($$SELECT ml_train('e', 'SELECT * FROM bc_train LIMIT 1', 'target', task => 'regression')$$),
($$SELECT ml_predict('no_such_project', ARRAY[1]::float8[])$$),
($$SELECT ml_predict('cancer@99', ARRAY[1]::float8[])$$),
($$SELECT ml_predict('cancer@nobody', ARRAY[1]::float8[])$$),
($$SELECT ml_predict(NULL::text, ARRAY[1]::float8[])$$),
($$SELECT ml_predict(999999, ARRAY[1]::float8[])$$),
($$SELECT ml_predict_proba('diabetes', d) FROM diabetes d LIMIT 1$$),
($$SELECT ml_predict_label('diabetes', d) FROM diabetes d LIMIT 1$$),
($$SELECT ml_classes('diabetes')$$);

INSERT INTO cases (sql) VALUES ($$SELECT ml_predict('undeployed', ARRAY[1]::float8[])$$);

SELECT id, sql, try(sql) AS error FROM cases ORDER BY id;

-- every failing call above left the catalog as it was
SELECT catalog_rows() = (SELECT rows FROM before) AS catalog_unchanged;

-- corrupted model bytes are an error, never a crash
SELECT version FROM ml_train('corrupt', 'bc_train', 'target', 'logistic', deploy => 'never');
SELECT version FROM ml_train('corrupt', 'bc_train', 'target', 'logistic', deploy => 'never', seed => 1);
SELECT version FROM ml_train('corrupt', 'bc_train', 'target', 'logistic', deploy => 'never', seed => 2);
SELECT version FROM ml_train('corrupt', 'bc_train', 'target', 'logistic', deploy => 'never', seed => 3);
UPDATE mlsql.models SET model = set_byte(model, 40, get_byte(model, 40) # 1)
WHERE version = 1 AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'corrupt');
UPDATE mlsql.models SET model = substr(model, 1, 30)
WHERE version = 2 AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'corrupt');
UPDATE mlsql.models SET model = '\x00'
WHERE version = 3 AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'corrupt');
SELECT regexp_replace(try($$SELECT ml_predict('corrupt@1', features) FROM bc_arrays LIMIT 1$$), '[0-9a-f]{8}', 'xxxxxxxx', 'g') AS error;
SELECT regexp_replace(try($$SELECT ml_predict('corrupt@2', features) FROM bc_arrays LIMIT 1$$), '[0-9a-f]{8}', 'xxxxxxxx', 'g') AS error;
SELECT regexp_replace(try($$SELECT ml_predict('corrupt@3', features) FROM bc_arrays LIMIT 1$$), '[0-9a-f]{8}', 'xxxxxxxx', 'g') AS error;
SELECT regexp_replace(try($$SELECT * FROM ml_deploy('corrupt', 1)$$), '[0-9a-f]{8}', 'xxxxxxxx', 'g') AS error;
-- an intact version of the same project still scores
SELECT ml_predict('corrupt@4', features) IN (0, 1) AS intact_ok FROM bc_arrays LIMIT 1;
-- a cached model whose row is then changed is read again, not served stale
UPDATE mlsql.models SET model = set_byte(model, 50, get_byte(model, 50) # 4)
WHERE version = 4 AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'corrupt');
SELECT regexp_replace(try($$SELECT ml_predict('corrupt@4', features) FROM bc_arrays LIMIT 1$$), '[0-9a-f]{8}', 'xxxxxxxx', 'g') AS error;

-- values that overflow double precision in training are an error, not a NaN model
SELECT try($$SELECT ml_train('e', 'SELECT CASE WHEN id % 2 = 0 THEN 1e308 ELSE -1e308 END * 1.5 AS r, target FROM bc', 'target', 'logistic')$$);
SELECT count(*) AS no_project_e FROM mlsql.projects WHERE name = 'e';

-- an error outside a subtransaction: nothing written either
SELECT catalog_rows() AS rows_before \gset
SELECT ml_train('e2', 'SELECT mean_radius, CASE WHEN id = 500 THEN NULL ELSE target END AS y FROM bc', 'y');
SELECT catalog_rows() = :'rows_before' AS nothing_written;

SELECT count(*) AS cases_checked FROM cases;
DROP TABLE cases;
