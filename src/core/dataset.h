/*-------------------------------------------------------------------------
 *
 * dataset.h
 *	  The in-memory training matrix and the deterministic train / test split.
 *
 * X is column-major double (X[j * n_rows + i]): learners read a feature at a
 * time, and the layout is what BLAS calls a column-major n x p matrix.  We
 * keep doubles, not floats (DESIGN.md sketched float): least squares must
 * match scikit-learn to 1e-6, which float32 inputs cannot give.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_DATASET_H
#define ML_DATASET_H

#include "ml.h"

typedef struct MLDataset
{
	size_t		n_rows;
	size_t		n_cols;
	double	   *X;				/* n_rows * n_cols, column-major */
	double	   *y;				/* target value, or class index 0..k-1 */
	int			n_classes;		/* 0 for regression */
} MLDataset;

extern MLDataset *dataset_create(size_t n_rows, size_t n_cols, int n_classes);

/* a new dataset holding the given rows, in the given order */
extern MLDataset *dataset_subset(const MLDataset *d, const size_t *rows, size_t n);

/* per-column mean and population standard deviation (0 for constant) */
extern void dataset_column_stats(const MLDataset *d, double *mean, double *std);

/*
 * dataset_split: the seeded, deterministic train / test split.
 *
 * Each row gets a 64-bit hash of the seed and its own values (features and
 * target), so the split is a function of the row, not of its position in the
 * source: reordering the source moves no row across the split.  Rows are
 * ordered by hash and the first round(n * test_size) go to test; for
 * classification this is done per class (stratified), keeping at least one
 * row of each class in training.  test_size = 0 puts every row in training.
 * The row index arrays are returned in source order.
 */
extern void dataset_split(const MLDataset *d, double test_size, uint64_t seed,
						  size_t **train_rows, size_t *n_train,
						  size_t **test_rows, size_t *n_test);

/* fingerprint of the data: a 64-bit hash of every value, in row order */
extern uint64_t dataset_fingerprint(const MLDataset *d);

#endif							/* ML_DATASET_H */
