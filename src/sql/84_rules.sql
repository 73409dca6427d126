/*
 * Heuristic baselines and slices: ml_rule (src/pg/rule.c, rule_compile.c)
 * registers a SQL expression, compiled into a tree, as a model version of
 * a project; ml_evaluate_slices (src/pg/slices.c) reports a model's
 * metrics per value of a column or expression.
 */

CREATE FUNCTION ml_rule(project text, expression text, name text DEFAULT 'rule')
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_rule'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_rule(text, text, text)
IS 'register a heuristic (one SQL expression over the source''s columns, compiled, never run as SQL) as a model version of algorithm rule, scored on the last training''s rows and deployed if better; later trainings report it beside the baseline';

CREATE FUNCTION ml_evaluate_slices(project text, source text, slice text)
RETURNS TABLE (slice text, n bigint, metrics jsonb, gap float8, flagged boolean)
AS 'MODULE_PATHNAME', 'mlsql_evaluate_slices'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_evaluate_slices(text, text, text)
IS 'the model''s metrics per value of slice (an expression over the source''s columns, run as the caller), the gap to the overall key metric and a flag where the slice is worse beyond its 95 % interval';

