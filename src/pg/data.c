/*-------------------------------------------------------------------------
 *
 * data.c
 *	  Data versions: ml_snapshot (materialize a source and record it) and
 *	  ml_drift (compare new data with a model's training data).
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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/buffer.h"
#include "core/dataset.h"
#include "core/parallel.h"
#include "pg/mlsql_pg.h"

#define PSI_FLOOR 1e-4
#define PSI_DRIFT 0.2
#define UNSEEN_DRIFT 0.1
#define NULL_RATE_DRIFT 0.1

PG_FUNCTION_INFO_V1(mlsql_snapshot);
PG_FUNCTION_INFO_V1(mlsql_drift);

/* the supported columns of a relation's row type, for statistics */
static char **
supported_columns(const char *sql, int *n)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	Portal		portal;
	TupleDesc	td;
	char	  **names;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	td = portal->tupDesc;
	names = palloc(sizeof(char *) * (td->natts + 1));
	*n = 0;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && source_type_class(a->atttypid, NULL) != SRC_UNSUPPORTED)
			names[(*n)++] = pstrdup(NameStr(a->attname));
	}
	SPI_cursor_close(portal);
	return names;
}

/*
 * ml_snapshot(source text) RETURNS bigint: copy the source into a new table
 * mlsql.snapshot_<id>, record it in mlsql.datasets with its statistics and
 * fingerprint, and return the id; train on it with source 'snapshot:<id>'.
 */
Datum
mlsql_snapshot(PG_FUNCTION_ARGS)
{
	char	   *source;
	char	   *sql;
	int64		id;
	bool		isnull;
	char	   *table;
	char	  **cols;
	int			ncols;
	SourceData *src;
	MLBuffer	js;
	uint64_t	fp = 0;
	int64		src_rows;
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sql = source_sql(source);

	rc = SPI_execute("SELECT nextval('mlsql.datasets_id_seq')", false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not allocate a dataset id");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	table = psprintf("mlsql.snapshot_" INT64_FORMAT, id);
	rc = SPI_execute(psprintf("CREATE TABLE %s AS %s", table, sql), false, 0);
	if (rc != SPI_OK_UTILITY && rc != SPI_OK_SELINTO)
		elog(ERROR, "could not create the snapshot table: %s", SPI_result_code_string(rc));

	rc = SPI_execute(psprintf("SELECT count(*) FROM %s", table), false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not count the snapshot rows");
	src_rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/* statistics over the columns mlsql can read; fingerprint over them */
	cols = supported_columns(psprintf("SELECT * FROM %s", table), &ncols);
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

	{
		int64		n_rows = src_rows;
		CatalogWriter w = catalog_write_begin();

		rc = SPI_execute_with_args("INSERT INTO mlsql.datasets (id, source, n_rows, columns, fingerprint, snapshot, created_by) "
								   "VALUES ($1, $2, $3, $4, $5, $6::regclass, $7)",
								   7, (Oid[]) {INT8OID, TEXTOID, INT8OID, JSONBOID, TEXTOID, TEXTOID, NAMEOID},
								   (Datum[]) {Int64GetDatum(id), CStringGetTextDatum(source),
									   Int64GetDatum(n_rows),
									   json_text_to_jsonb((const char *) js.data, js.len),
									   CStringGetTextDatum(psprintf("%016llx", (unsigned long long) fp)),
								   CStringGetTextDatum(table), catalog_caller_name()},
								   NULL, false, 0);
		catalog_write_end(w);
	}
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not record the snapshot: %s", SPI_result_code_string(rc));
	SPI_finish();
	PG_RETURN_INT64(id);
}

static double *
float_array(Datum d, int *n)
{
	Datum	   *el;
	bool	   *nulls;
	double	   *out;

	deconstruct_array(DatumGetArrayTypeP(d), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &el, &nulls, n);
	out = palloc(sizeof(double) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? 0 : DatumGetFloat8(el[i]);
	return out;
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
	bool		isnull;
	SourceData *src;
	char	  **names;
	int			nn = 0;
	int			rc;

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
	rc = SPI_execute_with_args("SELECT r.dataset_id FROM mlsql.models mo JOIN mlsql.runs r ON r.id = mo.run_id "
							   "WHERE mo.id = $1",
							   1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(model_id)}, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
		elog(ERROR, "model " INT64_FORMAT " has no run", model_id);
	dataset_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

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
		const MLRawColumn *raw = NULL;
		Datum		vals[7];
		bool		nulls[7] = {0};
		double		null_train,
					null_now;
		size_t		n = src->n_rows,
					nonnull = 0;
		double		p_value = 0,
					unseen = 0;

		for (int r = 0; r < src->n_raw; r++)
			if (strcmp(src->raw[r].name, pc->name) == 0 && src->raw[r].kind == pc->kind)
				raw = &src->raw[r];
		if (raw == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("source has no %s column \"%s\", a feature of the model",
							pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical", pc->name)));
		rc = SPI_execute_with_args("SELECT (c->>'nulls')::float8 / NULLIF((c->>'count')::float8, 0), "
								   "ARRAY(SELECT jsonb_array_elements_text(c->'edges')::float8), "
								   "ARRAY(SELECT jsonb_array_elements_text(c->'shares')::float8), "
								   "ARRAY(SELECT x->>'value' FROM jsonb_array_elements(c->'top') x), "
								   "ARRAY(SELECT (x->>'share')::float8 FROM jsonb_array_elements(c->'top') x) "
								   "FROM mlsql.datasets d, jsonb_array_elements(d.columns) c "
								   "WHERE d.id = $1 AND c->>'name' = $2 AND c->>'role' = 'feature'",
								   2, (Oid[]) {INT8OID, TEXTOID},
								   (Datum[]) {Int64GetDatum(dataset_id), CStringGetTextDatum(pc->name)},
								   NULL, true, 1);
		if (rc != SPI_OK_SELECT || SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("the training data of model " INT64_FORMAT " has no statistics for \"%s\"",
							model_id, pc->name)));
		{
			HeapTuple	t = SPI_tuptable->vals[0];
			TupleDesc	td = SPI_tuptable->tupdesc;
			Datum		d = SPI_getbinval(t, td, 1, &isnull);

			null_train = isnull ? 0 : DatumGetFloat8(d);
			if (pc->kind == ML_COL_NUMERIC)
			{
				int			ne,
							ns;
				double	   *edges = float_array(SPI_getbinval(t, td, 2, &isnull), &ne);
				double	   *shares = float_array(SPI_getbinval(t, td, 3, &isnull), &ns);
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
				p_value = ns == ne + 1 ? psi(shares, now, ne + 1) : NAN;
				nulls[3] = true;	/* unseen: categorical only */
			}
			else
			{
				Datum	   *tv;
				bool	   *tn;
				int			nt,
							ns;
				double	   *tshare;
				double	   *now,
						   *train;
				char	  **top;

				deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(t, td, 4, &isnull)),
								  TEXTOID, -1, false, TYPALIGN_INT, &tv, &tn, &nt);
				tshare = float_array(SPI_getbinval(t, td, 5, &isnull), &ns);
				top = palloc(sizeof(char *) * Max(nt, 1));
				for (int k = 0; k < nt; k++)
					top[k] = TextDatumGetCString(tv[k]);
				now = palloc0(sizeof(double) * (nt + 1));
				train = palloc0(sizeof(double) * (nt + 1));
				for (size_t i = 0; i < n; i++)
				{
					int			k;

					if (raw->str[i] == NULL)
						continue;
					nonnull++;
					for (k = 0; k < nt; k++)
						if (strcmp(top[k], raw->str[i]) == 0)
							break;
					now[k]++;
					if (bsearch(&raw->str[i], pc->categories, pc->n_categories,
								sizeof(char *), cmp_cstr) == NULL)
						unseen++;
				}
				train[nt] = 1;
				for (int k = 0; k < nt; k++)
				{
					train[k] = tshare[k];
					train[nt] -= tshare[k];
				}
				for (int k = 0; k <= nt; k++)
					now[k] = nonnull ? now[k] / nonnull : 0;
				p_value = psi(train, now, nt + 1);
				unseen = nonnull ? unseen / nonnull : 0;
				vals[3] = Float8GetDatum(unseen);
			}
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
