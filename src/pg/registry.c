/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The model registry: ml_deploy (a version, or by strategy), ml_alias.
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
#include "utils/builtins.h"

#include "core/metrics.h"
#include "pg/mlsql_pg.h"

PG_FUNCTION_INFO_V1(mlsql_deploy);
PG_FUNCTION_INFO_V1(mlsql_deploy_strategy);
PG_FUNCTION_INFO_V1(mlsql_alias);

/* one int4 / int8 from the first row of the last SPI result, or -1 */
static int64
first_value(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return -1;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return -1;
	return SPI_gettypeid(SPI_tuptable->tupdesc, 1) == INT4OID
		? DatumGetInt32(d) : DatumGetInt64(d);
}

static int64
query_int(const char *sql, int nargs, Oid *types, Datum *vals)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, vals, NULL, false, 1);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "registry query failed: %s", SPI_result_code_string(rc));
	return first_value();
}

/* the version a strategy picks for a project */
static int32
strategy_version(const char *project, int64 pid, const char *task, const char *strategy)
{
	int64		v;

	if (strcmp(strategy, "most_recent") == 0)
		v = query_int("SELECT max(version) FROM mlsql.models WHERE project_id = $1",
					  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(pid)});
	else if (strcmp(strategy, "best_score") == 0)
		v = query_int("SELECT mo.version FROM mlsql.models mo "
					  "JOIN mlsql.metrics mt ON mt.run_id = mo.run_id AND mt.step IS NULL "
					  " AND mt.name = $2 AND mt.split = 'test' "
					  "WHERE mo.project_id = $1 AND mt.value = mt.value "
					  "ORDER BY mt.value DESC, mo.version DESC LIMIT 1",
					  2, (Oid[]) {INT8OID, TEXTOID},
					  (Datum[]) {Int64GetDatum(pid),
			CStringGetTextDatum(metrics_key(strcmp(task, "regression") == 0 ? ML_REGRESSION : ML_CLASSIFICATION))});
	else if (strcmp(strategy, "rollback") == 0)
	{
		v = query_int("SELECT mo.version FROM mlsql.deployments d JOIN mlsql.models mo ON mo.id = d.previous_model_id "
					  "WHERE d.project_id = $1 ORDER BY d.id DESC LIMIT 1",
					  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(pid)});
		if (v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("project \"%s\" has no previous deployment to roll back to", project)));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deployment strategy \"%s\"", strategy),
				 errhint("Use 'best_score', 'most_recent' or 'rollback', or give a version.")));
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no model with a test score for strategy \"%s\"",
						project, strategy)));
	return (int32) v;
}

/*
 * The project a caller may manage, locked for the catalog writes that
 * follow, which *w opens (close it with catalog_write_end).  Visibility is
 * checked as the caller, so a project it cannot see does not exist for it.
 */
static int64
manage_project(const char *project, char **task, CatalogWriter *w)
{
	int64		pid;

	if (catalog_project_id(project, false, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" does not exist", project)));
	*w = catalog_write_begin();
	pid = catalog_project_id(project, true, task);
	catalog_check_manage(pid, project);
	return pid;
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

	CatalogWriter w;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = manage_project(project, &task, &w);
	if (strategy != NULL)
		version = strategy_version(project, pid, task, strategy);
	mid = query_int("SELECT id FROM mlsql.models WHERE project_id = $1 AND version = $2",
					2, (Oid[]) {INT8OID, INT4OID},
					(Datum[]) {Int64GetDatum(pid), Int32GetDatum(version)});
	if (mid < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no version %d", project, version),
				 errhint("The versions are listed in mlsql.models.")));
	/* a model that cannot be read must not go live */
	(void) model_for_id(mid);
	previous = catalog_deployed_model(pid);
	catalog_deploy(pid, mid, strategy ? strategy : "manual");
	catalog_write_end(w);

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
	return deploy_common(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_INT32(1), NULL);
}

/* ml_deploy(project text, strategy text) */
Datum
mlsql_deploy_strategy(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project and strategy must not be NULL")));
	return deploy_common(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), 0,
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
	int			rc;
	CatalogWriter w;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project, alias and version must not be NULL")));
	project = text_to_cstring(PG_GETARG_TEXT_PP(0));
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
	pid = manage_project(project, NULL, &w);
	mid = query_int("SELECT id FROM mlsql.models WHERE project_id = $1 AND version = $2",
					2, (Oid[]) {INT8OID, INT4OID},
					(Datum[]) {Int64GetDatum(pid), Int32GetDatum(version)});
	if (mid < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no version %d", project, version)));
	rc = SPI_execute_with_args("INSERT INTO mlsql.aliases (project_id, alias, model_id) VALUES ($1, $2, $3) "
							   "ON CONFLICT (project_id, alias) DO UPDATE SET model_id = EXCLUDED.model_id",
							   3, (Oid[]) {INT8OID, TEXTOID, INT8OID},
							   (Datum[]) {Int64GetDatum(pid), CStringGetTextDatum(alias), Int64GetDatum(mid)},
							   NULL, false, 0);
	catalog_write_end(w);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "alias insert failed: %s", SPI_result_code_string(rc));
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
	Datum		role_name;		/* the name argument, for name parameters */
	int64		pid;
	int			rc;
	CatalogWriter w;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project, role and level must not be NULL")));
	project = text_to_cstring(PG_GETARG_TEXT_PP(0));
	role = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	role_name = PG_GETARG_DATUM(1);
	level = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(level, "use") != 0 && strcmp(level, "manage") != 0 && strcmp(level, "none") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid grant level \"%s\"", level),
				 errhint("Use 'use' (see and score), 'manage' (also train, deploy and grant) or 'none'.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (query_int("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = $1",
				  1, (Oid[]) {NAMEOID}, (Datum[]) {role_name}) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", role)));
	pid = manage_project(project, NULL, &w);
	if (strcmp(level, "none") == 0)
		rc = SPI_execute_with_args("DELETE FROM mlsql.grants WHERE project_id = $1 AND role = $2",
								   2, (Oid[]) {INT8OID, NAMEOID},
								   (Datum[]) {Int64GetDatum(pid), role_name}, NULL, false, 0);
	else
		rc = SPI_execute_with_args("INSERT INTO mlsql.grants (project_id, role, level, granted_by) "
								   "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, role) "
								   "DO UPDATE SET level = EXCLUDED.level, granted_by = EXCLUDED.granted_by",
								   4, (Oid[]) {INT8OID, NAMEOID, TEXTOID, NAMEOID},
								   (Datum[]) {Int64GetDatum(pid), role_name,
								   CStringGetTextDatum(level), catalog_caller_name()},
								   NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "grant failed: %s", SPI_result_code_string(rc));
	catalog_write_end(w);
	SPI_finish();
	PG_RETURN_VOID();
}
