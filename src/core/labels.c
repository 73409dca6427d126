/*-------------------------------------------------------------------------
 *
 * labels.c
 *	  Confident learning over out-of-fold probabilities (see labels.h).
 *
 *	  One pass for the thresholds, one for the confident classes, then a
 *	  stable sort: the same probabilities give the same issues in the same
 *	  order.
 *
 *-------------------------------------------------------------------------
 */
#include "labels.h"

#include <math.h>
#include <stdlib.h>

static int
issue_cmp(const void *a, const void *b)
{
	const MLLabelIssue *p = a,
			   *q = b;

	if (p->self_confidence != q->self_confidence)
		return p->self_confidence < q->self_confidence ? -1 : 1;
	if (p->margin != q->margin)
		return p->margin < q->margin ? -1 : 1;
	return p->row < q->row ? -1 : (p->row > q->row);
}

size_t
label_issues_find(const double *y, const double *proba, size_t n, int k,
				  MLLabelIssue **issues, double *thresholds)
{
	double	   *t = ml_alloc(ml_mul_size((size_t) k, sizeof(double)));
	double	   *cnt = ml_alloc(ml_mul_size((size_t) k, sizeof(double)));
	MLLabelIssue *out = NULL;
	size_t		m = 0;

	if (k < 2)
		ml_error(ML_ERR_PARAM, NULL, "label issues need a classification target with at least two classes");
	for (size_t i = 0; i < n; i++)
	{
		int			yi = (int) y[i];

		if (yi < 0 || yi >= k || (double) yi != y[i])
			ml_error(ML_ERR_DATA, NULL, "row %zu has no valid class index", i);
		for (int j = 0; j < k; j++)
			if (!(proba[i * (size_t) k + j] >= 0 && proba[i * (size_t) k + j] <= 1))
				ml_error(ML_ERR_DATA, NULL, "row %zu has a probability outside [0, 1]", i);
		t[yi] += proba[i * (size_t) k + yi];
		cnt[yi] += 1;
	}
	for (int j = 0; j < k; j++)
		t[j] = cnt[j] > 0 ? t[j] / cnt[j] : NAN;

	for (size_t i = 0; i < n; i++)
	{
		const double *p = proba + i * (size_t) k;
		int			yi = (int) y[i],
					best = -1;
		double		other = -INFINITY;

		for (int j = 0; j < k; j++)
			if (!isnan(t[j]) && p[j] >= t[j] - 1e-6 && (best < 0 || p[j] > p[best]))
				best = j;
		if (best < 0 || best == yi)
			continue;
		for (int j = 0; j < k; j++)
			if (j != yi && p[j] > other)
				other = p[j];
		if (out == NULL)
			out = ml_alloc(ml_mul_size(n, sizeof(MLLabelIssue)));
		out[m].row = i;
		out[m].given = yi;
		out[m].suggested = best;
		out[m].self_confidence = p[yi];
		out[m].margin = p[yi] - other;
		m++;
	}
	if (m > 1)
		qsort(out, m, sizeof(MLLabelIssue), issue_cmp);
	if (thresholds)
		for (int j = 0; j < k; j++)
			thresholds[j] = t[j];
	ml_free(t);
	ml_free(cnt);
	*issues = out;
	return m;
}
