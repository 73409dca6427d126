/*-------------------------------------------------------------------------
 *
 * dataset.c
 *	  Training matrix helpers and the deterministic, stratified split.
 *
 * The split costs O(n log n) for the sort by row hash and O(n * p) to hash
 * the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "dataset.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

MLDataset *
dataset_create(size_t n_rows, size_t n_cols, int n_classes)
{
	MLDataset  *d = ml_alloc(sizeof(MLDataset));

	d->n_rows = n_rows;
	d->n_cols = n_cols;
	d->n_classes = n_classes;
	d->X = ml_alloc(ml_mul_size(ml_mul_size(n_rows, n_cols ? n_cols : 1), sizeof(double)));
	d->y = ml_alloc(ml_mul_size(n_rows ? n_rows : 1, sizeof(double)));
	return d;
}

MLDataset *
dataset_subset(const MLDataset *d, const size_t *rows, size_t n)
{
	MLDataset  *s = dataset_create(n, d->n_cols, d->n_classes);

	for (size_t j = 0; j < d->n_cols; j++)
	{
		const double *src = d->X + j * d->n_rows;
		double	   *dst = s->X + j * n;

		for (size_t i = 0; i < n; i++)
			dst[i] = src[rows[i]];
	}
	for (size_t i = 0; i < n; i++)
		s->y[i] = d->y[rows[i]];
	return s;
}

void
dataset_column_stats(const MLDataset *d, double *mean, double *std)
{
	for (size_t j = 0; j < d->n_cols; j++)
	{
		const double *x = d->X + j * d->n_rows;
		double		m = 0.0,
					ss = 0.0;

		/* two-pass: exact enough and order-stable */
		for (size_t i = 0; i < d->n_rows; i++)
			m += x[i];
		m = d->n_rows ? m / d->n_rows : 0.0;
		for (size_t i = 0; i < d->n_rows; i++)
			ss += (x[i] - m) * (x[i] - m);
		mean[j] = m;
		std[j] = d->n_rows ? sqrt(ss / d->n_rows) : 0.0;
	}
}

static uint64_t
hash_double(uint64_t h, double v)
{
	uint64_t	u;

	if (v == 0.0)
		v = 0.0;				/* -0 and +0 hash alike */
	memcpy(&u, &v, 8);
	return ml_mix64(h ^ u);
}

static uint64_t
row_hash(const MLDataset *d, size_t i, uint64_t seed)
{
	uint64_t	h = ml_mix64(seed);

	for (size_t j = 0; j < d->n_cols; j++)
		h = hash_double(h, d->X[j * d->n_rows + i]);
	return hash_double(h, d->y[i]);
}

typedef struct HashedRow
{
	uint64_t	hash;
	size_t		row;
} HashedRow;

static int
cmp_hashed(const void *a, const void *b)
{
	const HashedRow *x = a,
			   *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->row < y->row ? -1 : (x->row > y->row);
}

void
dataset_split(const MLDataset *d, double test_size, uint64_t seed,
			  size_t **train_rows, size_t *n_train,
			  size_t **test_rows, size_t *n_test)
{
	size_t		n = d->n_rows;
	int			groups = d->n_classes > 0 ? d->n_classes : 1;
	HashedRow  *hr = ml_alloc(ml_mul_size(n ? n : 1, sizeof(HashedRow)));
	bool	   *is_test = ml_alloc(n ? n : 1);
	size_t		nt = 0;

	for (size_t i = 0; i < n; i++)
	{
		hr[i].hash = row_hash(d, i, seed);
		hr[i].row = i;
	}
	qsort(hr, n, sizeof(HashedRow), cmp_hashed);

	{
		size_t	   *count = ml_alloc(sizeof(size_t) * groups);
		size_t	   *want = ml_alloc(sizeof(size_t) * groups);

		for (size_t i = 0; i < n; i++)
			count[groups == 1 ? 0 : (int) d->y[i]]++;
		for (int g = 0; g < groups; g++)
		{
			want[g] = (size_t) floor(count[g] * test_size + 0.5);
			if (want[g] >= count[g] && count[g] > 0)
				want[g] = count[g] - 1; /* keep each class in training */
		}
		/* rows in hash order: the first want[g] of each group go to test */
		for (size_t i = 0; i < n; i++)
		{
			int			g = groups == 1 ? 0 : (int) d->y[hr[i].row];

			if (want[g] > 0)
			{
				is_test[hr[i].row] = true;
				want[g]--;
				nt++;
			}
		}
		ml_free(count);
		ml_free(want);
	}

	*n_test = nt;
	*n_train = n - nt;
	*test_rows = ml_alloc(ml_mul_size(nt ? nt : 1, sizeof(size_t)));
	*train_rows = ml_alloc(ml_mul_size(n - nt ? n - nt : 1, sizeof(size_t)));
	for (size_t i = 0, a = 0, b = 0; i < n; i++)
	{
		if (is_test[i])
			(*test_rows)[a++] = i;
		else
			(*train_rows)[b++] = i;
	}
	ml_free(hr);
	ml_free(is_test);
}

uint64_t
dataset_fingerprint(const MLDataset *d)
{
	uint64_t	h = ml_mix64(d->n_rows ^ (d->n_cols << 32));

	for (size_t i = 0; i < d->n_rows; i++)
		h = ml_mix64(h ^ row_hash(d, i, 0));
	return h;
}
