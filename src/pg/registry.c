/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The model registry: ml_deploy (a version, or by strategy), ml_alias,
 *	  ml_grant, ml_set_metric and ml_set_threshold.
 *
 * A deployment is a row of mlsql.deployments; the latest row of a project
 * is its live model, so the history is never rewritten and a rollback is a
 * new row pointing at the previous model.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include <math.h>

#include "core/metrics.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"

PG_FUNCTION_INFO_V1(mlsql_deploy);
PG_FUNCTION_INFO_V1(mlsql_deploy_strategy);
PG_FUNCTION_INFO_V1(mlsql_alias);

/* the project's key metric: its own (ml_set_metric), else its task's */
static const char *
project_key(int64 pid, const char *task)
{
	char	   *m = catalog_project_metric(pid);

	return m ? m : metrics_key(strcmp(task, "regression") == 0 ? ML_REGRESSION : ML_CLASSIFICATION);
}

/* the version a strategy picks for a project */
static int32
strategy_version(const char *project, int64 pid, const char *task, const char *strategy)
{
	int32		v;
	int			left_out = 0;
	const char *key = project_key(pid, task);

	if (strcmp(strategy, "most_recent") != 0 && strcmp(strategy, "best_score") != 0 &&
		strcmp(strategy, "rollback") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deployment strategy \"%s\"", strategy),
				 errhint("Use 'best_score', 'most_recent' or 'rollback', or give a version.")));
	v = catalog_strategy_version(pid, strategy, key, &left_out);
	if (left_out > 0)
		ereport(NOTICE,
				(errmsg("best_score compared the versions scored on the test rows of the live one; %d other%s %s scored on other rows",
						left_out, left_out == 1 ? "" : "s", left_out == 1 ? "was" : "were"),
				 errdetail("Scores taken on different rows do not rank (mlsql.leaderboard's test_rows tells them apart)."),
				 errhint("Retrain them with the same data, test_size and seed to compare them.")));
	if (v < 0 && strcmp(strategy, "rollback") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no previous deployment to roll back to", project)));
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no model with a test score for strategy \"%s\"",
						project, strategy)));
	return v;
}

static Datum
deploy_common(FunctionCallInfo fcinfo, const char *project, int32 version, const char *strategy)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		pid,
				mid,
				previous;
	Datum		vals[4];
	bool		nulls[4] = {0};
	char	   *task = NULL;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = catalog_project_for_manage(project, &task);
	if (strategy != NULL)
		version = strategy_version(project, pid, task, strategy);
	mid = catalog_model_by_version(pid, version);
	if (mid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no version %d", project, version),
				 errhint("The versions are listed in mlsql.models.")));
	/* a model that cannot be read must not go live */
	(void) model_for_id(mid);
	previous = catalog_deployed_model(pid);
	{
		CatalogDecision why = {NULL, NAN, NAN, NULL, NULL};

		if (strategy && strcmp(strategy, "best_score") == 0)
		{
			why.metric = project_key(pid, task);
			why.score = catalog_recorded_score(mid, why.metric);
			why.basis = "recorded test scores on the same rows";
			why.reason = psprintf("best_score: the highest %s on the test rows (%.6g)", why.metric, why.score);
		}
		else
			why.reason = strategy ? psprintf("strategy %s", strategy) : "chosen by version";
		catalog_deploy(pid, mid, strategy ? strategy : "manual", &why);
		ereport(NOTICE, (errmsg("deployed version %d of \"%s\": %s", version, project, why.reason)));
	}

	vals[0] = CStringGetTextDatum(project);
	vals[1] = Int32GetDatum(version);
	vals[2] = Int64GetDatum(mid);
	vals[3] = Int64GetDatum(previous);
	nulls[3] = previous == 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	SPI_finish();
	return (Datum) 0;
}

/* ml_deploy(project text, version int) */
Datum
mlsql_deploy(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project and version must not be NULL")));
	return deploy_common(fcinfo, catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0))),
						 PG_GETARG_INT32(1), NULL);
}

/* ml_deploy(project text, strategy text) */
Datum
mlsql_deploy_strategy(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project and strategy must not be NULL")));
	return deploy_common(fcinfo, catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0))), 0,
						 text_to_cstring(PG_GETARG_TEXT_PP(1)));
}

/*
 * ml_alias(project text, alias text, version int) RETURNS bigint: point an
 * alias at a version (replacing where it pointed before); returns the model
 * id.  Score it with 'project@alias'.
 */
Datum
mlsql_alias(PG_FUNCTION_ARGS)
{
	char	   *project,
			   *alias;
	int32		version;
	int64		pid,
				mid;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project, alias and version must not be NULL")));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	alias = text_to_cstring(PG_GETARG_TEXT_PP(1));
	version = PG_GETARG_INT32(2);
	if (alias[0] == '\0' || strlen(alias) > 63 ||
		!(isalpha((unsigned char) alias[0]) || alias[0] == '_') ||
		strspn(alias, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(alias))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid alias \"%s\"", alias),
				 errhint("An alias is a letter or underscore followed by letters, digits or underscores (at most 63), e.g. champion.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = catalog_project_for_manage(project, NULL);
	mid = catalog_model_by_version(pid, version);
	if (mid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no version %d", project, version)));
	catalog_set_alias(pid, alias, mid);
	SPI_finish();
	PG_RETURN_INT64(mid);
}

PG_FUNCTION_INFO_V1(mlsql_grant);

/*
 * ml_grant(project text, role name, level text) RETURNS void: give a role
 * "use" (see and score) or "manage" (also train, deploy, alias, grant) on a
 * project, or take it back with "none".
 */
Datum
mlsql_grant(PG_FUNCTION_ARGS)
{
	char	   *project,
			   *role,
			   *level;
	Oid			role_id;
	int64		pid;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project, role and level must not be NULL")));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	role = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	level = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(level, "use") != 0 && strcmp(level, "manage") != 0 && strcmp(level, "none") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid grant level \"%s\"", level),
				 errhint("Use 'use' (see and score), 'manage' (also train, deploy and grant) or 'none'.")));
	/* by OID: a role dropped and created again under this name is another role */
	role_id = get_role_oid(role, true);
	if (!OidIsValid(role_id))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", role)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = catalog_project_for_manage(project, NULL);
	catalog_set_grant(pid, role_id, level);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(mlsql_set_metric);

/*
 * ml_set_metric(project text, metric text) RETURNS void: the metric the
 * project ranks its models by (if_better, best_score, the leaderboard and
 * searches without a metric); NULL goes back to the task's default
 * (accuracy, r2).
 */
Datum
mlsql_set_metric(PG_FUNCTION_ARGS)
{
	char	   *project,
			   *metric = NULL,
			   *task = NULL;
	int64		pid;
	MLTask		t;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("project must not be NULL")));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!PG_ARGISNULL(1))
		metric = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = catalog_project_for_manage(project, &task);
	t = strcmp(task, "regression") == 0 ? ML_REGRESSION : strcmp(task, "classification") == 0
		? ML_CLASSIFICATION : ML_CLUSTERING;
	if (metric && !metrics_valid(t, metric, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric \"%s\" cannot rank %s models", metric, task),
				 errhint("%s", t == ML_CLASSIFICATION ? "Use accuracy, precision, recall, f1, roc_auc, log_loss, brier or ece."
						 : t == ML_REGRESSION ? "Use r2, rmse or mae."
						 : "Clustering and anomaly projects rank by their task's own score.")));
	catalog_set_metric(pid, metric);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(mlsql_set_threshold);

/*
 * ml_set_threshold(ref, threshold): a binary classifier predicts its second
 * class when that class's probability is at least threshold (NULL: the
 * most probable class again).  Stored with the model row, so every session
 * scores with it from its next statement.
 */
Datum
mlsql_set_threshold(PG_FUNCTION_ARGS)
{
	char	   *ref;
	int64		model_id,
				project_id;
	MLModel    *m;
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("project must not be NULL")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1) && !(PG_GETARG_FLOAT8(1) >= 0 && PG_GETARG_FLOAT8(1) <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be in [0, 1], got %g", PG_GETARG_FLOAT8(1)),
				 errhint("Pass NULL to predict the most probable class again.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	model_id = resolve_model_ref(ref, &project_id);
	m = model_for_id(model_id);
	if (m->task != ML_CLASSIFICATION || m->n_classes != 2)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a decision threshold needs a binary classifier, \"%s\" is %s%s",
						ref, m->task == ML_CLASSIFICATION ? "a multiclass " : "",
						m->task == ML_CLASSIFICATION ? "classifier" : ml_task_name(m->task))));
	name = catalog_project_name(project_id);
	catalog_require_manage(project_id, name);
	catalog_set_threshold(model_id, PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1), PG_ARGISNULL(1));
	SPI_finish();
	PG_RETURN_INT64(model_id);
}
