/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Small lookups and writes on the mlsql catalog, through SPI.
 *
 * Every statement is parameterized; nothing user-given is pasted into SQL.
 * All writes happen in the caller's transaction, so an error anywhere in a
 * training leaves no row behind.
 *
 * Ordinary roles may only read the catalog (filtered by row-level
 * security).  Writes go through catalog_write_begin / catalog_write_end,
 * which switch to the extension's owner for the catalog statements only (as
 * pg_cron does for its job table); sources are always read as the caller.
 * Who did it is recorded from the caller's role, never from current_user.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
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

/*
 * Record a deployment of model_id as the project's current model, by the
 * caller.  Must run inside catalog_write_begin / end.  The model must belong
 * to the project.
 */
void
catalog_deploy(int64 project_id, int64 model_id, const char *strategy)
{
	int64		previous = catalog_deployed_model(project_id);
	int			rc;

	rc = SPI_execute_with_args("INSERT INTO mlsql.deployments "
							   "(project_id, model_id, strategy, previous_model_id, deployed_by) "
							   "SELECT $1, $2, $3, NULLIF($4, 0), $5 FROM mlsql.models "
							   "WHERE id = $2 AND project_id = $1",
							   5, (Oid[]) {INT8OID, INT8OID, TEXTOID, INT8OID, NAMEOID},
							   (Datum[]) {Int64GetDatum(project_id), Int64GetDatum(model_id),
								   CStringGetTextDatum(strategy), Int64GetDatum(previous),
							   catalog_caller_name()},
							   NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "deployment insert failed: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model " INT64_FORMAT " does not belong to the project", model_id)));
}

static Oid	writer_caller = InvalidOid;

/*
 * An error inside a write section skips catalog_write_end; abort restores
 * the user id, and this forgets the caller.
 */
static void
writer_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		writer_caller = InvalidOid;
}

static void
writer_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	(void) mySubid;
	(void) parentSubid;
	(void) arg;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		writer_caller = InvalidOid;
}

void
catalog_register_callbacks(void)
{
	RegisterXactCallback(writer_xact_callback, NULL);
	RegisterSubXactCallback(writer_subxact_callback, NULL);
}

/* the role that called the API (not the extension owner during writes) */
Oid
catalog_caller(void)
{
	return OidIsValid(writer_caller) ? writer_caller : GetUserId();
}

/*
 * The caller's role name as a name Datum, for a NAMEOID parameter: a name is a
 * NameData of NAMEDATALEN bytes, so a shorter C string would be over-read.
 */
Datum
catalog_caller_name(void)
{
	return DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(catalog_caller(), false)));
}

static Oid
extension_owner(void)
{
	static Oid	owner = InvalidOid;
	int			rc;
	bool		isnull;

	if (OidIsValid(owner))
		return owner;
	rc = SPI_execute("SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'mlsql'", true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not find the owner of extension mlsql");
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return owner;
}

/*
 * Switch to the extension owner for catalog writes.  An error inside the
 * section needs no cleanup: transaction abort restores the user id.
 */
CatalogWriter
catalog_write_begin(void)
{
	CatalogWriter w;

	GetUserIdAndSecContext(&w.save_user, &w.save_sec);
	w.save_caller = writer_caller;
	if (!OidIsValid(writer_caller))
		writer_caller = w.save_user;
	SetUserIdAndSecContext(extension_owner(), w.save_sec | SECURITY_LOCAL_USERID_CHANGE);
	return w;
}

void
catalog_write_end(CatalogWriter w)
{
	SetUserIdAndSecContext(w.save_user, w.save_sec);
	writer_caller = w.save_caller;
}

/*
 * Error unless the caller owns the project (or is a member of its owner),
 * or was granted "manage" on it.
 */
void
catalog_check_manage(int64 project_id, const char *project)
{
	int			rc;
	bool		isnull;

	rc = SPI_execute_with_args("SELECT pg_catalog.pg_has_role($2, p.owner, 'MEMBER') OR EXISTS ("
							   " SELECT 1 FROM mlsql.grants g WHERE g.project_id = p.id AND g.level = 'manage'"
							   " AND pg_catalog.pg_has_role($2, g.role, 'MEMBER')) "
							   "FROM mlsql.projects p WHERE p.id = $1",
							   2, (Oid[]) {INT8OID, OIDOID},
							   (Datum[]) {Int64GetDatum(project_id), ObjectIdGetDatum(catalog_caller())},
							   NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "project permission check failed");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for project \"%s\"", project),
				 errhint("Its owner can grant it with ml_grant('%s', role, 'manage').", project)));
}

Datum
json_text_to_jsonb(const char *json, size_t len)
{
	char	   *s = palloc(len + 1);

	memcpy(s, json, len);
	s[len] = '\0';
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/* a project name: 1 to 200 characters, not blank, no "@" (it starts a version) */
void
catalog_check_project_name(const char *project)
{
	if (project[0] == '\0' || strspn(project, " \t\r\n") == strlen(project) ||
		strchr(project, '@') != NULL || strlen(project) > 200)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid project name \"%s\"", project),
				 errhint("A project name is 1 to 200 characters, not only spaces, and has no \"@\" (it separates versions and aliases).")));
}

/*
 * catalog_project_for_write: the project's id, creating it for the caller
 * when it is new; the caller must be able to manage it, and it must have
 * this task (what names the operation in the error: "training").  Call
 * between catalog_write_begin and catalog_write_end.
 */
int64
catalog_project_for_write(const char *project, MLTask task, const char *what)
{
	char	   *existing = NULL;
	int64		project_id;

	catalog_check_project_name(project);
	SPI_execute_with_args("INSERT INTO mlsql.projects (name, task, owner) VALUES ($1, $2, $3) "
						  "ON CONFLICT (name) DO NOTHING",
						  3, (Oid[]) {TEXTOID, TEXTOID, NAMEOID},
						  (Datum[]) {CStringGetTextDatum(project), CStringGetTextDatum(ml_task_name(task)),
						  catalog_caller_name()},
						  NULL, false, 0);
	project_id = catalog_project_id(project, true, &existing);
	if (project_id != 0)
		catalog_check_manage(project_id, project);
	if (project_id == 0 || strcmp(existing, ml_task_name(task)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("project \"%s\" is a %s project, this %s is %s",
						project, existing ? existing : "?", what, ml_task_name(task))));
	return project_id;
}
