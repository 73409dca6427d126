-- costs: scoring functions cost what they take, so the planner runs a cheap
-- filter before ml_predict (issue: a view keeping one row in five scored all
-- five).  Its own fixtures.
\i test/regress/datasets.sql
SET client_min_messages = warning;
SELECT version FROM ml_train('cost_lin', 'SELECT mean_radius, worst_area, target FROM bc', 'target', 'logistic');
RESET client_min_messages;

-- every scoring function has a cost above an operator's
SELECT p.proname, min(p.procost) AS min_cost, max(p.procost) AS max_cost
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mlsql'
WHERE p.proname ~ '(predict|transform|explain)'
GROUP BY 1 ORDER BY 1;

-- the view's filter (cheap) comes before the model in the scan's filter
CREATE VIEW bc_big AS SELECT * FROM bc WHERE id % 5 = 0;
EXPLAIN (COSTS OFF) SELECT count(*) FROM bc_big WHERE ml_predict('cost_lin', ARRAY[mean_radius, worst_area]) > 0.5;
EXPLAIN (COSTS OFF) SELECT count(*) FROM bc WHERE ml_predict('cost_lin', ARRAY[mean_radius, worst_area]) > 0.5 AND id % 5 = 0;
DROP VIEW bc_big;
