-- ==== planner costs of scoring ====
-- Scoring a row costs far more than an operator (COST 1, cpu_operator_cost):
-- measured on this project's machine, a float8 comparison takes about 40 ns,
-- a logistic regression of 4 features about 150 ns, 100 trees of depth 6
-- about 750 ns per row, a TreeSHAP explanation tens of microseconds.  With
-- the default COST 1 the planner ran ml_predict before cheaper filters of
-- the same scan (a view's WHERE clause, for one); a realistic cost makes it
-- evaluate cheap filters first (order_qual_clauses sorts quals by cost).
-- Every scoring function of the extension, shipped forms included:
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure AS fn,
               CASE WHEN p.proname OPERATOR(pg_catalog.~) '^(ml_)?explain' THEN 1000 ELSE 25 END AS cost
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
             AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
        JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
             AND e.extname OPERATOR(pg_catalog.=) 'mlsql'
        WHERE p.proname OPERATOR(pg_catalog.~) '^(ml_predict|ml_predict_proba|ml_predict_label|ml_transform|ml_explain_values|ml_explain|predict_shipped|predict_proba_shipped|predict_label_shipped|transform_shipped|explain_values_shipped|explain_shipped)$'
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s COST %s', f.fn, f.cost);
    END LOOP;
END $$;
