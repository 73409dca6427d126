/*-------------------------------------------------------------------------
 *
 * engine_decide.c
 *	  What the aggregate and partitions engines (engine.c) decide from the
 *	  STATS pass's sketches, as the memory engine decides it from the rows:
 *	  the identifier-like columns left out, the class labels, the training
 *	  rows per class, and the task's baseline.
 *
 * Runs no query: everything comes from the sketches of one pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/engine.h"
#include "pg/engine_run.h"
#include "pg/mlsql_pg.h"
#include "pg/prepare.h"
#include "pg/source.h"

/*
 * Identifier-like columns, as the memory engine leaves them out (a text
 * column unique per row; an integer column unique per row whose range is
 * at most twice the rows), judged from the sketches of every row: exact
 * while the sketch is, else from the distinct estimate (at least 95% of
 * the rows).  Returns how many went; the columns and raw columns shrink.
 */
int
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
void
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
double *
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
MLModel *
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
