/*
 * Retraining, scheduling, reproducing: replays of a recorded training
 * configuration.  A replay runs the recorded source with the caller's
 * privileges, so it runs only what the caller recorded
 * (experiments.created_by).
 */

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

CREATE FUNCTION mlsql.reproduce(rid bigint, OUT data_matched boolean, OUT model_identical boolean,
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
COMMENT ON FUNCTION mlsql.reproduce(bigint) IS 'the body of ml_reproduce';

-- not SET search_path: mlsql.reproduce reads the source with the caller's search_path
CREATE FUNCTION ml_reproduce(run_id bigint)
RETURNS TABLE (run_id bigint, data_matched boolean, model_identical boolean,
               original_fingerprint text, new_fingerprint text, original_hash text, new_hash text)
LANGUAGE sql VOLATILE AS $$
    SELECT $1, r.* FROM mlsql.reproduce($1) r
$$;
COMMENT ON FUNCTION ml_reproduce(bigint) IS 'train again from a run''s recorded configuration and seed (nothing is kept) and report whether the data and the model bytes are identical';

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

CREATE FUNCTION mlsql.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = 'feature_not_supported',
            HINT = 'Add pg_cron to shared_preload_libraries, then run CREATE EXTENSION pg_cron in the database named by cron.database_name.';
    END IF;
END $$;
COMMENT ON FUNCTION mlsql.require_pg_cron() IS 'an error with a hint unless pg_cron is installed in this database';

CREATE FUNCTION ml_schedule(project text, schedule text) RETURNS bigint
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
COMMENT ON FUNCTION ml_schedule(text, text) IS 'schedule ml_retrain(project) with pg_cron (cron format, e.g. ''0 3 * * *''); returns the cron job id';

CREATE FUNCTION ml_unschedule(project text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    done boolean;
BEGIN
    PERFORM mlsql.require_pg_cron();
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'mlsql-retrain-' || btrim(project, E' \t\r\n');
    RETURN done;
END $$;
COMMENT ON FUNCTION ml_unschedule(text) IS 'remove the pg_cron job of ml_schedule';
