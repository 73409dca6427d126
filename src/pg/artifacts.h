/*-------------------------------------------------------------------------
 *
 * artifacts.h
 *	  The memory engine's artifacts of a run (artifacts.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_ARTIFACTS_H
#define MLSQL_ARTIFACTS_H

#include "postgres.h"

#include "core/dataset.h"
#include "core/model.h"

/*
 * per-class reports and the confusion matrix on the evaluation split, from
 * the model's predictions of d when proba is not NULL
 */
extern void write_class_artifacts(int64 run_id, const MLModel *m, const MLDataset *d,
								  const char *split, const double *proba);
/* feature importance: the learner's own, or permutation importance */
extern void write_importance(int64 run_id, const MLModel *m, const MLDataset *train,
							 const MLDataset *eval, uint64_t seed, size_t model_bytes);
/* an ensemble's member runs and its 'ensemble_report' artifact */
extern void write_members(int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id,
						  int64 seed, const MLModel *m, const MLFitContext *ctx,
						  const MLDataset *eval, const char *eval_split, size_t n_train,
						  size_t n_test);

#endif							/* MLSQL_ARTIFACTS_H */
