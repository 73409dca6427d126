/*
 * Model insight: per-row explanations (ml_explain_values, ml_explain),
 * feature importance, ensemble reports and plots.
 */

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

-- one C function per form: contributions w_j (x_j - E[x_j]) for linear models
-- (the bias their mean output), TreeSHAP for trees; the row's category next
-- to each of its features
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

-- importance per source column (one-hot parts summed) for every learner
CREATE FUNCTION ml_feature_importance(model_id bigint)
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
CREATE FUNCTION ml_feature_importance(project text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.ml_feature_importance(@extschema@.ml_model_id($1))
$$;
COMMENT ON FUNCTION ml_feature_importance(text) IS 'importance of each feature of a project''s deployed model (or ''project@version'')';
CREATE FUNCTION ml_feature_importance(model_id bigint, kind text)
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
COMMENT ON FUNCTION ml_feature_importance(bigint, text) IS 'one kind of importance of each feature: the model''s own method, or for gbdt also split_count and cover';
CREATE FUNCTION ml_feature_importance(project text, kind text)
RETURNS TABLE (feature text, importance float8, method text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.ml_feature_importance(@extschema@.ml_model_id($1), $2)
$$;
COMMENT ON FUNCTION ml_feature_importance(text, text) IS 'one kind of importance of each feature of a project''s deployed model (or ''project@version'')';

CREATE FUNCTION ml_ensemble_report(model_id bigint)
RETURNS TABLE (member int, path text, algorithm text, run_id bigint, metric text,
               score float8, error_correlation float8[])
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
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
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.ml_ensemble_report(@extschema@.ml_model_id($1))
$$;
COMMENT ON FUNCTION ml_ensemble_report(text) IS 'ml_ensemble_report of a project''s deployed model (or ''project@version'')';

-- plots

CREATE FUNCTION ml_plot(kind text, id bigint) RETURNS text
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
