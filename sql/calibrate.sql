-- calibrate: the brier and ece metrics, ml_calibration_curve, ml_calibrate
-- (out-of-fold calibration of the deployed classifier, recorded and gated as
-- a new version) and ml_plot('calibration').  Its own fixtures.
\i test/regress/datasets.sql
CREATE FUNCTION pg_temp.catalog_counts() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(n::text, ',') FROM (
        SELECT count(*) AS n FROM mlsql.projects UNION ALL SELECT count(*) FROM mlsql.experiments
        UNION ALL SELECT count(*) FROM mlsql.runs UNION ALL SELECT count(*) FROM mlsql.metrics
        UNION ALL SELECT count(*) FROM mlsql.models UNION ALL SELECT count(*) FROM mlsql.deployments
        UNION ALL SELECT count(*) FROM mlsql.artifacts UNION ALL SELECT count(*) FROM mlsql.datasets) c
$$;

-- naive Bayes on the breast-cancer measurements: accurate but over-confident
SET client_min_messages = warning;
SELECT version, algorithm, deployed FROM ml_train('cal_nb', 'bc_train', 'target', 'naive_bayes');
RESET client_min_messages;

-- brier and ece are classification metrics of every run, lower is better
SELECT m.split, array_agg(m.name ORDER BY m.name) FILTER (WHERE m.name IN ('brier', 'ece')) AS calibration
FROM mlsql.metrics m JOIN mlsql.runs r ON r.id = m.run_id JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'cal_nb' AND r.algorithm = 'naive_bayes' AND m.step IS NULL GROUP BY 1 ORDER BY 1;
-- on the whole table: brier is the mean squared error of the second class's
-- probability, as scikit-learn 1.2's brier_score_loss gives on these
-- probabilities (0.05745383286123388), and ece its calibration_curve's bins
-- weighted by their rows (0.06052003618128909); squares below 1e-200 count 0
-- (float8 multiplication refuses to underflow)
SELECT abs((e->>'brier')::float8 - 0.05745383286123388) < 1e-12 AS brier_is_sklearns,
       abs((e->>'ece')::float8 - 0.06052003618128909) < 1e-12 AS ece_is_sklearns,
       abs((e->>'brier')::float8 - (SELECT avg(CASE WHEN abs(d) < 1e-100 THEN 0 ELSE d * d END) FROM (SELECT (ml_predict_proba('cal_nb', b))[2] - b.target AS d FROM bc_train b) q)) < 1e-12
           AS brier_is_mean_squared_error
FROM ml_evaluate('cal_nb', 'bc_train') e;

-- the aggregate engine sums the same brier and ece as the memory engine
-- (test_size 0: its training metrics are on every row, as ml_evaluate's)
SET client_min_messages = warning;
CREATE TEMP TABLE agg AS
SELECT * FROM ml_train('cal_agg', 'bc_train', 'target', 'logistic', '{"engine": "aggregate"}', test_size => 0)
UNION ALL
SELECT * FROM ml_train('cal_agg3', 'iris', 'species', 'naive_bayes', '{"engine": "aggregate"}', test_size => 0);
SELECT t.project, abs((t.metrics->>'brier')::float8 - (e->>'brier')::float8) < 1e-12 AS same_brier,
       abs((t.metrics->>'ece')::float8 - (e->>'ece')::float8) < 1e-12 AS same_ece
FROM agg t, LATERAL ml_evaluate(t.project, CASE t.project WHEN 'cal_agg' THEN 'bc_train' ELSE 'iris' END) e
ORDER BY 1;
RESET client_min_messages;

-- the reliability curve: each bin's rows recomputed in SQL (probability of
-- class 1 in (bin - 1) / 10 .. bin / 10, the first bin from 0), mean_predicted
-- inside its bin, every row counted once
CREATE TEMP TABLE curve AS SELECT * FROM ml_calibration_curve('cal_nb', 'bc_train');
WITH rows AS (SELECT (ml_predict_proba('cal_nb', b))[2] AS p, b.target AS y FROM bc_train b),
     mine AS (SELECT greatest(1, ceil(p * 10))::int AS bin, avg(p) AS mp, avg(y) AS ob, count(*) AS n
              FROM rows GROUP BY 1)
SELECT count(*) AS bins, sum(c.n) AS rows,
       bool_and(c.mean_predicted > (c.bin - 1) / 10.0 - 1e-12 AND c.mean_predicted <= c.bin / 10.0 + 1e-12) AS inside_bins,
       bool_and(m.n = c.n AND abs(m.mp - c.mean_predicted) < 1e-12 AND abs(m.ob - c.observed) < 1e-12) AS same_as_sql
FROM curve c JOIN mine m USING (bin);
-- ece is the curve's gap weighted by the rows
SELECT abs(sum(n * abs(mean_predicted - observed)) / sum(n)
           - (ml_evaluate('cal_nb', 'bc_train')->>'ece')::float8) < 1e-12 AS ece_from_curve
FROM curve;
-- other bins, another version
SELECT count(*) AS bins, sum(n) AS rows, min(bin) >= 1 AND max(bin) <= 4 AS in_range
FROM ml_calibration_curve('cal_nb@1', 'bc_train', 4);

-- calibrate (isotonic): a new version, the calibrated learner around the deployed model
SET client_min_messages = warning;
CREATE TEMP TABLE iso AS SELECT * FROM ml_calibrate('cal_nb');
RESET client_min_messages;
SELECT project, version, algorithm, task, deployed FROM iso;
-- on the test split it is better calibrated than the model it wraps, nearly as accurate
SELECT (i.metrics->>'brier')::float8 < (t.metrics->>'brier')::float8 AS brier_lower,
       (i.metrics->>'ece')::float8 < (t.metrics->>'ece')::float8 AS ece_lower,
       (i.metrics->>'log_loss')::float8 < (t.metrics->>'log_loss')::float8 AS log_loss_lower,
       abs((i.metrics->>'accuracy')::float8 - (t.metrics->>'accuracy')::float8) < 0.02 AS accuracy_within_2pct
FROM iso i, (SELECT jsonb_object_agg(m.name, m.value) AS metrics FROM mlsql.metrics m
             JOIN mlsql.models mo ON mo.run_id = m.run_id
             JOIN mlsql.projects p ON p.id = mo.project_id
             WHERE p.name = 'cal_nb' AND mo.version = 1 AND m.split = 'test' AND m.step IS NULL) t;
-- and on the out-of-fold predictions of the training split (validation), before and after
SELECT max(value) FILTER (WHERE name = 'brier_after') < max(value) FILTER (WHERE name = 'brier_before') AS oof_brier_lower,
       max(value) FILTER (WHERE name = 'ece_after') < max(value) FILTER (WHERE name = 'ece_before') AS oof_ece_lower,
       count(*) FILTER (WHERE split = 'validation' AND step IS NULL) AS recorded
FROM mlsql.metrics WHERE run_id = (SELECT run_id FROM iso) AND name ~ '_(before|after)$';
-- the same configuration, seed and split as the deployed model; the base is that model
SELECT c.config->>'algorithm' AS algorithm, c.config->'params'->'base' AS base, c.config->'params'->>'method' AS method,
       (c.config->>'seed') = (d.config->>'seed') AND (c.config->>'test_size') = (d.config->>'test_size')
           AND (c.config->>'source') = (d.config->>'source') AS same_training,
       ml_model_info('cal_nb@2')->'model'->'base'->'model' = ml_model_info('cal_nb@1')->'model' AS same_base
FROM mlsql.experiments c JOIN mlsql.runs rc ON rc.experiment_id = c.id AND rc.id = (SELECT run_id FROM iso),
     mlsql.experiments d JOIN mlsql.runs rd ON rd.experiment_id = d.id
     JOIN mlsql.models md ON md.run_id = rd.id AND md.version = 1
     JOIN mlsql.projects p ON p.id = md.project_id AND p.name = 'cal_nb';
-- the bytes read back: probabilities of every row sum to 1, labels follow them
SELECT count(*) AS rows, bool_and(abs(pr[1] + pr[2] - 1) < 1e-12) AS sums_to_one,
       bool_and(ml_predict('cal_nb@2', b) = CASE WHEN pr[2] > pr[1] THEN 1 ELSE 0 END) AS labels_agree
FROM bc_train b, LATERAL (SELECT ml_predict_proba('cal_nb@2', b) AS pr) q;

-- the gate: on accuracy the calibrated version does not beat the live one;
-- ranked by brier, the next calibration (sigmoid) does
SELECT version, algorithm, deployed FROM mlsql.leaderboard WHERE project = 'cal_nb' ORDER BY version;
SELECT ml_set_metric('cal_nb', 'brier');
SET client_min_messages = warning;
SELECT version, algorithm, deployed,
       (metrics->>'brier')::float8 < (SELECT m.value FROM mlsql.metrics m JOIN mlsql.models mo ON mo.run_id = m.run_id
                                      JOIN mlsql.projects p ON p.id = mo.project_id
                                      WHERE p.name = 'cal_nb' AND mo.version = 1 AND m.split = 'test'
                                        AND m.name = 'brier' AND m.step IS NULL) AS brier_below_base
FROM ml_calibrate('cal_nb', 'sigmoid');
-- recalibrating the deployed calibrated model calibrates its base again
SELECT version, algorithm, deployed FROM ml_calibrate('cal_nb', 'isotonic');
RESET client_min_messages;
SELECT e.config->'params'->'base' AS base, e.config->'params'->>'method' AS method
FROM mlsql.models mo JOIN mlsql.runs r ON r.id = mo.run_id JOIN mlsql.experiments e ON e.id = r.experiment_id
JOIN mlsql.projects p ON p.id = mo.project_id WHERE p.name = 'cal_nb' AND mo.version = 4;
SELECT version, algorithm FROM mlsql.deployed_models WHERE project = 'cal_nb';

-- multiclass: iris, a boosted model; one calibrator per class, top-label curve
SET client_min_messages = warning;
SELECT version, algorithm FROM ml_train('cal_iris', 'iris', 'species', 'gbdt', '{"n_trees": 60, "max_depth": 6}');
SELECT version, algorithm, task FROM ml_calibrate('cal_iris', 'sigmoid');
RESET client_min_messages;
SELECT ml_model_info('cal_iris@2')->'model'->>'calibrators' AS calibrators,
       bool_and(abs(pr[1] + pr[2] + pr[3] - 1) < 1e-12) AS sums_to_one
FROM iris i, LATERAL (SELECT ml_predict_proba('cal_iris@2', i) AS pr) q;
WITH top AS (SELECT greatest(pr[1], pr[2], pr[3]) AS p,
                    (ml_predict_label('cal_iris', i) = i.species)::int AS hit
             FROM iris i, LATERAL (SELECT ml_predict_proba('cal_iris', i) AS pr) q)
SELECT sum(c.n) AS rows, bool_and(abs(c.observed - (SELECT avg(hit) FROM top WHERE greatest(1, ceil(p * 10))::int = c.bin)) < 1e-12) AS observed_is_accuracy
FROM ml_calibration_curve('cal_iris', 'iris') c;

-- the plot: a reliability diagram of a run's evaluation split, one point per bin
SELECT (length(svg) - length(replace(svg, '<circle', ''))) / length('<circle') AS points,
       svg LIKE '<svg%</svg>' AS whole, svg LIKE '%class="diagonal"%' AS diagonal
FROM (SELECT ml_plot('calibration', (SELECT run_id FROM iso)) AS svg) s;
SELECT jsonb_array_length(convert_from(a.content, 'UTF8')::jsonb->'points') AS points
FROM mlsql.artifacts a WHERE a.run_id = (SELECT run_id FROM iso) AND a.name = 'calibration_curve';

-- errors, and an error writes nothing
SET client_min_messages = warning;
SELECT count(*) FROM ml_train('cal_reg', 'diabetes', 'target', 'linear');
SELECT count(*) FROM ml_train('cal_never', 'bc_train', 'target', 'logistic', deploy => 'never');
CREATE TABLE cal_src AS SELECT * FROM bc_train;
SELECT count(*) FROM ml_train('cal_changed', 'cal_src', 'target', 'naive_bayes');
RESET client_min_messages;
DELETE FROM cal_src WHERE mean_radius > 20;
CREATE TEMP TABLE counts AS SELECT pg_temp.catalog_counts() AS before;
SELECT * FROM ml_calibrate(NULL);
SELECT * FROM ml_calibrate('cal_nb', NULL);
SELECT * FROM ml_calibrate('cal_nb', 'platt');
SELECT * FROM ml_calibrate('no_such_project');
SELECT * FROM ml_calibrate('cal_reg');
SELECT * FROM ml_calibrate('cal_never');
SELECT * FROM ml_calibrate('cal_changed');
SELECT * FROM ml_calibration_curve('cal_nb', 'bc_train', 1);
SELECT * FROM ml_calibration_curve('cal_nb', 'bc_train', 1001);
SELECT * FROM ml_calibration_curve('cal_nb', NULL);
SELECT * FROM ml_calibration_curve('cal_reg', 'diabetes');
SELECT * FROM ml_calibration_curve('cal_nb', 'SELECT 1 AS target');
SELECT * FROM ml_calibration_curve('cal_nb', 'SELECT b.*, 7 AS target FROM bc b');
-- (run ids depend on what ran before: the message with its number masked)
DO $$
BEGIN
    PERFORM ml_plot('calibration', (SELECT max(r.id) FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
                                    WHERE p.name = 'cal_reg'));
EXCEPTION WHEN undefined_object THEN
    RAISE NOTICE '%', regexp_replace(SQLERRM, '[0-9]+', 'N');
END $$;
SET client_min_messages = warning;
SELECT count(*) FROM ml_train('cal_bad', 'bc_train', 'target', 'calibrated', '{"base": {"algorithm": "kmeans"}}');
SELECT count(*) FROM ml_train('cal_bad', 'bc_train', 'target', 'calibrated', '{"base": {"algorithm": "calibrated"}}');
SELECT count(*) FROM ml_train('cal_bad', 'bc_train', 'target', 'calibrated', '{"base": {"algorithm": "naive_bayes"}, "folds": 1}');
RESET client_min_messages;
SELECT before = pg_temp.catalog_counts() AS nothing_written FROM counts;
