/*-------------------------------------------------------------------------
 *
 * gbdt.h
 *	  What the gbdt learner offers beyond the learner interface.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_GBDT_H
#define ML_GBDT_H

#include "../core/model.h"

/*
 * gbdt_import_xgboost: a gbdt model from the JSON text of an XGBoost model
 * (booster gbtree; binary:logistic, multi:softprob / softmax, or an
 * identity-link regression objective), scoring every input as XGBoost does
 * up to the float32 sums of its leaf values.  names: n_names feature names
 * (0: XGBoost's own, else x1, x2, ...).  Bad input is an ML_ERR_PARAM error.
 */
extern MLModel *gbdt_import_xgboost(const char *text, size_t len, char *const *names, int n_names);

/*
 * gbdt_importance_of: per feature, the share of the split gain, of the
 * splits, or of the cover (hessian sum of the rows reaching a split) that
 * the model's splits on it hold; out has a slot per feature and sums to 1
 * (all 0 for a model without a split)
 */
typedef enum GbImportance
{
	GB_IMPORTANCE_GAIN,
	GB_IMPORTANCE_SPLITS,
	GB_IMPORTANCE_COVER
} GbImportance;

extern void gbdt_importance_of(const void *state, GbImportance kind, double *out);

#endif							/* ML_GBDT_H */
