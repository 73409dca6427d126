/*-------------------------------------------------------------------------
 *
 * slices.c
 *	  ml_evaluate_slices: a model's metrics per value of a column or an
 *	  expression of the source, the gap to the overall key metric, and a
 *	  flag where a slice is worse than overall beyond its sampling noise.
 *
 * The slice is an expression over the source's columns that runs as the
 * caller, inside one query over the source:
 *	SELECT s.*, (<slice>) AS "__mlsql_slice" FROM (<source>) AS s
 * It is first parsed on its own and refused unless it is exactly one
 * expression (expression_parse_one, rule_compile.c), so it cannot close
 * the parenthesis, add a FROM or a second statement; the whole query then
 * passes the checks of every source (one read-only SELECT, no
 * data-modifying WITH, no row locks: source_prepare), and the slice may
 * call no volatile function (which could write).  NULL slice values form a
 * slice of their own.
 *
 * The flag (the interval is stated in each row's metrics):
 *	classification: the slice's accuracy with its Wilson score 95 %
 *	interval; flagged when the overall accuracy is above the upper bound;
 *	regression: the slice's mean absolute error with a normal 95 %
 *	interval (mean +- 1.96 sd / sqrt(n)); flagged when the overall mean
 *	absolute error is below the lower bound.
 * The gap is on the project's key metric (ml_set_metric; accuracy / r2):
 * the slice's value minus the overall value.
 *
 * Rows are scored once; each slice's metrics come from its rows'
 * predictions.  Memory: the source's columns, one prediction per row and
 * class.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/plancache.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/practices.h"
#include "pg/rule.h"
#include "pg/source.h"

PG_FUNCTION_INFO_V1(mlsql_evaluate_slices);

#define SLICE_COLUMN "__mlsql_slice"
#define Z95 1.959963984540054

static const char *const *slice_vals;	/* qsort context */

static int
cmp_slice(const void *a, const void *b)
{
	const char *x = slice_vals[*(const size_t *) a],
			   *y = slice_vals[*(const size_t *) b];
	size_t		i = *(const size_t *) a,
				j = *(const size_t *) b;
	int			c;

	/* NULL last; then byte order; then row order (a stable sort) */
	if (x == NULL || y == NULL)
		c = (x == NULL) - (y == NULL);
	else
		c = strcmp(x, y);
	return c != 0 ? c : (i > j) - (i < j);
}

/* the slice expression may call no volatile function: it must not write */
static void
check_slice_stable(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	List	   *sources;
	CachedPlanSource *ps;
	Query	   *q;
	TargetEntry *tle;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for the slice: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	ps = list_length(sources) == 1 ? linitial(sources) : NULL;
	q = ps && list_length(ps->query_list) == 1 ? linitial(ps->query_list) : NULL;
	tle = q && q->commandType == CMD_SELECT ? llast_node(TargetEntry, q->targetList) : NULL;
	if (tle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slice must be one SQL expression")));
	if (contain_volatile_functions((Node *) tle->expr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slice must not call volatile functions"),
				 errdetail("A volatile function may write or give another value on every call."),
				 errhint("Slice by a column or an expression of columns, e.g. age / 10 or region.")));
	SPI_freeplan(plan);
}

/* y of every row: targets, or class indexes in the model's order */
static double *
slice_targets(const MLModel *m, const SourceData *src)
{
	double	   *y;

	if (m->task == ML_REGRESSION)
	{
		if (!src->target_numeric)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" of type %s cannot be scored by a regression model",
							m->target_name, format_type_be(src->target_type))));
		return src->y_num;
	}
	y = palloc_extended(Max(src->n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < src->n_rows; i++)
	{
		char		buf[64];
		const char *label = source_label(src, i, buf, sizeof(buf));
		int			hit = -1;

		for (int c = 0; c < m->n_classes && hit < 0; c++)
			if (strcmp(m->class_labels[c], label) == 0)
				hit = c;
		if (hit < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target value \"%s\" is not a class of the model", label),
					 errhint("The model knows the classes listed by ml_classes.")));
		y[i] = hit;
	}
	return y;
}

/* metrics of rows[0..n) from the predictions, and the flag's statistic (accuracy or mean |error|) */
static void
slice_metrics(const MLModel *m, const size_t *rows, size_t n, const double *y, const double *pred,
			  MLMetricSet *out, double *stat, double *lo, double *hi)
{
	size_t		k = model_output_width(m);
	MLDataset	d = {0};
	double	   *p = palloc_extended(Max(n, 1) * k * sizeof(double), MCXT_ALLOC_HUGE);
	double		s = 0,
				ss = 0;

	d.n_rows = n;
	d.n_classes = m->n_classes;
	d.y = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
	{
		double		v;

		d.y[i] = y[rows[i]];
		memcpy(p + i * k, pred + rows[i] * k, k * sizeof(double));
		v = m->task == ML_CLASSIFICATION ? (model_class_of(m, p + i * k) == (int) d.y[i])
			: fabs(p[i] - d.y[i]);
		s += v;
		ss += v * v;
	}
	mlsql_metrics_from_predictions(m, &d, p, out);
	*stat = s / n;
	if (m->task == ML_CLASSIFICATION)
	{
		/* Wilson score interval of a proportion (Wilson 1927) */
		double		z2 = Z95 * Z95,
					c = (*stat + z2 / (2 * n)) / (1 + z2 / n),
					h = Z95 * sqrt(*stat * (1 - *stat) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);

		*lo = c - h;
		*hi = c + h;
	}
	else
	{
		double		sd = n > 1 ? sqrt(fmax(ss - s * s / n, 0) / (n - 1)) : NAN;

		*lo = *stat - Z95 * sd / sqrt((double) n);
		*hi = *stat + Z95 * sd / sqrt((double) n);
	}
	pfree(p);
}

/*
 * ml_evaluate_slices(project, source, slice): one row per slice value, in
 * byte order of the values, NULL last.
 */
/* the model's outputs (k per row) for n rows of column-major X, a row at a time as ml_predict */
static double *
slice_predict(const MLModel *m, const double *X, size_t n, size_t k)
{
	double	   *pred = palloc_extended(Max(n, 1) * k * sizeof(double), MCXT_ALLOC_HUGE);
	double	   *row = palloc(sizeof(double) * Max(m->n_features, 1));

	for (size_t i = 0; i < n; i++)
	{
		for (size_t j = 0; j < m->n_features; j++)
			row[j] = X[j * n + i];
		model_predict(m, row, 1, pred + i * k);
		if (i % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return pred;
}

/*
 * Record the slices as a run of the project (an experiment of kind
 * "slices": the number of slices and of flagged ones as metrics, every row
 * as a JSON artifact) when the caller manages the project; a role that may
 * only use it gets the rows and a NOTICE, since recording would be a write
 * its grant does not give.
 */
static void
record_slices(int64 project_id, int64 model_id, const MLModel *m, const char *source,
			  const char *slice, MLBuffer *rows, int n_slices, int n_flagged, size_t n)
{
	MLBuffer	cfg;
	MetricRows	metrics = {0};

	if (!catalog_may_manage(project_id))
	{
		ereport(NOTICE,
				(errmsg("the slices are not recorded: recording them needs the manage right on the project")));
		return;
	}
	buffer_init(&cfg);
	buffer_printf(&cfg, "{\"source\": ");
	buffer_json_str(&cfg, source);
	buffer_printf(&cfg, ", \"slice\": ");
	buffer_json_str(&cfg, slice);
	buffer_printf(&cfg, ", \"model_id\": " INT64_FORMAT ", \"algorithm\": ", model_id);
	buffer_json_str(&cfg, m->learner->name);
	buffer_printf(&cfg, "}");
	add_metric(&metrics, "test", "slices", 0, n_slices);
	add_metric(&metrics, "test", "flagged_slices", 0, n_flagged);
	(void) practice_record_run(project_id, "slices", jsonb_datum(&cfg), m->learner->name,
							   json_text_to_jsonb("{}", 2), 0, ml_task_name(m->task), -1, (int64) n,
							   &metrics, "slices", rows);
}

Datum
mlsql_evaluate_slices(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *ref,
			   *source,
			   *slice;
	int64		project_id = 0;
	MLModel    *m;
	char	   *key,
			   *sql;
	SourceData *src;
	char	  **names;
	int			nn = 0;
	double	   *y,
			   *pred,
			   *X;
	size_t		n,
				k,
			   *order;
	MLMetricSet all;
	double		all_stat,
				lo,
				hi;
	const char *stat_name;
	int64		model_id;
	MLBuffer	rows;
	int			n_slices = 0,
				n_flagged = 0;

	for (int i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", i == 0 ? "project" : i == 1 ? "source" : "slice")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	slice = text_to_cstring(PG_GETARG_TEXT_PP(2));
	InitMaterializedSRF(fcinfo, 0);
	(void) expression_parse_one(slice, "slice");

	model_id = resolve_model_ref(ref, &project_id);
	m = model_for_id(model_id);
	if (m->task != ML_CLASSIFICATION && m->task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("slices need a model with a target, this one is %s", ml_task_name(m->task))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	key = catalog_project_metric(project_id);
	if (key == NULL)
		key = (char *) metrics_key(m->task);

	/* the source with the slice as one more column; the newlines end -- comments */
	sql = psprintf("SELECT s.*, (\n%s\n) AS \"" SLICE_COLUMN "\" FROM (\n%s\n) AS s", slice, source_sql(source));
	check_slice_stable(sql);
	names = palloc(sizeof(char *) * (m->pipeline->n_cols + 1));
	for (int c = 0; c < m->pipeline->n_cols; c++)
	{
		bool		seen = false;

		for (int j = 0; j < nn && !seen; j++)
			seen = strcmp(names[j], m->pipeline->cols[c].source) == 0;
		if (!seen)
			names[nn++] = m->pipeline->cols[c].source;
	}
	names[nn] = SLICE_COLUMN;
	src = source_read(sql, m->target_name, names, nn, &names[nn], 1, true);
	n = src->n_rows;
	y = slice_targets(m, src);
	X = mlsql_model_matrix(m, src, NULL, n, true);
	k = model_output_width(m);
	pred = slice_predict(m, X, n, k);

	order = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	slice_metrics(m, order, n, y, pred, &all, &all_stat, &lo, &hi);
	slice_vals = (const char *const *) src->aux_text[0];
	qsort(order, n, sizeof(size_t), cmp_slice);
	stat_name = m->task == ML_CLASSIFICATION ? "accuracy" : "mean_absolute_error";
	buffer_init(&rows);
	buffer_printf(&rows, "[");

	for (size_t start = 0; start < n;)
	{
		const char *v = slice_vals[order[start]];
		size_t		end = start + 1;
		MLMetricSet ms;
		double		stat;
		MLBuffer	b;
		Datum		out[5];
		bool		nulls[5] = {0};

		while (end < n && (v == NULL ? slice_vals[order[end]] == NULL :
						   slice_vals[order[end]] != NULL && strcmp(slice_vals[order[end]], v) == 0))
			end++;
		slice_metrics(m, order + start, end - start, y, pred, &ms, &stat, &lo, &hi);
		buffer_init(&b);
		buffer_printf(&b, "{");
		for (int i = 0; i < ms.n; i++)
		{
			buffer_json_str(&b, ms.names[i]);
			buffer_printf(&b, ": ");
			buffer_json_num(&b, ms.values[i]);
			buffer_printf(&b, ", ");
		}
		/* the flag's interval, stated */
		buffer_printf(&b, "\"flag_metric\": \"%s\", \"flag_value\": ", stat_name);
		buffer_json_num(&b, stat);
		buffer_printf(&b, ", \"flag_interval\": [");
		buffer_json_num(&b, lo);
		buffer_printf(&b, ", ");
		buffer_json_num(&b, hi);
		buffer_printf(&b, "], \"flag_overall\": ");
		buffer_json_num(&b, all_stat);
		buffer_printf(&b, "}");

		out[0] = v ? CStringGetTextDatum(v) : (Datum) 0;
		nulls[0] = v == NULL;
		out[1] = Int64GetDatum((int64) (end - start));
		out[2] = jsonb_datum(&b);
		out[3] = Float8GetDatum(key ? metrics_get(&ms, key) - metrics_get(&all, key) : NAN);
		nulls[3] = key == NULL || isnan(DatumGetFloat8(out[3]));
		out[4] = BoolGetDatum(m->task == ML_CLASSIFICATION ? all_stat > hi : all_stat < lo);
		nulls[4] = isnan(lo) || isnan(hi);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, nulls);
		/* the row as the artifact keeps it */
		buffer_printf(&rows, "%s{\"slice\": ", n_slices ? ", " : "");
		if (v)
			buffer_json_str(&rows, v);
		else
			buffer_printf(&rows, "null");
		buffer_printf(&rows, ", \"n\": %zu, \"metrics\": %.*s, \"flagged\": %s}", end - start,
					  (int) b.len, (const char *) b.data,
					  nulls[4] ? "null" : DatumGetBool(out[4]) ? "true" : "false");
		n_slices++;
		n_flagged += !nulls[4] && DatumGetBool(out[4]);
		start = end;
	}
	buffer_printf(&rows, "]");
	record_slices(project_id, model_id, m, source, slice, &rows, n_slices, n_flagged, n);
	SPI_finish();
	return (Datum) 0;
}
