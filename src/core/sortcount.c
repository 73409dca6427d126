/*-------------------------------------------------------------------------
 *
 * sortcount.c
 *	  Radix sort of doubles and hash counting of strings.
 *
 * The radix sort maps each double to a 64-bit key that orders like the
 * number (flip every bit of negatives, the sign bit of positives), then
 * sorts the keys 8 bits at a time, least significant first; a pass whose
 * digit is the same for every key is skipped.  Time O(8 n), memory O(n).
 * Values that are all exact floats sort as 32-bit keys the same way.  The
 * passes are written once, in radix_template.h, for 32-bit keys, 64-bit
 * keys and key-value pairs.
 *
 *-------------------------------------------------------------------------
 */
#include "sortcount.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/* a float's key: orders like the number (-0 as 0) */
static inline uint32_t
float_key(double v)
{
	uint32_t	u;
	float		x = v == 0.0 ? 0.0f : (float) v;	/* -0 sorts as 0 */

	memcpy(&u, &x, 4);
	return (u >> 31) ? ~u : u ^ 0x80000000u;
}

/* the float whose key is u, as a double */
static inline double
float_of_key(uint32_t u)
{
	uint32_t	w = (u >> 31) ? u ^ 0x80000000u : ~u;
	float		x;

	memcpy(&x, &w, 4);
	return x;
}

/* the double whose key (ml_double_key) is u */
static inline double
double_of_key(uint64_t u)
{
	uint64_t	w = (u >> 63) ? u ^ 0x8000000000000000ull : ~u;
	double		x;

	memcpy(&x, &w, 8);
	return x;
}

/* radix32_sort_doubles: doubles that are all exact floats, as 32-bit keys */
#define RS_PREFIX radix32
#define RS_ELEM uint32_t
#define RS_KEY(e) (e)
#define RS_DIGITS 4
#define RS_ENCODE(x) float_key(x)
#define RS_DECODE(k) float_of_key(k)
#include "radix_template.h"

/* radix64_sort_doubles: any doubles but NaN, as 64-bit keys */
#define RS_PREFIX radix64
#define RS_ELEM uint64_t
#define RS_KEY(e) (e)
#define RS_DIGITS 8
#define RS_ENCODE(x) ml_double_key(x)
#define RS_DECODE(k) double_of_key(k)
#include "radix_template.h"

/* radix_kv_passes: key-value pairs by their 64-bit keys */
#define RS_PREFIX radix_kv
#define RS_ELEM MLKeyVal
#define RS_KEY(e) ((e).key)
#define RS_DIGITS 8
#include "radix_template.h"

/*
 * Values that are all exact floats (a real column read as double) sort as
 * 32-bit keys: half the passes and half the memory traffic.
 */
static bool
sort_as_floats(double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((double) (float) v[i] != v[i])
			return false;
	radix32_sort_doubles(v, n);
	return true;
}

static void sort_radix(double *v, size_t n);

#define BUCKET_ROWS 8			/* rows per bucket on average */
#define BUCKET_SMALL 48			/* larger buckets are radix-sorted */

/*
 * Bucket by value: bucket = (x - min) / (max - min) * B is monotone in x,
 * so sorting each bucket sorts the whole.  One counting pass and one
 * scattering pass, then small in-cache sorts: far fewer passes over memory
 * than eight radix digits when values spread out.  Buckets that values
 * crowd into are radix-sorted.  False (nothing done) for infinities.
 */
static bool
sort_by_buckets(double *v, size_t n)
{
	double		lo = v[0],
				hi = v[0],
				scale;
	size_t		nb = n / BUCKET_ROWS;
	uint32_t   *bucket;
	size_t	   *start;
	double	   *out;

	for (size_t i = 1; i < n; i++)
	{
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo))
		return false;
	if (lo == hi)
	{
		for (size_t i = 0; i < n; i++)
			v[i] = lo == 0.0 ? 0.0 : lo;	/* -0 as 0 */
		return true;
	}
	scale = (double) nb / (hi - lo);
	bucket = ml_alloc(ml_mul_size(n, sizeof(uint32_t)));
	start = ml_alloc(ml_mul_size(nb + 1, sizeof(size_t)));
	out = ml_alloc(ml_mul_size(n, sizeof(double)));
	for (size_t i = 0; i < n; i++)
	{
		size_t		k = (size_t) ((v[i] - lo) * scale);

		k = k < nb ? k : nb - 1;
		bucket[i] = (uint32_t) k;
		start[k + 1]++;
	}
	for (size_t k = 0; k < nb; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < n; i++)
		out[start[bucket[i]]++] = v[i] == 0.0 ? 0.0 : v[i];
	/* start[k] is now the end of bucket k */
	for (size_t k = 0, b0 = 0; k < nb; b0 = start[k++])
	{
		double	   *x = out + b0;
		size_t		m = start[k] - b0;

		if (m > BUCKET_SMALL)
			sort_radix(x, m);
		else
			for (size_t i = 1; i < m; i++)
			{
				double		t = x[i];
				size_t		j = i;

				for (; j > 0 && x[j - 1] > t; j--)
					x[j] = x[j - 1];
				x[j] = t;
			}
	}
	memcpy(v, out, n * sizeof(double));
	ml_free(out);
	ml_free(start);
	ml_free(bucket);
	return true;
}

void
ml_sort_doubles(double *v, size_t n)
{
	if (n >= 4096 && sort_by_buckets(v, n))
		return;
	sort_radix(v, n);
}

static void
sort_radix(double *v, size_t n)
{
	if (n < 2 || sort_as_floats(v, n))
		return;
	radix64_sort_doubles(v, n);
}

void
ml_sort_keyval(MLKeyVal *a, size_t n)
{
	MLKeyVal   *b,
			   *sorted;
	size_t	   *count;

	if (n < 2)
		return;
	b = ml_alloc(ml_mul_size(n, sizeof(MLKeyVal)));
	count = ml_alloc(sizeof(size_t) * 8 * 256);
	for (size_t i = 0; i < n; i++)
		radix_kv_count(count, a[i].key);
	sorted = radix_kv_passes(a, b, count, n);
	if (sorted != a)
		memcpy(a, sorted, n * sizeof(MLKeyVal));
	ml_free(count);
	ml_free(b);
}

double
ml_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	ml_sort_doubles(v, n);
	return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return ml_mix64(h);
}

MLStrCount *
ml_count_strings(char *const *str, const size_t *rows, size_t n, size_t *k)
{
	size_t		cap = 64;
	size_t		used = 0;
	MLStrCount *tab = ml_alloc(cap * sizeof(MLStrCount));
	MLStrCount *out;

	for (size_t i = 0; i < n; i++)
	{
		const char *s = str[rows ? rows[i] : i];
		size_t		j;

		if (s == NULL)
			continue;
		if ((used + 1) * 2 > cap)
		{
			/* grow and rehash */
			size_t		ncap = cap * 2;
			MLStrCount *nt = ml_alloc(ml_mul_size(ncap, sizeof(MLStrCount)));

			for (size_t t = 0; t < cap; t++)
				if (tab[t].s)
				{
					size_t		p = str_hash(tab[t].s) & (ncap - 1);

					while (nt[p].s)
						p = (p + 1) & (ncap - 1);
					nt[p] = tab[t];
				}
			ml_free(tab);
			tab = nt;
			cap = ncap;
		}
		j = str_hash(s) & (cap - 1);
		while (tab[j].s && strcmp(tab[j].s, s) != 0)
			j = (j + 1) & (cap - 1);
		if (tab[j].s == NULL)
		{
			tab[j].s = s;
			used++;
		}
		tab[j].count++;
	}
	out = ml_alloc(sizeof(MLStrCount) * (used ? used : 1));
	*k = 0;
	for (size_t t = 0; t < cap; t++)
		if (tab[t].s)
			out[(*k)++] = tab[t];
	ml_free(tab);
	return out;
}
