/*
 * The catalog: schema mlsql and its tables, which pg_dump keeps
 * (pg_extension_config_dump), and the triggers that tell every backend's
 * reference cache that a table it reads changed.
 *
 * Functions live in the extension's schema; the catalog lives in schema
 * mlsql.  Functions are SECURITY INVOKER: sources are read with the
 * caller's privileges; catalog writes go through the C door
 * (src/pg/catalog.c), which switches to the extension owner for them.
 * Roles are kept by OID (regrole), so a role dropped and created again
 * under the same name is another role.
 */
\echo Use "CREATE EXTENSION mlsql" to load this file. \quit

CREATE SCHEMA mlsql;
COMMENT ON SCHEMA mlsql IS 'mlsql catalog: projects, datasets, experiments, runs, metrics, models, deployments';

CREATE TABLE mlsql.projects (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    task        text NOT NULL CHECK (task IN ('regression', 'classification', 'clustering', 'anomaly')),
    owner       regrole NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    metric      text,
    target      text,
    target_type text CHECK (target_type OPERATOR(pg_catalog.=) ANY ('{number,boolean,text}'::pg_catalog.text[]))
);
COMMENT ON TABLE mlsql.projects IS 'one row per project; a project has one task and many model versions';
COMMENT ON COLUMN mlsql.projects.metric IS 'the metric the project ranks its models by (ml_set_metric); NULL: accuracy for classification, r2 for regression';
COMMENT ON COLUMN mlsql.projects.target IS 'the target column every version predicts (NULL: unsupervised); another is an error unless params {"retarget": true}';
COMMENT ON COLUMN mlsql.projects.target_type IS 'the kind of the target: number, boolean or text';

CREATE TABLE mlsql.datasets (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,
    n_rows      bigint NOT NULL,
    columns     jsonb NOT NULL,
    fingerprint text NOT NULL,
    snapshot    regclass,
    created_by  regrole,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mlsql.datasets IS 'the data a run read: source, row count, columns and a fingerprint of every value';

CREATE TABLE mlsql.experiments (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('train', 'search', 'cv', 'learning_curve', 'ensemble', 'sanity_check', 'label_issues', 'rule', 'automl', 'slices')),
    config      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  regrole
);
COMMENT ON TABLE mlsql.experiments IS 'one call that produced runs (ml_train, a search, ...) and its arguments';
COMMENT ON COLUMN mlsql.experiments.created_by IS 'the role that recorded the configuration; ml_retrain, ml_schedule and ml_reproduce replay only the caller''s own';

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
    preprocess          jsonb,              -- the fitted pipeline: per column imputation, encoding, scaling, NULLs imputed
    test_fingerprint    text
);
CREATE INDEX ON mlsql.runs (project_id);
CREATE INDEX ON mlsql.runs (parent_run_id);
CREATE INDEX ON mlsql.runs (dataset_id);
COMMENT ON TABLE mlsql.runs IS 'one fit: learner, resolved params (defaults included), seed, timings; the baseline of a run is its child run';
COMMENT ON COLUMN mlsql.runs.test_fingerprint IS 'fingerprint of the rows the test metrics were taken on (the training rows without a test split): scores with the same one compare';

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
    threshold   float8 CHECK (threshold BETWEEN 0 AND 1),  -- binary: ml_set_threshold's decision threshold
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
    deployed_by       regrole NOT NULL,
    metric            text,
    score             float8,
    live_score        float8,
    basis             text,
    reason            text
);
CREATE INDEX ON mlsql.deployments (project_id, id);
COMMENT ON TABLE mlsql.deployments IS 'deployment history; the latest row of a project is its live model';
COMMENT ON COLUMN mlsql.deployments.metric IS 'the key metric the decision compared';
COMMENT ON COLUMN mlsql.deployments.score IS 'the deployed model''s score on it';
COMMENT ON COLUMN mlsql.deployments.live_score IS 'the score it beat: the live model''s, or the baseline''s for a first model';
COMMENT ON COLUMN mlsql.deployments.basis IS 'how live_score was taken: re-scored on the same test rows, or recorded';
COMMENT ON COLUMN mlsql.deployments.reason IS 'why, in one sentence (the NOTICE of the decision)';

CREATE TABLE mlsql.aliases (
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    alias       text NOT NULL CHECK (alias ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    model_id    bigint NOT NULL REFERENCES mlsql.models (id),
    PRIMARY KEY (project_id, alias)
);
COMMENT ON TABLE mlsql.aliases IS 'named model versions: score with ''project@alias''';

CREATE TABLE mlsql.grants (
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    role        regrole NOT NULL,
    level       text NOT NULL CHECK (level IN ('use', 'manage')),
    granted_by  regrole NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, role)
);
COMMENT ON TABLE mlsql.grants IS 'who besides the owner may use (see, score) or manage (train, deploy, grant) a project: ml_grant';

SELECT pg_catalog.pg_extension_config_dump('mlsql.grants', '');
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

-- The backends' reference caches (ml_predict('project', ...) and the like)
-- forget what they resolved whenever a table a lookup reads changes.
CREATE FUNCTION mlsql.catalog_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'mlsql_catalog_changed' LANGUAGE C;
COMMENT ON FUNCTION mlsql.catalog_changed() IS 'statement trigger: invalidates the backends'' cached model references';
CREATE TRIGGER references_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mlsql.projects
    FOR EACH STATEMENT EXECUTE FUNCTION mlsql.catalog_changed();
CREATE TRIGGER references_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mlsql.grants
    FOR EACH STATEMENT EXECUTE FUNCTION mlsql.catalog_changed();
CREATE TRIGGER references_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mlsql.models
    FOR EACH STATEMENT EXECUTE FUNCTION mlsql.catalog_changed();
CREATE TRIGGER references_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mlsql.deployments
    FOR EACH STATEMENT EXECUTE FUNCTION mlsql.catalog_changed();
CREATE TRIGGER references_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mlsql.aliases
    FOR EACH STATEMENT EXECUTE FUNCTION mlsql.catalog_changed();
-- also when rows arrive by logical replication (session_replication_role = replica)
ALTER TABLE mlsql.projects ENABLE ALWAYS TRIGGER references_changed;
ALTER TABLE mlsql.grants ENABLE ALWAYS TRIGGER references_changed;
ALTER TABLE mlsql.models ENABLE ALWAYS TRIGGER references_changed;
ALTER TABLE mlsql.deployments ENABLE ALWAYS TRIGGER references_changed;
ALTER TABLE mlsql.aliases ENABLE ALWAYS TRIGGER references_changed;
