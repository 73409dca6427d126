/*
 * mlsql 0.1.0: catalog schema and SQL functions.
 *
 * Frozen: the first release's install script, kept only as the root of the
 * upgrade path (CREATE EXTENSION mlsql VERSION '0.1.0', then ALTER EXTENSION
 * mlsql UPDATE through the scripts beside it; test/integration/upgrade.sh).
 * Never edit it: it must stay what 0.1.0 installations ran.
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
    task        text NOT NULL CHECK (task IN ('regression', 'classification', 'clustering', 'anomaly')),
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
    created_by  name,
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

CREATE TABLE mlsql.grants (
    project_id  bigint NOT NULL REFERENCES mlsql.projects (id) ON DELETE CASCADE,
    role        name NOT NULL,
    level       text NOT NULL CHECK (level IN ('use', 'manage')),
    granted_by  name NOT NULL,
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

-- Privileges: ordinary roles read the catalog, filtered by row-level
-- security to the projects they own or were granted; every write goes
-- through the API, which switches to the extension owner for the catalog
-- statements only.
GRANT USAGE ON SCHEMA mlsql TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA mlsql TO PUBLIC;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA mlsql TO PUBLIC;

CREATE FUNCTION mlsql.project_visible(pid bigint, who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM mlsql.projects p
        WHERE p.id = pid
          AND (CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p.owner)
                    THEN pg_catalog.pg_has_role(who, p.owner, 'MEMBER') ELSE false END
               OR EXISTS (SELECT 1 FROM mlsql.grants g JOIN pg_catalog.pg_roles r ON r.rolname = g.role
                          WHERE g.project_id = p.id AND pg_catalog.pg_has_role(who, g.role, 'MEMBER'))))
$$;
COMMENT ON FUNCTION mlsql.project_visible(bigint, name) IS 'row-level security: the role owns the project (or is a member of its owner) or was granted it';
CREATE FUNCTION mlsql.run_visible(rid bigint, who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT mlsql.project_visible((SELECT project_id FROM mlsql.runs WHERE id = rid), who)
$$;
COMMENT ON FUNCTION mlsql.run_visible(bigint, name) IS 'row-level security: the run belongs to a visible project';
CREATE FUNCTION mlsql.dataset_visible(did bigint, who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM mlsql.datasets d JOIN pg_catalog.pg_roles r ON r.rolname = d.created_by
                   WHERE d.id = did AND pg_catalog.pg_has_role(who, d.created_by, 'MEMBER'))
        OR EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.dataset_id = did AND mlsql.project_visible(r.project_id, who))
$$;
COMMENT ON FUNCTION mlsql.dataset_visible(bigint, name) IS 'row-level security: the role made the data version or can see a run that read it';

ALTER TABLE mlsql.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.datasets ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlsql.aliases ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON mlsql.projects FOR SELECT USING (mlsql.project_visible(id, current_user));
CREATE POLICY visible ON mlsql.grants FOR SELECT USING (mlsql.project_visible(project_id, current_user));
CREATE POLICY visible ON mlsql.datasets FOR SELECT USING (mlsql.dataset_visible(id, current_user));
CREATE POLICY visible ON mlsql.experiments FOR SELECT USING (mlsql.project_visible(project_id, current_user));
CREATE POLICY visible ON mlsql.runs FOR SELECT USING (mlsql.project_visible(project_id, current_user));
CREATE POLICY visible ON mlsql.metrics FOR SELECT USING (mlsql.run_visible(run_id, current_user));
CREATE POLICY visible ON mlsql.artifacts FOR SELECT USING (mlsql.run_visible(run_id, current_user));
CREATE POLICY visible ON mlsql.models FOR SELECT USING (mlsql.project_visible(project_id, current_user));
CREATE POLICY visible ON mlsql.deployments FOR SELECT USING (mlsql.project_visible(project_id, current_user));
CREATE POLICY visible ON mlsql.aliases FOR SELECT USING (mlsql.project_visible(project_id, current_user));

-- views (security_invoker: they show what the caller may see)
CREATE VIEW mlsql.deployed_models WITH (security_invoker = true) AS
SELECT DISTINCT ON (d.project_id)
       p.name AS project, d.project_id, m.version, m.id AS model_id, m.algorithm, d.strategy,
       d.deployed_at, d.deployed_by
FROM mlsql.deployments d
JOIN mlsql.models m ON m.id = d.model_id
JOIN mlsql.projects p ON p.id = d.project_id
ORDER BY d.project_id, d.id DESC;
COMMENT ON VIEW mlsql.deployed_models IS 'the live model of every project';

CREATE VIEW mlsql.leaderboard WITH (security_invoker = true) AS
SELECT p.name AS project, p.task, mo.version, mo.id AS model_id, mo.algorithm, mo.run_id,
       k.metric, k.split, k.score,
       pg_catalog.rank() OVER (PARTITION BY p.id ORDER BY k.score DESC NULLS LAST) AS rank,
       coalesce(mo.id = dm.model_id, false) AS deployed,
       (SELECT pg_catalog.jsonb_object_agg(mt.name, mt.value) FROM mlsql.metrics mt
        WHERE mt.run_id = mo.run_id AND mt.split = 'test' AND mt.step IS NULL) AS test_metrics,
       mo.created_at
FROM mlsql.models mo
JOIN mlsql.projects p ON p.id = mo.project_id
LEFT JOIN LATERAL (SELECT mt.name AS metric, mt.split, mt.value AS score FROM mlsql.metrics mt
                   WHERE mt.run_id = mo.run_id AND mt.step IS NULL
                     AND mt.name = CASE p.task WHEN 'regression' THEN 'r2' ELSE 'accuracy' END
                   ORDER BY mt.split = 'test' DESC LIMIT 1) k ON true
LEFT JOIN mlsql.deployed_models dm ON dm.project_id = p.id;
COMMENT ON VIEW mlsql.leaderboard IS 'every model of every project with its key score (test split; train when trained on all rows), rank and deployed flag';

CREATE VIEW mlsql.loss_curves WITH (security_invoker = true) AS
SELECT p.name AS project, m.run_id, r.algorithm, m.split, m.name AS metric, m.step, m.value
FROM mlsql.metrics m
JOIN mlsql.runs r ON r.id = m.run_id
JOIN mlsql.projects p ON p.id = r.project_id
WHERE m.step IS NOT NULL;
COMMENT ON VIEW mlsql.loss_curves IS 'per-iteration metrics of iterative learners, one row per (run, split, metric, step)';
GRANT SELECT ON mlsql.deployed_models, mlsql.leaderboard, mlsql.loss_curves TO PUBLIC;

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

-- per-row explanations: contributions that, with the bias, sum to the raw output
CREATE FUNCTION ml_explain_values(project text, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_explain_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_explain_values(project text, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_explain_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_explain_values(model_id bigint, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_explain_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_explain_values(model_id bigint, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_explain_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_explain_values(text, float8[]) IS 'contribution of each feature, then the bias (last element), summing to the raw output';
COMMENT ON FUNCTION ml_explain_values(text, record) IS 'contribution of each feature, then the bias; columns mapped by name';
COMMENT ON FUNCTION ml_explain_values(bigint, float8[]) IS 'contribution of each feature, then the bias, with model id';
COMMENT ON FUNCTION ml_explain_values(bigint, record) IS 'contribution of each feature, then the bias, with model id; columns mapped by name';

-- registry

CREATE FUNCTION ml_deploy(project text, version int)
RETURNS TABLE (project text, version int, model_id bigint, previous_model_id bigint)
AS 'MODULE_PATHNAME', 'mlsql_deploy' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_deploy(text, int) IS 'make a model version the project''s live model (recorded in mlsql.deployments)';
CREATE FUNCTION ml_deploy(project text, strategy text)
RETURNS TABLE (project text, version int, model_id bigint, previous_model_id bigint)
AS 'MODULE_PATHNAME', 'mlsql_deploy_strategy' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_deploy(text, text) IS 'deploy by strategy: best_score (highest recorded test score), most_recent, or rollback (the model live before the current one)';

CREATE FUNCTION ml_alias(project text, alias text, version int) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_alias' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_alias(text, text, int) IS 'name a version (champion, challenger, ...): score it with ''project@alias''; returns the model id';

CREATE FUNCTION ml_grant(project text, role name, level text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_grant' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_grant(text, name, text) IS 'let a role use (see, score) or manage (train, deploy, grant) a project; level none takes it back';

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

-- retraining, scheduling, reproducing

CREATE FUNCTION mlsql.last_training(project text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mlsql.projects p WHERE p.name = project) THEN
        RAISE EXCEPTION 'project "%" does not exist', project USING ERRCODE = 'undefined_object';
    END IF;
    SELECT e.config INTO c
    FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
    WHERE p.name = project AND e.kind = 'train'
    ORDER BY e.id DESC LIMIT 1;
    IF c IS NULL THEN
        RAISE EXCEPTION 'project "%" has no training to repeat', project USING ERRCODE = 'undefined_object',
            HINT = 'Train it once with ml_train.';
    END IF;
    RETURN c;
END $$;
COMMENT ON FUNCTION mlsql.last_training(text) IS 'the configuration of a project''s last ml_train (its experiment config)';

CREATE FUNCTION ml_retrain(project text)
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
LANGUAGE sql VOLATILE AS $$
    SELECT t.* FROM mlsql.last_training($1) c,
        LATERAL @extschema@.ml_train(
            $1, c->>'source', c->>'target', c->>'algorithm', coalesce(c->'params', '{}'),
            c->>'task', ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c->'features')),
            (c->>'test_size')::float8, (c->>'seed')::bigint, 'if_better') t
$$;
COMMENT ON FUNCTION ml_retrain(text) IS 'repeat the project''s last training configuration on the current data; deploys only through the if_better gate';

CREATE FUNCTION mlsql.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = 'feature_not_supported',
            HINT = 'Add pg_cron to shared_preload_libraries, then run CREATE EXTENSION pg_cron in the database named by cron.database_name.';
    END IF;
END $$;
COMMENT ON FUNCTION mlsql.require_pg_cron() IS 'an error with a hint unless pg_cron is installed in this database';

CREATE FUNCTION ml_schedule(project text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    job bigint;
BEGIN
    PERFORM mlsql.require_pg_cron();
    IF NOT EXISTS (SELECT 1 FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
                   WHERE p.name = $1 AND e.kind = 'train') THEN
        RAISE EXCEPTION 'project "%" has no training to repeat', $1 USING ERRCODE = 'undefined_object',
            HINT = 'Train it once with ml_train, then schedule it.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING 'mlsql-retrain-' || $1, $2,
          pg_catalog.format('SELECT * FROM %I.ml_retrain(%L)', '@extschema@', $1);
    RETURN job;
END $$;
COMMENT ON FUNCTION ml_schedule(text, text) IS 'schedule ml_retrain(project) with pg_cron (cron format, e.g. ''0 3 * * *''); returns the cron job id';

CREATE FUNCTION ml_unschedule(project text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    done boolean;
BEGIN
    PERFORM mlsql.require_pg_cron();
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'mlsql-retrain-' || $1;
    RETURN done;
END $$;
COMMENT ON FUNCTION ml_unschedule(text) IS 'remove the pg_cron job of ml_schedule';

CREATE FUNCTION mlsql.reproduce(rid bigint, OUT data_matched boolean, OUT model_identical boolean,
                                 OUT original_fingerprint text, OUT new_fingerprint text,
                                 OUT original_hash text, OUT new_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r record;
    c jsonb;
    fp text;
    h text;
    nfp text;
    nh text;
    mid bigint;
BEGIN
    SELECT ru.*, p.name AS project_name INTO r
    FROM mlsql.runs ru JOIN mlsql.projects p ON p.id = ru.project_id WHERE ru.id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    SELECT e.config INTO c FROM mlsql.experiments e WHERE e.id = r.experiment_id;
    SELECT m.hash INTO h FROM mlsql.models m WHERE m.run_id = $1;
    IF h IS NULL THEN
        RAISE EXCEPTION 'run % did not produce a model', $1 USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Reproduce the parent run of a baseline or member run.';
    END IF;
    SELECT d.fingerprint INTO fp FROM mlsql.datasets d WHERE d.id = r.dataset_id;
    -- train again inside a subtransaction that is then rolled back: nothing is kept
    BEGIN
        SELECT t.model_id INTO mid FROM @extschema@.ml_train(
            r.project_name, c->>'source', c->>'target', c->>'algorithm', coalesce(c->'params', '{}'),
            c->>'task', ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c->'features')),
            (c->>'test_size')::float8, r.seed, 'never') t;
        SELECT m.hash, d.fingerprint INTO nh, nfp
        FROM mlsql.models m JOIN mlsql.runs ru ON ru.id = m.run_id JOIN mlsql.datasets d ON d.id = ru.dataset_id
        WHERE m.id = mid;
        RAISE EXCEPTION USING ERRCODE = 'MLRPR', MESSAGE = 'mlsql reproduce rollback';
    EXCEPTION WHEN SQLSTATE 'MLRPR' THEN
        NULL;
    END;
    data_matched := fp = nfp;
    model_identical := h = nh;
    original_fingerprint := fp;
    new_fingerprint := nfp;
    original_hash := h;
    new_hash := nh;
END $$;
COMMENT ON FUNCTION mlsql.reproduce(bigint) IS 'the body of ml_reproduce';

CREATE FUNCTION ml_reproduce(run_id bigint)
RETURNS TABLE (run_id bigint, data_matched boolean, model_identical boolean,
               original_fingerprint text, new_fingerprint text, original_hash text, new_hash text)
LANGUAGE sql VOLATILE AS $$
    SELECT $1, r.* FROM mlsql.reproduce($1) r
$$;
COMMENT ON FUNCTION ml_reproduce(bigint) IS 'train again from a run''s recorded configuration and seed (nothing is kept) and report whether the data and the model bytes are identical';

-- plots

CREATE FUNCTION ml_plot(kind text, id bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    svg text;
    x0 float8; x1 float8; y0 float8; y1 float8;
    w constant int := 640;
    hgt constant int := 360;
    m constant int := 50;
    colors constant text[] := ARRAY['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
    s record;
    i int := 0;
    bars text;
    n int;
BEGIN
    IF kind = 'loss_curve' OR kind = 'loss_sparkline' THEN
        SELECT min(step), max(step), min(value), max(value), count(*) INTO x0, x1, y0, y1, n
        FROM mlsql.metrics WHERE run_id = id AND step IS NOT NULL AND value = value;
        IF n = 0 THEN
            RAISE EXCEPTION 'run % has no per-step metrics', id USING ERRCODE = 'undefined_object',
                HINT = 'Loss curves come from iterative learners such as logistic.';
        END IF;
        IF x1 = x0 THEN x1 := x0 + 1; END IF;
        IF y1 = y0 THEN y1 := y0 + 1; END IF;
        IF kind = 'loss_sparkline' THEN
            RETURN (SELECT pg_catalog.string_agg(split || ' ' || name || ' ' || line, E'\n' ORDER BY split, name)
                    FROM (SELECT split, name,
                                 pg_catalog.string_agg(substr('▁▂▃▄▅▆▇█',
                                     1 + least(7, floor((value - y0) / (y1 - y0) * 8)::int), 1), '' ORDER BY step)
                                 || pg_catalog.format(' %s → %s',
                                        round((array_agg(value ORDER BY step))[1]::numeric, 4),
                                        round((array_agg(value ORDER BY step DESC))[1]::numeric, 4)) AS line
                          FROM mlsql.metrics WHERE run_id = id AND step IS NOT NULL AND value = value
                          GROUP BY split, name) q);
        END IF;
        svg := pg_catalog.format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">'
                   '<title>loss curve of run %s</title><rect width="100%%" height="100%%" fill="white"/>'
                   '<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>'
                   '<text x="%s" y="%s" font-size="12">step</text><text x="5" y="%s" font-size="12">%s</text>'
                   '<text x="5" y="%s" font-size="12">%s</text>',
                   w, hgt, w, hgt, id, m, hgt - m, w - m, hgt - m, m, m, m, hgt - m,
                   w / 2, hgt - 10, m - 5, round(y1::numeric, 4), hgt - m, round(y0::numeric, 4));
        FOR s IN SELECT split, name FROM mlsql.metrics WHERE run_id = id AND step IS NOT NULL
                 GROUP BY split, name ORDER BY split, name LOOP
            i := i + 1;
            svg := svg || (
                SELECT pg_catalog.format('<g class="series" data-split="%s" data-metric="%s"><polyline fill="none" stroke="%s" points="%s"/>%s</g>',
                           s.split, s.name, colors[1 + (i - 1) % 6],
                           pg_catalog.string_agg(pg_catalog.format('%s,%s', px, py), ' ' ORDER BY step),
                           pg_catalog.string_agg(pg_catalog.format('<circle cx="%s" cy="%s" r="2" fill="%s"><title>step %s: %s</title></circle>',
                               px, py, colors[1 + (i - 1) % 6], step, value), '' ORDER BY step))
                FROM (SELECT step, value,
                             round((m + (step - x0) / (x1 - x0) * (w - 2 * m))::numeric, 1) AS px,
                             round((hgt - m - (value - y0) / (y1 - y0) * (hgt - 2 * m))::numeric, 1) AS py
                      FROM mlsql.metrics
                      WHERE run_id = id AND step IS NOT NULL AND split = s.split AND name = s.name AND value = value) q)
                || pg_catalog.format('<text x="%s" y="%s" font-size="12" fill="%s">%s %s</text>',
                       w - m - 150, m + 15 * i, colors[1 + (i - 1) % 6], s.split, s.name);
        END LOOP;
        RETURN svg || '</svg>';
    ELSIF kind = 'leaderboard' THEN
        SELECT count(*), min(score), max(score) INTO n, y0, y1
        FROM mlsql.leaderboard l JOIN mlsql.projects p ON p.name = l.project WHERE p.id = ml_plot.id;
        IF n = 0 THEN
            RAISE EXCEPTION 'project % has no models', id USING ERRCODE = 'undefined_object',
                HINT = 'The id is mlsql.projects.id.';
        END IF;
        y0 := least(0, y0);
        IF y1 <= y0 THEN y1 := y0 + 1; END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format(
                   '<g class="bar"><rect x="%s" y="%s" width="%s" height="18" fill="%s"/>'
                   '<text x="5" y="%s" font-size="12">v%s %s</text><text x="%s" y="%s" font-size="12">%s %s</text></g>',
                   150, 30 + 24 * (rk - 1), greatest(1, round(((coalesce(score, y0) - y0) / (y1 - y0) * (w - 260))::numeric)),
                   CASE WHEN deployed THEN '#2ca02c' ELSE '#1f77b4' END,
                   44 + 24 * (rk - 1), version, algorithm,
                   160 + greatest(1, round(((coalesce(score, y0) - y0) / (y1 - y0) * (w - 260))::numeric)),
                   44 + 24 * (rk - 1), metric, round(score::numeric, 4)), '' ORDER BY rk), max(rk)
        INTO bars, n
        FROM (SELECT l.*, pg_catalog.row_number() OVER (ORDER BY l.score DESC NULLS LAST, l.version) AS rk
              FROM mlsql.leaderboard l JOIN mlsql.projects p ON p.name = l.project WHERE p.id = ml_plot.id) q;
        RETURN pg_catalog.format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">'
                   '<title>leaderboard of project %s</title><rect width="100%%" height="100%%" fill="white"/>%s</svg>',
                   w, 40 + 24 * n, w, 40 + 24 * n, id, bars);
    END IF;
    RAISE EXCEPTION 'unknown plot kind "%"', kind USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Use loss_curve (run id), loss_sparkline (run id) or leaderboard (project id).';
END $$;
COMMENT ON FUNCTION ml_plot(text, bigint) IS 'a self-contained SVG: loss_curve (run id), leaderboard (project id); loss_sparkline gives text';

-- model insight

CREATE FUNCTION ml_model_id(project text) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_model_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_model_id(text) IS 'the model id a reference (''project'', ''project@3'', ''project@alias'') resolves to';

CREATE FUNCTION ml_feature_importance(model_id bigint)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE AS $$
    SELECT f.feature, (c->'importance'->>(f.o - 1)::int)::float8, c->>'method'
    FROM mlsql.models m
    JOIN mlsql.artifacts a ON a.run_id = m.run_id AND a.name = 'feature_importance',
         LATERAL (SELECT pg_catalog.convert_from(a.content, 'UTF8')::jsonb AS c) j,
         LATERAL pg_catalog.jsonb_array_elements_text(c->'features') WITH ORDINALITY AS f(feature, o)
    WHERE m.id = $1
    ORDER BY 2 DESC, f.o
$$;
COMMENT ON FUNCTION ml_feature_importance(bigint) IS 'importance of each feature: impurity (tree), coefficient times standard deviation (linear models), or permutation importance on the test split';
CREATE FUNCTION ml_feature_importance(project text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.ml_feature_importance(@extschema@.ml_model_id($1))
$$;
COMMENT ON FUNCTION ml_feature_importance(text) IS 'importance of each feature of a project''s deployed model (or ''project@version'')';

-- rows of ml_explain from a model's info, the row's features and its contributions
CREATE FUNCTION mlsql.explain_rows(info jsonb, x float8[], phi float8[])
RETURNS TABLE (feature text, value float8, contribution float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(info->'features'->>(e.o::int - 1), '(bias)'), x[e.o], e.c
    FROM unnest(phi) WITH ORDINALITY AS e(c, o)
    ORDER BY e.o
$$;
COMMENT ON FUNCTION mlsql.explain_rows(jsonb, float8[], float8[]) IS 'internal: the rows of ml_explain, one per feature and then (bias)';
CREATE FUNCTION ml_explain(project text, features float8[])
RETURNS TABLE (feature text, value float8, contribution float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT * FROM mlsql.explain_rows(@extschema@.ml_model_info($1), $2, @extschema@.ml_explain_values($1, $2))
$$;
CREATE FUNCTION ml_explain(model_id bigint, features float8[])
RETURNS TABLE (feature text, value float8, contribution float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT * FROM mlsql.explain_rows(@extschema@.ml_model_info($1), $2, @extschema@.ml_explain_values($1, $2))
$$;
-- SQL functions cannot take record arguments: the record forms are PL/pgSQL
CREATE FUNCTION ml_explain(project text, features record)
RETURNS TABLE (feature text, value float8, contribution float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN QUERY SELECT * FROM mlsql.explain_rows(@extschema@.ml_model_info($1), @extschema@.ml_transform($1, $2),
                                                  @extschema@.ml_explain_values($1, $2));
END
$$;
CREATE FUNCTION ml_explain(model_id bigint, features record)
RETURNS TABLE (feature text, value float8, contribution float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN QUERY SELECT * FROM mlsql.explain_rows(@extschema@.ml_model_info($1), @extschema@.ml_transform($1, $2),
                                                  @extschema@.ml_explain_values($1, $2));
END
$$;
COMMENT ON FUNCTION ml_explain(text, float8[]) IS 'why the model scored this row so: each feature''s value and contribution, then (bias); contributions and bias sum to the raw output (TreeSHAP for gbdt, w·x for linear models)';
COMMENT ON FUNCTION ml_explain(text, record) IS 'per-row explanation of a row (columns mapped by name): feature, value after preprocessing, contribution; plus (bias)';
COMMENT ON FUNCTION ml_explain(bigint, float8[]) IS 'per-row explanation with model id';
COMMENT ON FUNCTION ml_explain(bigint, record) IS 'per-row explanation of a row with model id';
