/*
 * Training and scoring where the data lies: the aggregate and partitions
 * engines of ml_train (src/pg/engine.c), and the functions a Citus
 * coordinator ships models to its workers with (src/pg/distribute.c).
 */

-- The aggregate and partitions engines of ml_train.
-- One pass of the engine is one query over the source with this aggregate;
-- its state is bytea with a combine function, so parallel workers and
-- Citus shards build partial states.  The config (first argument) says
-- what the pass computes; a query passes one config.
CREATE FUNCTION mlsql.engine_trans(state bytea, config bytea, nums float8[], cats text[], y float8, label text)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_engine_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION mlsql.engine_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_engine_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION mlsql.engine_final(state bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mlsql_engine_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE mlsql.engine_pass(config bytea, nums float8[], cats text[], y float8, label text) (
    SFUNC = mlsql.engine_trans, STYPE = bytea, COMBINEFUNC = mlsql.engine_combine,
    FINALFUNC = mlsql.engine_final, PARALLEL = SAFE);
CREATE FUNCTION mlsql.engine_bucket(config bytea, nums float8[], cats text[], y float8, label text)
RETURNS int4 AS 'MODULE_PATHNAME', 'mlsql_engine_bucket' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mlsql.raw_num(value anyelement)
RETURNS float8 AS 'MODULE_PATHNAME', 'mlsql_raw_num' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mlsql.raw_text(value anyelement)
RETURNS text AS 'MODULE_PATHNAME', 'mlsql_raw_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ml_in_test(seed bigint, test_size float8, VARIADIC "any")
RETURNS boolean AS 'MODULE_PATHNAME', 'mlsql_in_test' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mlsql.engine_trans(bytea, bytea, float8[], text[], float8, text) IS 'aggregate engine: one row into a pass''s state';
COMMENT ON FUNCTION mlsql.engine_combine(bytea, bytea) IS 'aggregate engine: two partial states of a pass merged';
COMMENT ON FUNCTION mlsql.engine_final(bytea) IS 'aggregate engine: a pass''s merged state (partitions: the partition''s trained model)';
COMMENT ON AGGREGATE mlsql.engine_pass(bytea, float8[], text[], float8, text) IS 'one pass of ml_train''s aggregate engine over the source (config: what the pass computes)';
COMMENT ON FUNCTION mlsql.engine_bucket(bytea, float8[], text[], float8, text) IS 'partitions engine: the seeded partition of a training row, -1 for a test row';
COMMENT ON FUNCTION mlsql.raw_num(anyelement) IS 'a number, bool (0 / 1), date (days) or timestamp (seconds since 1970, UTC) as ml_train reads it';
COMMENT ON FUNCTION mlsql.raw_text(anyelement) IS 'a category as ml_train reads it (the type''s output function)';
COMMENT ON FUNCTION ml_in_test(bigint, float8, "any") IS 'whether a row with these values (features in the source''s order, then the target) is a test row of the aggregate engine''s split with this seed and test_size';

-- Scoring on Citus workers: the coordinator ships the model.
-- The coordinator's planner puts these in place of ml_predict* / ml_transform
-- / ml_explain* calls with a constant reference (src/pg/distribute.c): the
-- model's bytes and threshold, resolved once as the caller, travel to the
-- shards with the query.  Callable directly too; they score the given bytes.
DO $$
DECLARE
    f record;
    form text;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('predict_shipped', 'pg_catalog.float8', 'predict_shipped', 'predicted value (ml_predict) of the model whose bytes are given'),
        ('predict_proba_shipped', 'pg_catalog.float8[]', 'predict_proba_shipped', 'class probabilities (ml_predict_proba) of the model whose bytes are given'),
        ('predict_label_shipped', 'pg_catalog.text', 'predict_label_shipped', 'predicted label (ml_predict_label) of the model whose bytes are given'),
        ('transform_shipped', 'pg_catalog.float8[]', 'transform_shipped', 'features after preprocessing (ml_transform) of the model whose bytes are given'),
        ('explain_values_shipped', 'pg_catalog.float8[]', 'explain_shipped', 'contributions (ml_explain_values) of the model whose bytes are given'),
        ('explain_shipped', 'TABLE (feature pg_catalog.text, value pg_catalog.float8, contribution pg_catalog.float8, category pg_catalog.text)',
         'explain_rows_shipped', 'per-row explanation (ml_explain) of the model whose bytes are given')) AS t(name, ret, sym, doc)
    LOOP
        FOREACH form IN ARRAY ARRAY['array', 'record'] LOOP
            EXECUTE pg_catalog.format(
                'CREATE FUNCTION mlsql.%1$I(model pg_catalog.bytea, features %2$s, threshold pg_catalog.float8) RETURNS %3$s
                 AS %4$L, %5$L LANGUAGE C IMMUTABLE PARALLEL SAFE%6$s',
                f.name, CASE form WHEN 'array' THEN 'pg_catalog.float8[]' ELSE 'pg_catalog.record' END, f.ret,
                '$libdir/mlsql', 'mlsql_' || f.sym || '_' || form,
                CASE WHEN f.name = 'explain_shipped' THEN ' ROWS 20' ELSE '' END);
            EXECUTE pg_catalog.format(
                'COMMENT ON FUNCTION mlsql.%1$I(pg_catalog.bytea, %2$s, pg_catalog.float8) IS %3$L',
                f.name, CASE form WHEN 'array' THEN 'pg_catalog.float8[]' ELSE 'pg_catalog.record' END,
                f.doc || ' with its threshold (NaN: none); what a Citus coordinator ships in place of a model reference');
        END LOOP;
    END LOOP;
END $$;
