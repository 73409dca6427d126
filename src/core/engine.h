/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The aggregate engine: training as passes of one SQL aggregate over
 *	  rows that stay where they are (parallel workers, Citus shards).
 *
 * The host runs each pass as one aggregate query whose transition takes a
 * row's raw values (numbers with NaN for NULL, categories with NULL), its
 * target and a config: what this pass computes, the split, and what
 * earlier passes learned (the pipeline, the current weights or centers,
 * the models to score).  Partial states merge in any order; the host reads
 * the merged result and decides the next pass.
 *
 *	STATS		sketches of every column over all rows (the data version)
 *				and over the training rows (the pipeline), the target's,
 *				row counts and fingerprints
 *	MOMENTS		mean and squared deviations of every feature over the
 *				training rows (standardization), and a seeded sample of
 *				training rows (k-means seeding)
 *	STATE		an MLAggState (core/aggstate.h) of the training rows:
 *				least squares, naive Bayes, the baseline
 *	GRAM		the centered Gram matrix of the training rows and its
 *				products with the target (coordinate descent)
 *	NEWTON		logistic loss, gradient and Hessian at given weights
 *	LLOYD		per center: rows, feature sums, squared distances
 *	METRICS		the metrics of up to three models on training and test rows
 *	ROWS		the training rows of one partition (GROUP BY a seeded
 *				bucket), trained into a model by the final function
 *
 * Split: a row is a test row when its seeded hash (core/dataset.h,
 * raw_row_hash: the raw values in column order, then the target) falls
 * below test_size, the memory engine's "random" split: the same rows
 * whatever the plan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_ENGINE_H
#define ML_ENGINE_H

#include "ml.h"
#include "aggstate.h"
#include "buffer.h"
#include "metrics.h"
#include "model.h"
#include "sketch.h"

#define ML_ENGINE_SAMPLE 10000		/* rows of the k-means seeding sample */
#define ML_ENGINE_SILHOUETTE 2000	/* rows of the silhouette sample */
#define ML_ENGINE_AUC_BINS 2048		/* score histogram of roc_auc (binary) */
#define ML_ENGINE_MAX_NEWTON 2048	/* most logistic weights (Hessian side) */
#define ML_ENGINE_MAX_CLASSES 1000	/* classes of a training (ml_train's limit) */

typedef enum MLEnginePass
{
	ML_PASS_STATS = 1,
	ML_PASS_MOMENTS,
	ML_PASS_STATE,
	ML_PASS_GRAM,
	ML_PASS_NEWTON,
	ML_PASS_LLOYD,
	ML_PASS_METRICS,
	ML_PASS_ROWS
} MLEnginePass;

/* one model scored by a METRICS pass */
typedef struct MLEngineScored
{
	MLModel    *model;
	int		   *col;			/* per model raw column: our raw column */
	double	   *factor;			/* per model raw column: 1, or days to seconds */
} MLEngineScored;

typedef struct MLEngineConfig
{
	MLEnginePass pass;
	uint64_t	seed;
	double		test_size;
	int			n_cols;			/* raw columns, in source order */
	MLColKind  *kinds;
	char	  **names;
	int			n_num;			/* numeric raw columns (the nums array) */
	int			n_cat;			/* categorical raw columns (the cats array) */
	int		   *slot;			/* per raw column: index in nums or cats */
	int			target;			/* 0 none, 1 number, 2 text */
	MLTask		task;
	MLLabelType label_type;
	int			n_classes;
	char	  **class_labels;	/* sorted as the model's classes */
	double	   *class_values;	/* numeric targets */

	MLPipeline *pipeline;		/* passes after STATS */
	size_t		p;				/* pipeline outputs */

	/* STATE, ROWS: the learner and its params (JSON) */
	char	   *algorithm;
	char	   *params;
	int			buckets;		/* ROWS */

	/* GRAM, NEWTON, LLOYD: feature means and scales (standardization) */
	double	   *mean;
	double	   *scale;
	double		y_mean;			/* GRAM */
	/* NEWTON: weights on standardized features, p x K then K intercepts */
	int			K;
	double	   *theta;
	double	   *class_weight;	/* per class, or NULL */
	/* LLOYD: centers k x p (row-major) */
	int			k;
	double	   *centers;

	/* METRICS */
	int			n_scored;
	MLEngineScored scored[3];
} MLEngineConfig;

/* what a pass learned (merged over every partial state) */
typedef struct MLEngineAcc
{
	/* one model on one split */
	uint64_t	n;
	double		y_mean,
				y_m2,
				sse,
				sae;			/* regression */
	int			k;
	uint64_t   *confusion;		/* k x k: true class, predicted class */
	double		log_loss;
	double		brier;			/* sum of the rows' Brier terms */
	double		ece_pred[ML_ECE_BINS];	/* reliability bins (calibrate.h): */
	double		ece_obs[ML_ECE_BINS];	/* sums of the binned probability, */
	uint64_t	ece_n[ML_ECE_BINS]; /* of hits, and row counts */
	int			bins;
	uint64_t   *hist;			/* k x 2 x bins: class c, negative / positive, score bin */
	double	   *lo,
			   *hi;				/* the least and greatest score in each bin */
	double		score_sum;		/* anomaly: score; clustering: inertia */
	uint64_t	flagged;
	/* clustering: a seeded sample of (hash, features, label) for the silhouette */
	size_t		n_sample;
	uint64_t   *sample_hash;
	double	   *sample_x;		/* n_sample x p, row-major */
	double	   *sample_label;
} MLEngineAcc;

typedef struct MLEngineState
{
	MLEngineConfig *cfg;
	uint64_t	rows;
	uint64_t	n_train;
	uint64_t	n_test;

	/* STATS */
	MLNumSketch *num_all,
			   *num_train;		/* per numeric raw column */
	MLCatSketch *cat_all,
			   *cat_train;		/* per categorical raw column */
	MLNumSketch y_num_all,
				y_num_train;
	MLCatSketch y_cat_all,
				y_cat_train;
	uint64_t	fingerprint;	/* sum of unseeded row hashes */
	uint64_t	test_fp;		/* sum of seeded hashes of test rows */
	uint64_t	train_fp;		/* ... of training rows */

	/* MOMENTS */
	double	   *mean;
	double	   *m2;
	size_t		n_sample;		/* bottom ML_ENGINE_SAMPLE training rows by hash */
	uint64_t   *sample_hash;
	double	   *sample_x;		/* row-major, p per row */

	/* STATE, ROWS */
	MLAggState *agg;

	/* GRAM: centered, upper triangle p x p, and with the target */
	double	   *gram;
	double	   *gram_y;
	double	   *block;			/* pending rows, ML_AGG_BLOCK x p */
	double	   *block_y;
	int			n_block;

	/* NEWTON: loss, gradient and Hessian over theta's d = (p + 1) K entries */
	double		loss;
	double	   *grad;
	double	   *hess;			/* d x d, upper triangle */
	double	   *nblock;			/* pending rows for the binary Hessian */
	double	   *nblock_w;

	/* LLOYD */
	uint64_t   *center_n;
	double	   *center_sum;
	double		inertia;

	/* METRICS: per scored model, training and test rows */
	MLEngineAcc acc[3][2];

	/* scratch */
	double	   *x;
	double	   *out;
	double	   *scratch;
	double	   *rn,
			   *mn;				/* a row's raw numbers: ours, a scored model's */
	const char **rs,
			  **ms;
	size_t	   *rl,
			   *ml;
} MLEngineState;

extern void engine_config_write(const MLEngineConfig *c, MLBuffer *out);
extern MLEngineConfig *engine_config_read(const uint8_t *data, size_t len);

extern MLEngineState *engine_state_new(MLEngineConfig *cfg);

/*
 * One row: num[n_num] (NaN for NULL), cat[n_cat] / cat_len (NULL for
 * NULL), the target y (number) or label (text; NULL for NULL).
 */
extern void engine_add(MLEngineState *s, const double *num, const char *const *cat,
					   const size_t *cat_len, double y, const char *label);

/* whether a row is a test row, and its seeded hash */
extern bool engine_row_split(const MLEngineConfig *cfg, const double *num,
							 const char *const *cat, double y, const char *label,
							 uint64_t *hash);

/* ROWS: the partition of a row (0 .. buckets - 1; -1 for a test row) */
extern int	engine_bucket(const MLEngineConfig *cfg, const double *num,
						  const char *const *cat, double y, const char *label);

extern void engine_merge(MLEngineState *dst, const MLEngineState *src);
extern void engine_state_write(const MLEngineState *s, MLBuffer *out);
extern MLEngineState *engine_state_read(MLEngineConfig *cfg, const uint8_t *data, size_t len);

/* bytes the state holds (mlsql.max_memory) */
extern size_t engine_state_memory(const MLEngineState *s);

/* the metrics of a METRICS pass's model m on split (0 train, 1 test) */
extern void engine_metrics(const MLEngineState *s, int m, int split, MLMetricSet *out);

/*
 * roc_auc of a METRICS pass's model from its score histogram, and the
 * largest error the histogram allows (ties within a bin count one half)
 */
extern double engine_auc(const MLEngineAcc *a, int cls, double *bound);

#endif							/* ML_ENGINE_H */
