/*-------------------------------------------------------------------------
 *
 * source.h
 *	  Reading a source (table, view, query or snapshot) into memory with the
 *	  caller's privileges, and the type rules shared by training and scoring
 *	  (source.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_SOURCE_H
#define MLSQL_SOURCE_H

#include "postgres.h"

#include "core/dataset.h"
#include "core/pipeline.h"

typedef enum SourceClass
{
	SRC_UNSUPPORTED = 0,
	SRC_NUMERIC,				/* numbers, bool, date, timestamp */
	SRC_CATEGORICAL,			/* text-like and enums */
	SRC_ARRAY					/* arrays of numbers: one feature per element */
} SourceClass;

/* one column of the source used as a feature */
typedef struct SourceColumn
{
	char	   *name;
	Oid			type;
	SourceClass cls;
	int			array_len;		/* SRC_ARRAY */
	int64		nulls;
	int			first_raw;		/* its first raw column */
} SourceColumn;

/*
 * A source read into memory (source.c): the feature columns as raw columns
 * (arrays expanded), the target both as numbers (numeric and bool columns,
 * bool as 0 / 1) and, for other types, as label text, and auxiliary
 * columns (split keys) as text and numbers.
 */
typedef struct SourceData
{
	size_t		n_rows;
	int			n_cols;
	SourceColumn *cols;
	int			n_raw;
	MLRawColumn *raw;
	char	   *target_name;	/* NULL when no target was asked for */
	Oid			target_type;	/* base type */
	bool		target_numeric; /* int / float / numeric */
	bool		target_bool;
	double	   *y_num;			/* numeric and bool targets */
	char	  **y_text;			/* other targets: output function text */
	int			n_aux;
	char	 ***aux_text;		/* per aux column, per row; NULL = NULL */
	double	  **aux_num;		/* per aux column, per row; NaN = NULL or not a number */
	char	   *relation_or_query;	/* what was read, for the catalog */
} SourceData;

/*
 * Read a source (table / view name, SELECT / WITH query, or snapshot:<id>)
 * through an SPI cursor with the caller's privileges.  features NULL means
 * every column but the target; target NULL reads no target; aux names
 * extra columns read for splitting.  Errors for unsupported types, NaN
 * features, NULL targets and (with require_rows) empty sources.  The
 * caller must be connected to SPI; results live in CurrentMemoryContext.
 */
extern SourceData *source_read(const char *source, const char *target,
							   char **features, int n_features,
							   char **aux, int n_aux, bool require_rows);
extern SourceData *source_describe(const char *source, const char *target, char **features,
								   int n_features, char **sql);
extern char *source_sql(const char *source);
extern struct _SPI_plan *source_prepare(const char *source, char **sql);
extern SourceClass source_type_class(Oid typid, Oid *elem);
extern MLColType source_value_kind(Oid typid);

typedef enum SourceConversion
{
	CONV_AS_IS = 0,
	CONV_DAYS_TO_SECONDS		/* a date where a timestamp was learned */
} SourceConversion;

#define SECONDS_PER_DAY 86400.0

/* how a value of type given is read for the model's column pc; errors when it would mean something else */
extern SourceConversion source_conversion(const MLPipeCol *pc, Oid given, const char *column);
/* the same rule without an error: false when learned kind t cannot read given kind g */
extern bool source_conversion_ok(MLColType t, MLColType g, SourceConversion *conv);
extern double source_datum_double(Datum d, Oid base);

/* label text of row i's target: "1", "2.5", "true", or the text value */
extern const char *source_label(const SourceData *s, size_t i, char *buf, size_t buflen);

#endif							/* MLSQL_SOURCE_H */
