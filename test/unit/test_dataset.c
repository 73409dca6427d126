/*
 * test_dataset.c
 *	  Unit tests of src/core/dataset.c: the train / test split, stratified,
 *	  deterministic and a function of the row, and split_assign's strategies
 *	  (random splits append-stable, time, stratified).
 */
#include <math.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/dataset.h"

void
test_split(void)
{
	MLDataset  *d = unit_toy_classes(1000, 3);
	size_t	   *tr,
			   *te,
			   *tr2,
			   *te2,
				ntr,
				nte,
				ntr2,
				nte2;
	size_t		per_class[3] = {0},
				per_class_test[3] = {0};

	dataset_split(d, 0.25, 42, &tr, &ntr, &te, &nte);
	CHECK(ntr + nte == 1000);
	for (size_t i = 0; i < 1000; i++)
		per_class[(int) d->y[i]]++;
	for (size_t i = 0; i < nte; i++)
		per_class_test[(int) d->y[te[i]]]++;
	/* stratified: each class contributes round(n_c / 4) */
	for (int c = 0; c < 3; c++)
		CHECK(per_class_test[c] == (size_t) floor(per_class[c] * 0.25 + 0.5));

	/* deterministic */
	dataset_split(d, 0.25, 42, &tr2, &ntr2, &te2, &nte2);
	CHECK(nte2 == nte && memcmp(te, te2, nte * sizeof(size_t)) == 0);
	/* another seed, another split */
	dataset_split(d, 0.25, 43, &tr2, &ntr2, &te2, &nte2);
	CHECK(nte2 == nte && memcmp(te, te2, nte * sizeof(size_t)) != 0);

	/* a function of the row: reversing the rows keeps the same rows in test */
	{
		MLDataset  *r = dataset_create(1000, 2, 3);
		size_t		same = 0;

		for (size_t i = 0; i < 1000; i++)
		{
			r->X[i] = d->X[999 - i];
			r->X[1000 + i] = d->X[1000 + 999 - i];
			r->y[i] = d->y[999 - i];
		}
		dataset_split(r, 0.25, 42, &tr2, &ntr2, &te2, &nte2);
		CHECK(nte2 == nte);
		for (size_t i = 0; i < nte2; i++)
			for (size_t t = 0; t < nte; t++)
				if (te[t] == 999 - te2[i])
					same++;
		CHECK(same == nte);
	}

	/* test_size 0 keeps everything for training */
	dataset_split(d, 0.0, 42, &tr2, &ntr2, &te2, &nte2);
	CHECK(ntr2 == 1000 && nte2 == 0);
}

/* random splits are append-stable: old rows keep their side */
void
test_split_assign(void)
{
	size_t		n = 2000;
	uint64_t   *h = ml_alloc(n * sizeof(uint64_t));
	uint8_t    *a = ml_alloc(n),
			   *b = ml_alloc(n);
	double	   *y = ml_alloc(n * sizeof(double));
	double	   *t = ml_alloc(n * sizeof(double));
	size_t		moved = 0,
				nt = 0,
				newest_ok = 0;

	for (size_t i = 0; i < n; i++)
	{
		h[i] = ml_hash_string(42, (char[32]) {0}) ^ (i * 0x9E3779B97F4A7C15ull);
		h[i] = h[i] * 0xBF58476D1CE4E5B9ull + i;
		y[i] = (double) (i % 3);
		t[i] = (double) ((i * 7) % n);
	}
	split_assign(ML_SPLIT_RANDOM, 1000, h, y, 3, NULL, 0.25, a);
	split_assign(ML_SPLIT_RANDOM, n, h, y, 3, NULL, 0.25, b);
	for (size_t i = 0; i < 1000; i++)
		moved += a[i] != b[i];
	CHECK(moved == 0);
	for (size_t i = 0; i < n; i++)
		nt += b[i];
	CHECK(nt > 400 && nt < 600);
	/* time: the newest quarter is the test set */
	split_assign(ML_SPLIT_TIME, n, h, y, 3, t, 0.25, b);
	for (size_t i = 0; i < n; i++)
		newest_ok += (b[i] == ML_ASSIGN_TEST) == (t[i] >= n - 500);
	CHECK(newest_ok == n);
	/* stratified: exact per class */
	split_assign(ML_SPLIT_STRATIFIED, n, h, y, 3, NULL, 0.25, b);
	{
		size_t		per[3] = {0},
					cnt[3] = {0};

		for (size_t i = 0; i < n; i++)
		{
			cnt[(int) y[i]]++;
			per[(int) y[i]] += b[i];
		}
		for (int c = 0; c < 3; c++)
			CHECK(per[c] == (size_t) floor(cnt[c] * 0.25 + 0.5));
	}
}

/*
 * raw_row_hashes (blocks of rows, column by column, on threads) gives
 * raw_row_hash of every row: NULLs, -0, categories, numeric and text
 * targets, row counts that end mid-block and mid-chunk
 */
void
test_row_hashes(void)
{
	size_t		n = 65536 + 300;
	MLRawColumn cols[3] = {{0}};
	double	   *a = ml_alloc(n * sizeof(double)),
			   *b = ml_alloc(n * sizeof(double)),
			   *y = ml_alloc(n * sizeof(double));
	char	  **s = ml_alloc(n * sizeof(char *)),
			  **yt = ml_alloc(n * sizeof(char *));
	uint64_t   *h = ml_alloc(n * sizeof(uint64_t));
	static char *words[] = {"red", "green", NULL, "blue"};
	int			bad = 0;

	for (size_t i = 0; i < n; i++)
	{
		a[i] = i % 7 == 0 ? NAN : (i % 11 == 0 ? -0.0 : (double) (i % 97) / 3);
		b[i] = (float) sin((double) i);
		s[i] = words[i % 4];
		y[i] = (double) (i % 3);
		yt[i] = i % 5 == 0 ? NULL : words[(i + 1) % 4];
	}
	cols[0].kind = ML_COL_NUMERIC;
	cols[0].num = a;
	cols[1].kind = ML_COL_CATEGORICAL;
	cols[1].str = s;
	cols[2].kind = ML_COL_NUMERIC;
	cols[2].num = b;
	for (int t = 1; t <= 2; t++)
		for (int target = 0; target < 3; target++)
		{
			const double *ty = target == 1 ? y : NULL;
			const char *const *tt = target == 2 ? (const char *const *) yt : NULL;
			size_t		m = target == 0 ? 1000 + 7 : n;

			raw_row_hashes(cols, 3, ty, tt, m, 42 + target, h, t);
			for (size_t i = 0; i < m; i++)
				bad += h[i] != raw_row_hash(cols, 3, ty, tt, i, 42 + target);
		}
	CHECK(bad == 0);
	/* -0 hashes as 0 */
	CHECK(ml_row_hash_num(5, -0.0) == ml_row_hash_num(5, 0.0));
	ml_free(a);
	ml_free(b);
	ml_free(y);
	ml_free(s);
	ml_free(yt);
	ml_free(h);
}
