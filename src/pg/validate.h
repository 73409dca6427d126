/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  Cross-validation inside the training split (validate.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_VALIDATE_H
#define MLSQL_VALIDATE_H

#include "postgres.h"

#include "core/metrics.h"
#include "core/params.h"
#include "pg/prepare.h"

/*
 * Cross-validated scores of one configuration: fold f trains on the rows
 * of the other folds that are in the pool (NULL: all; halving: a share of
 * the rows) and is scored on all rows of fold f; per_fold_train (may be
 * NULL) and per_fold_valid get each fold's metrics, *n_done the folds
 * done.  With folds == 0, fold 0 of 5 is the one validation fold.
 */
extern void cross_validate(const TrainData *td, const MLParams *params, int folds, const int *fold,
						   const bool *pool, const char *metric, MLMetricSet *per_fold_train,
						   MLMetricSet *per_fold_valid, int *n_done, int64 seed);

#endif							/* MLSQL_VALIDATE_H */
