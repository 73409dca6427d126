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

/* sort n doubles ascending (no NaN), O(n): 8 passes of 8-bit digits */
extern void ml_sort_doubles(double *v, size_t n);

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
