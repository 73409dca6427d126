/*-------------------------------------------------------------------------
 *
 * evaluate.h
 *	  Evaluation shared by ml_train, ml_evaluate and ml_search (evaluate.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_EVALUATE_H
#define MLSQL_EVALUATE_H

#include "postgres.h"

#include "core/dataset.h"
#include "core/metrics.h"
#include "core/model.h"
#include "pg/source.h"

/* the task's metrics from predictions of a dataset's rows (model_predict's layout) */
extern void mlsql_metrics_from_predictions(const MLModel *m, const MLDataset *d,
										   const double *pred, MLMetricSet *out);
/* predictions of a column-major dataset's rows (model_predict's layout), palloc'd */
extern double *mlsql_predict_dataset(const MLModel *m, const MLDataset *d);
/* score a column-major dataset and compute the task's metrics */
extern void mlsql_evaluate_dataset(const MLModel *m, const MLDataset *d, MLMetricSet *out);

/* the model's features for rows (NULL = 0..n-1) of a source */
extern double *mlsql_model_matrix(const MLModel *m, const SourceData *src,
								  const size_t *rows, size_t n, bool strict);
/* a dataset over rows of the source with an already transformed matrix */
extern MLDataset *make_dataset(double *X, size_t n, const MLModel *m, const double *all_y,
							   const size_t *rows);
/* rows of the source through the model's pipeline, as a dataset */
extern MLDataset *transform_rows(const MLModel *m, const SourceData *src, const double *all_y,
								 const size_t *rows, size_t n);
/* the deployed model's score on the key metric, for deploy => 'if_better' */
extern double deployed_score(int64 deployed_id, const MLModel *m, const SourceData *src,
							 const double *all_y, const size_t *rows, size_t n, const char *key,
							 const char **basis);

#endif							/* MLSQL_EVALUATE_H */
