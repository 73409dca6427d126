/*
 * test_sketch.c
 *	  Unit tests of src/core/sketch.c, the aggregate engine's column
 *	  sketches: exact and approximate statistics, merges in any order, and
 *	  bytes; category sketches and their distinct estimate.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/sketch.h"
#include "core/rng.h"
#include "core/sortcount.h"

/* at most 1024 values: quantiles, median, mode, distinct as the sorted values give them */
void
test_sketch_exact(void)
{
	MLNumSketch s;
	double		v[3000];
	size_t		n = 0;
	MLRng		rng;
	double		mean = 0;

	ml_rng_seed(&rng, 7);
	num_sketch_init(&s);
	for (int i = 0; i < 3000; i++)
	{
		double		x = i % 10 == 0 ? NAN : floor(ml_rng_uniform(&rng) * 300) / 4 - 20;

		num_sketch_add(&s, x);
		if (!isnan(x))
		{
			v[n++] = x;
			mean += x;
		}
	}
	mean /= n;
	qsort(v, n, sizeof(double), unit_cmp_double);
	CHECK(s.exact);
	CHECK(s.n == 3000 && s.nulls == 300 && num_sketch_count(&s) == n);
	CHECK_NEAR(s.mean, mean, 1e-12);
	for (int q = 0; q <= 10; q++)
		CHECK(num_sketch_quantile(&s, q / 10.0) == v[(size_t) (q / 10.0 * (n - 1))]);
	CHECK(num_sketch_median(&s) == ml_median(v, n));
	CHECK(s.min == v[0] && s.max == v[n - 1]);
	{
		size_t		d = 0;

		for (size_t i = 0; i < n; i++)
			d += i == 0 || v[i] != v[i - 1];
		CHECK(num_sketch_distinct(&s) == d);
	}
	num_sketch_free(&s);
}

/* past 1024 values: quantiles within ALPHA of the true value of that rank, distinct within 5% */
void
test_sketch_approx(void)
{
	MLNumSketch s;
	size_t		n = 100000;
	double	   *v = malloc(sizeof(double) * n);
	MLRng		rng;

	ml_rng_seed(&rng, 11);
	num_sketch_init(&s);
	for (size_t i = 0; i < n; i++)
	{
		double		u = ml_rng_uniform(&rng);

		v[i] = (u < 0.3 ? -1 : 1) * exp(8 * ml_rng_uniform(&rng) - 4);
		num_sketch_add(&s, v[i]);
	}
	qsort(v, n, sizeof(double), unit_cmp_double);
	CHECK(!s.exact);
	for (int q = 1; q < 100; q++)
	{
		double		t = v[(size_t) (q / 100.0 * (n - 1))],
					e = num_sketch_quantile(&s, q / 100.0);

		CHECK_NEAR(e, t, ML_SKETCH_ALPHA * fabs(t) * 1.0001);
	}
	CHECK_NEAR((double) num_sketch_distinct(&s), (double) n, 0.05 * n);
	free(v);
	num_sketch_free(&s);
}

static void
sketch_bytes(const MLNumSketch *s, MLBuffer *b)
{
	MLNumSketch c = *s;

	/* the moments merge within rounding; everything else exactly */
	c.mean = 0;
	c.m2 = 0;
	buffer_init(b);
	num_sketch_write(&c, b);
}

/* merged in any order, the same counts, bins and registers; read back, the same bytes */
void
test_sketch_merge(void)
{
	for (int approx = 0; approx < 2; approx++)
	{
		MLNumSketch parts[7],
					whole,
					fwd,
					back,
					tree[4];
		MLRng		rng;
		MLBuffer	a,
					b,
					c;

		ml_rng_seed(&rng, 3 + approx);
		num_sketch_init(&whole);
		num_sketch_init(&fwd);
		num_sketch_init(&back);
		for (int p = 0; p < 7; p++)
			num_sketch_init(&parts[p]);
		for (int i = 0; i < 20000; i++)
		{
			double		x = approx ? ml_rng_uniform(&rng) * 1e6 - 3e5 : floor(ml_rng_uniform(&rng) * 200);

			if (i % 97 == 0)
				x = NAN;
			num_sketch_add(&whole, x);
			num_sketch_add(&parts[(int) (ml_rng_uniform(&rng) * 7)], x);
		}
		for (int p = 0; p < 7; p++)
			num_sketch_merge(&fwd, &parts[p]);
		for (int p = 6; p >= 0; p--)
			num_sketch_merge(&back, &parts[p]);
		/* a tree: ((0 1) (2 3)) ((4 5) 6) */
		for (int t = 0; t < 4; t++)
			num_sketch_init(&tree[t]);
		num_sketch_merge(&tree[0], &parts[0]);
		num_sketch_merge(&tree[0], &parts[1]);
		num_sketch_merge(&tree[1], &parts[3]);
		num_sketch_merge(&tree[1], &parts[2]);
		num_sketch_merge(&tree[0], &tree[1]);
		num_sketch_merge(&tree[2], &parts[6]);
		num_sketch_merge(&tree[2], &parts[5]);
		num_sketch_merge(&tree[2], &parts[4]);
		num_sketch_merge(&tree[2], &tree[0]);
		sketch_bytes(&whole, &a);
		sketch_bytes(&fwd, &b);
		sketch_bytes(&tree[2], &c);
		CHECK(whole.exact == !approx);
		CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		CHECK(a.len == c.len && memcmp(a.data, c.data, a.len) == 0);
		CHECK_NEAR(fwd.mean, whole.mean, 1e-9 * (1 + fabs(whole.mean)));
		CHECK_NEAR(back.m2, whole.m2, 1e-9 * whole.m2);
		CHECK(num_sketch_quantile(&back, 0.37) == num_sketch_quantile(&whole, 0.37));
		{
			MLNumSketch r;
			MLReader	rd;
			MLBuffer	d;

			buffer_init(&d);
			num_sketch_write(&whole, &d);
			reader_init(&rd, d.data, d.len);
			num_sketch_read(&r, &rd);
			CHECK(r.mean == whole.mean && r.m2 == whole.m2);
			CHECK(num_sketch_quantile(&r, 0.5) == num_sketch_quantile(&whole, 0.5));
			CHECK(num_sketch_distinct(&r) == num_sketch_distinct(&whole));
			free(d.data);
		}
		free(a.data);
		free(b.data);
		free(c.data);
	}
}

void
test_sketch_categories(void)
{
	MLCatSketch s,
				t,
				u;
	char		buf[32];
	char	  **cats;
	uint64_t   *counts;
	size_t		k;

	cat_sketch_init(&s);
	cat_sketch_init(&t);
	for (int i = 0; i < 1000; i++)
	{
		snprintf(buf, sizeof(buf), "c%d", i % 7 == 0 ? 0 : i % 5);
		cat_sketch_add(i % 2 ? &s : &t, i % 11 == 0 ? NULL : buf, strlen(buf));
	}
	cat_sketch_merge(&s, &t);
	k = cat_sketch_ranked(&s, &cats, &counts);
	CHECK(s.exact && k == 5 && cat_sketch_distinct(&s) == 5);
	CHECK(strcmp(cats[0], "c0") == 0);
	for (size_t i = 1; i < k; i++)
		CHECK(counts[i] < counts[i - 1] || (counts[i] == counts[i - 1] && strcmp(cats[i - 1], cats[i]) < 0));
	CHECK(s.n == 1000 && s.nulls == 91);
	free(cats);
	free(counts);
	/* past ML_SKETCH_CATEGORIES: only a distinct estimate */
	cat_sketch_init(&u);
	for (int i = 0; i < ML_SKETCH_CATEGORIES + 5000; i++)
	{
		snprintf(buf, sizeof(buf), "v%d", i);
		cat_sketch_add(&u, buf, strlen(buf));
	}
	CHECK(!u.exact);
	CHECK_NEAR((double) cat_sketch_distinct(&u), ML_SKETCH_CATEGORIES + 5000, 0.05 * ML_SKETCH_CATEGORIES);
	cat_sketch_free(&s);
	cat_sketch_free(&t);
	cat_sketch_free(&u);
}
