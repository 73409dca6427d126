-- distribute: the functions a Citus coordinator ships in place of a model
-- reference score exactly as the reference does; on one node (no citus
-- extension) the planner leaves every call as written.
SET client_min_messages = warning;
CREATE TABLE ship_rows AS
SELECT g AS id, (g % 3 = 0) AS churned, (g % 7) * 1.5 + (g % 3) AS spend,
       CASE g % 4 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' ELSE 'west' END AS region,
       (g % 11) * 0.37 AS visits
FROM generate_series(1, 400) g;
SELECT version FROM ml_train('ship_c', 'SELECT churned, spend, region, visits FROM ship_rows', 'churned', 'gbdt', '{"n_trees": 20}', deploy => 'always');
SELECT version FROM ml_train('ship_r', 'SELECT spend, visits FROM ship_rows', 'spend', 'linear', deploy => 'always');
SELECT ml_set_threshold('ship_c', 0.3) IS NOT NULL AS set;
CREATE TEMP TABLE ship_m AS
SELECT p.name, mo.model, mo.threshold FROM mlsql.models mo JOIN mlsql.projects p ON p.id = mo.project_id
WHERE p.name IN ('ship_c', 'ship_r');
RESET client_min_messages;

-- the same answers as the references, for every output and both input forms
SELECT count(*) FILTER (WHERE mlsql.predict_shipped(m.model, t, m.threshold) = ml_predict('ship_c', t)) AS predict,
       count(*) FILTER (WHERE mlsql.predict_proba_shipped(m.model, t, m.threshold) = ml_predict_proba('ship_c', t)) AS proba,
       count(*) FILTER (WHERE mlsql.predict_label_shipped(m.model, t, m.threshold) = ml_predict_label('ship_c', t)) AS label,
       count(*) FILTER (WHERE mlsql.transform_shipped(m.model, t, m.threshold) = ml_transform('ship_c', t)) AS transform,
       count(*) FILTER (WHERE mlsql.explain_values_shipped(m.model, t, m.threshold) = ml_explain_values('ship_c', t)) AS explain,
       count(*) AS n
FROM ship_rows t, ship_m m WHERE m.name = 'ship_c';
SELECT count(*) FILTER (WHERE mlsql.predict_shipped(m.model, ARRAY[t.visits], m.threshold) = ml_predict('ship_r', ARRAY[t.visits])) AS predict_array,
       count(*) AS n
FROM ship_rows t, ship_m m WHERE m.name = 'ship_r';
-- the threshold travels with the bytes: without it, the model's default decision
SELECT count(*) FILTER (WHERE mlsql.predict_label_shipped(m.model, t, 'NaN') <> ml_predict_label('ship_c', t)) > 0 AS threshold_matters
FROM ship_rows t, ship_m m WHERE m.name = 'ship_c';
SELECT (SELECT array_agg(row(e.feature, e.value, e.contribution, e.category)::text ORDER BY e.feature)
        FROM ship_m m, mlsql.explain_shipped(m.model, t, m.threshold) e WHERE m.name = 'ship_c')
     = (SELECT array_agg(row(e.feature, e.value, e.contribution, e.category)::text ORDER BY e.feature)
        FROM ml_explain('ship_c', t) e) AS explain_rows
FROM ship_rows t WHERE id = 7;

-- bytes are bad input like any model bytes; NULLs are refused
SELECT mlsql.predict_shipped('\x00010203'::bytea, ARRAY[1.0]::float8[], 'NaN');
SELECT mlsql.predict_shipped(NULL, ARRAY[1.0]::float8[], 'NaN');
SELECT mlsql.predict_shipped(m.model, NULL::float8[], 'NaN') FROM ship_m m WHERE m.name = 'ship_r';

-- one node: calls are planned as written
EXPLAIN (VERBOSE, COSTS OFF) SELECT ml_predict('ship_r', ARRAY[visits]) FROM ship_rows;
