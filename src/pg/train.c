/*-------------------------------------------------------------------------
 *
 * train.c
 *	  ml_train: read a source, split it, fit a learner, evaluate it against
 *	  the baseline, and record everything in the mlsql catalog.
 *
 * The whole training runs inside one SPI connection; its procedure memory
 * context holds the data, the model and every temporary, and SPI_finish (or
 * the transaction's abort on error) frees them all.  Catalog rows are
 * written at the end, in the caller's transaction: an error anywhere leaves
 * nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"

#include <math.h>
#include <sys/resource.h>
#include <time.h>

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
#include "pg/mlsql_pg.h"


PG_FUNCTION_INFO_V1(mlsql_train);

/* ---- parameters ---- */

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
static void
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
static MLColumnOptions *
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

/* ---- labels ---- */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* distinct values of a numeric target, sorted; returns the count */
static size_t
distinct_numbers(const double *y, size_t n, double **out)
{
	double	   *v = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	size_t		k = 0;

	memcpy(v, y, n * sizeof(double));
	qsort(v, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	*out = v;
	return k;
}

/*
 * Fill the model's class labels from the target and turn y into class
 * indexes.  Numeric labels sort numerically, bool labels false < true, text
 * labels by byte order.
 */
static void
build_classes(SourceData *src, MLModel *m, double *y)
{
	size_t		n = src->n_rows;
	size_t		k;

	if (src->y_text == NULL)
	{
		double	   *vals;
		char		buf[64];

		k = distinct_numbers(src->y_num, n, &vals);
		if (k > MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has %zu distinct values, more than %d classes",
							src->target_name, k, MAX_CLASSES),
					 errhint("Use task => 'regression' for a continuous target.")));
		m->label_type = src->target_bool ? ML_LABEL_BOOL : ML_LABEL_NUMERIC;
		m->n_classes = (int) k;
		m->class_values = palloc(sizeof(double) * Max(k, 1));
		m->class_labels = palloc(sizeof(char *) * Max(k, 1));
		for (size_t c = 0; c < k; c++)
		{
			SourceData	one = *src;

			one.y_num = &vals[c];
			m->class_values[c] = vals[c];
			m->class_labels[c] = pstrdup(source_label(&one, 0, buf, sizeof(buf)));
		}
		for (size_t i = 0; i < n; i++)
		{
			double	   *hit = bsearch(&src->y_num[i], vals, k, sizeof(double), cmp_double);

			y[i] = (double) (hit - vals);
		}
	}
	else
	{
		char	  **v = palloc_extended(Max(n, 1) * sizeof(char *), MCXT_ALLOC_HUGE);

		memcpy(v, src->y_text, n * sizeof(char *));
		qsort(v, n, sizeof(char *), cmp_cstring);
		k = 0;
		for (size_t i = 0; i < n; i++)
			if (k == 0 || strcmp(v[i], v[k - 1]) != 0)
				v[k++] = v[i];
		if (k > MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has %zu distinct values, more than %d classes",
							src->target_name, k, MAX_CLASSES)));
		for (size_t c = 0; c < k; c++)
			if (strlen(v[c]) > ML_MAX_NAME * 16)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("class label of %zu bytes in target column \"%s\" exceeds the limit of %d bytes",
								strlen(v[c]), src->target_name, ML_MAX_NAME * 16)));
		m->label_type = ML_LABEL_TEXT;
		m->n_classes = (int) k;
		m->class_labels = v;
		m->class_values = palloc0(sizeof(double) * Max(k, 1));
		for (size_t c = 0; c < k; c++)
			m->class_values[c] = (double) c;
		for (size_t i = 0; i < n; i++)
		{
			char	  **hit = bsearch(&src->y_text[i], v, k, sizeof(char *), cmp_cstring);

			y[i] = (double) (hit - v);
		}
	}
	if (k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("target column \"%s\" has a single class \"%s\"",
						src->target_name, m->class_labels[0]),
				 errhint("Classification needs at least two classes.")));
}

/* distinct values of a numeric target: given (the aggregate engine's sketch), or counted */
static size_t
target_distinct(TrainData *td)
{
	double	   *vals;

	if (td->target_distinct == 0)
		td->target_distinct = distinct_numbers(td->src->y_num, td->src->n_rows, &vals);
	return td->target_distinct;
}

/* classification when the target is bool / text, or integer with few values */
static MLTask
infer_task(TrainData *td)
{
	Oid			t = td->src->target_type;

	if (!td->src->target_numeric)
		return ML_CLASSIFICATION;
	if ((t == INT2OID || t == INT4OID || t == INT8OID) && target_distinct(td) <= CLASSIFY_MAX_DISTINCT)
		return ML_CLASSIFICATION;
	return ML_REGRESSION;
}

static int
cmp_cstr_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* distinct non-NULL values of a raw column (strings by content, numbers by value) */
static size_t
raw_distinct(const MLRawColumn *rc, size_t n, double *min, double *max)
{
	size_t		k = 0,
				d = 0;

	*min = INFINITY;
	*max = -INFINITY;
	if (rc->kind == ML_COL_CATEGORICAL)
	{
		char	  **v = palloc_extended(Max(n, 1) * sizeof(char *), MCXT_ALLOC_HUGE);

		for (size_t i = 0; i < n; i++)
			if (rc->str[i])
				v[k++] = rc->str[i];
		qsort(v, k, sizeof(char *), cmp_cstr_ptr);
		for (size_t i = 0; i < k; i++)
			d += i == 0 || strcmp(v[i], v[i - 1]) != 0;
		pfree(v);
	}
	else
	{
		double	   *v = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);

		for (size_t i = 0; i < n; i++)
			if (!isnan(rc->num[i]))
				v[k++] = rc->num[i];
		qsort(v, k, sizeof(double), cmp_double);
		for (size_t i = 0; i < k; i++)
			d += i == 0 || v[i] != v[i - 1];
		if (k > 0)
		{
			*min = v[0];
			*max = v[k - 1];
		}
		pfree(v);
	}
	return d;
}

/*
 * With features => NULL, a column whose value is different on every row
 * names the row instead of describing it (an id, an email): it cannot
 * generalize, and one-hot encoding it only memorizes.  Such columns are
 * left out with a NOTICE that names them: text and enum columns with a
 * value per row, and integer columns that are a near-sequence of distinct
 * values (keys).  Text columns with very many categories stay, with a
 * NOTICE.  Named features are always kept.
 */

static void
leave_out_identifiers(SourceData *src)
{
	size_t		n = src->n_rows;
	StringInfoData out,
				many;
	int			kept = 0,
				r = 0;
	SourceColumn *cols = src->cols;
	MLRawColumn *raw = src->raw;

	if (n < ID_LIKE_MIN_ROWS)
		return;
	initStringInfo(&out);
	initStringInfo(&many);
	for (int f = 0; f < src->n_cols; f++)
	{
		SourceColumn sc = cols[f];
		int			width = sc.cls == SRC_ARRAY ? sc.array_len : 1;
		bool		drop = false;

		if (sc.cls != SRC_ARRAY)
		{
			MLRawColumn *rc = &raw[sc.first_raw];
			Oid			base = getBaseType(sc.type);
			double		lo,
						hi;
			size_t		d = raw_distinct(rc, n, &lo, &hi);

			if (rc->kind == ML_COL_CATEGORICAL && d == n)
				drop = true;
			else if ((base == INT2OID || base == INT4OID || base == INT8OID) && d == n &&
					 hi - lo + 1 <= 2.0 * n)
				drop = true;
			else if (rc->kind == ML_COL_CATEGORICAL && (d > MANY_CATEGORIES || d > n / 2))
				appendStringInfo(&many, "%s%s (%zu values)", many.len ? ", " : "", sc.name, d);
		}
		if (drop)
			appendStringInfo(&out, "%s%s", out.len ? ", " : "", quote_identifier(sc.name));
		else
		{
			/* compact: keep the column and its raw columns */
			sc.first_raw = r;
			for (int e = 0; e < width; e++)
				src->raw[r++] = raw[cols[f].first_raw + e];
			src->cols[kept++] = sc;
		}
	}
	if (out.len == 0 && many.len == 0)
		return;
	if (kept == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source has no feature columns but ones unique per row: %s", out.data),
				 errhint("Name them in features => ARRAY[...] to train on them anyway.")));
	src->n_cols = kept;
	src->n_raw = r;
	if (out.len)
		ereport(NOTICE,
				(errmsg("left out column%s unique per row: %s", strchr(out.data, ',') ? "s" : "", out.data),
				 errdetail("A value on no other row identifies the row; a model cannot learn from it."),
				 errhint("Name the features to train on them anyway: features => ARRAY[...].")));
	if (many.len)
		ereport(NOTICE,
				(errmsg("text column%s with many categories: %s", strchr(many.data, ',') ? "s" : "", many.data),
				 errdetail("One-hot encoding keeps the %d most frequent categories and folds the rest into one.",
						   ML_DEFAULT_MAX_CATEGORIES),
				 errhint("Leave free text out with features, or use {\"preprocess\": {\"column\": {\"encode\": \"target\"}}}.")));
}

/* the one supervised task a learner does, or -1 when it does both */
static int
learner_only_task(const MLLearner *l)
{
	bool		r = l && (l->tasks & ML_TASK_BIT(ML_REGRESSION)),
				c = l && (l->tasks & ML_TASK_BIT(ML_CLASSIFICATION));

	if (r && !c)
		return ML_REGRESSION;
	if (c && !r)
		return ML_CLASSIFICATION;
	return -1;
}

/*
 * The task of a training, in this order: task => '...' when given (it must
 * agree with the algorithm); the algorithm's when it does only one
 * (linear, lasso, elastic_net regress; logistic, naive_bayes, svm
 * classify); the project's when it has one; else inferred from the
 * target, with a NOTICE when the target is an integer (a few distinct
 * values classify, many regress).  A text
 * target never regresses; a classifier named on a continuous target is an
 * error unless task => 'classification' says so.
 */
static MLTask
resolve_task(TrainData *td)
{
	SourceData *src = td->src;
	const MLLearner *l = td->learner;
	int			only = learner_only_task(l);
	MLTask		task;

	if (td->unsupervised)
	{
		task = (l->tasks & ML_TASK_BIT(ML_CLUSTERING)) ? ML_CLUSTERING : ML_ANOMALY;
		if (td->task_arg && strcmp(td->task_arg, ml_task_name(task)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" does %s, not %s", l->name, ml_task_name(task), td->task_arg)));
		return task;
	}
	if (td->task_arg && (strcmp(td->task_arg, "clustering") == 0 || strcmp(td->task_arg, "anomaly") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("task \"%s\" needs algorithm %s", td->task_arg,
						learner_names_for(strcmp(td->task_arg, "clustering") == 0 ? ML_CLUSTERING : ML_ANOMALY))));
	if (td->task_arg)
	{
		task = strcmp(td->task_arg, "regression") == 0 ? ML_REGRESSION : ML_CLASSIFICATION;
		if (only >= 0 && (MLTask) only != task)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" does %s, not %s", l->name, ml_task_name((MLTask) only),
							td->task_arg),
					 errhint("Algorithms for %s: %s.", td->task_arg, learner_names_for(task))));
	}
	else if (only >= 0)
	{
		task = (MLTask) only;
		if (task == ML_CLASSIFICATION && src->target_numeric && src->target_type != INT2OID &&
			src->target_type != INT4OID && src->target_type != INT8OID)
		{
			size_t		k = target_distinct(td);

			if (k > CLASSIFY_MAX_DISTINCT)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("algorithm \"%s\" classifies, and target \"%s\" is a continuous %s with %zu distinct values",
								l->name, src->target_name, format_type_be(src->target_type), k),
						 errhint("Use an algorithm that regresses (%s), or pass task => 'classification' to make each value a class.",
								 learner_names_for(ML_REGRESSION))));
		}
	}
	else if (td->existing_task && (strcmp(td->existing_task, "regression") == 0 ||
									strcmp(td->existing_task, "classification") == 0))
		task = strcmp(td->existing_task, "regression") == 0 ? ML_REGRESSION : ML_CLASSIFICATION;
	else
	{
		task = infer_task(td);
		if (src->target_type == INT2OID || src->target_type == INT4OID || src->target_type == INT8OID)
		{
			size_t		k = target_distinct(td);

			ereport(NOTICE,
					(errmsg("task inferred: %s, from target \"%s\" (%s with %zu distinct value%s; at most %d classify)",
							ml_task_name(task), src->target_name, format_type_be(src->target_type), k,
							k == 1 ? "" : "s", CLASSIFY_MAX_DISTINCT),
					 errhint("Pass task => '%s' to %s.",
							 task == ML_CLASSIFICATION ? "regression" : "classification",
							 task == ML_CLASSIFICATION ? "predict it as a number" : "make each value a class")));
		}
	}
	if (task == ML_REGRESSION && !src->target_numeric)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" of type %s cannot be a regression target",
						td->target, format_type_be(src->target_type)),
				 only == ML_REGRESSION
				 ? errhint("Algorithm \"%s\" regresses; for classes use %s.", l->name,
						   learner_names_for(ML_CLASSIFICATION))
				 : errhint("Use task => 'classification'.")));
	return task;
}

/* ---- evaluation ---- */

/* the task's metrics from predictions of a dataset's rows (model_predict's layout) */
void
mlsql_metrics_from_predictions(const MLModel *m, const MLDataset *d, const double *pred,
							   MLMetricSet *out)
{
	size_t		n = d->n_rows,
				k = model_output_width(m);

	if (m->task == ML_CLASSIFICATION)
		metrics_classification_at(d->y, pred, n, (int) k, m->threshold, out);	/* as ml_predict */
	else if (m->task == ML_CLUSTERING)
		metrics_clustering(d->X, n, d->n_cols, pred, out);
	else if (m->task == ML_ANOMALY)
		metrics_anomaly(pred, n, out);
	else
		metrics_regression(d->y, pred, n, out);
}

/*
 * Score a dataset with a model and compute the task's metrics.  The dataset
 * is column-major; models read rows, so rows are transposed in blocks.
 */
void
mlsql_evaluate_dataset(const MLModel *m, const MLDataset *d, MLMetricSet *out)
{
	size_t		n = d->n_rows,
				p = d->n_cols,
				k = model_output_width(m);
	double	   *pred = palloc_extended(Max(n, 1) * k * sizeof(double), MCXT_ALLOC_HUGE);
	double	   *block = palloc(sizeof(double) * 256 * Max(p, 1));

	for (size_t start = 0; start < n; start += 256)
	{
		size_t		len = Min(256, n - start);

		for (size_t i = 0; i < len; i++)
			for (size_t j = 0; j < p; j++)
				block[i * p + j] = d->X[j * n + start + i];
		model_predict(m, block, len, pred + start * k);
		CHECK_FOR_INTERRUPTS();
	}
	mlsql_metrics_from_predictions(m, d, pred, out);
	pfree(pred);
	pfree(block);
}

static void
metrics_json(MLBuffer *b, const MLMetricSet *m, const char *split)
{
	buffer_printf(b, "{");
	for (int i = 0; i < m->n; i++)
	{
		buffer_json_str(b, m->names[i]);
		buffer_printf(b, ": ");
		buffer_json_num(b, m->values[i]);
		buffer_printf(b, ", ");
	}
	buffer_printf(b, "\"split\": ");
	buffer_json_str(b, split);
	buffer_printf(b, "}");
}

/* ---- catalog writes ---- */

static double *
palloc0_array_huge_compat(size_t n)
{
	return palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

Datum
jsonb_datum(MLBuffer *b)
{
	return json_text_to_jsonb((const char *) b->data, b->len);
}

static double
seconds_between(struct timespec a, struct timespec b)
{
	return (double) (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

static double
tv_seconds(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

/* a dataset over rows of the source with an already transformed matrix */
static MLDataset *
make_dataset(double *X, size_t n, const MLModel *m, const double *all_y, const size_t *rows)
{
	MLDataset  *d = palloc0(sizeof(MLDataset));

	d->n_rows = n;
	d->n_cols = m->n_features;
	d->n_classes = m->n_classes;
	d->X = X;
	d->levels = pipeline_levels(m->pipeline);
	d->y = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
		d->y[i] = all_y[rows[i]];
	return d;
}

/*
 * mlsql_model_matrix: the model's features for rows of a source, through the
 * model's own pipeline.  Raw columns are matched by name and kind; a missing
 * one is an error naming it when strict, else NULL.
 */
double *
mlsql_model_matrix(const MLModel *m, const SourceData *src, const size_t *rows,
				   size_t n, bool strict)
{
	const MLPipeline *p = m->pipeline;
	MLRawColumn *cols = palloc0(sizeof(MLRawColumn) * Max(p->n_cols, 1));
	double	   *X;
	size_t	   *idx = NULL;

	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];
		int			found = -1;
		SourceConversion conv = CONV_AS_IS;

		for (int r = 0; r < src->n_raw && found < 0; r++)
			if (strcmp(src->raw[r].name, pc->name) == 0)
				found = r;
		/* the same meaning: the type rules of scoring (source_conversion) */
		if (found >= 0 && !source_conversion_ok(pc->ctype, src->raw[found].ctype, &conv))
		{
			if (!strict)
				return NULL;
			for (int f = 0; f < src->n_cols; f++)
				if (strcmp(src->cols[f].name, src->raw[found].source) == 0)
					(void) source_conversion(pc, src->cols[f].type, src->cols[f].name);
		}
		if (found >= 0 && src->raw[found].kind != pc->kind)
			found = -1;
		if (found < 0)
		{
			if (!strict)
				return NULL;
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("source has no %s column \"%s\", a feature of the model",
							pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical",
							pc->name)));
		}
		cols[c] = src->raw[found];
		if (conv == CONV_DAYS_TO_SECONDS)
		{
			double	   *days = src->raw[found].num;
			double	   *secs = palloc_extended(Max(src->n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);

			for (size_t i = 0; i < src->n_rows; i++)
				secs[i] = days[i] * SECONDS_PER_DAY;
			cols[c].num = secs;
		}
	}
	if (rows == NULL)
	{
		idx = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		rows = idx;
	}
	X = palloc_extended(Max(n, 1) * Max(m->n_features, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	pipeline_transform(p, cols, rows, n, X);
	return X;
}

static MLDataset *
transform_rows(const MLModel *m, const SourceData *src, const double *all_y,
			   const size_t *rows, size_t n)
{
	return make_dataset(mlsql_model_matrix(m, src, rows, n, true), n, m, all_y, rows);
}

/* one NOTICE listing the NULLs imputed per column in the training rows */
void
report_imputation(const MLPipeline *p)
{
	StringInfoData buf;
	int			count = 0;

	initStringInfo(&buf);
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		if (pc->imputed == 0)
			continue;
		appendStringInfo(&buf, "%s%s %lld (%s)", count++ ? ", " : "", pc->name,
						 (long long) pc->imputed, pipeline_impute_name(pc->impute));
	}
	if (count > 0)
		ereport(NOTICE,
				(errmsg("imputed NULL values in the training rows: %s", buf.data),
				 errdetail("The counts are recorded in mlsql.runs.preprocess.")));
}

/* the deployed model's score on the key metric, for deploy => 'if_better' */
static double
deployed_score(int64 deployed_id, const MLModel *m, const SourceData *src,
			   const double *all_y, const size_t *rows, size_t n, const char *key,
			   const char **basis)
{
	MLModel    *old = model_for_id(deployed_id);
	bool		same = old->task == m->task && old->n_classes == m->n_classes && n > 0;
	double	   *X = NULL;

	for (int c = 0; same && c < m->n_classes; c++)
		same = strcmp(old->class_labels[c], m->class_labels[c]) == 0;
	if (same)
		X = mlsql_model_matrix(old, src, rows, n, false);
	if (X)
	{
		/* fair comparison: score the deployed model on the new split */
		MLMetricSet ms;

		mlsql_evaluate_dataset(old, make_dataset(X, n, old, all_y, rows), &ms);
		*basis = "re-scored on the same test rows";
		return metrics_get(&ms, key);
	}

	/* different inputs: fall back to the score recorded for it */
	*basis = "its recorded score (it reads other columns or classes)";
	return catalog_recorded_score(deployed_id, key);
}

/* the sha256 of bytes as hex, as mlsql.models.hash holds it */
static char *
sha256_hex(const uint8_t *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 || pg_cryptohash_update(ctx, data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute a sha256");
	pg_cryptohash_free(ctx);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

/* one application/json artifact of a run */
static void
insert_artifact(int64 run_id, const char *name, MLBuffer *b)
{
	catalog_insert_artifact(run_id, name, "application/json", b->data, b->len);
}

/*
 * Confusion matrix (rows: true class, columns: predicted) and per-class
 * precision / recall / f1 / support of a classification model on a split,
 * as two JSON artifacts of the run.
 */
static void
write_class_artifacts(int64 run_id, const MLModel *m, const MLDataset *d, const char *split)
{
	int			k = m->n_classes;
	size_t		n = d->n_rows,
				p = d->n_cols;
	int64	   *cm = palloc0(sizeof(int64) * k * k);
	double	   *row = palloc(sizeof(double) * Max(p, 1));
	double	   *prob = palloc(sizeof(double) * k);
	MLBuffer	a,
				b;

	for (size_t i = 0; i < n; i++)
	{
		for (size_t j = 0; j < p; j++)
			row[j] = d->X[j * n + i];
		model_predict(m, row, 1, prob);
		cm[(int) d->y[i] * k + ml_argmax(prob, k)]++;
	}
	buffer_init(&a);
	buffer_init(&b);
	buffer_printf(&a, "{\"split\": \"%s\", \"labels\": [", split);
	buffer_printf(&b, "{\"split\": \"%s\", \"labels\": [", split);
	for (int c = 0; c < k; c++)
	{
		buffer_printf(&a, "%s", c ? ", " : "");
		buffer_json_str(&a, m->class_labels[c]);
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_str(&b, m->class_labels[c]);
	}
	buffer_printf(&a, "], \"matrix\": [");
	buffer_printf(&b, "], \"classes\": [");
	for (int t = 0; t < k; t++)
	{
		int64		tp = cm[t * k + t],
					support = 0,
					predicted = 0;
		double		prec,
					rec;

		buffer_printf(&a, "%s[", t ? ", " : "");
		for (int c = 0; c < k; c++)
		{
			buffer_printf(&a, "%s" INT64_FORMAT, c ? ", " : "", cm[t * k + c]);
			support += cm[t * k + c];
			predicted += cm[c * k + t];
		}
		buffer_printf(&a, "]");
		prec = predicted ? (double) tp / predicted : 0;
		rec = support ? (double) tp / support : 0;
		buffer_printf(&b, "%s{\"label\": ", t ? ", " : "");
		buffer_json_str(&b, m->class_labels[t]);
		buffer_printf(&b, ", \"precision\": ");
		buffer_json_num(&b, prec);
		buffer_printf(&b, ", \"recall\": ");
		buffer_json_num(&b, rec);
		buffer_printf(&b, ", \"f1\": ");
		buffer_json_num(&b, prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0);
		buffer_printf(&b, ", \"support\": " INT64_FORMAT "}", support);
	}
	buffer_printf(&a, "]}");
	buffer_printf(&b, "]}");
	insert_artifact(run_id, "confusion_matrix", &a);
	insert_artifact(run_id, "classification_report", &b);
}

/* a feature-level measure summed over each source column's features */
static void
sum_by_column(const MLPipeline *pl, const double *imp, double *col_imp)
{
	for (int c = 0; c < pl->n_cols; c++)
	{
		col_imp[c] = 0;
		for (int w = 0; w < pl->cols[c].out_width; w++)
			col_imp[c] += imp[pl->cols[c].out_start + w];
	}
}

/*
 * Feature importance of the model's features as an artifact: the learner's
 * own (impurity, standardized coefficients), or permutation importance on
 * the evaluation split (the drop in the key metric when one feature's
 * values are shuffled, seeded; at most 2000 rows).  Permutation scores the
 * rows p + 1 times, so its row count is bounded by a work budget: scoring
 * one row is taken to cost about one operation per 8 bytes of the model
 * (true of k-NN and the MLP, an overestimate for trees), and rows are
 * capped so that (p + 1) * rows * cost stays under ML_IMPORTANCE_BUDGET.
 * Fewer than 100 affordable rows skips it with a notice.  Deterministic:
 * the same model gives the same rows.
 */
#define ML_IMPORTANCE_BUDGET 5e9
/* learners that measure their features' importance themselves */
static bool
own_importance(const MLLearner *l)
{
	return l->importance != NULL;
}

static void
write_importance(int64 run_id, const MLModel *m, const MLDataset *train,
				 const MLDataset *eval, uint64_t seed, size_t model_bytes)
{
	size_t		p = m->n_features;
	const MLPipeline *pl = m->pipeline;
	double	   *imp = palloc0(sizeof(double) * Max(p, 1));
	double	   *col_imp = palloc0(sizeof(double) * Max(pl->n_cols, 1));
	const char *method;
	MLBuffer	b;
	bool		own = false;

	if (m->learner->importance)
	{
		/* NaN first: the learner has none here (an ensemble of such members) */
		m->learner->importance(m->state, train, imp);
		own = p == 0 || !isnan(imp[0]);
	}
	if (!own && metrics_key(m->task) == NULL)
		return;					/* no score to permute against */
	if (own)
		method = m->learner->importance_method ? m->learner->importance_method : "coefficients";
	else
	{
		size_t		n = Min(eval->n_rows, 2000);
		MLDataset	d = *eval;
		const char *key = metrics_key(m->task);
		MLMetricSet ms;
		double		base,
					afford;
		MLRng		rng;

		afford = ML_IMPORTANCE_BUDGET / ((double) (p + 1) * Max((double) model_bytes / 8, (double) p));
		if (afford < (double) n)
		{
			if (afford < 100 && n >= 100)
			{
				ereport(NOTICE,
						(errmsg("permutation feature importance skipped: scoring %zu features is too costly for this model", p),
						 errhint("Fewer features, or a learner that measures its own importance (%s), record one.",
								 learner_names_where(own_importance))));
				return;
			}
			n = Max((size_t) afford, Min(n, 100));
		}
		method = "permutation";
		d.n_rows = n;
		d.X = palloc_extended(Max(n, 1) * Max(p, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		for (size_t j = 0; j < p; j++)
			memcpy(d.X + j * n, eval->X + j * eval->n_rows, n * sizeof(double));
		mlsql_evaluate_dataset(m, &d, &ms);
		base = metrics_get(&ms, key);
		ml_rng_seed(&rng, seed ^ 0x9e3779b97f4a7c15ull);

		/*
		 * One permutation per source column: its features (one-hot parts,
		 * an indicator) move together, as the column's values would
		 */
		for (int c = 0; c < pl->n_cols && n > 1; c++)
		{
			const MLPipeCol *pc = &pl->cols[c];
			size_t	   *perm = palloc(n * sizeof(size_t));
			double	   *save = palloc(n * Max(pc->out_width, 1) * sizeof(double));

			for (size_t i = 0; i < n; i++)
				perm[i] = i;
			for (size_t i = n - 1; i > 0; i--)
			{
				size_t		r = (size_t) (ml_rng_next(&rng) % (i + 1));
				size_t		t = perm[i];

				perm[i] = perm[r];
				perm[r] = t;
			}
			for (int w = 0; w < pc->out_width; w++)
			{
				double	   *col = d.X + (size_t) (pc->out_start + w) * n;

				memcpy(save + (size_t) w * n, col, n * sizeof(double));
				for (size_t i = 0; i < n; i++)
					col[i] = save[(size_t) w * n + perm[i]];
			}
			mlsql_evaluate_dataset(m, &d, &ms);
			col_imp[c] = base - metrics_get(&ms, key);
			for (int w = 0; w < pc->out_width; w++)
				memcpy(d.X + (size_t) (pc->out_start + w) * n, save + (size_t) w * n, n * sizeof(double));
			pfree(save);
			pfree(perm);
		}
		/* a column's features share its importance evenly, for the per-feature list */
		for (int c = 0; c < pl->n_cols; c++)
			for (int w = 0; w < pl->cols[c].out_width; w++)
				imp[pl->cols[c].out_start + w] = col_imp[c] / pl->cols[c].out_width;
	}
	if (own)
		sum_by_column(pl, imp, col_imp);
	buffer_init(&b);
	buffer_printf(&b, "{\"method\": \"%s\", \"features\": [", method);
	for (size_t j = 0; j < p; j++)
	{
		buffer_printf(&b, "%s", j ? ", " : "");
		buffer_json_str(&b, m->feature_names[j]);
	}
	buffer_printf(&b, "], \"importance\": [");
	for (size_t j = 0; j < p; j++)
	{
		buffer_printf(&b, "%s", j ? ", " : "");
		buffer_json_num(&b, imp[j]);
	}
	buffer_printf(&b, "]");
	/* per source column (one-hot parts summed), what ml_feature_importance reports */
	buffer_printf(&b, ", \"columns\": [");
	for (int c = 0; c < pl->n_cols; c++)
	{
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_str(&b, pl->cols[c].name);
	}
	buffer_printf(&b, "], \"column_importance\": [");
	for (int c = 0; c < pl->n_cols; c++)
	{
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_num(&b, col_imp[c]);
	}
	buffer_printf(&b, "]");
	if (own && m->learner->importance_kinds)
	{
		/* more kinds the learner measures (boosting: splits and their cover) */
		const char *const *kinds = m->learner->importance_kinds;

		buffer_printf(&b, ", \"also\": {");
		for (int k = 0; kinds[k]; k++)
		{
			m->learner->importance_kind(m->state, k, imp);
			buffer_printf(&b, "%s\"%s\": [", k ? ", " : "", kinds[k]);
			for (size_t j = 0; j < p; j++)
			{
				buffer_printf(&b, "%s", j ? ", " : "");
				buffer_json_num(&b, imp[j]);
			}
			buffer_printf(&b, "]");
		}
		buffer_printf(&b, "}, \"also_columns\": {");
		for (int k = 0; kinds[k]; k++)
		{
			m->learner->importance_kind(m->state, k, imp);
			sum_by_column(pl, imp, col_imp);
			buffer_printf(&b, "%s\"%s\": [", k ? ", " : "", kinds[k]);
			for (int c = 0; c < pl->n_cols; c++)
			{
				buffer_printf(&b, "%s", c ? ", " : "");
				buffer_json_num(&b, col_imp[c]);
			}
			buffer_printf(&b, "]");
		}
		buffer_printf(&b, "}");
	}
	buffer_printf(&b, "}");
	insert_artifact(run_id, "feature_importance", &b);
}


/*
 * An ensemble's members: one child run each (its parameters, the
 * validation metrics its fit logged, its metrics on the evaluation split),
 * and the 'ensemble_report' artifact behind ml_ensemble_report: each
 * member's score and the correlation of the members' errors on the
 * evaluation split (0/1 misclassification, or residuals), for at most
 * ML_REPORT_MAX_CORR members.
 */
#define ML_REPORT_MAX_CORR 256
static void
write_members(int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id,
			  int64 seed, const MLModel *m, const MLFitContext *ctx, const MLDataset *eval,
			  const char *eval_split, size_t n_train, size_t n_test)
{
	int			nm = ensemble_n_members(m);
	size_t		n = eval->n_rows,
				p = eval->n_cols,
				w = model_output_width(m);
	double	   *X = palloc_extended(Max(n, 1) * Max(p, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	double	   *out = palloc_extended(Max(n, 1) * w * sizeof(double), MCXT_ALLOC_HUGE);
	int			nc = Min(nm, ML_REPORT_MAX_CORR);
	double	  **err = palloc0(sizeof(double *) * Max(nc, 1));
	double	   *score = palloc0(sizeof(double) * Max(nm, 1));
	int64	   *run_ids = palloc0(sizeof(int64) * Max(nm, 1));
	const char *key = metrics_key(m->task);
	MLBuffer	b;

	if (nm == 0 || nm != ctx->n_members)
		return;
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i < n; i++)
			X[i * p + j] = eval->X[j * n + i];
	for (int i = 0; i < nm; i++)
	{
		const MLMemberLog *log = &ctx->members[i];
		MetricRows	rows = {0};
		MLMetricSet ms;
		CatalogRun	run;

		ensemble_member_predict(m, i, X, n, out);
		if (m->task == ML_CLASSIFICATION)
			metrics_classification(eval->y, out, n, (int) w, &ms);
		else
			metrics_regression(eval->y, out, n, &ms);
		score[i] = metrics_get(&ms, key);
		if (i < nc)
		{
			err[i] = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
			for (size_t a = 0; a < n; a++)
				err[i][a] = m->task == ML_CLASSIFICATION
					? (double) (ml_argmax(out + a * w, (int) w) != (int) eval->y[a])
					: eval->y[a] - out[a];
		}
		catalog_run_init(&run);
		run.experiment_id = experiment_id;
		run.parent_run_id = run_id;
		run.project_id = project_id;
		run.algorithm = log->algorithm;
		run.params = DirectFunctionCall1(jsonb_in, CStringGetDatum(log->params_json));
		run.seed = seed;
		run.dataset_id = dataset_id;
		run.task = ml_task_name(m->task);
		run.n_train = (int64) n_train;
		run.n_test = (int64) n_test;
		run_ids[i] = catalog_insert_run(&run);
		for (size_t r = 0; r < log->n_metrics; r++)
			add_metric(&rows, log->metrics[r].split, log->metrics[r].name,
					   log->metrics[r].step, log->metrics[r].value);
		add_metric_set(&rows, eval_split, &ms);
		catalog_insert_metrics(run_ids[i], &rows);
		CHECK_FOR_INTERRUPTS();
	}

	buffer_init(&b);
	buffer_printf(&b, "{\"metric\": ");
	buffer_json_str(&b, key);
	buffer_printf(&b, ", \"split\": ");
	buffer_json_str(&b, eval_split);
	buffer_printf(&b, ", \"members\": [");
	for (int i = 0; i < nm; i++)
	{
		buffer_printf(&b, "%s{\"member\": %d, \"path\": ", i ? ", " : "", i + 1);
		buffer_json_str(&b, ctx->members[i].path);
		buffer_printf(&b, ", \"algorithm\": ");
		buffer_json_str(&b, ctx->members[i].algorithm);
		buffer_printf(&b, ", \"run_id\": " INT64_FORMAT ", \"score\": ", run_ids[i]);
		buffer_json_num(&b, score[i]);
		buffer_printf(&b, ", \"error_correlation\": ");
		if (i >= nc)
		{
			buffer_printf(&b, "null}");
			continue;
		}
		buffer_printf(&b, "[");
		for (int j = 0; j < nc; j++)
		{
			double		sa = 0,
						sb = 0,
						saa = 0,
						sbb = 0,
						sab = 0,
						r;

			for (size_t a = 0; a < n; a++)
			{
				sa += err[i][a];
				sb += err[j][a];
			}
			sa /= Max(n, 1);
			sb /= Max(n, 1);
			for (size_t a = 0; a < n; a++)
			{
				double		da = err[i][a] - sa,
							db = err[j][a] - sb;

				saa += da * da;
				sbb += db * db;
				sab += da * db;
			}
			r = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
			buffer_printf(&b, "%s", j ? ", " : "");
			buffer_json_num(&b, r);
		}
		buffer_printf(&b, "]}");
	}
	buffer_printf(&b, "]}");
	insert_artifact(run_id, "ensemble_report", &b);
}

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* text[] -> C strings; NULL elements are an error */
static char **
text_array(ArrayType *a, int *n, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

/*
 * What a fit may know of the model beyond its data: the class labels and
 * each feature's name, column and source column (ensemble members choose
 * features by them).
 */
void
fit_context_names(MLFitContext *ctx, const MLModel *model)
{
	char	  **cols = palloc0(sizeof(char *) * Max(model->n_features, 1));
	char	  **srcs = palloc0(sizeof(char *) * Max(model->n_features, 1));

	for (int c = 0; c < model->pipeline->n_cols; c++)
	{
		MLPipeCol  *pc = &model->pipeline->cols[c];

		for (int o = 0; o < pc->out_width; o++)
		{
			cols[pc->out_start + o] = pc->name;
			srcs[pc->out_start + o] = pc->source;
		}
	}
	ctx->class_labels = model->class_labels;
	ctx->path = "";
	ctx->feature_names = model->feature_names;
	ctx->feature_columns = cols;
	ctx->feature_sources = srcs;
}

/* keep only rows[0..n) of a raw column, in that order */
static void
keep_raw_rows(MLRawColumn *rc, const size_t *rows, size_t n)
{
	if (rc->kind == ML_COL_NUMERIC)
	{
		double	   *v = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);

		for (size_t i = 0; i < n; i++)
			v[i] = rc->num[rows[i]];
		pfree(rc->num);
		rc->num = v;
	}
	else
	{
		char	  **v = palloc_extended(Max(n, 1) * sizeof(char *), MCXT_ALLOC_HUGE);

		/* an array column's elements share one string array: copy, never free */
		for (size_t i = 0; i < n; i++)
			v[i] = rc->str[rows[i]];
		rc->str = v;
	}
}

/*
 * ml_train's preprocessing without a second copy of the data: the data
 * version's column statistics first (every row), then, one raw column at a
 * time, its training, test and validation outputs, after which the column
 * keeps only its test rows (what an if_better comparison scores; the
 * training rows when the test split is empty).  The
 * training matrix is allocated without zeroing, so its pages arrive as the
 * columns are written while the raw columns go: the peak is about one copy
 * of the data instead of two.  The same pipeline and matrices as
 * pipeline_fit and transform_rows.
 */
static void
train_prepare_slim(TrainData *td, const MLPipelineDefaults *def, const double *ytr)
{
	SourceData *src = td->src;
	MLPipeline *p;
	size_t		n_out;
	double	   *Xtr,
			   *Xte,
			   *Xva;

	td->stats = palloc(sizeof(MLBuffer) * Max(src->n_raw, 1));
	for (int r = 0; r < src->n_raw; r++)
		buffer_init(&td->stats[r]);
	column_stats_json_all(src->raw, src->n_raw, src->n_rows, td->stats,
						  ml_thread_count(mlsql_threads, Max(src->n_raw, 1)));

	p = pipeline_fit_stats(src->raw, src->n_raw, td->opts, def, td->train_rows, td->n_train,
						   td->model->n_classes);
	n_out = Max(p->n_out, 1);
	Xtr = palloc_extended(Max(td->n_train, 1) * n_out * sizeof(double), MCXT_ALLOC_HUGE);
	Xte = palloc_extended(Max(td->n_test, 1) * n_out * sizeof(double), MCXT_ALLOC_HUGE);
	Xva = palloc_extended(Max(td->n_valid, 1) * n_out * sizeof(double), MCXT_ALLOC_HUGE);
	for (int c = 0; c < src->n_raw; c++)
	{
		pipeline_fit_column(p, src->raw, c, td->train_rows, td->n_train, ytr,
							td->model->n_classes, (uint64_t) td->seed, Xtr);
		pipeline_transform_column(p, src->raw, c, td->test_rows, td->n_test, Xte);
		pipeline_transform_column(p, src->raw, c, td->valid_rows, td->n_valid, Xva);
		/* what if_better scores: the test rows, or the training rows when there are none */
		if (td->n_test > 0)
			keep_raw_rows(&src->raw[c], td->test_rows, td->n_test);
		else
			keep_raw_rows(&src->raw[c], td->train_rows, td->n_train);
		CHECK_FOR_INTERRUPTS();
	}
	td->model->pipeline = p;
	td->model->n_features = p->n_out;
	td->model->feature_names = p->out_names;
	td->train = make_dataset(Xtr, td->n_train, td->model, td->all_y, td->train_rows);
	td->test = make_dataset(Xte, td->n_test, td->model, td->all_y, td->test_rows);
	td->valid = td->n_valid > 0 ? make_dataset(Xva, td->n_valid, td->model, td->all_y, td->valid_rows) : NULL;
}

/*
 * The steps of train_prepare that do not read rows, shared with the
 * aggregate engine (engine.c), whose source is a SourceData without rows
 * (td->target_distinct then comes from its sketches):
 *	train_prepare_front		split options, params keys, the project's owner
 *	train_decide_task		the target, the project's target, the task
 *	train_decide_learner	the project's task, the learner, its params,
 *							the preprocessing options
 */
/* learners that learn without a target (clustering, anomaly) */
static bool
unsupervised(const MLLearner *l)
{
	return !(l->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION)));
}

void
train_prepare_front(TrainData *td)
{
	/* split options, and the columns they need */
	td->split_name = jsonb_string_option(td->params_jb, "split", "Use random, stratified, column or time.");
	td->split_key = jsonb_string_option(td->params_jb, "split_key", "Name a column of the source.");
	td->split_column = jsonb_string_option(td->params_jb, "split_column", "Name a column of the source.");
	if (td->split_name && strcmp(td->split_name, "random") != 0 && strcmp(td->split_name, "stratified") != 0 &&
		strcmp(td->split_name, "column") != 0 && strcmp(td->split_name, "time") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid split \"%s\"", td->split_name),
				 errhint("Use random, stratified, column (with split_column) or time (with split_column).")));
	if (td->split_name && (strcmp(td->split_name, "column") == 0 || strcmp(td->split_name, "time") == 0) &&
		td->split_column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("split \"%s\" needs \"split_column\"", td->split_name),
				 errhint("For example {\"split\": \"time\", \"split_column\": \"created_at\"}.")));
	if (td->split_column && (td->split_name == NULL ||
						 (strcmp(td->split_name, "column") != 0 && strcmp(td->split_name, "time") != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"split_column\" needs split \"column\" or \"time\"")));
	td->n_aux = 0;
	if (td->split_key)
		td->aux[td->n_aux++] = td->split_key;
	if (td->split_column)
		td->aux[td->n_aux++] = td->split_column;

	/* kmeans and iforest learn without a target; no algorithm (NULL) is linear / logistic */
	td->unsupervised = td->learner &&
		!(td->learner->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION)));
	if (td->unsupervised && td->target)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" learns without a target", td->learner->name),
				 errhint("Pass target => NULL, and leave label columns out with features.")));
	if (!td->unsupervised && td->target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be NULL"),
				 errhint("Algorithms that learn without a target: %s.", learner_names_where(unsupervised))));

	/* bad keys and an existing project that is not the caller's fail before any data is read */
	if (td->learner)
		check_param_keys(td->learner, td->params_jb);

	td->project_id = td->project ? catalog_project_find(td->project, &td->existing_task) : 0;
	if (td->project_id != 0)
		catalog_require_manage(td->project_id, td->project);
}

void
train_decide_task(TrainData *td)
{
	if (td->target)
		td->target = td->src->target_name;	/* the column's own name ('"Sale Price"' -> Sale Price) */

	/* task, labels; the project keeps one task and one target */
	td->target_info.name = td->unsupervised ? NULL : td->target;
	td->target_info.kind = td->src->target_bool ? "boolean" : td->src->target_numeric ? "number" : "text";
	{
		JsonbValue	rv;

		if (jsonb_get(td->params_jb, "retarget", &rv))
		{
			if (rv.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"retarget\" must be a boolean"),
						 errhint("Pass {\"retarget\": true} to change the project's target.")));
			td->target_info.retarget = rv.val.boolean;
		}
	}
	if (td->project_id != 0 && !td->target_info.retarget)
	{
		char	   *old_target,
				   *old_kind;


		if (catalog_project_target(td->project_id, &old_target, &old_kind))
			catalog_check_target(td->project, old_target, old_kind, &td->target_info);
	}
	td->task = resolve_task(td);
	td->model = palloc0(sizeof(MLModel));
	td->model->threshold = NAN;	/* none: the most probable class */
	td->model->task = td->task;
	td->model->target_name = td->src->target_name ? td->src->target_name : "";
	td->model->label_type = ML_LABEL_NONE;
}

void
train_decide_learner(TrainData *td)
{

	if (td->project_id != 0 && strcmp(td->existing_task, ml_task_name(td->task)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("project \"%s\" is a %s project, this training is %s",
						td->project, td->existing_task, ml_task_name(td->task)),
				 errhint("Use another project name, or pass task => '%s'.", td->existing_task)));

	/* no algorithm named: least squares for regression, logistic regression for classes */
	if (td->learner == NULL)
		td->learner = learner_default(td->task);
	if (!(td->learner->tasks & ML_TASK_BIT(td->task)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" does not support %s", td->learner->name, ml_task_name(td->task)),
				 errhint("Algorithms for %s: %s.", ml_task_name(td->task), learner_names_for(td->task))));
	check_param_keys(td->learner, td->params_jb);
	td->params = params_from_jsonb(td->learner, td->params_jb);
	params_bind_classes(td->params, td->model->class_labels, td->model->n_classes);
	td->opts = column_options(td->params_jb, td->src);
	td->model->learner = td->learner;
}

/*
 * train_prepare: what ml_train and ml_search share before any fit: read the
 * source, settle the task and the class labels (checking the project keeps
 * one task), assign every row to train / test / validation from its content
 * and the seed, and fit the preprocessing pipeline on the training rows.
 * The same arguments always give the same split.
 */
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

void
train_prepare(TrainData *td)
{
	JsonbValue	v;

	/* the memory engine: ml_train routes the others before this, ml_search has no other */
	if (strcmp(train_engine(td->params_jb), "memory") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this function trains with the memory engine only"),
				 errhint("Leave \"engine\" out of params; ml_train takes {\"engine\": \"aggregate\"} or \"partitions\".")));
	if (jsonb_get(td->params_jb, "partitions", &v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"partitions\" needs {\"engine\": \"partitions\"}")));
	train_prepare_front(td);
	td->src = source_read(td->source, td->target, td->features, td->n_features, td->aux, td->n_aux, true);
	if (td->features == NULL)
		leave_out_identifiers(td->src);
	train_decide_task(td);
	td->all_y = td->src->y_num;
	if (td->unsupervised)
		td->all_y = palloc0_array_huge_compat(td->src->n_rows);
	if (td->task == ML_CLASSIFICATION)
	{
		td->all_y = palloc_extended(Max(td->src->n_rows, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		build_classes(td->src, td->model, td->all_y);
	}
	train_decide_learner(td);

	/* split: every row's assignment is a function of its content (or key) */
	{
		size_t		n = td->src->n_rows;
		uint64_t   *h = palloc_extended(Max(n, 1) * sizeof(uint64_t), MCXT_ALLOC_HUGE);
		MLSplitStrategy strategy = td->task == ML_CLASSIFICATION ? ML_SPLIT_STRATIFIED : ML_SPLIT_RANDOM;
		size_t		counts[3] = {0};

		int			threads = ml_thread_count(mlsql_threads, (int) Min(n / 65536 + 1, INT_MAX));
		const double *hy = (td->src->y_text || !td->target) ? NULL : td->src->y_num;

		td->assign = palloc_extended(Max(n, 1), MCXT_ALLOC_HUGE);
		if (td->split_key)
			for (size_t i = 0; i < n; i++)
				h[i] = ml_hash_string(ml_mix64((uint64_t) td->seed),
									  td->src->aux_text[0][i] ? td->src->aux_text[0][i] : "\x01NULL");
		else
			raw_row_hashes(td->src->raw, td->src->n_raw, hy, (const char *const *) td->src->y_text,
						   n, (uint64_t) td->seed, h, threads);
		if (td->split_name && strcmp(td->split_name, "column") == 0)
		{
			char	  **vals = td->src->aux_text[td->n_aux - 1];

			for (size_t i = 0; i < n; i++)
			{
				if (vals[i] && strcmp(vals[i], "train") == 0)
					td->assign[i] = ML_ASSIGN_TRAIN;
				else if (vals[i] && strcmp(vals[i], "test") == 0)
					td->assign[i] = ML_ASSIGN_TEST;
				else if (vals[i] && strcmp(vals[i], "validation") == 0)
					td->assign[i] = ML_ASSIGN_VALIDATION;
				else
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("split column \"%s\" has value %s%s%s", td->split_column,
									vals[i] ? "\"" : "", vals[i] ? vals[i] : "NULL", vals[i] ? "\"" : ""),
							 errhint("Its values must be 'train', 'test' or 'validation'.")));
			}
		}
		else
		{
			const double *time = NULL;

			if (td->split_name && strcmp(td->split_name, "random") == 0)
				strategy = ML_SPLIT_RANDOM;
			else if (td->split_name && strcmp(td->split_name, "stratified") == 0)
			{
				if (td->task != ML_CLASSIFICATION)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("split \"stratified\" needs a classification target"),
							 errhint("Use split \"random\" for regression.")));
				strategy = ML_SPLIT_STRATIFIED;
			}
			else if (td->split_name && strcmp(td->split_name, "time") == 0)
			{
				strategy = ML_SPLIT_TIME;
				time = td->src->aux_num[td->n_aux - 1];
				for (size_t i = 0; i < n; i++)
					if (isnan(time[i]))
						ereport(ERROR,
								(errcode(ERRCODE_DATA_EXCEPTION),
								 errmsg("split column \"%s\" must hold non-NULL numbers, dates or timestamps",
										td->split_column)));
			}
			split_assign(strategy, n, h, td->all_y, td->model->n_classes, time, td->test_size, td->assign);
		}
		for (size_t i = 0; i < n; i++)
			counts[td->assign[i]]++;
		td->n_train = counts[ML_ASSIGN_TRAIN];
		td->n_test = counts[ML_ASSIGN_TEST];
		td->n_valid = counts[ML_ASSIGN_VALIDATION];
		if (td->n_train < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("training split has %zu rows, at least 2 are needed", td->n_train),
					 errdetail("The source has %zu rows; %zu went to test and %zu to validation.",
							   n, td->n_test, td->n_valid)));
		td->train_rows = palloc_extended(Max(td->n_train, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
		td->test_rows = palloc_extended(Max(td->n_test, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
		td->valid_rows = palloc_extended(Max(td->n_valid, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
		{
			size_t		a = 0,
						b = 0,
						c = 0;

			for (size_t i = 0; i < n; i++)
			{
				if (td->assign[i] == ML_ASSIGN_TRAIN)
					td->train_rows[a++] = i;
				else if (td->assign[i] == ML_ASSIGN_TEST)
					td->test_rows[b++] = i;
				else
					td->valid_rows[c++] = i;
			}
		}
		/*
		 * Which rows test metrics are taken on (the training rows without a
		 * test split): the sum of the hashes the split used, so the same
		 * rows (same content and seed, or the same split_key values) give
		 * the same value, and only such scores are ranked together.
		 */
		td->test_fingerprint = 0;
		if (td->n_test > 0)
			for (size_t i = 0; i < td->n_test; i++)
				td->test_fingerprint += h[td->test_rows[i]];
		else
			for (size_t i = 0; i < td->n_train; i++)
				td->test_fingerprint += h[td->train_rows[i]];
		/* the fingerprint: the sum of the rows' unseeded hashes (any order) */
		raw_row_hashes(td->src->raw, td->src->n_raw, hy, (const char *const *) td->src->y_text,
					   n, 0, h, threads);
		td->fingerprint = 0;
		for (size_t i = 0; i < n; i++)
			td->fingerprint += h[i];

	}

	/* preprocessing, fitted on the training rows only */
	{
		MLPipelineDefaults def = {td->learner->encode ? td->learner->encode : ML_ENCODE_ONEHOT,
		td->learner->scale ? td->learner->scale : ML_SCALE_NONE, td->learner->keep_missing};
		double	   *ytr = palloc_extended(Max(td->n_train, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		double	   *Xtr;

		for (size_t i = 0; i < td->n_train; i++)
			ytr[i] = td->all_y[td->train_rows[i]];
		if (td->slim)
			train_prepare_slim(td, &def, ytr);
		else
		{
			td->model->pipeline = pipeline_fit(td->src->raw, td->src->n_raw, td->opts, &def, td->train_rows, td->n_train,
											   ytr, td->model->n_classes, (uint64_t) td->seed, &Xtr);
			td->model->n_features = td->model->pipeline->n_out;
			td->model->feature_names = td->model->pipeline->out_names;
			td->train = make_dataset(Xtr, td->n_train, td->model, td->all_y, td->train_rows);
			td->test = transform_rows(td->model, td->src, td->all_y, td->test_rows, td->n_test);
			td->valid = td->n_valid > 0 ? transform_rows(td->model, td->src, td->all_y, td->valid_rows, td->n_valid) : NULL;
		}
		report_imputation(td->model->pipeline);
	}

	/* each feature's training mean: what explanations are measured from */
	{
		size_t		p = td->model->n_features,
					n = td->train->n_rows;

		td->model->feature_mean = palloc(sizeof(double) * Max(p, 1));
		for (size_t j = 0; j < p; j++)
		{
			const double *col = td->train->X + j * n;
			double		sum = 0;
			size_t		k = 0;

			for (size_t i = 0; i < n; i++)
				if (!isnan(col[i]))
				{
					sum += col[i];
					k++;
				}
			td->model->feature_mean[j] = k ? sum / k : 0;
		}
	}
}

/*
 * Keep only rows[0..n) of the source's raw numeric columns (unless
 * cols_done: train_prepare_slim did), split columns and targets (the
 * strings themselves stay in their context), in that order: *rows becomes
 * 0..n-1 and *all_y the kept targets.
 */
static void
compact_source(SourceData *src, double **all_y, size_t **rows, size_t n, bool cols_done)
{
	size_t	   *r = *rows;
	size_t	   *identity = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	double	   *y = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);

	for (int c = 0; c < src->n_raw && !cols_done; c++)
		keep_raw_rows(&src->raw[c], r, n);
	for (size_t i = 0; i < n; i++)
	{
		y[i] = (*all_y)[r[i]];
		identity[i] = i;
	}
	for (int x = 0; x < src->n_aux; x++)
	{
		if (src->aux_text[x])
			pfree(src->aux_text[x]);
		if (src->aux_num[x])
			pfree(src->aux_num[x]);
		src->aux_text[x] = NULL;
		src->aux_num[x] = NULL;
	}
	if (*all_y != src->y_num)
		pfree(*all_y);
	if (src->y_num)
		pfree(src->y_num);
	src->y_num = NULL;
	src->y_text = NULL;
	src->n_rows = n;
	*all_y = y;
	*rows = identity;
}

/* ---- recording a training: shared by the engines ---- */

/* what the memory engine's extras and live score read */
typedef struct MemoryArgs
{
	SourceData *src;
	double	   *all_y;
	MLDataset  *train;
	MLDataset  *test;
	size_t	   *eval_rows;		/* the rows if_better scores: test, or training */
	size_t		n_eval;
	const char *eval_split;
} MemoryArgs;

static void
memory_extras(TrainRecord *r, int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id)
{
	MemoryArgs *a = r->arg;
	MLDataset  *eval = r->n_test > 0 ? a->test : a->train;

	if (r->task == ML_CLASSIFICATION)
		write_class_artifacts(run_id, r->model, eval, a->eval_split);
	write_importance(run_id, r->model, a->train, eval, (uint64_t) r->seed, r->bytes.len);
	if (ensemble_is(r->learner))
		write_members(run_id, experiment_id, project_id, dataset_id, r->seed, r->model, r->ctx,
					  eval, a->eval_split, r->n_train, r->n_test);
}

static double
memory_live_score(TrainRecord *r, int64 deployed_id, const char *key, const char **basis)
{
	MemoryArgs *a = r->arg;

	return deployed_score(deployed_id, r->model, a->src, a->all_y, a->eval_rows, a->n_eval, key, basis);
}

/*
 * train_record: everything a training leaves in the catalog, in one
 * transaction through the catalog door (the data version, the experiment,
 * the run and its baseline run, metrics, the engine's extras, the model
 * version and the deployment decision, which says why in a NOTICE and in
 * its row), and the result row of ml_train.
 */
void
train_record(TrainRecord *r, struct ReturnSetInfo *rsinfo)
{
	MLModel    *model = r->model;
	MLTask		task = r->task;
	const char *project = r->project;
	MLBuffer	js;
	int64		project_id,
				dataset_id,
				experiment_id,
				run_id,
				base_run_id,
				model_id,
				deployed_id;
	int32		version;
	bool		deployed = false;
	char	   *project_metric;
	int64		identical_to = 0;
	const char *eval_split = r->n_test > 0 ? "test" : "train";
	MetricRows	rows = {0},
				brows = {0};
	CatalogRun	run;
	Datum		result[9];
	bool		result_null[9] = {0};
	CatalogTarget target_info = r->target_info;

	project_id = catalog_project_for_write(project, task, "training", &target_info);
	project_metric = catalog_project_metric(project_id);
	dataset_id = catalog_insert_dataset(0, r->source, r->n_rows_total, jsonb_datum(&r->dataset_js),
										psprintf("%016llx", (unsigned long long) r->fingerprint),
										InvalidOid);

	buffer_init(&js);
	buffer_printf(&js, "{\"source\": ");
	buffer_json_str(&js, r->source);
	buffer_printf(&js, ", \"target\": ");
	if (r->target)
		buffer_json_str(&js, r->target);
	else
		buffer_printf(&js, "null");
	buffer_printf(&js, ", \"algorithm\": ");
	buffer_json_str(&js, r->learner->name);
	buffer_printf(&js, ", \"task\": ");
	buffer_json_str(&js, ml_task_name(task));
	buffer_printf(&js, ", \"features\": [");
	for (int f = 0; f < r->src->n_cols; f++)
	{
		if (f)
			buffer_printf(&js, ", ");
		buffer_json_str(&js, r->src->cols[f].name);
	}
	buffer_printf(&js, "], \"params\": ");
	if (r->params_jb)
	{
		char	   *pj = JsonbToCString(NULL, &r->params_jb->root, VARSIZE(r->params_jb));

		buffer_printf(&js, "%s", pj);
	}
	else
		buffer_printf(&js, "{}");
	buffer_printf(&js, ", \"split\": ");
	buffer_json_str(&js, r->split_name ? r->split_name : (task == ML_CLASSIFICATION ? "stratified" : "random"));
	buffer_printf(&js, ", \"test_size\": ");
	buffer_json_num(&js, r->test_size);
	buffer_printf(&js, ", \"seed\": " INT64_FORMAT ", \"deploy\": ", r->seed);
	buffer_json_str(&js, r->deploy);
	buffer_printf(&js, "}");
	experiment_id = catalog_insert_experiment(project_id, "train", "train", jsonb_datum(&js));

	catalog_run_init(&run);
	buffer_init(&js);
	pipeline_describe(model->pipeline, &js, true);
	run.preprocess = jsonb_datum(&js);
	buffer_init(&js);
	params_to_json(r->params, &js);
	run.params = jsonb_datum(&js);
	run.experiment_id = experiment_id;
	run.project_id = project_id;
	run.algorithm = r->learner->name;
	run.seed = r->seed;
	run.dataset_id = dataset_id;
	run.train_seconds = r->train_seconds;
	run.rows_per_second = r->train_seconds > 0 ? r->n_train / r->train_seconds : 0;
	run.peak_memory_bytes = (int64) r->peak_bytes;
	run.cpu_user_seconds = r->cpu_user;
	run.cpu_system_seconds = r->cpu_system;
	run.task = ml_task_name(task);
	run.n_train = (int64) r->n_train;
	run.n_test = (int64) r->n_test;
	run.n_validation = (int64) r->n_valid;
	run.test_fingerprint = r->test_fp;
	run_id = catalog_insert_run(&run);

	for (size_t i = 0; r->ctx && i < r->ctx->n_metrics; i++)
		add_metric(&rows, r->ctx->metrics[i].split, r->ctx->metrics[i].name,
				   r->ctx->metrics[i].step, r->ctx->metrics[i].value);
	add_metric_set(&rows, "train", &r->m_train);
	if (r->n_test > 0)
		add_metric_set(&rows, "test", &r->m_test);
	if (r->m_valid)
		add_metric_set(&rows, "validation", r->m_valid);
	catalog_insert_metrics(run_id, &rows);
	if (r->extras)
		r->extras(r, run_id, experiment_id, project_id, dataset_id);

	if (r->base_model)
	{
		catalog_run_init(&run);
		run.experiment_id = experiment_id;
		run.parent_run_id = run_id;
		run.project_id = project_id;
		run.algorithm = learner_baseline()->name;
		run.test_fingerprint = r->test_fp;
		run.params = json_text_to_jsonb("{}", 2);
		run.seed = r->seed;
		run.dataset_id = dataset_id;
		run.task = ml_task_name(task);
		run.n_train = (int64) r->n_train;
		run.n_test = (int64) r->n_test;
		base_run_id = catalog_insert_run(&run);
		add_metric_set(&brows, "train", &r->b_train);
		if (r->n_test > 0)
			add_metric_set(&brows, "test", &r->b_test);
		catalog_insert_metrics(base_run_id, &brows);
	}

	/* a retraining (skip_identical) that gave the very same bytes is no new version */
	if (r->skip_identical)
		identical_to = catalog_model_by_hash(project_id, sha256_hex(r->bytes.data, r->bytes.len), &version);
	if (identical_to != 0)
	{
		model_id = identical_to;
		ereport(NOTICE,
				(errmsg("the model is identical to version %d of \"%s\": no new version", version, project),
				 errdetail("Same data, same configuration, same seed: the same bytes.")));
	}
	else
		model_id = catalog_insert_model(project_id, run_id, r->learner->name, r->bytes.data, r->bytes.len, &version);

	/* deployment: every decision says why, in a NOTICE and in the deployment row */
	deployed_id = catalog_deployed_model(project_id);
	if (identical_to == 0 && strcmp(r->deploy, "never") != 0)
	{
		const char *key = project_metric ? project_metric : metrics_key(task);
		CatalogDecision why = {key, key ? metrics_get(&r->m_test, key) : NAN, NAN, NULL, NULL};
		char	   *live = NULL;

		if (strcmp(r->deploy, "always") == 0)
		{
			deployed = true;
			why.reason = "deploy => 'always'";
		}
		else if (deployed_id == 0 && r->base_model && key)
		{
			/* the first model must beat the task's baseline on the same rows */
			why.live_score = metrics_get(&r->b_test, key);
			why.basis = r->n_test > 0 ? "the baseline on the same test rows" : "the baseline on the training rows";
			live = "the baseline";
			deployed = metrics_better(key, why.score, why.live_score);
		}
		else if (deployed_id == 0)
		{
			deployed = true;
			why.reason = "the project's first model";
		}
		else
		{
			why.live_score = !key ? NAN : r->live_score(r, deployed_id, key, &why.basis);
			live = psprintf("the live version %d", catalog_model_version(deployed_id));
			deployed = key && metrics_better(key, why.score, why.live_score);
		}
		if (why.reason == NULL)
			why.reason = psprintf("%s %.6g %s %s's %.6g (%s)", key ? key : "no metric", why.score,
								  deployed ? "beats" : "does not beat", live ? live : "?",
								  why.live_score, why.basis ? why.basis : "nothing to compare");
		if (deployed)
		{
			catalog_deploy(project_id, model_id, r->deploy, &why);
			ereport(NOTICE,
					(errmsg("deployed version %d of \"%s\": %s", version, project, why.reason)));
		}
		else
			ereport(NOTICE,
					(errmsg("version %d of \"%s\" was not deployed: %s", version, project, why.reason),
					 errhint("ml_deploy('%s', %d) deploys it anyway.", project, version)));
	}

	/* result row; tuplestore_putvalues copies, so SPI memory may go after */
	result[0] = CStringGetTextDatum(project);
	result[1] = Int32GetDatum(version);
	result[2] = Int64GetDatum(model_id);
	result[3] = Int64GetDatum(run_id);
	result[4] = CStringGetTextDatum(r->learner->name);
	result[5] = CStringGetTextDatum(ml_task_name(task));
	buffer_init(&js);
	metrics_json(&js, &r->m_test, eval_split);
	result[6] = jsonb_datum(&js);
	buffer_init(&js);
	metrics_json(&js, &r->b_test, eval_split);
	result[7] = jsonb_datum(&js);
	result_null[7] = r->base_model == NULL;
	result[8] = BoolGetDatum(deployed);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_null);
}

Datum
mlsql_train(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *project = catalog_project_name_arg(arg_text(fcinfo, 0, "project"));
	char	   *source = arg_text(fcinfo, 1, "source");
	char	   *target = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *algorithm = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	Jsonb	   *params_jb = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	char	   *task_arg = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	char	  **features = NULL;
	int			n_features = 0;
	double		test_size;
	int64		seed;
	char	   *deploy = arg_text(fcinfo, 9, "deploy");
	const MLLearner *learner;
	SourceData *src;
	MLTask		task;
	MLModel    *model;
	MLModel    *base_model;
	MLDataset  *train,
			   *test,
			   *valid;
	double	   *all_y;
	size_t	   *train_rows,
			   *test_rows,
				n_train,
				n_test,
				n_valid;
	char	   *split_name;
	uint64_t	fingerprint;
	MLBuffer   *td_stats;
	MLParams   *params;
	MLFitContext ctx = {0};
	struct timespec t0,
				t1;
	struct rusage ru0,
				ru1;
	MLMetricSet m_train,
				m_test,
				b_train,
				b_test;
	MLBuffer	bytes,
				dataset_js;
	size_t		n_rows_total;
	bool		unsupervised;
	double		train_seconds,
				peak_bytes;
	const char *eval_split;
	CatalogTarget target_info;
	bool		skip_identical = false;
	char	   *test_fp;

	InitMaterializedSRF(fcinfo, 0);
	mlsql_progress_begin("ml_train");

	if (PG_ARGISNULL(7))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("test_size must not be NULL")));
	if (PG_ARGISNULL(8))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("seed must not be NULL")));
	test_size = PG_GETARG_FLOAT8(7);
	seed = PG_GETARG_INT64(8);

	catalog_check_project_name(project);
	/* NULL: linear for regression, logistic for classification, once the task is known */
	learner = algorithm ? learner_find(algorithm) : NULL;
	if (algorithm && learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Available algorithms: %s.", learner_names())));
	if (!(test_size >= 0.0 && test_size < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", test_size),
				 errhint("Use 0.25 to hold out a quarter of the rows, or 0 to train on all of them.")));
	if (strcmp(deploy, "if_better") != 0 && strcmp(deploy, "always") != 0 &&
		strcmp(deploy, "never") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deploy \"%s\"", deploy),
				 errhint("Use 'if_better', 'always' or 'never'.")));
	if (task_arg && strcmp(task_arg, "regression") != 0 &&
		strcmp(task_arg, "classification") != 0 && strcmp(task_arg, "clustering") != 0 &&
		strcmp(task_arg, "anomaly") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid task \"%s\"", task_arg),
				 errhint("Use 'regression', 'classification', 'clustering' or 'anomaly', or NULL to infer it.")));
	if (!PG_ARGISNULL(6))
	{
		features = text_array(PG_GETARG_ARRAYTYPE_P(6), &n_features, "features");
		if (n_features == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be empty"),
					 errhint("Pass NULL to use every column but the target.")));
	}
	if (params_jb && JB_ROOT_IS_OBJECT(params_jb) && !JB_ROOT_IS_SCALAR(params_jb))
	{
		JsonbValue	v;

		if (jsonb_get(params_jb, "skip_identical", &v))
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"skip_identical\" must be a boolean")));
			skip_identical = v.val.boolean;
		}
	}
	/* an obviously bad params object fails before any data is read */
	if (params_jb && (!JB_ROOT_IS_OBJECT(params_jb) || JB_ROOT_IS_SCALAR(params_jb)))
		(void) params_from_jsonb(learner ? learner : learner_default(ML_REGRESSION), params_jb);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the engines that keep the rows where they are */
	{
		char	   *engine = train_engine(params_jb);

		if (strcmp(engine, "memory") != 0)
		{
			TrainData	td = {0};

			td.project = project;
			td.source = source;
			td.target = target;
			td.features = features;
			td.n_features = n_features;
			td.params_jb = params_jb;
			td.task_arg = task_arg;
			td.test_size = test_size;
			td.seed = seed;
			td.learner = learner;
			engine_train(&td, engine, deploy, skip_identical, rsinfo);
			SPI_finish();
			mlsql_progress_end();
			return (Datum) 0;
		}
	}

	{
		TrainData	td = {0};

		td.project = project;
		td.source = source;
		td.target = target;
		td.features = features;
		td.n_features = n_features;
		td.params_jb = params_jb;
		td.task_arg = task_arg;
		td.test_size = test_size;
		td.seed = seed;
		td.learner = learner;
		td.slim = true;
		train_prepare(&td);
		src = td.src;
		task = td.task;
		unsupervised = td.unsupervised;
		model = td.model;
		all_y = td.all_y;
		split_name = td.split_name;
		train_rows = td.train_rows;
		test_rows = td.test_rows;
		n_train = td.n_train;
		n_test = td.n_test;
		n_valid = td.n_valid;
		fingerprint = td.fingerprint;
		params = td.params;
		train = td.train;
		test = td.test;
		valid = td.valid;
		learner = td.learner;
		td_stats = td.stats;
		target_info = td.target_info;
		target = (char *) td.target;
		test_fp = psprintf("%016llx", (unsigned long long) td.test_fingerprint);
	}

	/*
	 * The data version's column statistics were taken while every row was
	 * there (train_prepare_slim); the raw columns have shrunk to the rows an
	 * if_better comparison scores (the test split), so the fit runs without
	 * a second copy of the data.
	 */
	buffer_init(&dataset_js);
	buffer_printf(&dataset_js, "[");
	for (int f = 0; f < src->n_cols; f++)
	{
		SourceColumn *sc = &src->cols[f];
		int			width = sc->cls == SRC_ARRAY ? sc->array_len : 1;

		for (int e = 0; e < width; e++)
		{
			MLBuffer	st = td_stats[sc->first_raw + e];

			/* splice "type" and "role" into the statistics object */
			buffer_printf(&dataset_js, "%s{\"type\": ", dataset_js.len > 1 ? ", " : "");
			buffer_json_str(&dataset_js, format_type_be(sc->type));
			buffer_printf(&dataset_js, ", \"role\": \"feature\", ");
			buffer_put_bytes(&dataset_js, st.data + 1, st.len - 1);
		}
	}
	if (target)
	{
		MLRawColumn tcol = {0};
		MLBuffer	st;

		tcol.name = target;
		tcol.source = target;
		if (src->y_text)
		{
			tcol.kind = ML_COL_CATEGORICAL;
			tcol.str = src->y_text;
		}
		else
		{
			tcol.kind = ML_COL_NUMERIC;
			tcol.num = src->y_num;
		}
		buffer_init(&st);
		column_stats_json(&tcol, src->n_rows, &st);
		buffer_printf(&dataset_js, ", {\"type\": ");
		buffer_json_str(&dataset_js, format_type_be(src->target_type));
		buffer_printf(&dataset_js, ", \"role\": \"target\", ");
		buffer_put_bytes(&dataset_js, st.data + 1, st.len - 1);
	}
	buffer_printf(&dataset_js, "]");
	n_rows_total = src->n_rows;
	if (n_test > 0)
		compact_source(src, &all_y, &test_rows, n_test, true);
	else
		compact_source(src, &all_y, &train_rows, n_train, true);

	/* fit */
	ctx.seed = (uint64_t) seed;
	ctx.threads = mlsql_threads;
	ctx.want_train_pred = true;
	/* gbdt frees the training matrix once binned (nothing below reads it when there is a test split) */
	ctx.train_X = n_test > 0 ? &train->X : NULL;
	fit_context_names(&ctx, model);
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	model->state = learner->fit(train, valid, params, &ctx);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	train_seconds = seconds_between(t0, t1);
	peak_bytes = (double) MemoryContextMemAllocated(CurrentMemoryContext, true);

	/* baseline on the same split (supervised tasks only) */
	base_model = NULL;
	b_train.n = b_test.n = 0;
	if (!unsupervised)
	{
		base_model = palloc0(sizeof(MLModel));
		*base_model = *model;
		base_model->learner = learner_baseline();
		base_model->state = base_model->learner->fit(train, NULL,
													 params_resolve(base_model->learner->name, base_model->learner->params, NULL, 0),
													 NULL);
	}

	if (ctx.train_pred)
	{
		mlsql_metrics_from_predictions(model, train, ctx.train_pred, &m_train);
		ml_free(ctx.train_pred);
		ctx.train_pred = NULL;
	}
	else if (train->X == NULL)
		elog(ERROR, "the training matrix was released without the training predictions");
	else
		mlsql_evaluate_dataset(model, train, &m_train);
	if (base_model && train->X)
		mlsql_evaluate_dataset(base_model, train, &b_train);
	else if (base_model)
	{
		/* the matrix went during the fit: the baseline's constant needs no input */
		size_t		w = model_output_width(base_model);
		double	   *pred = palloc_extended(Max(n_train, 1) * w * sizeof(double), MCXT_ALLOC_HUGE);

		model_predict(base_model, NULL, n_train, pred);
		mlsql_metrics_from_predictions(base_model, train, pred, &b_train);
		pfree(pred);
	}
	if (n_test > 0)
	{
		mlsql_evaluate_dataset(model, test, &m_test);
		if (base_model)
			mlsql_evaluate_dataset(base_model, test, &b_test);
		eval_split = "test";
	}
	else
	{
		m_test = m_train;
		b_test = b_train;
		eval_split = "train";
		ereport(NOTICE,
				(errmsg("test_size is 0: metrics describe the training data")));
	}

	buffer_init(&bytes);
	model_write(model, &bytes);
	/* a model that cannot be read back must never reach the catalog */
	(void) model_read(bytes.data, bytes.len);

	/* ---- catalog ---- */
	{
		TrainRecord r = {0};
		MemoryArgs	a = {src, all_y, train, test, n_test > 0 ? test_rows : train_rows,
		n_test > 0 ? n_test : n_train, eval_split};

		r.project = project;
		r.source = source;
		r.target = target;
		r.deploy = deploy;
		r.split_name = split_name;
		r.learner = learner;
		r.task = task;
		r.params_jb = params_jb;
		r.params = params;
		r.src = src;
		r.test_size = test_size;
		r.seed = seed;
		r.skip_identical = skip_identical;
		r.model = model;
		r.base_model = base_model;
		r.bytes = bytes;
		r.n_rows_total = (int64) n_rows_total;
		r.dataset_js = dataset_js;
		r.fingerprint = fingerprint;
		r.test_fp = test_fp;
		r.n_train = n_train;
		r.n_test = n_test;
		r.n_valid = n_valid;
		r.train_seconds = train_seconds;
		r.peak_bytes = peak_bytes;
		r.cpu_user = tv_seconds(ru1.ru_utime) - tv_seconds(ru0.ru_utime);
		r.cpu_system = tv_seconds(ru1.ru_stime) - tv_seconds(ru0.ru_stime);
		r.ctx = &ctx;
		r.m_train = m_train;
		r.m_test = m_test;
		r.b_train = b_train;
		r.b_test = b_test;
		if (valid)
		{
			r.m_valid = palloc(sizeof(MLMetricSet));
			mlsql_evaluate_dataset(model, valid, r.m_valid);
		}
		r.target_info = target_info;
		r.extras = memory_extras;
		r.live_score = memory_live_score;
		r.arg = &a;
		train_record(&r, rsinfo);
	}
	SPI_finish();
	mlsql_progress_end();
	return (Datum) 0;
}
