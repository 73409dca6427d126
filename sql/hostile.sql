-- hostile: a table of hostile calls to every SQL function (NULL for each
-- argument, empty strings, huge and negative numbers, NaN / Infinity, wrong
-- types in params and space, deep and huge jsonb, identifiers with quotes,
-- dots, spaces and unicode, SQL injection in sources, sources with 0 rows,
-- 1 row, no feature, 10 000 features, duplicated columns).  Each call must
-- end in a clean error with a SQLSTATE that is not internal_error (or a
-- result), and a call that errors must not change a catalog row.
\i test/regress/datasets.sql
SELECT count(*) AS ok FROM ml_train('hostile_base', 'bc_train', 'target', 'logistic', deploy => 'always');

CREATE TEMP TABLE calls (fn text, args text[], types text[]);
INSERT INTO calls VALUES
 ('ml_train', ARRAY['''h''', '''bc_train''', '''target''', '''tree''', '''{}''', 'NULL', 'NULL', '0.25', '42', '''never'''],
              ARRAY['text', 'text', 'text', 'text', 'jsonb', 'text', 'text[]', 'float8', 'bigint', 'text']),
 ('ml_search', ARRAY['''h''', '''bc_train''', '''target''', '''tree''', '''{"max_depth": [2]}''', '''grid''', '2', '2', 'NULL', '''{}''', 'NULL', 'NULL', '0.25', '42', '''never'''],
              ARRAY['text', 'text', 'text', 'text', 'jsonb', 'text', 'int', 'int', 'text', 'jsonb', 'text', 'text[]', 'float8', 'bigint', 'text']),
 ('ml_predict', ARRAY['''hostile_base''', 'ARRAY[1.0]'], ARRAY['text', 'float8[]']),
 ('ml_predict_proba', ARRAY['''hostile_base''', 'ARRAY[1.0]'], ARRAY['text', 'float8[]']),
 ('ml_predict_label', ARRAY['''hostile_base''', 'ARRAY[1.0]'], ARRAY['text', 'float8[]']),
 ('ml_explain', ARRAY['''hostile_base''', 'ARRAY[1.0]'], ARRAY['text', 'float8[]']),
 ('ml_evaluate', ARRAY['''hostile_base''', '''bc_train'''], ARRAY['text', 'text']),
 ('ml_deploy', ARRAY['''hostile_base''', '1'], ARRAY['text', 'int']),
 ('ml_alias', ARRAY['''hostile_base''', '''prod''', '1'], ARRAY['text', 'text', 'int']),
 ('ml_drift', ARRAY['''hostile_base''', '''bc_train'''], ARRAY['text', 'text']),
 ('ml_snapshot', ARRAY['''bc_train'''], ARRAY['text']),
 ('ml_data_diff', ARRAY['1', '2'], ARRAY['bigint', 'bigint']),
 ('ml_model_info', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_classes', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_feature_importance', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_ensemble_report', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_plot', ARRAY['''loss_curve''', '1'], ARRAY['text', 'bigint']),
 ('ml_retrain', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_reproduce', ARRAY['1'], ARRAY['bigint']),
 ('ml_cross_validate', ARRAY['''bc_train''', '''target''', '''tree''', '''{}''', '2', 'NULL', 'NULL', '0.25', '42'],
              ARRAY['text', 'text', 'text', 'jsonb', 'int', 'text', 'text[]', 'float8', 'bigint']),
 ('ml_learning_curve', ARRAY['''bc_train''', '''target''', '''tree''', '''{}''', '''{0.5,1}''', '2', 'NULL', 'NULL', '0.25', '42', 'NULL'],
              ARRAY['text', 'text', 'text', 'jsonb', 'float8[]', 'int', 'text', 'text[]', 'float8', 'bigint', 'text']),
 ('ml_compare', ARRAY['''h''', '''bc_train''', '''target''', '''{tree}''', '1', '2', 'NULL', '''{}''', 'NULL', 'NULL', '0.25', '42', '''never'''],
              ARRAY['text', 'text', 'text', 'text[]', 'int', 'int', 'text', 'jsonb', 'text', 'text[]', 'float8', 'bigint', 'text']),
 ('ml_param_importance', ARRAY['1'], ARRAY['bigint']),
 ('ml_threshold_curve', ARRAY['''hostile_base''', '''bc_train'''], ARRAY['text', 'text']),
 ('ml_set_threshold', ARRAY['''hostile_base''', '0.5'], ARRAY['text', 'float8']),
 ('ml_save', ARRAY['''h''', '''\x00''', '''never'''], ARRAY['text', 'bytea', 'text']),
 ('ml_transform', ARRAY['''hostile_base''', '(SELECT b FROM bc_train b LIMIT 1)'], ARRAY['text', 'record']),
 ('ml_model_id', ARRAY['''hostile_base'''], ARRAY['text']),
 ('ml_schedule', ARRAY['''hostile_base''', '''0 3 * * *'''], ARRAY['text', 'text']),
 ('ml_grant', ARRAY['''hostile_base''', '''nobody''', '''score'''], ARRAY['text', 'name', 'text']),
 ('ml_import_xgboost', ARRAY['''{}''', 'NULL'], ARRAY['jsonb', 'text[]']),
 ('ml_feature_importance', ARRAY['''hostile_base''', '''coefficients'''], ARRAY['text', 'text']);

CREATE TEMP TABLE cases (id serial, sql text);
-- NULL for each argument of each function
INSERT INTO cases (sql)
SELECT 'SELECT * FROM ' || c.fn || '(' ||
       array_to_string(ARRAY(SELECT CASE WHEN j = i THEN 'NULL::' || c.types[j] ELSE c.args[j] || '::' || c.types[j] END
                             FROM generate_series(1, cardinality(c.args)) j), ', ') || ')'
FROM calls c, generate_series(1, cardinality(c.args)) i
WHERE c.types[i] <> 'record' OR true
ORDER BY c.fn, i;
-- hostile values
INSERT INTO cases (sql) VALUES
 ($$SELECT * FROM ml_train('', 'bc_train', 'target')$$),
 ($$SELECT * FROM ml_train(' ', 'bc_train', 'target', deploy => 'never')$$),
 ($$SELECT * FROM ml_train('a@b', 'bc_train', 'target')$$),
 ($$SELECT * FROM ml_train(repeat('x', 300), 'bc_train', 'target')$$),
 ($$SELECT * FROM ml_train('bc_train', '', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train; DROP TABLE bc', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train) UNION SELECT 1', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train WHERE 1=1; DROP TABLE bc; --', 'target')$$),
 ($$SELECT * FROM ml_train('h', '"bc_train', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'no.such.table', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'pg_catalog.pg_authid', 'rolname')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT 1/0 AS x, 1 AS y', 'y')$$),
 ($$SELECT * FROM ml_train('h', 'DELETE FROM bc RETURNING *', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT * FROM bc_train WHERE false', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT * FROM bc_train LIMIT 1', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT target FROM bc_train', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT mean_radius, mean_radius, target FROM bc_train', 'target')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT mean_radius AS "we""ird", target FROM bc_train', 'we"ird')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT mean_radius AS "dot.ted col", target AS "tärget ✓" FROM bc_train', 'tärget ✓', deploy => 'never')$$),
 ($$SELECT * FROM ml_train('h', 'SELECT array_fill(1.0::float8, ARRAY[10000]) AS f, target FROM bc_train LIMIT 5', 'target', 'baseline', deploy => 'never')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'no_such_column')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'no_such_algorithm')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '[]')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '"x"')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', 'null')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": "deep"}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": 1e308}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": -9223372036854775808}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": 2.5}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": [3]}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"max_depth": {"a": 1}}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', (SELECT ('{' || string_agg('"k' || g || '": 1', ',') || '}')::jsonb FROM generate_series(1, 100000) g))$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', (SELECT (repeat('{"a": ', 2000) || '1' || repeat('}', 2000))::jsonb))$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'voting', (SELECT ('{"estimators": ' || repeat('[', 60) || repeat(']', 60) || '}')::jsonb))$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'voting', '{"estimators": [{"algorithm": "voting", "estimators": [{"algorithm": "voting", "estimators": [{"algorithm": "voting", "estimators": [{"algorithm": "tree"}]}]}]}]}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"preprocess": {"mean_radius": {"impute": 5}}}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"class_weight": {"nope": 2}}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', 'tree', '{"class_weight": {"1": -2}}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', test_size => -1)$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', test_size => 1)$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', test_size => 'NaN')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', test_size => 'Infinity')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', seed => -9223372036854775808, deploy => 'never')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', deploy => 'sometimes')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', task => 'ranking')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', features => '{}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', features => '{nope}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', features => '{target}')$$),
 ($$SELECT * FROM ml_train('h', 'bc_train', 'target', features => ARRAY[NULL]::text[])$$),
 ($$SELECT ml_predict('nope', ARRAY[1.0])$$),
 ($$SELECT ml_predict('hostile_base@999', ARRAY[1.0])$$),
 ($$SELECT ml_predict('hostile_base@', ARRAY[1.0])$$),
 ($$SELECT ml_predict('hostile_base', ARRAY[1.0])$$),
 ($$SELECT ml_predict('hostile_base', ARRAY[NULL]::float8[])$$),
 ($$SELECT ml_predict('hostile_base', array_fill('NaN'::float8, ARRAY[30]))$$),
 ($$SELECT ml_predict('hostile_base', array_fill(1e308::float8, ARRAY[30]))$$),
 ($$SELECT ml_predict('hostile_base', ARRAY[[1.0, 2.0], [3.0, 4.0]])$$),
 ($$SELECT ml_predict(-1::bigint, ARRAY[1.0])$$),
 ($$SELECT ml_predict(9223372036854775807::bigint, ARRAY[1.0])$$),
 ($$SELECT ml_predict('\x4d4c5351'::bytea, ARRAY[1.0])$$),
 ($$SELECT ml_predict(''::bytea, ARRAY[1.0])$$),
 ($$SELECT ml_predict_label('hostile_base', (SELECT b FROM bc b LIMIT 1))$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{}')$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', (SELECT (repeat('{"a": ', 100) || '1' || repeat('}', 100))::jsonb))$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', (SELECT ('{"max_depth": [' || string_agg(g::text, ',') || ']}')::jsonb FROM generate_series(1, 200000) g), method => 'grid')$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": {"int_uniform": [1, 1e300]}}', trials => 1, deploy => 'never')$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": {"uniform": ["a", "b"]}}')$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": [2]}', trials => 2147483647)$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": [2]}', folds => 1000)$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": [2]}', folds => -1)$$),
 ($$SELECT * FROM ml_search('h', 'bc_train', 'target', 'tree', '{"max_depth": [2]}', metric => 'happiness')$$),
 ($$SELECT ml_fit('tree', target, ARRAY[]::float8[]) FROM bc_train$$),
 ($$SELECT ml_fit('tree', target, ARRAY[mean_radius], '[]') FROM bc_train$$),
 ($$SELECT ml_fit('tree', target, ARRAY[mean_radius], '{"seed": "x"}') FROM bc_train$$),
 ($$SELECT ml_fit(NULL, target, ARRAY[mean_radius]) FROM bc_train$$),
 ($$SELECT ml_fit('tree', point(1, 2), ARRAY[1.0]) FROM bc_train$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "rank:pairwise"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "dart", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, 1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [2, -1, -1], "right_children": [0, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [7, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [-1, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1.5, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "1.5", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}'))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}', ARRAY['a']))$$),
 ($$SELECT length(ml_import_xgboost('{"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0], "split_conditions": [0.5, 1, -1], "default_left": [0, 0, 0]}]}}}}', ARRAY['a', NULL]))$$),
 ($$SELECT ml_import_xgboost('[]')$$),
 ($$SELECT ml_import_xgboost('{"learner": 1}')$$),
 ($$SELECT ml_plot('nope', 1)$$),
 ($$SELECT ml_plot('loss_curve', -1)$$),
 ($$SELECT ml_schedule('hostile_base', 'every now and then')$$),
 ($$SELECT * FROM ml_deploy('hostile_base', -1)$$),
 ($$SELECT * FROM ml_deploy('hostile_base', 'cosmic')$$),
 ($$SELECT * FROM ml_alias('hostile_base', '1', 1)$$),
 ($$SELECT * FROM ml_alias('hostile_base', 'a@b', 1)$$),
 ($$SELECT * FROM ml_grant('hostile_base', 'no_such_role', 'score')$$),
 ($$SELECT * FROM ml_grant('hostile_base', 'postgres', 'everything')$$),
 ($$SELECT ml_set_threshold('hostile_base', 'NaN')$$),
 ($$SELECT * FROM ml_cross_validate('bc_train', 'target', 'tree', folds => 100000)$$),
 ($$SELECT * FROM ml_learning_curve('bc_train', 'target', 'tree', sizes => '{NaN}')$$),
 ($$SELECT * FROM ml_learning_curve('bc_train', 'target', 'tree', sizes => '{}')$$),
 ($$SELECT * FROM ml_compare('h', 'bc_train', 'target', '{}')$$),
 ($$SELECT * FROM ml_compare('h', 'bc_train', 'target', '{tree}', -5)$$),
 ($$SELECT * FROM ml_evaluate('hostile_base', 'SELECT 1 AS x')$$),
 ($$SELECT * FROM ml_drift('hostile_base', 'SELECT * FROM bc_train WHERE false')$$);

CREATE FUNCTION pg_temp.catalog_counts() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(n::text, ',') FROM (
        SELECT count(*) AS n FROM mlsql.projects UNION ALL SELECT count(*) FROM mlsql.experiments
        UNION ALL SELECT count(*) FROM mlsql.runs UNION ALL SELECT count(*) FROM mlsql.metrics
        UNION ALL SELECT count(*) FROM mlsql.models UNION ALL SELECT count(*) FROM mlsql.deployments
        UNION ALL SELECT count(*) FROM mlsql.artifacts UNION ALL SELECT count(*) FROM mlsql.datasets
        UNION ALL SELECT count(*) FROM mlsql.aliases) c
$$;
CREATE TEMP TABLE outcomes (id int, sqlstate text, catalog_unchanged boolean);
DO $$
DECLARE
    c record;
    before text;
    st text;
BEGIN
    FOR c IN SELECT * FROM cases ORDER BY id LOOP
        before := pg_temp.catalog_counts();
        BEGIN
            EXECUTE c.sql;
            st := 'ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        END;
        INSERT INTO outcomes VALUES (c.id, st, st = 'ok' OR pg_temp.catalog_counts() = before);
    END LOOP;
END $$;
SELECT count(*) AS cases, count(*) FILTER (WHERE sqlstate = 'ok') AS results,
       count(*) FILTER (WHERE sqlstate <> 'ok') AS clean_errors,
       count(*) FILTER (WHERE sqlstate IN ('XX000', 'XX001', 'XX002')) AS internal_errors,
       bool_and(catalog_unchanged) AS no_partial_rows
FROM outcomes;
-- every case with its outcome
SELECT o.id, o.sqlstate, left(c.sql, 110) AS call FROM outcomes o JOIN cases c USING (id) ORDER BY o.id;
-- the injected statements did nothing
SELECT count(*) AS bc_rows FROM bc;
