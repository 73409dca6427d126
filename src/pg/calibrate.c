/*-------------------------------------------------------------------------
 *
 * calibrate.c
 *	  ml_calibration_curve: the reliability curve of a classifier on the
 *	  rows of a source (core/calibrate.h).
 *
 * The source is read with the caller's rights, as ml_evaluate reads it:
 * the model's raw columns and its target, through the model's own
 * pipeline.  A binary model's curve is of its second class (ml_classes
 * order) against the rows of that class; a multiclass model's is of its
 * top label's probability against whether the top label is right.  Only
 * non-empty bins are returned.  ml_calibrate, which fits the calibrated
 * model, is SQL (src/sql/85_calibrate.sql): it replays the deployed
 * model's training with the calibration learner (src/ensemble/calibrated.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/calibrate.h"
#include "core/model.h"
#include "pg/cache.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/source.h"

#define MAX_BINS 1000

/* the class index of each row's target; a label the model does not know is an error */
static double *
target_classes(const MLModel *m, const SourceData *src)
{
	double	   *y = palloc_extended(Max(src->n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	char		buf[64];

	for (size_t i = 0; i < src->n_rows; i++)
	{
		const char *label = source_label(src, i, buf, sizeof(buf));
		int			c = 0;

		while (c < m->n_classes && strcmp(m->class_labels[c], label) != 0)
			c++;
		if (c == m->n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target value \"%s\" is not a class of the model", label),
					 errhint("The model knows the classes listed by ml_classes.")));
		y[i] = c;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return y;
}

/* n rows of the source's probabilities (n x k), the model reading rows in blocks */
static double *
source_probabilities(const MLModel *m, const double *X, size_t n)
{
	size_t		p = m->n_features,
				k = (size_t) m->n_classes;
	double	   *proba = palloc_extended(mul_size(Max(n, 1), k * sizeof(double)), MCXT_ALLOC_HUGE);
	double	   *block = palloc(sizeof(double) * 256 * Max(p, 1));

	for (size_t start = 0; start < n; start += 256)
	{
		size_t		len = Min(256, n - start);

		for (size_t i = 0; i < len; i++)
			for (size_t j = 0; j < p; j++)
				block[i * p + j] = X[j * n + start + i];
		model_predict(m, block, len, proba + start * k);
		CHECK_FOR_INTERRUPTS();
	}
	pfree(block);
	return proba;
}

PG_FUNCTION_INFO_V1(mlsql_calibration_curve);

/*
 * ml_calibration_curve(project text, source text, bins int): one row per
 * non-empty bin (bin, mean_predicted, observed, n).
 */
Datum
mlsql_calibration_curve(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MLModel    *m;
	char	   *source;
	int			bins;
	SourceData *src;
	char	  **names;
	int			nn = 0;
	double	   *X,
			   *y,
			   *proba;
	int		   *bin;
	double	   *mp,
			   *ob;
	int64_t    *cnt;
	int			used;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project, source and bins must not be NULL")));
	bins = PG_GETARG_INT32(2);
	if (bins < 2 || bins > MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between 2 and %d, got %d", MAX_BINS, bins)));
	m = model_for_ref(text_to_cstring(PG_GETARG_TEXT_PP(0)), 0);
	if (m->task != ML_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a calibration curve needs a classifier, this model does %s",
						ml_task_name(m->task))));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the distinct source columns of the pipeline, in order (as ml_evaluate) */
	names = palloc(sizeof(char *) * Max(m->pipeline->n_cols, 1));
	for (int c = 0; c < m->pipeline->n_cols; c++)
	{
		bool		seen = false;

		for (int k = 0; k < nn && !seen; k++)
			seen = strcmp(names[k], m->pipeline->cols[c].source) == 0;
		if (!seen)
			names[nn++] = m->pipeline->cols[c].source;
	}
	src = source_read(source, m->target_name, names, nn, NULL, 0, true);
	X = mlsql_model_matrix(m, src, NULL, src->n_rows, true);
	y = target_classes(m, src);
	proba = source_probabilities(m, X, src->n_rows);

	bin = palloc(sizeof(int) * bins);
	mp = palloc(sizeof(double) * bins);
	ob = palloc(sizeof(double) * bins);
	cnt = palloc(sizeof(int64_t) * bins);
	used = calibration_curve(y, proba, src->n_rows, m->n_classes, bins, bin, mp, ob, cnt);
	for (int i = 0; i < used; i++)
	{
		Datum		v[4];
		bool		nulls[4] = {0};

		v[0] = Int32GetDatum(bin[i] + 1);	/* 1-based, as width_bucket */
		v[1] = Float8GetDatum(mp[i]);
		v[2] = Float8GetDatum(ob[i]);
		v[3] = Int64GetDatum((int64) cnt[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
