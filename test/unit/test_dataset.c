/*
 * test_dataset.c
 *	  Unit tests of src/core/dataset.c: the train / test split, stratified,
 *	  deterministic and a function of the row, and split_assign's strategies
 *	  (random splits append-stable, time, stratified).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
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

/* the numeric statistics as first written: qsort, then the formulas in order */
static void
reference_stats_json(const MLRawColumn *c, size_t n, MLBuffer *json)
{
	double	   *v = ml_alloc((n ? n : 1) * sizeof(double));
	size_t		m = 0,
				nulls = 0,
				distinct = 0,
				bins[10] = {0};
	double		mean = 0,
				ss = 0,
				edges[9];
	int			ne = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (isnan(c->num[i]))
			nulls++;
		else
			v[m++] = c->num[i] == 0 ? 0.0 : c->num[i];
	}
	qsort(v, m, sizeof(double), unit_cmp_double);
	for (size_t i = 0; i < m; i++)
	{
		mean += v[i];
		distinct += i == 0 || v[i] != v[i - 1];
	}
	mean = m ? mean / m : NAN;
	for (size_t i = 0; i < m; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	for (int q = 1; q <= 9 && m > 0; q++)
	{
		double		e = v[(size_t) ((double) q / 10.0 * (m - 1))];

		if (ne == 0 || e > edges[ne - 1])
			edges[ne++] = e;
	}
	for (size_t i = 0, b = 0; i < m; i++)
	{
		while ((int) b < ne && v[i] > edges[b])
			b++;
		bins[b]++;
	}
	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, c->name);
	buffer_printf(json, ", \"kind\": \"numeric\", \"count\": %zu, \"nulls\": %zu, \"distinct\": %zu, \"mean\": ",
				  n, nulls, distinct);
	buffer_json_num(json, mean);
	buffer_printf(json, ", \"std\": ");
	buffer_json_num(json, m ? sqrt(ss / m) : NAN);
	buffer_printf(json, ", \"min\": ");
	buffer_json_num(json, m ? v[0] : NAN);
	buffer_printf(json, ", \"max\": ");
	buffer_json_num(json, m ? v[m - 1] : NAN);
	buffer_printf(json, ", \"edges\": [");
	for (int q = 0; q < ne; q++)
	{
		buffer_printf(json, "%s", q ? ", " : "");
		buffer_json_num(json, edges[q]);
	}
	buffer_printf(json, "], \"shares\": [");
	for (int q = 0; m > 0 && q <= ne; q++)
	{
		buffer_printf(json, "%s", q ? ", " : "");
		buffer_json_num(json, (double) bins[q] / m);
	}
	buffer_printf(json, "]}");
	ml_free(v);
}

/*
 * column_stats_json_all (shared sort scratch, columns dealt to threads)
 * writes exactly the statistics of the reference: sums in sorted order,
 * NULLs, -0, constant and empty columns, few distinct values, above and
 * below the two-level sort's threshold
 */
void
test_column_stats(void)
{
	int			nc = 6;
	size_t		sizes[2] = {100000, 5000};
	uint64_t	x = 11;

	for (int s = 0; s < 2; s++)
	{
		size_t		n = sizes[s];
		MLRawColumn *cols = ml_alloc(nc * sizeof(MLRawColumn));
		MLBuffer   *got = ml_alloc(nc * sizeof(MLBuffer));
		static char *names[] = {"a", "b", "c", "d", "e", "f"};
		int			bad = 0;

		for (int c = 0; c < nc; c++)
		{
			cols[c].name = cols[c].source = names[c];
			cols[c].kind = ML_COL_NUMERIC;
			cols[c].num = ml_alloc(n * sizeof(double));
			for (size_t i = 0; i < n; i++)
			{
				double		u;

				x = x * 6364136223846793005ull + 1442695040888963407ull;
				u = (double) (x >> 11) * 0x1.0p-53;
				cols[c].num[i] = c == 0 ? (float) u
					: c == 1 ? (i % 9 == 0 ? NAN : (i % 13 == 0 ? -0.0 : u * 1e3 - 400))
					: c == 2 ? 4.25
					: c == 3 ? NAN
					: c == 4 ? (double) ((x >> 30) % 5)
					: (i % 2 ? u * 1e-7 : u * 1e7);
			}
		}
		for (int threads = 1; threads <= 3; threads++)
		{
			for (int c = 0; c < nc; c++)
				buffer_init(&got[c]);
			column_stats_json_all(cols, nc, n, got, threads);
			for (int c = 0; c < nc; c++)
			{
				MLBuffer	want;

				buffer_init(&want);
				reference_stats_json(&cols[c], n, &want);
				bad += want.len != got[c].len || memcmp(want.data, got[c].data, want.len) != 0;
			}
		}
		CHECK(bad == 0);
		for (int c = 0; c < nc; c++)
			ml_free(cols[c].num);
		ml_free(cols);
		ml_free(got);
	}
}
