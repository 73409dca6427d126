/*-------------------------------------------------------------------------
 *
 * model.h
 *	  The learner interface, the model container and the model byte format.
 *
 * Every learner (ensembles too) is an MLLearner: one file in src/algo and
 * one line in src/algo/registry.c.  A model is the learner's state plus what
 * scoring needs to map inputs and outputs: the preprocessing pipeline (raw
 * columns to features), target name and class labels.
 *
 * Model bytes (all integers little-endian):
 *
 *	"MLSQ"					magic, 4 bytes
 *	u16 format version		ML_FORMAT_VERSION
 *	u16 learner id			stable per learner, never reused
 *	u8 task, u8 label type
 *	pipeline				raw columns -> features (core/pipeline.c)
 *	string target name
 *	u32 n_classes, then per class: string label, f64 numeric value
 *	(format 2) u32 length, then extension records: u8 tag, u32 length,
 *		bytes; readers skip tags they do not know.  Tag 1: per raw column,
 *		u8 value kind and string SQL type name (MLColType); tag 2: u32
 *		n_features, then f64 training mean of each feature (explanations)
 *	u32 payload length, payload (the learner's write)
 *	u32 CRC-32C of every byte before it
 *
 * model_read verifies the checksum before parsing anything and bounds every
 * length, so corrupted bytes are an error, never a crash.  Nothing in the
 * format depends on time or memory addresses: the same data and seed give
 * byte-identical models.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_MODEL_H
#define ML_MODEL_H

#include "ml.h"
#include "buffer.h"
#include "dataset.h"
#include "params.h"
#include "pipeline.h"

#define ML_FORMAT_VERSION 2		/* 1 is read too (no extension section) */
#define ML_MAX_FEATURES 100000
#define ML_MAX_CLASSES 100000
#define ML_MAX_NAME 4096

typedef enum MLLabelType
{
	ML_LABEL_NONE = 0,			/* regression */
	ML_LABEL_NUMERIC = 1,
	ML_LABEL_BOOL = 2,
	ML_LABEL_TEXT = 3
} MLLabelType;

/* the engines that train a learner (MLLearner.engines) */
#define ML_ENGINE_MEMORY 0x1		/* rows read into one backend */
#define ML_ENGINE_AGGREGATE 0x2		/* passes of SQL aggregates (core/engine.h) */
#define ML_ENGINE_PARTITIONS 0x4	/* one model per partition, averaged */

/*
 * How the aggregate engine trains a learner (MLLearner.agg_fit): from the
 * sums of one pass, or from passes that iterate.
 */
typedef enum MLAggFit
{
	ML_AGGFIT_NONE = 0,
	ML_AGGFIT_LEAST_SQUARES,	/* [1 x]'[1 x] and [1 x]'y: least squares, ridge */
	ML_AGGFIT_GAUSSIAN_NB,		/* per class count, mean, squared deviations */
	ML_AGGFIT_PRIOR,			/* target mean, or class counts */
	ML_AGGFIT_GRAM,				/* the centered Gram matrix, then fit_gram */
	ML_AGGFIT_NEWTON,			/* Newton passes on the L2-penalized logistic
								 * loss (params alpha, max_iter, tol,
								 * class_weight), then from_weights */
	ML_AGGFIT_LLOYD				/* Lloyd passes from k-means++ on a seeded
								 * sample (params k, n_init, max_iter, tol),
								 * then from_centers */
} MLAggFit;

typedef struct MLLearner
{
	const char *name;			/* "logistic" */
	uint16_t	id;				/* stable id in model bytes */
	uint32_t	tasks;			/* ML_TASK_BIT(ML_REGRESSION) | ... */
	const MLParamSpec *params;	/* NULL-name terminated */
	const char *doc;			/* one line */
	MLEncode	encode;			/* preferred categorical encoding (0: onehot) */
	MLScale		scale;			/* preferred scaling (0: none) */
	bool		keep_missing;	/* numeric NULLs reach fit / predict as NaN */
	/*
	 * predict may run on worker threads, on disjoint rows at once: it only
	 * reads the state, and a row's output does not depend on the rows
	 * scored with it
	 */
	bool		predict_in_tasks;
	/*
	 * ML_TASK_BIT of the tasks in which it fits a small sample
	 * (ml_sanity_check's overfit_small: at most 50 rows) almost exactly
	 * with its default parameters: training accuracy 1, r2 near 1.
	 * Learners that cannot by design (the baseline, a line, neighbours,
	 * averages of bootstrap samples in regression, boosting whose leaves
	 * need a least hessian weight in classification, a network that may
	 * stop short) leave the task out and the check does not apply.
	 */
	uint32_t	memorizes;
	const char *importance_method;	/* what importance() measures */

	/*
	 * Fit on train (valid may be NULL).  Classification datasets hold class
	 * indexes in y and n_classes >= 2.  Returns the learner's state.
	 */
	void	   *(*fit) (const MLDataset *train, const MLDataset *valid,
						const MLParams *params, MLFitContext *ctx);

	/*
	 * Score n rows of X (row-major, n x p).  Writes n values for regression
	 * and clustering (cluster ids), n x k class probabilities (row-major)
	 * for classification, n x 2 (label 0 / 1, score) for anomaly.
	 */
	void		(*predict) (const void *state, const double *X, size_t n,
							double *out);
	void		(*write) (const void *state, MLBuffer *out);
	/* read and validate the payload; p and k come from the model header */
	void	   *(*read) (MLReader *in, size_t p, int k);
	/* learner details (coefficients, ...) as one JSON object */
	void		(*describe) (const void *state, MLBuffer *json);

	/*
	 * Optional: importance of each of the p features (tree impurity,
	 * coefficients on standardized features).  train is the training data.
	 * Learners without it get permutation importance.
	 */
	void		(*importance) (const void *state, const MLDataset *train, double *out);
	/* optional: more kinds of importance (NULL-terminated names), kind i of each feature */
	const char *const *importance_kinds;
	void		(*importance_kind) (const void *state, int kind, double *out);

	/*
	 * Optional: additive explanation of one row x: phi[0..p) the features'
	 * contributions, phi[p] the bias; they sum to the raw output explained
	 * (regression: the prediction; binary: the log-odds of the second class;
	 * multiclass: the raw score of the most probable class, whose index is
	 * returned; otherwise -1).  Contributions are measured from the training
	 * data's average: mean (may be NULL for models that did not record it)
	 * holds each feature's training mean; additive learners explain
	 * w_j (x_j - mean_j) with the bias the mean raw output, tree learners
	 * are already relative to their expected value (TreeSHAP).
	 */
	int			(*explain) (const void *state, const double *x, const double *mean, double *phi);

	/* ML_ENGINE_* bits: the engines that train this learner */
	uint32_t	engines;
	MLAggFit	agg_fit;

	/*
	 * The state from mergeable sums (ml_fit's states, the aggregate
	 * engine), each hook for its agg_fit:
	 * ML_AGGFIT_LEAST_SQUARES: A = [1 x]'[1 x] ((p + 1) x (p + 1), upper
	 * triangle, column-major) and b = [1 x]'y over n rows;
	 * ML_AGGFIT_GAUSSIAN_NB: per class (the model's order) the row count,
	 * the feature means and squared deviations (k x p, row-major) over n rows;
	 * ML_AGGFIT_PRIOR: the target mean (k = 0) or the k class frequencies.
	 */
	void	   *(*from_least_squares) (const double *A, const double *b, size_t p, uint64_t n,
									   const MLParams *params);
	void	   *(*from_class_moments) (const double *count, const double *mean, const double *m2,
									   int k, size_t p, uint64_t n, const MLParams *params);
	void	   *(*from_prior) (const double *value, int k);

	/*
	 * ML_AGGFIT_GRAM: the state from the centered Gram matrix G (p x p,
	 * upper triangle, column-major), G_y = sum (x - mean)(y - y_mean), the
	 * feature means and the target mean over n training rows.
	 */
	void	   *(*fit_gram) (const double *G, const double *Gy, const double *mean,
							 double y_mean, size_t p, uint64_t n, const MLParams *params,
							 MLFitContext *ctx);
	/* ML_AGGFIT_NEWTON: the state of weights W (p x K) and intercepts b (K) */
	void	   *(*from_weights) (size_t p, int k, const double *W, const double *b);
	/* ML_AGGFIT_LLOYD: the state of k centers (k x p, row-major), and a state's centers */
	void	   *(*from_centers) (size_t p, int k, const double *centers);
	void		(*centers) (const void *state, double *out);

	/*
	 * Optional, for a learner that wraps one other (calibrated): the learner
	 * whose preprocessing (encode, scale, keep_missing) a training with
	 * these params uses, so the wrapped model sees the features it would
	 * alone.  NULL: the learner's own.
	 */
	const struct MLLearner *(*preprocess_as) (const MLParams *params);
} MLLearner;

typedef struct MLModel
{
	const MLLearner *learner;
	MLTask		task;
	MLLabelType label_type;
	MLPipeline *pipeline;		/* raw columns -> the learner's features */
	size_t		n_features;		/* = pipeline->n_out */
	char	  **feature_names;	/* = pipeline->out_names */
	char	   *target_name;
	int			n_classes;		/* 0 for regression */
	char	  **class_labels;	/* text form of each label */
	double	   *class_values;	/* numeric value (numeric / bool labels) */
	double	   *feature_mean;	/* training mean of each feature, or NULL */
	void	   *state;

	/*
	 * Binary classification: predict the second class when its probability
	 * is at least this (ml_set_threshold); NaN: the most probable class.
	 * Kept by the host in the catalog, not in the model bytes.
	 */
	double		threshold;
} MLModel;

/*
 * learner registry: the table is src/algo/registry.c's, installed at load
 * time; lookups (src/core/registry.c) see learners 0 .. learner_count() - 1
 */
extern void learner_registry_install(const MLLearner *const *table, int n);
/* learners only model bytes name (found by learner_find_id alone): rule */
extern void learner_registry_install_readers(const MLLearner *const *table, int n);
/* src/algo/registry.c: the baseline, and the learner of a training that names none */
extern const MLLearner *learner_baseline(void);
extern const MLLearner *learner_default(MLTask task);
extern int	learner_count(void);
extern const MLLearner *learner_at(int i);
extern const MLLearner *learner_find(const char *name);
extern const MLLearner *learner_find_id(uint16_t id);
/* "baseline, linear, logistic" */
extern const char *learner_names(void);
/* the learners keep() accepts, comma separated (a new string) */
extern char *learner_names_where(bool (*keep) (const MLLearner *l));
/* the learners that support a task, comma separated */
extern const char *learner_names_for(MLTask task);

extern void model_write(const MLModel *m, MLBuffer *out);
extern MLModel *model_read(const uint8_t *data, size_t len);

/* out: n values, or n x k probabilities (classification) */
extern void model_predict(const MLModel *m, const double *X, size_t n, double *out);
/*
 * model_predict of n rows held column-major (X[j * n + i]), in blocks of
 * rows on up to `threads` worker threads when the learner allows it
 */
extern void model_predict_columns(const MLModel *m, const double *X, size_t n, size_t p,
								  double *out, int threads);

/* outputs per row of model_predict: k classes, 2 for anomaly (label, score), else 1 */
extern size_t model_output_width(const MLModel *m);

/* the predicted class of one row's probabilities: argmax, or the threshold */
extern int	model_class_of(const MLModel *m, const double *proba);

/* one output per row: value, or index of the most probable class */
extern void model_predict_value(const MLModel *m, const double *X, size_t n,
								double *out);

#endif							/* ML_MODEL_H */
