/*
 * Data versions (src/pg/data.c): snapshots recorded in mlsql.datasets, drift
 * of new data against a model's training data, and what changed between two
 * data versions.
 */

CREATE FUNCTION ml_snapshot(source text) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_snapshot' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_snapshot(text) IS 'copy a source into the table mlsql.snapshot_<id>, record it in mlsql.datasets and return the id; train on it with source ''snapshot:<id>''';

CREATE FUNCTION ml_drift(project text, source text)
RETURNS TABLE (feature text, kind text, psi float8, unseen_share float8,
               null_rate_train float8, null_rate_new float8, drifted boolean)
AS 'MODULE_PATHNAME', 'mlsql_drift' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_drift(text, text) IS 'per feature of the deployed model: population stability index, unseen categories and NULL rates of new data against the training data';

CREATE FUNCTION ml_data_diff(dataset_a bigint, dataset_b bigint)
RETURNS TABLE (column_name text, status text, statistic text, value_a text, value_b text, change float8)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mlsql.datasets WHERE id = dataset_a) THEN
        RAISE EXCEPTION 'dataset % does not exist', dataset_a USING ERRCODE = 'undefined_object',
            HINT = 'Data versions are the rows of mlsql.datasets.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM mlsql.datasets WHERE id = dataset_b) THEN
        RAISE EXCEPTION 'dataset % does not exist', dataset_b USING ERRCODE = 'undefined_object',
            HINT = 'Data versions are the rows of mlsql.datasets.';
    END IF;
    RETURN QUERY
    WITH a AS (SELECT c->>'name' AS name, c FROM mlsql.datasets d, pg_catalog.jsonb_array_elements(d.columns) c
               WHERE d.id = dataset_a),
         b AS (SELECT c->>'name' AS name, c FROM mlsql.datasets d, pg_catalog.jsonb_array_elements(d.columns) c
               WHERE d.id = dataset_b),
         cols AS (SELECT coalesce(a.name, b.name) AS name, a.c AS ca, b.c AS cb
                  FROM a FULL JOIN b ON a.name = b.name),
         stats AS (SELECT s FROM pg_catalog.unnest(ARRAY['type', 'count', 'nulls', 'distinct', 'mean', 'std', 'min', 'max']) s)
    SELECT NULL::text, 'changed'::text, 'rows'::text, da.n_rows::text, db.n_rows::text, (db.n_rows - da.n_rows)::float8
    FROM mlsql.datasets da, mlsql.datasets db
    WHERE da.id = dataset_a AND db.id = dataset_b AND da.n_rows <> db.n_rows
    UNION ALL
    SELECT cols.name, CASE WHEN cols.ca IS NULL THEN 'added' ELSE 'removed' END, NULL, NULL, NULL, NULL
    FROM cols WHERE cols.ca IS NULL OR cols.cb IS NULL
    UNION ALL
    SELECT cols.name, 'changed', stats.s, cols.ca->>stats.s, cols.cb->>stats.s,
           CASE WHEN stats.s <> 'type' AND pg_catalog.jsonb_typeof(cols.ca->stats.s) = 'number'
                     AND pg_catalog.jsonb_typeof(cols.cb->stats.s) = 'number'
                THEN (cols.cb->>stats.s)::float8 - (cols.ca->>stats.s)::float8 END
    FROM cols, stats
    WHERE cols.ca IS NOT NULL AND cols.cb IS NOT NULL
      AND (cols.ca->stats.s) IS DISTINCT FROM (cols.cb->stats.s);
END $$;
COMMENT ON FUNCTION ml_data_diff(bigint, bigint) IS 'what changed between two data versions: rows, added / removed columns, and per-column statistics';
