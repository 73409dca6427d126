/*-------------------------------------------------------------------------
 *
 * direct.h
 *	  Reading a row's numbers in place for scoring (direct.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_DIRECT_H
#define MLSQL_DIRECT_H

#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"

#include "core/pipeline.h"
#include "pg/source.h"

#define DIRECT_MAX_RUNS 9		/* fixed-width runs: at most 8 varlena attributes before */

/* one raw column (direct_map, direct_read) */
typedef struct DirectCol
{
	uint32		off;			/* byte offset in its run */
	uint8		run;			/* its run of fixed-width attributes */
	bool		identity;		/* no shift or scale: the value itself */
	bool		indicator;		/* a missing-value indicator follows (0 here) */
	Oid			type;			/* base type */
	int			out;			/* its feature */
	double		shift,
				factor;
} DirectCol;

/* how a row type's rows are read in place; kept per call site with the mapping */
typedef struct DirectRow
{
	bool		ok;				/* rows without NULLs can be read in place */
	int			natts;			/* attributes a row needs for the offsets to hold */
	int			n_runs;			/* runs of fixed-width attributes */
	int			run_end[DIRECT_MAX_RUNS];	/* per run: where its varlena begins, unaligned */
	char		var_align[DIRECT_MAX_RUNS]; /* per run: that varlena's alignment */
	int			run_align[DIRECT_MAX_RUNS]; /* per run: alignment of its start, bytes */
	DirectCol  *dcol;			/* per raw column: where and how to read it */
	Oid			plain;			/* the one type of all raw columns when they are all
								 * float4 or float8, untransformed; else 0 */
} DirectRow;

/*
 * direct_map: decide for the row type td whether its rows can be read in
 * place, the pipeline's raw column c being attribute attno[c] (0-based) of
 * base type atttype[c], read with conv[c]; st->ok says.  st->dcol lives in
 * mcxt.
 */
extern void direct_map(DirectRow *st, TupleDesc td, const MLPipeline *p, const int *attno,
					   const Oid *atttype, const SourceConversion *conv, MemoryContext mcxt);

/*
 * direct_read: the model's features of row rec into row (as
 * pipeline_transform_row makes them), or false when the row cannot be read
 * so (NULLs, fewer attributes, a value not finite; row is then undefined)
 */
extern bool direct_read(const DirectRow *st, const MLPipeline *p, HeapTupleHeader rec,
						double *row);

#endif							/* MLSQL_DIRECT_H */
