/*-------------------------------------------------------------------------
 *
 * source.c
 *	  Read a training or evaluation source into memory as raw columns.
 *
 * A source is a table or view name (schema-qualified and quoted as in SQL),
 * a query starting with SELECT, WITH, VALUES or TABLE, or "snapshot:<id>"
 * (a table materialized by ml_snapshot).  A name is parsed as an identifier
 * list and resolved with the catalog, never pasted into SQL; a query is
 * planned as one read-only statement.  Its rows go, with the caller's
 * privileges, to a DestReceiver (SPI_execute_plan_extended) that decodes
 * each from the executor's slot straight into the column arrays; per-row
 * temporaries live in a batch memory context reset every 1000 rows, when
 * interrupts are also checked.
 *
 * Column types become raw columns (see core/pipeline.h):
 *	int2/4/8, float4/8, numeric, bool (0 / 1)		numeric
 *	date											numeric: days since 1970-01-01
 *	timestamp, timestamptz							numeric: seconds since
 *													1970-01-01 00:00 UTC
 *													(timestamp read as UTC)
 *	text, varchar, char, name, enums				categorical
 *	arrays of the numeric types						one numeric column per
 *													element ("emb[1]", ...),
 *													every array the same length
 * NULL is a missing value (the model's pipeline imputes it); NaN and
 * infinities are errors.  The memory the columns need is checked against
 * mlsql.max_memory as they grow.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"
#include "parser/scansup.h"

#include "pg/catalog.h"
#include "pg/mlsql_pg.h"
#include "pg/source.h"

#define FETCH_ROWS 1000
#define UNIX_EPOCH_DAYS 10957	/* 2000-01-01 - 1970-01-01 */

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

/* "snapshot:<id>" -> the snapshot table's qualified name, or NULL */
static char *
snapshot_relation(const char *source)
{
	int64		id;
	char	   *end;
	char	   *snap;

	if (pg_strncasecmp(source, "snapshot:", 9) != 0)
		return NULL;
	errno = 0;
	id = strtoll(source + 9, &end, 10);
	if (errno != 0 || *end != '\0' || end == source + 9 || id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid snapshot reference \"%s\"", source),
				 errhint("Use 'snapshot:<id>' with an id returned by ml_snapshot.")));
	snap = catalog_snapshot_relation(id);
	if (snap == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("snapshot " INT64_FORMAT " does not exist", id),
				 errhint("Snapshots are the rows of mlsql.datasets with a snapshot table.")));
	return snap;
}

/* the SQL text that reads the source */
char *
source_sql(const char *source)
{
	List	   *names;
	RangeVar   *rv;
	Oid			relid;
	char	   *snap;
	char	   *nsp,
			   *rel;

	if (source == NULL || source[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source must not be empty"),
				 errhint("Give a table or view name, or a query starting with SELECT or WITH.")));
	if (is_query(source))
		return pstrdup(source);
	snap = snapshot_relation(source);
	names = stringToQualifiedNameList(snap ? snap : source);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", source),
				 errhint("Give a table or view name, or a query starting with SELECT or WITH.")));
	nsp = get_namespace_name(get_rel_namespace(relid));
	rel = get_rel_name(relid);
	if (nsp == NULL || rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", source)));
	return psprintf("SELECT * FROM %s", quote_qualified_identifier(nsp, rel));
}

/*
 * source_prepare: the plan of a source, checked to be one read-only query:
 * one statement, a SELECT (or WITH, VALUES, TABLE), no data-modifying WITH,
 * no SELECT INTO, no FOR UPDATE / FOR SHARE.  It runs later as the caller,
 * with the caller's privileges.  *sql (may be NULL) gets the text planned.
 */
SPIPlanPtr
source_prepare(const char *source, char **sql)
{
	char	   *text = source_sql(source);
	SPIPlanPtr	plan = SPI_prepare(text, 0, NULL);
	List	   *sources;
	CachedPlanSource *ps;
	Query	   *q;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	ps = list_length(sources) == 1 ? linitial(sources) : NULL;
	q = ps && list_length(ps->query_list) == 1 ? linitial(ps->query_list) : NULL;
	if (q == NULL || q->commandType != CMD_SELECT || q->utilityStmt != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement"),
				 errhint("Give a table or view name, or one query starting with SELECT, WITH, VALUES or TABLE.")));
	if (q->hasModifyingCTE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not modify data"),
				 errdetail("A WITH query holds INSERT, UPDATE or DELETE."),
				 errhint("A source is one read-only query.")));
	if (q->rowMarks != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not lock rows"),
				 errhint("Remove FOR UPDATE / FOR SHARE: a source is one read-only query.")));
	if (sql)
		*sql = text;
	return plan;
}

static bool
numeric_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID ||
		t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

/* how a column of this type is read; *elem gets an array's element type */
SourceClass
source_type_class(Oid typid, Oid *elem)
{
	Oid			base = getBaseType(typid);
	Oid			e;

	if (numeric_type(base) || base == BOOLOID || base == DATEOID ||
		base == TIMESTAMPOID || base == TIMESTAMPTZOID)
		return SRC_NUMERIC;
	if (base == TEXTOID || base == VARCHAROID || base == BPCHAROID || base == NAMEOID ||
		type_is_enum(base))
		return SRC_CATEGORICAL;
	e = get_element_type(base);
	if (OidIsValid(e) && numeric_type(getBaseType(e)))
	{
		if (elem)
			*elem = getBaseType(e);
		return SRC_ARRAY;
	}
	return SRC_UNSUPPORTED;
}

/* what a column of this type holds, for the model (arrays: their elements) */
MLColType
source_value_kind(Oid typid)
{
	Oid			base = getBaseType(typid);
	Oid			elem = InvalidOid;

	if (source_type_class(typid, &elem) == SRC_ARRAY)
		return ML_CT_NUMBER;
	if (numeric_type(base))
		return ML_CT_NUMBER;
	if (base == BOOLOID)
		return ML_CT_BOOL;
	if (base == DATEOID)
		return ML_CT_DATE;
	if (base == TIMESTAMPOID || base == TIMESTAMPTZOID)
		return ML_CT_TIMESTAMP;
	if (base == TEXTOID || base == VARCHAROID || base == BPCHAROID || base == NAMEOID)
		return ML_CT_TEXT;
	if (type_is_enum(base))
		return ML_CT_ENUM;
	return ML_CT_UNKNOWN;
}

static const char *
col_type_word(MLColType t)
{
	switch (t)
	{
		case ML_CT_NUMBER:
			return "numbers";
		case ML_CT_BOOL:
			return "booleans";
		case ML_CT_DATE:
			return "dates (days)";
		case ML_CT_TIMESTAMP:
			return "timestamps (seconds)";
		case ML_CT_TEXT:
			return "text categories";
		case ML_CT_ENUM:
			return "enum categories";
		case ML_CT_UNKNOWN:
			break;
	}
	return "values";
}

/*
 * How a value of type given is read for the model's raw column pc, which
 * learned values of pc->ctype: as it is when it means the same (any
 * number type for a number, text or an enum for a category, a domain as
 * its base type), a date as its midnight where a timestamp was learned;
 * anything else is an error that names the column, both types and the
 * cast to write.  A column whose kind the model did not record (ml_fit,
 * imported, older models) is read as before.
 */
bool
source_conversion_ok(MLColType t, MLColType g, SourceConversion *conv)
{
	*conv = CONV_AS_IS;
	if (t == ML_CT_UNKNOWN || g == ML_CT_UNKNOWN || g == t ||
		((t == ML_CT_TEXT || t == ML_CT_ENUM) && (g == ML_CT_TEXT || g == ML_CT_ENUM)))
		return true;
	if (t == ML_CT_TIMESTAMP && g == ML_CT_DATE)
	{
		*conv = CONV_DAYS_TO_SECONDS;
		return true;
	}
	return false;
}

SourceConversion
source_conversion(const MLPipeCol *pc, Oid given, const char *column)
{
	MLColType	g = source_value_kind(given);
	MLColType	t = pc->ctype;
	SourceConversion conv;

	if (source_conversion_ok(t, g, &conv))
		return conv;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" has type %s, the model learned %s from type %s",
					column, format_type_be(given), col_type_word(t),
					pc->type_name && pc->type_name[0] ? pc->type_name : "?"),
			 errdetail("Scoring converts only what keeps its meaning: another number type, text for an enum, a date for a timestamp."),
			 errhint("Cast it in the query: %s::%s%s.", quote_identifier(column),
					 t == ML_CT_TEXT ? "text" : pc->type_name && pc->type_name[0] ? pc->type_name : "?",
					 t == ML_CT_TIMESTAMP && g == ML_CT_NUMBER ? " (or to_timestamp() for epoch seconds)" : "")));
	return CONV_AS_IS;
}

/* a numeric, bool, date or timestamp value as a double */
double
source_datum_double(Datum d, Oid base)
{
	switch (base)
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
		case DATEOID:
			{
				DateADT		v = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(v))
					return DATE_IS_NOBEGIN(v) ? -INFINITY : INFINITY;
				return (double) v + UNIX_EPOCH_DAYS;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				Timestamp	v = DatumGetTimestamp(d);

				if (TIMESTAMP_NOT_FINITE(v))
					return TIMESTAMP_IS_NOBEGIN(v) ? -INFINITY : INFINITY;
				return (double) v / 1e6 + (double) UNIX_EPOCH_DAYS * 86400.0;
			}
	}
	elog(ERROR, "unexpected type %u", base);
	return 0;
}

/*
 * The column a target, feature or split name names, with SQL's rules for
 * identifiers: '"Sale Price"' (double-quoted) is that exact name; an
 * unquoted name is that exact column when there is one, else the name
 * folded to lower case (as SQL folds unquoted identifiers).  A name that
 * matches nothing is an error listing the columns, and the closest one.
 */
static int
find_column(TupleDesc td, const char *name, const char *what)
{
	int			found = -1;
	char	   *want = (char *) name;
	size_t		len = strlen(name);
	bool		quoted = len >= 2 && name[0] == '"' && name[len - 1] == '"';

	if (quoted)
	{
		/* "" inside stands for one " */
		char	   *o = palloc(len);
		size_t		k = 0;

		for (size_t i = 1; i + 1 < len; i++)
		{
			if (name[i] == '"' && i + 2 < len && name[i + 1] == '"')
				i++;
			else if (name[i] == '"')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_NAME),
						 errmsg("invalid %s name %s", what, name),
						 errhint("Inside a double-quoted name, write a double quote twice.")));
			o[k++] = name[i];
		}
		o[k] = '\0';
		want = o;
	}
	for (int pass = 0; pass < 2 && found < 0; pass++)
	{
		const char *key = want;

		if (pass == 1)
		{
			if (quoted)
				break;
			key = downcase_identifier(want, strlen(want), false, false);
			if (strcmp(key, want) == 0)
				break;
		}
		for (int i = 0; i < td->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(td, i);

			if (a->attisdropped || strcmp(NameStr(a->attname), key) != 0)
				continue;
			if (found >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_AMBIGUOUS_COLUMN),
						 errmsg("%s column \"%s\" appears more than once in the source", what, key),
						 errhint("Give the columns distinct names in a query source.")));
			found = i;
		}
	}
	if (found < 0)
	{
		StringInfoData cols;
		const char *best = NULL;
		int			best_d = INT_MAX,
					n = 0;

		initStringInfo(&cols);
		for (int i = 0; i < td->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(td, i);
			const char *c = NameStr(a->attname);
			int			d;

			if (a->attisdropped)
				continue;
			if (n < 30)
				appendStringInfo(&cols, "%s%s", n ? ", " : "", quote_identifier(c));
			else if (n == 30)
				appendStringInfoString(&cols, ", ...");
			n++;
			d = pg_strcasecmp(c, want) == 0 ? 0
				: varstr_levenshtein(want, strlen(want), c, strlen(c), 1, 1, 1, true);
			if (d < best_d)
			{
				best_d = d;
				best = c;
			}
		}
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" does not exist in the source", what, want),
				 errdetail("The source's columns: %s.", n ? cols.data : "none"),
				 best && best_d <= Max(2, (int) strlen(want) / 3)
				 ? errhint("Perhaps you meant %s%s.", quote_identifier(best),
						   strcmp(quote_identifier(best), best) != 0 ? " (quoted as shown)" : "")
				 : 0));
	}
	return found;
}

static void
check_memory(double cells)
{
	double		kb = cells * sizeof(double) / 1024.0;

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

/* per source column while reading */
typedef struct ReadCol
{
	int			att;			/* 0-based attribute */
	Oid			type;
	Oid			base;			/* base type, or array element base type */
	SourceClass cls;
	Oid			out_fn;			/* categorical: output function */
	int			len;			/* array length, -1 until known */
	double	  **num;			/* numeric buffers: 1, or len for arrays */
	char	  **str;			/* categorical buffer */
	int64		nulls;
	int64		nonfinite;
	int			first_len;		/* array: length that set len */
} ReadCol;

static void
grow(ReadCol *c, size_t cap, size_t n, MemoryContext cxt)
{
	if (c->cls == SRC_CATEGORICAL)
		c->str = c->str ? repalloc_huge(c->str, cap * sizeof(char *))
			: MemoryContextAllocHuge(cxt, cap * sizeof(char *));
	else if (c->len >= 0)
		for (int e = 0; e < (c->cls == SRC_ARRAY ? c->len : 1); e++)
			c->num[e] = c->num[e] ? repalloc_huge(c->num[e], cap * sizeof(double))
				: MemoryContextAllocHuge(cxt, cap * sizeof(double));
	(void) n;
}

#define AUX_SEEN 4

/*
 * The columns a source's row type gives a training: the target, the split
 * columns (never features), the features (every other column when
 * features is NULL), each checked for a type a model can read.  Fills the
 * target fields of s; returns the feature count.
 */
static int
select_columns(TupleDesc td, const char *target, char **features, int n_features,
			   char **aux, int n_aux, SourceData *s, ReadCol **rc_out, int **aux_out_att,
			   int *target_col_out, Oid *target_out_fn)
{
	int			target_col = -1;
	int			ncols = 0;
	int		   *aux_att;
	ReadCol    *rc;
	Oid			target_out = InvalidOid;
	bool		varlena;

	if (target)
	{
		target_col = find_column(td, target, "target");
		s->target_name = pstrdup(NameStr(TupleDescAttr(td, target_col)->attname));
		s->target_type = getBaseType(TupleDescAttr(td, target_col)->atttypid);
		s->target_numeric = numeric_type(s->target_type);
		s->target_bool = s->target_type == BOOLOID;
		if (!s->target_numeric && !s->target_bool)
			getTypeOutputInfo(TupleDescAttr(td, target_col)->atttypid, &target_out, &varlena);
	}

	/* split columns, resolved first: they are never features */
	aux_att = palloc0(sizeof(int) * (n_aux + 1));
	for (int x = 0; x < n_aux; x++)
		aux_att[x] = find_column(td, aux[x], "split");

	/* feature columns */
	rc = palloc0(sizeof(ReadCol) * (td->natts + n_features + 1));
	if (features == NULL)
	{
		for (int i = 0; i < td->natts; i++)
		{
			bool		is_aux = false;

			if (TupleDescAttr(td, i)->attisdropped || i == target_col)
				continue;
			/* split columns are not features */
			for (int x = 0; x < n_aux; x++)
				if (aux_att[x] == i)
					is_aux = true;
			if (is_aux)
				continue;
			for (int g = 0; g < ncols; g++)
				if (strcmp(NameStr(TupleDescAttr(td, rc[g].att)->attname),
						   NameStr(TupleDescAttr(td, i)->attname)) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_AMBIGUOUS_COLUMN),
							 errmsg("source has more than one column named \"%s\"",
									NameStr(TupleDescAttr(td, i)->attname)),
							 errhint("Give the columns distinct names in a query source.")));
			rc[ncols++].att = i;
		}
	}
	else
	{
		for (int f = 0; f < n_features; f++)
		{
			int			c = find_column(td, features[f], "feature");

			if (c == target_col)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target column \"%s\" cannot also be a feature", s->target_name)));
			for (int g = 0; g < ncols; g++)
				if (rc[g].att == c)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("feature \"%s\" is listed twice", NameStr(TupleDescAttr(td, c)->attname))));
			rc[ncols++].att = c;
		}
	}
	if (ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source has no feature columns"),
				 errhint("A source needs at least one column besides the target.")));

	for (int f = 0; f < ncols; f++)
	{
		Form_pg_attribute a = TupleDescAttr(td, rc[f].att);
		Oid			elem = InvalidOid;

		rc[f].type = a->atttypid;
		rc[f].cls = source_type_class(a->atttypid, &elem);
		rc[f].base = rc[f].cls == SRC_ARRAY ? elem : getBaseType(a->atttypid);
		rc[f].len = rc[f].cls == SRC_ARRAY ? -1 : 1;
		if (rc[f].cls == SRC_UNSUPPORTED)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature column \"%s\" has unsupported type %s",
							NameStr(a->attname), format_type_be(a->atttypid)),
					 errhint("Features may be numeric, bool, text, enum, date, timestamp or numeric arrays: cast the column in a query source, or leave it out with features.")));
		if (rc[f].cls == SRC_CATEGORICAL)
			getTypeOutputInfo(a->atttypid, &rc[f].out_fn, &varlena);
		rc[f].num = palloc0(sizeof(double *) * 1);
	}

	*rc_out = rc;
	*aux_out_att = aux_att;
	*target_col_out = target_col;
	*target_out_fn = target_out;
	return ncols;
}

/* the source's columns as s->cols and s->raw (arrays expanded) */
static void
expand_columns(SourceData *s, TupleDesc td, ReadCol *rc, int ncols)
{
	s->n_cols = ncols;
	s->cols = palloc0(sizeof(SourceColumn) * ncols);
	for (int f = 0; f < ncols; f++)
		s->n_raw += rc[f].cls == SRC_ARRAY ? Max(rc[f].len, 0) : 1;
	s->raw = palloc0(sizeof(MLRawColumn) * Max(s->n_raw, 1));
	{
		int			r = 0;

		for (int f = 0; f < ncols; f++)
		{
			Form_pg_attribute a = TupleDescAttr(td, rc[f].att);
			SourceColumn *sc = &s->cols[f];

			sc->name = pstrdup(NameStr(a->attname));
			sc->type = a->atttypid;
			sc->cls = rc[f].cls;
			sc->array_len = rc[f].cls == SRC_ARRAY ? Max(rc[f].len, 0) : 0;
			sc->nulls = rc[f].nulls;
			sc->first_raw = r;
			for (int e = 0; e < (rc[f].cls == SRC_ARRAY ? Max(rc[f].len, 0) : 1); e++)
			{
				MLRawColumn *raw = &s->raw[r++];

				raw->source = sc->name;
				raw->element = rc[f].cls == SRC_ARRAY ? e + 1 : 0;
				raw->name = rc[f].cls == SRC_ARRAY ? psprintf("%s[%d]", sc->name, e + 1) : sc->name;
				raw->kind = rc[f].cls == SRC_CATEGORICAL ? ML_COL_CATEGORICAL : ML_COL_NUMERIC;
				raw->ctype = source_value_kind(a->atttypid);
				raw->type_name = format_type_be(rc[f].cls == SRC_ARRAY ? rc[f].base : a->atttypid);
				if (raw->kind == ML_COL_CATEGORICAL)
					raw->str = rc[f].str;
				else
					raw->num = rc[f].num[e];
			}
		}
	}
}

/* source_read's state while it reads the cursor */
typedef struct Reader
{
	SourceData *s;
	MemoryContext main_cxt;		/* owns everything read */
	TupleDesc	td;
	const char *target;
	int			target_col;		/* -1: no target */
	Oid			target_out;		/* text targets: output function */
	int64		target_nulls;
	ReadCol    *rc;
	int			ncols;
	int			n_aux;
	int		   *aux_att;
	Oid		   *aux_out;		/* per split column: output function, */
	Oid		   *aux_base;		/* base type, */
	bool	   *aux_numeric;	/* and whether it reads as a number */
	char	   *(*aux_seen)[AUX_SEEN];	/* its latest distinct values */
	size_t		cap;			/* rows the buffers hold */
	size_t		n;				/* rows read */
	size_t		batch_start;	/* the row that began the batch of FETCH_ROWS */
	size_t		batch_cap;		/* cap then, */
	double		batch_cells;	/* cells_per_row then, */
	bool		batch_check;	/* its memory check waits for the batch's end */
	double		cells_per_row;
	Datum	   *row_values;
	bool	   *row_nulls;
} Reader;

/* auxiliary columns (split keys): read as text and, when possible, numbers */
static void
reader_aux_setup(Reader *r)
{
	SourceData *s = r->s;
	int			n_aux = r->n_aux;
	bool		varlena;

	s->n_aux = n_aux;
	s->aux_text = palloc0(sizeof(char **) * (n_aux + 1));
	s->aux_num = palloc0(sizeof(double *) * (n_aux + 1));
	r->aux_out = palloc0(sizeof(Oid) * (n_aux + 1));
	r->aux_base = palloc0(sizeof(Oid) * (n_aux + 1));
	r->aux_numeric = palloc0(sizeof(bool) * (n_aux + 1));
	r->aux_seen = palloc0(sizeof(char *[AUX_SEEN]) * (n_aux + 1));
	for (int x = 0; x < n_aux; x++)
	{
		Oid			t;

		t = TupleDescAttr(r->td, r->aux_att[x])->atttypid;
		getTypeOutputInfo(t, &r->aux_out[x], &varlena);
		r->aux_base[x] = getBaseType(t);
		r->aux_numeric[x] = source_type_class(t, NULL) == SRC_NUMERIC;
	}
}

/*
 * Room for got more rows in every buffer, within mlsql.max_memory (unless
 * not check: batch_begin checks later).
 */
static void
reader_reserve(Reader *r, uint64 got, bool check)
{
	SourceData *s = r->s;
	size_t		ncap;

	if (r->n + got <= r->cap)
		return;
	ncap = Max(r->cap * 2, 1024);
	while (ncap < r->n + got)
		ncap *= 2;
	if (check)
		check_memory((double) (r->n + got) * r->cells_per_row);
	for (int f = 0; f < r->ncols; f++)
		grow(&r->rc[f], ncap, r->n, r->main_cxt);
	s->y_num = s->y_num ? repalloc_huge(s->y_num, ncap * sizeof(double))
		: MemoryContextAllocHuge(r->main_cxt, ncap * sizeof(double));
	if (r->target_out != InvalidOid)
		s->y_text = s->y_text ? repalloc_huge(s->y_text, ncap * sizeof(char *))
			: MemoryContextAllocHuge(r->main_cxt, ncap * sizeof(char *));
	for (int x = 0; x < r->n_aux; x++)
	{
		s->aux_text[x] = s->aux_text[x] ? repalloc_huge(s->aux_text[x], ncap * sizeof(char *))
			: MemoryContextAllocHuge(r->main_cxt, ncap * sizeof(char *));
		s->aux_num[x] = s->aux_num[x] ? repalloc_huge(s->aux_num[x], ncap * sizeof(double))
			: MemoryContextAllocHuge(r->main_cxt, ncap * sizeof(double));
	}
	r->cap = ncap;
}

/*
 * Row r->n begins a batch of FETCH_ROWS rows: the buffers grow, and
 * mlsql.max_memory is checked, by batches, as when the rows came through
 * a cursor (so the limit trips at the same row count, with the same
 * message).  A batch that would pass the limit is read first, since its
 * rows may be the source's last: batch_end checks it with its real size.
 */
static void
batch_begin(Reader *r)
{
	double		kb = (double) (r->n + FETCH_ROWS) * r->cells_per_row * sizeof(double) / 1024.0;

	r->batch_start = r->n;
	r->batch_cap = r->cap;
	r->batch_cells = r->cells_per_row;
	r->batch_check = r->n + FETCH_ROWS > r->cap && kb > (double) mlsql_max_memory_kb;
	reader_reserve(r, FETCH_ROWS, !r->batch_check);
}

/* the batch's memory check, once its rows are known (at FETCH_ROWS or the last row) */
static void
batch_end(Reader *r)
{
	if (r->batch_check && r->n > r->batch_cap)
		check_memory((double) r->n * r->batch_cells);
	r->batch_check = false;
}

/* row n's value of an array feature column: one number per element */
static void
read_array_cell(Reader *r, ReadCol *c, Datum d, bool isnull)
{
	size_t		n = r->n;
	ArrayType  *a;
	Datum	   *el;
	bool	   *elnull;
	int			ne;
	int16		tl;
	bool		tb;
	char		ta;

	if (isnull)
	{
		c->nulls++;
		for (int e = 0; e < c->len; e++)
			c->num[e][n] = NAN;
		return;
	}
	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array column \"%s\" holds a multidimensional array",
						NameStr(TupleDescAttr(r->td, c->att)->attname))));
	get_typlenbyvalalign(ARR_ELEMTYPE(a), &tl, &tb, &ta);
	deconstruct_array(a, ARR_ELEMTYPE(a), tl, tb, ta, &el, &elnull, &ne);
	if (c->len < 0)
	{
		/* the first non-NULL array fixes the length */
		MemoryContext o2 = MemoryContextSwitchTo(r->main_cxt);

		if (ne == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("array column \"%s\" holds an empty array",
							NameStr(TupleDescAttr(r->td, c->att)->attname))));
		c->len = ne;
		c->num = palloc0(sizeof(double *) * ne);
		for (int e = 0; e < ne; e++)
		{
			c->num[e] = MemoryContextAllocHuge(r->main_cxt, r->cap * sizeof(double));
			for (size_t i = 0; i < n; i++)
				c->num[e][i] = NAN;
		}
		r->cells_per_row += ne - 1;
		check_memory((double) r->cap * r->cells_per_row);
		MemoryContextSwitchTo(o2);
	}
	if (ne != c->len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array column \"%s\" has arrays of length %d and %d",
						NameStr(TupleDescAttr(r->td, c->att)->attname), c->len, ne),
				 errhint("Every array of a feature column must have the same length.")));
	for (int e = 0; e < ne; e++)
	{
		double		v = NAN;

		if (!elnull[e])
		{
			v = source_datum_double(el[e], getBaseType(ARR_ELEMTYPE(a)));
			if (!isfinite(v))
			{
				c->nonfinite++;
				v = 0;
			}
		}
		c->num[e][n] = v;
	}
}

/* row n's target and split columns, from r->row_values */
static void
read_target_aux(Reader *r)
{
	SourceData *s = r->s;
	size_t		n = r->n;
	Datum		d;
	bool		isnull;

	if (r->target_col >= 0)
	{
		d = r->row_values[r->target_col];
		isnull = r->row_nulls[r->target_col];
		s->y_num[n] = 0;
		if (isnull)
		{
			r->target_nulls++;
			if (s->y_text)
				s->y_text[n] = NULL;
		}
		else if (s->y_text)
			s->y_text[n] = MemoryContextStrdup(r->main_cxt, OidOutputFunctionCall(r->target_out, d));
		else
		{
			double		v = source_datum_double(d, s->target_type);

			if (!isfinite(v))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("target column \"%s\" holds %s", r->target,
								isnan(v) ? "NaN" : "an infinite value")));
			s->y_num[n] = v;
		}
	}
	for (int x = 0; x < r->n_aux; x++)
	{
		d = r->row_values[r->aux_att[x]];
		isnull = r->row_nulls[r->aux_att[x]];
		s->aux_text[x][n] = NULL;
		s->aux_num[x][n] = NAN;
		if (isnull)
			continue;
		{
			/* split columns repeat a few values: share their strings */
			char	   *t = OidOutputFunctionCall(r->aux_out[x], d);
			char	  **seen = r->aux_seen[x];
			int			k = 0;

			while (k < AUX_SEEN && seen[k] && strcmp(seen[k], t) != 0)
				k++;
			if (k == AUX_SEEN || seen[k] == NULL)
			{
				memmove(seen + 1, seen, sizeof(char *) * (AUX_SEEN - 1));
				seen[0] = MemoryContextStrdup(r->main_cxt, t);
				k = 0;
			}
			s->aux_text[x][n] = seen[k];
		}
		if (r->aux_numeric[x])
			s->aux_num[x][n] = source_datum_double(d, r->aux_base[x]);
	}
}

/* one row (r->row_values / r->row_nulls) into row n of the buffers */
static void
read_row(Reader *r)
{
	size_t		n = r->n;

	for (int f = 0; f < r->ncols; f++)
	{
		ReadCol    *c = &r->rc[f];
		Datum		d = r->row_values[c->att];
		bool		isnull = r->row_nulls[c->att];

		if (c->cls == SRC_CATEGORICAL)
		{
			c->str[n] = isnull ? NULL
				: MemoryContextStrdup(r->main_cxt, OidOutputFunctionCall(c->out_fn, d));
			if (isnull)
				c->nulls++;
		}
		else if (c->cls == SRC_NUMERIC)
		{
			double		v = NAN;

			if (isnull)
				c->nulls++;
			else
			{
				/* the common types without the general conversion's switch */
				v = c->base == FLOAT4OID ? DatumGetFloat4(d)
					: c->base == FLOAT8OID ? DatumGetFloat8(d)
					: c->base == INT4OID ? DatumGetInt32(d)
					: source_datum_double(d, c->base);
				if (!isfinite(v))
				{
					c->nonfinite++;
					v = 0;
				}
			}
			c->num[0][n] = v;
		}
		else
			read_array_cell(r, c, d, isnull);
	}
	read_target_aux(r);
	r->n++;
}

/* errors on what was read: no rows, NaN features, all-NULL arrays, NULL targets */
static void
reader_check(Reader *r, const char *source, bool require_rows)
{
	size_t		n = r->n;
	const char *target = r->target;

	if (n == 0 && require_rows)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source \"%s\" has no rows", source)));
	for (int f = 0; f < r->ncols; f++)
	{
		const char *name = NameStr(TupleDescAttr(r->td, r->rc[f].att)->attname);

		if (r->rc[f].nonfinite > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature column \"%s\" has " INT64_FORMAT " NaN or infinite values",
							name, r->rc[f].nonfinite),
					 errhint("Filter them out, or turn them into NULL (a missing value) in a query source.")));
		if (r->rc[f].cls == SRC_ARRAY && r->rc[f].len < 0 && n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("array column \"%s\" has only NULL values", name)));
	}
	if (r->target_col >= 0 && n > 0 && r->target_nulls == (int64) n)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target column \"%s\" has only NULL values", target)));
	if (r->target_nulls > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target column \"%s\" has " INT64_FORMAT " NULL values", target, r->target_nulls),
				 errhint("Filter them out with a query source, e.g. SELECT * FROM t WHERE %s IS NOT NULL.",
						 quote_identifier(target))));
}

/*
 * The receiver the source's query sends its rows to: each row is decoded
 * from the executor's slot straight into the column arrays (no copy into
 * a tuple table, no second deforming).  The columns are chosen when the
 * query starts and its row type is known.
 */
typedef struct SourceDest
{
	DestReceiver pub;
	Reader	   *r;
	char	  **features;
	int			n_features;
	char	  **aux;
	MemoryContext batch_cxt;	/* per-row temporaries, reset every FETCH_ROWS rows */
	ErrorContextCallback *outer;	/* our errors' context: source_read's caller's, not SPI's */
	int			last_att;		/* the highest attribute read, 1-based */
} SourceDest;

static void
source_dest_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	SourceDest *d = (SourceDest *) self;
	Reader	   *r = d->r;
	MemoryContext old = MemoryContextSwitchTo(r->main_cxt);
	ErrorContextCallback *spi = error_context_stack;

	(void) operation;
	error_context_stack = d->outer;
	/* a copy: the executor's goes with it, and the columns are named after it ends */
	r->td = CreateTupleDescCopy(typeinfo);
	r->ncols = select_columns(r->td, r->target, d->features, d->n_features, d->aux, r->n_aux,
							  r->s, &r->rc, &r->aux_att, &r->target_col, &r->target_out);
	r->cells_per_row = r->ncols + 1 + r->n_aux;
	reader_aux_setup(r);
	d->last_att = r->target_col + 1;
	for (int f = 0; f < r->ncols; f++)
		d->last_att = Max(d->last_att, r->rc[f].att + 1);
	for (int x = 0; x < r->n_aux; x++)
		d->last_att = Max(d->last_att, r->aux_att[x] + 1);
	d->batch_cxt = AllocSetContextCreate(r->main_cxt, "mlsql source batch", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(old);
	error_context_stack = spi;
}

static bool
source_dest_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SourceDest *d = (SourceDest *) self;
	Reader	   *r = d->r;
	MemoryContext old;
	ErrorContextCallback *spi = error_context_stack;

	/* the errors of the rows' values say nothing of SPI's statement */
	error_context_stack = d->outer;
	if (r->n % FETCH_ROWS == 0)
		batch_begin(r);
	/* the columns up to the last one read, decoded in place in the slot */
	slot_getsomeattrs(slot, d->last_att);
	r->row_values = slot->tts_values;
	r->row_nulls = slot->tts_isnull;
	old = MemoryContextSwitchTo(d->batch_cxt);
	read_row(r);
	MemoryContextSwitchTo(old);
	if (r->n % FETCH_ROWS == 0)
	{
		batch_end(r);
		MemoryContextReset(d->batch_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	error_context_stack = spi;
	return true;
}

static void
source_dest_noop(DestReceiver *self)
{
	(void) self;
}

SourceData *
source_read(const char *source, const char *target, char **features,
			int n_features, char **aux, int n_aux, bool require_rows)
{
	Reader		r = {0};
	SourceData *s = palloc0(sizeof(SourceData));
	SourceDest	dest;
	SPIExecuteOptions opts = {0};
	SPIPlanPtr	plan;
	int			rc;

	r.s = s;
	r.main_cxt = CurrentMemoryContext;
	r.target = target;
	r.target_col = -1;
	r.target_out = InvalidOid;
	r.n_aux = n_aux;
	s->relation_or_query = pstrdup(source);
	plan = source_prepare(source, NULL);
	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = source_dest_receive;
	dest.pub.rStartup = source_dest_startup;
	dest.pub.rShutdown = source_dest_noop;
	dest.pub.rDestroy = source_dest_noop;
	dest.pub.mydest = DestNone;
	dest.r = &r;
	dest.features = features;
	dest.n_features = n_features;
	dest.aux = aux;
	dest.outer = error_context_stack;

	/*
	 * A query runs read-only (no data-modifying CTE can sneak in).  A
	 * relation is read as "SELECT * FROM rel", which cannot modify data, with
	 * a fresh snapshot, so a table made earlier in this statement (a
	 * snapshot) is visible.  The plan was prepared without
	 * CURSOR_OPT_PARALLEL_OK: a serial plan, rows in the order a cursor
	 * gave them.
	 */
	opts.read_only = is_query(source);
	opts.dest = (DestReceiver *) &dest;
	rc = SPI_execute_plan_extended(plan, &opts);
	/* SPI calls a SELECT whose rows go to a DestNone receiver a utility */
	if ((rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY) || r.td == NULL)
		elog(ERROR, "could not read the source: %s", SPI_result_code_string(rc));
	MemoryContextDelete(dest.batch_cxt);
	batch_end(&r);
	reader_check(&r, source, require_rows);

	/* expand into raw columns */
	s->n_rows = r.n;
	expand_columns(s, r.td, r.rc, r.ncols);
	if (s->y_num == NULL)
		s->y_num = palloc0(sizeof(double));
	return s;
}

/*
 * source_describe: what source_read would read, without a row: the SQL text
 * that reads the source (*sql), the target's type and the feature columns
 * (raw columns without values; n_rows 0).  Array columns are refused: their
 * length is known only from the rows.  For the aggregate engine, which
 * reads the source in passes of SQL aggregates.
 */
SourceData *
source_describe(const char *source, const char *target, char **features, int n_features,
				char **sql)
{
	SourceData *s = palloc0(sizeof(SourceData));
	SPIPlanPtr	plan = source_prepare(source, sql);
	CachedPlanSource *ps = linitial(SPI_plan_get_plan_sources(plan));
	TupleDesc	td = CreateTupleDescCopy(ps->resultDesc);
	ReadCol    *rc;
	int		   *aux_att;
	int			target_col;
	Oid			target_out;
	int			ncols;

	s->relation_or_query = pstrdup(source);
	ncols = select_columns(td, target, features, n_features, NULL, 0, s, &rc, &aux_att,
						   &target_col, &target_out);
	for (int f = 0; f < ncols; f++)
	{
		if (rc[f].cls == SRC_ARRAY)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the aggregate engine cannot read array column \"%s\"",
							NameStr(TupleDescAttr(td, rc[f].att)->attname)),
					 errhint("Give each element its own column in a query source (x[1] AS x1, ...), or train with {\"engine\": \"memory\"}.")));
		rc[f].num = palloc0(sizeof(double *));
	}
	expand_columns(s, td, rc, ncols);
	return s;
}
