/*-------------------------------------------------------------------------
 *
 * sanity.h
 *	  The computations of ml_sanity_check that need no learner: how well
 *	  one feature alone predicts the target, and rows that appear on both
 *	  sides of a split.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_SANITY_H
#define ML_SANITY_H

#include "ml.h"

/* the bins a feature is cut into by univariate_score */
#define ML_UNIVARIATE_BINS 64

/*
 * The score of a predictor that sees one feature: the training values cut
 * at up to ML_UNIVARIATE_BINS quantiles (equal values never split; NaN is
 * a bin of its own), each bin predicting its most frequent class (k >= 2:
 * accuracy on the evaluation rows) or its mean (k == 0: r2 on the
 * evaluation rows, or the least-squares line's r2 when that is higher).
 * An evaluation value in no training bin (NaN never seen) gets the
 * training majority / mean.  Deterministic; NaN when either side is empty.
 */
extern double univariate_score(const double *x_train, const double *y_train, size_t n_train,
							   const double *x_eval, const double *y_eval, size_t n_eval, int k);

/*
 * How many of the n_b rows of B (column-major, p columns) equal some row
 * of A (n_a rows): values compared bit for bit (NaN equals NaN) through a
 * 64-bit hash of each row, then exactly.  in_a (may be NULL) gets, per row
 * of B, whether it does.
 */
extern size_t rows_shared(const double *A, size_t n_a, const double *B, size_t n_b, size_t p,
						  bool *in_a);

#endif							/* ML_SANITY_H */
