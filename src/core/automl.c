/*-------------------------------------------------------------------------
 *
 * automl.c
 *	  ml_automl's plan and bookkeeping (see automl.h): budget shares,
 *	  cross-validated scores from out-of-fold predictions, the best few
 *	  learners, the pool of predictions kept for ensemble selection
 *	  (Caruana, Niculescu-Mizil, Crew and Ksikes, ICML 2004: core/
 *	  ensemble_select.c) and the blend of the chosen.
 *
 * Everything here is deterministic and knows no PostgreSQL.  Time: O(n
 * width) per score or blend, O(n top) to pick the best groups, O(cap) per
 * admission to the pool.
 *
 *-------------------------------------------------------------------------
 */
#include "automl.h"
#include "metrics.h"
#include "ml.h"

#include <math.h>
#include <string.h>

const char *
automl_phase_name(int phase)
{
	switch (phase)
	{
		case AUTOML_BASELINE:
			return "baselines";
		case AUTOML_DEFAULTS:
			return "defaults";
		case AUTOML_SEARCH:
			return "search";
		case AUTOML_ENSEMBLE:
			return "ensemble";
	}
	return "unknown";
}

void
automl_phase_ends(double budget, double *end_defaults, double *end_search)
{
	*end_defaults = budget * AUTOML_SHARE_DEFAULTS;
	*end_search = budget * (AUTOML_SHARE_DEFAULTS + AUTOML_SHARE_SEARCH);
}

double
automl_time_box(double now, double phase_end, int left)
{
	if (!(now < phase_end) || left < 1)
		return NAN;
	return now + (phase_end - now) / left;
}

double
automl_pooled_score(const double *y, const double *pred, size_t n, int k, const char *metric)
{
	MLMetricSet ms = {0};

	if (n == 0)
		return NAN;
	if (k > 0)
		metrics_classification(y, pred, n, k, &ms);
	else
		metrics_regression(y, pred, n, &ms);
	return metrics_get(&ms, metric);
}

double
automl_cv_score(const double *y, const double *oof, const int *fold, size_t n, int folds, int k,
				const char *metric, double *std)
{
	size_t		width = k > 0 ? (size_t) k : 1;
	double	   *fy = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *fp = ml_alloc(sizeof(double) * (n ? n : 1) * width);
	double	   *per = ml_alloc(sizeof(double) * (folds > 0 ? folds : 1));
	double		sum = 0,
				ss = 0;

	for (int f = 0; f < folds; f++)
	{
		size_t		m = 0;

		for (size_t i = 0; i < n; i++)
			if (fold[i] == f)
			{
				fy[m] = y[i];
				memcpy(fp + m * width, oof + i * width, sizeof(double) * width);
				m++;
			}
		per[f] = automl_pooled_score(fy, fp, m, k, metric);
		sum += per[f];
	}
	sum /= folds;
	for (int f = 0; f < folds; f++)
		ss += (per[f] - sum) * (per[f] - sum);
	*std = folds > 1 ? sqrt(ss / folds) : 0;
	ml_free(fy);
	ml_free(fp);
	ml_free(per);
	return isfinite(sum) ? sum : NAN;
}

int
automl_top_groups(const double *key, const int *group, const bool *eligible, int n, int top,
				  int *out)
{
	int			m = 0;

	/* out[0 .. m): the groups' best trials, best first (insertion) */
	for (int t = 0; t < n; t++)
	{
		int			at = -1;

		if (!eligible[t] || isnan(key[t]))
			continue;
		for (int q = 0; q < m; q++)
			if (group[out[q]] == group[t])
				at = q;
		if (at >= 0)
		{
			if (!(key[t] > key[out[at]]))
				continue;
			/* a better trial of a group already in: take its place, move up */
			memmove(out + at, out + at + 1, sizeof(int) * (size_t) (m - at - 1));
			m--;
		}
		{
			int			q = m;

			while (q > 0 && key[t] > key[out[q - 1]])
			{
				out[q] = out[q - 1];
				q--;
			}
			out[q] = t;
			m++;
		}
	}
	return m < top ? m : top;
}

int
automl_pool_admit(double *pool_key, int *pool_trial, int *n_pool, int cap, double key,
				  int trial, int *evicted)
{
	int			worst = 0;

	*evicted = -1;
	if (isnan(key) || cap < 1)
		return -1;
	if (*n_pool < cap)
	{
		pool_key[*n_pool] = key;
		pool_trial[*n_pool] = trial;
		return (*n_pool)++;
	}
	/* the worst member (ties: the later trial goes first) */
	for (int i = 1; i < *n_pool; i++)
		if (pool_key[i] < pool_key[worst] ||
			(pool_key[i] == pool_key[worst] && pool_trial[i] > pool_trial[worst]))
			worst = i;
	if (!(key > pool_key[worst]))
		return -1;
	*evicted = pool_trial[worst];
	pool_key[worst] = key;
	pool_trial[worst] = trial;
	return worst;
}

void
automl_blend(const double *const *pred, const int *counts, int m, size_t n, int width,
			 double *out)
{
	double		total = 0;

	for (int c = 0; c < m; c++)
		total += counts[c];
	memset(out, 0, sizeof(double) * n * (size_t) width);
	if (total <= 0)
		return;
	for (int c = 0; c < m; c++)
	{
		double		w = counts[c] / total;

		if (counts[c] == 0)
			continue;
		for (size_t i = 0; i < n * (size_t) width; i++)
			out[i] += w * pred[c][i];
	}
}
