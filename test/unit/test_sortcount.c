/*
 * test_sortcount.c
 *	  Unit tests of src/core/sortcount.c: radix sorts equal qsort (doubles,
 *	  key / value pairs, stable), roc_auc over sorted scores with ties and
 *	  NaN, exact string counts.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/metrics.h"
#include "core/sortcount.h"

/* radix sort equals qsort; string counts are exact */
void
test_sortcount(void)
{
	size_t		n = 5000,
				k,
				total = 0;
	double	   *a = ml_alloc(n * sizeof(double)),
			   *b = ml_alloc(n * sizeof(double));
	char	   *words[6] = {"x", "yy", NULL, "x", "zzz", "yy"};
	MLStrCount *sc;

	for (size_t i = 0; i < n; i++)
		a[i] = b[i] = sin(i * 0.37) * pow(10, (double) (i % 41) - 20) * ((i % 3) ? 1 : -1);
	a[7] = b[7] = -0.0;
	for (int pass = 0; pass < 3; pass++)
	{
		int			bad = 0;

		/* pass 2: values spread evenly (small buckets), duplicates and -0 */
		if (pass == 2)
		{
			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = (double) ((i * 7919) % 3001) / 3000.0 - 0.5 + sin((double) i) * 1e-7;
			a[20] = b[20] = -0.0;
			a[21] = b[21] = 0.0;
			a[22] = b[22] = a[23];
		}

		/* pass 1: every value an exact float (the 32-bit key path), infinities too */
		if (pass == 1)
		{
			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = (double) (float) (sin(i * 0.61) * pow(10, (double) (i % 17) - 8) * ((i % 3) ? 1 : -1));
			a[11] = b[11] = -INFINITY;
			a[12] = b[12] = INFINITY;
			a[13] = b[13] = -0.0;
		}
		ml_sort_doubles(a, n);
		qsort(b, n, sizeof(double), unit_cmp_double);
		for (size_t i = 0; i < n; i++)
			bad += a[i] != b[i] || (i > 0 && !(a[i - 1] <= a[i]));
		CHECK(bad == 0);
	}
	/* pairs: stable by key, so (key, input position) order; few distinct keys */
	{
		MLKeyVal   *kv = ml_alloc(n * sizeof(MLKeyVal));
		int			bad = 0;

		for (size_t i = 0; i < n; i++)
		{
			kv[i].key = (i * 2654435761u) % 97 * 0x0101010101010101ull + (i % 5 == 0 ? 1ull << 62 : 0);
			kv[i].val = i;
		}
		ml_sort_keyval(kv, n);
		for (size_t i = 1; i < n; i++)
			bad += kv[i - 1].key > kv[i].key ||
				(kv[i - 1].key == kv[i].key && kv[i - 1].val >= kv[i].val);
		CHECK(bad == 0);
		ml_free(kv);
	}
	/* roc_auc with ties and NaN scores against the pairwise definition */
	{
		size_t		m = 300;
		double	   *pos = ml_alloc(m * sizeof(double)),
				   *sc2 = ml_alloc(m * sizeof(double)),
					wins = 0,
					pairs = 0;

		for (size_t i = 0; i < m; i++)
		{
			pos[i] = (i * 7) % 3 == 0;
			sc2[i] = i % 23 == 0 ? NAN : (double) ((i * 13) % 10) / 10 - 0.3;
		}
		sc2[5] = -0.0;
		sc2[6] = 0.0;
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < m; j++)
				if (pos[i] == 1 && pos[j] == 0)
				{
					/* NaN scores rank lowest and tie with nothing, in input order */
					double		a1 = isnan(sc2[i]) ? -1 - (double) (m - i) : sc2[i],
								a2 = isnan(sc2[j]) ? -1 - (double) (m - j) : sc2[j];

					wins += a1 > a2 ? 1 : a1 == a2 ? 0.5 : 0;
					pairs++;
				}
		CHECK_NEAR(metrics_roc_auc_binary(pos, sc2, m), wins / pairs, 1e-12);
		ml_free(pos);
		ml_free(sc2);
	}
	sc = ml_count_strings(words, NULL, 6, &k);
	CHECK(k == 3);
	for (size_t i = 0; i < k; i++)
	{
		total += sc[i].count;
		if (strcmp(sc[i].s, "yy") == 0)
			CHECK(sc[i].count == 2);
	}
	CHECK(total == 5);
}

/*
 * Sorts above the two-level threshold equal qsort (and -0 comes back as
 * 0): spread values, clusters that crowd into one first-level bucket,
 * runs of equal values, exact floats, and with a shared scratch buffer
 */
void
test_sort_large(void)
{
	size_t		n = 300000;
	double	   *a = ml_alloc(n * sizeof(double)),
			   *b = ml_alloc(n * sizeof(double));
	MLSortBuf	buf = {0};
	uint64_t	x = 7;

	for (int pass = 0; pass < 4; pass++)
	{
		int			bad = 0;

		for (size_t i = 0; i < n; i++)
		{
			double		u;

			x = x * 6364136223846793005ull + 1442695040888963407ull;
			u = (double) (x >> 11) * 0x1.0p-53;
			if (pass == 0)			/* spread, a few huge outliers */
				a[i] = i % 50000 == 0 ? 1e12 : u - 0.5;
			else if (pass == 1)		/* exact floats, many duplicates */
				a[i] = (float) ((double) ((x >> 20) % 1000) / 7.0);
			else if (pass == 2)		/* most values crowded near 0, zeros of both signs */
				a[i] = i % 3 == 0 ? (i % 2 ? -0.0 : 0.0) : (i % 5 == 0 ? u * 1e6 : u * 1e-9);
			else				/* two constant runs and a spread */
				a[i] = i % 2 ? 3.0 : (i % 4 == 0 ? -2.0 : u);
			b[i] = a[i];
		}
		if (pass % 2)
			ml_sort_doubles_buf(a, n, &buf);
		else
			ml_sort_doubles(a, n);
		qsort(b, n, sizeof(double), unit_cmp_double);
		for (size_t i = 0; i < n; i++)
			bad += a[i] != b[i] || (i > 0 && !(a[i - 1] <= a[i])) || (a[i] == 0 && signbit(a[i]));
		CHECK(bad == 0);
	}
	ml_sort_buf_free(&buf);
	ml_free(a);
	ml_free(b);
}
