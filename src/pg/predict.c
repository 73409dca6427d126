/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  Scoring: ml_predict, ml_predict_proba, ml_predict_label, ml_classes,
 *	  ml_evaluate, ml_model_info and ml_transform.
 *
 * Models come from the backend caches (cache.c).  A reference ('p', 'p@3',
 * 'p@alias' or a model id) is resolved once per query in the calling
 * expression's fn_extra, so the per-row path does no catalog lookup and no
 * allocation beyond its result.  So is the mapping of a record's columns to
 * the model's: a row of plain numbers without NULLs is read in place, in
 * one pass (direct.c); other rows are deformed and read column by column.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "pg/aggregate.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/direct.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/source.h"

/* ---- per-call state ---- */


typedef enum PredictOutput
{
	OUT_VALUE,
	OUT_PROBA,
	OUT_LABEL,
	OUT_TRANSFORM,				/* the model's features after preprocessing */
	OUT_EXPLAIN					/* contributions of the features, then the bias */
} PredictOutput;

/* how argument 0 names the model */
typedef enum RefKind
{
	REF_NAME,					/* text: 'p', 'p@3', 'p@alias' */
	REF_ID,						/* bigint model id */
	REF_SHIPPED					/* the model's bytes, with its threshold last */
} RefKind;

typedef struct PredictState
{
	bool		resolved;
	BytesCache *shipped;		/* REF_SHIPPED: the model of the bytes */
	char	   *ref;			/* last text reference, or NULL */
	size_t		ref_len;		/* its strlen */
	int64		ref_id;			/* last model id argument */
	MLModel    *model;
	double	   *row;			/* n_features */
	double	   *out;			/* n_classes or 1 */
	/* record inputs: mapping from the row type to the pipeline's raw columns */
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	tupdesc;
	int		   *attno;			/* per raw column, 0-based */
	Oid		   *atttype;		/* per raw column: base type (element type for arrays) */
	SourceClass *cls;			/* per raw column: class of the row's column */
	Oid		   *out_fn;			/* per raw column: output function (categorical) */
	int		   *array_len;		/* per raw column: expected array length */
	bool		array_checked;	/* the model's columns suit the float8[] form */
	bool		array_plain;	/* and all are numbers taken as they are (plain_columns) */
	SourceConversion *conv;		/* per raw column: how its values are read */
	DirectRow	direct;			/* the one-pass form of the row type (direct.c) */
	Datum	   *values;
	bool	   *nulls;
	double	   *raw_num;		/* per raw column */
	const char **raw_str;
	size_t	   *raw_len;
} PredictState;

static PredictState *
predict_state(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(PredictState));
	return fcinfo->flinfo->fn_extra;
}

static void
set_model(FunctionCallInfo fcinfo, PredictState *st, MLModel *m)
{
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;

	if (st->model == m)
		return;
	st->model = m;
	st->tuptype = InvalidOid;
	st->row = MemoryContextAllocZero(mcxt, sizeof(double) * Max(m->n_features, 1));
	st->out = MemoryContextAllocZero(mcxt, sizeof(double) * Max(model_output_width(m), 1));
	st->raw_num = MemoryContextAllocZero(mcxt, sizeof(double) * Max(m->pipeline->n_cols, 1));
	st->raw_str = MemoryContextAllocZero(mcxt, sizeof(char *) * Max(m->pipeline->n_cols, 1));
	st->raw_len = MemoryContextAllocZero(mcxt, sizeof(size_t) * Max(m->pipeline->n_cols, 1));
	st->array_checked = false;
	st->tuptype = InvalidOid;	/* remap record columns */
}

/*
 * The model named by argument 0: text reference, bigint id, or the bytes
 * the coordinator of a Citus cluster put in place of either (distribute.c),
 * followed by the model's threshold as the last argument.
 */
static MLModel *
model_arg(FunctionCallInfo fcinfo, RefKind kind)
{
	PredictState *st = predict_state(fcinfo);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model reference must not be NULL")));
	if (kind == REF_SHIPPED)
	{
		int			ta = PG_NARGS() - 1;
		uint64		reads = st->shipped ? st->shipped->reads : 0;
		MLModel    *m = bytes_model(fcinfo, &st->shipped);

		if (st->shipped->reads != reads)
			st->model = NULL;	/* new bytes: map the columns again */
		m->threshold = PG_ARGISNULL(ta) ? get_float8_nan() : PG_GETARG_FLOAT8(ta);
		set_model(fcinfo, st, m);
		st->resolved = true;
	}
	else if (kind == REF_ID)
	{
		int64		id = PG_GETARG_INT64(0);

		if (!st->resolved || st->ref_id != id)
		{
			set_model(fcinfo, st, model_for_ref(NULL, id));
			st->ref_id = id;
			st->resolved = true;
		}
	}
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(0);
		size_t		len = VARSIZE_ANY_EXHDR(t);

		if (!st->resolved || st->ref == NULL || st->ref_len != len ||
			memcmp(st->ref, VARDATA_ANY(t), len) != 0)
		{
			char	   *ref = text_to_cstring(t);

			set_model(fcinfo, st, model_for_ref(ref, 0));
			if (st->ref)
				pfree(st->ref);
			st->ref = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, ref);
			st->ref_len = strlen(ref);
			st->resolved = true;
		}
	}
	return st->model;
}

/* "age (integer), city (text), emb[1] (real)" */
static char *
raw_columns_text(const MLPipeline *p)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int c = 0; c < p->n_cols && c < 50; c++)
		appendStringInfo(&b, "%s%s%s%s%s", c ? ", " : "", p->cols[c].name,
						 p->cols[c].type_name && p->cols[c].type_name[0] ? " (" : "",
						 p->cols[c].type_name && p->cols[c].type_name[0] ? p->cols[c].type_name : "",
						 p->cols[c].type_name && p->cols[c].type_name[0] ? ")" : "");
	if (p->n_cols > 50)
		appendStringInfoString(&b, ", ...");
	return b.data;
}

/* a ROW(...) with the names PostgreSQL makes up: f1, f2, ... */
static bool
anonymous_row(TupleDesc td)
{
	for (int a = 0; a < td->natts; a++)
	{
		char		want[16];

		snprintf(want, sizeof(want), "f%d", a + 1);
		if (strcmp(NameStr(TupleDescAttr(td, a)->attname), want) != 0)
			return false;
	}
	return td->natts > 0;
}

/*
 * Map a row type to the pipeline's raw columns by source column name; the
 * mapping is kept in fn_extra until the row type or the model changes.
 */
static void
map_record(FunctionCallInfo fcinfo, PredictState *st, const MLModel *m,
		   Oid tuptype, int32 tuptypmod)
{
	const MLPipeline *p = m->pipeline;
	MemoryContext old;
	TupleDesc	td;
	int			nc = Max(p->n_cols, 1);

	st->tuptype = InvalidOid;	/* until the mapping is complete */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	td = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	st->tupdesc = CreateTupleDescCopy(td);
	ReleaseTupleDesc(td);
	st->attno = palloc(sizeof(int) * nc);
	st->atttype = palloc(sizeof(Oid) * nc);
	st->cls = palloc(sizeof(SourceClass) * nc);
	st->out_fn = palloc0(sizeof(Oid) * nc);
	st->array_len = palloc0(sizeof(int) * nc);
	st->conv = palloc0(sizeof(SourceConversion) * nc);
	st->values = palloc(sizeof(Datum) * Max(st->tupdesc->natts, 1));
	st->nulls = palloc(sizeof(bool) * Max(st->tupdesc->natts, 1));
	MemoryContextSwitchTo(old);

	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];
		int			found = -1;
		Oid			elem = InvalidOid;
		Oid			typid;

		for (int a = 0; a < st->tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(st->tupdesc, a);

			if (att->attisdropped || strcmp(NameStr(att->attname), pc->source) != 0)
				continue;
			if (found >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_AMBIGUOUS_COLUMN),
						 errmsg("row has more than one column named \"%s\"", pc->source)));
			found = a;
		}
		if (found < 0 && tuptype == RECORDOID && anonymous_row(st->tupdesc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("a ROW(...) without column names cannot be mapped to the model's columns"),
					 errdetail("Its columns, in order: %s.", raw_columns_text(p)),
					 errhint("Name the values: SELECT ml_predict('p', r) FROM (SELECT 1.5 AS %s, ...) r, or pass a float8[] for a model of numbers.",
							 quote_identifier(p->cols[0].source))));
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\", a feature of the model", pc->source),
					 errhint("Score rows that have every training column; extra columns are ignored.")));
		typid = TupleDescAttr(st->tupdesc, found)->atttypid;
		st->attno[c] = found;
		st->cls[c] = source_type_class(typid, &elem);
		if (pc->element == 0)
			st->conv[c] = source_conversion(pc, typid, pc->source);
		if (pc->element > 0)
		{
			if (st->cls[c] != SRC_ARRAY)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" has type %s, the model expects a numeric array",
								pc->source, format_type_be(typid))));
			st->atttype[c] = elem;
			for (int k = 0; k < p->n_cols; k++)
				if (strcmp(p->cols[k].source, pc->source) == 0)
					st->array_len[c] = Max(st->array_len[c], p->cols[k].element);
		}
		else if (pc->kind == ML_COL_NUMERIC)
		{
			if (st->cls[c] != SRC_NUMERIC)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" has type %s, which is not numeric",
								pc->source, format_type_be(typid))));
			st->atttype[c] = getBaseType(typid);
		}
		else
		{
			bool		varlena;

			st->atttype[c] = getBaseType(typid);
			getTypeOutputInfo(typid, &st->out_fn[c], &varlena);
		}
	}
	direct_map(&st->direct, st->tupdesc, p, st->attno, st->atttype, st->conv,
			   fcinfo->flinfo->fn_mcxt);
	st->tuptype = tuptype;
	st->tuptypmod = tuptypmod;
}

/*
 * Whether every raw column is a number the pipeline passes on as it is when
 * present: one feature, no shift (+0) or scale (1), so (v - 0) / 1 = v.
 */
static bool
plain_columns(const MLPipeline *p)
{
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		if (pc->kind != ML_COL_NUMERIC || pc->element != 0 || pc->out_width != 1 ||
			pc->shift != 0 || signbit(pc->shift) || pc->factor != 1)
			return false;
	}
	return true;
}

/*
 * The float8[] form takes the model's raw columns, in training order: only
 * for models whose columns are all numbers (or booleans as 0 / 1).  A
 * category, date or timestamp column needs the record form, which knows
 * its type.
 */
static void
check_array_form(const MLModel *m)
{
	const MLPipeline *p = m->pipeline;

	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		if (pc->kind == ML_COL_NUMERIC &&
			(pc->ctype == ML_CT_UNKNOWN || pc->ctype == ML_CT_NUMBER || pc->ctype == ML_CT_BOOL))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the model reads column \"%s\" of type %s, which a float8[] cannot carry",
						pc->name, pc->type_name && pc->type_name[0] ? pc->type_name : "text"),
				 errdetail("Its columns, in order: %s.", raw_columns_text(p)),
				 errhint("Score a row instead, which maps columns by name: SELECT ml_predict('p', t) FROM t, or ROW(...) with named columns.")));
	}
}

/* fill st->row from argument 1: float8[] (the model's raw columns) or a record */
static void
features_arg(FunctionCallInfo fcinfo, PredictState *st, bool is_record)
{
	MLModel    *m = st->model;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not be NULL")));
	if (!is_record)
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
		const MLPipeline *p = m->pipeline;
		int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		bits8	   *bitmap = ARR_NULLBITMAP(a);
		const double *data = (const double *) ARR_DATA_PTR(a);
		int			k = 0;

		if (ARR_NDIM(a) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("features must be a one-dimensional array")));
		if (!st->array_checked)
		{
			check_array_form(m);
			st->array_plain = plain_columns(p);
		}
		st->array_checked = true;
		if (n != p->n_cols)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the model reads %d column%s, the array has %d value%s",
							p->n_cols, p->n_cols == 1 ? "" : "s", n, n == 1 ? "" : "s"),
					 errdetail("Its columns, in order: %s.", raw_columns_text(p)),
					 errhint("Pass one value per column in this order (NULL for a missing one), or score a row, which maps columns by name: ml_predict('p', t) FROM t.")));
		/* untransformed numbers without NULLs: the values are the features */
		if (st->array_plain && bitmap == NULL)
		{
			int			bad = 0;

			for (int j = 0; j < n; j++)
			{
				bad |= !isfinite(data[j]);
				st->row[p->cols[j].out_start] = data[j];
			}
			if (!bad)
				return;
		}
		/* the array's values are the raw columns; the model's own preprocessing runs */
		for (int j = 0; j < n; j++)
		{
			const MLPipeCol *pc = &p->cols[j];
			bool		isnull = bitmap && !(bitmap[j / 8] & (1 << (j % 8)));
			double		x = isnull ? get_float8_nan() : data[k++];

			if (isnull && pc->impute == ML_IMPUTE_ERROR)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("feature column \"%s\" is NULL", pc->name),
						 errhint("The model was trained with impute \"error\" for this column.")));
			if (!isnull && !isfinite(x))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("value %d (column \"%s\") is %s", j + 1, pc->name,
								isnan(x) ? "NaN" : "infinite"),
						 errhint("NULL marks a missing value.")));
			st->raw_num[j] = x;
			st->raw_str[j] = NULL;
			st->raw_len[j] = 0;
		}
		pipeline_transform_row(p, st->raw_num, st->raw_str, st->raw_len, st->row);
	}
	else
	{
		HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
		Oid			tuptype = HeapTupleHeaderGetTypeId(rec);
		int32		tuptypmod = HeapTupleHeaderGetTypMod(rec);
		const MLPipeline *p = m->pipeline;
		HeapTupleData tuple;
		Datum	   *el = NULL;
		bool	   *elnull = NULL;
		int			ne = 0,
					el_att = -1;

		if (st->tuptype != tuptype || st->tuptypmod != tuptypmod)
			map_record(fcinfo, st, m, tuptype, tuptypmod);
		if (direct_read(&st->direct, p, rec, st->row))
			return;
		tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = rec;
		heap_deform_tuple(&tuple, st->tupdesc, st->values, st->nulls);
		for (int c = 0; c < p->n_cols; c++)
		{
			const MLPipeCol *pc = &p->cols[c];
			int			a = st->attno[c];
			bool		isnull = st->nulls[a];
			Datum		d = st->values[a];

			st->raw_num[c] = NAN;
			st->raw_str[c] = NULL;
			st->raw_len[c] = 0;
			if (!isnull && pc->element > 0)
			{
				/* an array column: deconstruct it once per row */
				if (el_att != a)
				{
					ArrayType  *arr = DatumGetArrayTypeP(d);
					int16		tl;
					bool		tb;
					char		ta;

					get_typlenbyvalalign(ARR_ELEMTYPE(arr), &tl, &tb, &ta);
					deconstruct_array(arr, ARR_ELEMTYPE(arr), tl, tb, ta, &el, &elnull, &ne);
					el_att = a;
					if (ARR_NDIM(arr) > 1 || ne != st->array_len[c])
						ereport(ERROR,
								(errcode(ERRCODE_DATA_EXCEPTION),
								 errmsg("array column \"%s\" has %d elements, the model expects %d",
										pc->source, ne, st->array_len[c])));
				}
				isnull = elnull[pc->element - 1];
				d = el[pc->element - 1];
			}
			if (isnull)
			{
				if (pc->impute == ML_IMPUTE_ERROR)
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("feature column \"%s\" is NULL", pc->name),
							 errhint("The model was trained with impute \"error\" for this column.")));
				continue;
			}
			if (pc->kind == ML_COL_NUMERIC)
			{
				double		v = source_datum_double(d, st->atttype[c]);

				if (st->conv[c] == CONV_DAYS_TO_SECONDS)
					v *= SECONDS_PER_DAY;
				if (!isfinite(v))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("feature column \"%s\" is %s", pc->name,
									isnan(v) ? "NaN" : "infinite"),
							 errhint("NULL marks a missing value.")));
				st->raw_num[c] = v;
			}
			else if (st->atttype[c] == TEXTOID || st->atttype[c] == VARCHAROID ||
					 st->atttype[c] == BPCHAROID)
			{
				text	   *t = DatumGetTextPP(d);

				st->raw_str[c] = VARDATA_ANY(t);
				st->raw_len[c] = VARSIZE_ANY_EXHDR(t);
			}
			else
			{
				char	   *txt = OidOutputFunctionCall(st->out_fn[c], d);

				st->raw_str[c] = txt;
				st->raw_len[c] = strlen(txt);
			}
		}
		pipeline_transform_row(p, st->raw_num, st->raw_str, st->raw_len, st->row);
	}
}

/* learners with per-row explanations */
static bool
explains(const MLLearner *l)
{
	return l->explain != NULL;
}

static Datum
predict_common(FunctionCallInfo fcinfo, RefKind by_id, bool is_record, PredictOutput what)
{
	MLModel    *m = model_arg(fcinfo, by_id);
	PredictState *st = fcinfo->flinfo->fn_extra;

	if ((what == OUT_LABEL && m->task != ML_CLASSIFICATION) ||
		(what == OUT_PROBA && m->task != ML_CLASSIFICATION && m->task != ML_ANOMALY))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s needs a classification model, this one is %s",
						what == OUT_PROBA ? "ml_predict_proba" : "ml_predict_label",
						ml_task_name(m->task)),
				 errhint(what == OUT_PROBA ? "Use ml_predict (anomaly models also give their score with ml_predict_proba)."
						 : "Use ml_predict.")));
	if (m->task == ML_CLASSIFICATION && what == OUT_VALUE && m->label_type == ML_LABEL_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model predicts text labels, which ml_predict cannot return as float8"),
				 errhint("Use ml_predict_label for the label, or ml_predict_proba for probabilities.")));

	features_arg(fcinfo, st, is_record);
	if (what == OUT_TRANSFORM)
	{
		Datum	   *d = palloc(sizeof(Datum) * Max(m->n_features, 1));

		for (size_t j = 0; j < m->n_features; j++)
			d[j] = Float8GetDatum(st->row[j]);
		PG_RETURN_ARRAYTYPE_P(construct_array(d, (int) m->n_features, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	if (what == OUT_EXPLAIN)
	{
		double	   *phi;
		Datum	   *d;

		if (m->learner->explain == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("algorithm \"%s\" has no per-row explanations", m->learner->name),
					 errhint("Algorithms with per-row explanations: %s.", learner_names_where(explains))));
		phi = palloc(sizeof(double) * (m->n_features + 1));
		d = palloc(sizeof(Datum) * (m->n_features + 1));
		(void) m->learner->explain(m->state, st->row, m->feature_mean, phi);
		for (size_t j = 0; j <= m->n_features; j++)
			d[j] = Float8GetDatum(phi[j]);
		PG_RETURN_ARRAYTYPE_P(construct_array(d, (int) m->n_features + 1, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	model_predict(m, st->row, 1, st->out);

	if (m->task != ML_CLASSIFICATION)
	{
		if (what == OUT_PROBA)	/* anomaly: its score */
		{
			Datum		d = Float8GetDatum(st->out[1]);

			PG_RETURN_ARRAYTYPE_P(construct_array(&d, 1, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		}
		PG_RETURN_FLOAT8(st->out[0]);
	}
	if (what == OUT_PROBA)
	{
		Datum	   *d = palloc(sizeof(Datum) * m->n_classes);

		for (int c = 0; c < m->n_classes; c++)
			d[c] = Float8GetDatum(st->out[c]);
		PG_RETURN_ARRAYTYPE_P(construct_array(d, m->n_classes, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	if (what == OUT_LABEL)
		PG_RETURN_TEXT_P(cstring_to_text(m->class_labels[model_class_of(m, st->out)]));
	PG_RETURN_FLOAT8(m->class_values[model_class_of(m, st->out)]);
}

#define PREDICT_ENTRY(sym, by_id, is_record, what) \
	PG_FUNCTION_INFO_V1(sym); \
	Datum sym(PG_FUNCTION_ARGS); \
	Datum sym(PG_FUNCTION_ARGS) { return predict_common(fcinfo, by_id, is_record, what); }

PREDICT_ENTRY(mlsql_predict_ref_array, REF_NAME, false, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_ref_record, REF_NAME, true, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_id_array, REF_ID, false, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_id_record, REF_ID, true, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_proba_ref_array, REF_NAME, false, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_proba_ref_record, REF_NAME, true, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_proba_id_array, REF_ID, false, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_proba_id_record, REF_ID, true, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_label_ref_array, REF_NAME, false, OUT_LABEL)
PREDICT_ENTRY(mlsql_predict_label_ref_record, REF_NAME, true, OUT_LABEL)
PREDICT_ENTRY(mlsql_predict_label_id_array, REF_ID, false, OUT_LABEL)
PREDICT_ENTRY(mlsql_predict_label_id_record, REF_ID, true, OUT_LABEL)
PREDICT_ENTRY(mlsql_transform_ref_array, REF_NAME, false, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_transform_id_array, REF_ID, false, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_transform_ref_record, REF_NAME, true, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_transform_id_record, REF_ID, true, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_explain_ref_array, REF_NAME, false, OUT_EXPLAIN)
PREDICT_ENTRY(mlsql_explain_ref_record, REF_NAME, true, OUT_EXPLAIN)
PREDICT_ENTRY(mlsql_explain_id_array, REF_ID, false, OUT_EXPLAIN)
PREDICT_ENTRY(mlsql_explain_id_record, REF_ID, true, OUT_EXPLAIN)
PREDICT_ENTRY(mlsql_predict_shipped_array, REF_SHIPPED, false, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_shipped_record, REF_SHIPPED, true, OUT_VALUE)
PREDICT_ENTRY(mlsql_predict_proba_shipped_array, REF_SHIPPED, false, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_proba_shipped_record, REF_SHIPPED, true, OUT_PROBA)
PREDICT_ENTRY(mlsql_predict_label_shipped_array, REF_SHIPPED, false, OUT_LABEL)
PREDICT_ENTRY(mlsql_predict_label_shipped_record, REF_SHIPPED, true, OUT_LABEL)
PREDICT_ENTRY(mlsql_transform_shipped_array, REF_SHIPPED, false, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_transform_shipped_record, REF_SHIPPED, true, OUT_TRANSFORM)
PREDICT_ENTRY(mlsql_explain_shipped_array, REF_SHIPPED, false, OUT_EXPLAIN)
PREDICT_ENTRY(mlsql_explain_shipped_record, REF_SHIPPED, true, OUT_EXPLAIN)

/*
 * ml_explain(project | model id, float8[] | record): one row per feature
 * (its name, its value after preprocessing, its contribution, and for a
 * categorical column the row's category), then (bias); contributions and
 * bias sum to the raw output (learner->explain).
 */
static Datum
explain_rows(FunctionCallInfo fcinfo, RefKind by_id, bool is_record)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MLModel    *m;
	PredictState *st;
	const MLPipeline *p;
	double	   *phi;
	Datum		vals[4];
	bool		nulls[4];

	InitMaterializedSRF(fcinfo, 0);
	m = model_arg(fcinfo, by_id);
	st = fcinfo->flinfo->fn_extra;
	p = m->pipeline;
	if (m->learner->explain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" has no per-row explanations", m->learner->name),
				 errhint("Algorithms with per-row explanations: %s.", learner_names_where(explains))));
	features_arg(fcinfo, st, is_record);
	phi = palloc(sizeof(double) * (m->n_features + 1));
	(void) m->learner->explain(m->state, st->row, m->feature_mean, phi);
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		for (int w = 0; w < pc->out_width; w++)
		{
			int			j = pc->out_start + w;

			memset(nulls, 0, sizeof(nulls));
			vals[0] = CStringGetTextDatum(m->feature_names[j]);
			vals[1] = Float8GetDatum(st->row[j]);
			nulls[1] = isnan(st->row[j]);
			vals[2] = Float8GetDatum(phi[j]);
			if (is_record && pc->kind == ML_COL_CATEGORICAL && st->raw_str[c] != NULL)
				vals[3] = PointerGetDatum(cstring_to_text_with_len(st->raw_str[c], (int) st->raw_len[c]));
			else
				nulls[3] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
		}
	}
	memset(nulls, 0, sizeof(nulls));
	vals[0] = CStringGetTextDatum("(bias)");
	nulls[1] = true;
	vals[2] = Float8GetDatum(phi[m->n_features]);
	nulls[3] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	return (Datum) 0;
}

#define EXPLAIN_ENTRY(sym, by_id, is_record) \
	PG_FUNCTION_INFO_V1(sym); \
	Datum sym(PG_FUNCTION_ARGS); \
	Datum sym(PG_FUNCTION_ARGS) { return explain_rows(fcinfo, by_id, is_record); }

EXPLAIN_ENTRY(mlsql_explain_rows_ref_array, REF_NAME, false)
EXPLAIN_ENTRY(mlsql_explain_rows_ref_record, REF_NAME, true)
EXPLAIN_ENTRY(mlsql_explain_rows_id_array, REF_ID, false)
EXPLAIN_ENTRY(mlsql_explain_rows_id_record, REF_ID, true)
EXPLAIN_ENTRY(mlsql_explain_rows_shipped_array, REF_SHIPPED, false)
EXPLAIN_ENTRY(mlsql_explain_rows_shipped_record, REF_SHIPPED, true)

/* ---- ml_classes ---- */

static Datum
classes_common(FunctionCallInfo fcinfo, bool by_id)
{
	MLModel    *m = model_arg(fcinfo, by_id ? REF_ID : REF_NAME);
	Datum	   *d;

	if (m->task != ML_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s models have no classes", ml_task_name(m->task))));
	d = palloc(sizeof(Datum) * m->n_classes);
	for (int c = 0; c < m->n_classes; c++)
		d[c] = CStringGetTextDatum(m->class_labels[c]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m->n_classes, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(mlsql_classes_ref);
Datum
mlsql_classes_ref(PG_FUNCTION_ARGS)
{
	return classes_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mlsql_classes_id);
Datum
mlsql_classes_id(PG_FUNCTION_ARGS)
{
	return classes_common(fcinfo, true);
}

/* ---- ml_model_info ---- */

static Datum
info_common(FunctionCallInfo fcinfo, bool by_id)
{
	MLModel    *m = model_arg(fcinfo, by_id ? REF_ID : REF_NAME);
	MLBuffer	b;

	buffer_init(&b);
	buffer_printf(&b, "{\"algorithm\": ");
	buffer_json_str(&b, m->learner->name);
	buffer_printf(&b, ", \"task\": ");
	buffer_json_str(&b, ml_task_name(m->task));
	buffer_printf(&b, ", \"target\": ");
	buffer_json_str(&b, m->target_name);
	buffer_printf(&b, ", \"features\": [");
	for (size_t j = 0; j < m->n_features; j++)
	{
		if (j)
			buffer_printf(&b, ", ");
		buffer_json_str(&b, m->feature_names[j]);
	}
	buffer_printf(&b, "]");
	if (m->task == ML_CLASSIFICATION)
	{
		buffer_printf(&b, ", \"classes\": [");
		for (int c = 0; c < m->n_classes; c++)
		{
			if (c)
				buffer_printf(&b, ", ");
			buffer_json_str(&b, m->class_labels[c]);
		}
		buffer_printf(&b, "]");
	}
	buffer_printf(&b, ", \"model\": ");
	m->learner->describe(m->state, &b);
	buffer_printf(&b, "}");
	return json_text_to_jsonb((const char *) b.data, b.len);
}

PG_FUNCTION_INFO_V1(mlsql_model_info_ref);
Datum
mlsql_model_info_ref(PG_FUNCTION_ARGS)
{
	return info_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mlsql_model_info_id);
Datum
mlsql_model_info_id(PG_FUNCTION_ARGS)
{
	return info_common(fcinfo, true);
}

/* ---- ml_evaluate ---- */

typedef struct LabelIndex
{
	const char *label;
	int			index;
} LabelIndex;

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const LabelIndex *) a)->label, ((const LabelIndex *) b)->label);
}

static Datum
evaluate_common(FunctionCallInfo fcinfo, bool by_id)
{
	MLModel    *m = model_arg(fcinfo, by_id ? REF_ID : REF_NAME);
	char	   *source;
	SourceData *src;
	MLDataset	d = {0};
	MLMetricSet ms;
	MLBuffer	b;
	Datum		result;
	MemoryContext caller = CurrentMemoryContext;
	double		saved_threshold = m->threshold;
	bool		explicit_threshold = PG_NARGS() > 2 && !PG_ARGISNULL(2);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	/* the model's own threshold (ml_set_threshold), unless one is given */
	if (explicit_threshold)
	{
		double		t = PG_GETARG_FLOAT8(2);

		if (m->task != ML_CLASSIFICATION || m->n_classes != 2)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("a decision threshold needs a binary classifier, this model is %s",
							m->task == ML_CLASSIFICATION ? "a multiclass classifier" : ml_task_name(m->task))));
		if (!(t >= 0 && t <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("threshold must be in [0, 1], got %g", t)));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		char	  **names = palloc(sizeof(char *) * Max(m->pipeline->n_cols, 1));
		int			nn = 0;

		/* the distinct source columns of the pipeline, in order */
		for (int c = 0; c < m->pipeline->n_cols; c++)
		{
			bool		seen = false;

			for (int k = 0; k < nn && !seen; k++)
				seen = strcmp(names[k], m->pipeline->cols[c].source) == 0;
			if (!seen)
				names[nn++] = m->pipeline->cols[c].source;
		}
		src = source_read(source, m->target_name[0] ? m->target_name : NULL, names, nn, NULL, 0, true);
	}
	d.n_rows = src->n_rows;
	d.n_cols = m->n_features;
	d.X = mlsql_model_matrix(m, src, NULL, src->n_rows, true);
	d.n_classes = m->n_classes;
	if (m->task == ML_CLUSTERING || m->task == ML_ANOMALY)
		d.y = palloc0(sizeof(double) * Max(d.n_rows, 1));
	else if (m->task == ML_REGRESSION)
	{
		if (!src->target_numeric)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" of type %s cannot be scored by a regression model",
							m->target_name, format_type_be(src->target_type))));
		d.y = src->y_num;
	}
	else
	{
		LabelIndex *idx = palloc(sizeof(LabelIndex) * m->n_classes);
		char		buf[64];

		for (int c = 0; c < m->n_classes; c++)
		{
			idx[c].label = m->class_labels[c];
			idx[c].index = c;
		}
		qsort(idx, m->n_classes, sizeof(LabelIndex), cmp_label);
		d.y = palloc_extended(Max(d.n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		for (size_t i = 0; i < d.n_rows; i++)
		{
			LabelIndex	key = {source_label(src, i, buf, sizeof(buf)), 0};
			LabelIndex *hit = bsearch(&key, idx, m->n_classes, sizeof(LabelIndex), cmp_label);

			if (hit == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("target value \"%s\" is not a class of the model", key.label),
						 errhint("The model knows the classes listed by ml_classes.")));
			d.y[i] = hit->index;
		}
	}
	/* the cached model's threshold is restored whatever happens next */
	if (explicit_threshold)
		m->threshold = PG_GETARG_FLOAT8(2);
	PG_TRY();
	{
		mlsql_evaluate_dataset(m, &d, &ms);
	}
	PG_FINALLY();
	{
		m->threshold = saved_threshold;
	}
	PG_END_TRY();

	buffer_init(&b);
	buffer_printf(&b, "{\"n_rows\": %zu", d.n_rows);
	if (m->task == ML_CLASSIFICATION && m->n_classes == 2)
	{
		double		t = explicit_threshold ? PG_GETARG_FLOAT8(2) : m->threshold;

		buffer_printf(&b, ", \"threshold\": ");
		if (isnan(t))
			buffer_printf(&b, "null");
		else
			buffer_json_num(&b, t);
	}
	for (int i = 0; i < ms.n; i++)
	{
		buffer_printf(&b, ", ");
		buffer_json_str(&b, ms.names[i]);
		buffer_printf(&b, ": ");
		buffer_json_num(&b, ms.values[i]);
	}
	buffer_printf(&b, "}");
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = json_text_to_jsonb((const char *) b.data, b.len);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(mlsql_evaluate_ref);
Datum
mlsql_evaluate_ref(PG_FUNCTION_ARGS)
{
	return evaluate_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mlsql_evaluate_id);
Datum
mlsql_evaluate_id(PG_FUNCTION_ARGS)
{
	return evaluate_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(mlsql_model_id);

/* ml_model_id(project text): the model id a reference resolves to */
Datum
mlsql_model_id(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model reference must not be NULL")));
	PG_RETURN_INT64(resolve_model_ref(text_to_cstring(PG_GETARG_TEXT_PP(0)), NULL));
}
