/*
 * Training as an aggregate (src/pg/aggregate.c): ml_fit over any rows,
 * GROUP BY for one model per group, in parallel workers and on Citus
 * shards through its combine function; the model bytes it returns score
 * directly or are registered with ml_save, as are imported XGBoost models.
 */

CREATE FUNCTION mlsql.fit_trans(state bytea, algorithm text, target anyelement, features float8[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mlsql.fit_trans(state bytea, algorithm text, target anyelement, features float8[], params jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mlsql.fit_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mlsql.fit_final(state bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mlsql.fit_trans(bytea, text, anyelement, float8[]) IS 'ml_fit transition: adds a row to the state (in place inside the aggregate)';
COMMENT ON FUNCTION mlsql.fit_trans(bytea, text, anyelement, float8[], jsonb) IS 'ml_fit transition with params';
COMMENT ON FUNCTION mlsql.fit_combine(bytea, bytea) IS 'ml_fit combine: merges two partial states (parallel workers, distributed shards)';
COMMENT ON FUNCTION mlsql.fit_final(bytea) IS 'ml_fit final: trains the model from the state';

CREATE AGGREGATE ml_fit(algorithm text, target anyelement, features float8[]) (
    SFUNC = mlsql.fit_trans, STYPE = bytea,
    COMBINEFUNC = mlsql.fit_combine, FINALFUNC = mlsql.fit_final, PARALLEL = SAFE);
CREATE AGGREGATE ml_fit(algorithm text, target anyelement, features float8[], params jsonb) (
    SFUNC = mlsql.fit_trans, STYPE = bytea,
    COMBINEFUNC = mlsql.fit_combine, FINALFUNC = mlsql.fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE ml_fit(text, anyelement, float8[]) IS 'train a model over the aggregated rows (GROUP BY: one per group); returns model bytes';
COMMENT ON AGGREGATE ml_fit(text, anyelement, float8[], jsonb) IS 'train a model with params over the aggregated rows; returns model bytes';

-- ml_fit with concrete target types.
-- Citus type-checks a pushed-down aggregate's arguments against the row it
-- builds (anyelement does not pass) and calls the transition function
-- without the planner's expression (fn_expr), so each target type has its
-- own overload and C entry point that knows the type.  The anyelement
-- overloads stay for other types (enums) on one node.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['float8', 'numeric', 'int4', 'int8', 'bool', 'text'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION mlsql.fit_trans(state bytea, algorithm text, target pg_catalog.%1$s, features pg_catalog.float8[])
             RETURNS bytea AS %2$L, %3$L LANGUAGE C IMMUTABLE PARALLEL SAFE', t, '$libdir/mlsql', 'mlsql_fit_trans_' || t);
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION mlsql.fit_trans(state bytea, algorithm text, target pg_catalog.%1$s, features pg_catalog.float8[], params jsonb)
             RETURNS bytea AS %2$L, %3$L LANGUAGE C IMMUTABLE PARALLEL SAFE', t, '$libdir/mlsql', 'mlsql_fit_trans_' || t);
        EXECUTE pg_catalog.format(
            'COMMENT ON FUNCTION mlsql.fit_trans(bytea, text, pg_catalog.%1$s, pg_catalog.float8[]) IS %2$L',
            t, 'ml_fit transition for a ' || t || ' target (needs no fn_expr: Citus workers call it bare)');
        EXECUTE pg_catalog.format(
            'COMMENT ON FUNCTION mlsql.fit_trans(bytea, text, pg_catalog.%1$s, pg_catalog.float8[], jsonb) IS %2$L',
            t, 'ml_fit transition with params for a ' || t || ' target');
        EXECUTE pg_catalog.format(
            'CREATE AGGREGATE @extschema@.ml_fit(algorithm text, target pg_catalog.%1$s, features pg_catalog.float8[]) (
                SFUNC = mlsql.fit_trans, STYPE = bytea, COMBINEFUNC = mlsql.fit_combine,
                FINALFUNC = mlsql.fit_final, PARALLEL = SAFE)', t);
        EXECUTE pg_catalog.format(
            'CREATE AGGREGATE @extschema@.ml_fit(algorithm text, target pg_catalog.%1$s, features pg_catalog.float8[], params jsonb) (
                SFUNC = mlsql.fit_trans, STYPE = bytea, COMBINEFUNC = mlsql.fit_combine,
                FINALFUNC = mlsql.fit_final, PARALLEL = SAFE)', t);
        EXECUTE pg_catalog.format(
            'COMMENT ON AGGREGATE @extschema@.ml_fit(text, pg_catalog.%1$s, pg_catalog.float8[]) IS %2$L',
            t, 'train a model over the aggregated rows with a ' || t || ' target (GROUP BY: one per group); returns model bytes');
        EXECUTE pg_catalog.format(
            'COMMENT ON AGGREGATE @extschema@.ml_fit(text, pg_catalog.%1$s, pg_catalog.float8[], jsonb) IS %2$L',
            t, 'train a model with params over the aggregated rows with a ' || t || ' target');
    END LOOP;
END $$;

CREATE FUNCTION ml_predict(model bytea, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_bytes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model bytea, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_bytes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict(bytea, float8[]) IS 'predicted value of model bytes (ml_fit) for a features array';
COMMENT ON FUNCTION ml_predict_proba(bytea, float8[]) IS 'class probabilities of model bytes (ml_fit)';

CREATE FUNCTION ml_save(project text, model bytea, deploy text DEFAULT 'if_better', features text[] DEFAULT NULL)
RETURNS TABLE (project text, version int, model_id bigint, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_save' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_save(text, bytea, text, text[]) IS 'register model bytes (ml_fit) as the project''s next version, its columns named by features (else x1, x2, ...); if_better deploys it when nothing is deployed';

CREATE FUNCTION ml_import_xgboost(model jsonb, features text[] DEFAULT NULL) RETURNS bytea
AS 'MODULE_PATHNAME', 'mlsql_import_xgboost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_import_xgboost(jsonb, text[]) IS 'model bytes of an XGBoost model saved as JSON (gbtree), scored as XGBoost scores it; register with ml_save';
