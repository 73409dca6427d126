/*
 * Hyperparameter search and model selection (src/pg/search.c): ml_search,
 * cross-validation, learning curves, ml_compare over default spaces, a
 * binary classifier's threshold curve, and which searched parameters
 * mattered.
 */

-- params with each value of vals (keys are dotted paths, "estimators.1.k") set in place
CREATE FUNCTION mlsql.apply_params(params jsonb, vals jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    v jsonb;
    path text[];
BEGIN
    FOR k, v IN SELECT * FROM pg_catalog.jsonb_each(vals) LOOP
        path := pg_catalog.string_to_array(k, '.');
        IF pg_catalog.array_length(path, 1) > 1 AND params #> path[1:pg_catalog.array_length(path, 1) - 1] IS NULL THEN
            RAISE EXCEPTION 'search space name "%" reaches into "%", which params does not set', k,
                pg_catalog.array_to_string(path[1:pg_catalog.array_length(path, 1) - 1], '.')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Fix the member in params, e.g. {"base": {"algorithm": "tree"}} for base.max_depth.';
        END IF;
        params := pg_catalog.jsonb_set(params, path, v, true);
    END LOOP;
    RETURN params;
END $$;
COMMENT ON FUNCTION mlsql.apply_params(jsonb, jsonb) IS 'params with each searched value set at its dotted path (ml_search trials)';

CREATE FUNCTION ml_search(project text, source text, target text, algorithm text, space jsonb,
                          method text DEFAULT 'random', trials int DEFAULT 20, folds int DEFAULT 3,
                          metric text DEFAULT NULL, params jsonb DEFAULT '{}', task text DEFAULT NULL,
                          features text[] DEFAULT NULL, test_size float8 DEFAULT 0.25,
                          seed bigint DEFAULT 42, deploy text DEFAULT 'if_better')
RETURNS TABLE (trial int, run_id bigint, params jsonb, score float8, score_std float8,
               seconds float8, status text, best boolean)
AS 'MODULE_PATHNAME', 'mlsql_search'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_search(text, text, text, text, jsonb, text, int, int, text, jsonb, text, text[], float8, bigint, text)
IS 'search hyperparameters (grid, random, bayes = TPE, halving) by cross-validation on the training split; refit the best, score it on the test split, deploy by rule';

CREATE FUNCTION ml_cross_validate(source text, target text, algorithm text, params jsonb DEFAULT '{}',
                                  folds int DEFAULT 5, task text DEFAULT NULL, features text[] DEFAULT NULL,
                                  test_size float8 DEFAULT 0.25, seed bigint DEFAULT 42)
RETURNS TABLE (fold int, train_rows bigint, validation_rows bigint, train_metrics jsonb,
               validation_metrics jsonb, seconds float8)
AS 'MODULE_PATHNAME', 'mlsql_cross_validate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_cross_validate(text, text, text, jsonb, int, text, text[], float8, bigint)
IS 'k-fold cross-validation on the training split (the test split is left out): train and validation metrics per fold';

CREATE FUNCTION ml_learning_curve(source text, target text, algorithm text, params jsonb DEFAULT '{}',
                                  sizes float8[] DEFAULT '{0.1,0.25,0.5,0.75,1}', folds int DEFAULT 5,
                                  task text DEFAULT NULL, features text[] DEFAULT NULL,
                                  test_size float8 DEFAULT 0.25, seed bigint DEFAULT 42,
                                  project text DEFAULT NULL)
RETURNS TABLE (train_size float8, train_rows bigint, train_score float8, train_std float8,
               validation_score float8, validation_std float8)
AS 'MODULE_PATHNAME', 'mlsql_learning_curve'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_learning_curve(text, text, text, jsonb, float8[], int, text, text[], float8, bigint, text)
IS 'cross-validated train and validation score for growing shares of the training rows; recorded as an experiment when project is given';

-- the search space ml_compare gives each algorithm
CREATE FUNCTION mlsql.default_space(algorithm text) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE algorithm
        WHEN 'linear' THEN '{"alpha": {"log_uniform": [0.0001, 100]}}'
        WHEN 'logistic' THEN '{"alpha": {"log_uniform": [0.001, 100]}}'
        WHEN 'elastic_net' THEN '{"alpha": {"log_uniform": [0.0001, 10]}, "l1_ratio": {"uniform": [0.05, 1]}}'
        WHEN 'lasso' THEN '{"alpha": {"log_uniform": [0.0001, 10]}}'
        WHEN 'naive_bayes' THEN '{"var_smoothing": {"log_uniform": [1e-12, 0.001]}}'
        WHEN 'knn' THEN '{"k": {"int_uniform": [1, 50]}, "weights": ["uniform", "distance"]}'
        WHEN 'tree' THEN '{"max_depth": {"int_uniform": [2, 20]}, "min_samples_leaf": {"int_uniform": [1, 20]}}'
        WHEN 'forest' THEN '{"n_estimators": [50, 100, 200], "max_depth": {"int_uniform": [4, 30]}, "min_samples_leaf": {"int_uniform": [1, 10]}}'
        WHEN 'svm' THEN '{"C": {"log_uniform": [0.001, 100]}}'
        WHEN 'mlp' THEN '{"alpha": {"log_uniform": [0.000001, 0.1]}, "learning_rate": {"log_uniform": [0.0001, 0.01]}, "hidden_layer_sizes": ["50", "100", "100,50"]}'
        WHEN 'gbdt' THEN '{"learning_rate": {"log_uniform": [0.01, 0.3]}, "max_depth": {"int_uniform": [2, 10]}, "n_trees": [50, 100, 200], "subsample": {"uniform": [0.5, 1]}, "lambda": {"log_uniform": [0.01, 10]}}'
        WHEN 'adaboost' THEN '{"n_estimators": [25, 50, 100], "learning_rate": {"log_uniform": [0.05, 2]}}'
        WHEN 'bagging' THEN '{"n_estimators": [10, 25, 50], "max_samples": {"uniform": [0.5, 1]}, "max_features": {"uniform": [0.5, 1]}}'
    END::jsonb
$$;
COMMENT ON FUNCTION mlsql.default_space(text) IS 'the search space ml_compare gives an algorithm (NULL: none)';

CREATE FUNCTION ml_compare(project text, source text, target text, algorithms text[],
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
COMMENT ON FUNCTION ml_compare(text, text, text, text[], int, int, text, jsonb, text, text[], float8, bigint, text)
IS 'give each algorithm the same random-search budget over its default space; one row per algorithm with its best cross-validated and test score';

CREATE FUNCTION ml_threshold_curve(project text, source text)
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
COMMENT ON FUNCTION ml_threshold_curve(text, text)
IS 'binary classifiers: precision, recall, false positive rate and f1 at thresholds 0, 0.01, ..., 1 on a source with the target column';

CREATE FUNCTION ml_param_importance(experiment_id bigint)
RETURNS TABLE (param text, importance float8, n_values int)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- the share of the score's variance explained by each parameter's
    -- marginal means (numbers in up to 5 quantile bins)
    WITH e AS (SELECT config FROM mlsql.experiments WHERE id = $1 AND kind = 'search'),
    t AS (SELECT r.params, m.value AS score
          FROM mlsql.runs r JOIN mlsql.metrics m ON m.run_id = r.id, e
          WHERE r.experiment_id = $1 AND r.status = 'finished' AND m.split = 'validation'
            AND m.name = e.config->>'metric' AND m.step IS NULL AND m.value = m.value),
    k AS (SELECT pg_catalog.jsonb_object_keys(config->'space') AS key FROM e),
    v AS (SELECT k.key, t.score, t.params #> pg_catalog.string_to_array(k.key, '.') AS val FROM k, t),
    nb AS (SELECT key, count(DISTINCT val) AS nd, bool_and(pg_catalog.jsonb_typeof(val) = 'number') AS num
           FROM v GROUP BY key),
    b AS (SELECT v.key, v.score,
                 CASE WHEN nb.num AND nb.nd > 5
                      THEN pg_catalog.ntile(5) OVER (PARTITION BY v.key ORDER BY CASE WHEN pg_catalog.jsonb_typeof(v.val) = 'number' THEN (v.val::text)::float8 END)::text
                      ELSE v.val::text END AS bin
          FROM v JOIN nb USING (key)),
    g AS (SELECT key, bin, avg(score) AS mean, count(*) AS n FROM b GROUP BY key, bin),
    tot AS (SELECT avg(score) AS mean, var_pop(score) AS var FROM t)
    SELECT g.key, CASE WHEN tot.var > 0 THEN sum(g.n * (g.mean - tot.mean) ^ 2) / sum(g.n) / tot.var ELSE 0 END,
           (SELECT nd FROM nb WHERE nb.key = g.key)::int
    FROM g, tot GROUP BY g.key, tot.var ORDER BY 2 DESC, 1
$$;
COMMENT ON FUNCTION ml_param_importance(bigint) IS 'which searched parameters moved the score most: the share of the score variance explained by each parameter''s marginal means';
