/*-------------------------------------------------------------------------
 *
 * cache.c
 *	  The backend model cache and model references: model_for_id,
 *	  resolve_model_ref, the reference cache (model_for_ref) and its
 *	  invalidation trigger mlsql.catalog_changed().
 *
 * Deserialized models are cached per backend by model id, each in its own
 * memory context under CacheMemoryContext, and used while the row's sha256
 * and row version still match.  A reference ('p', 'p@3', 'p@alias' or a
 * model id) is resolved once per query in the calling expression's
 * fn_extra, so the per-row path does no catalog lookup and no allocation
 * beyond its result (predict.c).
 *
 * Across queries, resolved references are kept in a second backend cache,
 * keyed by the current user and the reference, so that a point query pays
 * a hash lookup instead of three catalog queries.  It is emptied by every
 * change that could change an answer: statement triggers on the catalog
 * tables a lookup reads send a relcache invalidation for their table
 * (mlsql_catalog_changed, sent to every backend at commit and seen by our
 * own backend at the next command), and role or membership changes arrive
 * as syscache invalidations.  An entry is filled only from a snapshot taken
 * after the invalidations seen so far, and only when none arrived during
 * the lookup, so a deployment committed before a statement starts is always
 * seen by it.  Transactions with one snapshot (repeatable read,
 * serializable) and parallel queries do not use it: their lookups follow
 * their snapshot, as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"

typedef struct ModelCacheEntry
{
	int64		model_id;		/* hash key */
	MemoryContext cxt;			/* owns model */
	MLModel    *model;
	char		hash[96];		/* "sha256:xmin" of the row it was read from */
} ModelCacheEntry;

static HTAB *model_cache = NULL;

/*
 * model_for_id: the deserialized model with this id, from the backend cache
 * or read from mlsql.models.  Errors when there is no such model or its
 * bytes are corrupted.  The result lives as long as the backend.
 */
MLModel *
model_for_id(int64 model_id)
{
	ModelCacheEntry *e;
	bool		found;
	MemoryContext cxt,
				old;
	bytea	   *b;
	MLModel    *m;
	char		hash[96];
	double		threshold;

	if (model_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(ModelCacheEntry);
		ctl.hcxt = CacheMemoryContext;
		model_cache = hash_create("mlsql model cache", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	/*
	 * One small lookup per query and reference: the cached model is used
	 * only while the row's sha256 and xmin are the ones it was read from
	 * (ids can be reused after DROP EXTENSION, and rows can be updated by
	 * hand; either changes the row version).
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!catalog_model_stamp(model_id, hash, sizeof(hash), &threshold))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model " INT64_FORMAT " does not exist", model_id),
				 OidIsValid(get_extension_oid("citus", true))
				 ? errdetail("On Citus, models live on the coordinator: a worker scores the model the coordinator ships with the query (see \"Scaling out\" in the README).")
				 : 0));
	e = hash_search(model_cache, &model_id, HASH_FIND, NULL);
	if (e && strcmp(e->hash, hash) == 0)
	{
		SPI_finish();
		return e->model;
	}

	b = catalog_model_bytes(model_id);
	if (b == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model " INT64_FORMAT " has no bytes", model_id)));

	/* deserialize under SPI memory: an error frees the partial model */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "mlsql model",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	m = model_read((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	m->threshold = threshold;
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(cxt, CacheMemoryContext);

	/*
	 * A stale entry's model is not freed: a caller may still hold it for the
	 * rest of its statement.  Stale entries only arise when a model row's
	 * bytes change, which mlsql itself never does.
	 */
	e = hash_search(model_cache, &model_id, HASH_ENTER, &found);
	e->cxt = cxt;
	e->model = m;
	strlcpy(e->hash, hash, sizeof(e->hash));
	SPI_finish();
	return m;
}

/*
 * shipped_model: the bytes of the model a reference names for the current
 * user (ref, or the model id when ref is NULL), copied into the caller's
 * memory, and its threshold (NaN when it has none).  What the coordinator
 * of a Citus cluster ships to the workers in place of the reference.
 */
bytea *
shipped_model(const char *ref, int64 id, double *threshold)
{
	MemoryContext caller = CurrentMemoryContext;
	char		stamp[96];
	bytea	   *b,
			   *copy;

	if (ref)
		id = resolve_model_ref(ref, NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!catalog_model_stamp(id, stamp, sizeof(stamp), threshold))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model " INT64_FORMAT " does not exist", id)));
	b = catalog_model_bytes(id);
	if (b == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model " INT64_FORMAT " has no bytes", id)));
	copy = MemoryContextAlloc(caller, VARSIZE(b));
	memcpy(copy, b, VARSIZE(b));
	SPI_finish();
	return copy;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * resolve_model_ref: 'project' -> its deployed model, 'project@3' ->
 * version 3, 'project@alias' -> the aliased model.
 */
int64
resolve_model_ref(const char *ref, int64 *project_id)
{
	char	   *name = catalog_project_name_arg(ref);
	char	   *at = strchr(name, '@');
	const char *suffix = NULL;
	int64		pid,
				mid = 0;

	if (at)
	{
		*at = '\0';
		name = catalog_project_name_arg(name);
		suffix = catalog_project_name_arg(at + 1);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pid = catalog_project_find(name, NULL);
	if (pid == 0 && catalog_closest_project(name) == NULL &&
		OidIsValid(get_extension_oid("citus", true)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" does not exist on this node", name),
				 errdetail("On Citus, projects live on the coordinator: a worker scores the model the coordinator ships with the query."),
				 errhint("Train with ml_train('%s', ...) on the coordinator, load mlsql there before queries are planned (shared_preload_libraries = 'citus,mlsql'), and give the reference as a constant.", name)));
	if (pid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" does not exist", name),
				 catalog_closest_project(name)
				 ? errhint("Perhaps you meant \"%s\".", catalog_closest_project(name))
				 : errhint("Train a model with ml_train('%s', ...) first.", name)));
	if (suffix == NULL)
	{
		mid = catalog_deployed_model(pid);
		if (mid == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("project \"%s\" has no deployed model", name),
					 errhint("Deploy a version with ml_deploy('%s', version), or score one with '%s@version'.",
							 name, name)));
	}
	else
	{
		bool		by_version = all_digits(suffix);

		if (by_version)
		{
			int32		version;

			/* digits past int4 name no version */
			version = strlen(suffix) > 9 ? -1 : (int32) strtol(suffix, NULL, 10);
			mid = version < 0 ? 0 : catalog_model_by_version(pid, version);
		}
		else
			mid = catalog_model_by_alias(pid, suffix);
		if (mid == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 by_version
					 ? errmsg("project \"%s\" has no version %s", name, suffix)
					 : errmsg("project \"%s\" has no alias \"%s\"", name, suffix)));
	}
	SPI_finish();
	if (project_id)
		*project_id = pid;
	return mid;
}

/* ---- the reference cache ---- */

#define REF_KEY_LEN 256
#define N_LOOKUP_TABLES 5

typedef struct RefCacheEntry
{
	char		key[REF_KEY_LEN];	/* "user:reference" or "user#id" */
	MLModel    *model;
} RefCacheEntry;

static HTAB *ref_cache = NULL;
static uint64 ref_cache_gen = 0;	/* counts invalidations seen */
static Oid	lookup_relids[N_LOOKUP_TABLES];	/* valid while ref_cache exists */

static void
ref_cache_reset(void)
{
	ref_cache_gen++;
	if (ref_cache)
	{
		hash_destroy(ref_cache);
		ref_cache = NULL;
	}
}

/* any invalidation while no cache exists counts: a lookup may be running */
static void
ref_cache_relcache_cb(Datum arg, Oid relid)
{
	bool		ours = ref_cache == NULL || relid == InvalidOid;

	(void) arg;
	for (int i = 0; i < N_LOOKUP_TABLES && !ours; i++)
		ours = lookup_relids[i] == relid;
	if (ours)
		ref_cache_reset();
}

static void
ref_cache_syscache_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	ref_cache_reset();
}

/*
 * Create the cache (and register the callbacks, once per backend); false
 * when a lookup table or its trigger is missing or not firing always (an
 * older schema before ALTER EXTENSION UPDATE, or a trigger someone
 * disabled): then nothing is cached.
 */
static bool
ref_cache_open(void)
{
	static bool registered = false;
	static const char *const tables[N_LOOKUP_TABLES] =
	{"projects", "grants", "models", "deployments", "aliases"};
	Oid			nsp,
				fn;
	HASHCTL		ctl;

	if (ref_cache)
		return true;
	if (!registered)
	{
		CacheRegisterRelcacheCallback(ref_cache_relcache_cb, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHOID, ref_cache_syscache_cb, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, ref_cache_syscache_cb, (Datum) 0);
		registered = true;
	}
	nsp = get_namespace_oid("mlsql", true);
	if (!OidIsValid(nsp))
		return false;
	fn = LookupFuncName(list_make2(makeString("mlsql"), makeString("catalog_changed")),
						0, NULL, true);
	if (!OidIsValid(fn))
		return false;
	for (int i = 0; i < N_LOOKUP_TABLES; i++)
	{
		Relation	rel;
		bool		fires = false;

		lookup_relids[i] = get_relname_relid(tables[i], nsp);
		if (!OidIsValid(lookup_relids[i]))
			return false;
		rel = table_open(lookup_relids[i], AccessShareLock);
		for (int t = 0; rel->trigdesc && t < rel->trigdesc->numtriggers; t++)
		{
			const Trigger *tg = &rel->trigdesc->triggers[t];

			if (tg->tgfoid == fn && tg->tgenabled == TRIGGER_FIRES_ALWAYS)
				fires = true;
		}
		table_close(rel, AccessShareLock);
		if (!fires)
			return false;
	}
	ctl.keysize = REF_KEY_LEN;
	ctl.entrysize = sizeof(RefCacheEntry);
	ctl.hcxt = CacheMemoryContext;
	ref_cache = hash_create("mlsql reference cache", 64, &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	return true;
}

/*
 * The model a reference names for the current user: ref, or the model id
 * when ref is NULL.  Served from the reference cache where it may be (see
 * the file header), else looked up in the catalog.
 */
MLModel *
model_for_ref(const char *ref, int64 id)
{
	char		key[REF_KEY_LEN];
	int			len;
	RefCacheEntry *e;
	uint64		gen;
	MLModel    *m;

	if (ref)
		len = snprintf(key, sizeof(key), "%u:%s", GetUserId(), ref);
	else
		len = snprintf(key, sizeof(key), "%u#" INT64_FORMAT, GetUserId(), id);
	if (len >= REF_KEY_LEN || IsolationUsesXactSnapshot() || IsInParallelMode() ||
		!ref_cache_open())
		return model_for_id(ref ? resolve_model_ref(ref, NULL) : id);

	e = hash_search(ref_cache, key, HASH_FIND, NULL);
	if (e)
		return e->model;

	/*
	 * Miss: look up from a snapshot newer than every invalidation seen so
	 * far.  A deployment this snapshot misses commits after it, so its
	 * invalidation arrives after it too: during the lookup (then nothing is
	 * kept) or later (then it empties the cache).
	 */
	gen = ref_cache_gen;
	PushActiveSnapshot(GetLatestSnapshot());
	m = model_for_id(ref ? resolve_model_ref(ref, NULL) : id);
	PopActiveSnapshot();
	if (gen == ref_cache_gen && ref_cache_open())
	{
		e = hash_search(ref_cache, key, HASH_ENTER, NULL);
		e->model = m;
	}
	return m;
}

/*
 * mlsql.catalog_changed(): statement trigger on the catalog tables a
 * reference lookup reads; tells every backend's reference cache.
 */
PG_FUNCTION_INFO_V1(mlsql_catalog_changed);
Datum
mlsql_catalog_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("mlsql.catalog_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	PG_RETURN_POINTER(NULL);
}
