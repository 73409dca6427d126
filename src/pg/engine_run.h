/*-------------------------------------------------------------------------
 *
 * engine_run.h
 *	  The state of one ml_train on the aggregate or partitions engine,
 *	  private to engine.c and engine_decide.c, and what engine_decide.c
 *	  decides from the STATS pass's sketches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_ENGINE_RUN_H
#define MLSQL_ENGINE_RUN_H

#include "postgres.h"

#include "core/engine.h"
#include "pg/prepare.h"

typedef struct EngineRun
{
	TrainData  *td;
	const char *engine;			/* "aggregate" or "partitions" */
	char	   *source_sql;		/* the SQL that reads the source */
	char	   *args_sql;		/* nums, cats, y, label expressions over s */
	MLEngineConfig base;		/* columns, split, target */
	int			passes;
	MLFitContext ctx;
	int			partitions;
	double	   *train_counts;	/* per class: training rows */
} EngineRun;

/* identifier-like columns left out, judged from the sketches; returns how many went */
extern int	leave_out_identifiers_sketched(EngineRun *er, const MLEngineState *st);
/* the class labels from the target's sketch */
extern void engine_classes(EngineRun *er, const MLEngineState *st);
/* per class: the training rows */
extern double *train_class_counts(EngineRun *er, const MLEngineState *st, const MLModel *model);
/* the baseline: the training rows' mean (regression) or class frequencies */
extern MLModel *engine_baseline(EngineRun *er, const MLEngineState *st, MLModel *model);

#endif							/* MLSQL_ENGINE_RUN_H */
