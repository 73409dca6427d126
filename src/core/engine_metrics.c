/*-------------------------------------------------------------------------
 *
 * engine_metrics.c
 *	  The aggregate engine's results: the metrics a METRICS pass's merged
 *	  state gives (see engine.h).
 *
 *-------------------------------------------------------------------------
 */

#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- results ---- */

static void
put_metric(MLMetricSet *out, const char *name, double v)
{
	if (out->n < ML_MAX_METRICS)
	{
		out->names[out->n] = name;
		out->values[out->n++] = v;
	}
}

double
engine_auc(const MLEngineAcc *a, int cls, double *bound)
{
	const uint64_t *neg = a->hist + ((size_t) cls * 2) * a->bins,
			   *pos = a->hist + ((size_t) cls * 2 + 1) * a->bins;
	double		P = 0,
				N = 0,
				below = 0,
				area = 0,
				ties = 0;

	for (int b = 0; b < a->bins; b++)
	{
		P += (double) pos[b];
		N += (double) neg[b];
	}
	if (P == 0 || N == 0)
	{
		*bound = 0;
		return NAN;
	}
	for (int b = 0; b < a->bins; b++)
	{
		size_t		pi = ((size_t) cls * 2 + 1) * a->bins + b,
					ni = ((size_t) cls * 2) * a->bins + b;

		area += (double) pos[b] * (below + 0.5 * (double) neg[b]);
		/* a pair within one bin counts one half: exact when every score there is the same */
		if (pos[b] && neg[b] &&
			!(a->lo[pi] == a->hi[pi] && a->lo[ni] == a->hi[ni] && a->lo[pi] == a->lo[ni]))
			ties += (double) pos[b] * (double) neg[b];
		below += (double) neg[b];
	}
	*bound = 0.5 * ties / (P * N);
	return area / (P * N);
}

void
engine_metrics(const MLEngineState *s, int m, int split, MLMetricSet *out)
{
	const MLEngineAcc *a = &s->acc[m][split];
	const MLModel *mm = s->cfg->scored[m].model;
	double		n = (double) a->n;

	out->n = 0;
	switch (mm->task)
	{
		case ML_REGRESSION:
			put_metric(out, "r2", (a->n > 1 && a->y_m2 > 0) ? 1.0 - a->sse / a->y_m2 : NAN);
			put_metric(out, "rmse", a->n ? sqrt(a->sse / n) : NAN);
			put_metric(out, "mae", a->n ? a->sae / n : NAN);
			break;
		case ML_CLASSIFICATION:
			{
				int			k = a->k;
				double		correct = 0,
						   *tp = ml_alloc(sizeof(double) * k),
						   *pc = ml_alloc(sizeof(double) * k),
						   *tc = ml_alloc(sizeof(double) * k);

				for (int t = 0; t < k; t++)
					for (int q = 0; q < k; q++)
					{
						double		c = (double) a->confusion[(size_t) t * k + q];

						tc[t] += c;
						pc[q] += c;
						if (t == q)
						{
							tp[t] += c;
							correct += c;
						}
					}
				put_metric(out, "accuracy", a->n ? correct / n : NAN);
				metrics_put_prf(tp, pc, tc, k, out);
				put_metric(out, "log_loss", a->n ? a->log_loss / n : NAN);
				{
					double		auc = 0,
								bound;
					int			used = 0;

					for (int c = (k == 2 ? 1 : 0); c < k; c++)
					{
						double		v = engine_auc(a, c, &bound);

						if (isnan(v))
						{
							if (k == 2)
								break;
							continue;
						}
						auc += v;
						used++;
					}
					put_metric(out, "roc_auc", used ? auc / used : NAN);
				}
				put_metric(out, "brier", a->n ? a->brier / n : NAN);
				{
					double		ece = 0;
					uint64_t	total = 0;

					/* as calibration_ece: the non-empty bins weighted by their rows */
					for (int b = 0; b < ML_ECE_BINS; b++)
						total += a->ece_n[b];
					for (int b = 0; b < ML_ECE_BINS; b++)
						if (a->ece_n[b] > 0)
							ece += (double) a->ece_n[b] / (double) total *
								fabs(a->ece_pred[b] / (double) a->ece_n[b] - a->ece_obs[b] / (double) a->ece_n[b]);
					put_metric(out, "ece", total > 0 ? ece : NAN);
				}
				ml_free(tp);
				ml_free(pc);
				ml_free(tc);
				break;
			}
		case ML_CLUSTERING:
			{
				size_t		w = mm->n_features + 1,
							ns = a->n_sample;
				double	   *X = ml_alloc(ml_mul_size(ns ? ns : 1, w * sizeof(double)));
				double	   *lab = ml_alloc(sizeof(double) * (ns ? ns : 1));

				/* column-major, as metrics_clustering reads it */
				for (size_t i = 0; i < ns; i++)
				{
					for (size_t j = 0; j < mm->n_features; j++)
						X[j * ns + i] = a->sample_x[i * w + j];
					lab[i] = a->sample_x[i * w + mm->n_features];
				}
				metrics_clustering(X, ns, mm->n_features, lab, out);
				ml_free(X);
				ml_free(lab);
				break;
			}
		case ML_ANOMALY:
			put_metric(out, "anomaly_share", a->n ? (double) a->flagged / n : NAN);
			put_metric(out, "mean_score", a->n ? a->score_sum / n : NAN);
			break;
	}
}
