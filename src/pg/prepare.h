/*-------------------------------------------------------------------------
 *
 * prepare.h
 *	  Preparing training data, shared by ml_train's engines and ml_search
 *	  (prepare.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_PREPARE_H
#define MLSQL_PREPARE_H

#include "postgres.h"

#include "core/buffer.h"
#include "core/dataset.h"
#include "core/model.h"
#include "core/pipeline.h"
#include "pg/catalog.h"
#include "pg/source.h"
#include "utils/jsonb.h"

/*
 * What ml_train and ml_search share before fitting (prepare.c): the inputs,
 * then everything train_prepare settles.
 */
typedef struct TrainData
{
	/* inputs */
	const char *project;
	const char *source;
	const char *target;			/* NULL for clustering / anomaly */
	char	  **features;		/* NULL: every column but the target */
	int			n_features;
	Jsonb	   *params_jb;		/* split and preprocess options, learner params */
	const char *task_arg;		/* NULL: inferred */
	double		test_size;
	int64		seed;
	const MLLearner *learner;	/* "linear" becomes "logistic" on a class target */
	bool		slim;			/* keep only the test rows of the raw columns;
								 * td->test is left to the caller */
	size_t		target_distinct;	/* distinct numeric targets; 0: count them */
	/* outputs */
	struct SourceData *src;
	MLTask		task;
	bool		unsupervised;
	MLModel    *model;			/* task, labels and pipeline; no state */
	double	   *all_y;			/* targets (class indexes) of every row */
	char	   *split_name;
	char	   *split_key;
	char	   *split_column;
	char	   *aux[2];
	int			n_aux;
	uint8_t    *assign;
	size_t	   *train_rows,
			   *test_rows,
			   *valid_rows;
	size_t		n_train,
				n_test,
				n_valid;
	uint64_t	fingerprint;
	uint64_t	test_fingerprint;	/* of the rows test metrics are taken on */
	MLColumnOptions *opts;
	MLParams   *params;			/* the learner's params from params_jb */
	char	   *existing_task;
	int64		project_id;
	MLDataset  *train,
			   *test,
			   *valid;
	MLBuffer   *stats;			/* slim: per raw column, its statistics (JSON) */
	CatalogTarget target_info;	/* the target the project must agree with */
} TrainData;

/* shared by the engines (prepare.c) */
#define MAX_CLASSES 1000			/* classes a training may have */
#define CLASSIFY_MAX_DISTINCT 20	/* integer targets with at most this many values classify */
#define ID_LIKE_MIN_ROWS 20			/* sources this small keep their identifier-like columns */
#define MANY_CATEGORIES 1000		/* a text column with more is probably free text */

extern void report_imputation(const MLPipeline *p);
extern void train_prepare(TrainData *td);
extern void train_prepare_front(TrainData *td);
extern void train_decide_task(TrainData *td);
extern void train_decide_learner(TrainData *td);
extern void fit_context_names(MLFitContext *ctx, const MLModel *model);
extern void compact_source(SourceData *src, double **all_y, size_t **rows, size_t n,
						   bool cols_done);

#endif							/* MLSQL_PREPARE_H */
