/*-------------------------------------------------------------------------
 *
 * sortcount.h
 *	  Linear-time helpers for column statistics and preprocessing: an LSD
 *	  radix sort of doubles and a hash count of distinct strings.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_SORTCOUNT_H
#define ML_SORTCOUNT_H

#include "ml.h"

#include <string.h>

/*
 * sort n doubles ascending (no NaN; -0 comes back as 0): by buckets of
 * value when they are finite, else 8 passes of 8-bit digits
 */
extern void ml_sort_doubles(double *v, size_t n);

/* scratch memory that sorts of many columns share (zeroed before the first) */
typedef struct MLSortBuf
{
	double	   *out;
	uint32_t   *bucket;
	size_t	   *start;
	size_t		cap;			/* values the arrays hold */
} MLSortBuf;

/* ml_sort_doubles with buf's scratch, grown as needed */
extern void ml_sort_doubles_buf(double *v, size_t n, MLSortBuf *buf);
extern void ml_sort_buf_free(MLSortBuf *buf);

/* a 64-bit key with a payload */
typedef struct MLKeyVal
{
	uint64_t	key;
	uint64_t	val;
} MLKeyVal;

/*
 * Sort n pairs by key ascending, O(n): stable (pairs with equal keys keep
 * their order), 8 passes of 8-bit digits, a pass skipped when every key
 * has the same digit.
 */
extern void ml_sort_keyval(MLKeyVal *a, size_t n);

/* the key that orders like the double x (-0 as 0; x must not be NaN) */
static inline uint64_t
ml_double_key(double x)
{
	uint64_t	u;

	if (x == 0.0)
		x = 0.0;
	memcpy(&u, &x, 8);
	return (u >> 63) ? ~u : u ^ 0x8000000000000000ull;
}

/* the median of v[0..n) (sorting v in place); 0 when n is 0 */
extern double ml_median(double *v, size_t n);

typedef struct MLStrCount
{
	const char *s;				/* points into the caller's strings */
	size_t		count;
} MLStrCount;

/*
 * Count the distinct non-NULL strings of str[rows[i]] (rows NULL: str[i]),
 * i < n.  Returns a new array of *k entries in no particular order.
 * Expected O(n) with an open-addressing hash table.
 */
extern MLStrCount *ml_count_strings(char *const *str, const size_t *rows, size_t n,
									size_t *k);

#endif							/* ML_SORTCOUNT_H */
