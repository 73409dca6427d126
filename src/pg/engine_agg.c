/*-------------------------------------------------------------------------
 *
 * engine_agg.c
 *	  The aggregate of ml_train's aggregate and partitions engines:
 *	  mlsql.engine_pass's transition, combine and final functions over
 *	  engine states (core/engine.h), and the SQL helpers a pass query calls
 *	  (engine_bucket, raw_num, raw_text, ml_in_test).  The host that runs
 *	  the passes is engine.c.
 *
 * States are expanded objects in the aggregate's memory context while the
 * aggregate runs, flattened to bytea between workers; bytes read back are
 * checked (a state from elsewhere is input, not trusted).  A pass reads
 * each row as the memory engine reads it.
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
#include "pg/mlsql_pg.h"
#include "pg/source.h"


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
