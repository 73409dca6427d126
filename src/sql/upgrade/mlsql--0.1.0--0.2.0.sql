-- mlsql 0.1.0 -> 0.2.0: ensembles (ml_ensemble_report), hyperparameter search
-- and model selection (ml_search, ml_compare, ml_cross_validate,
-- ml_learning_curve, ml_param_importance, ml_threshold_curve,
-- ml_set_threshold), training as an aggregate (ml_fit, ml_predict and
-- ml_predict_proba on model bytes, ml_save), a decision threshold per model,
-- and the learning_curve plot.  Models of 0.1.0 read and score unchanged
-- (the model format did not change).
\echo Use "ALTER EXTENSION mlsql UPDATE TO '0.2.0'" to load this file. \quit

ALTER TABLE mlsql.models ADD COLUMN threshold float8 CHECK (threshold BETWEEN 0 AND 1);

-- row-level security no longer errors when a granted role was dropped
CREATE OR REPLACE FUNCTION mlsql.project_visible(pid bigint, who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- pg_has_role errors for a dropped role, so each call is guarded by a
    -- CASE (a join alone does not keep the planner from calling it first)
    SELECT EXISTS (
        SELECT 1 FROM mlsql.projects p
        WHERE p.id = pid
          AND (CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p.owner)
                    THEN pg_catalog.pg_has_role(who, p.owner, 'MEMBER') ELSE false END
               OR EXISTS (SELECT 1 FROM mlsql.grants g
                          WHERE g.project_id = p.id
                            AND CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = g.role)
                                     THEN pg_catalog.pg_has_role(who, g.role, 'MEMBER') ELSE false END)))
$$;
CREATE OR REPLACE FUNCTION mlsql.dataset_visible(did bigint, who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM mlsql.datasets d
                   WHERE d.id = did
                     AND CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = d.created_by)
                              THEN pg_catalog.pg_has_role(who, d.created_by, 'MEMBER') ELSE false END)
        OR EXISTS (SELECT 1 FROM mlsql.runs r WHERE r.dataset_id = did AND mlsql.project_visible(r.project_id, who))
$$;


-- hyperparameter search

-- params with each value of vals (keys are dotted paths, "estimators.1.k") set in place
CREATE FUNCTION mlsql.apply_params(params jsonb, vals jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
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
LANGUAGE sql IMMUTABLE AS $$
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
DECLARE
    a text;
    b record;
    r record;
    rows jsonb := '[]';
    best jsonb;
    lower boolean := metric IN ('log_loss', 'rmse', 'mae');
    key text;
    dep record;
    cand float8;
    chosen int;
BEGIN
    IF algorithms IS NULL OR pg_catalog.cardinality(algorithms) = 0 THEN
        RAISE EXCEPTION 'algorithms must name at least one algorithm' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF deploy NOT IN ('if_better', 'always', 'never') THEN
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
        FROM mlsql.runs t JOIN mlsql.models m ON m.run_id = t.id
        LEFT JOIN mlsql.metrics x ON x.run_id = t.id AND x.split = 'test' AND x.step IS NULL
             AND x.name = COALESCE(ml_compare.metric, CASE WHEN t.task = 'classification' THEN 'accuracy' ELSE 'r2' END)
        WHERE t.parent_run_id = b.run_id ORDER BY t.id DESC LIMIT 1;
        rows := rows || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'algorithm', a, 'best_params', b.params, 'cv_score', b.score, 'cv_std', b.score_std,
            'test_score', r.test, 'version', r.v));
        IF best IS NULL OR (CASE WHEN lower THEN b.score < (best->>'cv_score')::float8
                                 ELSE b.score > (best->>'cv_score')::float8 END) THEN
            best := rows -> -1;
        END IF;
    END LOOP;
    -- the best cross-validated algorithm is the candidate; if_better deploys
    -- it when it beats the deployed model's key test score
    chosen := (best->>'version')::int;
    IF deploy <> 'never' THEN
        SELECT l.score INTO dep FROM mlsql.leaderboard l WHERE l.project = ml_compare.project AND l.deployed;
        SELECT l.score INTO cand FROM mlsql.leaderboard l
        WHERE l.project = ml_compare.project AND l.version = chosen;
        IF deploy = 'always' OR dep IS NULL OR dep.score IS NULL OR cand > dep.score THEN
            PERFORM @extschema@.ml_deploy(ml_compare.project, chosen);
        ELSE
            chosen := NULL;
        END IF;
    ELSE
        chosen := NULL;
    END IF;
    RETURN QUERY
    SELECT e->>'algorithm', trials_per_algorithm, e->'best_params', (e->>'cv_score')::float8,
           (e->>'cv_std')::float8, (e->>'test_score')::float8, (e->>'version')::int,
           COALESCE((e->>'version')::int = chosen, false)
    FROM pg_catalog.jsonb_array_elements(rows) WITH ORDINALITY AS q(e, o) ORDER BY o;
END $$;
COMMENT ON FUNCTION ml_compare(text, text, text, text[], int, int, text, jsonb, text, text[], float8, bigint, text)
IS 'give each algorithm the same random-search budget over its default space; one row per algorithm with its best cross-validated and test score';

CREATE FUNCTION ml_param_importance(experiment_id bigint)
RETURNS TABLE (param text, importance float8, n_values int)
LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION ml_set_threshold(project text, threshold float8) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_set_threshold' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ml_set_threshold(text, float8)
IS 'binary classifiers: predict the second class when its probability is at least threshold (NULL: the most probable class); returns the model id';

CREATE FUNCTION mlsql.source_query(source text) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_source_query' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION mlsql.source_query(text) IS 'the query a source (table, view or query text) reads, as ml_train reads it';

CREATE FUNCTION ml_threshold_curve(project text, source text)
RETURNS TABLE (threshold float8, "precision" float8, recall float8, false_positive_rate float8, f1 float8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    info jsonb := @extschema@.ml_model_info(project);
    classes text[] := @extschema@.ml_classes(project);
BEGIN
    IF info->>'task' <> 'classification' OR pg_catalog.cardinality(classes) <> 2 THEN
        RAISE EXCEPTION 'a threshold curve needs a binary classifier, "%" is not one', project
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the second class is positive, as in ml_predict_proba and the metrics
    RETURN QUERY EXECUTE pg_catalog.format(
        'WITH s AS (SELECT (@extschema@.ml_predict_proba(%L, t))[2] AS p, (t.%I)::text = %L AS pos
                    FROM (%s) t WHERE t.%I IS NOT NULL),
              g AS (SELECT x / 100.0 AS th FROM pg_catalog.generate_series(0, 100) x),
              c AS (SELECT g.th, count(*) FILTER (WHERE s.p >= g.th AND s.pos) AS tp,
                           count(*) FILTER (WHERE s.p >= g.th AND NOT s.pos) AS fp,
                           count(*) FILTER (WHERE s.p < g.th AND s.pos) AS fn,
                           count(*) FILTER (WHERE s.p < g.th AND NOT s.pos) AS tn
                    FROM g CROSS JOIN s GROUP BY g.th)
         SELECT th::float8, CASE WHEN tp + fp > 0 THEN tp::float8 / (tp + fp) END,
                CASE WHEN tp + fn > 0 THEN tp::float8 / (tp + fn) END,
                CASE WHEN fp + tn > 0 THEN fp::float8 / (fp + tn) END,
                CASE WHEN 2 * tp + fp + fn > 0 THEN 2.0 * tp / (2 * tp + fp + fn) END::float8
         FROM c ORDER BY th',
        project, info->>'target', classes[2], mlsql.source_query(source), info->>'target');
END $$;
COMMENT ON FUNCTION ml_threshold_curve(text, text)
IS 'binary classifiers: precision, recall, false positive rate and f1 at thresholds 0, 0.01, ..., 1 on a source with the target column';

-- training as an aggregate

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

CREATE FUNCTION ml_predict(model bytea, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_bytes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model bytea, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_bytes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict(bytea, float8[]) IS 'predicted value of model bytes (ml_fit) for a features array';
COMMENT ON FUNCTION ml_predict_proba(bytea, float8[]) IS 'class probabilities of model bytes (ml_fit)';

CREATE FUNCTION ml_save(project text, model bytea, deploy text DEFAULT 'if_better')
RETURNS TABLE (project text, version int, model_id bigint, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_save' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_save(text, bytea, text) IS 'register model bytes (ml_fit) as the project''s next version; if_better deploys it when nothing is deployed';

CREATE FUNCTION ml_import_xgboost(model jsonb, features text[] DEFAULT NULL) RETURNS bytea
AS 'MODULE_PATHNAME', 'mlsql_import_xgboost' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_import_xgboost(jsonb, text[]) IS 'model bytes of an XGBoost model saved as JSON (gbtree), scored as XGBoost scores it; register with ml_save';
CREATE OR REPLACE FUNCTION ml_plot(kind text, id bigint) RETURNS text
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
    END IF;
    RAISE EXCEPTION 'unknown plot kind "%"', kind USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Use loss_curve (run id), loss_sparkline (run id), learning_curve (experiment id) or leaderboard (project id).';
END $$;
COMMENT ON FUNCTION ml_plot(text, bigint) IS 'a self-contained SVG: loss_curve (run id), learning_curve (experiment id), leaderboard (project id); loss_sparkline gives text';


CREATE FUNCTION ml_ensemble_report(model_id bigint)
RETURNS TABLE (member int, path text, algorithm text, run_id bigint, metric text,
               score float8, error_correlation float8[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    alg text;
BEGIN
    SELECT m.algorithm INTO alg FROM mlsql.models m WHERE m.id = model_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model % does not exist', model_id USING ERRCODE = 'undefined_object';
    END IF;
    IF alg NOT IN ('bagging', 'voting', 'stacking') THEN
        RAISE EXCEPTION 'model % is a % model, not an ensemble', model_id, alg
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ml_ensemble_report reads bagging, voting and stacking models.';
    END IF;
    RETURN QUERY
    SELECT (e->>'member')::int, e->>'path', e->>'algorithm', (e->>'run_id')::bigint,
           c->>'metric', (e->>'score')::float8,
           CASE WHEN jsonb_typeof(e->'error_correlation') = 'array'
                THEN ARRAY(SELECT x::float8
                           FROM pg_catalog.jsonb_array_elements_text(e->'error_correlation')
                                WITH ORDINALITY AS t(x, o) ORDER BY o) END
    FROM mlsql.models m
    JOIN mlsql.artifacts a ON a.run_id = m.run_id AND a.name = 'ensemble_report',
         LATERAL (SELECT pg_catalog.convert_from(a.content, 'UTF8')::jsonb AS c) j,
         LATERAL pg_catalog.jsonb_array_elements(c->'members') e
    WHERE m.id = model_id
    ORDER BY 1;
END $$;
COMMENT ON FUNCTION ml_ensemble_report(bigint) IS 'each member of an ensemble: its child run, its score on the test split, and the correlation of its errors with every other member''s';
CREATE FUNCTION ml_ensemble_report(project text)
RETURNS TABLE (member int, path text, algorithm text, run_id bigint, metric text,
               score float8, error_correlation float8[])
LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.ml_ensemble_report(@extschema@.ml_model_id($1))
$$;
COMMENT ON FUNCTION ml_ensemble_report(text) IS 'ml_ensemble_report of a project''s deployed model (or ''project@version'')';

CREATE FUNCTION ml_feature_importance(model_id bigint, kind text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c jsonb;
BEGIN
    SELECT pg_catalog.convert_from(a.content, 'UTF8')::jsonb INTO c
    FROM mlsql.models m JOIN mlsql.artifacts a ON a.run_id = m.run_id AND a.name = 'feature_importance'
    WHERE m.id = model_id;
    IF c IS NULL THEN
        RETURN;
    END IF;
    IF kind IS NULL OR (kind IS DISTINCT FROM c->>'method' AND NOT coalesce(c->'also' ? kind, false)) THEN
        RAISE EXCEPTION 'model % has no "%" importance', model_id, kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'This model has: ' || pg_catalog.array_to_string(ARRAY[c->>'method']
                         || ARRAY(SELECT pg_catalog.jsonb_object_keys(coalesce(c->'also', '{}'))), ', ') || '.';
    END IF;
    RETURN QUERY
    SELECT f.feature, (CASE WHEN kind = c->>'method' THEN c->'importance' ELSE c->'also'->kind END
                       ->>(f.o - 1)::int)::float8, kind
    FROM pg_catalog.jsonb_array_elements_text(c->'features') WITH ORDINALITY AS f(feature, o)
    ORDER BY 2 DESC, f.o;
END
$$;
COMMENT ON FUNCTION ml_feature_importance(bigint, text) IS 'one kind of importance of each feature: the model''s own method, or for gbdt also split_count and cover';
CREATE FUNCTION ml_feature_importance(project text, kind text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.ml_feature_importance(@extschema@.ml_model_id($1), $2)
$$;
COMMENT ON FUNCTION ml_feature_importance(text, text) IS 'one kind of importance of each feature of a project''s deployed model (or ''project@version'')';

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
