/*
 * mlsql 0.1.0: catalog schema and SQL functions.
 *
 * Functions live in the extension's schema; the catalog lives in schema
 * mlsql.  Every function is SECURITY INVOKER: sources are read with the
 * caller's privileges.
 */
\echo Use "CREATE EXTENSION mlsql" to load this file. \quit

CREATE SCHEMA mlsql;
COMMENT ON SCHEMA mlsql IS 'mlsql catalog: projects, datasets, experiments, runs, metrics, models, deployments';

CREATE TABLE mlsql.projects (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    task        text NOT NULL CHECK (task IN ('regression', 'classification')),
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mlsql.projects IS 'one row per project; a project has one task and many model versions';

CREATE TABLE mlsql.datasets (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,
    n_rows      bigint NOT NULL,
    columns     jsonb NOT NULL,
    fingerprint text NOT NULL,
    snapshot    regclass,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mlsql.datasets IS 'the data a run read: source, row count, columns and a fingerprint of every value';

CREATE TABLE mlsql.experiments (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('train', 'search', 'cv', 'learning_curve', 'ensemble')),
    config      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mlsql.experiments IS 'one call that produced runs (ml_train, a search, ...) and its arguments';

CREATE TABLE mlsql.runs (
    id                  bigserial PRIMARY KEY,
    experiment_id       bigint NOT NULL REFERENCES mlsql.experiments (id) ON DELETE CASCADE,
    parent_run_id       bigint,             -- no foreign key: pg_dump restores config tables row by row
    project_id          bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    algorithm           text NOT NULL,
    params              jsonb NOT NULL,
    seed                bigint NOT NULL,
    dataset_id          bigint REFERENCES mlsql.datasets (id),
    status              text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'pruned')),
    error               text,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    train_seconds       float8,
    rows_per_second     float8,
    peak_memory_bytes   bigint,
    cpu_user_seconds    float8,
    cpu_system_seconds  float8,
    mlsql_version       text NOT NULL,
    pg_version          text NOT NULL,
    task                text NOT NULL,
    n_train             bigint,
    n_test              bigint,
    n_validation        bigint,
    preprocess          jsonb               -- the fitted pipeline: per column imputation, encoding, scaling, NULLs imputed
);
CREATE INDEX ON mlsql.runs (project_id);
CREATE INDEX ON mlsql.runs (parent_run_id);
COMMENT ON TABLE mlsql.runs IS 'one fit: learner, resolved params (defaults included), seed, timings; the baseline of a run is its child run';

CREATE TABLE mlsql.metrics (
    run_id      bigint NOT NULL REFERENCES mlsql.runs (id) ON DELETE CASCADE,
    split       text NOT NULL CHECK (split IN ('train', 'validation', 'test')),
    name        text NOT NULL,
    step        int,
    value       float8,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON mlsql.metrics (run_id, split, name, step);
COMMENT ON TABLE mlsql.metrics IS 'metric values; step is NULL for final values and the iteration for loss curves';

CREATE TABLE mlsql.artifacts (
    run_id       bigint NOT NULL REFERENCES mlsql.runs (id) ON DELETE CASCADE,
    name         text NOT NULL,
    content_type text NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (run_id, name)
);
COMMENT ON TABLE mlsql.artifacts IS 'files attached to a run (reports, plots)';

CREATE TABLE mlsql.models (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    version     int NOT NULL,
    run_id      bigint NOT NULL REFERENCES mlsql.runs (id),
    algorithm   text NOT NULL,
    model       bytea NOT NULL,
    size_bytes  int NOT NULL,
    hash        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, version)
);
COMMENT ON TABLE mlsql.models IS 'model versions: the model bytes (format in README), their size and sha256';

CREATE TABLE mlsql.deployments (
    id                bigserial PRIMARY KEY,
    project_id        bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    model_id          bigint NOT NULL REFERENCES mlsql.models (id),
    strategy          text NOT NULL,
    previous_model_id bigint REFERENCES mlsql.models (id),
    deployed_at       timestamptz NOT NULL DEFAULT now(),
    deployed_by       name NOT NULL DEFAULT current_user
);
CREATE INDEX ON mlsql.deployments (project_id, id);
COMMENT ON TABLE mlsql.deployments IS 'deployment history; the latest row of a project is its live model';

CREATE TABLE mlsql.aliases (
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    alias       text NOT NULL CHECK (alias ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    model_id    bigint NOT NULL REFERENCES mlsql.models (id),
    PRIMARY KEY (project_id, alias)
);
COMMENT ON TABLE mlsql.aliases IS 'named model versions: score with ''project@alias''';

SELECT pg_catalog.pg_extension_config_dump('mlsql.projects', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.projects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.datasets', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.datasets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.experiments', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.experiments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.runs', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.metrics', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.artifacts', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.models', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.deployments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mlsql.aliases', '');

GRANT USAGE ON SCHEMA mlsql TO PUBLIC;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA mlsql TO PUBLIC;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA mlsql TO PUBLIC;

-- training

CREATE FUNCTION ml_train(project text, source text, target text,
                         algorithm text DEFAULT 'linear', params jsonb DEFAULT '{}',
                         task text DEFAULT NULL, features text[] DEFAULT NULL,
                         test_size float8 DEFAULT 0.25, seed bigint DEFAULT 42,
                         deploy text DEFAULT 'if_better')
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_train(text, text, text, text, jsonb, text, text[], float8, bigint, text)
IS 'train a model on a table, view or query, evaluate it against the baseline, record it and deploy it by rule';

-- scoring

CREATE FUNCTION ml_predict(project text, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(project text, features record) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(model_id bigint, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(model_id bigint, features record) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict(text, float8[]) IS 'predicted value, or predicted label for numeric / bool labels';
COMMENT ON FUNCTION ml_predict(text, record) IS 'predicted value; the row''s columns are mapped to features by name';
COMMENT ON FUNCTION ml_predict(bigint, float8[]) IS 'predicted value with model id';
COMMENT ON FUNCTION ml_predict(bigint, record) IS 'predicted value with model id; columns mapped by name';

CREATE FUNCTION ml_predict_proba(project text, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(project text, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model_id bigint, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model_id bigint, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict_proba(text, float8[]) IS 'class probabilities, in ml_classes order';
COMMENT ON FUNCTION ml_predict_proba(text, record) IS 'class probabilities, in ml_classes order; columns mapped by name';
COMMENT ON FUNCTION ml_predict_proba(bigint, float8[]) IS 'class probabilities with model id';
COMMENT ON FUNCTION ml_predict_proba(bigint, record) IS 'class probabilities with model id; columns mapped by name';

CREATE FUNCTION ml_predict_label(project text, features float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(project text, features record) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(model_id bigint, features float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(model_id bigint, features record) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict_label(text, float8[]) IS 'predicted label as the original text';
COMMENT ON FUNCTION ml_predict_label(text, record) IS 'predicted label as the original text; columns mapped by name';
COMMENT ON FUNCTION ml_predict_label(bigint, float8[]) IS 'predicted label with model id';
COMMENT ON FUNCTION ml_predict_label(bigint, record) IS 'predicted label with model id; columns mapped by name';

CREATE FUNCTION ml_transform(project text, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_transform(model_id bigint, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_transform(text, record) IS 'the row after the model''s preprocessing: the features its learner sees, the input of the float8[] forms';
COMMENT ON FUNCTION ml_transform(bigint, record) IS 'the row after a model id''s preprocessing';

CREATE FUNCTION ml_classes(project text) RETURNS text[]
AS 'MODULE_PATHNAME', 'mlsql_classes_ref' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_classes(model_id bigint) RETURNS text[]
AS 'MODULE_PATHNAME', 'mlsql_classes_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_classes(text) IS 'class labels, in the order ml_predict_proba uses';
COMMENT ON FUNCTION ml_classes(bigint) IS 'class labels of a model id, in the order ml_predict_proba uses';

CREATE FUNCTION ml_evaluate(project text, source text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_ref' LANGUAGE C STABLE PARALLEL UNSAFE;
CREATE FUNCTION ml_evaluate(model_id bigint, source text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_id' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_evaluate(text, text) IS 'metrics of the model on any source that has its feature and target columns';
COMMENT ON FUNCTION ml_evaluate(bigint, text) IS 'metrics of a model id on any source that has its feature and target columns';

CREATE FUNCTION ml_model_info(project text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_model_info_ref' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_model_info(model_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_model_info_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_model_info(text) IS 'what a model is: algorithm, features, classes and learned parameters (coefficients)';
COMMENT ON FUNCTION ml_model_info(bigint) IS 'what a model id is: algorithm, features, classes and learned parameters';

-- registry

CREATE FUNCTION ml_deploy(project text, version int)
RETURNS TABLE (project text, version int, model_id bigint, previous_model_id bigint)
AS 'MODULE_PATHNAME', 'mlsql_deploy' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_deploy(text, int) IS 'make a model version the project''s live model (recorded in mlsql.deployments)';

-- data versions

GRANT CREATE ON SCHEMA mlsql TO PUBLIC;

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
LANGUAGE plpgsql STABLE AS $$
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
