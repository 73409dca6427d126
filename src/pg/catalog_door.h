/*-------------------------------------------------------------------------
 *
 * catalog_door.h
 *	  What the two halves of the catalog door share (catalog.c, which opens
 *	  it, and catalog_runs.c).  Private to them: nothing else includes it
 *	  (test/check_sources.sh).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_CATALOG_DOOR_H
#define MLSQL_CATALOG_DOOR_H

#include "postgres.h"

/* one statement as the extension owner (see catalog.c); SPI's result code */
extern int	catalog_door_exec(const char *sql, int nargs, Oid *types, Datum *vals,
							  const char *nulls, bool read_only, long limit);
/* an INSERT ... RETURNING id through the door */
extern int64 catalog_door_insert(const char *sql, int nargs, Oid *types, Datum *vals,
								 const char *nulls);
/* a read as the caller (row-level security applies) */
extern int	catalog_read_exec(const char *sql, int nargs, Oid *types, Datum *vals,
							  const char *nulls, bool read_only, long limit);
/* the first column of the last result's first row (int4 / int8), or dflt */
extern int64 catalog_first_int(int64 dflt);
extern double catalog_first_float(int col);
/* a schema from before 0.3.0: roles by name, no experiments.created_by */
extern bool catalog_legacy_schema(void);
/* a role as a parameter: its OID, or in a legacy schema its name */
extern Datum catalog_role_arg(Oid role, bool legacy, Oid *type);

#define TEXT_ARG(s) CStringGetTextDatum(s)

#endif							/* MLSQL_CATALOG_DOOR_H */
