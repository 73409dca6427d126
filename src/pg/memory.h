/*-------------------------------------------------------------------------
 *
 * memory.h
 *	  ml_train on the memory engine (memory.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_MEMORY_H
#define MLSQL_MEMORY_H

#include "postgres.h"

#include "pg/prepare.h"

struct ReturnSetInfo;

extern void memory_train(TrainData *td, const char *deploy, bool skip_identical,
						 struct ReturnSetInfo *rsinfo);

#endif							/* MLSQL_MEMORY_H */
