/*-------------------------------------------------------------------------
 *
 * source.c
 *	  Read a training or evaluation source into memory.
 *
 * A source is a table or view name (schema-qualified and quoted as in SQL)
 * or a query starting with SELECT, WITH, VALUES or TABLE.  A name is parsed
 * as an identifier list and resolved with the catalog, never pasted into
 * SQL; a query is planned as one read-only statement.  Either way the rows
 * come through an SPI cursor in batches of 1000, with the caller's
 * privileges (functions are SECURITY INVOKER).  Columns are copied into
 * growing column arrays; the memory they need is checked against
 * mlsql.max_memory as they grow.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/portal.h"
#include "utils/regproc.h"

#include "pg/mlsql_pg.h"

#define FETCH_ROWS 1000

static bool
is_query(const char *s)
{
	static const char *const kw[] = {"select", "with", "values", "table"};

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '(')
		return true;
	for (int i = 0; i < 4; i++)
	{
		size_t		n = strlen(kw[i]);

		if (pg_strncasecmp(s, kw[i], n) == 0 &&
			(s[n] == '\0' || isspace((unsigned char) s[n]) || s[n] == '('))
			return true;
	}
	return false;
}

/* the SQL text that reads the source */
static char *
source_sql(const char *source)
{
	List	   *names;
	RangeVar   *rv;
	Oid			relid;

	if (source == NULL || source[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source must not be empty"),
				 errhint("Give a table or view name, or a query starting with SELECT or WITH.")));
	if (is_query(source))
		return pstrdup(source);

	names = stringToQualifiedNameList(source);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", source),
				 errhint("Give a table or view name, or a query starting with SELECT or WITH.")));
	return psprintf("SELECT * FROM %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

static bool
numeric_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID ||
		t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

static double
datum_double(Datum d, Oid t)
{
	switch (t)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
	}
	elog(ERROR, "unexpected type %u", t);
	return 0;
}

static int
find_column(TupleDesc td, const char *name, const char *what)
{
	int			found = -1;

	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (a->attisdropped || strcmp(NameStr(a->attname), name) != 0)
			continue;
		if (found >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_COLUMN),
					 errmsg("%s column \"%s\" appears more than once in the source", what, name),
					 errhint("Give the columns distinct names in a query source.")));
		found = i;
	}
	if (found < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" does not exist in the source", what, name)));
	return found;
}

static void
check_memory(size_t rows, int cols)
{
	double		kb = (double) rows * (cols + 1) * sizeof(double) / 1024.0;

	if (kb > (double) mlsql_max_memory_kb)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("source needs more than %.0f kB, above mlsql.max_memory (%d kB)",
						kb, mlsql_max_memory_kb),
				 errhint("Raise mlsql.max_memory, or train on a sample of the rows.")));
}

const char *
source_label(const SourceData *s, size_t i, char *buf, size_t buflen)
{
	if (s->y_text)
		return s->y_text[i];
	if (s->target_bool)
		return s->y_num[i] != 0 ? "true" : "false";
	{
		char		t[32];

		ml_format_double(s->y_num[i], t);
		strlcpy(buf, t, buflen);
		return buf;
	}
}

SourceData *
source_read(const char *source, const char *target, char **features,
			int n_features, bool require_rows)
{
	SourceData *s = palloc0(sizeof(SourceData));
	char	   *sql = source_sql(source);
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	td;
	int			target_col = -1;
	int		   *cols;
	int64	   *null_count,
			   *nan_count;
	int64		target_nulls = 0;
	size_t		cap = 0,
				n = 0;
	double	  **colbuf;
	Oid			target_out = InvalidOid;
	bool		target_varlena;

	s->relation_or_query = pstrdup(source);
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	td = portal->tupDesc;

	if (target)
	{
		target_col = find_column(td, target, "target");
		s->target_name = pstrdup(target);
		s->target_type = getBaseType(TupleDescAttr(td, target_col)->atttypid);
		s->target_numeric = numeric_type(s->target_type);
		s->target_bool = s->target_type == BOOLOID;
		if (!s->target_numeric && !s->target_bool)
			getTypeOutputInfo(TupleDescAttr(td, target_col)->atttypid,
							  &target_out, &target_varlena);
	}

	/* feature columns */
	if (features == NULL)
	{
		cols = palloc(sizeof(int) * (td->natts + 1));
		for (int i = 0; i < td->natts; i++)
		{
			if (TupleDescAttr(td, i)->attisdropped || i == target_col)
				continue;
			for (int g = 0; g < s->n_features; g++)
				if (strcmp(NameStr(TupleDescAttr(td, cols[g])->attname),
						   NameStr(TupleDescAttr(td, i)->attname)) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_AMBIGUOUS_COLUMN),
							 errmsg("source has more than one column named \"%s\"",
									NameStr(TupleDescAttr(td, i)->attname)),
							 errhint("Give the columns distinct names in a query source.")));
			cols[s->n_features++] = i;
		}
	}
	else
	{
		cols = palloc(sizeof(int) * (n_features + 1));
		for (int f = 0; f < n_features; f++)
		{
			int			c = find_column(td, features[f], "feature");

			if (c == target_col)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target column \"%s\" cannot also be a feature", target)));
			for (int g = 0; g < f; g++)
				if (cols[g] == c)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("feature \"%s\" is listed twice", features[f])));
			cols[s->n_features++] = c;
		}
	}
	if (s->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source has no feature columns"),
				 errhint("A source needs at least one numeric column besides the target.")));

	s->feature_names = palloc(sizeof(char *) * s->n_features);
	s->feature_types = palloc(sizeof(Oid) * s->n_features);
	for (int f = 0; f < s->n_features; f++)
	{
		Form_pg_attribute a = TupleDescAttr(td, cols[f]);
		Oid			t = getBaseType(a->atttypid);

		s->feature_names[f] = pstrdup(NameStr(a->attname));
		s->feature_types[f] = t;
		if (!numeric_type(t) && t != BOOLOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature column \"%s\" has type %s, which is not numeric",
							NameStr(a->attname), format_type_be(a->atttypid)),
					 errhint("List the numeric columns in features, or convert the column in a query source.")));
	}

	null_count = palloc0(sizeof(int64) * s->n_features);
	nan_count = palloc0(sizeof(int64) * s->n_features);
	colbuf = palloc0(sizeof(double *) * (s->n_features + 1));

	for (;;)
	{
		SPITupleTable *tt;
		uint64		got;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		got = SPI_processed;
		tt = SPI_tuptable;
		if (got == 0)
			break;
		if (n + got > cap)
		{
			size_t		ncap = Max(cap * 2, 1024);

			while (ncap < n + got)
				ncap *= 2;
			check_memory(n + got, s->n_features);
			for (int f = 0; f <= s->n_features; f++)
				colbuf[f] = colbuf[f]
					? repalloc_huge(colbuf[f], ncap * sizeof(double))
					: palloc_extended(ncap * sizeof(double), MCXT_ALLOC_HUGE);
			if (target_out != InvalidOid)
				s->y_text = s->y_text
					? repalloc_huge(s->y_text, ncap * sizeof(char *))
					: palloc_extended(ncap * sizeof(char *), MCXT_ALLOC_HUGE);
			cap = ncap;
		}
		for (uint64 r = 0; r < got; r++)
		{
			HeapTuple	tup = tt->vals[r];
			bool		isnull;
			Datum		d;

			for (int f = 0; f < s->n_features; f++)
			{
				double		v = 0;

				d = heap_getattr(tup, cols[f] + 1, td, &isnull);
				if (isnull)
					null_count[f]++;
				else
				{
					v = datum_double(d, s->feature_types[f]);
					if (!isfinite(v))
						nan_count[f]++;
				}
				colbuf[f][n] = v;
			}
			if (target_col >= 0)
			{
				d = heap_getattr(tup, target_col + 1, td, &isnull);
				colbuf[s->n_features][n] = 0;
				if (isnull)
				{
					target_nulls++;
					if (s->y_text)
						s->y_text[n] = NULL;
				}
				else if (s->y_text)
					s->y_text[n] = OidOutputFunctionCall(target_out, d);
				else
				{
					double		v = datum_double(d, s->target_type);

					if (!isfinite(v))
						ereport(ERROR,
								(errcode(ERRCODE_DATA_EXCEPTION),
								 errmsg("target column \"%s\" holds %s", target,
										isnan(v) ? "NaN" : "an infinite value")));
					colbuf[s->n_features][n] = v;
				}
			}
			n++;
		}
		SPI_freetuptable(tt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);

	if (n == 0 && require_rows)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source \"%s\" has no rows", source)));
	for (int f = 0; f < s->n_features; f++)
	{
		if (null_count[f] > 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature column \"%s\" has " INT64_FORMAT " NULL values",
							s->feature_names[f], null_count[f]),
					 errhint("Filter or fill them in a query source, e.g. coalesce(%s, 0).",
							 quote_identifier(s->feature_names[f]))));
		if (nan_count[f] > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature column \"%s\" has " INT64_FORMAT " NaN or infinite values",
							s->feature_names[f], nan_count[f]),
					 errhint("Filter them out in a query source.")));
	}
	if (target_col >= 0 && n > 0 && target_nulls == (int64) n)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target column \"%s\" has only NULL values", target)));
	if (target_nulls > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target column \"%s\" has " INT64_FORMAT " NULL values", target, target_nulls),
				 errhint("Filter them out with a query source, e.g. SELECT * FROM t WHERE %s IS NOT NULL.",
						 quote_identifier(target))));

	s->n_rows = n;
	/* lay the columns out as one column-major matrix */
	s->X = palloc_extended(Max(n, 1) * s->n_features * sizeof(double), MCXT_ALLOC_HUGE);
	for (int f = 0; f < s->n_features; f++)
	{
		if (n > 0)
			memcpy(s->X + (size_t) f * n, colbuf[f], n * sizeof(double));
		if (colbuf[f])
			pfree(colbuf[f]);
	}
	s->y_num = colbuf[s->n_features];
	return s;
}
