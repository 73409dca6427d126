/*-------------------------------------------------------------------------
 *
 * mlsql_pg.h
 *	  The basics every file of src/pg shares: the version, the exported
 *	  fmgr declarations, the GUCs and progress reports (shim.c).  Each
 *	  module declares its own API in its own header (source.h, params.h,
 *	  prepare.h, evaluate.h, record.h, cache.h, catalog.h, ...).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_PG_H
#define MLSQL_PG_H

#include "postgres.h"

#include "fmgr.h"

#define MLSQL_VERSION "0.3.0"

/*
 * The module is built with -fvisibility=hidden.  PostgreSQL 15's
 * PG_FUNCTION_INFO_V1 exports only the info function; this one (as
 * PostgreSQL 16's does) exports the function itself too, with the
 * PGDLLEXPORT the Makefile defines.
 */
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record * CppConcat(pg_finfo_,funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_,funcname) (void) \
{ \
	static const Pg_finfo_record my_finfo = { 1 }; \
	return &my_finfo; \
} \
extern int no_such_variable

/* GUCs (defined in shim.c, registered by _PG_init in init.c) */
extern int	mlsql_threads;
extern int	mlsql_max_memory_kb;

/*
 * True while reading bytes a caller passed in (a model or state bytea): a
 * corruption is then invalid_binary_representation, not data_corrupted.
 * Set with read_input_model / read_input_state (aggregate.c).
 */
extern bool mlsql_reading_input;

/* progress reports of long operations (shim.c; GUC mlsql.progress) */
extern int	mlsql_progress_s;
extern void mlsql_progress_begin(const char *op);
extern void mlsql_progress_end(void);
extern void mlsql_progress_report(const char *unit, int done, int total,
								  const char *metric, double value);

#endif							/* MLSQL_PG_H */
