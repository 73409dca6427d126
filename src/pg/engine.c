/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  The aggregate and partitions engines of ml_train: training from
 *	  passes of one SQL aggregate over the source, so that the rows stay
 *	  where they are (parallel workers, Citus shards) and the backend holds
 *	  statistics and the model, never the rows.
 *
 * Every pass is one query,
 *
 *	SELECT mlsql.engine_pass($1, ARRAY[...]::float8[], ARRAY[...]::text[], y, label)
 *	  FROM (<source>) s
 *
 * with the pass's config in $1 (core/engine.h): the number columns as
 * float8 (bool as 0 / 1, dates as days and timestamps as seconds since
 * 1970 through mlsql.raw_num, exactly as the memory engine reads them), the
 * category columns as text (their output function).  The aggregate's state
 * is bytea with a combine function, so PostgreSQL runs it with parallel
 * workers and Citus pushes it to the shards.  Passes run read-only in one
 * snapshot, so every pass sees the same rows, as the caller.
 *
 *	1. STATS: sketches of every column (the data version; the pipeline's
 *	   statistics over the training rows), the target's values
 *	2. the learner's passes (its agg_fit): one STATE pass (least squares,
 *	   naive Bayes, baseline), MOMENTS + GRAM (elastic net, lasso), MOMENTS
 *	   + one NEWTON pass per iteration (logistic), MOMENTS with a sample +
 *	   one LLOYD pass per iteration (kmeans); or, for "partitions", one
 *	   ROWS pass grouped by a seeded bucket whose final function trains
 *	   each partition's model, averaged into one voting model
 *	3. METRICS: the model, the baseline and the live model on the training
 *	   and test rows
 *
 * The split is the memory engine's "random" split (a row is a test row
 * when its seeded hash falls below test_size): the same rows whatever the
 * plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/resource.h>
#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "core/buffer.h"
#include "core/engine.h"
#include "core/rng.h"
#include "core/linalg.h"
#include "ensemble/ensemble.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/engine.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/record.h"
#include "pg/source.h"

#define DEFAULT_PARTITIONS 4
#define MAX_PARTITIONS 1000

/* ---- reading bytes a caller may have forged ---- */

static MLEngineConfig *
read_config(const uint8_t *data, size_t len)
{
	MLEngineConfig *c;

	mlsql_reading_input = true;
	PG_TRY();
	{
		c = engine_config_read(data, len);
	}
	PG_FINALLY();
	{
		mlsql_reading_input = false;
	}
	PG_END_TRY();
	return c;
}

/* flat state: u32 config length, the config, the engine state */
static MLEngineState *
read_flat_state(const uint8_t *data, size_t len)
{
	MLEngineState *s;
	uint32		cl;

	if (len < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("engine state bytes are truncated")));
	memcpy(&cl, data, 4);
	if ((size_t) cl > len - 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("engine state bytes are truncated")));
	mlsql_reading_input = true;
	PG_TRY();
	{
		MLEngineConfig *cfg = engine_config_read(data + 4, cl);

		s = engine_state_read(cfg, data + 4 + cl, len - 4 - cl);
	}
	PG_FINALLY();
	{
		mlsql_reading_input = false;
	}
	PG_END_TRY();
	return s;
}

/* ---- the aggregate's state: an expanded object ---- */

typedef struct EngineObj
{
	ExpandedObjectHeader hdr;
	MLEngineState *s;
	MLBuffer	cfg_bytes;
	MLBuffer	flat;
	bool		flat_valid;
} EngineObj;

static void
flat_bytes(EngineObj *e)
{
	if (!e->flat_valid)
	{
		MemoryContext old = MemoryContextSwitchTo(e->hdr.eoh_context);
		uint32		cl;

		if (e->cfg_bytes.len == 0)
			engine_config_write(e->s->cfg, &e->cfg_bytes);
		cl = (uint32) e->cfg_bytes.len;
		buffer_init(&e->flat);
		buffer_put_bytes(&e->flat, &cl, 4);
		buffer_put_bytes(&e->flat, e->cfg_bytes.data, e->cfg_bytes.len);
		engine_state_write(e->s, &e->flat);
		e->flat_valid = true;
		MemoryContextSwitchTo(old);
	}
}

static Size
engine_flat_size(ExpandedObjectHeader *eohptr)
{
	EngineObj  *e = (EngineObj *) eohptr;

	flat_bytes(e);
	return VARHDRSZ + e->flat.len;
}

static void
engine_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	EngineObj  *e = (EngineObj *) eohptr;

	Assert(e->flat_valid && allocated_size == VARHDRSZ + e->flat.len);
	SET_VARSIZE(result, allocated_size);
	memcpy(VARDATA(result), e->flat.data, e->flat.len);
}

static const ExpandedObjectMethods engine_methods = {
	engine_flat_size,
	engine_flatten
};

static EngineObj *
engine_obj_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "mlsql engine state", ALLOCSET_DEFAULT_SIZES);
	EngineObj  *e = MemoryContextAllocZero(cxt, sizeof(EngineObj));
	MemoryContext old;

	EOH_init_header(&e->hdr, &engine_methods, cxt);
	old = MemoryContextSwitchTo(cxt);
	buffer_init(&e->cfg_bytes);
	buffer_init(&e->flat);
	MemoryContextSwitchTo(old);
	return e;
}

/* the state in argument i as our expanded object in aggcxt */
static EngineObj *
engine_arg(FunctionCallInfo fcinfo, int i, MemoryContext aggcxt)
{
	Datum		d = PG_GETARG_DATUM(i);
	EngineObj  *e;
	bytea	   *b;
	MemoryContext old;

	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		e = (EngineObj *) DatumGetEOHP(d);
		if (e->hdr.eoh_methods == &engine_methods)
			return e;
	}
	e = engine_obj_new(aggcxt);
	b = DatumGetByteaPP(d);
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	e->s = read_flat_state((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	MemoryContextSwitchTo(old);
	return e;
}

/* ---- one row's arguments: nums float8[], cats text[], y float8, label text ---- */

typedef struct RowArgs
{
	double	   *num;
	const char **cat;
	size_t	   *len;
	double		y;
	const char *label;
} RowArgs;

static const char *
slot_name(const MLEngineConfig *cfg, MLColKind kind, int slot)
{
	for (int c = 0; c < cfg->n_cols; c++)
		if (cfg->kinds[c] == kind && cfg->slot[c] == slot)
			return cfg->names[c];
	return "?";
}

static void
row_args(FunctionCallInfo fcinfo, int first, const MLEngineConfig *cfg, RowArgs *r)
{
	ArrayType  *a;
	int			n;

	r->num = palloc(sizeof(double) * (cfg->n_num + 1));
	r->cat = palloc(sizeof(char *) * (cfg->n_cat + 1));
	r->len = palloc(sizeof(size_t) * (cfg->n_cat + 1));
	if (PG_ARGISNULL(first) || PG_ARGISNULL(first + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("engine pass values must not be NULL arrays")));
	a = PG_GETARG_ARRAYTYPE_P(first);
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) > 1 || n != cfg->n_num)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("engine pass expects %d numbers per row, got %d", cfg->n_num, n)));
	{
		const double *data = (const double *) ARR_DATA_PTR(a);
		bits8	   *bitmap = ARR_NULLBITMAP(a);

		for (int j = 0, k = 0; j < n; j++)
		{
			if (bitmap && !(bitmap[j / 8] & (1 << (j % 8))))
				r->num[j] = get_float8_nan();
			else
			{
				double		v = data[k++];

				if (!isfinite(v))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("column \"%s\" holds %s", slot_name(cfg, ML_COL_NUMERIC, j),
									isnan(v) ? "NaN" : "an infinite value"),
							 errhint("NULL marks a missing value; filter or replace such values in a query source.")));
				r->num[j] = v;
			}
		}
	}
	a = PG_GETARG_ARRAYTYPE_P(first + 1);
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (ARR_ELEMTYPE(a) != TEXTOID || ARR_NDIM(a) > 1 || n != cfg->n_cat)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("engine pass expects %d categories per row, got %d", cfg->n_cat, n)));
	if (n > 0)
	{
		Datum	   *el;
		bool	   *nulls;
		int			ne;

		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &el, &nulls, &ne);
		for (int j = 0; j < ne; j++)
		{
			r->cat[j] = nulls[j] ? NULL : TextDatumGetCString(el[j]);
			r->len[j] = nulls[j] ? 0 : strlen(r->cat[j]);
		}
	}
	r->y = PG_ARGISNULL(first + 2) ? get_float8_nan() : PG_GETARG_FLOAT8(first + 2);
	r->label = PG_ARGISNULL(first + 3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(first + 3));
	if ((cfg->target == 1 && PG_ARGISNULL(first + 2)) || (cfg->target == 2 && r->label == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the target is NULL in a row of the source"),
				 errhint("Leave such rows out with a query source: SELECT * FROM t WHERE target IS NOT NULL.")));
	if (cfg->target == 1 && !isfinite(r->y))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the target is %s in a row of the source", isnan(r->y) ? "NaN" : "infinite")));
}

static void
check_state_memory(const MLEngineState *s)
{
	if (s->agg && s->agg->kind == ML_AGG_ROWS &&
		(double) agg_memory_next(s->agg) / 1024.0 > (double) mlsql_max_memory_kb)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a partition needs more than mlsql.max_memory (%d kB) after %llu rows",
						mlsql_max_memory_kb, (unsigned long long) s->agg->n),
				 errhint("Use more partitions ({\"partitions\": N}), or raise mlsql.max_memory.")));
}

/* ---- SQL entry points ---- */

PG_FUNCTION_INFO_V1(mlsql_engine_trans);
PG_FUNCTION_INFO_V1(mlsql_engine_combine);
PG_FUNCTION_INFO_V1(mlsql_engine_final);
PG_FUNCTION_INFO_V1(mlsql_engine_bucket);
PG_FUNCTION_INFO_V1(mlsql_raw_num);
PG_FUNCTION_INFO_V1(mlsql_raw_text);
PG_FUNCTION_INFO_V1(mlsql_in_test);

/*
 * mlsql.engine_trans(state, config, nums, cats, y, label): the config is
 * read on a state's first row and kept; one query passes one config.
 */
Datum
mlsql_engine_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt,
				old;
	EngineObj  *e;
	RowArgs		r;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mlsql_engine_trans called outside an aggregate");
	if (PG_ARGISNULL(0))
	{
		bytea	   *cb;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("engine pass config must not be NULL")));
		cb = PG_GETARG_BYTEA_PP(1);
		e = engine_obj_new(aggcxt);
		old = MemoryContextSwitchTo(e->hdr.eoh_context);
		buffer_put_bytes(&e->cfg_bytes, VARDATA_ANY(cb), VARSIZE_ANY_EXHDR(cb));
		e->s = engine_state_new(read_config((const uint8_t *) VARDATA_ANY(cb), VARSIZE_ANY_EXHDR(cb)));
		MemoryContextSwitchTo(old);
	}
	else
		e = engine_arg(fcinfo, 0, aggcxt);
	row_args(fcinfo, 2, e->s->cfg, &r);
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	engine_add(e->s, r.num, r.cat, r.len, r.y, r.label);
	MemoryContextSwitchTo(old);
	check_state_memory(e->s);
	e->flat_valid = false;
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

Datum
mlsql_engine_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt,
				old;
	EngineObj  *e;
	MLEngineState *other;
	bytea	   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mlsql_engine_combine called outside an aggregate");
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(EOHPGetRWDatum(&engine_arg(fcinfo, 0, aggcxt)->hdr));
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(EOHPGetRWDatum(&engine_arg(fcinfo, 1, aggcxt)->hdr));
	e = engine_arg(fcinfo, 0, aggcxt);
	b = PG_GETARG_BYTEA_PP(1);
	other = read_flat_state((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	if (other->cfg->pass != e->s->cfg->pass || other->cfg->p != e->s->cfg->p ||
		other->cfg->n_cols != e->s->cfg->n_cols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("engine states of different passes cannot combine")));
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	engine_merge(e->s, other);
	MemoryContextSwitchTo(old);
	check_state_memory(e->s);
	e->flat_valid = false;
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/*
 * mlsql.engine_final(state): the merged state's bytes; for a ROWS pass,
 * the model of the partition's rows (trained here, one group at a time)
 */
Datum
mlsql_engine_final(PG_FUNCTION_ARGS)
{
	Datum		d;
	MLEngineState *s;
	bytea	   *out;
	MLBuffer	b;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		((EngineObj *) DatumGetEOHP(d))->hdr.eoh_methods == &engine_methods)
	{
		EngineObj  *e = (EngineObj *) DatumGetEOHP(d);

		if (e->s->cfg->pass != ML_PASS_ROWS)
		{
			flat_bytes(e);
			out = palloc(VARHDRSZ + e->flat.len);
			SET_VARSIZE(out, VARHDRSZ + e->flat.len);
			memcpy(VARDATA(out), e->flat.data, e->flat.len);
			PG_RETURN_BYTEA_P(out);
		}
		s = e->s;
	}
	else
	{
		bytea	   *in = DatumGetByteaPP(d);

		s = read_flat_state((const uint8_t *) VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in));
		if (s->cfg->pass != ML_PASS_ROWS)
			PG_RETURN_BYTEA_P(DatumGetByteaPCopy(d));
	}
	/* ROWS: train this partition's model */
	{
		MLModel    *m = agg_finish(s->agg, mlsql_threads);

		buffer_init(&b);
		model_write(m, &b);
		out = palloc(VARHDRSZ + b.len);
		SET_VARSIZE(out, VARHDRSZ + b.len);
		memcpy(VARDATA(out), b.data, b.len);
		PG_RETURN_BYTEA_P(out);
	}
}

/* the config of argument 0, read once while its bytes stay the same */
typedef struct ConfigCache
{
	bytea	   *bytes;
	MLEngineConfig *cfg;
} ConfigCache;

static MLEngineConfig *
config_arg(FunctionCallInfo fcinfo)
{
	ConfigCache *c = fcinfo->flinfo->fn_extra;
	bytea	   *b;
	MemoryContext old;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("engine pass config must not be NULL")));
	b = PG_GETARG_BYTEA_PP(0);
	if (c && VARSIZE_ANY_EXHDR(c->bytes) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(c->bytes), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)) == 0)
		return c->cfg;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c = palloc(sizeof(ConfigCache));
	c->bytes = DatumGetByteaPCopy(PG_GETARG_DATUM(0));
	c->cfg = read_config((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = c;
	return c->cfg;
}

/* mlsql.engine_bucket(config, nums, cats, y, label): the row's partition, -1 for a test row */
Datum
mlsql_engine_bucket(PG_FUNCTION_ARGS)
{
	MLEngineConfig *cfg = config_arg(fcinfo);
	RowArgs		r;

	row_args(fcinfo, 1, cfg, &r);
	PG_RETURN_INT32(engine_bucket(cfg, r.num, r.cat, r.y, r.label));
}

/* mlsql.raw_num(anyelement): a number, bool, date or timestamp as the memory engine reads it */
Datum
mlsql_raw_num(PG_FUNCTION_ARGS)
{
	Oid			t = getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 0));

	if (source_type_class(t, NULL) != SRC_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("mlsql.raw_num reads numbers, booleans, dates and timestamps, not %s",
						format_type_be(t))));
	PG_RETURN_FLOAT8(source_datum_double(PG_GETARG_DATUM(0), t));
}

/* mlsql.raw_text(anyelement): a category as the memory engine reads it (the output function) */
Datum
mlsql_raw_text(PG_FUNCTION_ARGS)
{
	Oid			t = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			out;
	bool		varlena;

	if (!OidIsValid(t))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("mlsql.raw_text cannot tell the type of its argument")));
	getTypeOutputInfo(t, &out, &varlena);
	PG_RETURN_TEXT_P(cstring_to_text(OidOutputFunctionCall(out, PG_GETARG_DATUM(0))));
}

/*
 * ml_in_test(seed, test_size, VARIADIC values): whether a row with these
 * values (the features in the source's order, then the target) is a test
 * row of the aggregate engine's split with this seed and test_size.
 */
Datum
mlsql_in_test(PG_FUNCTION_ARGS)
{
	uint64_t	h;
	double		test_size;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("seed and test_size must not be NULL")));
	test_size = PG_GETARG_FLOAT8(1);
	if (!(test_size >= 0 && test_size < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", test_size)));
	if (get_fn_expr_variadic(fcinfo->flinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ml_in_test takes the row's values as arguments, not an array"),
				 errhint("Write ml_in_test(42, 0.25, x1, x2, city, y).")));
	h = ml_mix64((uint64_t) PG_GETARG_INT64(0));
	for (int i = 2; i < PG_NARGS(); i++)
	{
		Oid			t = get_fn_expr_argtype(fcinfo->flinfo, i);
		SourceClass cls = source_type_class(t, NULL);

		if (cls == SRC_NUMERIC)
			h = ml_row_hash_num(h, PG_ARGISNULL(i) ? get_float8_nan()
								: source_datum_double(PG_GETARG_DATUM(i), getBaseType(t)));
		else if (cls == SRC_CATEGORICAL)
		{
			Oid			out;
			bool		varlena;

			getTypeOutputInfo(t, &out, &varlena);
			h = ml_row_hash_str(h, PG_ARGISNULL(i) ? NULL : OidOutputFunctionCall(out, PG_GETARG_DATUM(i)));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("ml_in_test cannot hash a value of type %s", format_type_be(t)),
					 errhint("Pass the columns the aggregate engine reads: numbers, booleans, dates, timestamps, text and enums.")));
	}
	PG_RETURN_BOOL(ml_split_is_test(h, test_size));
}

/* ==== the host: ml_train with an engine ==== */

typedef struct EngineRun
{
	TrainData  *td;
	const char *engine;			/* "aggregate" or "partitions" */
	char	   *source_sql;		/* the SQL that reads the source */
	char	   *args_sql;		/* nums, cats, y, label expressions over s */
	MLEngineConfig base;		/* columns, split, target */
	int			passes;
	MLFitContext ctx;
	int			partitions;
	double	   *train_counts;	/* per class: training rows */
} EngineRun;

/* the expression that reads column c of s as the memory engine reads it */
static char *
column_expr(const SourceColumn *sc)
{
	const char *q = quote_identifier(sc->name);
	Oid			base = getBaseType(sc->type);

	if (sc->cls == SRC_NUMERIC)
	{
		if (base == BOOLOID)
			return psprintf("s.%s::pg_catalog.int4::pg_catalog.float8", q);
		if (base == DATEOID || base == TIMESTAMPOID || base == TIMESTAMPTZOID)
			return psprintf("mlsql.raw_num(s.%s)", q);
		return psprintf("s.%s::pg_catalog.float8", q);
	}
	if (base == TEXTOID || base == VARCHAROID || base == NAMEOID || type_is_enum(base))
		return psprintf("s.%s::pg_catalog.text", q);
	return psprintf("mlsql.raw_text(s.%s)", q);
}

/* the columns, the target, the split, and the SQL of the pass arguments */
static void
engine_columns(EngineRun *er)
{
	TrainData  *td = er->td;
	SourceData *src = td->src;
	MLEngineConfig *c = &er->base;
	StringInfoData nums,
				cats;
	int			nn = 0,
				nc = 0;

	c->seed = (uint64_t) td->seed;
	c->test_size = td->test_size;
	c->n_cols = src->n_raw;
	c->kinds = palloc(sizeof(MLColKind) * Max(c->n_cols, 1));
	c->names = palloc(sizeof(char *) * Max(c->n_cols, 1));
	c->slot = palloc(sizeof(int) * Max(c->n_cols, 1));
	initStringInfo(&nums);
	initStringInfo(&cats);
	for (int f = 0; f < src->n_cols; f++)
	{
		const SourceColumn *sc = &src->cols[f];
		int			r = sc->first_raw;

		c->kinds[r] = src->raw[r].kind;
		c->names[r] = (char *) src->raw[r].name;
		if (c->kinds[r] == ML_COL_NUMERIC)
		{
			c->slot[r] = nn++;
			appendStringInfo(&nums, "%s%s", nums.len ? ", " : "", column_expr(sc));
		}
		else
		{
			c->slot[r] = nc++;
			appendStringInfo(&cats, "%s%s", cats.len ? ", " : "", column_expr(sc));
		}
	}
	c->n_num = nn;
	c->n_cat = nc;
	c->target = td->target == NULL ? 0 : (src->target_numeric || src->target_bool) ? 1 : 2;
	{
		char	   *y = "NULL::pg_catalog.float8",
				   *label = "NULL::pg_catalog.text";

		if (c->target)
		{
			const char *q = quote_identifier(src->target_name);
			Oid			t = src->target_type;

			if (src->target_bool)
				y = psprintf("s.%s::pg_catalog.int4::pg_catalog.float8", q);
			else if (src->target_numeric)
				y = psprintf("s.%s::pg_catalog.float8", q);
			else if (t == TEXTOID || t == VARCHAROID || t == NAMEOID || type_is_enum(t))
				label = psprintf("s.%s::pg_catalog.text", q);
			else
				label = psprintf("mlsql.raw_text(s.%s)", q);
		}
		er->args_sql = psprintf("ARRAY[%s]::pg_catalog.float8[], ARRAY[%s]::pg_catalog.text[], %s, %s",
								nums.data, cats.data, y, label);
	}
}

/* run one pass; returns the merged state (NULL when the source has no rows) */
static MLEngineState *
run_pass(EngineRun *er, MLEngineConfig *cfg)
{
	MLBuffer	cb;
	bytea	   *param;
	char	   *q;
	SPIPlanPtr	plan;
	SPIExecuteOptions eopt = {0};
	ParamListInfo params;
	bool		isnull;
	Datum		d;
	bytea	   *res;

	buffer_init(&cb);
	engine_config_write(cfg, &cb);
	param = palloc(VARHDRSZ + cb.len);
	SET_VARSIZE(param, VARHDRSZ + cb.len);
	memcpy(VARDATA(param), cb.data, cb.len);
	q = psprintf("SELECT mlsql.engine_pass($1, %s) FROM (%s) s", er->args_sql, er->source_sql);
	plan = SPI_prepare_cursor(q, 1, (Oid[]) {BYTEAOID}, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for an engine pass: %s", SPI_result_code_string(SPI_result));
	params = makeParamList(1);
	params->params[0].value = PointerGetDatum(param);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = BYTEAOID;
	eopt.params = params;
	eopt.read_only = true;
	if (SPI_execute_plan_extended(plan, &eopt) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "engine pass returned no row");
	er->passes++;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	res = DatumGetByteaPP(d);
	{
		uint32		cl;
		const uint8 *data = (const uint8 *) VARDATA_ANY(res);

		memcpy(&cl, data, 4);
		return engine_state_read(cfg, data + 4 + cl, VARSIZE_ANY_EXHDR(res) - 4 - cl);
	}
}

/* the partitions' models: one ROWS pass grouped by bucket, trained by the final function */
static MLModel **
run_partitions(EngineRun *er, MLEngineConfig *cfg, int *n_models)
{
	MLBuffer	cb;
	bytea	   *param;
	char	   *q;
	SPIPlanPtr	plan;
	SPIExecuteOptions eopt = {0};
	ParamListInfo params;
	MLModel   **models;
	int			nest;

	buffer_init(&cb);
	engine_config_write(cfg, &cb);
	param = palloc(VARHDRSZ + cb.len);
	SET_VARSIZE(param, VARHDRSZ + cb.len);
	memcpy(VARDATA(param), cb.data, cb.len);
	q = psprintf("SELECT r.b, mlsql.engine_pass($1, r.nums, r.cats, r.y, r.label) "
				 "FROM (SELECT mlsql.engine_bucket($1, a.nums, a.cats, a.y, a.label) AS b, a.* "
				 "FROM (SELECT %s FROM (%s) s) a(nums, cats, y, label)) r "
				 "WHERE r.b OPERATOR(pg_catalog.>=) 0 GROUP BY r.b ORDER BY r.b",
				 er->args_sql, er->source_sql);
	/* one partition's rows in memory at a time: sorted groups, not a hash table */
	nest = catalog_planner_setting("enable_hashagg", "off");
	plan = SPI_prepare_cursor(q, 1, (Oid[]) {BYTEAOID}, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for an engine pass: %s", SPI_result_code_string(SPI_result));
	params = makeParamList(1);
	params->params[0].value = PointerGetDatum(param);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = BYTEAOID;
	eopt.params = params;
	eopt.read_only = true;
	if (SPI_execute_plan_extended(plan, &eopt) != SPI_OK_SELECT)
		elog(ERROR, "engine partitions pass failed");
	catalog_planner_restore(nest);
	er->passes++;
	*n_models = (int) SPI_processed;
	models = palloc(sizeof(MLModel *) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		bytea	   *b = DatumGetByteaPP(d);

		models[i] = model_read((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	return models;
}

/* a copy of the base config for a pass */
static MLEngineConfig *
pass_config(EngineRun *er, MLEnginePass pass)
{
	MLEngineConfig *c = palloc(sizeof(MLEngineConfig));

	*c = er->base;
	c->pass = pass;
	return c;
}

/*
 * Identifier-like columns, as the memory engine leaves them out (a text
 * column unique per row; an integer column unique per row whose range is
 * at most twice the rows), judged from the sketches of every row: exact
 * while the sketch is, else from the distinct estimate (at least 95% of
 * the rows).  Returns how many went; the columns and raw columns shrink.
 */
static int
leave_out_identifiers_sketched(EngineRun *er, const MLEngineState *st)
{
	SourceData *src = er->td->src;
	uint64		n = st->rows;
	StringInfoData out,
				many;
	int			kept = 0,
				dropped = 0;

	if (n < ID_LIKE_MIN_ROWS)
		return 0;
	initStringInfo(&out);
	initStringInfo(&many);
	for (int f = 0; f < src->n_cols; f++)
	{
		SourceColumn sc = src->cols[f];
		int			r = sc.first_raw;
		int			slot = er->base.slot[r];
		Oid			base = getBaseType(sc.type);
		bool		drop = false;

		if (src->raw[r].kind == ML_COL_CATEGORICAL)
		{
			const MLCatSketch *s = &st->cat_all[slot];
			uint64		d = cat_sketch_distinct(s);

			drop = s->exact ? d == n : (double) d >= 0.95 * (double) n;
			if (!drop && (d > MANY_CATEGORIES || d > n / 2))
				appendStringInfo(&many, "%s%s (%llu values)", many.len ? ", " : "", sc.name,
								 (unsigned long long) d);
		}
		else if (base == INT2OID || base == INT4OID || base == INT8OID)
		{
			const MLNumSketch *s = &st->num_all[slot];
			uint64		d = num_sketch_distinct(s);

			drop = (s->exact ? d == n : (double) d >= 0.95 * (double) n) &&
				s->nulls == 0 && s->max - s->min + 1 <= 2.0 * (double) n;
		}
		if (drop)
		{
			appendStringInfo(&out, "%s%s", out.len ? ", " : "", quote_identifier(sc.name));
			dropped++;
		}
		else
			src->cols[kept++] = sc;
	}
	if (dropped == 0 && many.len == 0)
		return 0;
	if (kept == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source has no feature columns but ones unique per row: %s", out.data),
				 errhint("Name them in features => ARRAY[...] to train on them anyway.")));
	if (dropped)
	{
		MLRawColumn *raw = palloc(sizeof(MLRawColumn) * kept);

		for (int f = 0; f < kept; f++)
		{
			raw[f] = src->raw[src->cols[f].first_raw];
			src->cols[f].first_raw = f;
		}
		src->raw = raw;
		src->n_cols = kept;
		src->n_raw = kept;
		ereport(NOTICE,
				(errmsg("left out column%s unique per row: %s", dropped > 1 ? "s" : "", out.data),
				 errdetail("A value on no other row identifies the row; a model cannot learn from it."),
				 errhint("Name the features to train on them anyway: features => ARRAY[...].")));
	}
	if (many.len)
		ereport(NOTICE,
				(errmsg("text column%s with many categories: %s", strchr(many.data, ',') ? "s" : "", many.data),
				 errdetail("One-hot encoding keeps the %d most frequent categories and folds the rest into one.",
						   ML_DEFAULT_MAX_CATEGORIES),
				 errhint("Leave free text out with features.")));
	return dropped;
}

/* the model's classes from the target's sketch over every row, sorted as build_classes sorts them */
static void
engine_classes(EngineRun *er, const MLEngineState *st)
{
	TrainData  *td = er->td;
	MLModel    *m = td->model;
	MLEngineConfig *c = &er->base;
	size_t		k;

	if (c->target == 1)
	{
		double	   *v;
		uint64_t   *cnt;

		if (!st->y_num_all.exact)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has more than %d distinct values, more than %d classes",
							td->src->target_name, ML_SKETCH_EXACT, MAX_CLASSES),
					 errhint("Use task => 'regression' for a continuous target.")));
		k = num_sketch_values(&st->y_num_all, &v, &cnt);
		if (k > MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has %zu distinct values, more than %d classes",
							td->src->target_name, k, MAX_CLASSES),
					 errhint("Use task => 'regression' for a continuous target.")));
		m->label_type = td->src->target_bool ? ML_LABEL_BOOL : ML_LABEL_NUMERIC;
		m->n_classes = (int) k;
		m->class_values = palloc(sizeof(double) * Max(k, 1));
		m->class_labels = palloc(sizeof(char *) * Max(k, 1));
		for (size_t i = 0; i < k; i++)
		{
			char		buf[32];

			m->class_values[i] = v[i];
			if (td->src->target_bool)
				m->class_labels[i] = pstrdup(v[i] != 0 ? "true" : "false");
			else
			{
				ml_format_double(v[i], buf);
				m->class_labels[i] = pstrdup(buf);
			}
		}
	}
	else
	{
		char	  **cats;
		uint64_t   *cnt;

		if (!st->y_cat_all.exact)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has more than %d classes", td->src->target_name, MAX_CLASSES)));
		k = cat_sketch_ranked(&st->y_cat_all, &cats, &cnt);
		if (k > MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has %zu distinct values, more than %d classes",
							td->src->target_name, k, MAX_CLASSES)));
		m->label_type = ML_LABEL_TEXT;
		m->n_classes = (int) k;
		m->class_labels = palloc(sizeof(char *) * Max(k, 1));
		m->class_values = palloc0(sizeof(double) * Max(k, 1));
		for (size_t i = 0; i < k; i++)
			m->class_labels[i] = pstrdup(cats[i]);
		qsort(m->class_labels, k, sizeof(char *), pg_qsort_strcmp);
		for (size_t i = 0; i < k; i++)
			m->class_values[i] = (double) i;
	}
	if (k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("target column \"%s\" has a single class \"%s\"",
						td->src->target_name, k ? m->class_labels[0] : ""),
				 errhint("Classification needs at least two classes.")));
	c->n_classes = m->n_classes;
	c->class_labels = m->class_labels;
	c->class_values = m->class_values;
	c->label_type = m->label_type;
}

/* per class: the training rows of the class, from the STATS pass */
static double *
train_class_counts(EngineRun *er, const MLEngineState *st, const MLModel *model)
{
	int			k = model->n_classes;
	double	   *freq = palloc0(sizeof(double) * Max(k, 1));

	if (er->base.target == 1)
	{
		double	   *v;
		uint64_t   *cnt;
		size_t		kk = num_sketch_values(&st->y_num_train, &v, &cnt);

		for (size_t i = 0; i < kk; i++)
			for (int c = 0; c < k; c++)
				if (model->class_values[c] == v[i])
					freq[c] = (double) cnt[i];
	}
	else
	{
		char	  **cats;
		uint64_t   *cnt;
		size_t		kk = cat_sketch_ranked(&st->y_cat_train, &cats, &cnt);

		for (size_t i = 0; i < kk; i++)
			for (int c = 0; c < k; c++)
				if (strcmp(model->class_labels[c], cats[i]) == 0)
					freq[c] = (double) cnt[i];
	}
	return freq;
}

/* the baseline: the training rows' mean (regression) or class frequencies */
static MLModel *
engine_baseline(EngineRun *er, const MLEngineState *st, MLModel *model)
{
	MLModel    *b = palloc0(sizeof(MLModel));
	const MLLearner *l = learner_baseline();
	int			k = model->task == ML_CLASSIFICATION ? model->n_classes : 0;
	double	   *value = palloc(sizeof(double) * Max(k, 1));

	*b = *model;
	b->learner = l;
	b->feature_mean = NULL;
	if (k == 0)
		value[0] = num_sketch_count(&st->y_num_train) ? st->y_num_train.mean : 0.0;
	for (int c = 0; c < k; c++)
		value[c] = st->n_train > 0 ? er->train_counts[c] / (double) st->n_train : 1.0 / k;
	b->state = l->from_prior(value, k);
	return b;
}

/* a learner's params as the JSON object agg_new reads: the user's keys less the general ones */
static char *
learner_params_json(const MLLearner *l, Jsonb *params_jb)
{
	StringInfoData b;
	JsonbValue	v;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (int i = 0; l->params[i].name; i++)
		if (params_jb && jsonb_get(params_jb, l->params[i].name, &v))
		{
			Jsonb	   *one;

			one = JsonbValueToJsonb(&v);
			appendStringInfo(&b, "%s\"%s\": %s", first ? "" : ", ", l->params[i].name,
							 JsonbToCString(NULL, &one->root, VARSIZE(one)));
			first = false;
		}
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* feature means and scales (population std, 1 when constant) of a MOMENTS or STATE pass */
static void
moments(const MLEngineState *st, size_t p, double **mean, double **scale)
{
	*mean = palloc(sizeof(double) * Max(p, 1));
	*scale = palloc(sizeof(double) * Max(p, 1));
	for (size_t j = 0; j < p; j++)
	{
		double		sd = st->n_train ? sqrt(st->m2[j] / (double) st->n_train) : 0;

		(*mean)[j] = st->mean[j];
		(*scale)[j] = sd > 0 ? sd : 1.0;
		if (!isfinite((*mean)[j]) || !isfinite(sd))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature %zu has values too large to standardize", j + 1),
					 errhint("Rescale the feature; its values overflow double precision.")));
	}
}

/*
 * Logistic regression by Newton's method, one aggregate pass per step: the
 * pass returns the loss, gradient and Hessian of the memory engine's
 * objective (on standardized features, the same minimizer) at theta; the
 * step solves H d = -g (for k > 2 classes, the intercepts and each
 * feature's weights summed over classes are held at 0, the gauge L-BFGS
 * keeps from its zero start); a step that does not lower the objective
 * enough is halved, at the price of one more pass.  Stops when the largest
 * gradient component (objective / n) is below tol / 1000, or after max_iter
 * steps.
 */
static void *
fit_newton(EngineRun *er, const MLParams *params, const double *mean, const double *scale,
		   uint64 n_train)
{
	TrainData  *td = er->td;
	size_t		p = er->base.p;
	int			k = td->model->n_classes;
	int			K = k == 2 ? 1 : k;
	size_t		q = p + 1,
				d = q * (size_t) K;
	double		alpha = params_get_num(params, "alpha");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol") / 1000.0;
	double	   *theta = palloc0(sizeof(double) * d);
	double	   *trial = palloc0(sizeof(double) * d);
	double	   *step = palloc0(sizeof(double) * d);
	double	   *H = palloc(sizeof(double) * d * d);
	double	   *g = palloc(sizeof(double) * d);
	double		f = INFINITY,
				slope = 0,
				t = 1.0,
				n = (double) n_train;
	MLEngineConfig *cfg = pass_config(er, ML_PASS_NEWTON);
	int			it = 0;
	bool		converged = false;

	if (d > ML_ENGINE_MAX_NEWTON)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logistic regression with %zu weights is beyond the aggregate engine's Newton steps (at most %d)",
						d, ML_ENGINE_MAX_NEWTON),
				 errhint("Train with {\"engine\": \"partitions\"} or the memory engine, or use fewer features or classes.")));
	cfg->mean = (double *) mean;
	cfg->scale = (double *) scale;
	cfg->K = K;
	cfg->class_weight = params_class_weights_counts(params, er->train_counts, k, (double) n_train);
	/* parameter index in theta of class c's entry j (j = p: the intercept) */
#define TIDX(c, j) ((j) < p ? (size_t) (c) * p + (j) : p * (size_t) K + (c))
	for (;;)
	{
		MLEngineState *st;
		double		fnew,
					gmax = 0;

		memcpy(trial, theta, sizeof(double) * d);
		if (it > 0 || isfinite(f))
			for (size_t i = 0; i < d; i++)
				trial[i] = theta[i] + t * step[i];
		cfg->theta = trial;
		st = run_pass(er, cfg);
		fnew = st->loss;
		for (int c = 0; c < K; c++)
			for (size_t j = 0; j < p; j++)
				fnew += alpha / 2.0 * trial[TIDX(c, j)] * trial[TIDX(c, j)];
		if (isfinite(f) && !(fnew <= f + 1e-4 * t * slope) && t > 1e-10)
		{
			t /= 2;				/* backtrack: the same direction, half the step */
			continue;
		}
		/* accept trial */
		memcpy(theta, trial, sizeof(double) * d);
		f = fnew;
		ml_log_metric(&er->ctx, "train", "log_loss", it, st->loss / n);
		mlsql_progress_report("pass", er->passes, 0, "log_loss", st->loss / n);
		/* gradient and Hessian in theta's order, penalty added */
		for (int c = 0; c < K; c++)
			for (size_t j = 0; j < q; j++)
			{
				size_t		a = TIDX(c, j);

				g[a] = st->grad[(size_t) c * q + j] + (j < p ? alpha * theta[a] : 0);
				for (int e = 0; e < K; e++)
					for (size_t i = 0; i < q; i++)
					{
						size_t		row = (size_t) c * q + j,
									col = (size_t) e * q + i,
									bidx = TIDX(e, i);
						double		h = row <= col ? st->hess[col * d + row] : st->hess[row * d + col];

						H[bidx * d + a] = h + (a == bidx && j < p ? alpha : 0);
					}
			}
		for (size_t i = 0; i < d; i++)
			gmax = fmax(gmax, fabs(g[i]) / n);
		if (gmax < tol)
		{
			converged = true;
			break;
		}
		if (it >= max_iter)
			break;
		it++;
		/* the gauge of k > 2: sum over classes of each weight row and of the intercepts stays 0 */
		if (K > 1)
			for (size_t j = 0; j < q; j++)
				for (int c = 0; c < K; c++)
					for (int e = 0; e < K; e++)
						H[TIDX(e, j) * d + TIDX(c, j)] += n / K;
		for (size_t i = 0; i < d; i++)
			step[i] = -g[i];
		if (!linalg_solve_spd(H, step, d))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the logistic loss has no unique minimum on these rows"),
					 errhint("Give a positive \"alpha\" (an L2 penalty); the classes may be separable.")));
		slope = 0;
		for (size_t i = 0; i < d; i++)
			slope += g[i] * step[i];
		t = 1.0;
	}
#undef TIDX
	ml_log_metric(&er->ctx, "train", "n_iter", -1, it);
	ml_log_metric(&er->ctx, "train", "converged", -1, converged ? 1 : 0);
	/* back to the original feature scale */
	{
		double	   *W = palloc(sizeof(double) * Max(p * K, 1));
		double	   *b = palloc(sizeof(double) * K);

		for (int c = 0; c < K; c++)
		{
			double		bc = theta[p * K + c];

			for (size_t j = 0; j < p; j++)
			{
				double		w = theta[(size_t) c * p + j] / scale[j];

				W[(size_t) c * p + j] = w;
				bc -= w * mean[j];
			}
			b[c] = bc;
		}
		return td->learner->from_weights(p, k, W, b);
	}
}

/*
 * k-means: k-means++ with n_init runs on a seeded sample of the training
 * rows (the rows of the ML_ENGINE_SAMPLE smallest hashes: the same sample
 * whatever the plan), then one Lloyd pass per iteration over every row
 * until no center moves by more than tol times the mean feature variance
 * (the memory engine's rule), or max_iter.  A center that loses every row
 * stays where it was.
 */
static void *
fit_lloyd(EngineRun *er, const MLParams *params, const MLEngineState *mom, const double *mean,
		  const double *scale)
{
	TrainData  *td = er->td;
	size_t		p = er->base.p;
	int			k = (int) params_get_num(params, "k");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol"),
				var = 0;
	size_t		ns = mom->n_sample;
	MLEngineConfig *cfg = pass_config(er, ML_PASS_LLOYD);
	double	   *centers;
	int			it = 0;
	bool		converged = false;

	if ((size_t) k > ns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k = %d clusters need at least %d training rows, the source has %zu",
						k, k, ns)));
	for (size_t j = 0; j < p; j++)
		var += scale[j] * scale[j];
	var /= Max(p, 1);
	/* seeding: the memory learner on the sample */
	{
		MLDataset  *d = dataset_create(ns, p, 0);
		MLFitContext ctx = {0};

		for (size_t i = 0; i < ns; i++)
			for (size_t j = 0; j < p; j++)
				d->X[j * ns + i] = mom->sample_x[i * p + j];
		ctx.seed = (uint64_t) td->seed;
		ctx.threads = mlsql_threads;
		centers = palloc(sizeof(double) * (size_t) k * Max(p, 1));
		td->learner->centers(td->learner->fit(d, NULL, params, &ctx), centers);
	}
	cfg->mean = (double *) mean;
	cfg->scale = (double *) scale;
	cfg->k = k;
	for (it = 0; it < max_iter; it++)
	{
		MLEngineState *st;
		double		moved = 0;

		cfg->centers = centers;
		st = run_pass(er, cfg);
		ml_log_metric(&er->ctx, "train", "inertia", it, st->inertia);
		mlsql_progress_report("pass", er->passes, 0, "inertia", st->inertia);
		for (int c = 0; c < k; c++)
		{
			if (st->center_n[c] == 0)
				continue;
			for (size_t j = 0; j < p; j++)
			{
				double		v = st->center_sum[(size_t) c * p + j] / (double) st->center_n[c],
							dv = v - centers[(size_t) c * p + j];

				moved = fmax(moved, dv * dv);
				centers[(size_t) c * p + j] = v;
			}
		}
		if (moved <= tol * var)
		{
			converged = true;
			it++;
			break;
		}
	}
	ml_log_metric(&er->ctx, "train", "n_iter", -1, it);
	ml_log_metric(&er->ctx, "train", "converged", -1, converged ? 1 : 0);
	return td->learner->from_centers(p, k, centers);
}

/* ---- the METRICS pass: the model, the baseline and the live model ---- */

typedef struct EngineArgs
{
	double		live_score;		/* NaN: not scored here */
	bool		live_scored;
	double		auc_bound;		/* the test roc_auc's largest histogram error */
} EngineArgs;

/*
 * The live model scored on the same rows when it reads columns of this
 * source (by name, kind and the conversions of scoring) and has the same
 * task and classes; NULL otherwise.
 */
static MLEngineScored *
live_scored(EngineRun *er, int64 deployed_id, const MLModel *m)
{
	MLModel    *old = model_for_id(deployed_id);
	const MLEngineConfig *c = &er->base;
	MLEngineScored *sc;

	if (old->task != m->task || old->n_classes != m->n_classes)
		return NULL;
	for (int i = 0; i < m->n_classes; i++)
		if (strcmp(old->class_labels[i], m->class_labels[i]) != 0)
			return NULL;
	sc = palloc0(sizeof(MLEngineScored));
	sc->model = old;
	sc->col = palloc(sizeof(int) * Max(old->pipeline->n_cols, 1));
	sc->factor = palloc(sizeof(double) * Max(old->pipeline->n_cols, 1));
	for (int i = 0; i < old->pipeline->n_cols; i++)
	{
		const MLPipeCol *pc = &old->pipeline->cols[i];
		int			found = -1;
		SourceConversion conv = CONV_AS_IS;

		for (int r = 0; r < c->n_cols && found < 0; r++)
			if (strcmp(c->names[r], pc->name) == 0 && c->kinds[r] == pc->kind)
				found = r;
		if (found < 0 || !source_conversion_ok(pc->ctype, er->td->src->raw[found].ctype, &conv))
			return NULL;
		sc->col[i] = found;
		sc->factor[i] = conv == CONV_DAYS_TO_SECONDS ? SECONDS_PER_DAY : 1.0;
	}
	return sc;
}

static void
engine_extras(TrainRecord *r, int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id)
{
	(void) r;
	(void) run_id;
	(void) experiment_id;
	(void) project_id;
	(void) dataset_id;
}

static double
engine_live_score(TrainRecord *r, int64 deployed_id, const char *key, const char **basis)
{
	EngineArgs *a = r->arg;

	if (a->live_scored)
	{
		*basis = "re-scored on the same test rows";
		return a->live_score;
	}
	*basis = "its recorded score (it reads other columns or classes)";
	return catalog_recorded_score(deployed_id, key);
}

/* ---- ml_train's engines ---- */

/* a learner declares the engines that train it (MLLearner.engines) */
static void
check_engine(const MLLearner *l, const char *engine)
{
	uint32		want = strcmp(engine, "partitions") == 0 ? ML_ENGINE_PARTITIONS : ML_ENGINE_AGGREGATE;

	if (!(l->engines & want))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" does not train on the %s engine", l->name, engine),
				 errhint("It trains on the engines: memory%s%s.",
						 (l->engines & ML_ENGINE_AGGREGATE) ? ", aggregate" : "",
						 (l->engines & ML_ENGINE_PARTITIONS) ? ", partitions" : "")));
}

/*
 * engine_train: ml_train with params "engine" set to "aggregate" or
 * "partitions" (see the file header).  td holds ml_train's arguments; the
 * caller is connected to SPI.
 */
void
engine_train(TrainData *td, const char *engine, const char *deploy, bool skip_identical,
			 struct ReturnSetInfo *rsinfo)
{
	EngineRun	er = {0};
	EngineArgs	args = {NAN, false, NAN};
	MLEngineState *stats;
	MLModel    *model,
			   *base_model = NULL;
	MLEngineConfig *cfg;
	TrainRecord r = {0};
	MLBuffer	dataset_js;
	struct timespec t0,
				t1;
	struct rusage ru0,
				ru1;
	bool		partitions = strcmp(engine, "partitions") == 0;
	MemoryContext cxt = CurrentMemoryContext;

	er.td = td;
	er.engine = engine;
	if (td->learner)
		check_engine(td->learner, engine);	/* before any pass */
	train_prepare_front(td);
	if ((td->split_name && strcmp(td->split_name, "random") != 0) || td->split_key || td->split_column)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the %s engine splits by a seeded hash of each row (split \"random\")", engine),
				 errhint("Leave out \"split\", \"split_key\" and \"split_column\", or train with {\"engine\": \"memory\"}.")));
	{
		JsonbValue	v;

		er.partitions = DEFAULT_PARTITIONS;
		if (jsonb_get(td->params_jb, "partitions", &v))
		{
			double		n;

			if (v.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"partitions\" must be an integer")));
			n = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
			if (!partitions)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"partitions\" needs {\"engine\": \"partitions\"}")));
			if (n != floor(n) || n < 1 || n > MAX_PARTITIONS)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"partitions\" must be an integer from 1 to %d, got %g", MAX_PARTITIONS, n)));
			er.partitions = (int) n;
		}
	}

	/* the columns; every pass from one snapshot */
	td->src = source_describe(td->source, td->target, td->features, td->n_features, &er.source_sql);
	if (td->target)
		td->target = td->src->target_name;
	PushActiveSnapshot(GetTransactionSnapshot());
	engine_columns(&er);

	/* 1. STATS; again without the columns that identify rows */
	stats = run_pass(&er, pass_config(&er, ML_PASS_STATS));
	if (stats == NULL || stats->rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source has no rows"),
				 errhint("The query or table gave nothing to train on.")));
	if (td->features == NULL && leave_out_identifiers_sketched(&er, stats) > 0)
	{
		engine_columns(&er);
		stats = run_pass(&er, pass_config(&er, ML_PASS_STATS));
	}
	td->src->n_rows = (size_t) stats->rows;

	/* task, classes, learner: the memory engine's decisions */
	if (er.base.target == 1)
		td->target_distinct = (size_t) num_sketch_distinct(&stats->y_num_all);
	train_decide_task(td);
	model = td->model;
	if (td->task == ML_CLASSIFICATION)
		engine_classes(&er, stats);
	er.base.task = td->task;
	train_decide_learner(td);
	check_engine(td->learner, engine);
	if (stats->n_train < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("training split has %llu rows, at least 2 are needed",
						(unsigned long long) stats->n_train)));
	if (td->task == ML_CLASSIFICATION)
		er.train_counts = train_class_counts(&er, stats, model);

	/* the pipeline from the training rows' sketches */
	{
		SourceData *src = td->src;
		const MLNumSketch **num = palloc0(sizeof(MLNumSketch *) * Max(src->n_raw, 1));
		const MLCatSketch **cat = palloc0(sizeof(MLCatSketch *) * Max(src->n_raw, 1));
		MLPipelineDefaults def = {td->learner->encode ? td->learner->encode : ML_ENCODE_ONEHOT,
		td->learner->scale ? td->learner->scale : ML_SCALE_NONE, td->learner->keep_missing};

		for (int c = 0; c < src->n_raw; c++)
		{
			if (src->raw[c].kind == ML_COL_NUMERIC)
				num[c] = &stats->num_train[er.base.slot[c]];
			else
				cat[c] = &stats->cat_train[er.base.slot[c]];
		}
		model->pipeline = pipeline_from_sketches(src->raw, src->n_raw, td->opts, &def,
												 (const MLNumSketch *const *) num,
												 (const MLCatSketch *const *) cat, model->n_classes);
		model->n_features = model->pipeline->n_out;
		model->feature_names = model->pipeline->out_names;
		report_imputation(model->pipeline);
		er.base.pipeline = model->pipeline;
		er.base.p = model->n_features;
	}

	/* the data version: every row's sketches */
	buffer_init(&dataset_js);
	buffer_printf(&dataset_js, "[");
	for (int c = 0; c < td->src->n_raw; c++)
	{
		MLBuffer	st;

		buffer_init(&st);
		if (td->src->raw[c].kind == ML_COL_NUMERIC)
			num_sketch_json(&stats->num_all[er.base.slot[c]], td->src->raw[c].name, &st);
		else
			cat_sketch_json(&stats->cat_all[er.base.slot[c]], td->src->raw[c].name, &st);
		buffer_printf(&dataset_js, "%s{\"type\": ", c ? ", " : "");
		buffer_json_str(&dataset_js, format_type_be(td->src->cols[c].type));
		buffer_printf(&dataset_js, ", \"role\": \"feature\", ");
		buffer_put_bytes(&dataset_js, st.data + 1, st.len - 1);
	}
	if (td->target)
	{
		MLBuffer	st;

		buffer_init(&st);
		if (er.base.target == 1)
			num_sketch_json(&stats->y_num_all, td->target, &st);
		else
			cat_sketch_json(&stats->y_cat_all, td->target, &st);
		buffer_printf(&dataset_js, ", {\"type\": ");
		buffer_json_str(&dataset_js, format_type_be(td->src->target_type));
		buffer_printf(&dataset_js, ", \"role\": \"target\", ");
		buffer_put_bytes(&dataset_js, st.data + 1, st.len - 1);
	}
	buffer_printf(&dataset_js, "]");

	/* 2. the fit */
	er.ctx.seed = (uint64_t) td->seed;
	er.ctx.threads = mlsql_threads;
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (partitions)
	{
		int			n_models;
		MLModel   **models;

		cfg = pass_config(&er, ML_PASS_ROWS);
		cfg->algorithm = (char *) td->learner->name;
		cfg->params = learner_params_json(td->learner, td->params_jb);
		/* every random choice of the partitions' learners flows from ml_train's seed */
		cfg->params = psprintf("%.*s%s\"seed\": " INT64_FORMAT "}", (int) strlen(cfg->params) - 1,
							   cfg->params, strlen(cfg->params) > 2 ? ", " : "", td->seed);
		cfg->buckets = er.partitions;
		models = run_partitions(&er, cfg, &n_models);
		if (n_models == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("no partition has training rows")));
		for (int i = 0; i < n_models; i++)
			if (models[i]->n_classes != model->n_classes)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("partition %d of %d has %d of the %d classes", i + 1, n_models,
								models[i]->n_classes, model->n_classes),
						 errhint("Use fewer partitions ({\"partitions\": N}), so that every partition sees every class.")));
		model->learner = ensemble_voting_learner();
		model->state = ensemble_average(models, n_models, model->n_features, model->n_classes);
		ml_log_metric(&er.ctx, "train", "partitions", -1, n_models);
	}
	else
	{
		switch (td->learner->agg_fit)
		{
			case ML_AGGFIT_LEAST_SQUARES:
			case ML_AGGFIT_GAUSSIAN_NB:
			case ML_AGGFIT_PRIOR:
				{
					MLEngineState *st;
					MLModel    *m;

					cfg = pass_config(&er, ML_PASS_STATE);
					cfg->algorithm = (char *) td->learner->name;
					cfg->params = learner_params_json(td->learner, td->params_jb);
					{
						/* an option the sums cannot carry (class_weight) needs the rows */
						MLAggState *probe = agg_new(cfg->algorithm, cfg->params, td->task,
													td->task == ML_CLASSIFICATION ? model->label_type : ML_LABEL_NONE);

						if (probe->kind == ML_AGG_ROWS)
							ereport(ERROR,
									(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									 errmsg("algorithm \"%s\" with these params does not train on the aggregate engine", td->learner->name),
									 errhint("Its options beyond the exact sums (such as class_weight) need the memory or partitions engine.")));
					}
					st = run_pass(&er, cfg);
					m = agg_finish(st->agg, mlsql_threads);
					model->state = m->state;
					model->feature_mean = palloc(sizeof(double) * Max(model->n_features, 1));
					memcpy(model->feature_mean, st->mean, sizeof(double) * model->n_features);
					break;
				}
			case ML_AGGFIT_GRAM:
			case ML_AGGFIT_NEWTON:
			case ML_AGGFIT_LLOYD:
				{
					MLEngineState *mom,
							   *st;
					double	   *mean,
							   *scale;

					cfg = pass_config(&er, ML_PASS_MOMENTS);
					if (td->learner->agg_fit == ML_AGGFIT_LLOYD)
						cfg->k = (int) params_get_num(td->params, "k");
					mom = run_pass(&er, cfg);
					moments(mom, er.base.p, &mean, &scale);
					model->feature_mean = mean;
					if (td->learner->agg_fit == ML_AGGFIT_GRAM)
					{
						cfg = pass_config(&er, ML_PASS_GRAM);
						cfg->mean = mean;
						cfg->scale = scale;
						cfg->y_mean = stats->y_num_train.mean;
						st = run_pass(&er, cfg);
						model->state = td->learner->fit_gram(st->gram, st->gram_y, mean, stats->y_num_train.mean,
															 er.base.p, st->n_train, td->params, &er.ctx);
					}
					else if (td->learner->agg_fit == ML_AGGFIT_NEWTON)
						model->state = fit_newton(&er, td->params, mean, scale, mom->n_train);
					else
						model->state = fit_lloyd(&er, td->params, mom, mean, scale);
					break;
				}
			case ML_AGGFIT_NONE:
				elog(ERROR, "learner \"%s\" has no aggregate fit", td->learner->name);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	model->learner = partitions ? ensemble_voting_learner() : td->learner;

	/* 3. METRICS: the model, the baseline and the live model on both splits */
	if (td->target)
		base_model = engine_baseline(&er, stats, model);
	cfg = pass_config(&er, ML_PASS_METRICS);
	{
		int			n = 0;
		int64		deployed_id = 0;
		MLEngineScored *live = NULL;
		MLEngineState *st;
		int		   *ident = palloc(sizeof(int) * Max(er.base.n_cols, 1));
		double	   *one = palloc(sizeof(double) * Max(er.base.n_cols, 1));

		for (int c = 0; c < er.base.n_cols; c++)
		{
			ident[c] = c;
			one[c] = 1.0;
		}
		cfg->scored[n].model = model;
		cfg->scored[n].col = ident;
		cfg->scored[n++].factor = one;
		if (base_model)
		{
			cfg->scored[n].model = base_model;
			cfg->scored[n].col = ident;
			cfg->scored[n++].factor = one;
		}
		if (td->project_id != 0)
			deployed_id = catalog_deployed_model(td->project_id);
		if (deployed_id != 0 && strcmp(deploy, "if_better") == 0)
			live = live_scored(&er, deployed_id, model);
		if (live)
			cfg->scored[n++] = *live;
		cfg->n_scored = n;
		st = run_pass(&er, cfg);
		engine_metrics(st, 0, 0, &r.m_train);
		engine_metrics(st, 0, 1, &r.m_test);
		if (base_model)
		{
			engine_metrics(st, 1, 0, &r.b_train);
			engine_metrics(st, 1, 1, &r.b_test);
		}
		if (st->n_test == 0)
		{
			r.m_test = r.m_train;
			r.b_test = r.b_train;
			ereport(NOTICE,
					(errmsg("test_size is 0: metrics describe the training data")));
		}
		if (live)
		{
			MLMetricSet lm;
			const char *key = catalog_project_metric(td->project_id);

			engine_metrics(st, n - 1, st->n_test > 0 ? 1 : 0, &lm);
			args.live_score = metrics_get(&lm, key ? key : metrics_key(td->task));
			args.live_scored = true;
		}
		if (td->task == ML_CLASSIFICATION && st->n_test > 0)
		{
			double		worst = 0;

			for (int c = (model->n_classes == 2 ? 1 : 0); c < model->n_classes; c++)
			{
				double		bound;

				(void) engine_auc(&st->acc[0][1], c, &bound);
				worst = fmax(worst, bound);
			}
			ml_log_metric(&er.ctx, "test", "roc_auc_max_error", -1, worst);
		}
		r.n_train = (size_t) st->n_train;
		r.n_test = (size_t) st->n_test;
		r.test_fp = psprintf("%016llx", (unsigned long long) (st->n_test > 0 ? stats->test_fp : stats->train_fp));
	}
	PopActiveSnapshot();
	ml_log_metric(&er.ctx, "train", "passes", -1, er.passes);

	/* the model's bytes, read back before they reach the catalog */
	buffer_init(&r.bytes);
	model_write(model, &r.bytes);
	(void) model_read(r.bytes.data, r.bytes.len);

	r.project = td->project;
	r.source = td->source;
	r.target = td->target;
	r.deploy = deploy;
	r.split_name = "random";
	r.learner = partitions ? ensemble_voting_learner() : td->learner;
	r.task = td->task;
	r.params_jb = td->params_jb;
	r.params = td->params;
	r.src = td->src;
	r.test_size = td->test_size;
	r.seed = td->seed;
	r.skip_identical = skip_identical;
	r.model = model;
	r.base_model = base_model;
	r.n_rows_total = (int64) stats->rows;
	r.dataset_js = dataset_js;
	r.fingerprint = stats->fingerprint;
	r.train_seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	r.peak_bytes = (double) MemoryContextMemAllocated(cxt, true);
	r.cpu_user = (double) (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		(double) (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
	r.cpu_system = (double) (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		(double) (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	r.ctx = &er.ctx;
	r.target_info = td->target_info;
	r.extras = engine_extras;
	r.live_score = engine_live_score;
	r.arg = &args;
	train_record(&r, rsinfo);
}
