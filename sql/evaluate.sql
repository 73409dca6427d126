-- evaluate: metrics of a model on any source with its columns
\i test/regress/train_projects.sql

-- on the whole breast cancer table (extra columns are ignored)
SELECT (e->>'n_rows')::int AS n_rows, (e->>'accuracy')::float8 >= 0.95 AS accuracy_ok,
       (e->>'roc_auc')::float8 >= 0.98 AS roc_auc_ok,
       array(SELECT jsonb_object_keys(e) ORDER BY 1) AS keys
FROM ml_evaluate('cancer', 'bc') e;

-- on the training data, ml_evaluate reproduces the recorded train metrics
SELECT abs((ml_evaluate(m.id, 'diabetes_train')->>'r2')::float8 - mt.value) < 1e-12 AS r2_matches,
       array(SELECT jsonb_object_keys(ml_evaluate(m.id, 'diabetes_train')) ORDER BY 1) AS keys
FROM mlsql.models m
JOIN mlsql.metrics mt ON mt.run_id = m.run_id AND mt.split = 'train' AND mt.name = 'r2'
WHERE m.project_id = (SELECT id FROM mlsql.projects WHERE name = 'diabetes_ridge') AND m.version = 3;

-- text labels, through a query source
SELECT (e->>'n_rows')::int AS n_rows, (e->>'accuracy')::float8 >= 0.9 AS accuracy_ok
FROM ml_evaluate('iris', 'SELECT * FROM iris WHERE id % 2 = 0') e;

-- by version, and metrics equal a computation in SQL
SELECT (ml_evaluate('cancer@1', 'bc')->>'accuracy')::float8 =
       (SELECT avg((ml_predict('cancer@1', b) = target)::int)::float8 FROM bc b) AS accuracy_matches_sql;

-- errors
SELECT ml_evaluate('iris', 'SELECT * FROM iris WHERE species <> ''setosa''') IS NOT NULL AS subset_ok;
SELECT ml_evaluate('iris', 'SELECT sepal_length, sepal_width, petal_length, petal_width, ''rose'' AS species FROM iris');
SELECT ml_evaluate('iris', 'SELECT sepal_length, species FROM iris');
SELECT ml_evaluate('cancer', 'SELECT * FROM bc WHERE false');
SELECT ml_evaluate('no_such_project', 'bc');
