/*-------------------------------------------------------------------------
 *
 * ensemble.h
 *	  Bagging, voting and stacking: learners made of other learners.
 *
 * An ensemble's members are models of any learner (ensembles too, nested at
 * most ML_ENSEMBLE_MAX_DEPTH deep), each reading all of the ensemble's
 * features or a subset of them.  The host reads the members of a trained
 * ensemble through the functions below to score each on the test split and
 * to record one child run per member.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_ENSEMBLE_H
#define ML_ENSEMBLE_H

#include "../core/model.h"

/* ensembles nested in ensembles: at most this many levels in all */
#define ML_ENSEMBLE_MAX_DEPTH 3

extern bool ensemble_is(const MLLearner *learner);

/* members of a trained ensemble (stacking: its base estimators, not final) */
extern int	ensemble_n_members(const MLModel *m);
extern const MLLearner *ensemble_member_learner(const MLModel *m, int i);

/*
 * member i's outputs for n rows of X (row-major, n x the model's features):
 * n values, or n x k class probabilities, as model_predict
 */
extern void ensemble_member_predict(const MLModel *m, int i, const double *X,
									size_t n, double *out);

/*
 * the state of a "voting" model averaging n models trained elsewhere, each
 * reading all p features with k classes (0: regression); it takes their
 * states (ensemble_voting_learner() is its learner)
 */
extern void *ensemble_average(MLModel *const *models, int n, size_t p, int k);
extern const MLLearner *ensemble_voting_learner(void);

#endif							/* ML_ENSEMBLE_H */
