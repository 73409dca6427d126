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
