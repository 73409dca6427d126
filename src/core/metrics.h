/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Evaluation metrics, computed as scikit-learn defines them.
 *
 * Regression: r2, rmse, mae.  Classification: accuracy, precision, recall,
 * f1 (binary: the second class in ml_classes order is positive; multiclass:
 * macro averages, 0 where a class is never predicted, as scikit-learn's
 * zero_division default), log_loss (probabilities clipped to [1e-15,
 * 1 - 1e-15]), roc_auc (binary; one-vs-rest macro for multiclass; ties
 * count one half), brier and ece (calibrate.h: the Brier score, and the
 * expected calibration error in ML_ECE_BINS equal-width bins).  A metric that is undefined on the data (roc_auc with one
 * class present, r2 of a constant target) is NaN.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_METRICS_H
#define ML_METRICS_H

#include "ml.h"

#define ML_MAX_METRICS 10
/* the bins of the expected calibration error reported with every classification */
#define ML_ECE_BINS 10

typedef struct MLMetricSet
{
	int			n;
	const char *names[ML_MAX_METRICS];
	double		values[ML_MAX_METRICS];
} MLMetricSet;

extern void metrics_regression(const double *y, const double *pred, size_t n,
							   MLMetricSet *out);

/* y holds class indexes; proba is n x k, row-major */
/*
 * The same, with a binary classifier's decision threshold: the second class
 * is predicted when its probability is at least threshold (NaN: the most
 * probable class), as ml_predict does (ml_set_threshold).  Probability
 * metrics (log_loss, roc_auc) do not depend on it.
 */
extern void metrics_classification_at(const double *y, const double *proba, size_t n, int k,
									  double threshold, MLMetricSet *out);
extern void metrics_classification(const double *y, const double *proba,
								   size_t n, int k, MLMetricSet *out);

/* silhouette over the first 2000 rows (X column-major n x p), cluster count */
extern void metrics_clustering(const double *X, size_t n, size_t p, const double *label,
							   MLMetricSet *out);
/* anomaly: share flagged and mean score of (label, score) pairs */
extern void metrics_anomaly(const double *label_score, size_t n, MLMetricSet *out);

/* precision, recall, f1 from per-class counts (as metrics_classification reports them) */
extern void metrics_put_prf(const double *tp, const double *pred_count, const double *true_count,
							int k, MLMetricSet *out);

extern double metrics_roc_auc_binary(const double *positive, const double *score, size_t n);

extern double metrics_get(const MLMetricSet *m, const char *name);

/* the metric that decides deployment (higher is better); NULL: none */
extern const char *metrics_key(MLTask task);

/*
 * Whether metric is one a project, a search or a deployment may rank
 * models of this task by (classification: accuracy, precision, recall,
 * f1, roc_auc, log_loss, brier, ece; regression: r2, rmse, mae); *lower_better (may be
 * NULL) tells its direction.
 */
extern bool metrics_valid(MLTask task, const char *metric, bool *lower_better);
extern bool metrics_lower_better(const char *metric);
/* a better than b on metric; NaN is never better, anything beats NaN */
extern bool metrics_better(const char *metric, double a, double b);

#endif							/* ML_METRICS_H */
