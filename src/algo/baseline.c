/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  The baseline learner: the training mean for regression, the class
 *	  frequencies for classification (so the predicted label is the majority
 *	  class, as scikit-learn's DummyClassifier "prior" strategy).
 *
 * Every run is also scored against this learner on the same split, so a
 * metric is always read next to what knowing nothing achieves.
 * Fit O(n), predict O(k) per row, model O(k).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

#include <string.h>

typedef struct Baseline
{
	int			k;				/* 0 for regression */
	double	   *value;			/* mean, or k class frequencies */
} Baseline;

static const MLParamSpec baseline_params[] = {{NULL}};

static void *
baseline_fit(const MLDataset *train, const MLDataset *valid,
			 const MLParams *params, MLFitContext *ctx)
{
	Baseline   *b = ml_alloc(sizeof(Baseline));
	size_t		n = train->n_rows;

	(void) valid;
	(void) params;
	(void) ctx;
	b->k = train->n_classes;
	if (b->k == 0)
	{
		double		s = 0;

		b->value = ml_alloc(sizeof(double));
		for (size_t i = 0; i < n; i++)
			s += train->y[i];
		b->value[0] = n ? s / n : 0.0;
	}
	else
	{
		b->value = ml_alloc(sizeof(double) * b->k);
		for (size_t i = 0; i < n; i++)
			b->value[(int) train->y[i]] += 1.0;
		for (int c = 0; c < b->k; c++)
			b->value[c] = n ? b->value[c] / n : 1.0 / b->k;
	}
	return b;
}

static void
baseline_predict(const void *state, const double *X, size_t n, double *out)
{
	const Baseline *b = state;
	size_t		k = b->k ? (size_t) b->k : 1;

	(void) X;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < k; c++)
			out[i * k + c] = b->value[c];
}

static void
baseline_write(const void *state, MLBuffer *out)
{
	const Baseline *b = state;

	buffer_put_u32(out, (uint32_t) b->k);
	buffer_put_f64s(out, b->value, b->k ? b->k : 1);
}

static void *
baseline_read(MLReader *in, size_t p, int k)
{
	Baseline   *b = ml_alloc(sizeof(Baseline));

	(void) p;
	b->k = (int) reader_u32(in);
	if (b->k != k)
		ml_error(ML_ERR_CORRUPT, NULL, "baseline model has %d classes, header says %d", b->k, k);
	b->value = reader_f64s(in, k ? (size_t) k : 1);
	return b;
}

static void
baseline_describe(const void *state, MLBuffer *json)
{
	const Baseline *b = state;

	if (b->k == 0)
	{
		buffer_printf(json, "{\"mean\": ");
		buffer_json_num(json, b->value[0]);
		buffer_printf(json, "}");
		return;
	}
	buffer_printf(json, "{\"class_prior\": [");
	for (int c = 0; c < b->k; c++)
	{
		if (c)
			buffer_printf(json, ", ");
		buffer_json_num(json, b->value[c]);
	}
	buffer_printf(json, "]}");
}

/* the state from the target mean (k = 0) or the k class frequencies */
static void *
baseline_from_prior(const double *value, int k)
{
	Baseline   *b = ml_alloc(sizeof(Baseline));

	b->k = k;
	b->value = ml_alloc(sizeof(double) * (k ? (size_t) k : 1));
	memcpy(b->value, value, sizeof(double) * (k ? (size_t) k : 1));
	return b;
}

const MLLearner ml_learner_baseline = {
	.name = "baseline",
	.id = 1,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = baseline_params,
	.doc = "mean (regression) or class frequencies (classification)",
	.fit = baseline_fit,
	.predict = baseline_predict,
	.write = baseline_write,
	.read = baseline_read,
	.describe = baseline_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_PRIOR,
	.from_prior = baseline_from_prior,
};
