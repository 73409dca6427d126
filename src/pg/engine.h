/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  ml_train on the aggregate or partitions engine (engine.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_ENGINE_H
#define MLSQL_ENGINE_H

#include "postgres.h"

#include "pg/prepare.h"

struct ReturnSetInfo;

extern void engine_train(TrainData *td, const char *engine, const char *deploy,
						 bool skip_identical, struct ReturnSetInfo *rsinfo);

#endif							/* MLSQL_ENGINE_H */
