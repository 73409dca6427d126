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
