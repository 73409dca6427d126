/*-------------------------------------------------------------------------
 *
 * record.h
 *	  What a training leaves in the catalog, from either engine (record.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_RECORD_H
#define MLSQL_RECORD_H

#include "postgres.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "core/model.h"
#include "pg/catalog.h"
#include "pg/source.h"
#include "utils/jsonb.h"

struct ReturnSetInfo;

/* a rule of the project (ml_rule) scored on a training's test rows (rule.c) */
typedef struct RuleScore
{
	const char *name;
	const char *algorithm;		/* the rule learner's name */
	int64		model_id;
	int32		version;
	MLMetricSet test;
} RuleScore;

/* what train_record writes to the catalog (record.c), from either engine */
typedef struct TrainRecord
{
	const char *project;
	const char *source;
	const char *target;
	const char *deploy;
	const char *split_name;
	const MLLearner *learner;
	MLTask		task;
	Jsonb	   *params_jb;
	MLParams   *params;
	struct SourceData *src;		/* its columns name the features */
	double		test_size;
	int64		seed;
	bool		skip_identical;
	MLModel    *model;
	MLModel    *base_model;		/* NULL without a target */
	MLBuffer	bytes;
	int64		n_rows_total;
	MLBuffer	dataset_js;
	uint64_t	fingerprint;
	char	   *test_fp;
	size_t		n_train,
				n_test,
				n_valid;
	double		train_seconds,
				peak_bytes,
				cpu_user,
				cpu_system;
	MLFitContext *ctx;			/* its metric log (may be NULL) */
	MLMetricSet m_train,
				m_test,
				b_train,
				b_test;
	MLMetricSet *m_valid;		/* or NULL */
	CatalogTarget target_info;
	/* the experiment's kind (NULL: "train") and JSON members added to its config */
	const char *kind;
	const char *config_extra;
	/* the project's rules on the same rows: child runs and entries of the baseline */
	int			n_rules;
	RuleScore  *rules;
	/* the engine's own records after the run's metrics, and the live model's score */
	void		(*extras) (struct TrainRecord *r, int64 run_id, int64 experiment_id,
						   int64 project_id, int64 dataset_id);
	double		(*live_score) (struct TrainRecord *r, int64 deployed_id, const char *key,
							   const char **basis);
	void	   *arg;
} TrainRecord;

extern void train_record(TrainRecord *r, struct ReturnSetInfo *rsinfo);

#endif							/* MLSQL_RECORD_H */
