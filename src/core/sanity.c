/*-------------------------------------------------------------------------
 *
 * sanity.c
 *	  One-feature predictors and shared rows (see sanity.h).
 *
 *-------------------------------------------------------------------------
 */
#include "sanity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "rng.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* the bin of value v: 0 for NaN, else 1 + the number of cuts <= v */
static int
bin_of(double v, const double *cuts, int n_cuts)
{
	int			lo = 0,
				hi = n_cuts;

	if (isnan(v))
		return 0;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (cuts[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1 + lo;
}

/* the cuts between quantile bins of the non-NaN training values; returns their number */
static int
quantile_cuts(const double *x, size_t n, double *cuts)
{
	double	   *s = ml_alloc(sizeof(double) * (n ? n : 1));
	size_t		m = 0;
	int			n_cuts = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			s[m++] = x[i];
	qsort(s, m, sizeof(double), cmp_double);
	for (int b = 1; b < ML_UNIVARIATE_BINS && m > 0; b++)
	{
		size_t		at = (size_t) ((double) m * b / ML_UNIVARIATE_BINS);

		/* a cut is the first value of a bin; equal values stay together */
		while (at > 0 && at < m && s[at] == s[at - 1])
			at++;
		if (at == 0 || at >= m)
			continue;
		if (n_cuts > 0 && cuts[n_cuts - 1] >= s[at])
			continue;
		cuts[n_cuts++] = s[at];
	}
	ml_free(s);
	return n_cuts;
}

static double
r2_of(const double *y, const double *pred, size_t n)
{
	double		mean = 0,
				sse = 0,
				sst = 0;

	for (size_t i = 0; i < n; i++)
		mean += y[i] / n;
	for (size_t i = 0; i < n; i++)
	{
		sse += (y[i] - pred[i]) * (y[i] - pred[i]);
		sst += (y[i] - mean) * (y[i] - mean);
	}
	return sst > 0 ? 1 - sse / sst : (sse == 0 ? 1 : 0);
}

/* the least-squares line of y on x (NaN x: the mean) scored as r2 on the evaluation rows */
static double
line_r2(const double *xt, const double *yt, size_t nt, const double *xe, const double *ye,
		size_t ne, double *pred)
{
	double		mx = 0,
				my = 0,
				sxy = 0,
				sxx = 0,
				slope;
	size_t		m = 0;

	for (size_t i = 0; i < nt; i++)
		if (!isnan(xt[i]))
		{
			mx += xt[i];
			my += yt[i];
			m++;
		}
	if (m == 0)
		return -INFINITY;
	mx /= m;
	my /= m;
	for (size_t i = 0; i < nt; i++)
		if (!isnan(xt[i]))
		{
			sxy += (xt[i] - mx) * (yt[i] - my);
			sxx += (xt[i] - mx) * (xt[i] - mx);
		}
	slope = sxx > 0 ? sxy / sxx : 0;
	for (size_t i = 0; i < ne; i++)
		pred[i] = isnan(xe[i]) ? my : my + slope * (xe[i] - mx);
	return r2_of(ye, pred, ne);
}

double
univariate_score(const double *xt, const double *yt, size_t nt, const double *xe,
				 const double *ye, size_t ne, int k)
{
	double		cuts[ML_UNIVARIATE_BINS];
	int			n_cuts,
				n_bins;
	int			width = k >= 2 ? k : 2;
	double	   *acc;			/* per bin: class counts, or sum and count */
	double	   *pred;
	double		score;
	int			fallback = 0;
	double		mean = 0;

	if (nt == 0 || ne == 0)
		return NAN;
	n_cuts = quantile_cuts(xt, nt, cuts);
	n_bins = n_cuts + 2;
	acc = ml_alloc(sizeof(double) * n_bins * width);
	pred = ml_alloc(sizeof(double) * ne);
	for (size_t i = 0; i < nt; i++)
	{
		int			b = bin_of(xt[i], cuts, n_cuts);

		if (k >= 2)
			acc[b * width + (int) yt[i]] += 1;
		else
		{
			acc[b * width] += yt[i];
			acc[b * width + 1] += 1;
		}
		mean += yt[i] / nt;
	}
	if (k >= 2)
	{
		double		best = -1;

		/* the training majority, for bins no training row reached */
		for (int c = 0; c < k; c++)
		{
			double		n_c = 0;

			for (int b = 0; b < n_bins; b++)
				n_c += acc[b * width + c];
			if (n_c > best)
			{
				best = n_c;
				fallback = c;
			}
		}
	}
	score = 0;
	for (size_t i = 0; i < ne; i++)
	{
		int			b = bin_of(xe[i], cuts, n_cuts);
		const double *a = acc + b * width;

		if (k >= 2)
		{
			int			c_best = fallback;

			for (int c = 0; c < k; c++)
				if (a[c] > a[c_best])
					c_best = c;
			score += c_best == (int) ye[i];
		}
		else
			pred[i] = a[1] > 0 ? a[0] / a[1] : mean;
	}
	if (k >= 2)
		score /= ne;
	else
	{
		double		binned = r2_of(ye, pred, ne);
		double		line = line_r2(xt, yt, nt, xe, ye, ne, pred);

		score = line > binned ? line : binned;
	}
	ml_free(acc);
	ml_free(pred);
	return score;
}

typedef struct RowKey
{
	uint64_t	hash;
	size_t		row;
} RowKey;

static int
cmp_rowkey(const void *a, const void *b)
{
	const RowKey *x = a,
			   *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row ? 1 : 0;
}

static uint64_t
row_hash(const double *X, size_t n, size_t p, size_t i)
{
	uint64_t	h = 0x5A17C0DEull;

	for (size_t j = 0; j < p; j++)
		h = ml_row_hash_num(h, X[j * n + i]);
	return h;
}

static bool
rows_equal(const double *A, size_t n_a, size_t a, const double *B, size_t n_b, size_t b, size_t p)
{
	for (size_t j = 0; j < p; j++)
	{
		double		x = A[j * n_a + a],
					y = B[j * n_b + b];

		if (!(x == y || (isnan(x) && isnan(y))))
			return false;
	}
	return true;
}

size_t
rows_shared(const double *A, size_t n_a, const double *B, size_t n_b, size_t p, bool *in_a)
{
	RowKey	   *keys = ml_alloc(sizeof(RowKey) * (n_a ? n_a : 1));
	size_t		shared = 0;

	for (size_t i = 0; i < n_a; i++)
	{
		keys[i].hash = row_hash(A, n_a, p, i);
		keys[i].row = i;
	}
	qsort(keys, n_a, sizeof(RowKey), cmp_rowkey);
	for (size_t i = 0; i < n_b; i++)
	{
		uint64_t	h = row_hash(B, n_b, p, i);
		size_t		lo = 0,
					hi = n_a;
		bool		found = false;

		while (lo < hi)
		{
			size_t		mid = (lo + hi) / 2;

			if (keys[mid].hash < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < n_a && keys[j].hash == h && !found; j++)
			found = rows_equal(A, n_a, keys[j].row, B, n_b, i, p);
		shared += found;
		if (in_a)
			in_a[i] = found;
	}
	ml_free(keys);
	return shared;
}
