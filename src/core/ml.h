/*-------------------------------------------------------------------------
 *
 * ml.h
 *	  Common types of the pure-C core of mlsql and the shim through which it
 *	  reaches its host.
 *
 * Everything under src/core and src/algo includes this header and never
 * postgres.h.  The host (src/pg inside the server, test/unit/shim_unit.c in
 * the unit-test runner) implements the five shim functions:
 *
 *	ml_alloc / ml_realloc / ml_free	memory (palloc in a training context, or
 *									malloc); ml_alloc returns zeroed memory
 *									and never returns NULL
 *	ml_error						report an error and never return (ereport
 *									ERROR, or abort in unit tests unless a
 *									test has armed a catcher)
 *	ml_check_interrupts				CHECK_FOR_INTERRUPTS, called from every
 *									outer training loop
 *
 * Metric logging (ml_log_metric) is implemented in the core itself: it
 * appends to the fit context's log, which src/pg writes to mlsql.metrics in
 * the same transaction as the run.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_H
#define ML_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Error classes; src/pg maps each to a SQLSTATE. */
typedef enum MLErrorCode
{
	ML_ERR_PARAM = 1,			/* bad parameter: INVALID_PARAMETER_VALUE */
	ML_ERR_DATA,				/* bad data (NaN, shape): DATA_EXCEPTION */
	ML_ERR_LIMIT,				/* too big: PROGRAM_LIMIT_EXCEEDED */
	ML_ERR_CORRUPT,				/* bad model bytes: DATA_CORRUPTED */
	ML_ERR_INTERNAL,			/* can't happen: INTERNAL_ERROR */
	ML_ERR_CANCELED				/* a worker saw a cancel request: the host
								 * raises its own cancel error */
} MLErrorCode;

typedef enum MLTask
{
	ML_REGRESSION = 1,
	ML_CLASSIFICATION = 2,
	ML_CLUSTERING = 3,			/* no target: predict a cluster id */
	ML_ANOMALY = 4				/* no target: predict 1 for an anomaly, and a score */
} MLTask;

#define ML_TASK_BIT(t)	(1u << (t))

/* shim: implemented by the host */
extern void *ml_alloc(size_t size);
extern void *ml_realloc(void *ptr, size_t size);
extern void ml_free(void *ptr);
extern void ml_error(MLErrorCode code, const char *hint, const char *fmt,...)
			__attribute__((noreturn, format(printf, 3, 4)));
extern void ml_check_interrupts(void);

/* checked size arithmetic: errors with ML_ERR_LIMIT on overflow */
extern size_t ml_mul_size(size_t a, size_t b);
extern size_t ml_add_size(size_t a, size_t b);
extern char *ml_strdup(const char *s);
/* the index of the largest of v[0..k), the first on ties */
extern int	ml_argmax(const double *v, int k);
/* v[0..k) becomes softmax(v), stably (all -inf: uniform) */
extern void ml_softmax(double *v, int k);

/* setting-independent text of a number (class labels); buf has 32 bytes */
extern void ml_format_double(double v, char *buf);

/* task names: "regression", "classification" */
extern const char *ml_task_name(MLTask task);

/*
 * Fit context: what a learner may use besides its data and parameters.  The
 * metric log collects (split, name, step, value) rows in order.
 */
typedef struct MLMetricRow
{
	const char *split;			/* static string: "train", "validation", "test" */
	const char *name;			/* static string: "log_loss", "r2", ... */
	int			step;			/* iteration, or -1 for a final value */
	double		value;
} MLMetricRow;

/*
 * What an ensemble reports of each of its members, for the host to record
 * as child runs: where the member sits in the configuration, its algorithm
 * and resolved parameters, and the metrics its fit logged (out-of-bag or
 * out-of-fold validation scores).
 */
typedef struct MLMemberLog
{
	char	   *path;			/* "estimators.1", "base.7" */
	const char *algorithm;
	char	   *params_json;
	MLMetricRow *metrics;
	size_t		n_metrics;
} MLMemberLog;

typedef struct MLFitContext
{
	uint64_t	seed;			/* the run's seed: every random choice flows from it */
	int			threads;		/* worker threads allowed (1 = none) */
	MLMetricRow *metrics;		/* metric log, grown by ml_log_metric */
	size_t		n_metrics;
	size_t		cap_metrics;

	/*
	 * For ensembles: each feature's name ("city=paris"), column ("city",
	 * "emb[3]") and source column ("emb"), against which a member's
	 * "features" are matched; class labels bind a member's class_weight;
	 * path and depth place this fit in an ensemble ("" and 0 at the top);
	 * members is the log of the members it trained.  All may be NULL / 0.
	 */
	char	   *const *feature_names;
	char	   *const *feature_columns;
	char	   *const *feature_sources;
	char	   *const *class_labels;
	const char *path;
	int			depth;
	MLMemberLog *members;
	int			n_members;

	/*
	 * want_train_pred: the host asks for the training rows' predictions.  A
	 * learner that ends its fit holding them (boosting keeps every row's
	 * raw score) may leave in train_pred, ml_alloc'd, exactly what its
	 * predict would return for the training matrix, in the same layout; the
	 * host then computes the train metrics from them instead of scoring the
	 * training rows again, and frees them.
	 */
	bool		want_train_pred;
	double	   *train_pred;

	/*
	 * train_X: where the host keeps the training matrix when it lets the
	 * learner free it (ml_free, then NULL), NULL otherwise.  A learner may
	 * do so only once it no longer reads the matrix and when it will leave
	 * train_pred (the host reads the matrix no more).
	 */
	double	  **train_X;
} MLFitContext;

extern void ml_log_metric(MLFitContext *ctx, const char *split,
						  const char *name, int step, double value);

/*
 * Progress of a long fit: `done` of `total` units ("round", "epoch",
 * "tree", "trial"; total 0 when unknown), with the latest value of a metric
 * (NULL: none).  The host rate-limits and reports it (src/pg: a NOTICE and
 * the backend's pg_stat_activity query text); worker threads never report.
 */
typedef void (*MLProgressHook) (const char *unit, int done, int total,
								const char *metric, double value);
extern MLProgressHook ml_progress_hook;
extern void ml_progress(const char *unit, int done, int total, const char *metric, double value);

#endif							/* ML_H */
