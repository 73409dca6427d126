/*-------------------------------------------------------------------------
 *
 * init.c
 *	  Module load: the magic block and _PG_init, which defines the GUCs
 *	  (their variables live in shim.c), pins OpenBLAS to one thread and
 *	  sets up scoring on Citus workers.
 *
 * This file calls into the rest of src/pg; nothing calls into it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "core/linalg.h"
#include "core/ml.h"
#include "pg/distribute.h"
#include "pg/mlsql_pg.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("mlsql.threads",
							"Worker threads a training may use (0 = all cores).",
							"Valid range is 0 .. 1024.",
							&mlsql_threads,
							0, 0, 1024,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("mlsql.max_memory",
							"Largest training matrix a backend may build.",
							"Valid range is 1MB .. 2TB.",
							&mlsql_max_memory_kb,
							1048576, 1024, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("mlsql.progress",
							"Seconds between progress reports of long operations (0 = none).",
							"A NOTICE, and the backend's query text in pg_stat_activity.",
							&mlsql_progress_s,
							5, 0, 86400,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("mlsql");
	ml_progress_hook = mlsql_progress_report;

	/* OpenBLAS's thread pool and forked backends do not mix: one thread */
	linalg_set_threads(1);

	distribute_init();
}
