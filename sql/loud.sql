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
SELECT task, algorithm FROM ml_train('loud_lin', 'SELECT tier, spend, region FROM loud_people', 'tier', 'linear');
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

DROP TABLE loud_people;
DELETE FROM mlsql.projects WHERE name LIKE 'loud%';
