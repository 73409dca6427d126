-- deploy: deployment rules, history, manual deploys and rollbacks
\i test/regress/datasets.sql

-- the first model of a project deploys under if_better
SELECT version, deployed FROM ml_train('dep', 'SELECT mean_radius, target FROM bc', 'target', 'logistic');
-- a model that does not beat the live one on the new test split stays undeployed
SELECT version, deployed FROM ml_train('dep', 'SELECT mean_radius, target FROM bc', 'target', 'baseline');
-- a better one deploys
SELECT version, deployed FROM ml_train('dep', 'bc_train', 'target', 'logistic');
-- never and always
SELECT version, deployed FROM ml_train('dep', 'bc_train', 'target', 'logistic', seed => 3, deploy => 'never');
SELECT version, deployed FROM ml_train('dep', 'SELECT mean_radius, target FROM bc', 'target', 'baseline', deploy => 'always');

SELECT m.version AS live, prev.version AS previous, d.strategy, d.deployed_by = current_user::regrole AS by_me
FROM mlsql.deployments d JOIN mlsql.models m ON m.id = d.model_id
LEFT JOIN mlsql.models prev ON prev.id = d.previous_model_id
WHERE d.project_id = (SELECT id FROM mlsql.projects WHERE name = 'dep')
ORDER BY d.id;

-- the live model is the baseline now: every row gets the majority class
SELECT count(DISTINCT ml_predict('dep', b)) AS distinct_predictions FROM bc b;

-- roll back by hand; the next query scores with the redeployed version
SELECT project, version, previous_model_id IS NOT NULL AS had_previous FROM ml_deploy('dep', 3);
SELECT count(DISTINCT ml_predict('dep', b)) AS distinct_predictions,
       bool_and(ml_predict('dep', b) = ml_predict('dep@3', b)) AS is_version_3
FROM bc b;
SELECT count(*) AS deployments FROM mlsql.deployments
WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'dep');

-- in one transaction, a deploy is seen by the next statement
BEGIN;
SELECT version FROM ml_deploy('dep', 5);
SELECT count(DISTINCT ml_predict('dep', b)) AS distinct_predictions FROM bc b;
ROLLBACK;
SELECT count(DISTINCT ml_predict('dep', b)) AS distinct_predictions FROM bc b;

-- errors
SELECT * FROM ml_deploy('dep', 99);
SELECT * FROM ml_deploy('no_such_project', 1);
SELECT * FROM ml_deploy(NULL, 1);
