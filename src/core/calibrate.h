/*-------------------------------------------------------------------------
 *
 * calibrate.h
 *	  Probability calibration: isotonic regression and Platt's sigmoid,
 *	  fitted on held-out scores, and the measures of calibration (Brier
 *	  score, expected calibration error, the reliability curve).
 *
 * Definitions follow scikit-learn 1.2 where it has them:
 *	- isotonic: IsotonicRegression(out_of_bounds="clip") on (score, 0/1):
 *	  equal scores are merged first (their mean target, weighted), pool
 *	  adjacent violators, then linear interpolation between the merged
 *	  scores, clipped to the first / last value outside them;
 *	- sigmoid: _sigmoid_calibration: P = 1 / (1 + exp(a * s + b)) minimizing
 *	  the log loss against Platt's smoothed targets (n1 + 1) / (n1 + 2) and
 *	  1 / (n0 + 2), from a = 0, b = log((n0 + 1) / (n1 + 1)) (Newton's
 *	  method with a line search reaches the same optimum as its BFGS);
 *	- calibration_curve(strategy="uniform"): bins [0, 1/B], (1/B, 2/B], ...
 *	  with edges i * (1 / B), empty bins left out;
 *	- Brier score: binary, mean (p - y)^2 of the positive class (as
 *	  brier_score_loss); multiclass, the mean over rows of the sum over
 *	  classes of (p_k - [y = k])^2 (scikit-learn 1.7's multiclass definition);
 *	- expected calibration error: sum over the curve's bins of
 *	  n_b / n * |mean predicted - observed|: of the positive class for a
 *	  binary task, of the top label's confidence against its accuracy for
 *	  more classes (Guo et al., 2017).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_CALIBRATE_H
#define ML_CALIBRATE_H

#include "ml.h"
#include "buffer.h"

typedef enum MLCalibration
{
	ML_CALIB_ISOTONIC = 1,
	ML_CALIB_SIGMOID = 2
} MLCalibration;

/* one fitted map from a score to a probability */
typedef struct MLCalibrator
{
	MLCalibration method;
	double		a;				/* sigmoid */
	double		b;
	int			n_points;		/* isotonic: increasing x, non-decreasing y */
	double	   *x;
	double	   *y;
} MLCalibrator;

/* fit on n (score, positive) pairs; weights may be NULL */
extern void calibrator_fit(MLCalibrator *c, MLCalibration method, const double *score,
						   const double *positive, const double *weight, size_t n);
extern double calibrator_apply(const MLCalibrator *c, double score);
extern void calibrator_free(MLCalibrator *c);
extern void calibrator_write(const MLCalibrator *c, MLBuffer *out);
/* reads what calibrator_write wrote; corrupt bytes are an ML_ERR_CORRUPT error */
extern void calibrator_read(MLCalibrator *c, MLReader *in);
extern const char *calibration_name(MLCalibration method);
/* 0 when name is neither "isotonic" nor "sigmoid" */
extern MLCalibration calibration_from_name(const char *name);

/*
 * Calibrate n rows of k class probabilities in place, one calibrator per
 * class (k == 2: one, for the second class), as CalibratedClassifierCV
 * does: binary p1 = c(p1), p0 = 1 - p1; multiclass one-vs-rest values
 * normalized to sum 1 (all zero: 1 / k each).
 */
extern void calibrate_probabilities(const MLCalibrator *cal, int k, double *proba, size_t n);

/* y: class indexes; proba: n x k, row-major */
extern double calibration_brier(const double *y, const double *proba, size_t n, int k);

/*
 * The reliability curve in bins bins: for each non-empty bin its index
 * (0-based), mean predicted value, observed frequency and row count; returns
 * the number of non-empty bins (arrays hold bins entries).  Binary (k == 2):
 * the second class's probability against [y = 1]; else the top label's
 * probability against [the top label is y].
 */
extern int	calibration_curve(const double *y, const double *proba, size_t n, int k, int bins,
							  int *bin, double *mean_pred, double *observed, int64_t *count);
/*
 * One row's point of the curve: *v the probability it is binned by, *hit
 * 1 when it counts as observed (as calibration_curve reads rows); and the
 * bin of v (NaN v: bin 0; callers skip NaN).
 */
extern void calibration_point(const double *p, int k, int y, double *v, double *hit);
extern int	calibration_bin(double v, int bins);
extern double calibration_ece(const double *y, const double *proba, size_t n, int k, int bins);

#endif							/* ML_CALIBRATE_H */
