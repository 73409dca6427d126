-- registry: aliases, deployment strategies, rollback, retraining,
-- reproducibility, views, plots, and per-project privileges
\i test/regress/train_projects.sql

SELECT version FROM ml_train('reg', 'SELECT mean_radius, target FROM bc', 'target', 'logistic');
SELECT version FROM ml_train('reg', 'bc_train', 'target', 'logistic', deploy => 'never');
SELECT version FROM ml_train('reg', 'SELECT mean_radius, mean_texture, target FROM bc', 'target', 'logistic', deploy => 'never');

-- aliases
SELECT ml_alias('reg', 'champion', 2) = (SELECT id FROM mlsql.models WHERE version = 2
       AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg')) AS alias_is_v2;
SELECT ml_alias('reg', 'champion', 3) IS NOT NULL AS moved;
SELECT a.alias, m.version FROM mlsql.aliases a JOIN mlsql.models m ON m.id = a.model_id
WHERE a.project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg');
SELECT bool_and(ml_predict('reg@champion', b) = ml_predict('reg@3', b)) AS scores_with_alias FROM bc b;

-- deployment strategies
SELECT version FROM ml_deploy('reg', strategy => 'best_score');
SELECT version FROM ml_deploy('reg', strategy => 'most_recent');
SELECT version FROM ml_deploy('reg', strategy => 'rollback');
SELECT m.version, d.strategy FROM mlsql.deployments d JOIN mlsql.models m ON m.id = d.model_id
WHERE d.project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg') ORDER BY d.id;

-- rollback restores the previous model for ml_predict in the same session
SELECT version FROM ml_deploy('reg', 1);
SELECT bool_and(ml_predict('reg', b) = ml_predict('reg@1', b)) AS live_is_v1 FROM bc b;
SELECT version FROM ml_deploy('reg', 2);
SELECT bool_and(ml_predict('reg', b) = ml_predict('reg@2', b)) AS live_is_v2 FROM bc b;
SELECT version FROM ml_deploy('reg', strategy => 'rollback');
SELECT bool_and(ml_predict('reg', b) = ml_predict('reg@1', b)) AS rolled_back_to_v1 FROM bc b;

-- views
SELECT version, algorithm, metric, split, rank, deployed, test_metrics ? 'roc_auc' AS has_metrics
FROM mlsql.leaderboard WHERE project = 'reg' ORDER BY rank, version;
SELECT project, version, strategy FROM mlsql.deployed_models WHERE project = 'reg';
SELECT count(*) > 0 AS has_steps, min(step) AS first_step, array_agg(DISTINCT metric) AS metrics
FROM mlsql.loss_curves WHERE project = 'reg';

-- with a validation split, the loss curve has train and validation series
SELECT run_id AS valid_run FROM ml_train('reg_valid',
    'SELECT *, CASE id % 5 WHEN 0 THEN ''test'' WHEN 1 THEN ''validation'' ELSE ''train'' END AS part FROM bc',
    'target', 'logistic', '{"split": "column", "split_column": "part"}',
    features => ARRAY['mean_radius', 'mean_texture', 'worst_area', 'worst_smoothness']) \gset
SELECT split, metric, count(*) = (SELECT value FROM mlsql.metrics WHERE run_id = :valid_run AND name = 'n_iter') AS every_iteration
FROM mlsql.loss_curves WHERE run_id = :valid_run GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (length(svg) - length(replace(svg, 'class="series"', ''))) / length('class="series"') AS series
FROM (SELECT ml_plot('loss_curve', :valid_run) AS svg) s;

-- artifacts: confusion matrix and per-class report of classification runs
SELECT a.name, a.content_type, (convert_from(a.content, 'UTF8')::jsonb ? 'labels') AS has_labels
FROM mlsql.artifacts a JOIN mlsql.models m ON m.run_id = a.run_id
WHERE m.version = 2 AND m.project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg')
ORDER BY 1;
SELECT (SELECT sum(x::int) FROM jsonb_array_elements_text(j->'matrix') r, jsonb_array_elements_text(r::jsonb) x)
       = (SELECT n_test FROM mlsql.runs WHERE id = m.run_id) AS matrix_counts_test_rows
FROM mlsql.artifacts a JOIN mlsql.models m ON m.run_id = a.run_id,
     LATERAL (SELECT convert_from(a.content, 'UTF8')::jsonb AS j) s
WHERE a.name = 'confusion_matrix' AND m.version = 2
  AND m.project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg');

-- retrain: the last configuration on current data, through the if_better gate
SELECT project, version, algorithm, deployed FROM ml_retrain('reg');
SELECT e.config->>'source' AS source, e.config->>'seed' AS seed FROM mlsql.experiments e
WHERE e.project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg') ORDER BY e.id DESC LIMIT 1;

-- reproduce: identical data and model bytes for a deterministic learner; nothing kept
SELECT count(*) AS models_before FROM mlsql.models \gset
SELECT data_matched, model_identical, original_hash = new_hash AS same_hash
FROM ml_reproduce((SELECT run_id FROM mlsql.models WHERE version = 2
                   AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg')));
SELECT count(*) = :models_before AS nothing_kept FROM mlsql.models;
CREATE TABLE bc_copy AS SELECT * FROM bc;
SELECT version FROM ml_train('repro_changed', 'bc_copy', 'target', 'logistic', features => ARRAY['mean_radius', 'mean_area']);
UPDATE bc_copy SET mean_radius = mean_radius + 1 WHERE id < 100;
SELECT data_matched, model_identical
FROM ml_reproduce((SELECT run_id FROM mlsql.models WHERE project_id = (SELECT id FROM mlsql.projects WHERE name = 'repro_changed')));

-- plots: well-formed SVG holding the data points
SELECT xml_is_well_formed_document(svg) AS well_formed,
       (length(svg) - length(replace(svg, '<circle', ''))) / length('<circle')
         = (SELECT count(*) FROM mlsql.metrics WHERE run_id = r.run_id AND step IS NOT NULL) AS one_point_per_step
FROM (SELECT run_id FROM mlsql.models WHERE version = 2
      AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg')) r,
     LATERAL (SELECT ml_plot('loss_curve', r.run_id) AS svg) s;
SELECT xml_is_well_formed_document(svg) AS well_formed,
       (length(svg) - length(replace(svg, 'class="bar"', ''))) / length('class="bar"') AS bars
FROM (SELECT ml_plot('leaderboard', (SELECT id FROM mlsql.projects WHERE name = 'reg')) AS svg) s;
SELECT ml_plot('loss_sparkline', (SELECT run_id FROM mlsql.models WHERE version = 2
        AND project_id = (SELECT id FROM mlsql.projects WHERE name = 'reg'))) ~ '^train log_loss [▁▂▃▄▅▆▇█]+ ' AS sparkline;

-- privileges: two roles, one cannot see or score the other's project
CREATE ROLE regress_alice;
CREATE ROLE regress_bob;
GRANT SELECT ON bc, bc_train TO regress_alice, regress_bob;
SET ROLE regress_alice;
SELECT version FROM ml_train('alice_p', 'bc_train', 'target', 'logistic');
SELECT name, owner FROM mlsql.projects ORDER BY name;
INSERT INTO mlsql.projects (name, task) VALUES ('sneaky', 'regression');
UPDATE mlsql.deployments SET model_id = model_id;
RESET ROLE;
SET ROLE regress_bob;
SELECT count(*) AS projects_bob_sees FROM mlsql.projects;
SELECT count(*) AS models_bob_sees FROM mlsql.models;
SELECT ml_predict('alice_p', b) FROM bc b LIMIT 1;
SELECT ml_train('alice_p', 'bc_train', 'target', 'logistic');
SELECT * FROM ml_deploy('alice_p', 1);
SELECT ml_grant('alice_p', 'regress_bob', 'manage');
RESET ROLE;
SET ROLE regress_alice;
SELECT ml_grant('alice_p', 'regress_bob', 'use');
RESET ROLE;
SET ROLE regress_bob;
SELECT count(*) AS projects_bob_sees FROM mlsql.projects;
SELECT count(DISTINCT ml_predict('alice_p', b)) > 0 AS bob_scores FROM bc b;
SELECT ml_train('alice_p', 'bc_train', 'target', 'logistic');
RESET ROLE;
SET ROLE regress_alice;
SELECT ml_grant('alice_p', 'regress_bob', 'manage');
RESET ROLE;
SET ROLE regress_bob;
SELECT version FROM ml_train('alice_p', 'bc_train', 'target', 'logistic', seed => 5, deploy => 'never');
SELECT deployed_by, strategy FROM mlsql.deployments d
WHERE d.project_id = (SELECT id FROM mlsql.projects WHERE name = 'alice_p');
RESET ROLE;
SELECT owner FROM mlsql.projects WHERE name = 'alice_p';

-- errors
SELECT ml_alias('reg', 'champion', 99);
SELECT ml_alias('reg', '7up', 1);
SELECT ml_alias('nope', 'champion', 1);
SELECT * FROM ml_deploy('reg', strategy => 'random');
SELECT * FROM ml_deploy('nope', strategy => 'rollback');
SELECT * FROM ml_deploy('cancer_all', strategy => 'rollback');
SELECT * FROM ml_retrain('nope');
SELECT ml_grant('reg', 'regress_nobody', 'use');
SELECT ml_grant('reg', 'regress_bob', 'admin');
SELECT ml_schedule('reg', '0 3 * * *');
SELECT ml_reproduce(999999);
SELECT ml_plot('pie', 1);
SELECT ml_plot('loss_curve', 999999);

DROP OWNED BY regress_alice, regress_bob;
DROP ROLE regress_alice;
DROP ROLE regress_bob;
