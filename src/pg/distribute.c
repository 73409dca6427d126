/*-------------------------------------------------------------------------
 *
 * distribute.c
 *	  Scoring on the workers of a Citus cluster: the coordinator ships the
 *	  model.
 *
 * Training, the registry and every catalog row live on the coordinator; a
 * worker's mlsql catalog is empty, and role OIDs differ from node to node,
 * so a worker cannot resolve 'p', 'p@3', 'p@alias' or a model id itself.
 * The coordinator does, while it plans the query: where a query calls
 * ml_predict, ml_predict_proba, ml_predict_label, ml_transform,
 * ml_explain_values or ml_explain with a constant reference (a literal, or
 * a parameter whose value the plan is made for), the call is replaced by
 * the same function of the model's bytes and threshold (mlsql.*_shipped),
 * and Citus sends those to the shards with the rest of the query.
 *
 * The reference is resolved as the caller, under the coordinator's grants
 * and row-level security, exactly as the call itself would.  The plan
 * depends on the catalog tables a resolution reads (their statement
 * triggers send relcache invalidations, so a cached plan is made again
 * after a deployment), on the role (a plan is not reused by another role),
 * and on role memberships (a change resets this backend's cached plans).
 *
 * Only in a database where the citus extension is installed, and only
 * when mlsql is loaded before the query is planned (shared_preload_libraries
 * = 'citus,mlsql'): on one node nothing changes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "pg/cache.h"
#include "pg/distribute.h"
#include "pg/mlsql_pg.h"

/* a scoring function that takes a reference, and its shipped twin */
typedef struct ShipTarget
{
	const char *symbol;			/* C symbol of the function by reference */
	const char *shipped;		/* mlsql.<shipped>(bytea, features, float8) */
	bool		by_id;			/* argument 0 is a model id */
	bool		is_record;		/* argument 1 is a record */
} ShipTarget;

#define TARGET4(base, shipped) \
	{"mlsql_" base "_ref_array", shipped, false, false}, \
	{"mlsql_" base "_ref_record", shipped, false, true}, \
	{"mlsql_" base "_id_array", shipped, true, false}, \
	{"mlsql_" base "_id_record", shipped, true, true}

static const ShipTarget targets[] = {
	TARGET4("predict", "predict_shipped"),
	TARGET4("predict_proba", "predict_proba_shipped"),
	TARGET4("predict_label", "predict_label_shipped"),
	TARGET4("transform", "transform_shipped"),
	TARGET4("explain", "explain_values_shipped"),
	TARGET4("explain_rows", "explain_shipped"),
};

/* per function OID: which target it is (or none), and its twin's OID */
typedef struct FuncEntry
{
	Oid			fn;				/* hash key */
	const ShipTarget *target;	/* NULL: not a scoring function by reference */
	Oid			shipped;
} FuncEntry;

static HTAB *func_cache = NULL;
static planner_hook_type prev_planner = NULL;
static bool shipped_once = false;	/* this backend has planned a shipped call */

static void
func_cache_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	if (func_cache)
	{
		hash_destroy(func_cache);
		func_cache = NULL;
	}
}

/* role or membership changes: plans resolved for the old rights go */
static void
role_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	if (shipped_once)
		ResetPlanCache();
}

/* the target a function OID is, or NULL */
static const ShipTarget *
ship_target(Oid fn, Oid *shipped)
{
	FuncEntry  *e;
	bool		found;
	HeapTuple	tup;

	if (func_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FuncEntry);
		ctl.hcxt = CacheMemoryContext;
		func_cache = hash_create("mlsql scoring functions", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = hash_search(func_cache, &fn, HASH_ENTER, &found);
	if (found)
	{
		*shipped = e->shipped;
		return e->target;
	}
	e->target = NULL;
	e->shipped = InvalidOid;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc pp = (Form_pg_proc) GETSTRUCT(tup);
		bool		isnull;
		Datum		d;

		if (pp->prolang == ClanguageId)
		{
			d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
			if (!isnull && strcmp(TextDatumGetCString(d), "$libdir/mlsql") == 0)
			{
				char	   *src;

				d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
				src = isnull ? "" : TextDatumGetCString(d);
				for (int i = 0; i < (int) lengthof(targets); i++)
					if (strcmp(src, targets[i].symbol) == 0)
					{
						Oid			argtypes[3] = {BYTEAOID,
							targets[i].is_record ? RECORDOID : FLOAT8ARRAYOID, FLOAT8OID};

						e->shipped = LookupFuncName(list_make2(makeString("mlsql"),
															   makeString((char *) targets[i].shipped)),
													3, argtypes, true);
						/* an older schema without the twins: leave the call */
						if (OidIsValid(e->shipped))
							e->target = &targets[i];
						break;
					}
			}
		}
		ReleaseSysCache(tup);
	}
	*shipped = e->shipped;
	return e->target;
}

typedef struct ShipContext
{
	ParamListInfo params;
	int			citus;			/* -1 not known yet, 0 absent, 1 present */
	bool		shipped;
} ShipContext;

/* the constant value of a reference argument, if it has one */
static Const *
constant_ref(Node *arg, ParamListInfo params)
{
	if (IsA(arg, Const))
		return (Const *) arg;
	if (IsA(arg, Param) && params && ((Param *) arg)->paramkind == PARAM_EXTERN)
	{
		Param	   *p = (Param *) arg;
		ParamExternData *prm,
					prmdata;

		if (p->paramid <= 0 || p->paramid > params->numParams)
			return NULL;
		prm = params->paramFetch
			? params->paramFetch(params, p->paramid, true, &prmdata)
			: &params->params[p->paramid - 1];
		if (prm == NULL || !(prm->pflags & PARAM_FLAG_CONST) || prm->ptype != p->paramtype)
			return NULL;
		return makeConst(p->paramtype, p->paramtypmod, p->paramcollid,
						 p->paramtype == INT8OID ? 8 : -1, prm->value, prm->isnull,
						 p->paramtype == INT8OID ? FLOAT8PASSBYVAL : false);
	}
	if (!IsA(arg, Param))
	{
		/* a cast of a literal, 42::bigint: immutable functions fold */
		arg = eval_const_expressions(NULL, copyObject(arg));
		if (IsA(arg, Const))
			return (Const *) arg;
	}
	return NULL;
}

static bool
ship_walker(Node *node, ShipContext *cx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, ship_walker, cx, 0);
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *fe = (FuncExpr *) node;
		Oid			shipped;
		const ShipTarget *t = ship_target(fe->funcid, &shipped);
		Const	   *ref;

		if (t && list_length(fe->args) == 2 &&
			(ref = constant_ref(linitial(fe->args), cx->params)) != NULL && !ref->constisnull)
		{
			double		threshold;
			bytea	   *bytes;

			if (cx->citus < 0)
				cx->citus = OidIsValid(get_extension_oid("citus", true)) ? 1 : 0;
			if (cx->citus == 0)
				return true;	/* one node: nothing to do anywhere */
			bytes = t->by_id
				? shipped_model(NULL, DatumGetInt64(ref->constvalue), &threshold)
				: shipped_model(TextDatumGetCString(ref->constvalue), 0, &threshold);
			fe->funcid = shipped;
			fe->args = list_make3(makeConst(BYTEAOID, -1, InvalidOid, -1,
											PointerGetDatum(bytes), false, false),
								  lsecond(fe->args),
								  makeConst(FLOAT8OID, -1, InvalidOid, 8,
											Float8GetDatum(threshold), false, FLOAT8PASSBYVAL));
			cx->shipped = true;
		}
	}
	return expression_tree_walker(node, ship_walker, cx);
}

/* the catalog tables a reference's resolution reads */
static void
depend_on_catalog(PlannedStmt *stmt)
{
	static const char *const tables[] =
	{"projects", "grants", "models", "deployments", "aliases"};
	Oid			nsp = get_namespace_oid("mlsql", true);

	for (int i = 0; i < (int) lengthof(tables) && OidIsValid(nsp); i++)
	{
		Oid			rel = get_relname_relid(tables[i], nsp);

		if (OidIsValid(rel))
			stmt->relationOids = lappend_oid(stmt->relationOids, rel);
	}
	stmt->dependsOnRole = true;
}

static PlannedStmt *
mlsql_planner(Query *parse, const char *query_string, int cursorOptions,
			  ParamListInfo boundParams)
{
	ShipContext cx = {boundParams, -1, false};
	PlannedStmt *stmt;

	if (parse->commandType != CMD_UTILITY)
		(void) query_tree_walker(parse, ship_walker, &cx, 0);
	stmt = prev_planner
		? prev_planner(parse, query_string, cursorOptions, boundParams)
		: standard_planner(parse, query_string, cursorOptions, boundParams);
	if (cx.shipped)
	{
		depend_on_catalog(stmt);
		shipped_once = true;
	}
	return stmt;
}

void
distribute_init(void)
{
	prev_planner = planner_hook;
	planner_hook = mlsql_planner;
	CacheRegisterSyscacheCallback(PROCOID, func_cache_cb, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, role_cb, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, role_cb, (Datum) 0);
}
