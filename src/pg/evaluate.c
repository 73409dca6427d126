/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  Evaluation shared by ml_train, ml_evaluate and ml_search: a model's
 *	  features for rows of a source (through the model's own pipeline), the
 *	  task's metrics for a dataset, and the deployed model's score on a new
 *	  training's rows.
 *
 * Results live in CurrentMemoryContext.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "ensemble/ensemble.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/source.h"


/* the task's metrics from predictions of a dataset's rows (model_predict's layout) */
void
mlsql_metrics_from_predictions(const MLModel *m, const MLDataset *d, const double *pred,
							   MLMetricSet *out)
{
	size_t		n = d->n_rows,
				k = model_output_width(m);

	if (m->task == ML_CLASSIFICATION)
		metrics_classification_at(d->y, pred, n, (int) k, m->threshold, out);	/* as ml_predict */
	else if (m->task == ML_CLUSTERING)
		metrics_clustering(d->X, n, d->n_cols, pred, out);
	else if (m->task == ML_ANOMALY)
		metrics_anomaly(pred, n, out);
	else
		metrics_regression(d->y, pred, n, out);
}

/*
 * Score a dataset with a model.  The dataset is column-major; models read
 * rows, so rows are transposed in blocks.
 */
double *
mlsql_predict_dataset(const MLModel *m, const MLDataset *d)
{
	size_t		n = d->n_rows,
				p = d->n_cols,
				k = model_output_width(m);
	double	   *pred = palloc_extended(Max(n, 1) * k * sizeof(double), MCXT_ALLOC_HUGE);

	model_predict_columns(m, d->X, n, p, pred,
						  ml_thread_count(mlsql_threads, (int) Min(n / 4096 + 1, INT_MAX)));
	return pred;
}

/* score a dataset with a model and compute the task's metrics */
void
mlsql_evaluate_dataset(const MLModel *m, const MLDataset *d, MLMetricSet *out)
{
	double	   *pred = mlsql_predict_dataset(m, d);

	mlsql_metrics_from_predictions(m, d, pred, out);
	pfree(pred);
}

/* a dataset over rows of the source with an already transformed matrix */
MLDataset *
make_dataset(double *X, size_t n, const MLModel *m, const double *all_y, const size_t *rows)
{
	MLDataset  *d = palloc0(sizeof(MLDataset));

	d->n_rows = n;
	d->n_cols = m->n_features;
	d->n_classes = m->n_classes;
	d->X = X;
	d->levels = pipeline_levels(m->pipeline);
	d->y = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
		d->y[i] = all_y[rows[i]];
	return d;
}

/*
 * mlsql_model_matrix: the model's features for rows of a source, through the
 * model's own pipeline.  Raw columns are matched by name and kind; a missing
 * one is an error naming it when strict, else NULL.
 */
double *
mlsql_model_matrix(const MLModel *m, const SourceData *src, const size_t *rows,
				   size_t n, bool strict)
{
	const MLPipeline *p = m->pipeline;
	MLRawColumn *cols = palloc0(sizeof(MLRawColumn) * Max(p->n_cols, 1));
	double	   *X;
	size_t	   *idx = NULL;

	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];
		int			found = -1;
		SourceConversion conv = CONV_AS_IS;

		for (int r = 0; r < src->n_raw && found < 0; r++)
			if (strcmp(src->raw[r].name, pc->name) == 0)
				found = r;
		/* the same meaning: the type rules of scoring (source_conversion) */
		if (found >= 0 && !source_conversion_ok(pc->ctype, src->raw[found].ctype, &conv))
		{
			if (!strict)
				return NULL;
			for (int f = 0; f < src->n_cols; f++)
				if (strcmp(src->cols[f].name, src->raw[found].source) == 0)
					(void) source_conversion(pc, src->cols[f].type, src->cols[f].name);
		}
		if (found >= 0 && src->raw[found].kind != pc->kind)
			found = -1;
		if (found < 0)
		{
			if (!strict)
				return NULL;
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("source has no %s column \"%s\", a feature of the model",
							pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical",
							pc->name)));
		}
		cols[c] = src->raw[found];
		if (conv == CONV_DAYS_TO_SECONDS)
		{
			double	   *days = src->raw[found].num;
			double	   *secs = palloc_extended(Max(src->n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);

			for (size_t i = 0; i < src->n_rows; i++)
				secs[i] = days[i] * SECONDS_PER_DAY;
			cols[c].num = secs;
		}
	}
	if (rows == NULL)
	{
		idx = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		rows = idx;
	}
	X = palloc_extended(Max(n, 1) * Max(m->n_features, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	pipeline_transform(p, cols, rows, n, X);
	return X;
}

MLDataset *
transform_rows(const MLModel *m, const SourceData *src, const double *all_y,
			   const size_t *rows, size_t n)
{
	return make_dataset(mlsql_model_matrix(m, src, rows, n, true), n, m, all_y, rows);
}

/* the deployed model's score on the key metric, for deploy => 'if_better' */
double
deployed_score(int64 deployed_id, const MLModel *m, const SourceData *src,
			   const double *all_y, const size_t *rows, size_t n, const char *key,
			   const char **basis)
{
	MLModel    *old = model_for_id(deployed_id);
	bool		same = old->task == m->task && old->n_classes == m->n_classes && n > 0;
	double	   *X = NULL;

	for (int c = 0; same && c < m->n_classes; c++)
		same = strcmp(old->class_labels[c], m->class_labels[c]) == 0;
	if (same)
		X = mlsql_model_matrix(old, src, rows, n, false);
	if (X)
	{
		/* fair comparison: score the deployed model on the new split */
		MLMetricSet ms;

		mlsql_evaluate_dataset(old, make_dataset(X, n, old, all_y, rows), &ms);
		*basis = "re-scored on the same test rows";
		return metrics_get(&ms, key);
	}

	/* different inputs: fall back to the score recorded for it */
	*basis = "its recorded score (it reads other columns or classes)";
	return catalog_recorded_score(deployed_id, key);
}
