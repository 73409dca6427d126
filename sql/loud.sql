-- loud: no silent wrong answers.  What a user names decides; what mlsql
-- infers it says; what does not fit the project is refused.
CREATE TABLE loud_people AS
SELECT g AS id,
       (g % 15) + 1 AS tier,                                   -- an integer with 15 values
       (g % 3 = 0) AS churned,
       (g % 7) * 1.5 + (g % 3) AS spend,
       CASE g % 4 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' ELSE 'west' END AS region,
       (g % 11) * 0.37 AS "Sale Price"
FROM generate_series(1, 300) g;

-- 1. the algorithm a user names decides the task
SELECT task, algorithm FROM ml_train('loud_lin', 'SELECT tier, spend, region FROM loud_people', 'tier', 'linear', deploy => 'always');
SELECT task, algorithm FROM ml_train('loud_lasso', 'SELECT tier, spend FROM loud_people', 'tier', 'lasso');
SELECT task, algorithm FROM ml_train('loud_nb', 'SELECT tier, spend FROM loud_people', 'tier', 'naive_bayes');
-- algorithms that do both infer, and say so (integer targets)
SELECT task, algorithm FROM ml_train('loud_tree', 'SELECT tier, spend FROM loud_people', 'tier', 'tree');
-- no algorithm: linear for regression, logistic for classification
SELECT task, algorithm FROM ml_train('loud_auto_c', 'SELECT churned, spend FROM loud_people', 'churned');
SELECT task, algorithm FROM ml_train('loud_auto_r', 'SELECT spend, region FROM loud_people', 'spend');
-- a named algorithm and a task that disagree, and the impossible
SELECT ml_train('loud_x', 'SELECT tier, spend FROM loud_people', 'tier', 'linear', task => 'classification');
SELECT ml_train('loud_x', 'SELECT tier, spend FROM loud_people', 'tier', 'logistic', task => 'regression');
SELECT ml_train('loud_x', 'SELECT region, spend FROM loud_people', 'region', 'linear');
SELECT ml_train('loud_x', 'SELECT spend, tier FROM loud_people', 'spend', 'logistic');
SELECT count(*) AS loud_x_projects FROM mlsql.projects WHERE name = 'loud_x';
-- ensemble members and ml_fit follow the same rule
SELECT ml_train('loud_x', 'SELECT churned, spend FROM loud_people', 'churned', 'voting',
                '{"estimators": [{"algorithm": "linear"}, {"algorithm": "tree"}]}');
SELECT ml_fit('linear', region, ARRAY[spend]) FROM loud_people;
SELECT ml_fit('linear', tier, ARRAY[spend]) IS NOT NULL AS linear_regresses_integers FROM loud_people;
-- an existing project's task is used, not inferred again (no NOTICE)
SELECT task FROM ml_train('loud_tree', 'SELECT tier, spend FROM loud_people', 'tier', 'forest', '{"n_estimators": 5}');

-- 2. a project keeps its target
SELECT task FROM ml_train('loud_churn', 'SELECT churned, tier, spend FROM loud_people', 'churned', 'tree');
SELECT ml_train('loud_churn', 'SELECT churned, tier, spend FROM loud_people', 'tier', 'tree');
SELECT ml_train('loud_churn', 'SELECT (churned::int)::text AS churned, spend FROM loud_people', 'churned', 'tree');
SELECT count(*) AS churn_versions FROM mlsql.models m JOIN mlsql.projects p ON p.id = m.project_id WHERE p.name = 'loud_churn';
SELECT target, target_type FROM mlsql.projects WHERE name = 'loud_churn';
-- changing it is explicit
SELECT task FROM ml_train('loud_churn', 'SELECT churned, tier, spend FROM loud_people', 'tier', 'tree',
                          '{"retarget": true}', task => 'classification');
SELECT target, target_type FROM mlsql.projects WHERE name = 'loud_churn';
SELECT ml_train('loud_churn', 'SELECT churned, tier, spend FROM loud_people', 'churned', 'tree', '{"retarget": "yes"}');

-- 3. identifiers: targets and features take SQL quoting; unknown names are explained
SELECT task FROM ml_train('loud_quoted', 'loud_people', '"Sale Price"', 'linear', features => ARRAY['spend', 'REGION']);
SELECT features FROM (SELECT config->'features' AS features, config->>'target' AS target FROM mlsql.experiments e
                      JOIN mlsql.projects p ON p.id = e.project_id WHERE p.name = 'loud_quoted') c;
-- an unquoted name that is exactly a column's is that column
SELECT task FROM ml_train('loud_quoted', 'loud_people', 'Sale Price', 'linear', features => ARRAY['spend', 'region'], deploy => 'never');
SELECT ml_train('loud_x', 'loud_people', 'spnd', 'linear');
SELECT ml_train('loud_x', 'loud_people', 'spend', 'linear', features => ARRAY['regoin']);
SELECT ml_train('loud_x', 'loud_people', '"bad"name"', 'linear');
-- project names: surrounding space is not part of the name; case is, but a
-- new name that differs from a visible project only in case is refused
SELECT version FROM ml_train('  loud_lin  ', 'SELECT tier, spend, region FROM loud_people', 'tier', 'linear', deploy => 'never');
SELECT count(*) AS padded_projects FROM mlsql.projects WHERE name <> btrim(name);
SELECT ml_train('Loud_Lin', 'SELECT tier, spend, region FROM loud_people', 'tier', 'linear');
SELECT round(ml_predict(' loud_lin ', (SELECT p FROM loud_people p LIMIT 1))::numeric, 3) IS NOT NULL AS padded_ref_scores;
SELECT ml_predict('loud_lni', ARRAY[1.0]);

-- 4. params: unknown keys list the general ones; lists as JSON arrays
SELECT ml_train('loud_x', 'loud_people', 'spend', 'linear', '{"alpah": 1}');
SELECT ml_train('loud_x', 'loud_people', 'spend', 'mlp', '{"epochs": "many"}');
SELECT count(*) AS loud_x_projects FROM mlsql.projects WHERE name = 'loud_x';
SELECT algorithm FROM ml_train('loud_mlp', 'SELECT spend, tier FROM loud_people', 'spend', 'mlp',
                               '{"hidden_layer_sizes": [8, 4], "epochs": 20}');
SELECT r.params->>'hidden_layer_sizes' AS layers FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
WHERE p.name = 'loud_mlp' AND r.parent_run_id IS NULL;
SELECT algorithm FROM ml_train('loud_mlp', 'SELECT spend, tier FROM loud_people', 'spend', 'mlp',
                               '{"hidden_layer_sizes": 6, "epochs": 20}', deploy => 'never');
SELECT ml_train('loud_mlp', 'SELECT spend, tier FROM loud_people', 'spend', 'mlp', '{"hidden_layer_sizes": [8, {"x": 1}]}');
SELECT ml_fit('mlp', spend, ARRAY[tier::float8], '{"hidden_layer_sizes": [4], "epochs": 5}') IS NOT NULL AS fit_takes_lists
FROM loud_people;
SELECT count(*) AS trials FROM ml_search('loud_mlp', 'SELECT spend, tier FROM loud_people', 'spend', 'mlp',
                                         '{"hidden_layer_sizes": [[4], [8, 4]]}', method => 'grid', folds => 2,
                                         params => '{"epochs": 10}', deploy => 'never');

-- 5. column types at scoring: what converts exactly is read, the rest refused
CREATE DOMAIN loud_money AS numeric CHECK (VALUE >= 0);
CREATE TYPE loud_plan AS ENUM ('basic', 'pro', 'team');
CREATE TABLE loud_accounts AS
SELECT g AS id,
       timestamptz '2024-01-01 00:00:00+00' + (g * 37 % 700) * interval '1 day' AS signup_at,
       (g % 50)::bigint AS visits,
       (g % 13 * 7.5)::numeric::loud_money AS paid,
       (ARRAY['basic', 'pro', 'team'])[1 + g % 3]::loud_plan AS plan,
       (ARRAY['web', 'app'])[1 + g % 2]::text AS channel,
       (g * 37 % 700 > 350) <> (g % 5 = 0) AS churned
FROM generate_series(1, 600) g;
SELECT task FROM ml_train('loud_acc', 'SELECT signup_at, visits, paid, plan, channel, churned FROM loud_accounts',
                          'churned', 'tree', '{"max_depth": 4}');
SELECT (e->>'kind') AS kind, e->>'type' AS sql_type FROM mlsql.datasets d,
       jsonb_array_elements(d.columns) e
WHERE d.id = (SELECT r.dataset_id FROM mlsql.runs r JOIN mlsql.projects p ON p.id = r.project_id
              WHERE p.name = 'loud_acc' AND r.parent_run_id IS NULL) AND e->>'role' = 'feature'
ORDER BY e->>'name';
-- the same meaning in other types: int4 for int8, a numeric for the domain,
-- varchar for text, text for the enum, a timestamp without time zone, a date for the timestamp
CREATE VIEW loud_accounts_retyped AS
SELECT id, signup_at::timestamp AS signup_at, visits::int AS visits, paid::numeric::float8 AS paid,
       plan::text AS plan, channel::varchar(10) AS channel, churned FROM loud_accounts;
SELECT count(*) FILTER (WHERE ml_predict_label('loud_acc', a) = ml_predict_label('loud_acc', r)) AS same_labels, count(*)
FROM loud_accounts a JOIN loud_accounts_retyped r USING (id);
-- a date where a timestamp was learned is its midnight, not a count of days
CREATE VIEW loud_accounts_dated AS
SELECT id, signup_at::date AS signup_at, visits, paid, plan, channel, churned FROM loud_accounts;
SELECT count(*) FILTER (WHERE ml_predict_label('loud_acc', a) = ml_predict_label('loud_acc', d)) AS same_labels, count(*)
FROM loud_accounts a JOIN loud_accounts_dated d USING (id);
SELECT (ml_evaluate('loud_acc', 'loud_accounts_dated')->>'accuracy')::float8
     = (ml_evaluate('loud_acc', 'loud_accounts')->>'accuracy')::float8 AS evaluate_reads_dates;
-- what would mean something else is refused, naming the column, both types and the cast
SELECT ml_predict('loud_acc', r) FROM (SELECT extract(epoch FROM signup_at) AS signup_at, visits, paid, plan, channel
                                       FROM loud_accounts LIMIT 1) r;
SELECT ml_predict('loud_acc', r) FROM (SELECT signup_at, visits, paid, 2 AS plan, channel FROM loud_accounts LIMIT 1) r;
SELECT ml_predict('loud_acc', r) FROM (SELECT signup_at, visits::text AS visits, paid, plan, channel FROM loud_accounts LIMIT 1) r;
SELECT ml_predict('loud_acc', r) FROM (SELECT signup_at, (visits > 3) AS visits, paid, plan, channel FROM loud_accounts LIMIT 1) r;
SELECT * FROM ml_evaluate('loud_acc', 'SELECT signup_at, visits, paid, 1 AS plan, channel, churned FROM loud_accounts');
-- the float8[] form: the raw columns of a model of numbers, refused for others
SELECT ml_predict('loud_acc', ARRAY[1, 2, 3, 4, 5]::float8[]);
SELECT task FROM ml_train('loud_num', 'SELECT visits, paid, churned FROM loud_accounts', 'churned', 'logistic', deploy => 'always');
SELECT ml_predict('loud_num', ARRAY[1, 2, 3]::float8[]);
SELECT count(*) FILTER (WHERE ml_predict_proba('loud_num', a) = ml_predict_proba('loud_num', ARRAY[a.visits, a.paid]::float8[]))
       AS array_equals_row, count(*)
FROM loud_accounts a;
SELECT ml_predict_proba('loud_num', ARRAY[NULL, 10]::float8[]) = ml_predict_proba('loud_num', r) AS null_is_imputed
FROM (SELECT NULL::bigint AS visits, 10::numeric AS paid) r;
-- a ROW(...) without names says so
SELECT ml_predict('loud_num', ROW(1, 2));
-- ml_save names an ml_fit model's columns, so rows score by name
SELECT version FROM ml_save('loud_fit', (SELECT ml_fit('linear', paid::float8, ARRAY[visits::float8, id::float8]) FROM loud_accounts),
                            features => ARRAY['visits', 'id']);
SELECT count(*) FILTER (WHERE ml_predict('loud_fit', a) = ml_predict('loud_fit', ARRAY[a.visits, a.id]::float8[])) AS by_name
FROM loud_accounts a;
SELECT * FROM ml_save('loud_fit', (SELECT ml_fit('linear', paid::float8, ARRAY[visits::float8]) FROM loud_accounts),
                      features => ARRAY['visits', 'id']);
SELECT * FROM ml_save('loud_fit', (SELECT ml_fit('linear', paid::float8, ARRAY[visits::float8, id::float8]) FROM loud_accounts),
                      features => ARRAY['visits', 'visits']);

-- 8. identifier-like columns are left out unless named; many categories are said
CREATE TABLE loud_users AS
SELECT g AS id, 'user' || g || '@example.com' AS email,
       md5(g::text) || ' says hi' AS note,                          -- free text, one per row
       (ARRAY['red', 'green', 'blue'])[1 + g % 3] AS color,
       (g * 7919 % 1000) / 10.0 AS score,                          -- a number, almost unique: kept
       (g % 997) * 3 AS big_int,                                   -- an integer, not a key: kept
       g % 2 = 0 AS label
FROM generate_series(1, 400) g;
SELECT version FROM ml_train('loud_users', 'loud_users', 'label', 'tree', '{"max_depth": 3}', deploy => 'always');
SELECT ml_model_info('loud_users')->'features' AS features;
SELECT e.config->'features' AS recorded FROM mlsql.experiments e JOIN mlsql.projects p ON p.id = e.project_id
WHERE p.name = 'loud_users';
-- named, they are kept
SELECT version FROM ml_train('loud_users', 'loud_users', 'label', 'tree', '{"max_depth": 3}',
                             features => ARRAY['id', 'color'], deploy => 'never');
SELECT ml_train('loud_x', 'SELECT id, email, label FROM loud_users', 'label', 'tree');
-- many categories, not one per row: kept, and said
SELECT version FROM ml_train('loud_many', 'SELECT (id % 300)::text AS code, color, label FROM loud_users', 'label', 'tree',
                             deploy => 'never');

-- 9. explanations are measured from the training data's average
CREATE TABLE loud_ex AS
SELECT g AS id, timestamptz '2024-01-01' + (g % 365) * interval '1 day' AS at,
       (ARRAY['red', 'green', 'blue'])[1 + g % 3] AS color, (g % 17) * 1.0 AS x,
       (g % 365) * 0.01 + (g % 3) * 2 + (g % 17) * 0.3 + (g % 5) AS y,
       (g % 365) * 0.01 + (g % 3) + (g % 17) * 0.2 + (g % 7) > 6 AS big
FROM generate_series(1, 500) g;
SELECT count(*) FROM ml_train('loud_ex_lin', 'SELECT at, color, x, y FROM loud_ex', 'y', 'linear', test_size => 0, deploy => 'always');
SELECT count(*) FROM ml_train('loud_ex_log', 'SELECT at, color, x, big FROM loud_ex', 'big', 'logistic', test_size => 0, deploy => 'always');
SELECT count(*) FROM ml_train('loud_ex_tree', 'SELECT at, color, x, y FROM loud_ex', 'y', 'tree', '{"max_depth": 5}', test_size => 0, deploy => 'always');
SELECT count(*) FROM ml_train('loud_ex_gb', 'SELECT at, color, x, y FROM loud_ex', 'y', 'gbdt', '{"n_trees": 20}', test_size => 0, deploy => 'always');
-- on the training rows: each feature's contributions average to zero (exactly for
-- linear models, closely for trees), the bias is the mean raw output, and bias plus
-- contributions is the raw output of every row
WITH e AS (SELECT v.p, t.id, x.feature, x.contribution
           FROM (VALUES ('loud_ex_lin'), ('loud_ex_log'), ('loud_ex_tree'), ('loud_ex_gb')) v(p), loud_ex t,
                LATERAL ml_explain(v.p, t) x),
     raw AS (SELECT v.p, t.id, CASE WHEN v.p = 'loud_ex_log'
                                    THEN ln((ml_predict_proba(v.p, t))[2] / (1 - (ml_predict_proba(v.p, t))[2]))
                                    ELSE ml_predict(v.p, t) END AS out
             FROM (VALUES ('loud_ex_lin'), ('loud_ex_log'), ('loud_ex_tree'), ('loud_ex_gb')) v(p), loud_ex t)
SELECT e.p,
       max(abs(f.avg_c)) FILTER (WHERE f.feature <> '(bias)') < CASE WHEN e.p IN ('loud_ex_lin', 'loud_ex_log') THEN 1e-9 ELSE 0.02 END
         AS features_average_zero,
       abs(max(f.avg_c) FILTER (WHERE f.feature = '(bias)') - (SELECT avg(out) FROM raw WHERE raw.p = e.p)) < 1e-6 AS bias_is_mean,
       (SELECT max(abs(s.total - r.out)) < 1e-6 FROM (SELECT p, id, sum(contribution) AS total FROM e GROUP BY 1, 2) s
        JOIN raw r USING (p, id) WHERE s.p = e.p) AS sums_to_output
FROM e JOIN (SELECT p, feature, avg(contribution) AS avg_c FROM e GROUP BY 1, 2) f USING (p, feature)
GROUP BY e.p ORDER BY e.p;
-- a timestamp's contribution is its distance from the average date, not its size
SELECT round(contribution::numeric, 4) AS at_contribution FROM ml_explain('loud_ex_lin', (SELECT t FROM loud_ex t WHERE id = 183)) WHERE feature = 'at';
-- categories are shown as the row has them
SELECT feature, value, category FROM ml_explain('loud_ex_tree', (SELECT t FROM loud_ex t WHERE id = 1)) ORDER BY feature;
SELECT DISTINCT category FROM ml_explain('loud_ex_lin', (SELECT t FROM loud_ex t WHERE id = 2)) WHERE feature LIKE 'color%';
-- importance per source column for every learner: one-hot parts summed
SELECT feature, method FROM ml_feature_importance('loud_ex_lin') ORDER BY feature;
SELECT feature, method FROM ml_feature_importance('loud_ex_tree') ORDER BY feature;
SELECT count(*) FROM ml_train('loud_ex_knn', 'SELECT at, color, x, y FROM loud_ex', 'y', 'knn', deploy => 'always');
SELECT count(*) AS columns, min(method) AS method FROM ml_feature_importance('loud_ex_knn');

-- 7. ml_evaluate evaluates what ml_predict does: the model's threshold, or one given
SELECT ml_set_threshold('loud_num', 0.3) IS NOT NULL AS threshold_set;
SELECT (ml_evaluate('loud_num', 'loud_accounts')->>'accuracy')::float8
       = (SELECT avg((((ml_predict('loud_num', a) = 1)) = churned)::int) FROM loud_accounts a) AS same_as_predict,
       ml_evaluate('loud_num', 'loud_accounts')->>'threshold' AS threshold,
       (ml_evaluate('loud_num', 'loud_accounts', 0.5)->>'accuracy')::float8
       = (SELECT avg((((ml_predict_proba('loud_num', a))[2] >= 0.5) = churned)::int) FROM loud_accounts a) AS given_threshold,
       (ml_evaluate('loud_num', 'loud_accounts', 0.5)->>'roc_auc') = (ml_evaluate('loud_num', 'loud_accounts')->>'roc_auc')
       AS roc_auc_unchanged,
       (ml_evaluate('loud_num', 'loud_accounts', 0.5)->>'accuracy') <> (ml_evaluate('loud_num', 'loud_accounts')->>'accuracy')
       AS threshold_matters;
SELECT ml_evaluate('loud_num', 'loud_accounts', 1.5);
SELECT ml_evaluate('loud_quoted@1', 'loud_people', 0.5);

-- 6. deployments that explain themselves
-- a first model that does not beat the baseline is not deployed
SELECT version, deployed FROM ml_train('loud_dep', 'SELECT churned, visits, paid FROM loud_accounts', 'churned', 'tree',
                                       '{"max_depth": 1}', test_size => 0.995);
SELECT count(*) AS deployments FROM mlsql.deployments d JOIN mlsql.projects p ON p.id = d.project_id WHERE p.name = 'loud_dep';
-- one that does is, and the row says why
SELECT version, deployed FROM ml_train('loud_dep', 'SELECT churned, visits, paid, signup_at FROM loud_accounts', 'churned',
                                       'tree', '{"max_depth": 4}');
SELECT m.version, d.metric, round(d.score::numeric, 4) AS score, round(d.live_score::numeric, 4) AS live_score, d.basis,
       d.reason LIKE 'accuracy % beats the baseline''s %' AS reason_ok
FROM mlsql.deployments d JOIN mlsql.models m ON m.id = d.model_id JOIN mlsql.projects p ON p.id = d.project_id
WHERE p.name = 'loud_dep';
-- a later one is compared with the live model re-scored on its own test rows
SELECT version, deployed FROM ml_train('loud_dep', 'SELECT churned, visits, paid, signup_at FROM loud_accounts', 'churned',
                                       'tree', '{"max_depth": 2}');
-- the key metric is the project's choice: log_loss ranks lower first
SELECT ml_set_metric('loud_dep', 'log_loss');
SELECT metric FROM mlsql.projects WHERE name = 'loud_dep';
SELECT version, deployed FROM ml_train('loud_dep', 'SELECT churned, visits, paid, signup_at FROM loud_accounts', 'churned',
                                       'logistic');
SELECT version, metric, rank FROM mlsql.leaderboard WHERE project = 'loud_dep' ORDER BY version;
SELECT ml_set_metric('loud_dep', 'r2');
SELECT ml_set_metric('loud_dep', 'silhouette');
SELECT ml_set_metric('loud_dep', NULL);
-- scores taken on other rows are not ranked together, nor picked by best_score
SELECT version FROM ml_train('loud_dep', 'SELECT churned, visits, paid, signup_at FROM loud_accounts', 'churned',
                             'tree', '{"max_depth": 4}', seed => 7, deploy => 'never');
SELECT version, rank, test_rows = (SELECT l.test_rows FROM mlsql.leaderboard l WHERE l.project = 'loud_dep' AND l.version = 2)
       AS same_rows_as_v2
FROM mlsql.leaderboard WHERE project = 'loud_dep' ORDER BY version;
SELECT version FROM ml_deploy('loud_dep', 'best_score');
-- retraining repeats the deployed model's configuration; the same bytes are no new version
SELECT version FROM ml_deploy('loud_dep', 2);
SELECT version, algorithm, deployed FROM ml_retrain('loud_dep');
SELECT version, algorithm FROM ml_retrain('loud_dep', 4);
SELECT max(version) AS versions FROM mlsql.models m JOIN mlsql.projects p ON p.id = m.project_id WHERE p.name = 'loud_dep';
SELECT * FROM ml_retrain('loud_dep', 99);

DROP VIEW loud_accounts_retyped, loud_accounts_dated;
DROP TABLE loud_people, loud_accounts, loud_users, loud_ex;
DROP TYPE loud_plan;
DROP DOMAIN loud_money;
DELETE FROM mlsql.projects WHERE name LIKE 'loud%';
