/*-------------------------------------------------------------------------
 *
 * params.c
 *	  Parameters as jsonb: the keys ml_train reads for itself, the
 *	  preprocessing options, and a learner's validated parameters; and
 *	  jsonb values built from JSON text.
 *
 * Every check errors with the key it is about; nothing here reads data or
 * the catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "ensemble/ensemble.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/source.h"


/* keys of params that configure ml_train itself, not the learner */
static const char *const general_keys[] = {"preprocess", "split", "split_key", "split_column", "retarget",
"skip_identical", "engine", "partitions", NULL};

static bool
reserved_key(const char *key)
{
	for (int i = 0; general_keys[i]; i++)
		if (strcmp(key, general_keys[i]) == 0)
			return true;
	return false;
}

/*
 * An unknown top-level key of params is an error that lists both kinds of
 * key: the learner's parameters and the general ones.
 */
void
check_param_keys(const MLLearner *l, Jsonb *params)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (params == NULL || !JB_ROOT_IS_OBJECT(params) || JB_ROOT_IS_SCALAR(params))
		return;
	it = JsonbIteratorInit(&params->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		bool		known = false;
		StringInfoData h;

		if (tok == WJB_BEGIN_OBJECT)
			depth++;
		else if (tok == WJB_END_OBJECT)
			depth--;
		if (tok != WJB_KEY || depth != 1)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		known = reserved_key(key);
		for (int i = 0; !known && l->params[i].name; i++)
			known = strcmp(l->params[i].name, key) == 0;
		if (known)
			continue;
		initStringInfo(&h);
		for (int i = 0; l->params[i].name; i++)
			appendStringInfo(&h, "%s%s", i ? ", " : "", l->params[i].name);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown parameter \"%s\" for algorithm \"%s\"", key, l->name),
				 errhint("Parameters of %s: %s. General keys: preprocess, split, split_key, split_column, retarget, skip_identical, engine, partitions.",
						 l->name, h.len ? h.data : "none")));
	}
}

/* params->key as a JsonbValue (jbvBinary for containers), or false */
bool
jsonb_get(Jsonb *jb, const char *key, JsonbValue *out)
{
	JsonbValue	k;
	JsonbValue *v;

	if (jb == NULL || !JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		return false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL)
		return false;
	*out = *v;
	return true;
}

char *
jsonb_string_option(Jsonb *jb, const char *key, const char *hint)
{
	JsonbValue	v;

	if (!jsonb_get(jb, key, &v))
		return NULL;
	if (v.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a string", key),
				 errhint("%s", hint)));
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static int
choice(const char *what, const char *value, const char *const *names, int n, const char *hint)
{
	for (int i = 1; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", what, value),
			 errhint("%s", hint)));
	return 0;
}

/*
 * One preprocess entry ({"impute": ..., "encode": ..., ...}) applied on top
 * of *o.
 */
static void
apply_preprocess_entry(const char *column, JsonbContainer *entry, MLColumnOptions *o)
{
	static const char *const impute[] = {"default", "mean", "median", "mode", "constant",
	"indicator", "error", "missing"};
	static const char *const encode[] = {"default", "onehot", "ordinal", "target"};
	static const char *const scale[] = {"default", "none", "standard", "minmax"};
	JsonbIterator *it = JsonbIteratorInit(entry);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "value") == 0)
		{
			o->has_value = true;
			if (v.type == jbvNumeric)
			{
				o->value_num = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																  NumericGetDatum(v.val.numeric)));
				o->value_str = NULL;
			}
			else if (v.type == jbvString)
				o->value_str = pnstrdup(v.val.string.val, v.val.string.len);
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("preprocess \"value\" of column \"%s\" must be a number or a string", column)));
			continue;
		}
		if (strcmp(key, "max_categories") == 0)
		{
			double		m = v.type == jbvNumeric
				? DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													 NumericGetDatum(v.val.numeric))) : -1;

			if (m < 1 || m > 100000 || m != floor(m))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("preprocess \"max_categories\" of column \"%s\" must be an integer in 1 .. 100000", column)));
			o->max_categories = (int) m;
			continue;
		}
		if (strcmp(key, "impute") != 0 && strcmp(key, "encode") != 0 && strcmp(key, "scale") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown preprocess option \"%s\" for column \"%s\"", key, column),
					 errhint("Valid options: impute, value, encode, max_categories, scale.")));
		if (v.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("preprocess \"%s\" of column \"%s\" must be a string", key, column)));
		{
			char	   *val = pnstrdup(v.val.string.val, v.val.string.len);

			if (strcmp(key, "impute") == 0)
				o->impute = choice("impute", val, impute, 8,
								   "Use mean, median, mode, constant, indicator, error or missing.");
			else if (strcmp(key, "encode") == 0)
				o->encode = choice("encode", val, encode, 4, "Use onehot, ordinal or target.");
			else
				o->scale = choice("scale", val, scale, 4, "Use standard, minmax or none.");
		}
	}
}

/*
 * Per raw column options from params->preprocess: "*" first, then the
 * column's own entry (by source column name, or an array element's name).
 */
MLColumnOptions *
column_options(Jsonb *params, const SourceData *src)
{
	MLColumnOptions *opts = palloc0(sizeof(MLColumnOptions) * Max(src->n_raw, 1));
	JsonbValue	pv;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (!jsonb_get(params, "preprocess", &pv))
		return opts;
	if (pv.type != jbvBinary || !JsonContainerIsObject(pv.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"preprocess\" must be a JSON object"),
				 errhint("For example {\"preprocess\": {\"*\": {\"impute\": \"median\"}, \"city\": {\"encode\": \"target\"}}}.")));
	/* two passes: "*" then named columns */
	for (int pass = 0; pass < 2; pass++)
	{
		it = JsonbIteratorInit(pv.val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			bool		star;
			bool		matched = false;

			if (tok == WJB_KEY)
			{
				key = pnstrdup(v.val.string.val, v.val.string.len);
				continue;
			}
			if (tok != WJB_VALUE)
				continue;
			star = strcmp(key, "*") == 0;
			if (star != (pass == 0))
				continue;
			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("preprocess entry \"%s\" must be a JSON object", key)));
			for (int r = 0; r < src->n_raw; r++)
				if (star || strcmp(src->raw[r].source, key) == 0 || strcmp(src->raw[r].name, key) == 0)
				{
					MLColumnOptions save = opts[r];

					matched = true;
					/* "*" skips options that cannot apply to a column's kind */
					apply_preprocess_entry(key, v.val.binary.data, &opts[r]);
					if (star)
					{
						bool		numeric = src->raw[r].kind == ML_COL_NUMERIC;

						if (numeric && (opts[r].impute == ML_IMPUTE_MISSING))
							opts[r].impute = save.impute;
						if (!numeric && (opts[r].impute == ML_IMPUTE_MEAN ||
										 opts[r].impute == ML_IMPUTE_MEDIAN ||
										 opts[r].impute == ML_IMPUTE_INDICATOR))
							opts[r].impute = save.impute;
						if (numeric)
							opts[r].encode = save.encode;
						else
							opts[r].scale = save.scale;
						if (opts[r].has_value && (numeric != (opts[r].value_str == NULL)))
						{
							opts[r].has_value = save.has_value;
							opts[r].value_num = save.value_num;
							opts[r].value_str = save.value_str;
						}
					}
				}
			if (!matched && !star)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("preprocess names column \"%s\", which is not a feature", key),
						 errhint("Keys of \"preprocess\" are feature column names, or \"*\" for all.")));
		}
	}
	return opts;
}

/* a JSON object as a map parameter; values that are not numbers become NaN */
static void
map_from_jsonb(JsonbContainer *obj, MLParamValue *p)
{
	int			cap = JsonContainerSize(obj);
	const char **keys = palloc0(sizeof(char *) * (cap + 1));
	double	   *vals = palloc0(sizeof(double) * (cap + 1));
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY && n < cap)
			keys[n] = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE && n < cap)
			vals[n++] = v.type == jbvNumeric
				? DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													 NumericGetDatum(v.val.numeric)))
				: get_float8_nan();
	}
	p->kind = ML_VALUE_MAP;
	p->n_map = n;
	p->map_keys = keys;
	p->map_vals = vals;
}

MLParams *
params_from_jsonb(const MLLearner *learner, Jsonb *params)
{
	MLParamValue *vals;
	size_t		n = 0;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (params == NULL)
		return params_resolve(learner->name, learner->params, NULL, 0);
	if (!JB_ROOT_IS_OBJECT(params) || JB_ROOT_IS_SCALAR(params))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object"),
				 errhint("For example: '{\"alpha\": 0.5}'.")));
	vals = palloc0(sizeof(MLParamValue) * (JsonContainerSize(&params->root) + 1));
	it = JsonbIteratorInit(&params->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			MLParamValue *p;

			if (reserved_key(key))
				continue;		/* preprocessing and split options */
			p = &vals[n++];

			p->name = key;
			switch (v.type)
			{
				case jbvNumeric:
					p->kind = ML_VALUE_NUMBER;
					p->num = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																NumericGetDatum(v.val.numeric)));
					break;
				case jbvBool:
					p->kind = ML_VALUE_BOOL;
					p->num = v.val.boolean ? 1 : 0;
					break;
				case jbvString:
					p->kind = ML_VALUE_STRING;
					p->str = pnstrdup(v.val.string.val, v.val.string.len);
					break;
				case jbvBinary:
					if (JsonContainerIsObject(v.val.binary.data))
						map_from_jsonb(v.val.binary.data, p);
					else
						p->kind = ML_VALUE_OTHER;
					p->json = JsonbToCString(NULL, v.val.binary.data, v.val.binary.len);
					break;
				default:
					p->kind = ML_VALUE_OTHER;
					break;
			}
		}
	}
	return params_resolve(learner->name, learner->params, vals, n);
}

Datum
jsonb_datum(MLBuffer *b)
{
	return json_text_to_jsonb((const char *) b->data, b->len);
}

/* params "engine": memory (the default), aggregate or partitions */
char *
train_engine(Jsonb *params_jb)
{
	char	   *engine = jsonb_string_option(params_jb, "engine", "Use \"memory\", \"aggregate\" or \"partitions\".");

	if (engine == NULL)
		return "memory";
	if (strcmp(engine, "memory") != 0 && strcmp(engine, "aggregate") != 0 && strcmp(engine, "partitions") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid engine \"%s\"", engine),
				 errhint("Use \"memory\" (rows read into this backend), \"aggregate\" (passes of SQL aggregates) or \"partitions\" (one model per partition).")));
	return engine;
}
