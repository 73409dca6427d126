/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Small lookups and writes on the mlsql catalog, through SPI.
 *
 * Every statement is parameterized; nothing user-given is pasted into SQL.
 * All writes happen in the caller's transaction, so an error anywhere in a
 * training leaves no row behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "pg/mlsql_pg.h"

/*
 * catalog_project_id: id of the project named name, or 0 when there is
 * none.  lock takes a row lock so concurrent trainings of one project
 * number their versions one after the other.  *task (may be NULL) gets the
 * project's task.
 */
int64
catalog_project_id(const char *name, bool lock, char **task)
{
	Oid			types[1] = {TEXTOID};
	Datum		vals[1] = {CStringGetTextDatum(name)};
	bool		isnull;
	int64		id;
	int			rc;

	rc = SPI_execute_with_args(lock
							   ? "SELECT id, task FROM mlsql.projects WHERE name = $1 FOR UPDATE"
							   : "SELECT id, task FROM mlsql.projects WHERE name = $1",
							   1, types, vals, NULL, !lock, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "project lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return 0;
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (task)
		*task = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return id;
}

/* the model currently deployed for a project, or 0 */
int64
catalog_deployed_model(int64 project_id)
{
	Oid			types[1] = {INT8OID};
	Datum		vals[1] = {Int64GetDatum(project_id)};
	bool		isnull;
	int			rc;

	rc = SPI_execute_with_args("SELECT model_id FROM mlsql.deployments WHERE project_id = $1 "
							   "ORDER BY id DESC LIMIT 1",
							   1, types, vals, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "deployment lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return 0;
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* record a deployment of model_id as the project's current model */
void
catalog_deploy(int64 project_id, int64 model_id, const char *strategy)
{
	Oid			types[3] = {INT8OID, INT8OID, TEXTOID};
	Datum		vals[3];
	int64		previous = catalog_deployed_model(project_id);
	char		nulls[4] = "   ";
	int			rc;

	vals[0] = Int64GetDatum(project_id);
	vals[1] = Int64GetDatum(model_id);
	vals[2] = CStringGetTextDatum(strategy);
	rc = SPI_execute_with_args("INSERT INTO mlsql.deployments "
							   "(project_id, model_id, strategy, previous_model_id) "
							   "VALUES ($1, $2, $3, NULLIF($4, 0))",
							   4, (Oid[]) {INT8OID, INT8OID, TEXTOID, INT8OID},
							   (Datum[]) {vals[0], vals[1], vals[2], Int64GetDatum(previous)},
							   nulls, false, 0);
	(void) types;
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "deployment insert failed: %s", SPI_result_code_string(rc));
}

Datum
json_text_to_jsonb(const char *json, size_t len)
{
	char	   *s = palloc(len + 1);

	memcpy(s, json, len);
	s[len] = '\0';
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}
