/*
 * The model registry (src/pg/registry.c): which version is live, named
 * versions, who may use or manage a project, the metric it ranks by and a
 * binary classifier's decision threshold.
 */

CREATE FUNCTION ml_deploy(project text, version int)
RETURNS TABLE (project text, version int, model_id bigint, previous_model_id bigint)
AS 'MODULE_PATHNAME', 'mlsql_deploy' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_deploy(text, int) IS 'make a model version the project''s live model (recorded in mlsql.deployments)';
CREATE FUNCTION ml_deploy(project text, strategy text)
RETURNS TABLE (project text, version int, model_id bigint, previous_model_id bigint)
AS 'MODULE_PATHNAME', 'mlsql_deploy_strategy' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_deploy(text, text) IS 'deploy by strategy: best_score (highest recorded test score), most_recent, or rollback (the model live before the current one)';

CREATE FUNCTION ml_alias(project text, alias text, version int) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_alias' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_alias(text, text, int) IS 'name a version (champion, challenger, ...): score it with ''project@alias''; returns the model id';

CREATE FUNCTION ml_grant(project text, role name, level text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_grant' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_grant(text, name, text) IS 'let a role use (see, score) or manage (train, deploy, grant) a project; level none takes it back';

CREATE FUNCTION ml_set_metric(project text, metric text) RETURNS void
AS 'MODULE_PATHNAME', 'mlsql_set_metric' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_set_metric(text, text) IS 'the metric a project ranks its models by: if_better, best_score, the leaderboard, searches without a metric (NULL: accuracy / r2)';

CREATE FUNCTION ml_set_threshold(project text, threshold float8) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_set_threshold' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ml_set_threshold(text, float8)
IS 'binary classifiers: predict the second class when its probability is at least threshold (NULL: the most probable class); returns the model id';
