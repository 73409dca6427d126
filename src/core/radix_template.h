/*-------------------------------------------------------------------------
 *
 * radix_template.h
 *	  An LSD radix sort written once for any key width, included once per
 *	  width (as PostgreSQL's lib/sort_template.h).
 *
 * Keys are unsigned integers of RS_DIGITS bytes, sorted one 8-bit digit
 * at a time, least significant first; every pass is a stable scatter by
 * the digit, and a pass whose digit is the same for every key is skipped.
 * All RS_DIGITS digit histograms are counted before the passes, in one
 * pass over the keys (the caller's, so it can fuse the count with making
 * the keys).  Time O(RS_DIGITS n), memory two arrays of n elements.
 *
 * Before including this file, define:
 *	  RS_PREFIX		the prefix of the functions' names (e.g. radix64)
 *	  RS_ELEM		the element type
 *	  RS_KEY(e)		the unsigned key of element e
 *	  RS_DIGITS		the bytes of a key: 4 or 8
 * and, to also get RS_PREFIX_sort_doubles (doubles sorted by these keys):
 *	  RS_ENCODE(x)	the key of the double x, ordered as x (an RS_ELEM)
 *	  RS_DECODE(k)	the double whose key is k
 *
 * It defines:
 *	  static inline void RS_PREFIX_count(size_t *count, key)
 *		add a key's digits to the RS_DIGITS x 256 histograms in count
 *	  static RS_ELEM *RS_PREFIX_passes(RS_ELEM *a, RS_ELEM *b, size_t *count, size_t n)
 *		sort a[0..n) (n >= 1) with b as scratch, given the counts of its
 *		keys; returns a or b, whichever holds the sorted elements
 *	  static void RS_PREFIX_sort_doubles(double *v, size_t n)  (with RS_ENCODE)
 *		sort n >= 1 doubles (no NaN) by their keys, -0 coming back as 0
 *
 * The parameters are undefined at the end, ready for the next width.
 *
 *-------------------------------------------------------------------------
 */
#include "ml.h"

#define RS_CONCAT_(a, b) a##b
#define RS_CONCAT(a, b) RS_CONCAT_(a, b)
#define RS_MAKE_NAME(x) RS_CONCAT(RS_PREFIX, _##x)

#ifndef RS_DIGIT_STARTS
#define RS_DIGIT_STARTS

/*
 * Turn one digit's 256 counts into the positions where each digit's keys
 * start; false (a pass to skip) when every one of the n keys has the digit
 * of the first key, whose count is first.
 */
static bool
rs_digit_starts(size_t *c, size_t first, size_t n)
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
#endif

static inline void
RS_MAKE_NAME(count) (size_t *count, uint64_t key)
{
	for (int d = 0; d < RS_DIGITS; d++)
		count[d * 256 + ((key >> (8 * d)) & 0xff)]++;
}

static RS_ELEM *
RS_MAKE_NAME(passes) (RS_ELEM *a, RS_ELEM *b, size_t *count, size_t n)
{
	for (int d = 0; d < RS_DIGITS; d++)
	{
		size_t	   *c = count + d * 256;
		int			shift = 8 * d;
		RS_ELEM    *t;

		if (!rs_digit_starts(c, c[(RS_KEY(a[0]) >> shift) & 0xff], n))
			continue;
		for (size_t i = 0; i < n; i++)
			b[c[(RS_KEY(a[i]) >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	return a;
}

#ifdef RS_ENCODE
static void
RS_MAKE_NAME(sort_doubles) (double *v, size_t n)
{
	RS_ELEM    *a = ml_alloc(ml_mul_size(n, sizeof(RS_ELEM))),
			   *b = ml_alloc(ml_mul_size(n, sizeof(RS_ELEM))),
			   *s;
	size_t	   *count = ml_alloc(sizeof(size_t) * RS_DIGITS * 256);

	/* the keys, and all the digit histograms in one pass */
	for (size_t i = 0; i < n; i++)
	{
		RS_ELEM		u = RS_ENCODE(v[i]);

		a[i] = u;
		RS_MAKE_NAME(count) (count, u);
	}
	s = RS_MAKE_NAME(passes) (a, b, count, n);
	for (size_t i = 0; i < n; i++)
		v[i] = RS_DECODE(s[i]);
	ml_free(count);
	ml_free(a);
	ml_free(b);
}
#endif

#undef RS_CONCAT_
#undef RS_CONCAT
#undef RS_MAKE_NAME
#undef RS_PREFIX
#undef RS_ELEM
#undef RS_KEY
#undef RS_DIGITS
#undef RS_ENCODE
#undef RS_DECODE
