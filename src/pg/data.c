/*-------------------------------------------------------------------------
 *
 * data.c
 *	  Data versions: ml_snapshot (materialize a source and record it) and
 *	  ml_drift (compare new data with a model's training data); the query
 *	  a source reads, for SQL helpers.
 *
 * Drift per feature: the population stability index over the training
 * data's decile bins (numeric) or its most frequent categories plus an
 * "other" bucket (categorical),
 *		PSI = sum over bins (p_new - p_train) * ln(p_new / p_train),
 * with shares floored at 1e-4; the share of non-NULL new values in
 * categories the model never saw; and the NULL rates.  A feature is flagged
 * when PSI > 0.2, more than 10% of its values are unseen, or its NULL rate
 * moved by more than 0.1.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "core/buffer.h"
#include "core/dataset.h"
#include "core/parallel.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"
#include "pg/source.h"

#define PSI_FLOOR 1e-4
#define PSI_DRIFT 0.2
#define UNSEEN_DRIFT 0.1
#define NULL_RATE_DRIFT 0.1

PG_FUNCTION_INFO_V1(mlsql_snapshot);
PG_FUNCTION_INFO_V1(mlsql_drift);

/* the columns of td mlsql can read, for statistics */
static char **
supported_columns(TupleDesc td, int *n)
{
	char	  **names = palloc(sizeof(char *) * (td->natts + 1));

	*n = 0;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && source_type_class(a->atttypid, NULL) != SRC_UNSUPPORTED)
			names[(*n)++] = pstrdup(NameStr(a->attname));
	}
	return names;
}

/*
 * A receiver of the source's rows that inserts them into the snapshot
 * table: the query runs once, as the caller, and its rows go straight to
 * the table (as CREATE TABLE AS does), with no SQL text built around the
 * caller's query.
 */
typedef struct SnapshotDest
{
	DestReceiver pub;
	Relation	rel;
	CommandId	cid;
	BulkInsertState bistate;
	uint64		rows;
} SnapshotDest;

static bool
snapshot_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SnapshotDest *d = (SnapshotDest *) self;

	table_tuple_insert(d->rel, slot, d->cid, 0, d->bistate);
	d->rows++;
	return true;
}

static void
snapshot_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
snapshot_noop(DestReceiver *self)
{
	(void) self;
}

/*
 * ml_snapshot(source text) RETURNS bigint: copy the source into a new table
 * mlsql.snapshot_<id>, record it in mlsql.datasets with its statistics and
 * fingerprint, and return the id; train on it with source 'snapshot:<id>'.
 * The source is checked as ml_train checks it (one read-only query) and
 * read with the caller's privileges; the table belongs to the caller, and
 * only the catalog door may create it in schema mlsql.
 */
Datum
mlsql_snapshot(PG_FUNCTION_ARGS)
{
	char	   *source;
	SPIPlanPtr	plan;
	CachedPlanSource *ps;
	TupleDesc	td;
	int64		id;
	Oid			relid;
	char	   *table;
	char	  **cols;
	int			ncols;
	SourceData *src;
	MLBuffer	js;
	uint64_t	fp = 0;
	SnapshotDest dest;
	SPIExecuteOptions opts;
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = source_prepare(source, NULL);
	ps = linitial(SPI_plan_get_plan_sources(plan));
	td = CreateTupleDescCopy(ps->resultDesc);

	id = catalog_next_dataset_id();
	relid = catalog_create_snapshot_table(id, td);
	table = quote_qualified_identifier("mlsql", get_rel_name(relid));

	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = snapshot_receive;
	dest.pub.rStartup = snapshot_startup;
	dest.pub.rShutdown = snapshot_noop;
	dest.pub.rDestroy = snapshot_noop;
	dest.pub.mydest = DestNone;
	dest.rel = table_open(relid, RowExclusiveLock);
	dest.cid = GetCurrentCommandId(true);
	dest.bistate = GetBulkInsertState();
	memset(&opts, 0, sizeof(opts));
	opts.read_only = false;
	opts.dest = (DestReceiver *) &dest;
	rc = SPI_execute_plan_extended(plan, &opts);
	/* SPI calls a SELECT whose rows go to a DestNone receiver a utility */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "could not read the source: %s", SPI_result_code_string(rc));
	FreeBulkInsertState(dest.bistate);
	table_finish_bulk_insert(dest.rel, 0);
	table_close(dest.rel, NoLock);
	CommandCounterIncrement();

	/* statistics over the columns mlsql can read; fingerprint over them */
	cols = supported_columns(td, &ncols);
	buffer_init(&js);
	buffer_printf(&js, "[");
	if (ncols > 0)
	{
		MLBuffer   *stats;
		uint64_t   *h;
		int			threads;

		src = source_read(table, NULL, cols, ncols, NULL, 0, false);
		threads = ml_thread_count(mlsql_threads, Max(src->n_raw, 1));
		stats = palloc(sizeof(MLBuffer) * Max(src->n_raw, 1));
		for (int r = 0; r < src->n_raw; r++)
			buffer_init(&stats[r]);
		column_stats_json_all(src->raw, src->n_raw, src->n_rows, stats, threads);
		for (int r = 0; r < src->n_raw; r++)
		{
			MLBuffer	st = stats[r];
			SourceColumn *sc = NULL;

			for (int f = 0; f < src->n_cols; f++)
				if (strcmp(src->cols[f].name, src->raw[r].source) == 0)
					sc = &src->cols[f];
			buffer_printf(&js, "%s{\"type\": ", r ? ", " : "");
			buffer_json_str(&js, format_type_be(sc->type));
			buffer_printf(&js, ", \"role\": \"column\", ");
			buffer_put_bytes(&js, st.data + 1, st.len - 1);
		}
		h = palloc_extended(Max(src->n_rows, 1) * sizeof(uint64_t), MCXT_ALLOC_HUGE);
		raw_row_hashes(src->raw, src->n_raw, NULL, NULL, src->n_rows, 0, h, threads);
		for (size_t i = 0; i < src->n_rows; i++)
			fp += h[i];
	}
	buffer_printf(&js, "]");

	catalog_insert_dataset(id, source, (int64) dest.rows,
						   json_text_to_jsonb((const char *) js.data, js.len),
						   psprintf("%016llx", (unsigned long long) fp), relid);
	SPI_finish();
	PG_RETURN_INT64(id);
}

static double
psi(const double *train, const double *now, int bins)
{
	double		s = 0;

	for (int b = 0; b < bins; b++)
	{
		double		p = Max(train[b], PSI_FLOOR),
					q = Max(now[b], PSI_FLOOR);

		s += (q - p) * log(q / p);
	}
	return s;
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The source's raw column for a model feature, converted by the type rules
 * of scoring (a date where a timestamp was learned is its midnight); an
 * error when the source has none of the feature's kind.
 */
static MLRawColumn *
drift_column(SourceData *src, const MLPipeCol *pc)
{
	MLRawColumn *raw = NULL;

	for (int r = 0; r < src->n_raw; r++)
		if (strcmp(src->raw[r].name, pc->name) == 0)
			raw = &src->raw[r];
	/* the type rules of scoring: a date where a timestamp was learned is its midnight */
	if (raw != NULL)
	{
		SourceConversion conv = CONV_AS_IS;

		if (!source_conversion_ok(pc->ctype, raw->ctype, &conv))
			for (int f = 0; f < src->n_cols; f++)
				if (strcmp(src->cols[f].name, raw->source) == 0)
					(void) source_conversion(pc, src->cols[f].type, src->cols[f].name);
		if (conv == CONV_DAYS_TO_SECONDS)
			for (size_t i = 0; i < src->n_rows; i++)
				raw->num[i] *= SECONDS_PER_DAY;
		if (raw->kind != pc->kind)
			raw = NULL;
	}
	if (raw == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("source has no %s column \"%s\", a feature of the model",
						pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical", pc->name)));
	return raw;
}

/*
 * ml_drift(project text, source text): one row per raw feature of the
 * project's deployed model (or 'project@version'), comparing the source
 * with the statistics of the model's training data.
 */
Datum
mlsql_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *ref;
	char	   *source;
	int64		model_id;
	MLModel    *m;
	int64		dataset_id;
	SourceData *src;
	char	  **names;
	int			nn = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project and source must not be NULL")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	InitMaterializedSRF(fcinfo, 0);
	model_id = resolve_model_ref(ref, NULL);
	m = model_for_id(model_id);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	dataset_id = catalog_model_dataset(model_id);
	if (dataset_id == 0)
		elog(ERROR, "model " INT64_FORMAT " has no data version", model_id);

	names = palloc(sizeof(char *) * Max(m->pipeline->n_cols, 1));
	for (int c = 0; c < m->pipeline->n_cols; c++)
	{
		bool		seen = false;

		for (int k = 0; k < nn && !seen; k++)
			seen = strcmp(names[k], m->pipeline->cols[c].source) == 0;
		if (!seen)
			names[nn++] = m->pipeline->cols[c].source;
	}
	src = source_read(source, NULL, names, nn, NULL, 0, true);

	for (int c = 0; c < m->pipeline->n_cols; c++)
	{
		const MLPipeCol *pc = &m->pipeline->cols[c];
		MLRawColumn *raw;
		Datum		vals[7];
		bool		nulls[7] = {0};
		double		null_train,
					null_now;
		size_t		n = src->n_rows,
					nonnull = 0;
		double		p_value = 0,
					unseen = 0;
		CatalogColumnStats st;

		raw = drift_column(src, pc);
		if (!catalog_column_stats(dataset_id, pc->name, &st))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("the training data of model " INT64_FORMAT " has no statistics for \"%s\"",
							model_id, pc->name)));
		null_train = isnan(st.null_rate) ? 0 : st.null_rate;
		if (pc->kind == ML_COL_NUMERIC)
		{
			int			ne = st.n_edges,
						ns = st.n_shares;
			double	   *edges = st.edges;
			double	   *now = palloc0(sizeof(double) * (ne + 1));

			for (size_t i = 0; i < n; i++)
			{
				int			b = 0;

				if (isnan(raw->num[i]))
					continue;
				while (b < ne && raw->num[i] > edges[b])
					b++;
				now[b]++;
				nonnull++;
			}
			for (int b = 0; b <= ne; b++)
				now[b] = nonnull ? now[b] / nonnull : 0;
			p_value = ns == ne + 1 ? psi(st.shares, now, ne + 1) : NAN;
			nulls[3] = true;	/* unseen: categorical only */
		}
		else
		{
			int			nt = st.n_top;
			double	   *now,
					   *train;

			now = palloc0(sizeof(double) * (nt + 1));
			train = palloc0(sizeof(double) * (nt + 1));
			for (size_t i = 0; i < n; i++)
			{
				int			k;

				if (raw->str[i] == NULL)
					continue;
				nonnull++;
				for (k = 0; k < nt; k++)
					if (strcmp(st.top_values[k], raw->str[i]) == 0)
						break;
				now[k]++;
				if (bsearch(&raw->str[i], pc->categories, pc->n_categories,
							sizeof(char *), cmp_cstr) == NULL)
					unseen++;
			}
			train[nt] = 1;
			for (int k = 0; k < nt; k++)
			{
				train[k] = st.top_shares[k];
				train[nt] -= st.top_shares[k];
			}
			for (int k = 0; k <= nt; k++)
				now[k] = nonnull ? now[k] / nonnull : 0;
			p_value = psi(train, now, nt + 1);
			unseen = nonnull ? unseen / nonnull : 0;
			vals[3] = Float8GetDatum(unseen);
		}
		null_now = n ? (double) (n - nonnull) / n : 0;
		vals[0] = CStringGetTextDatum(pc->name);
		vals[1] = CStringGetTextDatum(pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical");
		vals[2] = Float8GetDatum(p_value);
		nulls[2] = isnan(p_value);
		vals[4] = Float8GetDatum(null_train);
		vals[5] = Float8GetDatum(null_now);
		vals[6] = BoolGetDatum((!isnan(p_value) && p_value > PSI_DRIFT) ||
							   (!nulls[3] && unseen > UNSEEN_DRIFT) ||
							   fabs(null_now - null_train) > NULL_RATE_DRIFT);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mlsql_source_query);

/*
 * The query a source (table, view or query text) reads, for SQL helpers;
 * checked to be one read-only query, as ml_train checks it, so that it may
 * be used as a subquery.
 */
Datum
mlsql_source_query(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *sql;
	text	   *t;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) source_prepare(text_to_cstring(PG_GETARG_TEXT_PP(0)), &sql);
	t = (text *) MemoryContextAlloc(caller, VARHDRSZ + strlen(sql));
	SET_VARSIZE(t, VARHDRSZ + strlen(sql));
	memcpy(VARDATA(t), sql, strlen(sql));
	SPI_finish();
	PG_RETURN_TEXT_P(t);
}
