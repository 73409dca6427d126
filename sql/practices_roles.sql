-- practices_roles: the book's practices across roles.  A role with `use` on
-- a project may score and slice it, but not record anything in it (sanity
-- checks, label issues, rules, calibration, AutoML need `manage`); a role
-- without a grant sees no project; a refusal writes nothing.
\i test/regress/datasets.sql
CREATE ROLE regress_prac_owner;
CREATE ROLE regress_prac_user;
CREATE ROLE regress_prac_other;
GRANT SELECT ON bc, bc_train TO regress_prac_owner, regress_prac_user, regress_prac_other;
SET client_min_messages = warning;
SET ROLE regress_prac_owner;
SELECT version FROM ml_train('prac_roles', 'bc_train', 'target', 'logistic');
SELECT ml_grant('prac_roles', 'regress_prac_user', 'use');
RESET ROLE;
RESET client_min_messages;
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM mlsql.experiments) AS experiments, (SELECT count(*) FROM mlsql.runs) AS runs,
       (SELECT count(*) FROM mlsql.models) AS models, (SELECT count(*) FROM mlsql.artifacts) AS artifacts;
GRANT SELECT ON counts TO regress_prac_user, regress_prac_other;

SET ROLE regress_prac_user;
-- scoring and slicing: allowed; the slices are not recorded (a NOTICE says so)
SELECT count(*) AS scored FROM bc_train WHERE ml_predict('prac_roles', bc_train) IS NOT NULL;
SELECT slice, n FROM ml_evaluate_slices('prac_roles', 'bc_train', 'mean_radius > 15');
SELECT count(*) AS curve_bins FROM ml_calibration_curve('prac_roles', 'bc_train', 5);
-- recording: refused
SELECT * FROM ml_sanity_check('prac_roles');
SELECT * FROM ml_label_issues('prac_roles', 'bc_train');
SELECT * FROM ml_rule('prac_roles', 'CASE WHEN worst_area > 800 THEN 0 ELSE 1 END');
SELECT * FROM ml_calibrate('prac_roles');
SELECT * FROM ml_automl('prac_roles', 'bc_train', 'target', '5 seconds');
RESET ROLE;

SET ROLE regress_prac_other;
-- no grant: no project
SELECT * FROM ml_evaluate_slices('prac_roles', 'bc_train', 'mean_radius > 15');
SELECT * FROM ml_sanity_check('prac_roles');
SELECT * FROM ml_rule('prac_roles', '1');
RESET ROLE;

-- nothing was written by any of it
SELECT (SELECT count(*) FROM mlsql.experiments) = c.experiments AS same_experiments,
       (SELECT count(*) FROM mlsql.runs) = c.runs AS same_runs,
       (SELECT count(*) FROM mlsql.models) = c.models AS same_models,
       (SELECT count(*) FROM mlsql.artifacts) = c.artifacts AS same_artifacts
FROM counts c;

-- clean up
DELETE FROM mlsql.projects WHERE name = 'prac_roles';
DROP TABLE counts;
DROP OWNED BY regress_prac_owner, regress_prac_user, regress_prac_other;
DROP ROLE regress_prac_owner;
DROP ROLE regress_prac_user;
DROP ROLE regress_prac_other;
