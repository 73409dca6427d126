/*-------------------------------------------------------------------------
 *
 * prepare.c
 *	  Preparing training data, shared by ml_train's engines and ml_search:
 *	  the task and the learner, class labels, identifier-like columns left
 *	  out, the split, the preprocessing pipeline fitted on the training
 *	  rows, and the train / validation / test datasets.
 *
 * Everything lives in the caller's SPI procedure memory context.  The test
 * split never chooses anything: the pipeline is fitted on the training
 * rows only.
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
#include "core/sortcount.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/source.h"


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
	ml_sort_doubles(v, n);
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

/*
 * With features => NULL, a column whose value is different on every row
 * names the row instead of describing it (an id, an email): it cannot
 * generalize, and one-hot encoding it only memorizes.  Such columns are
 * left out with a NOTICE that names them: text and enum columns with a
 * value per row, and integer columns that are a near-sequence of distinct
 * values (keys).  Text columns with very many categories stay, with a
 * NOTICE.  Named features are always kept.
 */

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
		ml_sort_doubles(v, k);	/* O(n): one per numeric column */
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

static bool
is_integer_type(Oid type)
{
	Oid			base = getBaseType(type);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

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

		/* only text and integer columns can be keys: others need no count */
		if (sc.cls != SRC_ARRAY &&
			(raw[sc.first_raw].kind == ML_COL_CATEGORICAL || is_integer_type(sc.type)))
		{
			MLRawColumn *rc = &raw[sc.first_raw];
			double		lo,
						hi;
			size_t		d = raw_distinct(rc, n, &lo, &hi);

			if (rc->kind == ML_COL_CATEGORICAL && d == n)
				drop = true;
			else if (rc->kind != ML_COL_CATEGORICAL && d == n && hi - lo + 1 <= 2.0 * n)
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

static double *
palloc0_array_huge_compat(size_t n)
{
	return palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
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
 * time, its training and validation outputs, after which the column keeps
 * only its test rows (what an if_better comparison scores; the training
 * rows when the test split is empty).  The training matrix is allocated
 * without zeroing, so its pages arrive as the columns are written while
 * the raw columns go: the peak is about one copy of the data instead of
 * two.  The test matrix is not built here (td->test stays NULL): the
 * caller builds it from the kept raw rows with transform_rows after the
 * fit, when the training matrix may be gone.  The same pipeline and
 * matrices as pipeline_fit and transform_rows.
 */
static void
train_prepare_slim(TrainData *td, const MLPipelineDefaults *def, const double *ytr)
{
	SourceData *src = td->src;
	MLPipeline *p;
	size_t		n_out;
	double	   *Xtr,
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
	Xva = palloc_extended(Max(td->n_valid, 1) * n_out * sizeof(double), MCXT_ALLOC_HUGE);
	for (int c = 0; c < src->n_raw; c++)
	{
		pipeline_fit_column(p, src->raw, c, td->train_rows, td->n_train, ytr,
							td->model->n_classes, (uint64_t) td->seed, Xtr);
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
	td->test = NULL;			/* built from the kept raw rows after the fit */
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
		const MLLearner *pl = td->learner->preprocess_as ? td->learner->preprocess_as(td->params) : td->learner;
		MLPipelineDefaults def = {pl->encode ? pl->encode : ML_ENCODE_ONEHOT,
		pl->scale ? pl->scale : ML_SCALE_NONE, pl->keep_missing};
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
void
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
