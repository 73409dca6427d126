/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Small helpers of the core: checked size arithmetic, strings, task
 *	  names and the metric log of a fit context.
 *
 *-------------------------------------------------------------------------
 */
#include "ml.h"
#include "parallel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
ml_mul_size(size_t a, size_t b)
{
	if (a != 0 && b > SIZE_MAX / a)
		ml_error(ML_ERR_LIMIT, NULL, "requested size overflows (%zu * %zu)", a, b);
	return a * b;
}

size_t
ml_add_size(size_t a, size_t b)
{
	if (b > SIZE_MAX - a)
		ml_error(ML_ERR_LIMIT, NULL, "requested size overflows (%zu + %zu)", a, b);
	return a + b;
}

int
ml_argmax(const double *v, int k)
{
	int			best = 0;

	for (int c = 1; c < k; c++)
		if (v[c] > v[best])
			best = c;
	return best;
}

void
ml_softmax(double *v, int k)
{
	double		mx = -INFINITY,
				s = 0;

	for (int c = 0; c < k; c++)
		mx = fmax(mx, v[c]);
	for (int c = 0; c < k; c++)
	{
		v[c] = isfinite(mx) ? exp(v[c] - mx) : 1.0;
		s += v[c];
	}
	for (int c = 0; c < k; c++)
		v[c] /= s;
}

char *
ml_strdup(const char *s)
{
	size_t		n = strlen(s);
	char	   *d = ml_alloc(n + 1);

	memcpy(d, s, n + 1);
	return d;
}

const char *
ml_task_name(MLTask task)
{
	switch (task)
	{
		case ML_CLASSIFICATION:
			return "classification";
		case ML_CLUSTERING:
			return "clustering";
		case ML_ANOMALY:
			return "anomaly";
		default:
			return "regression";
	}
}

void
ml_log_metric(MLFitContext *ctx, const char *split, const char *name,
			  int step, double value)
{
	if (ctx == NULL)
		return;
	if (ctx->n_metrics == ctx->cap_metrics)
	{
		size_t		cap = ctx->cap_metrics ? ctx->cap_metrics * 2 : 64;

		ctx->metrics = ctx->metrics
			? ml_realloc(ctx->metrics, ml_mul_size(cap, sizeof(MLMetricRow)))
			: ml_alloc(ml_mul_size(cap, sizeof(MLMetricRow)));
		ctx->cap_metrics = cap;
	}
	ctx->metrics[ctx->n_metrics].split = split;
	ctx->metrics[ctx->n_metrics].name = name;
	ctx->metrics[ctx->n_metrics].step = step;
	ctx->metrics[ctx->n_metrics].value = value;
	ctx->n_metrics++;
}

/*
 * ml_format_double: a setting-independent text form of a number, used for
 * class labels: integers below 2^53 without exponent, others as the shortest
 * of 15..17 significant digits that reads back exactly.  buf holds 32 bytes.
 */
void
ml_format_double(double v, char *buf)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
	{
		snprintf(buf, 32, "%.0f", v == 0 ? 0.0 : v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++)
	{
		snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

MLProgressHook ml_progress_hook = NULL;

void
ml_progress(const char *unit, int done, int total, const char *metric, double value)
{
	if (ml_progress_hook && !ml_in_worker())
		ml_progress_hook(unit, done, total, metric, value);
}
