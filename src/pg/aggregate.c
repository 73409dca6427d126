/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *	  ml_fit, the training aggregate; ml_predict(bytea, ...) and ml_save.
 *
 * The transition state has a real SQL type, bytea, so partial aggregation
 * crosses process boundaries without serialization functions (parallel
 * workers here; the shards of a distributed table in Citus, which pushes
 * aggregates with a concrete state type and a combine function down to its
 * workers).  Inside one aggregate the state is a read-write expanded object
 * (utils/expandeddatum.h) in the aggregate's memory context: nodeAgg keeps
 * it without copying, the transition function updates it in place (a block
 * of rows, statistics or a growing collection), and it is flattened into the
 * bytea format (core/aggstate.c) only when it has to leave: to a combine
 * step, another process, or a function that reads it flat.  A flat state
 * is read back with every length and its checksum checked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "core/aggstate.h"
#include "algo/gbdt.h"
#include "core/buffer.h"
#include "pg/aggregate.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"

PG_FUNCTION_INFO_V1(mlsql_fit_trans);
PG_FUNCTION_INFO_V1(mlsql_fit_combine);
PG_FUNCTION_INFO_V1(mlsql_fit_final);
PG_FUNCTION_INFO_V1(mlsql_predict_bytes);
PG_FUNCTION_INFO_V1(mlsql_predict_proba_bytes);
PG_FUNCTION_INFO_V1(mlsql_save);
PG_FUNCTION_INFO_V1(mlsql_import_xgboost);

/* model_read / agg_read of caller-supplied bytes: corruption is bad input */
static MLModel *
read_input_model(const uint8_t *data, size_t len)
{
	MLModel    *m;

	mlsql_reading_input = true;
	PG_TRY();
	{
		m = model_read(data, len);
	}
	PG_FINALLY();
	{
		mlsql_reading_input = false;
	}
	PG_END_TRY();
	return m;
}

static MLAggState *
read_input_state(const uint8_t *data, size_t len)
{
	MLAggState *s;

	mlsql_reading_input = true;
	PG_TRY();
	{
		s = agg_read(data, len);
	}
	PG_FINALLY();
	{
		mlsql_reading_input = false;
	}
	PG_END_TRY();
	return s;
}

/* ---- the expanded state ---- */

typedef struct FitState
{
	ExpandedObjectHeader hdr;
	MLAggState *s;
	MLBuffer	flat;			/* the flattened bytes, while valid */
	bool		flat_valid;
} FitState;

static Size
fit_flat_size(ExpandedObjectHeader *eohptr)
{
	FitState   *f = (FitState *) eohptr;

	if (!f->flat_valid)
	{
		MemoryContext old = MemoryContextSwitchTo(f->hdr.eoh_context);

		buffer_init(&f->flat);
		agg_write(f->s, &f->flat);
		f->flat_valid = true;
		MemoryContextSwitchTo(old);
	}
	return VARHDRSZ + f->flat.len;
}

static void
fit_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	FitState   *f = (FitState *) eohptr;

	Assert(f->flat_valid && allocated_size == VARHDRSZ + f->flat.len);
	SET_VARSIZE(result, allocated_size);
	memcpy(VARDATA(result), f->flat.data, f->flat.len);
}

static const ExpandedObjectMethods fit_methods = {
	fit_flat_size,
	fit_flatten
};

static FitState *
fit_state_new(MemoryContext parent, MLAggState *from)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "ml_fit state", ALLOCSET_DEFAULT_SIZES);
	FitState   *f = MemoryContextAllocZero(cxt, sizeof(FitState));

	EOH_init_header(&f->hdr, &fit_methods, cxt);
	f->s = from;
	return f;
}

/* a flat state read back into memory of cxt */
static MLAggState *
read_flat(Datum d, MemoryContext cxt)
{
	bytea	   *b = DatumGetByteaPP(d);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	MLAggState *s = read_input_state((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));

	MemoryContextSwitchTo(old);
	return s;
}

/* the state in argument i as our expanded object in aggcxt */
static FitState *
state_arg(FunctionCallInfo fcinfo, int i, MemoryContext aggcxt)
{
	Datum		d = PG_GETARG_DATUM(i);
	FitState   *f;

	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		f = (FitState *) DatumGetEOHP(d);
		if (f->hdr.eoh_methods == &fit_methods)
			return f;
	}
	f = fit_state_new(aggcxt, NULL);
	f->s = read_flat(d, f->hdr.eoh_context);
	return f;
}

/* learners whose ml_fit state is sums that do not grow with the rows */
static bool
sums_only(const MLLearner *l)
{
	return l->agg_fit == ML_AGGFIT_LEAST_SQUARES || l->agg_fit == ML_AGGFIT_GAUSSIAN_NB ||
		l->agg_fit == ML_AGGFIT_PRIOR;
}

static void
check_limit(const MLAggState *s)
{
	size_t		next = agg_memory_next(s);

	if ((double) next / 1024.0 > (double) mlsql_max_memory_kb)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ml_fit needs more than mlsql.max_memory (%d kB) after %llu rows",
						mlsql_max_memory_kb, (unsigned long long) s->n),
				 errhint("algorithm \"%s\" keeps its rows; raise mlsql.max_memory, aggregate fewer rows, "
						 "or use an algorithm whose state does not grow (%s).", s->algorithm, learner_names_where(sums_only))));
}

/*
 * The transition: mlsql_fit_trans(state, algorithm, target, features
 * float8[] [, params jsonb]).  ttype is the target's type: from the call
 * (anyelement: the planner's expression), or fixed by the entry point of a
 * concrete overload, which never needs fn_expr (Citus calls transition
 * functions of pushed-down aggregates without it).
 */
static Datum
fit_trans(FunctionCallInfo fcinfo, Oid ttype)
{
	MemoryContext aggcxt,
				old;
	FitState   *f;
	ArrayType  *arr;
	double		y = 0;
	char	   *label = NULL;
	char		buf[32];
	int			n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mlsql_fit_trans called outside an aggregate");
	if (PG_ARGISNULL(0))
	{
		char	   *algorithm;
		char	   *params = "{}";
		MLTask		task = ML_REGRESSION;
		MLLabelType lt = ML_LABEL_NONE;
		MLAggState *s;

		if (PG_ARGISNULL(1))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("algorithm must not be NULL")));
		algorithm = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
		{
			Jsonb	   *jb = PG_GETARG_JSONB_P(4);

			params = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
		}
		switch (getBaseType(ttype))
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case FLOAT4OID:
			case FLOAT8OID:
			case NUMERICOID:
				break;
			case BOOLOID:
				task = ML_CLASSIFICATION;
				lt = ML_LABEL_BOOL;
				break;
			default:
				task = ML_CLASSIFICATION;
				lt = ML_LABEL_TEXT;
				break;
		}
		f = fit_state_new(aggcxt, NULL);
		old = MemoryContextSwitchTo(f->hdr.eoh_context);
		s = agg_new(algorithm, params, task, lt);
		MemoryContextSwitchTo(old);
		f->s = s;
	}
	else
		f = state_arg(fcinfo, 0, aggcxt);

	if (PG_ARGISNULL(2) && (f->s->task == ML_REGRESSION || f->s->task == ML_CLASSIFICATION))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ml_fit target is NULL at row %llu", (unsigned long long) f->s->n + 1),
				 errhint("Leave such rows out with WHERE target IS NOT NULL.")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ml_fit features are NULL at row %llu", (unsigned long long) f->s->n + 1)));
	arr = PG_GETARG_ARRAYTYPE_P(3);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ml_fit features must be a one-dimensional array")));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ml_fit features hold NULL at row %llu", (unsigned long long) f->s->n + 1),
				 errhint("Impute NULLs first, e.g. coalesce(x, 0), or train with ml_train, which imputes.")));
	n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];

	/* the target: a number, or a label (clustering and anomaly ignore it) */
	switch (PG_ARGISNULL(2) ? InvalidOid : getBaseType(ttype))
	{
		case INT2OID:
			y = DatumGetInt16(PG_GETARG_DATUM(2));
			break;
		case INT4OID:
			y = DatumGetInt32(PG_GETARG_DATUM(2));
			break;
		case INT8OID:
			y = (double) DatumGetInt64(PG_GETARG_DATUM(2));
			break;
		case FLOAT4OID:
			y = DatumGetFloat4(PG_GETARG_DATUM(2));
			break;
		case FLOAT8OID:
			y = DatumGetFloat8(PG_GETARG_DATUM(2));
			break;
		case NUMERICOID:
			y = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, PG_GETARG_DATUM(2)));
			break;
		case BOOLOID:
			label = DatumGetBool(PG_GETARG_DATUM(2)) ? "true" : "false";
			break;
		case InvalidOid:
			break;
		default:
			{
				Oid			out;
				bool		varlena;

				getTypeOutputInfo(ttype, &out, &varlena);
				label = OidOutputFunctionCall(out, PG_GETARG_DATUM(2));
			}
	}
	if (label == NULL && f->s->task == ML_CLASSIFICATION)
	{
		ml_format_double(y, buf);
		label = buf;
	}

	check_limit(f->s);
	old = MemoryContextSwitchTo(f->hdr.eoh_context);
	agg_add(f->s, n > 0 ? (const double *) ARR_DATA_PTR(arr) : NULL, (uint32_t) n, y, label);
	MemoryContextSwitchTo(old);
	f->flat_valid = false;
	PG_RETURN_DATUM(EOHPGetRWDatum(&f->hdr));
}

Datum
mlsql_fit_trans(PG_FUNCTION_ARGS)
{
	Oid			ttype = get_fn_expr_argtype(fcinfo->flinfo, 2);

	if (!OidIsValid(ttype))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ml_fit cannot tell the type of its target here"),
				 errhint("Cast the target to float8, int4, int8, numeric, bool or text: those overloads need no type information from the query.")));
	return fit_trans(fcinfo, ttype);
}

#define FIT_TRANS_ENTRY(sym, type) \
	PG_FUNCTION_INFO_V1(sym); \
	Datum sym(PG_FUNCTION_ARGS) { return fit_trans(fcinfo, type); }

FIT_TRANS_ENTRY(mlsql_fit_trans_float8, FLOAT8OID)
FIT_TRANS_ENTRY(mlsql_fit_trans_numeric, NUMERICOID)
FIT_TRANS_ENTRY(mlsql_fit_trans_int4, INT4OID)
FIT_TRANS_ENTRY(mlsql_fit_trans_int8, INT8OID)
FIT_TRANS_ENTRY(mlsql_fit_trans_bool, BOOLOID)
FIT_TRANS_ENTRY(mlsql_fit_trans_text, TEXTOID)

/* mlsql_fit_combine(a, b): b folded into a */
Datum
mlsql_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt,
				old;
	FitState   *f;
	MLAggState *other;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mlsql_fit_combine called outside an aggregate");
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(EOHPGetRWDatum(&state_arg(fcinfo, 0, aggcxt)->hdr));
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(EOHPGetRWDatum(&state_arg(fcinfo, 1, aggcxt)->hdr));
	f = state_arg(fcinfo, 0, aggcxt);
	other = read_flat(PG_GETARG_DATUM(1), CurrentMemoryContext);
	if (f->s->kind == ML_AGG_ROWS)
	{
		MLAggState probe = *f->s;

		probe.n += other->n;
		if ((double) agg_memory(f->s) / 1024.0 + (double) agg_memory(other) / 1024.0 >
			(double) mlsql_max_memory_kb)
			check_limit(&probe);
	}
	old = MemoryContextSwitchTo(f->hdr.eoh_context);
	agg_merge(f->s, other);
	MemoryContextSwitchTo(old);
	f->flat_valid = false;
	PG_RETURN_DATUM(EOHPGetRWDatum(&f->hdr));
}

static bytea *
model_bytea(MLModel *m)
{
	MLBuffer	b;
	bytea	   *out;

	buffer_init(&b);
	model_write(m, &b);
	(void) model_read(b.data, b.len);	/* never hand out bytes that do not read back */
	out = palloc(VARHDRSZ + b.len);
	SET_VARSIZE(out, VARHDRSZ + b.len);
	memcpy(VARDATA(out), b.data, b.len);
	return out;
}

/* mlsql_fit_final(state): the trained model, in the model format */
Datum
mlsql_fit_final(PG_FUNCTION_ARGS)
{
	MLAggState *s;
	Datum		d;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no rows, as sum() */
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		((FitState *) DatumGetEOHP(d))->hdr.eoh_methods == &fit_methods)
		s = ((FitState *) DatumGetEOHP(d))->s;
	else
		s = read_flat(d, CurrentMemoryContext);
	PG_RETURN_BYTEA_P(model_bytea(agg_finish(s, mlsql_threads)));
}

/* ---- scoring model bytes ---- */

/* whether argument argnum of the call is a Const node */
static bool
const_arg(FmgrInfo *flinfo, int argnum)
{
	List	   *args;

	if (flinfo->fn_expr == NULL)
		return false;
	if (IsA(flinfo->fn_expr, FuncExpr))
		args = ((FuncExpr *) flinfo->fn_expr)->args;
	else
		return false;
	return list_length(args) > argnum && IsA(list_nth(args, argnum), Const);
}

/*
 * bytes_model: the model of the bytes in argument 0, kept in *slot (memory
 * of the call site) while the bytes stay the same.  A cached model is used
 * again only for the very same bytes: all of them are compared (a key of a
 * few bytes could be forged to score with another model), except when the
 * argument is a constant of the expression, which the first read keeps.
 * (Not a parameter: PL/pgSQL keeps a simple expression's state, this cache
 * included, while its variables change.)
 */
MLModel *
bytes_model(FunctionCallInfo fcinfo, BytesCache **slot)
{
	BytesCache *c = *slot;
	bytea	   *b;
	int32		len;
	const uint8 *data;

	if (c && c->bytes && c->stable)
		return c->m;
	b = PG_GETARG_BYTEA_PP(0);
	len = VARSIZE_ANY_EXHDR(b);
	data = (const uint8 *) VARDATA_ANY(b);
	if (c && c->bytes && VARSIZE(c->bytes) - VARHDRSZ == (Size) len &&
		memcmp(VARDATA(c->bytes), data, len) == 0)
		return c->m;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(BytesCache));
		c->stable = const_arg(fcinfo->flinfo, 0);
		*slot = c;
	}
	if (c->cxt)
		MemoryContextReset(c->cxt);
	else
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "mlsql model bytes", ALLOCSET_SMALL_SIZES);
	c->bytes = NULL;			/* invalid until read */
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);
		bytea	   *copy;

		c->m = read_input_model(data, (size_t) len);
		c->reads++;
		c->out = palloc(sizeof(double) * Max(model_output_width(c->m), 1));
		copy = palloc(VARHDRSZ + len);
		SET_VARSIZE(copy, VARHDRSZ + len);
		memcpy(VARDATA(copy), data, len);
		MemoryContextSwitchTo(old);
		c->bytes = copy;
	}
	return c->m;
}

static void
score_bytes(FunctionCallInfo fcinfo, MLModel **m, BytesCache **c)
{
	ArrayType  *arr;
	int			n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model and features must not be NULL")));
	*c = NULL;
	*m = bytes_model(fcinfo, (BytesCache **) &fcinfo->flinfo->fn_extra);
	*c = fcinfo->flinfo->fn_extra;
	arr = PG_GETARG_ARRAYTYPE_P(1);
	n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	if (ARR_NDIM(arr) > 1 || n != (int) (*m)->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the model takes %zu features, got %d", (*m)->n_features, n)));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not hold NULL")));
	/* models from ml_fit read their features as they are (identity pipeline) */
	if ((*m)->pipeline->n_out != (*m)->pipeline->n_cols)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this model preprocesses its columns; score it with ml_predict(project, row)")));
	model_predict(*m, (const double *) ARR_DATA_PTR(arr), 1, (*c)->out);
}

Datum
mlsql_predict_bytes(PG_FUNCTION_ARGS)
{
	MLModel    *m;
	BytesCache *c;

	score_bytes(fcinfo, &m, &c);
	if (m->task == ML_CLASSIFICATION)
	{
		if (m->label_type == ML_LABEL_TEXT)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("model predicts text labels, which ml_predict cannot return as float8"),
					 errhint("Use ml_predict_proba and ml_classes.")));
		PG_RETURN_FLOAT8(m->class_values[model_class_of(m, c->out)]);
	}
	PG_RETURN_FLOAT8(c->out[0]);
}

Datum
mlsql_predict_proba_bytes(PG_FUNCTION_ARGS)
{
	MLModel    *m;
	BytesCache *c;
	Datum	   *d;

	score_bytes(fcinfo, &m, &c);
	if (m->task != ML_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("ml_predict_proba needs a classification model, this one is %s",
						ml_task_name(m->task))));
	d = palloc(sizeof(Datum) * m->n_classes);
	for (int k = 0; k < m->n_classes; k++)
		d[k] = Float8GetDatum(c->out[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m->n_classes, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The model's bytes with its raw columns renamed (ml_fit calls them x1,
 * x2, ...): one name per column, in order, each distinct.  Only models
 * whose columns map one to one onto their features (ml_fit's, imported
 * ones) can be renamed.
 */
static bytea *
rename_features(MLModel *m, ArrayType *names_arr)
{
	MLPipeline *p = m->pipeline;
	Datum	   *d;
	bool	   *nulls;
	int			n;
	MLBuffer	out;

	if (ARR_NDIM(names_arr) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("features must be a one-dimensional array")));
	deconstruct_array(names_arr, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, &n);
	if (p->n_out != p->n_cols)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this model preprocesses its columns; its names come from its training")));
	if (n != p->n_cols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model has %d feature%s, features names %d", p->n_cols, p->n_cols == 1 ? "" : "s", n),
				 errhint("Name each element of the ml_fit features array, in order.")));
	for (int c = 0; c < n; c++)
	{
		char	   *name;

		if (nulls[c])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("feature names must not be NULL")));
		name = TextDatumGetCString(d[c]);
		if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid feature name \"%s\"", name),
					 errhint("A feature name is a column name: 1 to %d bytes.", NAMEDATALEN - 1)));
		for (int k = 0; k < c; k++)
			if (strcmp(p->cols[k].name, name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature name \"%s\" is given twice", name)));
		p->cols[c].name = name;
		p->cols[c].source = name;
		p->cols[c].element = 0;
		p->out_names[c] = name;
	}
	buffer_init(&out);
	model_write(m, &out);
	{
		bytea	   *b = palloc(VARHDRSZ + out.len);

		SET_VARSIZE(b, VARHDRSZ + out.len);
		memcpy(VARDATA(b), out.data, out.len);
		return b;
	}
}

/*
 * ml_save(project, model bytea, deploy): register an aggregate-trained model
 * as the project's next version (a run of algorithm, task and size only: its
 * data is whatever the aggregate read).  'if_better' deploys it when the
 * project has no deployed model.
 */
Datum
mlsql_save(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *project,
			   *deploy;
	bytea	   *b;
	MLModel    *m;
	int64		project_id,
				experiment_id,
				run_id,
				model_id;
	int32		version;
	CatalogRun	run;
	bool		deployed = false;
	Datum		vals[4];
	bool		nulls[4] = {0};

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("project, model and deploy must not be NULL")));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	b = PG_GETARG_BYTEA_PP(1);
	deploy = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(deploy, "if_better") != 0 && strcmp(deploy, "always") != 0 && strcmp(deploy, "never") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deploy \"%s\"", deploy),
				 errhint("Use 'if_better' (deploys when nothing is deployed), 'always' or 'never'.")));
	catalog_check_project_name(project);
	m = read_input_model((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	/* features names the columns of an ml_fit model, so rows score by name */
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		b = rename_features(m, PG_GETARG_ARRAYTYPE_P(3));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	project_id = catalog_project_for_write(project, m->task, "model", NULL);
	experiment_id = catalog_insert_experiment(project_id, "ml_save", "train",
											  json_text_to_jsonb("{\"via\": \"ml_fit\"}", 17));
	catalog_run_init(&run);
	run.experiment_id = experiment_id;
	run.project_id = project_id;
	run.algorithm = m->learner->name;
	run.params = json_text_to_jsonb("{}", 2);
	run.seed = 0;
	run.task = ml_task_name(m->task);
	run_id = catalog_insert_run(&run);
	model_id = catalog_insert_model(project_id, run_id, m->learner->name,
									VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &version);
	if (strcmp(deploy, "always") == 0 ||
		(strcmp(deploy, "if_better") == 0 && catalog_deployed_model(project_id) == 0))
	{
		CatalogDecision why = {NULL, NAN, NAN, NULL,
			strcmp(deploy, "always") == 0 ? "deploy => 'always'"
		: "the project's first model (model bytes carry no test score to compare)"};

		catalog_deploy(project_id, model_id, deploy, &why);
		deployed = true;
		ereport(NOTICE, (errmsg("deployed version %d of \"%s\": %s", version, project, why.reason)));
	}
	else if (strcmp(deploy, "if_better") == 0)
		ereport(NOTICE,
				(errmsg("version %d of \"%s\" was not deployed: model bytes carry no test score to compare with the live model",
						version, project),
				 errhint("ml_deploy('%s', %d) deploys it.", project, version)));
	vals[0] = CStringGetTextDatum(project);
	vals[1] = Int32GetDatum(version);
	vals[2] = Int64GetDatum(model_id);
	vals[3] = BoolGetDatum(deployed);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	SPI_finish();
	return (Datum) 0;
}

/*
 * ml_import_xgboost(model jsonb, features text[]): the model bytes of an
 * XGBoost model saved as JSON, for ml_predict(bytea, float8[]) and ml_save.
 * features names its inputs (default: the names XGBoost kept, else x1..).
 */
Datum
mlsql_import_xgboost(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb;
	char	   *json;
	char	  **names = NULL;
	int			n_names = 0;
	MLModel    *m;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model must not be NULL")));
	jb = PG_GETARG_JSONB_P(0);
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *d;
		bool	   *nulls;

		if (ARR_NDIM(a) > 1)
			ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("features must be a one-dimensional array")));
		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, &n_names);
		names = palloc(sizeof(char *) * Max(n_names, 1));
		for (int i = 0; i < n_names; i++)
		{
			if (nulls[i])
				ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("feature names must not be NULL")));
			names[i] = TextDatumGetCString(d[i]);
			if (names[i][0] == '\0')
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("feature names must not be empty")));
		}
		if (n_names == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be empty"),
					 errhint("Pass NULL to keep the names XGBoost saved.")));
	}
	json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	m = gbdt_import_xgboost(json, strlen(json), names, n_names);
	PG_RETURN_BYTEA_P(model_bytea(m));
}
