/*-------------------------------------------------------------------------
 *
 * aggregate.h
 *	  ml_fit's states and scoring of model bytes passed to a call
 *	  (aggregate.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_AGGREGATE_H
#define MLSQL_AGGREGATE_H

#include "postgres.h"

#include "fmgr.h"
#include "core/model.h"

/* the model of model bytes passed to a call, cached by the call (aggregate.c) */
typedef struct BytesCache
{
	bytea	   *bytes;			/* a copy of the bytes read, NULL until read */
	bool		stable;			/* the argument is the same on every row */
	uint64		reads;			/* how many times bytes were read */
	MemoryContext cxt;
	MLModel    *m;
	double	   *out;
} BytesCache;
extern MLModel *bytes_model(FunctionCallInfo fcinfo, BytesCache **slot);

#endif							/* MLSQL_AGGREGATE_H */
