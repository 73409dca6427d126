/*-------------------------------------------------------------------------
 *
 * shim.c
 *	  The GUC variables, progress reports, and the shim through which
 *	  src/core and src/algo reach PostgreSQL: palloc, ereport and
 *	  CHECK_FOR_INTERRUPTS.
 *
 * Core code allocates in CurrentMemoryContext; callers run it inside a
 * memory context of their own that they delete on every exit path (an
 * ERROR unwinds through the owning transaction's contexts).
 *
 * A leaf of src/pg: it calls no other file of src/pg.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdarg.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

#include "core/parallel.h"
#include "pg/mlsql_pg.h"

int			mlsql_threads = 0;
int			mlsql_max_memory_kb = 1048576;
bool		mlsql_reading_input = false;
int			mlsql_progress_s = 5;

/* the long operation running in this backend, for progress reports */
static struct
{
	bool		active;
	const char *op;
	TimestampTz start;
	TimestampTz last;
	bool		reported;
} progress;

void
mlsql_progress_begin(const char *op)
{
	progress.active = true;
	progress.op = op;
	progress.start = progress.last = GetCurrentTimestamp();
	progress.reported = false;
}

void
mlsql_progress_end(void)
{
	/* the statement's own text again in pg_stat_activity */
	if (progress.active && progress.reported && debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	progress.active = false;
}

/*
 * Every mlsql.progress seconds of a long operation: a NOTICE with what is
 * done, the latest metric, the time spent and an estimate of the time left,
 * and the same line as this backend's query text in pg_stat_activity, where
 * another session can read it while the operation runs.
 */
void
mlsql_progress_report(const char *unit, int done, int total, const char *metric, double value)
{
	TimestampTz now;
	double		elapsed;
	char		line[512];
	int			len;

	if (!progress.active || mlsql_progress_s <= 0)
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(progress.last, now, mlsql_progress_s * 1000))
		return;
	progress.last = now;
	elapsed = (double) (now - progress.start) / 1e6;
	len = snprintf(line, sizeof(line), "mlsql progress: %s: %s %d", progress.op, unit, done);
	if (total > 0)
		len += snprintf(line + len, sizeof(line) - len, " of %d", total);
	if (metric)
		len += snprintf(line + len, sizeof(line) - len, ", %s %.6g", metric, value);
	len += snprintf(line + len, sizeof(line) - len, ", %.0f s elapsed", elapsed);
	if (total > 0 && done > 0 && done < total)
		snprintf(line + len, sizeof(line) - len, ", about %.0f s left",
				 elapsed * (total - done) / done);
	ereport(NOTICE, (errmsg("%s", line),
					 errhint("SET mlsql.progress = 0 silences progress reports.")));
	pgstat_report_activity(STATE_RUNNING, line);
	progress.reported = true;
}

void *
ml_alloc(size_t size)
{
	if (ml_in_worker())
		return ml_worker_alloc(size);
	return palloc_extended(size ? size : 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

void *
ml_realloc(void *ptr, size_t size)
{
	if (ml_in_worker())
		return ml_worker_realloc(ptr, size);
	if (ptr == NULL)
		return ml_alloc(size);
	return repalloc_huge(ptr, size ? size : 1);
}

void
ml_free(void *ptr)
{
	if (ml_in_worker())
		ml_worker_free(ptr);
	else if (ptr != NULL)
		pfree(ptr);
}

void
ml_error(MLErrorCode code, const char *hint, const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;
	int			sqlstate;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ml_in_worker())
		ml_worker_error(code, msg);	/* never ereport from a thread */

	switch (code)
	{
		case ML_ERR_CANCELED:
			/* a worker stopped on a cancel or termination request */
			CHECK_FOR_INTERRUPTS();
			sqlstate = ERRCODE_QUERY_CANCELED;
			break;
		case ML_ERR_PARAM:
			sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case ML_ERR_DATA:
			sqlstate = ERRCODE_DATA_EXCEPTION;
			break;
		case ML_ERR_LIMIT:
			sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case ML_ERR_CORRUPT:
			/* bytes a user passed in are bad input; the catalog's are corrupted */
			sqlstate = mlsql_reading_input ? ERRCODE_INVALID_BINARY_REPRESENTATION
				: ERRCODE_DATA_CORRUPTED;
			break;
		default:
			sqlstate = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", msg),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

void
ml_check_interrupts(void)
{
	/*
	 * A worker thread must not run the interrupt handlers; it reads the
	 * flags the signal handlers set (plain sig_atomic_t stores) and stops
	 * its task, and the calling thread then handles the interrupt.
	 */
	if (ml_in_worker())
	{
		if (QueryCancelPending || ProcDiePending)
			ml_worker_error(ML_ERR_CANCELED, "canceling statement due to user request");
		return;
	}
	CHECK_FOR_INTERRUPTS();
}
