/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Regression and classification metrics.
 *
 * roc_auc is the Mann-Whitney statistic: sort by score, give tied scores
 * their average rank, AUC = (sum of positive ranks - P(P+1)/2) / (P * N).
 * This equals the trapezoidal area under the ROC curve that scikit-learn
 * computes.  O(n log n) time, O(n) memory.
 *
 *-------------------------------------------------------------------------
 */
#include "metrics.h"
#include "calibrate.h"
#include "sortcount.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
put(MLMetricSet *m, const char *name, double v)
{
	m->names[m->n] = name;
	m->values[m->n] = v;
	m->n++;
}

double
metrics_get(const MLMetricSet *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NAN;
}

bool
metrics_lower_better(const char *metric)
{
	return metric && (strcmp(metric, "log_loss") == 0 || strcmp(metric, "rmse") == 0 ||
					  strcmp(metric, "mae") == 0 || strcmp(metric, "brier") == 0 ||
					  strcmp(metric, "ece") == 0);
}

bool
metrics_valid(MLTask task, const char *metric, bool *lower_better)
{
	static const char *const cls[] = {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
	"brier", "ece"};
	static const char *const reg[] = {"r2", "rmse", "mae"};
	const char *const *list = task == ML_CLASSIFICATION ? cls : reg;
	size_t		n = task == ML_CLASSIFICATION ? sizeof(cls) / sizeof(cls[0]) : sizeof(reg) / sizeof(reg[0]);

	if (lower_better)
		*lower_better = metrics_lower_better(metric);
	if (metric == NULL || (task != ML_CLASSIFICATION && task != ML_REGRESSION))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], metric) == 0)
			return true;
	return false;
}

bool
metrics_better(const char *metric, double a, double b)
{
	if (isnan(a))
		return false;
	if (isnan(b))
		return true;
	return metrics_lower_better(metric) ? a < b : a > b;
}

const char *
metrics_key(MLTask task)
{
	switch (task)
	{
		case ML_CLASSIFICATION:
			return "accuracy";
		case ML_CLUSTERING:
			return "silhouette";
		case ML_ANOMALY:
			return NULL;		/* no score decides between detectors */
		default:
			return "r2";
	}
}

void
metrics_regression(const double *y, const double *pred, size_t n, MLMetricSet *out)
{
	double		mean = 0.0,
				ss_tot = 0.0,
				ss_res = 0.0,
				abs_err = 0.0;

	out->n = 0;
	for (size_t i = 0; i < n; i++)
		mean += y[i];
	mean = n ? mean / n : NAN;
	for (size_t i = 0; i < n; i++)
	{
		double		e = y[i] - pred[i];

		ss_res += e * e;
		abs_err += fabs(e);
		ss_tot += (y[i] - mean) * (y[i] - mean);
	}
	put(out, "r2", (n > 1 && ss_tot > 0) ? 1.0 - ss_res / ss_tot : NAN);
	put(out, "rmse", n ? sqrt(ss_res / n) : NAN);
	put(out, "mae", n ? abs_err / n : NAN);
}

/*
 * Rows sorted by score (a radix sort: NaN scores first, each its own tie
 * group as before); ties share their average rank.
 */
double
metrics_roc_auc_binary(const double *positive, const double *score, size_t n)
{
	MLKeyVal   *s = ml_alloc(ml_mul_size(n ? n : 1, sizeof(MLKeyVal)));
	double		n_pos = 0,
				rank_sum = 0,
				auc;
	size_t		i = 0;

	for (size_t r = 0; r < n; r++)
	{
		s[r].key = isnan(score[r]) ? 0 : ml_double_key(score[r]);
		memcpy(&s[r].val, &positive[r], sizeof(double));
		n_pos += positive[r];
	}
	ml_sort_keyval(s, n);
	while (i < n)
	{
		size_t		j = i;
		double		pos_in_tie = 0;

		/* a NaN score (key 0) ties with nothing */
		do
		{
			double		w;

			memcpy(&w, &s[j].val, sizeof(double));
			pos_in_tie += w;
			j++;
		} while (j < n && s[i].key != 0 && s[j].key == s[i].key);
		/* ranks i+1 .. j share their average */
		rank_sum += pos_in_tie * ((double) (i + 1) + (double) j) / 2.0;
		i = j;
	}
	ml_free(s);
	if (n_pos == 0 || n_pos == (double) n)
		return NAN;
	auc = (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * ((double) n - n_pos));
	return auc;
}

void
metrics_classification(const double *y, const double *proba, size_t n, int k,
					   MLMetricSet *out)
{
	metrics_classification_at(y, proba, n, k, NAN, out);
}

/*
 * precision, recall and f1 from per-class counts of true positives,
 * predictions and true labels: binary, of the second class; multiclass,
 * macro averages over the classes present in the labels or predictions
 * (0 where a class is never predicted, scikit-learn's zero_division)
 */
void
metrics_put_prf(const double *tp, const double *pred_count, const double *true_count, int k,
				MLMetricSet *out)
{
	if (k == 2)
	{
		double		prec = pred_count[1] > 0 ? tp[1] / pred_count[1] : 0.0,
					rec = true_count[1] > 0 ? tp[1] / true_count[1] : 0.0;

		put(out, "precision", prec);
		put(out, "recall", rec);
		put(out, "f1", prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0);
	}
	else
	{
		double		sp = 0,
					sr = 0,
					sf = 0;
		int			present = 0;

		for (int c = 0; c < k; c++)
		{
			double		prec,
						rec;

			if (true_count[c] == 0 && pred_count[c] == 0)
				continue;
			present++;
			prec = pred_count[c] > 0 ? tp[c] / pred_count[c] : 0.0;
			rec = true_count[c] > 0 ? tp[c] / true_count[c] : 0.0;
			sp += prec;
			sr += rec;
			sf += prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0;
		}
		put(out, "precision", present ? sp / present : NAN);
		put(out, "recall", present ? sr / present : NAN);
		put(out, "f1", present ? sf / present : NAN);
	}
}

void
metrics_classification_at(const double *y, const double *proba, size_t n, int k,
						  double threshold, MLMetricSet *out)
{
	size_t		kk = (size_t) k;
	double	   *tp = ml_alloc(sizeof(double) * kk);
	double	   *pred_count = ml_alloc(sizeof(double) * kk);
	double	   *true_count = ml_alloc(sizeof(double) * kk);
	double		correct = 0,
				ll = 0;
	const double eps = 1e-15;

	out->n = 0;
	for (size_t i = 0; i < n; i++)
	{
		const double *p = proba + i * kk;
		int			best = k == 2 && !isnan(threshold) ? (p[1] >= threshold ? 1 : 0) : ml_argmax(p, k),
					t = (int) y[i];
		double		sum = 0,
					pt;

		pred_count[best]++;
		true_count[t]++;
		if (best == t)
		{
			correct++;
			tp[t]++;
		}
		/* clip then renormalize, as scikit-learn's log_loss */
		for (int c = 0; c < k; c++)
			sum += fmin(fmax(p[c], eps), 1 - eps);
		pt = fmin(fmax(p[t], eps), 1 - eps) / sum;
		ll -= log(pt);
	}
	put(out, "accuracy", n ? correct / n : NAN);

	metrics_put_prf(tp, pred_count, true_count, k, out);
	put(out, "log_loss", n ? ll / n : NAN);

	{
		double	   *pos = ml_alloc(ml_mul_size(n ? n : 1, sizeof(double)));
		double	   *score = ml_alloc(ml_mul_size(n ? n : 1, sizeof(double)));
		double		auc = 0;
		int			used = 0;

		for (int c = (k == 2 ? 1 : 0); c < k; c++)
		{
			double		a;

			for (size_t i = 0; i < n; i++)
			{
				pos[i] = ((int) y[i] == c) ? 1.0 : 0.0;
				score[i] = proba[i * kk + c];
			}
			a = metrics_roc_auc_binary(pos, score, n);
			if (isnan(a))
			{
				if (k == 2)
					break;
				continue;		/* class absent from this data */
			}
			auc += a;
			used++;
		}
		put(out, "roc_auc", used ? auc / used : NAN);
		ml_free(pos);
		ml_free(score);
	}
	/* calibration: neither depends on the threshold */
	put(out, "brier", calibration_brier(y, proba, n, k));
	put(out, "ece", calibration_ece(y, proba, n, k, ML_ECE_BINS));
	ml_free(tp);
	ml_free(pred_count);
	ml_free(true_count);
}

void
metrics_clustering(const double *X, size_t n, size_t p, const double *label, MLMetricSet *out)
{
	/* silhouette (Rousseeuw 1987) over the first 2000 rows: O(m^2 p) */
	size_t		m = n < 2000 ? n : 2000;
	int			k = 0;
	double		total = 0;
	size_t		counted = 0;

	out->n = 0;
	for (size_t i = 0; i < m; i++)
		k = label[i] + 1 > k ? (int) label[i] + 1 : k;
	{
		double	   *sum = ml_alloc(sizeof(double) * (k ? k : 1));
		double	   *cnt = ml_alloc(sizeof(double) * (k ? k : 1));
		int			used = 0;

		for (size_t i = 0; i < m; i++)
			cnt[(int) label[i]]++;
		for (int c = 0; c < k; c++)
			used += cnt[c] > 0;
		for (size_t i = 0; i < m && used > 1; i++)
		{
			int			li = (int) label[i];
			double		a,
						b = INFINITY;

			memset(sum, 0, sizeof(double) * k);
			for (size_t j = 0; j < m; j++)
			{
				double		d = 0;

				for (size_t f = 0; f < p; f++)
				{
					double		t = X[f * n + i] - X[f * n + j];

					d += t * t;
				}
				sum[(int) label[j]] += sqrt(d);
			}
			if (cnt[li] <= 1)
				continue;		/* a lone row scores 0 */
			a = sum[li] / (cnt[li] - 1);
			for (int c = 0; c < k; c++)
				if (c != li && cnt[c] > 0)
					b = fmin(b, sum[c] / cnt[c]);
			total += (b - a) / fmax(a, b);
			counted++;
		}
		put(out, "silhouette", used > 1 && m > 0 ? total / m : NAN);
		put(out, "clusters", used);
		ml_free(sum);
		ml_free(cnt);
	}
	(void) counted;
}

void
metrics_anomaly(const double *label_score, size_t n, MLMetricSet *out)
{
	double		flagged = 0,
				score = 0;

	out->n = 0;
	for (size_t i = 0; i < n; i++)
	{
		flagged += label_score[2 * i];
		score += label_score[2 * i + 1];
	}
	put(out, "anomaly_share", n ? flagged / n : NAN);
	put(out, "mean_score", n ? score / n : NAN);
}
