-- test/sql/demo.sql: the tour of the README, run by test/demo.sh on
-- scikit-learn's breast cancer, diabetes and iris data.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION mlsql;
\i test/data/load.sql
RESET client_min_messages;

\echo
\echo '== 1. Train: logistic regression on breast cancer (569 rows, 30 features, 25% held out)'
SELECT project, version, algorithm, task, deployed,
       jsonb_pretty(metrics) AS test_metrics, jsonb_pretty(baseline) AS baseline
FROM ml_train('cancer', 'bc_train', 'target', 'logistic');

\echo '== 2. Score rows inside a query'
SELECT id, diagnosis, target, ml_predict('cancer', b) AS predicted,
       ml_predict_label('cancer', b) AS label,
       round((ml_predict_proba('cancer', b))[2]::numeric, 4) AS p_benign
FROM bc b ORDER BY id LIMIT 8;
SELECT ml_classes('cancer') AS classes,
       count(*) AS rows_scored,
       round(avg((ml_predict('cancer', b) = target)::int), 4) AS accuracy_all_rows
FROM bc b;

\echo '== 3. Evaluate a model on any data with its columns'
SELECT jsonb_pretty(ml_evaluate('cancer', 'SELECT * FROM bc WHERE id % 2 = 0')) AS even_rows;

\echo '== 4. Regression: ridge on diabetes, multinomial on iris (text labels)'
SELECT project, algorithm, task, round((metrics->>'r2')::numeric, 4) AS r2,
       round((metrics->>'rmse')::numeric, 2) AS rmse, round((baseline->>'rmse')::numeric, 2) AS baseline_rmse
FROM ml_train('diabetes', 'diabetes_train', 'target', 'linear', '{"alpha": 0.1}');
SELECT project, algorithm, round((metrics->>'accuracy')::numeric, 4) AS accuracy,
       round((metrics->>'f1')::numeric, 4) AS macro_f1
FROM ml_train('iris', 'iris_train', 'species', 'logistic');
SELECT ml_predict_label('iris', i) AS predicted, species, count(*)
FROM iris i GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== 5. A second version: deployed only if it beats the live one on the new test split (the NOTICE says why)'
SELECT project, version, deployed, round((metrics->>'accuracy')::numeric, 4) AS accuracy
FROM ml_train('cancer', 'SELECT mean_radius, mean_texture, target FROM bc', 'target', 'logistic');
SELECT project, version, previous_model_id FROM ml_deploy('cancer', 1);
\echo '   every deployment records why: metric, both scores, how the live one was taken'
SELECT m.version, d.strategy, d.metric, round(d.score::numeric, 4) AS score,
       round(d.live_score::numeric, 4) AS live_score, d.basis, d.reason
FROM mlsql.deployments d JOIN mlsql.models m ON m.id = d.model_id
JOIN mlsql.projects p ON p.id = d.project_id WHERE p.name = 'cancer' ORDER BY d.id;

\echo '== 6. The catalog'
SELECT id, name, task, owner FROM mlsql.projects ORDER BY id;
SELECT r.id AS run, p.name AS project, r.parent_run_id AS parent, r.algorithm, r.status,
       r.n_train, r.n_test, round(r.train_seconds::numeric, 4) AS train_s,
       round(r.rows_per_second::numeric) AS rows_per_s, r.params
FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id ORDER BY r.id;
SELECT m.run_id AS run, m.split, m.name, round(m.value::numeric, 4) AS value
FROM mlsql.metrics m
WHERE m.run_id = (SELECT run_id FROM mlsql.models WHERE version = 1
                  AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer'))
  AND m.step IS NULL
ORDER BY m.split, m.name;
SELECT step, round(value::numeric, 5) AS train_log_loss
FROM mlsql.metrics
WHERE name = 'log_loss' AND step IS NOT NULL
  AND run_id = (SELECT run_id FROM mlsql.models WHERE version = 1
                AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer'))
ORDER BY step;
SELECT mo.id, p.name AS project, mo.version, mo.algorithm, mo.size_bytes, left(mo.hash, 16) AS sha256
FROM mlsql.models mo JOIN mlsql.projects p ON p.id = mo.project_id ORDER BY mo.id;
SELECT d.id, p.name AS project, m.version, d.strategy, d.previous_model_id, d.deployed_by
FROM mlsql.deployments d JOIN mlsql.projects p ON p.id = d.project_id
JOIN mlsql.models m ON m.id = d.model_id ORDER BY d.id;
SELECT id, source, n_rows, fingerprint FROM mlsql.datasets ORDER BY id;

\echo '== 7. Gradient-boosted trees with early stopping, and why a row was scored so'
SELECT project, version, algorithm, deployed, round((metrics->>'accuracy')::numeric, 4) AS accuracy,
       round((metrics->>'roc_auc')::numeric, 4) AS roc_auc
FROM ml_train('cancer_gbdt', 'bc_train', 'target', 'gbdt',
              '{"n_trees": 500, "learning_rate": 0.1, "early_stopping_rounds": 20}');
SELECT name, value FROM mlsql.metrics
WHERE name IN ('best_iteration', 'n_trees') AND run_id = (SELECT run_id FROM mlsql.models
      WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer_gbdt'));
SELECT feature, round(value::numeric, 4) AS value, round(contribution::numeric, 4) AS contribution
FROM ml_explain('cancer_gbdt', (SELECT b FROM bc b WHERE id = 1))
ORDER BY abs(contribution) DESC LIMIT 6;
SELECT feature, round(importance::numeric, 4) AS gain_share
FROM ml_feature_importance('cancer_gbdt') LIMIT 5;

\echo '== 8. A stacked ensemble, and how much its members disagree'
SELECT project, version, algorithm, round((metrics->>'accuracy')::numeric, 4) AS accuracy
FROM ml_train('cancer_stack', 'bc_train', 'target', 'stacking',
              '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "forest"}, {"algorithm": "knn", "k": 15}],
                "folds": 5}');
SELECT member, path, algorithm, round(score::numeric, 4) AS test_accuracy,
       (SELECT array_agg(round(c::numeric, 2)) FROM unnest(error_correlation) c) AS error_correlation
FROM ml_ensemble_report('cancer_stack');

\echo '== 9. Hyperparameter search (TPE), then every algorithm with the same budget'
SELECT trial, params, round(score::numeric, 4) AS cv_accuracy, status, best
FROM ml_search('cancer_search', 'bc_train', 'target', 'gbdt',
               '{"learning_rate": {"log_uniform": [0.01, 0.3]}, "max_depth": {"int_uniform": [2, 6]},
                 "n_trees": [50, 100]}', method => 'bayes', trials => 12);
SELECT * FROM ml_param_importance((SELECT max(id) FROM mlsql.experiments WHERE kind = 'search'));
SELECT algorithm, round(cv_score::numeric, 4) AS cv_accuracy, round(test_score::numeric, 4) AS test_accuracy,
       version, deployed
FROM ml_compare('cancer_compare', 'bc_train', 'target', '{logistic,knn,forest,gbdt}', 6);

\echo '== 10. The aggregate engine: passes of a SQL aggregate, the rows stay where they are'
SELECT project, algorithm, round((metrics->>'accuracy')::numeric, 4) AS accuracy,
       round((metrics->>'roc_auc')::numeric, 4) AS roc_auc
FROM ml_train('cancer_agg', 'bc_train', 'target', 'logistic', '{"engine": "aggregate"}');
SELECT m.name, m.step, round(m.value::numeric, 6) AS value
FROM mlsql.metrics m JOIN mlsql.runs r ON r.id = m.run_id
WHERE r.project_id = (SELECT id FROM mlsql.projects WHERE name = 'cancer_agg') AND r.parent_run_id IS NULL
  AND m.name IN ('passes', 'log_loss') AND m.split = 'train' ORDER BY m.name, m.step;

\echo '== 11. Before trusting a model: sanity checks, then labels that look wrong'
SELECT check_name, passed, round(value::numeric, 4) AS value, detail FROM ml_sanity_check('cancer');
\echo '   a planted leak: a column that is the diagnosis in disguise'
CREATE VIEW bc_leaky AS SELECT b.*, b.target * 2 + 1 AS followup_code FROM bc_train b;
SELECT project FROM ml_train('cancer_leaky', 'bc_leaky', 'target', 'forest');
SELECT check_name, passed, detail FROM ml_sanity_check('cancer_leaky') WHERE NOT passed;
\echo '   5% of the labels flipped by a seeded hash: which rows does confident learning suspect?'
CREATE VIEW bc_noisy AS
SELECT b.*, CASE WHEN ('x' || substr(md5('flip' || b.id), 1, 8))::bit(32)::int % 20 = 0
                 THEN 1 - b.target ELSE b.target END AS noisy_target,
       ('x' || substr(md5('flip' || b.id), 1, 8))::bit(32)::int % 20 = 0 AS flipped
FROM bc b;
SELECT project FROM ml_train('cancer_noisy', 'SELECT id, noisy_target, ' ||
    (SELECT string_agg(column_name, ', ') FROM information_schema.columns
     WHERE table_name = 'bc_train' AND column_name <> 'target') || ' FROM bc_noisy', 'noisy_target', 'logistic');
SELECT i.rank, row_key AS id, given, suggested, round(self_confidence::numeric, 4) AS self_confidence,
       round(margin::numeric, 4) AS margin, n.flipped
FROM ml_label_issues('cancer_noisy', key => 'id')
     WITH ORDINALITY AS i(row_key, given, suggested, self_confidence, margin, rank)
JOIN bc_noisy n ON n.id::text = i.row_key ORDER BY i.rank LIMIT 8;
SELECT count(*) AS returned, count(*) FILTER (WHERE n.flipped) AS truly_flipped,
       (SELECT count(*) FROM bc_noisy WHERE flipped) AS flipped_in_all
FROM ml_label_issues('cancer_noisy', key => 'id') i JOIN bc_noisy n ON n.id::text = i.row_key;
