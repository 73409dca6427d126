/*-------------------------------------------------------------------------
 *
 * aggstate.h
 *	  The state of the ml_fit aggregate: mergeable statistics or collected
 *	  rows, their merge, their bytes, and the model trained from them.
 *
 * Learners whose fit reduces to sums are trained exactly from merged
 * statistics, so partial states computed on parallel workers (or on the
 * shards of a distributed table) combine into the very model one pass
 * would give:
 *
 *	linear		A = [1 x]^T [1 x] and b = [1 x]^T y over all rows, added a
 *				block of rows at a time with one BLAS-3 call; the final
 *				function solves the normal equations (minimum norm, as
 *				least squares; ridge adds alpha to the slope diagonal)
 *	naive_bayes	per class: count, mean and sum of squared deviations of
 *				every feature, merged with the formulas of Chan, Golub and
 *				LeVeque (1979)
 *	baseline	the target's sum, or per class counts
 *
 * Every other learner (and these with options the statistics cannot carry,
 * such as class_weight) collects its rows; merging concatenates them and the
 * final function fits the learner on the collection, exactly as in memory.
 *
 * Bytes: "MLAG", u16 version, u8 kind, u8 task, u8 label type, u32 p,
 * algorithm, params JSON, u64 rows, the kind's payload, CRC-32C.  Reading
 * checks the checksum first and bounds every count by the bytes left.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_AGGSTATE_H
#define ML_AGGSTATE_H

#include "ml.h"
#include "buffer.h"
#include "model.h"

#define ML_AGG_VERSION 1
#define ML_AGG_BLOCK 256

typedef enum MLAggKind
{
	ML_AGG_LINEAR = 1,
	ML_AGG_NB,
	ML_AGG_BASELINE,
	ML_AGG_ROWS
} MLAggKind;

typedef struct MLAggState
{
	MLAggKind	kind;
	MLTask		task;
	MLLabelType label_type;
	uint32_t	p;				/* features; 0 until the first row */
	char	   *algorithm;
	char	   *params;			/* JSON object text */
	uint64_t	n;				/* rows added */

	/* labels (classification), in order of arrival */
	int			n_labels;
	int			cap_labels;
	char	  **labels;

	/* linear: (p + 1)^2 upper-triangular A, b, and a pending block */
	double	   *A;
	double	   *b;
	double	   *block;			/* ML_AGG_BLOCK x (p + 1), row-major */
	double	   *block_y;
	int			n_block;

	/* naive_bayes: per label count, mean[p], m2[p]; baseline: counts */
	double	   *count;
	double	   *mean;
	double	   *m2;
	double		sum_y;			/* baseline regression */

	/* rows: X row-major, y values or label indexes */
	double	   *X;
	double	   *y;
	uint64_t	cap_rows;
} MLAggState;

/*
 * a new state for an algorithm; params is a JSON object; task and label
 * type come from the target's type (ML_LABEL_NONE for a regression target)
 */
extern MLAggState *agg_new(const char *algorithm, const char *params, MLTask task,
						   MLLabelType label_type);

/*
 * fix the shape and the classes before the first row (the aggregate
 * engine knows every class from its first pass: the model has them all,
 * in their sorted order, even one without training rows)
 */
extern void agg_declare(MLAggState *s, uint32_t p, char *const *labels, int k);

/* add one row: x has p values (the first row sets p); label for classification */
extern void agg_add(MLAggState *s, const double *x, uint32_t p, double y, const char *label);

/* fold src into dst (same algorithm, params and shape) */
extern void agg_merge(MLAggState *dst, const MLAggState *src);

extern void agg_write(MLAggState *s, MLBuffer *out);
extern MLAggState *agg_read(const uint8_t *data, size_t len);

/* bytes the state holds, and will hold once one more row is added */
extern size_t agg_memory(const MLAggState *s);
extern size_t agg_memory_next(const MLAggState *s);

/* train the model (threads for learners that use them); the caller writes it */
extern MLModel *agg_finish(MLAggState *s, int threads);

#endif							/* ML_AGGSTATE_H */
