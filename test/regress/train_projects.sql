-- test/regress/train_projects.sql: fixture, the projects of the train test that later tests use
\set train_projects_echo :ECHO
\set ECHO none
-- Tests predict, evaluate, errors and registry score projects that the train
-- test trains: cancer (versions 1 to 3), iris, infer_bool, diabetes,
-- diabetes_ridge (one version per alpha of test/fixtures/ridge_diabetes.csv)
-- and cancer_all.  A project that does not exist is trained here as
-- sql/train.sql trains it (same sources, parameters and seeds, so the same
-- models); one that exists, as in the sequence after train, is left as the
-- tests before left it.  Loads the bundled data first (datasets.sql).
-- Nothing of it shows in the expected output past the lines above, but an
-- error does.
\i test/regress/datasets.sql
SELECT current_setting('client_min_messages') AS train_projects_cmm \gset
SET client_min_messages = warning;
SELECT NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'cancer') AS train_cancer,
       NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'iris') AS train_iris,
       NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'infer_bool') AS train_infer_bool,
       NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'diabetes') AS train_diabetes,
       NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'diabetes_ridge') AS train_diabetes_ridge,
       NOT EXISTS (SELECT FROM mlsql.projects WHERE name = 'cancer_all') AS train_cancer_all \gset
\o /dev/null
\if :train_cancer
SELECT FROM ml_train('cancer', 'bc_train', 'target', 'logistic');
SELECT FROM ml_train('cancer', 'bc_train', 'target', 'logistic', deploy => 'never');
SELECT FROM ml_train('cancer', 'bc_train', 'target', 'logistic', seed => 7, deploy => 'never');
\endif
\if :train_diabetes_ridge
CREATE TEMP TABLE train_projects_alphas (alpha float8, intercept float8, coef_0 float8, coef_1 float8,
    coef_2 float8, coef_3 float8, coef_4 float8, coef_5 float8, coef_6 float8, coef_7 float8,
    coef_8 float8, coef_9 float8);
\copy train_projects_alphas FROM 'test/fixtures/ridge_diabetes.csv' WITH (FORMAT csv, HEADER true)
SELECT FROM train_projects_alphas r,
     LATERAL ml_train('diabetes_ridge', 'diabetes_train', 'target', 'linear',
                      jsonb_build_object('alpha', r.alpha), test_size => 0, deploy => 'never') t;
DROP TABLE train_projects_alphas;
\endif
\if :train_diabetes
SELECT FROM ml_train('diabetes', 'diabetes_train', 'target', 'linear', '{"alpha": 0.1}');
\endif
\if :train_cancer_all
SELECT FROM ml_train('cancer_all', 'bc_train', 'target', 'logistic',
                     '{"tol": 1e-10, "max_iter": 10000}', test_size => 0);
\endif
\if :train_iris
SELECT FROM ml_train('iris', 'iris_train', 'species', 'logistic');
\endif
\if :train_infer_bool
SELECT FROM ml_train('infer_bool', 'SELECT mean_radius, target = 1 AS benign FROM bc', 'benign', 'logistic');
\endif
\o
SET client_min_messages = :'train_projects_cmm';
\set ECHO :train_projects_echo
