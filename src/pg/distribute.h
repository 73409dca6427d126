/*-------------------------------------------------------------------------
 *
 * distribute.h
 *	  Scoring on Citus workers: the coordinator ships the model
 *	  (distribute.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_DISTRIBUTE_H
#define MLSQL_DISTRIBUTE_H

#include "postgres.h"

extern void distribute_init(void);

#endif							/* MLSQL_DISTRIBUTE_H */
