/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The one door to the mlsql catalog: every SQL statement on mlsql.*.
 *
 * Ordinary roles may only read the catalog, through row-level security.
 * What they may write (a run of their own training, a deployment of a
 * project they manage, ...) this module writes for them, as the extension
 * owner, one statement at a time.  The identity switch is the one
 * PostgreSQL's own maintenance commands make before running code on behalf
 * of another role:
 *
 *	- SetUserIdAndSecContext(owner, ... | SECURITY_LOCAL_USERID_CHANGE |
 *	  SECURITY_RESTRICTED_OPERATION): no SET ROLE, no temporary objects, no
 *	  way for anything the statement calls to change the session;
 *	- a new GUC nest level with search_path = pg_catalog, pg_temp, so no
 *	  object of the caller's (a now() or an "=" in a schema of its own) can
 *	  stand in for ours;
 *	- every function, operator and type in the statements schema-qualified
 *	  (OPERATOR(pg_catalog.=)), so the statement means the same under any
 *	  search_path; no IS DISTINCT FROM, IN (...), NULLIF, BETWEEN, LIKE or
 *	  CASE x WHEN, which look "=" and friends up by name (a check of
 *	  test/check_sources.sh);
 *	- the caller's arguments only ever as parameters ($1), never as text.
 *
 * The door closes on every exit: after the statement, or by transaction or
 * subtransaction abort, which restores the user id and unwinds the GUC
 * nest level.  The role recorded as owner, deployed_by, granted_by or
 * created_by is the caller's (its OID: a role dropped and created again
 * under the same name is another role).
 *
 * Reads run as the caller, so row-level security shows it only what it may
 * see; their SQL is qualified as well.  The exceptions look past row-level
 * security on purpose: the project row a write locks (the caller's rights
 * on it are computed by the same statement) and the visibility function
 * row-level security itself calls, mlsql.project_visible(id), which tells
 * a role about its own access and nothing else.
 *
 * All statements run in the caller's transaction: an error anywhere in a
 * training leaves no row behind.
 *
 * This file holds the door itself, projects and access, models,
 * deployments, aliases and grants; catalog_runs.c the statements on what a
 * training records (data versions, experiments, runs, metrics, artifacts),
 * through the functions of catalog_door.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "core/metrics.h"
#include "pg/catalog.h"
#include "pg/catalog_door.h"
#include "pg/mlsql_pg.h"

/* ---- the door ---- */

typedef struct Door
{
	Oid			caller;			/* the role the API was called by */
	Oid			save_user;
	int			save_sec;
	int			nest;			/* GUC nest level of the locked search_path */
} Door;

/* the owner of extension mlsql, read from pg_extension each time */
static Oid
extension_owner(void)
{
	Oid			ext = get_extension_oid("mlsql", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "could not find extension mlsql");
	owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

static void
door_open(Door *d)
{
	d->caller = GetUserId();
	GetUserIdAndSecContext(&d->save_user, &d->save_sec);
	SetUserIdAndSecContext(extension_owner(),
						   d->save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	d->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
door_close(Door *d)
{
	AtEOXact_GUC(false, d->nest);
	SetUserIdAndSecContext(d->save_user, d->save_sec);
}

/* one statement through the door; returns SPI's result code */
int
catalog_door_exec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls,
		  bool read_only, long limit)
{
	Door		d;
	int			rc;

	door_open(&d);
	rc = SPI_execute_with_args(sql, nargs, types, vals, nulls, read_only, limit);
	door_close(&d);
	return rc;
}

/* an INSERT ... RETURNING id through the door */
int64
catalog_door_insert(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls)
{
	bool		isnull;
	int			rc = catalog_door_exec(sql, nargs, types, vals, nulls, false, 0);

	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "catalog insert failed: %s", SPI_result_code_string(rc));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* a read as the caller (row-level security applies) */
int
catalog_read_exec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls,
		  bool read_only, long limit)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, vals, nulls, read_only, limit);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "catalog read failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* the first column of the first row of the last result as int64 (int4 or int8), or dflt */
int64
catalog_first_int(int64 dflt)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return dflt;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return dflt;
	return SPI_gettypeid(SPI_tuptable->tupdesc, 1) == INT4OID
		? DatumGetInt32(d) : DatumGetInt64(d);
}

double
catalog_first_float(int col)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return NAN;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	return isnull ? NAN : DatumGetFloat8(d);
}

/*
 * A schema installed before 0.3.0 (the library is updated before ALTER
 * EXTENSION mlsql UPDATE runs) keeps roles by name and has no
 * experiments.created_by: the door writes names there, so that training
 * and scoring go on until the update, through the same door.
 */
bool
catalog_legacy_schema(void)
{
	Oid			nsp = get_namespace_oid("mlsql", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("projects", nsp) : InvalidOid;
	AttrNumber	att = OidIsValid(rel) ? get_attnum(rel, "owner") : InvalidAttrNumber;

	return att != InvalidAttrNumber && get_atttype(rel, att) == NAMEOID;
}

/* a role as a parameter: its OID, or in a legacy schema its name */
Datum
catalog_role_arg(Oid role, bool legacy, Oid *type)
{
	if (!legacy)
	{
		*type = OIDOID;
		return ObjectIdGetDatum(role);
	}
	*type = NAMEOID;
	/* a name Datum is NAMEDATALEN bytes: namein pads it */
	return DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(role, false)));
}

/* ---- projects ---- */

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

char *
catalog_project_name_arg(const char *raw)
{
	const char *b = raw;
	const char *e = raw + strlen(raw);

	while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	return pnstrdup(b, e - b);
}

const char *
catalog_closest_project(const char *name)
{
	const char *best = NULL;
	int			best_d = INT_MAX;

	catalog_read_exec("SELECT p.name FROM mlsql.projects p ORDER BY p.id LIMIT 10000",
			  0, NULL, NULL, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *c = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		int			d;

		if (c == NULL || strlen(c) > 255 || strlen(name) > 255)
			continue;
		d = pg_strcasecmp(c, name) == 0 ? 0
			: varstr_levenshtein(name, strlen(name), c, strlen(c), 1, 1, 1, true);
		if (d < best_d)
		{
			best_d = d;
			best = c;
		}
	}
	return best && best_d <= Max(2, (int) strlen(name) / 3) ? best : NULL;
}

int64
catalog_project_find(const char *name, char **task)
{
	catalog_read_exec("SELECT p.id, p.task FROM mlsql.projects p WHERE p.name OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {TEXTOID}, (Datum[]) {TEXT_ARG(name)}, NULL, true, 1);
	if (SPI_processed == 0)
		return 0;
	if (task)
		*task = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return catalog_first_int(0);
}

/* 0.3.0's columns (projects.target, metric, runs.test_fingerprint, ...) are there */
#define has_project_target() (!catalog_legacy_schema())

bool
catalog_project_target(int64 project_id, char **target, char **kind)
{
	*target = *kind = NULL;
	if (!has_project_target())
		return false;
	catalog_read_exec("SELECT p.target, p.target_type FROM mlsql.projects p WHERE p.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, true, 1);
	if (SPI_processed == 0)
		return false;
	*target = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	*kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return *target != NULL;
}

void
catalog_check_target(const char *project, const char *old_target, const char *old_kind,
					 const CatalogTarget *t)
{
	if (old_target == NULL || t == NULL || t->name == NULL || t->retarget)
		return;
	if (strcmp(old_target, t->name) == 0 && (old_kind == NULL || strcmp(old_kind, t->kind) == 0))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("project \"%s\" predicts \"%s\"%s%s%s, this training's target is \"%s\" (%s)",
					project, old_target, old_kind ? " (" : "", old_kind ? old_kind : "", old_kind ? ")" : "",
					t->name, t->kind),
			 errdetail("A project keeps its target as it keeps its task: its versions are alternatives for one prediction."),
			 errhint("Train another project for \"%s\", or pass params => '{\"retarget\": true}' to make it the target of \"%s\" from this version on.",
					 t->name, project)));
}

char *
catalog_project_metric(int64 project_id)
{
	if (catalog_legacy_schema() || project_id == 0)
		return NULL;
	catalog_read_exec("SELECT p.metric FROM mlsql.projects p WHERE p.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

void
catalog_set_metric(int64 project_id, const char *metric)
{
	int			rc = catalog_door_exec("UPDATE mlsql.projects SET metric = $2 WHERE id OPERATOR(pg_catalog.=) $1",
							   2, (Oid[]) {INT8OID, TEXTOID},
							   (Datum[]) {Int64GetDatum(project_id), metric ? TEXT_ARG(metric) : (Datum) 0},
							   metric ? NULL : " n", false, 0);

	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "project metric update failed: %s", SPI_result_code_string(rc));
}

char *
catalog_project_name(int64 project_id)
{
	catalog_read_exec("SELECT p.name FROM mlsql.projects p WHERE p.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, true, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project " INT64_FORMAT " does not exist", project_id)));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

typedef enum Access
{
	ACCESS_NONE = 0,			/* no such project, or the caller cannot see it */
	ACCESS_USE,
	ACCESS_MANAGE
} Access;

/*
 * What the caller may do with a project, by name (id 0) or id, read past
 * row-level security as the owner; lock takes the row's lock for a write.
 * *id and *task (either may be NULL) get the project's id and task.
 */
#define ACCESS_SQL(key, lock) \
	"SELECT p.id, p.task, " \
	" pg_catalog.pg_has_role($2, p.owner::pg_catalog.oid, 'MEMBER'), " \
	" (SELECT pg_catalog.max(CASE WHEN g.level OPERATOR(pg_catalog.=) 'manage' THEN 2 ELSE 1 END) " \
	"  FROM mlsql.grants g WHERE g.project_id OPERATOR(pg_catalog.=) p.id " \
	"  AND pg_catalog.pg_has_role($2, g.role::pg_catalog.oid, 'MEMBER')) " \
	"FROM mlsql.projects p WHERE p." key " OPERATOR(pg_catalog.=) $1" lock

/* before 0.3.0: roles by name, which pg_has_role refuses once dropped */
#define LEGACY_HAS_ROLE(col) \
	"CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) " col ") " \
	"THEN pg_catalog.pg_has_role($2, " col ", 'MEMBER') ELSE false END"
#define LEGACY_ACCESS_SQL(key, lock) \
	"SELECT p.id, p.task, " LEGACY_HAS_ROLE("p.owner") ", " \
	" (SELECT pg_catalog.max(CASE WHEN g.level OPERATOR(pg_catalog.=) 'manage' THEN 2 ELSE 1 END) " \
	"  FROM mlsql.grants g WHERE g.project_id OPERATOR(pg_catalog.=) p.id " \
	"  AND " LEGACY_HAS_ROLE("g.role") ") " \
	"FROM mlsql.projects p WHERE p." key " OPERATOR(pg_catalog.=) $1" lock

static Access
project_access(const char *name, int64 pid, bool lock, int64 *id, char **task)
{
	const char *sql;
	bool		isnull;
	Datum		d;
	HeapTuple	tup;
	TupleDesc	td;
	int			rc;
	Access		a;

	if (catalog_legacy_schema())
	{
		if (name)
			sql = lock ? LEGACY_ACCESS_SQL("name", " FOR UPDATE OF p") : LEGACY_ACCESS_SQL("name", "");
		else
			sql = lock ? LEGACY_ACCESS_SQL("id", " FOR UPDATE OF p") : LEGACY_ACCESS_SQL("id", "");
	}
	else if (name)
		sql = lock ? ACCESS_SQL("name", " FOR UPDATE OF p") : ACCESS_SQL("name", "");
	else
		sql = lock ? ACCESS_SQL("id", " FOR UPDATE OF p") : ACCESS_SQL("id", "");
	rc = catalog_door_exec(sql, 2, (Oid[]) {name ? TEXTOID : INT8OID, OIDOID},
				   (Datum[]) {name ? TEXT_ARG(name) : Int64GetDatum(pid), ObjectIdGetDatum(GetUserId())},
				   NULL, !lock, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "project lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return ACCESS_NONE;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	if (DatumGetBool(SPI_getbinval(tup, td, 3, &isnull)))
		a = ACCESS_MANAGE;
	else
	{
		d = SPI_getbinval(tup, td, 4, &isnull);
		a = isnull ? ACCESS_NONE : DatumGetInt32(d) == 2 ? ACCESS_MANAGE : ACCESS_USE;
	}
	if (a != ACCESS_NONE)
	{
		if (id)
			*id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		if (task)
			*task = SPI_getvalue(tup, td, 2);
	}
	return a;
}

static void
no_project(const char *project)
{
	const char *near = catalog_closest_project(project);

	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("project \"%s\" does not exist", project),
			 near ? errhint("Perhaps you meant \"%s\".", near) : 0));
}

static void
no_manage(const char *project)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for project \"%s\"", project),
			 errhint("Its owner can grant it with ml_grant('%s', role, 'manage').", project)));
}

int64
catalog_project_for_write(const char *project, MLTask task, const char *what,
						  const CatalogTarget *target)
{
	char	   *existing = NULL;
	int64		project_id = 0;
	int			rc;
	Access		a;
	Oid			types[5] = {TEXTOID, TEXTOID, InvalidOid, TEXTOID, TEXTOID};
	Datum		vals[5];
	char		nulls[6] = "     ";
	bool		with_target = has_project_target();

	catalog_check_project_name(project);
	vals[0] = TEXT_ARG(project);
	vals[1] = TEXT_ARG(ml_task_name(task));
	vals[2] = catalog_role_arg(GetUserId(), catalog_legacy_schema(), &types[2]);
	vals[3] = target && target->name ? TEXT_ARG(target->name) : (Datum) 0;
	vals[4] = target && target->name ? TEXT_ARG(target->kind) : (Datum) 0;
	if (!(target && target->name))
		nulls[3] = nulls[4] = 'n';
	/* a new name that differs from a project the caller sees only in case is a typo */
	catalog_read_exec("SELECT p.name FROM mlsql.projects p WHERE pg_catalog.lower(p.name) OPERATOR(pg_catalog.=) "
			  "pg_catalog.lower($1) AND p.name OPERATOR(pg_catalog.<>) $1 "
			  "AND NOT EXISTS (SELECT 1 FROM mlsql.projects q WHERE q.name OPERATOR(pg_catalog.=) $1) LIMIT 1",
			  1, (Oid[]) {TEXTOID}, (Datum[]) {TEXT_ARG(project)}, NULL, false, 1);
	if (SPI_processed == 1)
	{
		char	   *twin = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("project \"%s\" would differ from project \"%s\" only in case", project, twin),
				 errhint("Use \"%s\", or a name that differs in more than case.", twin)));
	}
	rc = catalog_door_exec(with_target
				   ? "INSERT INTO mlsql.projects (name, task, owner, target, target_type) "
				   "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING"
				   : "INSERT INTO mlsql.projects (name, task, owner) VALUES ($1, $2, $3) "
				   "ON CONFLICT (name) DO NOTHING",
				   with_target ? 5 : 3, types, vals, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "project insert failed: %s", SPI_result_code_string(rc));
	a = project_access(project, 0, true, &project_id, &existing);
	if (a == ACCESS_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" does not exist", project),
				 errdetail("Project names are unique across roles, and this one is taken by a project you cannot see."),
				 errhint("Choose another project name.")));
	if (a != ACCESS_MANAGE)
		no_manage(project);
	if (strcmp(existing, ml_task_name(task)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("project \"%s\" is a %s project, this %s is %s",
						project, existing, what, ml_task_name(task))));
	if (with_target && target && target->name)
	{
		char	   *old_target,
				   *old_kind;

		/* the row is locked: read past row-level security like the lock did */
		rc = catalog_door_exec("SELECT p.target, p.target_type FROM mlsql.projects p "
					   "WHERE p.id OPERATOR(pg_catalog.=) $1",
					   1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "project target lookup failed");
		old_target = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		old_kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		catalog_check_target(project, old_target, old_kind, target);
		if (old_target == NULL || old_kind == NULL || strcmp(old_target, target->name) != 0 ||
			strcmp(old_kind, target->kind) != 0)
		{
			rc = catalog_door_exec("UPDATE mlsql.projects SET target = $2, target_type = $3 "
						   "WHERE id OPERATOR(pg_catalog.=) $1",
						   3, (Oid[]) {INT8OID, TEXTOID, TEXTOID},
						   (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(target->name),
						   TEXT_ARG(target->kind)}, NULL, false, 0);
			if (rc != SPI_OK_UPDATE)
				elog(ERROR, "project target update failed: %s", SPI_result_code_string(rc));
		}
	}
	return project_id;
}

int64
catalog_project_for_manage(const char *project, char **task)
{
	int64		pid = 0;
	Access		a = project_access(project, 0, true, &pid, task);

	if (a == ACCESS_NONE)
		no_project(project);
	if (a != ACCESS_MANAGE)
		no_manage(project);
	return pid;
}

/* whether the current role may manage the project (no error either way) */
bool
catalog_may_manage(int64 project_id)
{
	return project_access(NULL, project_id, false, NULL, NULL) == ACCESS_MANAGE;
}

void
catalog_require_manage(int64 project_id, const char *project)
{
	Access		a = project_access(NULL, project_id, false, NULL, NULL);

	if (a == ACCESS_NONE)
		no_project(project);
	if (a != ACCESS_MANAGE)
		no_manage(project);
}

/*
 * mlsql.project_visible(id bigint) RETURNS boolean: whether the current
 * role may see the project (owns it, is a member of its owner, or was
 * granted it).  Row-level security on the catalog calls it; it answers
 * only for the calling role, false for an id that does not exist.
 * Answers are kept for the rest of the query (fn_extra).
 */
typedef struct VisibleMemo
{
	Oid			user;
	int			n;
	int64		ids[64];
	bool		visible[64];
} VisibleMemo;

PG_FUNCTION_INFO_V1(mlsql_project_visible);
Datum
mlsql_project_visible(PG_FUNCTION_ARGS)
{
	int64		pid;
	VisibleMemo *memo = fcinfo->flinfo->fn_extra;
	bool		visible;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	pid = PG_GETARG_INT64(0);
	if (memo == NULL)
	{
		memo = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VisibleMemo));
		fcinfo->flinfo->fn_extra = memo;
	}
	if (memo->user != GetUserId())
	{
		memo->user = GetUserId();
		memo->n = 0;
	}
	for (int i = 0; i < memo->n; i++)
		if (memo->ids[i] == pid)
			PG_RETURN_BOOL(memo->visible[i]);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	visible = project_access(NULL, pid, false, NULL, NULL) != ACCESS_NONE;
	SPI_finish();

	/* the latest 64 answers: a catalog scan meets few projects */
	if (memo->n == lengthof(memo->ids))
	{
		memmove(memo->ids, memo->ids + 1, sizeof(int64) * (memo->n - 1));
		memmove(memo->visible, memo->visible + 1, sizeof(bool) * (memo->n - 1));
		memo->n--;
	}
	memo->ids[memo->n] = pid;
	memo->visible[memo->n] = visible;
	memo->n++;
	PG_RETURN_BOOL(visible);
}

/*
 * mlsql.require_manage(project text) RETURNS void: an error unless the
 * caller manages the project (42704 when it cannot see it); for the SQL
 * functions of the install script (ml_schedule).
 */
PG_FUNCTION_INFO_V1(mlsql_require_manage);
Datum
mlsql_require_manage(PG_FUNCTION_ARGS)
{
	char	   *project;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("project must not be NULL")));
	project = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	switch (project_access(project, 0, false, NULL, NULL))
	{
		case ACCESS_NONE:
			no_project(project);
			break;
		case ACCESS_USE:
			no_manage(project);
			break;
		case ACCESS_MANAGE:
			break;
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---- models, deployments, aliases, grants ---- */

int64
catalog_deployed_model(int64 project_id)
{
	catalog_read_exec("SELECT d.model_id FROM mlsql.deployments d WHERE d.project_id OPERATOR(pg_catalog.=) $1 "
			  "ORDER BY d.id DESC LIMIT 1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, true, 1);
	return catalog_first_int(0);
}

int64
catalog_model_by_version(int64 project_id, int32 version)
{
	catalog_read_exec("SELECT m.id FROM mlsql.models m WHERE m.project_id OPERATOR(pg_catalog.=) $1 "
			  "AND m.version OPERATOR(pg_catalog.=) $2",
			  2, (Oid[]) {INT8OID, INT4OID},
			  (Datum[]) {Int64GetDatum(project_id), Int32GetDatum(version)}, NULL, true, 1);
	return catalog_first_int(0);
}

int64
catalog_model_by_alias(int64 project_id, const char *alias)
{
	catalog_read_exec("SELECT a.model_id FROM mlsql.aliases a WHERE a.project_id OPERATOR(pg_catalog.=) $1 "
			  "AND a.alias OPERATOR(pg_catalog.=) $2",
			  2, (Oid[]) {INT8OID, TEXTOID},
			  (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(alias)}, NULL, true, 1);
	return catalog_first_int(0);
}

bool
catalog_model_stamp(int64 model_id, char *stamp, size_t stamp_len, double *threshold)
{
	Oid			nsp = get_namespace_oid("mlsql", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("models", nsp) : InvalidOid;
	char	   *s;

	/*
	 * The threshold column came with 0.2.0: a library newer than the
	 * installed schema (before ALTER EXTENSION UPDATE) must still score
	 */
	catalog_read_exec(OidIsValid(rel) && get_attnum(rel, "threshold") != InvalidAttrNumber
			  ? "SELECT m.hash OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) m.xmin::pg_catalog.text, "
			  "m.threshold FROM mlsql.models m WHERE m.id OPERATOR(pg_catalog.=) $1"
			  : "SELECT m.hash OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) m.xmin::pg_catalog.text, "
			  "NULL::pg_catalog.float8 FROM mlsql.models m WHERE m.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(model_id)}, NULL, true, 1);
	if (SPI_processed == 0)
		return false;
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	strlcpy(stamp, s ? s : "", stamp_len);
	*threshold = catalog_first_float(2);
	return true;
}

bytea *
catalog_model_bytes(int64 model_id)
{
	bool		isnull;
	Datum		d;

	catalog_read_exec("SELECT m.model FROM mlsql.models m WHERE m.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(model_id)}, NULL, true, 1);
	if (SPI_processed == 0)
		return NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? NULL : DatumGetByteaPCopy(d);
}

int32
catalog_model_version(int64 model_id)
{
	catalog_read_exec("SELECT m.version FROM mlsql.models m WHERE m.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(model_id)}, NULL, true, 1);
	return (int32) catalog_first_int(0);
}

int64
catalog_model_dataset(int64 model_id)
{
	catalog_read_exec("SELECT r.dataset_id FROM mlsql.models mo JOIN mlsql.runs r "
			  "ON r.id OPERATOR(pg_catalog.=) mo.run_id WHERE mo.id OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(model_id)}, NULL, true, 1);
	return catalog_first_int(0);
}

double
catalog_recorded_score(int64 model_id, const char *metric)
{
	catalog_read_exec("SELECT mt.value FROM mlsql.models mo JOIN mlsql.metrics mt "
			  "ON mt.run_id OPERATOR(pg_catalog.=) mo.run_id "
			  "WHERE mo.id OPERATOR(pg_catalog.=) $1 AND mt.name OPERATOR(pg_catalog.=) $2 "
			  "AND mt.step IS NULL "
			  "AND mt.split OPERATOR(pg_catalog.=) ANY ('{test,train}'::pg_catalog.text[]) "
			  "ORDER BY mt.split OPERATOR(pg_catalog.=) 'test' DESC LIMIT 1",
			  2, (Oid[]) {INT8OID, TEXTOID},
			  (Datum[]) {Int64GetDatum(model_id), TEXT_ARG(metric)}, NULL, true, 1);
	return catalog_first_float(1);
}

int32
catalog_strategy_version(int64 project_id, const char *strategy, const char *key, int *left_out)
{
	*left_out = 0;
	if (strcmp(strategy, "most_recent") == 0)
		catalog_read_exec("SELECT pg_catalog.max(m.version) FROM mlsql.models m "
				  "WHERE m.project_id OPERATOR(pg_catalog.=) $1",
				  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	else if (strcmp(strategy, "best_score") == 0 && catalog_legacy_schema())
		catalog_read_exec("SELECT mo.version FROM mlsql.models mo JOIN mlsql.metrics mt "
				  "ON mt.run_id OPERATOR(pg_catalog.=) mo.run_id AND mt.step IS NULL "
				  "AND mt.name OPERATOR(pg_catalog.=) $2 AND mt.split OPERATOR(pg_catalog.=) 'test' "
				  "WHERE mo.project_id OPERATOR(pg_catalog.=) $1 "
				  "AND mt.value OPERATOR(pg_catalog.=) mt.value "
				  "ORDER BY CASE WHEN $3 THEN OPERATOR(pg_catalog.-) mt.value ELSE mt.value END DESC, "
				  "mo.version DESC LIMIT 1",
				  3, (Oid[]) {INT8OID, TEXTOID, BOOLOID},
				  (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(key), BoolGetDatum(metrics_lower_better(key))},
				  NULL, false, 1);
	else if (strcmp(strategy, "best_score") == 0)
	{
		/*
		 * Only scores taken on the same test rows compare: the candidates
		 * are the versions scored on the rows of the live version (else of
		 * the latest version with a test score); *left_out counts the
		 * others.
		 */
		catalog_read_exec("WITH s AS (SELECT mo.version, mt.value, r.test_fingerprint AS rows FROM mlsql.models mo "
				  " JOIN mlsql.runs r ON r.id OPERATOR(pg_catalog.=) mo.run_id "
				  " JOIN mlsql.metrics mt ON mt.run_id OPERATOR(pg_catalog.=) mo.run_id AND mt.step IS NULL "
				  " AND mt.name OPERATOR(pg_catalog.=) $2 AND mt.split OPERATOR(pg_catalog.=) 'test' "
				  " WHERE mo.project_id OPERATOR(pg_catalog.=) $1 AND mt.value OPERATOR(pg_catalog.=) mt.value), "
				  "latest AS (SELECT s.rows FROM s ORDER BY s.version OPERATOR(pg_catalog.=) "
				  "  (SELECT m.version FROM mlsql.deployments d JOIN mlsql.models m ON m.id OPERATOR(pg_catalog.=) d.model_id "
				  "   WHERE d.project_id OPERATOR(pg_catalog.=) $1 ORDER BY d.id DESC LIMIT 1) DESC NULLS LAST, "
				  "  s.version DESC LIMIT 1) "
				  "SELECT s.version, (SELECT pg_catalog.count(*) FROM s t, latest "
				  "                   WHERE NOT coalesce(t.rows OPERATOR(pg_catalog.=) latest.rows, "
				  "                                      t.rows IS NULL AND latest.rows IS NULL))::pg_catalog.int4 "
				  "FROM s, latest WHERE coalesce(s.rows OPERATOR(pg_catalog.=) latest.rows, "
				  "                              s.rows IS NULL AND latest.rows IS NULL) "
				  "ORDER BY CASE WHEN $3 THEN OPERATOR(pg_catalog.-) s.value ELSE s.value END DESC, "
				  "s.version DESC LIMIT 1",
				  3, (Oid[]) {INT8OID, TEXTOID, BOOLOID},
				  (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(key), BoolGetDatum(metrics_lower_better(key))},
				  NULL, false, 1);
		if (SPI_processed == 1)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

			*left_out = isnull ? 0 : DatumGetInt32(d);
		}
	}
	else if (strcmp(strategy, "rollback") == 0)
		catalog_read_exec("SELECT mo.version FROM mlsql.deployments d JOIN mlsql.models mo "
				  "ON mo.id OPERATOR(pg_catalog.=) d.previous_model_id "
				  "WHERE d.project_id OPERATOR(pg_catalog.=) $1 ORDER BY d.id DESC LIMIT 1",
				  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	else
		elog(ERROR, "unknown deployment strategy \"%s\"", strategy);
	return (int32) catalog_first_int(-1);
}

int64
catalog_model_by_hash(int64 project_id, const char *hash, int32 *version)
{
	catalog_read_exec("SELECT m.id, m.version FROM mlsql.models m WHERE m.project_id OPERATOR(pg_catalog.=) $1 "
			  "AND m.hash OPERATOR(pg_catalog.=) $2 ORDER BY m.version DESC LIMIT 1",
			  2, (Oid[]) {INT8OID, TEXTOID}, (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(hash)},
			  NULL, false, 1);
	if (SPI_processed == 0)
		return 0;
	{
		bool		isnull;

		*version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	return catalog_first_int(0);
}

int64
catalog_insert_model(int64 project_id, int64 run_id, const char *algorithm,
					 const void *bytes, size_t len, int32 *version)
{
	bytea	   *b = palloc(VARHDRSZ + len);
	int			rc;

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), bytes, len);
	/* the project row is locked (catalog_project_for_write): versions follow one another */
	rc = catalog_door_exec("SELECT COALESCE(pg_catalog.max(m.version), 0) OPERATOR(pg_catalog.+) 1 "
				   "FROM mlsql.models m WHERE m.project_id OPERATOR(pg_catalog.=) $1",
				   1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "model version lookup failed: %s", SPI_result_code_string(rc));
	*version = (int32) catalog_first_int(1);
	return catalog_door_insert("INSERT INTO mlsql.models (project_id, version, run_id, algorithm, model, "
					   "size_bytes, hash) VALUES ($1, $2, $3, $4, $5, $6, "
					   "pg_catalog.encode(pg_catalog.sha256($5), 'hex')) RETURNING id",
					   6, (Oid[]) {INT8OID, INT4OID, INT8OID, TEXTOID, BYTEAOID, INT4OID},
					   (Datum[]) {Int64GetDatum(project_id), Int32GetDatum(*version),
						   Int64GetDatum(run_id), TEXT_ARG(algorithm), PointerGetDatum(b),
					   Int32GetDatum((int32) len)},
					   NULL);
}

void
catalog_deploy(int64 project_id, int64 model_id, const char *strategy, const CatalogDecision *why)
{
	int64		previous;
	int			rc;
	Oid			role_type;
	Datum		role = catalog_role_arg(GetUserId(), catalog_legacy_schema(), &role_type);
	Datum		v[10];
	char		nulls[11] = "          ";

	rc = catalog_door_exec("SELECT d.model_id FROM mlsql.deployments d "
				   "WHERE d.project_id OPERATOR(pg_catalog.=) $1 ORDER BY d.id DESC LIMIT 1",
				   1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "deployment lookup failed: %s", SPI_result_code_string(rc));
	previous = catalog_first_int(0);
	v[0] = Int64GetDatum(project_id);
	v[1] = Int64GetDatum(model_id);
	v[2] = TEXT_ARG(strategy);
	v[3] = Int64GetDatum(previous);
	nulls[3] = previous == 0 ? 'n' : ' ';
	v[4] = role;
	/* why: the metric, both scores, how the live one was taken, a sentence */
	v[5] = why && why->metric ? TEXT_ARG(why->metric) : (Datum) 0;
	nulls[5] = why && why->metric ? ' ' : 'n';
	v[6] = Float8GetDatum(why ? why->score : NAN);
	nulls[6] = why && !isnan(why->score) ? ' ' : 'n';
	v[7] = Float8GetDatum(why ? why->live_score : NAN);
	nulls[7] = why && !isnan(why->live_score) ? ' ' : 'n';
	v[8] = why && why->basis ? TEXT_ARG(why->basis) : (Datum) 0;
	nulls[8] = why && why->basis ? ' ' : 'n';
	v[9] = why && why->reason ? TEXT_ARG(why->reason) : (Datum) 0;
	nulls[9] = why && why->reason ? ' ' : 'n';
	rc = catalog_door_exec(catalog_legacy_schema()
				   ? "INSERT INTO mlsql.deployments "
				   "(project_id, model_id, strategy, previous_model_id, deployed_by) "
				   "SELECT $1, $2, $3, $4, $5 FROM mlsql.models m "
				   "WHERE m.id OPERATOR(pg_catalog.=) $2 AND m.project_id OPERATOR(pg_catalog.=) $1"
				   : "INSERT INTO mlsql.deployments "
				   "(project_id, model_id, strategy, previous_model_id, deployed_by, metric, score, "
				   "live_score, basis, reason) "
				   "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM mlsql.models m "
				   "WHERE m.id OPERATOR(pg_catalog.=) $2 AND m.project_id OPERATOR(pg_catalog.=) $1",
				   catalog_legacy_schema() ? 5 : 10,
				   (Oid[]) {INT8OID, INT8OID, TEXTOID, INT8OID, role_type, TEXTOID, FLOAT8OID, FLOAT8OID,
				   TEXTOID, TEXTOID},
				   v, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "deployment insert failed: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model " INT64_FORMAT " does not belong to the project", model_id)));
}

void
catalog_set_alias(int64 project_id, const char *alias, int64 model_id)
{
	int			rc = catalog_door_exec("INSERT INTO mlsql.aliases (project_id, alias, model_id) VALUES ($1, $2, $3) "
							   "ON CONFLICT (project_id, alias) DO UPDATE SET model_id = EXCLUDED.model_id",
							   3, (Oid[]) {INT8OID, TEXTOID, INT8OID},
							   (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(alias), Int64GetDatum(model_id)},
							   NULL, false, 0);

	if (rc != SPI_OK_INSERT)
		elog(ERROR, "alias insert failed: %s", SPI_result_code_string(rc));
}

void
catalog_set_grant(int64 project_id, Oid role, const char *level)
{
	int			rc;
	bool		legacy = catalog_legacy_schema();
	Oid			role_type,
				by_type;
	Datum		role_d = catalog_role_arg(role, legacy, &role_type),
				by_d = catalog_role_arg(GetUserId(), legacy, &by_type);

	if (strcmp(level, "none") == 0)
		rc = catalog_door_exec(legacy
					   ? "DELETE FROM mlsql.grants g WHERE g.project_id OPERATOR(pg_catalog.=) $1 "
					   "AND g.role OPERATOR(pg_catalog.=) $2"
					   : "DELETE FROM mlsql.grants g WHERE g.project_id OPERATOR(pg_catalog.=) $1 "
					   "AND g.role::pg_catalog.oid OPERATOR(pg_catalog.=) $2",
					   2, (Oid[]) {INT8OID, role_type},
					   (Datum[]) {Int64GetDatum(project_id), role_d}, NULL, false, 0);
	else
		rc = catalog_door_exec("INSERT INTO mlsql.grants (project_id, role, level, granted_by) "
					   "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, role) "
					   "DO UPDATE SET level = EXCLUDED.level, granted_by = EXCLUDED.granted_by, "
					   "granted_at = pg_catalog.now()",
					   4, (Oid[]) {INT8OID, role_type, TEXTOID, by_type},
					   (Datum[]) {Int64GetDatum(project_id), role_d, TEXT_ARG(level), by_d},
					   NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "grant failed: %s", SPI_result_code_string(rc));
}

void
catalog_set_threshold(int64 model_id, double threshold, bool isnull)
{
	int			rc = catalog_door_exec("UPDATE mlsql.models SET threshold = $1 WHERE id OPERATOR(pg_catalog.=) $2",
							   2, (Oid[]) {FLOAT8OID, INT8OID},
							   (Datum[]) {Float8GetDatum(threshold), Int64GetDatum(model_id)},
							   isnull ? "n " : NULL, false, 0);

	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "threshold update failed: %s", SPI_result_code_string(rc));
}

/* ---- jsonb ---- */

Datum
json_text_to_jsonb(const char *json, size_t len)
{
	char	   *s = palloc(len + 1);

	memcpy(s, json, len);
	s[len] = '\0';
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/*
 * A planner setting for a query the caller runs as himself (the partitions
 * engine sorts its groups instead of hashing them, so one partition's rows
 * are in memory at a time): set at a new GUC nest level, which
 * catalog_planner_restore pops.  No identity changes.
 */
int
catalog_planner_setting(const char *name, const char *value)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
catalog_planner_restore(int nest)
{
	AtEOXact_GUC(true, nest);
}

/* the ids of the project's models of one algorithm, newest version first (read as the caller) */
int64 *
catalog_project_models(int64 project_id, const char *algorithm, int *n)
{
	int64	   *ids;

	catalog_read_exec("SELECT m.id FROM mlsql.models m WHERE m.project_id OPERATOR(pg_catalog.=) $1 "
					  "AND m.algorithm OPERATOR(pg_catalog.=) $2 ORDER BY m.version DESC",
					  2, (Oid[]) {INT8OID, TEXTOID}, (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(algorithm)},
					  NULL, false, 0);
	*n = (int) SPI_processed;
	ids = palloc(sizeof(int64) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	return ids;
}
