-- ensembles: bagging, voting and stacking against scikit-learn (fixtures from
-- test/ref/make_fixtures.py), the majority-vote arithmetic, child runs and
-- ml_ensemble_report, determinism, scoring and importance, bad configurations
\i test/regress/datasets.sql

CREATE TEMP TABLE ens_ref (model text, dataset text, metric text, score float8, algorithm text, params jsonb);
\copy ens_ref FROM 'test/fixtures/ensembles_sklearn.csv' WITH (FORMAT csv, HEADER true)

-- held-out scores on the same test rows (id % 4 = 0) as scikit-learn's
-- BaggingClassifier / VotingClassifier / StackingClassifier (and regressors)
-- with the same members and folds
CREATE TEMP TABLE ens_scores AS
SELECT r.model, r.dataset, r.metric, r.score AS sklearn, (t.metrics->>r.metric)::float8 AS mlsql, t.model_id
FROM ens_ref r,
     LATERAL ml_train('ens_' || r.model || '_' || r.dataset, replace(r.dataset, 'breast_cancer', 'bc') || '_split',
                      CASE r.dataset WHEN 'wine' THEN 'cultivar' ELSE 'target' END,
                      r.algorithm, '{"split": "column", "split_column": "part"}'::jsonb || r.params,
                      deploy => 'never') t;
-- within 0.02 of scikit-learn (fully grown trees split ties differently, so
-- the single tree is only listed)
SELECT model, dataset, metric, round(mlsql::numeric, 3) AS mlsql, round(sklearn::numeric, 3) AS sklearn,
       CASE WHEN model = 'tree' THEN NULL ELSE abs(mlsql - sklearn) <= 0.02 END AS within_002
FROM ens_scores ORDER BY dataset, model;
-- bagged trees beat a single tree on every dataset
SELECT b.dataset, b.mlsql > t.mlsql AS bagging_beats_tree
FROM ens_scores b JOIN ens_scores t ON t.dataset = b.dataset AND t.model = 'tree'
WHERE b.model = 'bagging' ORDER BY 1;
-- soft voting and stacking are at least as good as their best member (each
-- member's test score from ml_ensemble_report) on at least 3 of the 4
-- datasets here (Fashion-MNIST is the fifth, in test/integration/fashion.sh)
SELECT s.model, count(*) FILTER (WHERE s.mlsql >= b.best - 1e-12) AS datasets_at_least_best_member
FROM ens_scores s,
     LATERAL (SELECT max(score) AS best FROM ml_ensemble_report(s.model_id)) b
WHERE s.model IN ('voting', 'stacking')
GROUP BY s.model ORDER BY 1;

-- every member is a child run with its own parameters and test metrics;
-- stacking members carry their out-of-fold (validation) scores, bagging
-- members their out-of-bag scores, and the bagging run its own
SELECT r.algorithm, count(*) AS members,
       count(*) FILTER (WHERE c.params ? 'k' OR r.algorithm <> 'knn') = count(*) AS params_kept,
       bool_and(EXISTS (SELECT 1 FROM mlsql.metrics m WHERE m.run_id = c.id AND m.split = 'test')) AS test_metrics,
       bool_and(EXISTS (SELECT 1 FROM mlsql.metrics m WHERE m.run_id = c.id AND m.split = 'validation')) AS validation_metrics
FROM ens_scores s
JOIN mlsql.models mo ON mo.id = s.model_id
JOIN mlsql.runs r ON r.id = mo.run_id
JOIN mlsql.runs c ON c.parent_run_id = r.id AND c.algorithm <> 'baseline'
WHERE s.dataset = 'wine' AND s.model <> 'tree'
GROUP BY r.algorithm ORDER BY 1;
SELECT m.name, m.value BETWEEN 0.85 AND 1 AS plausible
FROM ens_scores s JOIN mlsql.models mo ON mo.id = s.model_id JOIN mlsql.metrics m ON m.run_id = mo.run_id
WHERE s.model = 'bagging' AND s.dataset = 'wine' AND m.split = 'validation';
SELECT member, path, algorithm, metric, round(score::numeric, 3) AS score,
       error_correlation[member] AS self, cardinality(error_correlation) AS n
FROM ml_ensemble_report('ens_stacking_wine@1') ORDER BY member;

-- the classic arithmetic: three members each right with probability 0.7,
-- with independent errors, vote right with probability
-- 0.7^3 + 3 * 0.7^2 * 0.3 = 0.784.  Each feature fN equals the label with
-- probability 0.7, independently; each member is a stump on one feature.
SELECT setseed(0.25);
CREATE TABLE vote3 AS
SELECT i, y, CASE WHEN random() < 0.7 THEN y ELSE 1 - y END AS f1,
       CASE WHEN random() < 0.7 THEN y ELSE 1 - y END AS f2,
       CASE WHEN random() < 0.7 THEN y ELSE 1 - y END AS f3,
       CASE WHEN i <= 6000 THEN 'train' ELSE 'test' END AS part
FROM (SELECT i, (random() < 0.5)::int AS y FROM generate_series(1, 36000) i) s;
SELECT metrics->>'split' AS split, abs((metrics->>'accuracy')::float8 - 0.784) < 3 * sqrt(0.784 * 0.216 / 30000) AS majority_is_0784
FROM ml_train('vote3', 'vote3', 'y', 'voting',
              '{"estimators": [{"algorithm": "tree", "max_depth": 1, "features": ["f1"]},
                               {"algorithm": "tree", "max_depth": 1, "features": ["f2"]},
                               {"algorithm": "tree", "max_depth": 1, "features": ["f3"]}],
                "split": "column", "split_column": "part"}',
              features => '{f1,f2,f3}', task => 'classification');
-- each member is right about 70% of the time, and their errors are uncorrelated
SELECT member, abs(score - 0.7) < 3 * sqrt(0.21 / 30000) AS member_07,
       (SELECT bool_and(abs(c) < 0.03) FROM unnest(error_correlation) WITH ORDINALITY AS e(c, o) WHERE o <> member) AS uncorrelated
FROM ml_ensemble_report('vote3') ORDER BY member;

-- same data and seed: byte-identical ensembles, whatever the thread count
SET mlsql.threads = 1;
SELECT model_id AS m1 FROM ml_train('det', 'wine_train', 'cultivar', 'stacking',
    '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "bagging", "n_estimators": 4}], "folds": 3}', deploy => 'never') \gset
SET mlsql.threads = 2;
SELECT model_id AS m2 FROM ml_train('det', 'wine_train', 'cultivar', 'stacking',
    '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "bagging", "n_estimators": 4}], "folds": 3}', deploy => 'never') \gset
RESET mlsql.threads;
SELECT a.model = b.model AS same_bytes, a.hash = b.hash AS same_hash
FROM mlsql.models a, mlsql.models b WHERE a.id = :m1 AND b.id = :m2;

-- scoring and insight work on ensembles: labels, probabilities that sum to
-- 1, hard votes that are vote shares, importance from the members
SELECT count(*) AS rows, bool_and(abs(p[1] + p[2] + p[3] - 1) < 1e-9) AS proba_sums,
       bool_and(l = (SELECT (ml_classes('ens_voting_wine@1'))[i] FROM generate_series(1, 3) i ORDER BY p[i] DESC LIMIT 1)) AS label_is_argmax
FROM (SELECT ml_predict_proba('ens_voting_wine@1', w) AS p, ml_predict_label('ens_voting_wine@1', w) AS l FROM wine_train w) s;
SELECT ml_train('hard', 'bc_train', 'target', 'voting',
    '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "tree", "max_depth": 3}, {"algorithm": "knn"}]}') IS NOT NULL AS trained;
SELECT bool_and(p[1] * 3 IN (0, 1, 2, 3)) AS hard_votes_are_shares FROM (SELECT ml_predict_proba('hard', b) AS p FROM bc_train b) s;
SELECT count(*) AS features, round(sum(importance)::numeric, 6) AS total, min(method) AS method
FROM ml_feature_importance('ens_bagging_diabetes@1');
-- a regression vote is the mean of its members: linear and knn trained
-- alone give the same predictions as inside the ensemble
SELECT count(*) FROM ml_train('vmean', 'diabetes_train', 'target', 'voting',
    '{"estimators": [{"algorithm": "linear"}, {"algorithm": "knn", "k": 15}]}') UNION ALL
SELECT count(*) FROM ml_train('vlin', 'diabetes_train', 'target', 'linear') UNION ALL
SELECT count(*) FROM ml_train('vknn', 'diabetes_train', 'target', 'knn', '{"k": 15}');
SELECT max(abs(ml_predict('vmean', d) - (ml_predict('vlin', d) + ml_predict('vknn', d)) / 2)) < 1e-9 AS vote_is_mean
FROM diabetes_train d;
-- members of different views: a knn on two columns, a tree on the rest
SELECT (metrics->>'accuracy')::float8 > 0.85 AS good
FROM ml_train('views', 'bc_train', 'target', 'voting',
    '{"estimators": [{"algorithm": "knn", "features": ["worst_radius", "worst_concave_points"]},
                     {"algorithm": "logistic", "features": ["mean_texture", "worst_area", "worst_smoothness"]}],
      "voting": "soft"}');
SELECT info->'model'->'members' AS members FROM ml_model_info('views') info;

-- bad configurations: clear errors naming the member, and nothing written
SELECT count(*) AS runs_before FROM mlsql.runs \gset
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": []}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "boosted"}]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'stacking', '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "kmeans"}]}');
SELECT ml_train('bad_ens', 'diabetes_train', 'target', 'voting', '{"estimators": [{"algorithm": "naive_bayes"}]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'stacking', '{"estimators": [{"algorithm": "logistic"}], "folds": 1}');
SELECT ml_train('bad_ens', 'SELECT * FROM bc_train LIMIT 20', 'target', 'stacking', '{"estimators": [{"algorithm": "logistic"}], "folds": 50}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'bagging',
    '{"base": {"algorithm": "bagging", "base": {"algorithm": "voting", "estimators": [{"algorithm": "bagging"}]}}}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": [{"algorithm": "knn", "k": 0}]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": [{"algorithm": "knn", "features": ["nope"]}]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": [{"max_depth": 3}]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": [{"algorithm": "tree"}], "weights": [1, 2]}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'voting', '{"estimators": {"algorithm": "tree"}}');
SELECT ml_train('bad_ens', 'bc_train', 'target', 'stacking', '{"estimators": [{"algorithm": "tree"}], "final": {"algorithm": "knn", "features": ["mean_radius"]}}');
SELECT ml_train('bad_ens', 'diabetes_train', 'target', 'stacking', '{"estimators": [{"algorithm": "tree"}], "stack_method": "proba"}');
SELECT count(*) - :runs_before AS runs_written FROM mlsql.runs;
-- (the model id in the message depends on earlier suites)
DO $$ BEGIN PERFORM * FROM ml_ensemble_report('ens_tree_wine@1');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, 'model \d+', 'model N'); END $$;
