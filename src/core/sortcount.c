/*-------------------------------------------------------------------------
 *
 * sortcount.c
 *	  Radix sort of doubles and hash counting of strings.
 *
 * The radix sort maps each double to a 64-bit key that orders like the
 * number (flip every bit of negatives, the sign bit of positives), then
 * sorts the keys 8 bits at a time, least significant first; a pass whose
 * digit is the same for every key is skipped.  Time O(8 n), memory O(n).
 * Values that are all exact floats sort as 32-bit keys the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "sortcount.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/*
 * Turn one digit's 256 counts into the positions where each digit's keys
 * start; false (a pass to skip) when every one of the n keys has the digit
 * of the first key, whose count is first.
 */
static bool
digit_starts(size_t *c, size_t first, size_t n)
{
	size_t		pos = 0;

	if (first == n)
		return false;
	for (int k = 0; k < 256; k++)
	{
		size_t		x = c[k];

		c[k] = pos;
		pos += x;
	}
	return true;
}

/*
 * Values that are all exact floats (a real column read as double) sort as
 * 32-bit keys: half the passes and half the memory traffic.
 */
static bool
sort_as_floats(double *v, size_t n)
{
	uint32_t   *a,
			   *b;
	size_t	   *count;

	for (size_t i = 0; i < n; i++)
		if ((double) (float) v[i] != v[i])
			return false;
	a = ml_alloc(ml_mul_size(n, sizeof(uint32_t)));
	b = ml_alloc(ml_mul_size(n, sizeof(uint32_t)));
	count = ml_alloc(sizeof(size_t) * 4 * 256);
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u;
		float		x = v[i] == 0.0 ? 0.0f : (float) v[i];	/* -0 sorts as 0 */

		memcpy(&u, &x, 4);
		u = (u >> 31) ? ~u : u ^ 0x80000000u;
		a[i] = u;
		for (int d = 0; d < 4; d++)
			count[d * 256 + ((u >> (8 * d)) & 0xff)]++;
	}
	for (int d = 0; d < 4; d++)
	{
		size_t	   *c = count + d * 256;
		int			shift = 8 * d;
		uint32_t   *t;

		if (!digit_starts(c, c[(a[0] >> shift) & 0xff], n))
			continue;
		for (size_t i = 0; i < n; i++)
			b[c[(a[i] >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u = (a[i] >> 31) ? a[i] ^ 0x80000000u : ~a[i];
		float		x;

		memcpy(&x, &u, 4);
		v[i] = x;
	}
	ml_free(count);
	ml_free(a);
	ml_free(b);
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
	uint64_t   *a,
			   *b;

	if (n < 2 || sort_as_floats(v, n))
		return;
	a = ml_alloc(ml_mul_size(n, sizeof(uint64_t)));
	b = ml_alloc(ml_mul_size(n, sizeof(uint64_t)));
	{
		/* the keys, and all eight digit histograms in one pass */
		size_t	   *count = ml_alloc(sizeof(size_t) * 8 * 256);

		for (size_t i = 0; i < n; i++)
		{
			uint64_t	u = ml_double_key(v[i]);	/* -0 sorts as 0 */

			a[i] = u;
			for (int d = 0; d < 8; d++)
				count[d * 256 + ((u >> (8 * d)) & 0xff)]++;
		}
		for (int d = 0; d < 8; d++)
		{
			size_t	   *c = count + d * 256;
			int			shift = 8 * d;
			uint64_t   *t;

			if (!digit_starts(c, c[(a[0] >> shift) & 0xff], n))
				continue;
			for (size_t i = 0; i < n; i++)
				b[c[(a[i] >> shift) & 0xff]++] = a[i];
			t = a;
			a = b;
			b = t;
		}
		ml_free(count);
	}
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	u = (a[i] >> 63) ? a[i] ^ 0x8000000000000000ull : ~a[i];

		memcpy(&v[i], &u, 8);
	}
	ml_free(a);
	ml_free(b);
}

void
ml_sort_keyval(MLKeyVal *a, size_t n)
{
	MLKeyVal   *b,
			   *src = a;
	size_t	   *count;

	if (n < 2)
		return;
	b = ml_alloc(ml_mul_size(n, sizeof(MLKeyVal)));
	count = ml_alloc(sizeof(size_t) * 8 * 256);
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 8; d++)
			count[d * 256 + ((a[i].key >> (8 * d)) & 0xff)]++;
	for (int d = 0; d < 8; d++)
	{
		size_t	   *c = count + d * 256;
		int			shift = 8 * d;
		MLKeyVal   *t;

		if (!digit_starts(c, c[(src[0].key >> shift) & 0xff], n))
			continue;
		for (size_t i = 0; i < n; i++)
			b[c[(src[i].key >> shift) & 0xff]++] = src[i];
		t = src;
		src = b;
		b = t;
	}
	if (src != a)
	{
		memcpy(a, src, n * sizeof(MLKeyVal));
		b = src;
	}
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
