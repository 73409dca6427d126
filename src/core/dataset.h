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
	/*
	 * per column: 0 for a number, else the count of codes of an
	 * ordinal-coded category (categories, other, missing); NULL when every
	 * column is a number.  Shared by subsets, never freed with them.
	 */
	const int  *levels;
} MLDataset;

extern MLDataset *dataset_create(size_t n_rows, size_t n_cols, int n_classes);

/* a new dataset holding the given rows, in the given order */
extern MLDataset *dataset_subset(const MLDataset *d, const size_t *rows, size_t n);

/* per-column mean and population standard deviation (0 for constant) */
extern void dataset_column_stats(const MLDataset *d, double *mean, double *std);

/*
 * w[j] *= the population standard deviation of column j: turns coefficient
 * magnitudes into importances on standardized features
 */
extern void dataset_scale_by_std(const MLDataset *d, double *w);

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

/*
 * k-fold assignment of every row (0..folds-1): rows shuffled by the seed,
 * then dealt round robin, class by class for classification (stratified:
 * every fold gets its share of each class).  The caller frees it.
 */
extern int *dataset_folds(const MLDataset *d, int folds, uint64_t seed);

/* fingerprint of the data: a 64-bit hash of every value, in row order */
extern uint64_t dataset_fingerprint(const MLDataset *d);


#include "pipeline.h"

typedef enum MLSplitStrategy
{
	ML_SPLIT_RANDOM = 1,		/* test iff the row's hash falls below test_size */
	ML_SPLIT_STRATIFIED,		/* per class, the lowest hashes go to test */
	ML_SPLIT_TIME				/* the newest rows go to test */
} MLSplitStrategy;

#define ML_ASSIGN_TRAIN 0
#define ML_ASSIGN_TEST 1
#define ML_ASSIGN_VALIDATION 2

/*
 * split_assign: assign each of n rows to train (0) or test (1).
 *	random		test iff hash / 2^64 < test_size: appending rows never moves an
 *				existing row to the other split
 *	stratified	per class, rows ordered by hash, the first round(n_c *
 *				test_size) go to test (exact class shares; an appended row can
 *				move the boundary row of its class)
 *	time		rows ordered by time (ties by hash), the newest
 *				round(n * test_size) go to test
 * Each class (stratified) and the whole (others) keeps at least one
 * training row.
 */
extern void split_assign(MLSplitStrategy strategy, size_t n, const uint64_t *hash,
						 const double *y, int n_classes, const double *time,
						 double test_size, uint8_t *assign);

/*
 * The steps of raw_row_hash, for a row held as values: start with
 * ml_mix64(seed), fold in each raw column in order (a number, NaN for NULL;
 * a category, NULL for NULL), then the target (a number, or a text label).
 */
extern uint64_t ml_row_hash_num(uint64_t h, double v);
extern uint64_t ml_row_hash_str(uint64_t h, const char *s);
extern uint64_t ml_row_hash_label(uint64_t h, const char *s);
extern uint64_t ml_row_hash_target(uint64_t h, double y);

/* whether a row of this hash is a test row of the random split */
static inline bool
ml_split_is_test(uint64_t hash, double test_size)
{
	return (double) (hash >> 11) * 0x1.0p-53 < test_size;
}

/* 64-bit hash of row i: its raw values and target (NULL-aware) */
extern uint64_t raw_row_hash(const MLRawColumn *cols, int n_cols, const double *y,
							 const char *const *y_text, size_t i, uint64_t seed);

/* 64-bit hash of a string (FNV-1a, then mixed) */
extern uint64_t ml_hash_string(uint64_t h, const char *s);

/*
 * column_stats_json: statistics of raw column c over n rows as a JSON object
 * (count, nulls, distinct; numeric: mean, std, min, max and decile bins with
 * the share of rows in each; categorical: the 10 most frequent values with
 * their shares).  These are what ml_data_diff and ml_drift compare.
 */
extern void column_stats_json(const MLRawColumn *c, size_t n, MLBuffer *json);

/*
 * the same for n_cols columns into json[0..n_cols) (initialized buffers),
 * the numeric columns' sorts on up to `threads` worker threads
 */
extern void column_stats_json_all(const MLRawColumn *cols, int n_cols, size_t n,
								  MLBuffer *json, int threads);

/* raw_row_hash of rows 0..n-1 into out, in chunks on up to `threads` threads */
extern void raw_row_hashes(const MLRawColumn *cols, int n_cols, const double *y,
						   const char *const *y_text, size_t n, uint64_t seed,
						   uint64_t *out, int threads);

#endif							/* ML_DATASET_H */
