/*
 * Views over the catalog (security_invoker: they show what the caller may
 * see).
 */

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
