/*-------------------------------------------------------------------------
 *
 * automl.h
 *	  ml_automl's plan and bookkeeping, in pure C: how the budget is shared
 *	  among phases and trials, a trial's cross-validated score from its
 *	  out-of-fold predictions, the best few learners, the pool of
 *	  out-of-fold predictions ensemble selection chooses from, and the blend
 *	  of the chosen.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_AUTOML_H
#define ML_AUTOML_H

#include <stdbool.h>
#include <stddef.h>

#define AUTOML_FOLDS 3			/* cross-validation folds of every trial */
#define AUTOML_SHARE_DEFAULTS 0.4	/* of the budget: every learner, defaults */
#define AUTOML_SHARE_SEARCH 0.4 /* of the budget: the search on the best */
#define AUTOML_TOP 3			/* learners the search spends its share on */
#define AUTOML_ROUNDS 25		/* rounds of ensemble selection */
#define AUTOML_POOL 24			/* trials whose predictions selection keeps */
#define AUTOML_MAX_SEARCH 200	/* search trials per learner, at most */

/* the phases, as recorded (metric automl_phase) */
typedef enum AutoMLPhase
{
	AUTOML_BASELINE = 1,		/* the baseline (and rules) */
	AUTOML_DEFAULTS = 2,		/* every applicable learner, default params */
	AUTOML_SEARCH = 3,			/* a search on the best few */
	AUTOML_ENSEMBLE = 4			/* greedy ensemble selection */
} AutoMLPhase;

extern const char *automl_phase_name(int phase);

/*
 * The ends of phases 2 and 3, in seconds from the start, of a budget of
 * budget seconds: 40 % each; the rest is for the ensemble and the refit.
 */
extern void automl_phase_ends(double budget, double *end_defaults, double *end_search);

/*
 * The end of the next trial's time box: the time left until phase_end,
 * shared equally by the left trials still to run (left >= 1); a trial that
 * would start at or after phase_end does not start (returns NaN).
 */
extern double automl_time_box(double now, double phase_end, int left);

/*
 * A trial's score from its out-of-fold predictions oof (n x width,
 * row-major; width k classes or 1) of n rows with targets y (class indexes
 * when k > 0) and folds fold[i] in 0 .. folds - 1: the mean of metric over
 * the folds, as ml_search scores a trial; *std gets their standard
 * deviation.  NaN when a fold's metric is not finite.
 */
extern double automl_cv_score(const double *y, const double *oof, const int *fold, size_t n,
							  int folds, int k, const char *metric, double *std);

/* metric of predictions pred (n x width) of all n rows at once */
extern double automl_pooled_score(const double *y, const double *pred, size_t n, int k,
								  const char *metric);

/*
 * The best top groups (learners) of n trials: for each group its best
 * eligible trial by key (higher is better, ties to the earlier trial), the
 * groups ordered by that key.  Writes the groups' best trials to out and
 * returns how many (at most top).
 */
extern int	automl_top_groups(const double *key, const int *group, const bool *eligible, int n,
							  int top, int *out);

/*
 * The pool of trials whose out-of-fold predictions are kept (at most cap):
 * trial with key (higher is better) is admitted while the pool has room,
 * or in place of the worst member when better than it.  Returns the slot
 * the trial takes, or -1; *evicted gets the trial it replaced (-1: none).
 */
extern int	automl_pool_admit(double *pool_key, int *pool_trial, int *n_pool, int cap,
							  double key, int trial, int *evicted);

/*
 * The blend of m candidates' predictions (n x width each) weighted by
 * counts (ensemble_select's), into out (n x width).
 */
extern void automl_blend(const double *const *pred, const int *counts, int m, size_t n,
						 int width, double *out);

#endif							/* ML_AUTOML_H */
