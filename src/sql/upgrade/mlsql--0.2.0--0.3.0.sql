-- mlsql 0.2.0 -> 0.3.0: trust.  No role gains a right it was not granted:
--  - no role but the extension owner may create objects in schema mlsql;
--  - roles are kept by OID (regrole), so a role dropped and created again
--    under the same name is another role;
--  - row-level security asks one C function, mlsql.project_visible(id),
--    which answers for the calling role only;
--  - a configuration remembers the role that recorded it (experiments.
--    created_by), and replays (ml_retrain, ml_schedule, ml_reproduce) run
--    only what the caller recorded;
--  - every SQL and PL/pgSQL function runs with search_path = pg_catalog,
--    pg_temp, except the four that read a source with the caller's
--    search_path (ml_compare, ml_threshold_curve, ml_retrain,
--    mlsql.reproduce), whose functions and operators are all qualified.
-- A fresh install of 0.3.0 runs mlsql--0.3.0.sql, built from src/sql;
-- test/integration/upgrade.sh checks that 0.1.0 upgraded through this
-- script has the same schema.
--
-- Every operator in this script is schema-qualified: it may run with a
-- search_path that holds objects of other roles.
\echo Use "ALTER EXTENSION mlsql UPDATE TO '0.3.0'" to load this file. \quit

-- ---- the schema: only the extension owner creates in it ----
REVOKE CREATE ON SCHEMA mlsql FROM PUBLIC;
REVOKE USAGE ON ALL SEQUENCES IN SCHEMA mlsql FROM PUBLIC;

DO $$
DECLARE
    o record;
BEGIN
    -- objects other roles made in schema mlsql while PUBLIC could create there
    FOR o IN
        SELECT c.oid::pg_catalog.regclass AS rel, c.relowner::pg_catalog.regrole AS owner
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace OPERATOR(pg_catalog.=) 'mlsql'::pg_catalog.regnamespace
          AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,m,f,p,S}'::pg_catalog."char"[])
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                          WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                            AND d.objid OPERATOR(pg_catalog.=) c.oid
                            AND d.deptype OPERATOR(pg_catalog.=) ANY ('{e,a,i}'::pg_catalog."char"[]))
          AND NOT EXISTS (SELECT 1 FROM mlsql.datasets s
                          WHERE s.snapshot::pg_catalog.oid OPERATOR(pg_catalog.=) c.oid)
    LOOP
        RAISE WARNING 'schema mlsql holds % of role %, which mlsql did not create', o.rel, o.owner
            USING HINT = 'No role may create objects in schema mlsql any more; move or drop this one.';
    END LOOP;
    FOR o IN
        SELECT p.oid::pg_catalog.regprocedure AS fn, p.proowner::pg_catalog.regrole AS owner
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace OPERATOR(pg_catalog.=) 'mlsql'::pg_catalog.regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                          WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                            AND d.objid OPERATOR(pg_catalog.=) p.oid
                            AND d.deptype OPERATOR(pg_catalog.=) 'e')
    LOOP
        RAISE WARNING 'schema mlsql holds function % of role %, which mlsql did not create', o.fn, o.owner
            USING HINT = 'No role may create objects in schema mlsql any more; move or drop this one.';
    END LOOP;
END $$;

-- ---- what depends on the role columns goes first ----
DROP POLICY visible ON mlsql.projects;
DROP POLICY visible ON mlsql.grants;
DROP POLICY visible ON mlsql.datasets;
DROP POLICY visible ON mlsql.experiments;
DROP POLICY visible ON mlsql.runs;
DROP POLICY visible ON mlsql.metrics;
DROP POLICY visible ON mlsql.artifacts;
DROP POLICY visible ON mlsql.models;
DROP POLICY visible ON mlsql.deployments;
DROP POLICY visible ON mlsql.aliases;
DROP FUNCTION mlsql.dataset_visible(bigint, name);
DROP FUNCTION mlsql.run_visible(bigint, name);
DROP FUNCTION mlsql.project_visible(bigint, name);
DROP VIEW mlsql.leaderboard;
DROP VIEW mlsql.deployed_models;
DROP VIEW mlsql.loss_curves;

-- ---- roles by OID: names through regrole's output; a dropped role's rows keep its OID ----
-- a name with no role behind it any more (dropped before this update) becomes 0, "-"
ALTER TABLE mlsql.projects ALTER COLUMN owner DROP DEFAULT,
    ALTER COLUMN owner TYPE pg_catalog.regrole
    USING COALESCE(pg_catalog.to_regrole(pg_catalog.quote_ident(owner::pg_catalog.text)), '-'::pg_catalog.regrole);
ALTER TABLE mlsql.grants
    ALTER COLUMN role TYPE pg_catalog.regrole
    USING COALESCE(pg_catalog.to_regrole(pg_catalog.quote_ident(role::pg_catalog.text)), '-'::pg_catalog.regrole),
    ALTER COLUMN granted_by TYPE pg_catalog.regrole
    USING COALESCE(pg_catalog.to_regrole(pg_catalog.quote_ident(granted_by::pg_catalog.text)), '-'::pg_catalog.regrole);
ALTER TABLE mlsql.datasets
    ALTER COLUMN created_by TYPE pg_catalog.regrole
    USING pg_catalog.to_regrole(pg_catalog.quote_ident(created_by::pg_catalog.text));
ALTER TABLE mlsql.deployments ALTER COLUMN deployed_by DROP DEFAULT,
    ALTER COLUMN deployed_by TYPE pg_catalog.regrole
    USING COALESCE(pg_catalog.to_regrole(pg_catalog.quote_ident(deployed_by::pg_catalog.text)), '-'::pg_catalog.regrole);

-- the role that recorded a configuration: only it may replay the configuration
ALTER TABLE mlsql.experiments ADD COLUMN created_by pg_catalog.regrole;
COMMENT ON COLUMN mlsql.experiments.created_by IS 'the role that recorded the configuration; ml_retrain, ml_schedule and ml_reproduce replay only the caller''s own';
-- before 0.3.0 the reader of a training's data was its caller
UPDATE mlsql.experiments e SET created_by = (
    SELECT d.created_by FROM mlsql.runs r JOIN mlsql.datasets d ON d.id OPERATOR(pg_catalog.=) r.dataset_id
    WHERE r.experiment_id OPERATOR(pg_catalog.=) e.id ORDER BY r.id LIMIT 1);

CREATE INDEX ON mlsql.runs (dataset_id);

-- ---- deployments that explain themselves; a key metric per project ----
ALTER TABLE mlsql.projects ADD COLUMN metric text;
COMMENT ON COLUMN mlsql.projects.metric IS 'the metric the project ranks its models by (ml_set_metric); NULL: accuracy for classification, r2 for regression';
ALTER TABLE mlsql.runs ADD COLUMN test_fingerprint text;
COMMENT ON COLUMN mlsql.runs.test_fingerprint IS 'fingerprint of the rows the test metrics were taken on (the training rows without a test split): scores with the same one compare';
ALTER TABLE mlsql.deployments
    ADD COLUMN metric text,
    ADD COLUMN score float8,
    ADD COLUMN live_score float8,
    ADD COLUMN basis text,
    ADD COLUMN reason text;
COMMENT ON COLUMN mlsql.deployments.metric IS 'the key metric the decision compared';
COMMENT ON COLUMN mlsql.deployments.score IS 'the deployed model''s score on it';
COMMENT ON COLUMN mlsql.deployments.live_score IS 'the score it beat: the live model''s, or the baseline''s for a first model';
COMMENT ON COLUMN mlsql.deployments.basis IS 'how live_score was taken: re-scored on the same test rows, or recorded';
COMMENT ON COLUMN mlsql.deployments.reason IS 'why, in one sentence (the NOTICE of the decision)';

-- ---- row-level security ----
CREATE FUNCTION mlsql.project_visible(project_id bigint) RETURNS boolean
AS 'MODULE_PATHNAME', 'mlsql_project_visible' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION mlsql.project_visible(bigint) IS 'row-level security: whether the calling role owns the project (or is a member of its owner) or was granted it; false for an id that does not exist';

CREATE POLICY visible ON mlsql.projects FOR SELECT USING (mlsql.project_visible(id));
CREATE POLICY visible ON mlsql.grants FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.experiments FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.runs FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.models FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.deployments FOR SELECT USING (mlsql.project_visible(project_id));
CREATE POLICY visible ON mlsql.aliases FOR SELECT USING (mlsql.project_visible(project_id));
-- the subqueries read runs through its own policy; the policy's own table's
-- columns are named with the table (a bare "id" inside the subquery would be
-- the run's id: a role seeing a run whose id equals its dataset_id saw every
-- dataset)
CREATE POLICY visible ON mlsql.metrics FOR SELECT
    USING (EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.id OPERATOR(pg_catalog.=) metrics.run_id));
CREATE POLICY visible ON mlsql.artifacts FOR SELECT
    USING (EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.id OPERATOR(pg_catalog.=) artifacts.run_id));
CREATE POLICY visible ON mlsql.datasets FOR SELECT
    USING (pg_catalog.pg_has_role(datasets.created_by::pg_catalog.oid, 'MEMBER')
           OR EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.dataset_id OPERATOR(pg_catalog.=) datasets.id));

-- ---- the views again, qualified ----
CREATE VIEW mlsql.deployed_models WITH (security_invoker = true) AS
SELECT DISTINCT ON (d.project_id)
       p.name AS project, d.project_id, m.version, m.id AS model_id, m.algorithm, d.strategy,
       d.deployed_at, d.deployed_by
FROM mlsql.deployments d
JOIN mlsql.models m ON m.id OPERATOR(pg_catalog.=) d.model_id
JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) d.project_id
ORDER BY d.project_id, d.id DESC;
COMMENT ON VIEW mlsql.deployed_models IS 'the live model of every project';

CREATE VIEW mlsql.leaderboard WITH (security_invoker = true) AS
SELECT p.name AS project, p.task, mo.version, mo.id AS model_id, mo.algorithm, mo.run_id,
       k.metric, k.split, k.score,
       -- ranked only among scores taken on the same rows, in the metric's direction
       pg_catalog.rank() OVER (PARTITION BY p.id, r.test_fingerprint
                               ORDER BY CASE WHEN k.metric OPERATOR(pg_catalog.=) ANY ('{log_loss,rmse,mae,brier,ece}'::pg_catalog.text[])
                                             THEN OPERATOR(pg_catalog.-) k.score ELSE k.score END DESC NULLS LAST) AS rank,
       coalesce(mo.id OPERATOR(pg_catalog.=) dm.model_id, false) AS deployed,
       (SELECT pg_catalog.jsonb_object_agg(mt.name, mt.value) FROM mlsql.metrics mt
        WHERE mt.run_id OPERATOR(pg_catalog.=) mo.run_id AND mt.split OPERATOR(pg_catalog.=) 'test'
          AND mt.step IS NULL) AS test_metrics,
       mo.created_at,
       r.test_fingerprint AS test_rows
FROM mlsql.models mo
JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) mo.project_id
JOIN mlsql.runs r ON r.id OPERATOR(pg_catalog.=) mo.run_id
LEFT JOIN LATERAL (SELECT mt.name AS metric, mt.split, mt.value AS score FROM mlsql.metrics mt
                   WHERE mt.run_id OPERATOR(pg_catalog.=) mo.run_id AND mt.step IS NULL
                     AND mt.name OPERATOR(pg_catalog.=) coalesce(p.metric,
                         CASE WHEN p.task OPERATOR(pg_catalog.=) 'regression' THEN 'r2' ELSE 'accuracy' END)
                   ORDER BY mt.split OPERATOR(pg_catalog.=) 'test' DESC LIMIT 1) k ON true
LEFT JOIN mlsql.deployed_models dm ON dm.project_id OPERATOR(pg_catalog.=) p.id;
COMMENT ON VIEW mlsql.leaderboard IS 'every model of every project with its key score (the project''s metric; test split, train when trained on all rows), its rank among models scored on the same rows (test_rows), and deployed flag';

CREATE VIEW mlsql.loss_curves WITH (security_invoker = true) AS
SELECT p.name AS project, m.run_id, r.algorithm, m.split, m.name AS metric, m.step, m.value
FROM mlsql.metrics m
JOIN mlsql.runs r ON r.id OPERATOR(pg_catalog.=) m.run_id
JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) r.project_id
WHERE m.step IS NOT NULL;
COMMENT ON VIEW mlsql.loss_curves IS 'per-iteration metrics of iterative learners, one row per (run, split, metric, step)';
GRANT SELECT ON mlsql.deployed_models, mlsql.leaderboard, mlsql.loss_curves TO PUBLIC;

-- ---- replays run only what the caller recorded ----
CREATE FUNCTION mlsql.require_manage(project text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_require_manage' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION mlsql.require_manage(text) IS 'an error unless the calling role manages the project (42704 when it cannot see it)';

DROP FUNCTION ml_retrain(text);
DROP FUNCTION mlsql.last_training(text);
CREATE FUNCTION mlsql.last_training(project text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c jsonb;
    who regrole;
    pid bigint;
    v int := version;
BEGIN
    project := btrim(project, E' \t\r\n');    -- as every function takes a project name
    SELECT p.id INTO pid FROM mlsql.projects p WHERE p.name = project;
    IF pid IS NULL THEN
        RAISE EXCEPTION 'project "%" does not exist', project USING ERRCODE = 'undefined_object';
    END IF;
    -- what is deployed is what a retraining repeats, unless a version is named
    IF v IS NULL THEN
        SELECT m.version INTO v FROM mlsql.deployments d JOIN mlsql.models m ON m.id = d.model_id
        WHERE d.project_id = pid ORDER BY d.id DESC LIMIT 1;
    END IF;
    IF v IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM mlsql.models m WHERE m.project_id = pid AND m.version = v) THEN
            RAISE EXCEPTION 'project "%" has no version %', project, v USING ERRCODE = 'undefined_object';
        END IF;
        SELECT e.config, e.created_by INTO c, who
        FROM mlsql.models m JOIN mlsql.runs r ON r.id = m.run_id JOIN mlsql.experiments e ON e.id = r.experiment_id
        WHERE m.project_id = pid AND m.version = v AND e.kind = 'train' AND e.config ? 'source';
        IF c IS NULL THEN
            RAISE EXCEPTION 'version % of project "%" was not trained from a source (ml_save), so it cannot be retrained', v, project
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Retrain a version that ml_train made: ml_retrain(project, version).';
        END IF;
    ELSE
        -- nothing deployed: the last training that read a source
        SELECT e.config, e.created_by INTO c, who
        FROM mlsql.experiments e
        WHERE e.project_id = pid AND e.kind = 'train' AND e.config ? 'source'
        ORDER BY e.id DESC LIMIT 1;
    END IF;
    IF c IS NULL THEN
        RAISE EXCEPTION 'project "%" has no training to repeat', project USING ERRCODE = 'undefined_object',
            HINT = 'Train it once with ml_train.';
    END IF;
    -- the source runs with the caller's rights: only the caller's own is replayed
    IF who IS NULL OR who::oid <> (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'the configuration of project "%" to retrain was recorded by role %, not by %',
                        project, coalesce(who::text, '(unknown)'), current_user
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A replay runs the recorded source with your privileges, so mlsql replays only configurations you recorded yourself.',
                  HINT = pg_catalog.format('Train it once yourself with ml_train(%L, source, target, ...) to adopt a configuration.', project);
    END IF;
    RETURN c;
END $$;
COMMENT ON FUNCTION mlsql.last_training(text, int) IS 'the configuration to retrain: of the given version, else of the deployed model, else of the last ml_train; the caller must have recorded it';

-- not SET search_path: the recorded source is read with the caller's search_path, as
-- ml_train read it; every function and operator here is qualified instead
CREATE FUNCTION ml_retrain(project text, version int DEFAULT NULL)
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
LANGUAGE sql VOLATILE AS $$
    -- the deployed model's configuration (or version's), on the current data; a model
    -- identical to an existing version is not stored again (skip_identical)
    SELECT t.* FROM mlsql.last_training($1, $2) c,
        LATERAL @extschema@.ml_train(
            $1, c OPERATOR(pg_catalog.->>) 'source', c OPERATOR(pg_catalog.->>) 'target',
            c OPERATOR(pg_catalog.->>) 'algorithm',
            coalesce(c OPERATOR(pg_catalog.->) 'params', '{}') OPERATOR(pg_catalog.||) '{"skip_identical": true}',
            c OPERATOR(pg_catalog.->>) 'task',
            ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'features')),
            (c OPERATOR(pg_catalog.->>) 'test_size')::pg_catalog.float8,
            (c OPERATOR(pg_catalog.->>) 'seed')::pg_catalog.int8, 'if_better') t
$$;
COMMENT ON FUNCTION ml_retrain(text, int) IS 'retrain the deployed model''s configuration (or a version''s) on the current data; deploys only through the if_better gate; an identical model is not stored again';

CREATE OR REPLACE FUNCTION ml_schedule(project text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job bigint;
BEGIN
    PERFORM mlsql.require_pg_cron();
    project := btrim(project, E' \t\r\n');
    -- the job runs as the caller, who must manage the project and have recorded its configuration
    PERFORM mlsql.require_manage(project);
    PERFORM mlsql.last_training(project, NULL);
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING 'mlsql-retrain-' || project, schedule,
          format('SELECT * FROM %I.ml_retrain(%L)', '@extschema@', project);
    RETURN job;
END $$;

CREATE OR REPLACE FUNCTION mlsql.reproduce(rid bigint, OUT data_matched boolean, OUT model_identical boolean,
                                 OUT original_fingerprint text, OUT new_fingerprint text,
                                 OUT original_hash text, OUT new_hash text)
LANGUAGE plpgsql VOLATILE AS $$
-- not SET search_path: the recorded source is read with the caller's search_path;
-- every function and operator here is qualified instead
DECLARE
    r record;
    c jsonb;
    who pg_catalog.regrole;
    fp text;
    h text;
    nfp text;
    nh text;
    mid bigint;
BEGIN
    SELECT ru.*, p.name AS project_name INTO r
    FROM mlsql.runs ru JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) ru.project_id
    WHERE ru.id OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    SELECT e.config, e.created_by INTO c, who FROM mlsql.experiments e
    WHERE e.id OPERATOR(pg_catalog.=) r.experiment_id;
    SELECT m.hash INTO h FROM mlsql.models m WHERE m.run_id OPERATOR(pg_catalog.=) $1;
    IF h IS NULL OR NOT (c OPERATOR(pg_catalog.?) 'source') THEN
        RAISE EXCEPTION 'run % did not produce a model from a source', $1 USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Reproduce the parent run of a baseline or member run.';
    END IF;
    IF who IS NULL OR who::pg_catalog.oid OPERATOR(pg_catalog.<>)
       (SELECT ro.oid FROM pg_catalog.pg_roles ro WHERE ro.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        RAISE EXCEPTION 'run % was recorded by role %, not by %', $1,
                        coalesce(who::pg_catalog.text, '(unknown)'), CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A replay runs the recorded source with your privileges, so mlsql replays only configurations you recorded yourself.',
                  HINT = 'Train it yourself with ml_train and reproduce your own run.';
    END IF;
    SELECT d.fingerprint INTO fp FROM mlsql.datasets d WHERE d.id OPERATOR(pg_catalog.=) r.dataset_id;
    -- train again inside a subtransaction that is then rolled back: nothing is kept
    BEGIN
        SELECT t.model_id INTO mid FROM @extschema@.ml_train(
            r.project_name, c OPERATOR(pg_catalog.->>) 'source', c OPERATOR(pg_catalog.->>) 'target',
            c OPERATOR(pg_catalog.->>) 'algorithm', coalesce(c OPERATOR(pg_catalog.->) 'params', '{}'),
            c OPERATOR(pg_catalog.->>) 'task',
            ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'features')),
            (c OPERATOR(pg_catalog.->>) 'test_size')::pg_catalog.float8, r.seed, 'never') t;
        SELECT m.hash, d.fingerprint INTO nh, nfp
        FROM mlsql.models m JOIN mlsql.runs ru ON ru.id OPERATOR(pg_catalog.=) m.run_id
        JOIN mlsql.datasets d ON d.id OPERATOR(pg_catalog.=) ru.dataset_id
        WHERE m.id OPERATOR(pg_catalog.=) mid;
        RAISE EXCEPTION USING ERRCODE = 'MLRPR', MESSAGE = 'mlsql reproduce rollback';
    EXCEPTION WHEN SQLSTATE 'MLRPR' THEN
        NULL;
    END;
    data_matched := fp OPERATOR(pg_catalog.=) nfp;
    model_identical := h OPERATOR(pg_catalog.=) nh;
    original_fingerprint := fp;
    new_fingerprint := nfp;
    original_hash := h;
    new_hash := nh;
END $$;

-- ---- the source-reading SQL functions, qualified ----
CREATE OR REPLACE FUNCTION ml_compare(project text, source text, target text, algorithms text[],
                           trials_per_algorithm int DEFAULT 10, folds int DEFAULT 3,
                           metric text DEFAULT NULL, params jsonb DEFAULT '{}', task text DEFAULT NULL,
                           features text[] DEFAULT NULL, test_size float8 DEFAULT 0.25,
                           seed bigint DEFAULT 42, deploy text DEFAULT 'if_better')
RETURNS TABLE (algorithm text, trials int, best_params jsonb, cv_score float8, cv_std float8,
               test_score float8, version int, deployed boolean)
LANGUAGE plpgsql VOLATILE AS $$
-- not SET search_path: ml_search reads the source with the caller's search_path;
-- every function and operator here is qualified instead
DECLARE
    a text;
    b record;
    r record;
    rows jsonb := '[]';
    best jsonb;
    key text := coalesce(metric, (SELECT p.metric FROM mlsql.projects p
                                  WHERE p.name OPERATOR(pg_catalog.=) pg_catalog.btrim(project, E' \t\r\n')));
    lower boolean := coalesce(key OPERATOR(pg_catalog.=) ANY ('{log_loss,rmse,mae,brier,ece}'::pg_catalog.text[]), false);
    dep record;
    cand pg_catalog.float8;
    chosen int;
BEGIN
    IF algorithms IS NULL OR pg_catalog.cardinality(algorithms) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'algorithms must name at least one algorithm' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (deploy OPERATOR(pg_catalog.=) ANY ('{if_better,always,never}'::pg_catalog.text[])) THEN
        RAISE EXCEPTION 'invalid deploy "%"', deploy USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use ''if_better'', ''always'' or ''never''.';
    END IF;
    FOREACH a IN ARRAY algorithms LOOP
        IF mlsql.default_space(a) IS NULL THEN
            RAISE EXCEPTION 'algorithm "%" has no default search space', a
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'ml_compare searches linear, logistic, elastic_net, lasso, naive_bayes, knn, tree, forest, svm, mlp, gbdt, adaboost and bagging; use ml_search with your own space for others.';
        END IF;
    END LOOP;
    FOREACH a IN ARRAY algorithms LOOP
        -- the same budget for every algorithm; none is deployed yet
        SELECT s.run_id, s.params, s.score, s.score_std INTO b
        FROM @extschema@.ml_search(project, source, target, a, mlsql.default_space(a), 'random',
                                   trials_per_algorithm, folds, metric, params, task, features,
                                   test_size, seed, 'never') s
        WHERE s.best;
        SELECT m.version AS v, x.value AS test, x.name AS key INTO r
        FROM mlsql.runs t JOIN mlsql.models m ON m.run_id OPERATOR(pg_catalog.=) t.id
        LEFT JOIN mlsql.metrics x ON x.run_id OPERATOR(pg_catalog.=) t.id
             AND x.split OPERATOR(pg_catalog.=) 'test' AND x.step IS NULL
             AND x.name OPERATOR(pg_catalog.=) COALESCE(key,
                 CASE WHEN t.task OPERATOR(pg_catalog.=) 'classification' THEN 'accuracy' ELSE 'r2' END)
        WHERE t.parent_run_id OPERATOR(pg_catalog.=) b.run_id ORDER BY t.id DESC LIMIT 1;
        rows := rows OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'algorithm', a, 'best_params', b.params, 'cv_score', b.score, 'cv_std', b.score_std,
            'test_score', r.test, 'version', r.v));
        IF best IS NULL OR (CASE WHEN lower
                                 THEN b.score OPERATOR(pg_catalog.<) (best OPERATOR(pg_catalog.->>) 'cv_score')::pg_catalog.float8
                                 ELSE b.score OPERATOR(pg_catalog.>) (best OPERATOR(pg_catalog.->>) 'cv_score')::pg_catalog.float8 END) THEN
            best := rows OPERATOR(pg_catalog.->) -1;
        END IF;
    END LOOP;
    -- the best cross-validated algorithm is the candidate; if_better deploys
    -- it when it beats the deployed model's key test score
    chosen := (best OPERATOR(pg_catalog.->>) 'version')::int;
    IF deploy OPERATOR(pg_catalog.<>) 'never' THEN
        SELECT l.score INTO dep FROM mlsql.leaderboard l
        WHERE l.project OPERATOR(pg_catalog.=) ml_compare.project AND l.deployed;
        SELECT l.score INTO cand FROM mlsql.leaderboard l
        WHERE l.project OPERATOR(pg_catalog.=) ml_compare.project AND l.version OPERATOR(pg_catalog.=) chosen;
        IF deploy OPERATOR(pg_catalog.=) 'always' OR dep IS NULL OR dep.score IS NULL
           OR (CASE WHEN lower THEN cand OPERATOR(pg_catalog.<) dep.score
                    ELSE cand OPERATOR(pg_catalog.>) dep.score END) THEN
            PERFORM @extschema@.ml_deploy(ml_compare.project, chosen);
        ELSE
            chosen := NULL;
        END IF;
    ELSE
        chosen := NULL;
    END IF;
    RETURN QUERY
    SELECT e OPERATOR(pg_catalog.->>) 'algorithm', trials_per_algorithm, e OPERATOR(pg_catalog.->) 'best_params',
           (e OPERATOR(pg_catalog.->>) 'cv_score')::pg_catalog.float8,
           (e OPERATOR(pg_catalog.->>) 'cv_std')::pg_catalog.float8,
           (e OPERATOR(pg_catalog.->>) 'test_score')::pg_catalog.float8,
           (e OPERATOR(pg_catalog.->>) 'version')::int,
           COALESCE((e OPERATOR(pg_catalog.->>) 'version')::int OPERATOR(pg_catalog.=) chosen, false)
    FROM pg_catalog.jsonb_array_elements(rows) WITH ORDINALITY AS q(e, o) ORDER BY o;
END $$;

CREATE OR REPLACE FUNCTION ml_threshold_curve(project text, source text)
RETURNS TABLE (threshold float8, "precision" float8, recall float8, false_positive_rate float8, f1 float8)
LANGUAGE plpgsql STABLE AS $$
-- not SET search_path: the source is read with the caller's search_path; every
-- function and operator here and in the query it runs is qualified instead
DECLARE
    info jsonb := @extschema@.ml_model_info(project);
    classes text[] := @extschema@.ml_classes(project);
BEGIN
    IF info OPERATOR(pg_catalog.->>) 'task' OPERATOR(pg_catalog.<>) 'classification'
       OR pg_catalog.cardinality(classes) OPERATOR(pg_catalog.<>) 2 THEN
        RAISE EXCEPTION 'a threshold curve needs a binary classifier, "%" is not one', project
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the second class is positive, as in ml_predict_proba and the metrics;
    -- mlsql.source_query checks the source is one read-only query; each row
    -- is scored once (MATERIALIZED), not once per threshold
    RETURN QUERY EXECUTE pg_catalog.format(
        'WITH s AS MATERIALIZED (SELECT (@extschema@.ml_predict_proba(%L, t))[2] AS p,
                           (t.%I)::pg_catalog.text OPERATOR(pg_catalog.=) %L AS pos
                    FROM (%s
                    ) t WHERE t.%I IS NOT NULL),
              g AS (SELECT x OPERATOR(pg_catalog./) 100.0 AS th FROM pg_catalog.generate_series(0, 100) x),
              c AS (SELECT g.th,
                           pg_catalog.count(*) FILTER (WHERE s.p OPERATOR(pg_catalog.>=) g.th AND s.pos) AS tp,
                           pg_catalog.count(*) FILTER (WHERE s.p OPERATOR(pg_catalog.>=) g.th AND NOT s.pos) AS fp,
                           pg_catalog.count(*) FILTER (WHERE s.p OPERATOR(pg_catalog.<) g.th AND s.pos) AS fn,
                           pg_catalog.count(*) FILTER (WHERE s.p OPERATOR(pg_catalog.<) g.th AND NOT s.pos) AS tn
                    FROM g CROSS JOIN s GROUP BY g.th)
         SELECT th::pg_catalog.float8,
                CASE WHEN tp OPERATOR(pg_catalog.+) fp OPERATOR(pg_catalog.>) 0
                     THEN tp::pg_catalog.float8 OPERATOR(pg_catalog./) (tp OPERATOR(pg_catalog.+) fp) END,
                CASE WHEN tp OPERATOR(pg_catalog.+) fn OPERATOR(pg_catalog.>) 0
                     THEN tp::pg_catalog.float8 OPERATOR(pg_catalog./) (tp OPERATOR(pg_catalog.+) fn) END,
                CASE WHEN fp OPERATOR(pg_catalog.+) tn OPERATOR(pg_catalog.>) 0
                     THEN fp::pg_catalog.float8 OPERATOR(pg_catalog./) (fp OPERATOR(pg_catalog.+) tn) END,
                CASE WHEN 2 OPERATOR(pg_catalog.*) tp OPERATOR(pg_catalog.+) fp OPERATOR(pg_catalog.+) fn OPERATOR(pg_catalog.>) 0
                     THEN 2.0 OPERATOR(pg_catalog.*) tp OPERATOR(pg_catalog./)
                          (2 OPERATOR(pg_catalog.*) tp OPERATOR(pg_catalog.+) fp OPERATOR(pg_catalog.+) fn) END::pg_catalog.float8
         FROM c ORDER BY th',
        project, info OPERATOR(pg_catalog.->>) 'target', classes[2], mlsql.source_query(source),
        info OPERATOR(pg_catalog.->>) 'target');
END $$;

-- ---- every other SQL and PL/pgSQL function: a locked search_path ----
-- (ml_reproduce only calls mlsql.reproduce, which must see the caller's search_path)
ALTER FUNCTION mlsql.apply_params(jsonb, jsonb) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION mlsql.default_space(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_param_importance(bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_data_diff(bigint, bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION mlsql.require_pg_cron() SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION ml_unschedule(project text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    done boolean;
BEGIN
    PERFORM mlsql.require_pg_cron();
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'mlsql-retrain-' || btrim(project, E' \t\r\n');
    RETURN done;
END $$;
ALTER FUNCTION ml_plot(text, bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_feature_importance(bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_feature_importance(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_feature_importance(bigint, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_feature_importance(text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_ensemble_report(bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ml_ensemble_report(text) SET search_path = pg_catalog, pg_temp;

-- ---- the algorithm a user names decides the task ----
-- "linear" regresses, always; no algorithm (NULL, the new default) means
-- linear for regression and logistic regression for classification.  Recorded
-- configurations where "linear" stood for logistic regression say so.
UPDATE mlsql.experiments
SET config = pg_catalog.jsonb_set(config, '{algorithm}', '"logistic"')
WHERE config OPERATOR(pg_catalog.->>) 'algorithm' OPERATOR(pg_catalog.=) 'linear'
  AND config OPERATOR(pg_catalog.->>) 'task' OPERATOR(pg_catalog.=) 'classification';
CREATE OR REPLACE FUNCTION ml_train(project text, source text, target text,
                         algorithm text DEFAULT NULL, params jsonb DEFAULT '{}',
                         task text DEFAULT NULL, features text[] DEFAULT NULL,
                         test_size float8 DEFAULT 0.25, seed bigint DEFAULT 42,
                         deploy text DEFAULT 'if_better')
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_train(text, text, text, text, jsonb, text, text[], float8, bigint, text)
IS 'train a model on a table, view or query, evaluate it against the baseline, record it and deploy it by rule; algorithm NULL: linear for regression, logistic for classification';

-- ---- a project keeps its target ----
ALTER TABLE mlsql.projects
    ADD COLUMN target text,
    ADD COLUMN target_type text
        CHECK (target_type OPERATOR(pg_catalog.=) ANY ('{number,boolean,text}'::pg_catalog.text[]));
COMMENT ON COLUMN mlsql.projects.target IS 'the target column every version predicts (NULL: unsupervised); another is an error unless params {"retarget": true}';
COMMENT ON COLUMN mlsql.projects.target_type IS 'the kind of the target: number, boolean or text';
-- known from the last training; the kind is recorded by the next one
UPDATE mlsql.projects p SET target = (
    SELECT e.config OPERATOR(pg_catalog.->>) 'target' FROM mlsql.experiments e
    WHERE e.project_id OPERATOR(pg_catalog.=) p.id AND e.kind OPERATOR(pg_catalog.=) 'train'
      AND e.config OPERATOR(pg_catalog.?) 'source'
    ORDER BY e.id DESC LIMIT 1);

-- ---- the float8[] forms take the model's raw columns ----
-- (in training order, numbers and booleans only; the model's preprocessing
-- runs, as for a row).  Before, they took the preprocessed features, so raw
-- values given to a scaled model scored wrong without a word.
CREATE FUNCTION ml_transform(project text, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_transform(model_id bigint, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_id_array' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_transform(text, float8[]) IS 'the model''s raw columns (in training order) after its preprocessing: the features its learner sees';
COMMENT ON FUNCTION ml_transform(bigint, float8[]) IS 'the raw columns of a model id after its preprocessing';
COMMENT ON FUNCTION ml_predict(text, float8[]) IS 'predicted value, or predicted label for numeric / bool labels, of the model''s raw columns in training order';
COMMENT ON FUNCTION ml_predict(bigint, float8[]) IS 'predicted value with model id, of its raw columns in training order';
-- ---- ml_save names an ml_fit model's columns ----
DROP FUNCTION ml_save(text, bytea, text);
CREATE FUNCTION ml_save(project text, model bytea, deploy text DEFAULT 'if_better', features text[] DEFAULT NULL)
RETURNS TABLE (project text, version int, model_id bigint, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_save' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_save(text, bytea, text, text[]) IS 'register model bytes (ml_fit) as the project''s next version, its columns named by features (else x1, x2, ...); if_better deploys it when nothing is deployed';

CREATE FUNCTION ml_set_metric(project text, metric text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_set_metric' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_set_metric(text, text) IS 'the metric a project ranks its models by: if_better, best_score, the leaderboard, searches without a metric (NULL: accuracy / r2)';

-- ---- ml_evaluate evaluates what ml_predict does: the model's threshold, or one given ----
DROP FUNCTION ml_evaluate(text, text);
DROP FUNCTION ml_evaluate(bigint, text);
CREATE FUNCTION ml_evaluate(project text, source text, threshold float8 DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_ref' LANGUAGE C STABLE PARALLEL UNSAFE;
CREATE FUNCTION ml_evaluate(model_id bigint, source text, threshold float8 DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_id' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_evaluate(text, text, float8) IS 'metrics of the model on any source that has its feature and target columns; a binary classifier''s labels at its threshold (ml_set_threshold) or the one given';
COMMENT ON FUNCTION ml_evaluate(bigint, text, float8) IS 'metrics of a model id on any source that has its feature and target columns; labels at its threshold or the one given';

-- ---- importance per source column (one-hot parts summed) for every learner ----
CREATE OR REPLACE FUNCTION ml_feature_importance(model_id bigint)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- per source column when the run recorded it (0.3.0), else per feature
    SELECT f.feature,
           ((CASE WHEN c ? 'columns' THEN c->'column_importance' ELSE c->'importance' END)->>(f.o - 1)::int)::float8,
           c->>'method'
    FROM mlsql.models m
    JOIN mlsql.artifacts a ON a.run_id = m.run_id AND a.name = 'feature_importance',
         LATERAL (SELECT convert_from(a.content, 'UTF8')::jsonb AS c) j,
         LATERAL jsonb_array_elements_text(CASE WHEN c ? 'columns' THEN c->'columns' ELSE c->'features' END)
             WITH ORDINALITY AS f(feature, o)
    WHERE m.id = $1
    ORDER BY 2 DESC, f.o
$$;
COMMENT ON FUNCTION ml_feature_importance(bigint) IS 'importance of each source column (one-hot parts summed): impurity (tree), coefficient times standard deviation (linear models), gain (gbdt), or permutation of the column on the test split';
CREATE OR REPLACE FUNCTION ml_feature_importance(model_id bigint, kind text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c jsonb;
    per_column boolean;
BEGIN
    SELECT convert_from(a.content, 'UTF8')::jsonb INTO c
    FROM mlsql.models m JOIN mlsql.artifacts a ON a.run_id = m.run_id AND a.name = 'feature_importance'
    WHERE m.id = model_id;
    IF c IS NULL THEN
        RETURN;
    END IF;
    IF kind IS NULL OR (kind IS DISTINCT FROM c->>'method' AND NOT coalesce(c->'also' ? kind, false)) THEN
        RAISE EXCEPTION 'model % has no "%" importance', model_id, kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'This model has: ' || array_to_string(ARRAY[c->>'method']
                         || ARRAY(SELECT jsonb_object_keys(coalesce(c->'also', '{}'))), ', ') || '.';
    END IF;
    per_column := c ? 'columns';
    RETURN QUERY
    SELECT f.feature,
           (CASE WHEN kind = c->>'method' THEN
                     CASE WHEN per_column THEN c->'column_importance' ELSE c->'importance' END
                 ELSE CASE WHEN per_column THEN c->'also_columns'->kind ELSE c->'also'->kind END END
            ->>(f.o - 1)::int)::float8, kind
    FROM jsonb_array_elements_text(CASE WHEN per_column THEN c->'columns' ELSE c->'features' END)
         WITH ORDINALITY AS f(feature, o)
    ORDER BY 2 DESC, f.o;
END
$$;

-- ---- explanations measured from the training average, categories shown ----
-- ml_explain is one C function per form now: contributions w_j (x_j - E[x_j])
-- for linear models (the bias their mean output), TreeSHAP for trees; the
-- row's category next to each of its features
DROP FUNCTION ml_explain(text, float8[]);
DROP FUNCTION ml_explain(bigint, float8[]);
DROP FUNCTION ml_explain(text, record);
DROP FUNCTION ml_explain(bigint, record);
DROP FUNCTION mlsql.explain_rows(jsonb, float8[], float8[]);
CREATE FUNCTION ml_explain(project text, features float8[])
RETURNS TABLE (feature text, value float8, contribution float8, category text)
AS 'MODULE_PATHNAME', 'mlsql_explain_rows_ref_array' LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
CREATE FUNCTION ml_explain(model_id bigint, features float8[])
RETURNS TABLE (feature text, value float8, contribution float8, category text)
AS 'MODULE_PATHNAME', 'mlsql_explain_rows_id_array' LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
CREATE FUNCTION ml_explain(project text, features record)
RETURNS TABLE (feature text, value float8, contribution float8, category text)
AS 'MODULE_PATHNAME', 'mlsql_explain_rows_ref_record' LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
CREATE FUNCTION ml_explain(model_id bigint, features record)
RETURNS TABLE (feature text, value float8, contribution float8, category text)
AS 'MODULE_PATHNAME', 'mlsql_explain_rows_id_record' LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION ml_explain(text, float8[]) IS 'why the model scored this row so (its raw columns in training order): each feature''s value after preprocessing and contribution from the training average, then (bias), the mean raw output; they sum to the raw output';
COMMENT ON FUNCTION ml_explain(bigint, float8[]) IS 'per-row explanation with model id';
COMMENT ON FUNCTION ml_explain(text, record) IS 'per-row explanation of a row (columns mapped by name): feature, value after preprocessing, contribution, and the row''s category for categorical columns; plus (bias)';
COMMENT ON FUNCTION ml_explain(bigint, record) IS 'per-row explanation of a row with model id';

-- ---- ml_fit with concrete target types ----
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

-- ---- scoring on Citus workers: the coordinator ships the model ----
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

-- ---- the aggregate and partitions engines of ml_train (src/pg/engine.c) ----
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

-- ---- the learner registry as a table (src/pg/learners.c) ----
CREATE FUNCTION ml_algorithms()
RETURNS TABLE (algorithm text, tasks text[], engines text[], parameters jsonb, description text)
AS 'MODULE_PATHNAME', 'mlsql_algorithms' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_algorithms() IS 'every learner with its tasks, the engines that train it (memory, aggregate, partitions), its parameters (name, type, default, range, choices, doc) and a description, from the learners'' own declarations';

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

-- ==== the book's practices: sanity checks, label issues ====
-- Both reuse the project's recorded training configuration (algorithm,
-- params, target, features, test size, seed) and record what they find as
-- a run of an experiment of their own kind.

-- not SET search_path: the source is read with the caller's search_path, as ml_train reads it
CREATE FUNCTION ml_sanity_check(project text, source text DEFAULT NULL)
RETURNS TABLE (check_name text, passed boolean, value float8, detail text)
AS 'MODULE_PATHNAME', 'mlsql_sanity_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_sanity_check(text, text)
IS 'checks of the project''s training configuration (or of it on another source): overfit a small sample, determinism, shuffled labels, single-feature leakage, train/test overlap, constant and empty features, class balance; recorded as a sanity_check run';

CREATE FUNCTION ml_label_issues(project text, source text DEFAULT NULL, key text DEFAULT NULL,
                                folds int DEFAULT 5)
RETURNS TABLE (row_key text, given text, suggested text, self_confidence float8, margin float8)
AS 'MODULE_PATHNAME', 'mlsql_label_issues'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_label_issues(text, text, text, int)
IS 'rows whose label is likely wrong (confident learning on out-of-fold probabilities of the project''s configuration), most suspicious first; recorded as a label_issues run';
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


-- ---- the experiments of the book's practices (0.3.0: sanity checks, label
-- issues, rules, AutoML) ----
ALTER TABLE mlsql.experiments DROP CONSTRAINT experiments_kind_check;
ALTER TABLE mlsql.experiments ADD CONSTRAINT experiments_kind_check
    CHECK (kind IN ('train', 'search', 'cv', 'learning_curve', 'ensemble', 'sanity_check', 'label_issues', 'rule', 'automl', 'slices'));

-- ==== calibration (issue 22): ml_plot gains kind calibration; ml_calibrate, ml_calibration_curve ====
CREATE OR REPLACE FUNCTION ml_plot(kind text, id bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
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
    curve jsonb;
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
    ELSIF kind = 'learning_curve' THEN
        SELECT min(f.value), max(f.value), min(mt.value), max(mt.value), count(*) INTO x0, x1, y0, y1, n
        FROM mlsql.runs r
        JOIN mlsql.metrics f ON f.run_id = r.id AND f.name = 'train_fraction'
        JOIN mlsql.metrics mt ON mt.run_id = r.id AND mt.name NOT LIKE '%_std' AND mt.name <> 'train_fraction'
        JOIN mlsql.experiments e ON e.id = r.experiment_id AND e.kind = 'learning_curve'
        WHERE r.experiment_id = ml_plot.id;
        IF n = 0 THEN
            RAISE EXCEPTION 'experiment % is not a learning curve', id USING ERRCODE = 'undefined_object',
                HINT = 'Record one with ml_learning_curve(..., project => ''name'').';
        END IF;
        IF x1 = x0 THEN x1 := x0 + 1; END IF;
        IF y1 = y0 THEN y1 := y0 + 1; END IF;
        svg := pg_catalog.format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">'
                   '<title>learning curve of experiment %s</title><rect width="100%%" height="100%%" fill="white"/>'
                   '<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>'
                   '<text x="%s" y="%s" font-size="12">share of training rows</text><text x="5" y="%s" font-size="12">%s</text>'
                   '<text x="5" y="%s" font-size="12">%s</text>',
                   w, hgt, w, hgt, id, m, hgt - m, w - m, hgt - m, m, m, m, hgt - m,
                   w / 2, hgt - 10, m - 5, round(y1::numeric, 4), hgt - m, round(y0::numeric, 4));
        FOR s IN SELECT split FROM (VALUES ('train'), ('validation')) v(split) LOOP
            i := i + 1;
            svg := svg || (
                SELECT pg_catalog.format('<g class="series" data-split="%s"><polyline fill="none" stroke="%s" points="%s"/>%s</g>',
                           s.split, colors[i],
                           pg_catalog.string_agg(pg_catalog.format('%s,%s', px, py), ' ' ORDER BY fx),
                           pg_catalog.string_agg(pg_catalog.format('<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s of the rows: %s</title></circle>',
                               px, py, colors[i], fx, my), '' ORDER BY fx))
                FROM (SELECT f.value AS fx, mt.value AS my,
                             round((m + (f.value - x0) / (x1 - x0) * (w - 2 * m))::numeric, 1) AS px,
                             round((hgt - m - (mt.value - y0) / (y1 - y0) * (hgt - 2 * m))::numeric, 1) AS py
                      FROM mlsql.runs r
                      JOIN mlsql.metrics f ON f.run_id = r.id AND f.name = 'train_fraction'
                      JOIN mlsql.metrics mt ON mt.run_id = r.id AND mt.split = s.split
                           AND mt.name NOT LIKE '%_std' AND mt.name <> 'train_fraction'
                      WHERE r.experiment_id = ml_plot.id) q)
                || pg_catalog.format('<text x="%s" y="%s" font-size="12" fill="%s">%s</text>',
                       w - m - 150, m + 15 * i, colors[i], s.split);
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
    ELSIF kind = 'calibration' THEN
        -- the reliability diagram of a classification run's evaluation split (artifact calibration_curve)
        SELECT pg_catalog.convert_from(a.content, 'UTF8')::jsonb INTO curve
        FROM mlsql.artifacts a WHERE a.run_id = id AND a.name = 'calibration_curve';
        IF curve IS NULL THEN
            RAISE EXCEPTION 'run % has no calibration curve', id USING ERRCODE = 'undefined_object',
                HINT = 'Classification runs of ml_train and ml_calibrate record one; ml_calibration_curve computes one on any source.';
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s,%s', px, py), ' ' ORDER BY b),
               pg_catalog.string_agg(pg_catalog.format('<circle cx="%s" cy="%s" r="%s" fill="%s"><title>bin %s: predicted %s, observed %s, %s rows</title></circle>',
                   px, py, 2 + least(4, floor(ln(1 + cnt))::int), colors[1], b, round(mp::numeric, 4), round(ob::numeric, 4), cnt), '' ORDER BY b)
        INTO bars, svg
        FROM (SELECT (e ->> 'bin')::int AS b, (e ->> 'mean_predicted')::float8 AS mp,
                     (e ->> 'observed')::float8 AS ob, (e ->> 'n')::bigint AS cnt,
                     round((m + (e ->> 'mean_predicted')::float8 * (w - 2 * m))::numeric, 1) AS px,
                     round((hgt - m - (e ->> 'observed')::float8 * (hgt - 2 * m))::numeric, 1) AS py
              FROM pg_catalog.jsonb_array_elements(curve -> 'points') e) q;
        RETURN pg_catalog.format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">'
                   '<title>calibration of run %s (%s split, %s)</title><rect width="100%%" height="100%%" fill="white"/>'
                   '<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>'
                   '<line class="diagonal" x1="%s" y1="%s" x2="%s" y2="%s" stroke="gray" stroke-dasharray="4"/>'
                   '<text x="%s" y="%s" font-size="12">mean predicted probability</text><text x="5" y="%s" font-size="12">observed 1</text>'
                   '<text x="5" y="%s" font-size="12">0</text>'
                   '<g class="series"><polyline fill="none" stroke="%s" points="%s"/>%s</g></svg>',
                   w, hgt, w, hgt, id, curve ->> 'split', curve ->> 'of',
                   m, hgt - m, w - m, hgt - m, m, m, m, hgt - m,
                   m, hgt - m, w - m, m,
                   w / 2 - 80, hgt - 10, m - 5, hgt - m,
                   colors[1], coalesce(bars, ''), coalesce(svg, ''));
    END IF;
    RAISE EXCEPTION 'unknown plot kind "%"', kind USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Use loss_curve (run id), loss_sparkline (run id), learning_curve (experiment id), leaderboard (project id) or calibration (run id).';
END $$;
COMMENT ON FUNCTION ml_plot(text, bigint) IS 'a self-contained SVG: loss_curve (run id), learning_curve (experiment id), leaderboard (project id), calibration (run id: the reliability diagram of its evaluation split); loss_sparkline gives text';

/*
 * Calibration: ml_calibrate wraps a project's deployed classifier in the
 * "calibrated" learner (src/ensemble/calibrated.c), fitted on out-of-fold
 * predictions of the same training split, recorded and deployed like any
 * ml_train; ml_calibration_curve reads the reliability curve of a model on
 * a source (src/pg/calibrate.c).
 */

CREATE FUNCTION mlsql.calibration_config(project text, method text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
-- the ml_train arguments that refit the deployed model's configuration with the
-- calibrated learner, and what the result is checked against (calibration_check)
DECLARE
    pname text;
    ptask text;
    dep record;
    c jsonb;
    p jsonb;
    base jsonb;
    -- the keys of params that configure ml_train itself (src/pg/params.c, general_keys)
    general constant text[] := '{preprocess,split,split_key,split_column,retarget,skip_identical,engine,partitions}';
BEGIN
    IF project IS NULL OR method IS NULL THEN
        RAISE EXCEPTION 'project and method must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (method = ANY ('{isotonic,sigmoid}'::text[])) THEN
        RAISE EXCEPTION 'unknown calibration method "%"', method USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use ''isotonic'' or ''sigmoid''.';
    END IF;
    pname := btrim(project, E' \t\r\n');
    SELECT pr.task INTO ptask FROM mlsql.projects pr WHERE pr.name = pname;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project "%" does not exist', pname USING ERRCODE = 'undefined_object';
    END IF;
    IF ptask IS DISTINCT FROM 'classification' THEN
        RAISE EXCEPTION 'project "%" is a % project; ml_calibrate calibrates classifiers', pname, coalesce(ptask, 'untyped')
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Calibration maps predicted class probabilities to observed frequencies.';
    END IF;
    SELECT dm.model_id, dm.version, r.dataset_id, r.test_fingerprint INTO dep
    FROM mlsql.deployed_models dm
    JOIN mlsql.models mo ON mo.id = dm.model_id
    JOIN mlsql.runs r ON r.id = mo.run_id
    WHERE dm.project = pname;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project "%" has no deployed model', pname USING ERRCODE = 'undefined_object',
            HINT = 'ml_calibrate calibrates the deployed model: train one with ml_train or deploy one with ml_deploy.';
    END IF;
    -- the deployed model's configuration, recorded by the caller (else an error)
    c := mlsql.last_training(pname);
    p := coalesce(c -> 'params', '{}');
    IF coalesce(p ->> 'engine', 'memory') <> 'memory' THEN
        RAISE EXCEPTION 'version % of project "%" was trained by the % engine', dep.version, pname, p ->> 'engine'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'ml_calibrate refits the base on the memory engine; calibrate a model the memory engine trained.';
    END IF;
    IF c ->> 'algorithm' = 'calibrated' THEN
        -- recalibrating a calibrated model: its base again, with the new method
        base := p -> 'base';
        p := p - 'base' - 'method' - 'folds';
    ELSE
        base := jsonb_build_object('algorithm', c ->> 'algorithm')
                || (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}') FROM jsonb_each(p) e
                    WHERE NOT e.key = ANY (general));
        p := (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}') FROM jsonb_each(p) e
              WHERE e.key = ANY (general));
    END IF;
    RETURN jsonb_build_object('project', pname, 'source', c -> 'source', 'target', c -> 'target',
                              'task', c -> 'task', 'features', c -> 'features',
                              'test_size', c -> 'test_size', 'seed', c -> 'seed',
                              'params', p || jsonb_build_object('base', base, 'method', method),
                              'version', dep.version, 'dataset_id', dep.dataset_id,
                              'test_fingerprint', dep.test_fingerprint);
END $$;
COMMENT ON FUNCTION mlsql.calibration_config(text, text) IS 'the body of ml_calibrate: the deployed model''s recorded configuration with the calibrated learner around it';

CREATE FUNCTION mlsql.calibration_check(c jsonb, new_run bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
-- the calibrated model's base is the deployed model only when it was refit on
-- the same rows with the same split: otherwise an error undoes the training.
-- VOLATILE: it must see the run the ml_train of the same statement wrote
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mlsql.runs r
                   JOIN mlsql.datasets d ON d.id = r.dataset_id
                   JOIN mlsql.datasets d0 ON d0.id = (c ->> 'dataset_id')::bigint
                   WHERE r.id = new_run AND d.fingerprint = d0.fingerprint
                     AND r.test_fingerprint IS NOT DISTINCT FROM c ->> 'test_fingerprint') THEN
        RAISE EXCEPTION 'the source of project "%" changed since version % was trained', c ->> 'project', c ->> 'version'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A calibrated model wraps the deployed model, refit on the same rows and split; on other rows it would wrap another model.',
                  HINT = 'Retrain first (ml_retrain), then calibrate.';
    END IF;
    RETURN true;
END $$;
COMMENT ON FUNCTION mlsql.calibration_check(jsonb, bigint) IS 'ml_calibrate''s check that it calibrated the deployed model on its own rows';

-- not SET search_path: the recorded source is read with the caller's search_path, as
-- ml_train read it; every function and operator here is qualified instead
CREATE FUNCTION ml_calibrate(project text, method text DEFAULT 'isotonic')
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
LANGUAGE sql VOLATILE AS $$
    SELECT t.* FROM mlsql.calibration_config($1, $2) c,
        LATERAL @extschema@.ml_train(
            c OPERATOR(pg_catalog.->>) 'project', c OPERATOR(pg_catalog.->>) 'source',
            c OPERATOR(pg_catalog.->>) 'target', 'calibrated', c OPERATOR(pg_catalog.->) 'params',
            c OPERATOR(pg_catalog.->>) 'task',
            ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'features')),
            (c OPERATOR(pg_catalog.->>) 'test_size')::pg_catalog.float8,
            (c OPERATOR(pg_catalog.->>) 'seed')::pg_catalog.int8, 'if_better') t
    WHERE mlsql.calibration_check(c, t.run_id)
$$;
COMMENT ON FUNCTION ml_calibrate(text, text) IS 'calibrate the deployed classifier (isotonic or sigmoid) on out-of-fold predictions of its own training split; the result is a new version (algorithm calibrated), tested on the test split and deployed only through the if_better gate';

CREATE FUNCTION ml_calibration_curve(project text, source text, bins int DEFAULT 10)
RETURNS TABLE (bin int, mean_predicted float8, observed float8, n bigint)
AS 'MODULE_PATHNAME', 'mlsql_calibration_curve' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_calibration_curve(text, text, int) IS 'reliability curve of the deployed classifier (or ''project@version'') on a source: per non-empty bin of equal width (1..bins), the mean predicted probability (binary: of the second class; multiclass: of the top label), the observed frequency and the row count';
-- ==== issue 22: AutoML (src/sql/86_automl.sql) ====
/*
 * AutoML (src/pg/automl.c): ml_automl and its leaderboard.
 */

CREATE FUNCTION ml_automl(project text, source text, target text,
                          budget interval DEFAULT '5 minutes', task text DEFAULT NULL)
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_automl'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_automl(text, text, text, interval, text)
IS 'within a time budget: the baseline, every applicable learner, a search on the best three, greedy ensemble selection over out-of-fold predictions; the winner is refit, scored once on the test split and deployed by the usual gate (ml_train''s row)';

CREATE VIEW mlsql.automl_leaderboard WITH (security_invoker = true) AS
SELECT p.name AS project, e.id AS experiment_id, r.id AS run_id,
       -- ranked within the call by the cross-validated key metric, in its direction
       pg_catalog.rank() OVER (PARTITION BY e.id
                               ORDER BY CASE WHEN s.name OPERATOR(pg_catalog.=) ANY ('{log_loss,rmse,mae}'::pg_catalog.text[])
                                             THEN OPERATOR(pg_catalog.-) s.value ELSE s.value END DESC NULLS LAST) AS rank,
       r.algorithm, r.params, e.config OPERATOR(pg_catalog.->>) 'metric' AS metric, s.value AS cv_score,
       sd.value AS cv_std, r.train_seconds,
       CASE WHEN ph.value OPERATOR(pg_catalog.=) 1 THEN 'baselines'
            WHEN ph.value OPERATOR(pg_catalog.=) 2 THEN 'defaults'
            WHEN ph.value OPERATOR(pg_catalog.=) 3 THEN 'search'
            WHEN ph.value OPERATOR(pg_catalog.=) 4 THEN 'ensemble' END AS phase,
       w.value IS NOT NULL AS chosen, w.value AS weight,
       EXISTS (SELECT 1 FROM mlsql.runs c WHERE c.parent_run_id OPERATOR(pg_catalog.=) r.id) AS refit,
       r.status, r.error, r.started_at
FROM mlsql.runs r
JOIN mlsql.experiments e ON e.id OPERATOR(pg_catalog.=) r.experiment_id
     AND e.kind OPERATOR(pg_catalog.=) 'automl'
JOIN mlsql.projects p ON p.id OPERATOR(pg_catalog.=) r.project_id
LEFT JOIN mlsql.metrics s ON s.run_id OPERATOR(pg_catalog.=) r.id AND s.split OPERATOR(pg_catalog.=) 'validation'
     AND s.step IS NULL AND s.name OPERATOR(pg_catalog.=) (e.config OPERATOR(pg_catalog.->>) 'metric')
LEFT JOIN mlsql.metrics sd ON sd.run_id OPERATOR(pg_catalog.=) r.id AND sd.split OPERATOR(pg_catalog.=) 'validation'
     AND sd.step IS NULL
     AND sd.name OPERATOR(pg_catalog.=) ((e.config OPERATOR(pg_catalog.->>) 'metric') OPERATOR(pg_catalog.||) '_std')
LEFT JOIN mlsql.metrics ph ON ph.run_id OPERATOR(pg_catalog.=) r.id AND ph.split OPERATOR(pg_catalog.=) 'validation'
     AND ph.step IS NULL AND ph.name OPERATOR(pg_catalog.=) 'automl_phase'
LEFT JOIN mlsql.metrics w ON w.run_id OPERATOR(pg_catalog.=) r.id AND w.split OPERATOR(pg_catalog.=) 'validation'
     AND w.step IS NULL AND w.name OPERATOR(pg_catalog.=) 'ensemble_weight';
COMMENT ON VIEW mlsql.automl_leaderboard IS 'every trial of every ml_automl call: its rank by cross-validated key metric, phase (baselines, defaults, search, ensemble), weight in the selected ensemble, and whether it was refit';
GRANT SELECT ON mlsql.automl_leaderboard TO PUBLIC;
