/*-------------------------------------------------------------------------
 *
 * ensemble_select.c
 *	  Caruana's greedy ensemble selection with replacement (see
 *	  ensemble_select.h).
 *
 *	  The running ensemble is kept as the sum of its members' predictions;
 *	  a candidate is scored on (sum + its prediction) / (size + 1), so a
 *	  round costs one pass over every candidate's predictions.
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble_select.h"

#include <math.h>
#include <string.h>

/* loss of (sum + add) / div, add may be NULL */
static double
mixed_loss(const double *sum, const double *add, double div, const double *y, size_t n, int width)
{
	double		loss = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (width == 1)
		{
			double		v = (sum[i] + (add ? add[i] : 0)) / div;
			double		d = v - y[i];

			loss += d * d;
		}
		else
		{
			size_t		at = i * (size_t) width + (size_t) y[i];
			double		p = (sum[at] + (add ? add[at] : 0)) / div;

			p = p < 1e-15 ? 1e-15 : (p > 1 - 1e-15 ? 1 - 1e-15 : p);
			loss -= log(p);
		}
	}
	return n > 0 ? loss / (double) n : NAN;
}

double
ensemble_select_loss(const double *pred, const double *y, size_t n, int width)
{
	return mixed_loss(pred, NULL, 1.0, y, n, width);
}

double
ensemble_select(const double *const *pred, int m, const double *y, size_t n,
				int width, int rounds, int *counts, double *curve)
{
	size_t		len = ml_mul_size(n, (size_t) width);
	double	   *sum = ml_alloc(ml_mul_size(len, sizeof(double)));
	int		   *cur = ml_alloc(ml_mul_size((size_t) m, sizeof(int)));
	double		best_loss = INFINITY;

	if (m < 1 || rounds < 1)
		ml_error(ML_ERR_PARAM, NULL, "ensemble selection needs at least one candidate and one round");
	memset(counts, 0, (size_t) m * sizeof(int));
	for (int r = 0; r < rounds; r++)
	{
		int			pick = -1;
		double		pick_loss = INFINITY;

		for (int c = 0; c < m; c++)
		{
			double		l = mixed_loss(sum, pred[c], (double) (r + 1), y, n, width);

			if (l < pick_loss)
			{
				pick_loss = l;
				pick = c;
			}
		}
		if (pick < 0)			/* every candidate's loss is NaN */
			ml_error(ML_ERR_DATA, NULL, "ensemble selection found no candidate with a finite loss");
		for (size_t i = 0; i < len; i++)
			sum[i] += pred[pick][i];
		cur[pick]++;
		if (curve)
			curve[r] = pick_loss;
		if (pick_loss < best_loss)
		{
			best_loss = pick_loss;
			memcpy(counts, cur, (size_t) m * sizeof(int));
		}
		ml_check_interrupts();
	}
	ml_free(sum);
	ml_free(cur);
	return best_loss;
}
