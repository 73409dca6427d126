/*-------------------------------------------------------------------------
 *
 * sketch.h
 *	  Mergeable summaries of a column, for the aggregate engine: what one
 *	  pass over rows spread across parallel workers or Citus shards can
 *	  learn of a column, merged in any order to the same answer.
 *
 * A numeric sketch keeps
 *	count, NULLs, mean and the sum of squared deviations (merged with the
 *	pairwise formulas of Chan, Golub and LeVeque), min and max;
 *	the exact count of every distinct value while there are at most
 *	ML_SKETCH_EXACT of them (then quantiles, the mode and the distinct
 *	count are exact);
 *	beyond that, a relative-error quantile sketch (logarithmic bins, as
 *	DDSketch: every quantile within ML_SKETCH_ALPHA of a true value of
 *	that rank, relative to its magnitude; at most ML_SKETCH_BINS bins per
 *	sign, the smallest magnitudes folded together past that) and a
 *	HyperLogLog of 2^12 registers for the distinct count (standard error
 *	1.04 / 64 = 1.6%).
 * A categorical sketch keeps the exact count of every category while there
 * are at most ML_SKETCH_CATEGORIES of them, then only a HyperLogLog.
 *
 * Merging adds counts and takes register maxima, so a merge tree of any
 * shape gives the same counts; the floating-point moments agree within
 * rounding.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_SKETCH_H
#define ML_SKETCH_H

#include "ml.h"
#include "buffer.h"

#define ML_SKETCH_EXACT 1024
#define ML_SKETCH_CATEGORIES 100000
#define ML_SKETCH_ALPHA 0.01
#define ML_SKETCH_BINS 2048
#define ML_HLL_BITS 12

/* logarithmic bins of one sign: counts of bins lo .. lo + n - 1 */
typedef struct MLLogBins
{
	int32_t		lo;
	int32_t		n;
	uint64_t   *count;
} MLLogBins;

/* an open-addressing count table of 64-bit keys or strings */
typedef struct MLCountTable
{
	size_t		size;			/* entries used */
	size_t		cap;			/* slots, a power of two (0: none yet) */
	uint64_t   *key;			/* numbers: ml_double_key bits; strings: hash */
	char	  **str;			/* strings, or NULL for a number table */
	uint64_t   *count;
} MLCountTable;

typedef struct MLNumSketch
{
	uint64_t	n;				/* rows, NULL included */
	uint64_t	nulls;
	double		mean;			/* of the non-NULL values */
	double		m2;
	double		min;
	double		max;
	bool		exact;			/* table holds every distinct value */
	MLCountTable table;
	uint64_t	zeros;
	MLLogBins	pos;
	MLLogBins	neg;
	uint8_t    *hll;			/* 2^ML_HLL_BITS registers, or NULL */
} MLNumSketch;

typedef struct MLCatSketch
{
	uint64_t	n;
	uint64_t	nulls;
	bool		exact;			/* table holds every category */
	MLCountTable table;
	uint8_t    *hll;
} MLCatSketch;

extern void num_sketch_init(MLNumSketch *s);
extern void num_sketch_add(MLNumSketch *s, double x);	/* NaN: NULL */
extern void num_sketch_merge(MLNumSketch *dst, const MLNumSketch *src);
extern void num_sketch_write(const MLNumSketch *s, MLBuffer *b);
extern void num_sketch_read(MLNumSketch *s, MLReader *r);
extern void num_sketch_free(MLNumSketch *s);

extern void cat_sketch_init(MLCatSketch *s);
extern void cat_sketch_add(MLCatSketch *s, const char *v, size_t len);	/* NULL: NULL */
extern void cat_sketch_merge(MLCatSketch *dst, const MLCatSketch *src);
extern void cat_sketch_write(const MLCatSketch *s, MLBuffer *b);
extern void cat_sketch_read(MLCatSketch *s, MLReader *r);
extern void cat_sketch_free(MLCatSketch *s);

/* non-NULL values */
static inline uint64_t
num_sketch_count(const MLNumSketch *s)
{
	return s->n - s->nulls;
}

/* population standard deviation of the non-NULL values (NaN when none) */
extern double num_sketch_std(const MLNumSketch *s);

/*
 * the value of rank floor(q * (m - 1)) among the m non-NULL values sorted
 * (the rule of the memory engine's statistics): exact while the sketch is,
 * else within ML_SKETCH_ALPHA relative error; NaN when there are none
 */
extern double num_sketch_quantile(const MLNumSketch *s, double q);

/* the median as ml_median defines it (0 when empty); exact while the sketch is */
extern double num_sketch_median(const MLNumSketch *s);

/* the most frequent value (the smallest on ties); exact sketches only */
extern double num_sketch_mode(const MLNumSketch *s);

/* distinct non-NULL values: exact while the sketch is, else estimated */
extern uint64_t num_sketch_distinct(const MLNumSketch *s);
extern uint64_t cat_sketch_distinct(const MLCatSketch *s);

/*
 * the distinct values of an exact sketch, ascending, with their counts;
 * returns how many (the caller frees both arrays)
 */
extern size_t num_sketch_values(const MLNumSketch *s, double **values, uint64_t **counts);

/*
 * the categories of an exact categorical sketch, most frequent first (ties
 * in byte order), with counts; returns how many (the caller frees the
 * arrays; the strings stay the sketch's)
 */
extern size_t cat_sketch_ranked(const MLCatSketch *s, char ***cats, uint64_t **counts);

/*
 * the statistics JSON object of the memory engine's data versions
 * (core/dataset.h, column_stats_json) from a sketch; numeric quantile edges
 * and bin shares are estimated when the sketch is not exact, and then the
 * object says so ("sketch": its error bounds)
 */
extern void num_sketch_json(const MLNumSketch *s, const char *name, MLBuffer *json);
extern void cat_sketch_json(const MLCatSketch *s, const char *name, MLBuffer *json);

/* HyperLogLog of a 64-bit hash (regs: 2^ML_HLL_BITS bytes) */
extern void ml_hll_add(uint8_t *regs, uint64_t hash);
extern double ml_hll_estimate(const uint8_t *regs);

#endif							/* ML_SKETCH_H */
