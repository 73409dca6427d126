/*-------------------------------------------------------------------------
 *
 * sanity.c
 *	  ml_sanity_check(project, source): the checks the book asks for
 *	  before a model is trusted ("ML models fail silently"), on the
 *	  project's recorded configuration, each with what a failure means.
 *
 * The data is read and split as ml_train splits it.  The checks that score
 * on held-out rows use the test split, or without one (test_size 0) a
 * seeded quarter of the training split.  Every fit uses the configuration's
 * learner and parameters; every random choice flows from its seed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "core/buffer.h"
#include "core/halving.h"
#include "core/metrics.h"
#include "core/params.h"
#include "core/rng.h"
#include "core/sanity.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/practices.h"

PG_FUNCTION_INFO_V1(mlsql_sanity_check);

#define OVERFIT_ROWS 50			/* the small sample overfit_small fits */
#define OVERFIT_ACCURACY 1.0	/* what it must reach: every row right, */
#define OVERFIT_R2 0.99			/* or r2 this close to 1 */
#define LEAK_NEAR_PERFECT 0.99	/* a feature alone scoring this is a suspect, */
#define LEAK_NEAR_MODEL 0.01	/* as one within this of the whole model */
#define MAX_NAMED 5				/* suspects named in a detail */

typedef struct Check
{
	const char *name;
	bool		passed;
	double		value;			/* NaN: NULL */
	char	   *detail;
} Check;

typedef struct Sanity
{
	TrainData	td;
	MLDataset  *fit;			/* what the checks that score held-out rows fit on */
	MLDataset  *eval;			/* and score */
	const char *eval_name;
	const char *key;			/* accuracy or r2 */
	MLModel    *model;			/* the learner fitted on fit */
	double		s_model;		/* its score on eval */
	double		s_base;			/* the baseline's */
	Check		checks[8];
	int			n;
} Sanity;

static void
add_check(Sanity *S, const char *name, bool passed, double value, char *detail)
{
	Check	   *c = &S->checks[S->n++];

	c->name = name;
	c->passed = passed;
	c->value = value;
	c->detail = detail;
}

/* the held-out rows: the test split, or a seeded quarter of the training split */
static void
holdout(Sanity *S)
{
	TrainData  *td = &S->td;
	const MLDataset *d = td->train;
	int		   *fold;
	size_t	   *a,
			   *b,
				na = 0,
				nb = 0;

	if (td->n_test > 0)
	{
		S->fit = td->train;
		S->eval = td->test;
		S->eval_name = "the test split";
		return;
	}
	fold = dataset_folds(d, 4, ml_mix64((uint64_t) td->seed ^ 0x5A17ull));
	a = palloc(sizeof(size_t) * d->n_rows);
	b = palloc(sizeof(size_t) * d->n_rows);
	for (size_t i = 0; i < d->n_rows; i++)
	{
		if (fold[i] == 0)
			b[nb++] = i;
		else
			a[na++] = i;
	}
	if (na < 2 || nb < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the sanity check needs at least 4 training rows, the source has %zu", d->n_rows)));
	S->fit = dataset_subset(d, a, na);
	S->eval = dataset_subset(d, b, nb);
	S->eval_name = "a seeded quarter of the training split (there is no test split)";
}

/* overfit_small: the learner on at most 50 training rows, scored on them */
static void
check_overfit_small(Sanity *S)
{
	TrainData  *td = &S->td;
	size_t		n = td->train->n_rows,
				m = Min(n, OVERFIT_ROWS),
				k = 0;
	uint32	   *rank = palloc(sizeof(uint32) * n);
	size_t	   *rows = palloc(sizeof(size_t) * m);
	MLDataset  *small;
	double		score,
				need = td->task == ML_CLASSIFICATION ? OVERFIT_ACCURACY : OVERFIT_R2;

	halving_row_ranks(rank, n, td->seed);
	for (size_t i = 0; i < n && k < m; i++)
		if (rank[i] < m)
			rows[k++] = i;
	small = dataset_subset(td->train, rows, k);
	score = practice_score(practice_fit(td, small, (uint64_t) td->seed), small);
	if (!(td->learner->memorizes & ML_TASK_BIT(td->task)))
		add_check(S, "overfit_small", true, score,
				  psprintf("does not apply: %s is not expected to fit any %zu rows exactly "
						   "(its training %s on them is %.4f)", td->learner->name, k, S->key, score));
	else if (score >= need - 1e-9)
		add_check(S, "overfit_small", true, score,
				  psprintf("%s fits %zu seeded training rows: training %s %.4f", td->learner->name, k,
						   S->key, score));
	else
		add_check(S, "overfit_small", false, score,
				  psprintf("%s reaches only %s %.4f on the %zu rows it was trained on (expected %s): "
						   "a learner that can memorize a small sample does not, so look for an "
						   "implementation or preprocessing problem, or parameters that limit its capacity "
						   "(depth, leaf size, regularization, iterations)",
						   td->learner->name, S->key, score, k,
						   td->task == ML_CLASSIFICATION ? "1" : "r2 >= 0.99"));
}

/* deterministic: two fits with the seed give the same bytes; the first is the model */
static void
check_deterministic(Sanity *S)
{
	TrainData  *td = &S->td;
	MLModel    *b = practice_fit(td, S->fit, (uint64_t) td->seed);
	MLBuffer	x,
				y;
	size_t		at = 0;

	S->model = practice_fit(td, S->fit, (uint64_t) td->seed);
	buffer_init(&x);
	buffer_init(&y);
	model_write(S->model, &x);
	model_write(b, &y);
	while (at < x.len && at < y.len && x.data[at] == y.data[at])
		at++;
	if (x.len == y.len && at == x.len)
		add_check(S, "deterministic", true, 1,
				  psprintf("two fits with seed " INT64_FORMAT " gave the same %zu model bytes",
						   td->seed, x.len));
	else
		add_check(S, "deterministic", false, 0,
				  psprintf("two fits with seed " INT64_FORMAT " gave different models (%zu and %zu bytes, "
						   "first difference at byte %zu): some random choice does not flow from the seed "
						   "or depends on thread timing; results cannot be reproduced or compared until "
						   "it is fixed (try mlsql.threads = 1 to tell)", td->seed, x.len, y.len, at));
	S->s_model = practice_score(S->model, S->eval);
}

/* shuffled_labels: trained on permuted labels, the score must fall to the baseline's */
static void
check_shuffled_labels(Sanity *S)
{
	TrainData  *td = &S->td;
	size_t		n = S->fit->n_rows;
	size_t	   *all = palloc(sizeof(size_t) * n);
	MLDataset  *shuffled;
	MLModel    *base = palloc(sizeof(MLModel));
	MLRng		rng;
	double		s,
				tol = 1.0 / sqrt((double) S->eval->n_rows);

	for (size_t i = 0; i < n; i++)
		all[i] = i;
	shuffled = dataset_subset(S->fit, all, n);
	ml_rng_seed(&rng, ml_mix64((uint64_t) td->seed ^ 0x5B0FFull));
	for (size_t i = n - 1; i > 0; i--)
	{
		size_t		j = (size_t) (ml_rng_next(&rng) % (i + 1));
		double		t = shuffled->y[i];

		shuffled->y[i] = shuffled->y[j];
		shuffled->y[j] = t;
	}
	*base = *td->model;
	base->learner = learner_baseline();
	base->state = base->learner->fit(S->fit, NULL,
									 params_resolve(base->learner->name, base->learner->params, NULL, 0),
									 NULL);
	S->s_base = practice_score(base, S->eval);
	s = practice_score(practice_fit(td, shuffled, (uint64_t) td->seed), S->eval);
	if (s <= S->s_base + tol)
		add_check(S, "shuffled_labels", true, s,
				  psprintf("trained on labels permuted with the seed, %s on %s is %.4f, "
						   "the baseline's %.4f (the model's %.4f)", S->key, S->eval_name, s, S->s_base,
						   S->s_model));
	else
		add_check(S, "shuffled_labels", false, s,
				  psprintf("trained on labels permuted with the seed, %s on %s is still %.4f, above the "
						   "baseline's %.4f by more than %.3f (1/sqrt(rows)): with no signal left to learn "
						   "the model should not beat the baseline, so something carries the target into "
						   "the features or the held-out rows (a leak through preprocessing, a key, or "
						   "duplicated rows); find it before trusting any score",
						   S->key, S->eval_name, s, S->s_base, tol));
}

/* single_feature_leakage: no feature alone predicts (nearly) as well as the model */
static void
check_single_feature(Sanity *S)
{
	TrainData  *td = &S->td;
	const MLDataset *f = S->fit,
			   *e = S->eval;
	int			k = td->task == ML_CLASSIFICATION ? td->model->n_classes : 0;
	double		best = -INFINITY;
	MLBuffer	names;
	int			n_suspects = 0;

	buffer_init(&names);
	for (size_t j = 0; j < f->n_cols; j++)
	{
		double		s = univariate_score(f->X + j * f->n_rows, f->y, f->n_rows,
										 e->X + j * e->n_rows, e->y, e->n_rows, k);

		if (isnan(s))
			continue;
		best = Max(best, s);
		if (s > S->s_base + 1.0 / sqrt((double) e->n_rows) &&
			(s >= LEAK_NEAR_PERFECT || s >= S->s_model - LEAK_NEAR_MODEL))
		{
			if (n_suspects < MAX_NAMED)
			{
				buffer_printf(&names, "%s", n_suspects ? ", " : "");
				buffer_printf(&names, "%s (%.4f)", td->model->feature_names[j], s);
			}
			n_suspects++;
		}
	}
	buffer_put_u8(&names, '\0');
	if (n_suspects == 0)
		add_check(S, "single_feature_leakage", true, isfinite(best) ? best : NAN,
				  psprintf("the best single feature alone reaches %s %.4f on %s, the whole model %.4f",
						   S->key, best, S->eval_name, S->s_model));
	else
		add_check(S, "single_feature_leakage", false, best,
				  psprintf("%d feature%s alone reach%s (nearly) the whole model's %s %.4f or near-perfect: "
						   "%s%s; a feature that predicts the target by itself is often the target in "
						   "disguise (recorded after the outcome, derived from it, or an identifier that "
						   "orders it): check how each is produced, and leave it out with features if it "
						   "would not be known at prediction time",
						   n_suspects, n_suspects > 1 ? "s" : "", n_suspects > 1 ? "" : "es", S->key,
						   S->s_model, (char *) names.data, n_suspects > MAX_NAMED ? ", ..." : ""));
}

/* train_test_overlap: identical feature rows on both sides of the split */
static void
check_overlap(Sanity *S)
{
	TrainData  *td = &S->td;
	size_t		shared;

	if (td->n_test == 0)
	{
		add_check(S, "train_test_overlap", true, NAN,
				  pstrdup("does not apply: there is no test split (test_size 0)"));
		return;
	}
	shared = rows_shared(td->train->X, td->train->n_rows, td->test->X, td->test->n_rows,
						 td->train->n_cols, NULL);
	if (shared == 0)
		add_check(S, "train_test_overlap", true, 0,
				  psprintf("none of the %zu test rows has the features of a training row", td->test->n_rows));
	else
		add_check(S, "train_test_overlap", false, (double) shared / td->test->n_rows,
				  psprintf("%zu of the %zu test rows (%.1f%%) have exactly the features of a training row: "
						   "the test score partly measures memory, not generalization; remove duplicated "
						   "rows, or split by the entity they belong to (params {\"split_key\": column})",
						   shared, td->test->n_rows, 100.0 * shared / td->test->n_rows));
}

/* constant_features and empty_features, on the source's columns over every row */
static void
check_columns(Sanity *S)
{
	SourceData *src = S->td.src;
	MLBuffer	constant,
				empty;
	int			n_constant = 0,
				n_empty = 0;

	buffer_init(&constant);
	buffer_init(&empty);
	for (int c = 0; c < src->n_raw; c++)
	{
		const MLRawColumn *rc = &src->raw[c];
		size_t		first = src->n_rows;
		bool		varies = false;

		for (size_t i = 0; i < src->n_rows && !varies; i++)
		{
			bool		isnull = rc->kind == ML_COL_CATEGORICAL ? rc->str[i] == NULL : isnan(rc->num[i]);

			if (isnull)
				continue;
			if (first == src->n_rows)
				first = i;
			else if (rc->kind == ML_COL_CATEGORICAL ? strcmp(rc->str[i], rc->str[first]) != 0
					 : rc->num[i] != rc->num[first])
				varies = true;
		}
		if (first == src->n_rows)
			buffer_printf(&empty, "%s%s", n_empty++ ? ", " : "", rc->name);
		else if (!varies)
			buffer_printf(&constant, "%s%s", n_constant++ ? ", " : "", rc->name);
	}
	buffer_put_u8(&constant, '\0');
	buffer_put_u8(&empty, '\0');
	add_check(S, "constant_features", n_constant == 0, n_constant,
			  n_constant == 0 ? psprintf("every feature column has at least two values")
			  : psprintf("%s hold%s one value in every row: %s no information and may hide a broken "
						 "join or filter upstream; fix the source or leave %s out with features",
						 (char *) constant.data, n_constant > 1 ? "" : "s", n_constant > 1 ? "they carry" : "it carries",
						 n_constant > 1 ? "them" : "it"));
	add_check(S, "empty_features", n_empty == 0, n_empty,
			  n_empty == 0 ? psprintf("no feature column is NULL in every row")
			  : psprintf("%s %s NULL in every row: the model sees only the imputed value; a column that "
						 "is never filled usually means a broken join or a renamed field upstream",
						 (char *) empty.data, n_empty > 1 ? "are" : "is"));
}

/* class_balance, as information: the minority class's share of the rows */
static void
check_class_balance(Sanity *S)
{
	TrainData  *td = &S->td;
	int			k = td->model->n_classes;
	double	   *count;
	int			minority = 0;
	size_t		n = td->src->n_rows;

	if (td->task != ML_CLASSIFICATION)
	{
		add_check(S, "class_balance", true, NAN, pstrdup("does not apply: a regression project has no classes"));
		return;
	}
	count = palloc0(sizeof(double) * k);
	for (size_t i = 0; i < n; i++)
		count[(int) td->all_y[i]] += 1;
	for (int c = 1; c < k; c++)
		if (count[c] < count[minority])
			minority = c;
	add_check(S, "class_balance", true, count[minority] / n,
			  psprintf("information: the rarest class, %s, is %.1f%% of the %zu rows (%d classes)%s",
					   td->model->class_labels[minority], 100.0 * count[minority] / n, n, k,
					   count[minority] / n < 0.5 / k ? "; with classes this unequal, judge models by "
					   "f1, roc_auc or per-class recall rather than accuracy, which the majority dominates" : ""));
}

/* the run of the check: a metric per check (its value and whether it passed), the rows as JSON */
static void
sanity_record(Sanity *S, int64 project_id)
{
	MetricRows	rows = {0};
	MLBuffer	js;

	buffer_init(&js);
	buffer_printf(&js, "[");
	for (int i = 0; i < S->n; i++)
	{
		Check	   *c = &S->checks[i];

		if (!isnan(c->value))
			add_metric(&rows, "test", c->name, -1, c->value);
		add_metric(&rows, "test", psprintf("%s_passed", c->name), -1, c->passed ? 1 : 0);
		buffer_printf(&js, "%s{\"check_name\": ", i ? ", " : "");
		buffer_json_str(&js, c->name);
		buffer_printf(&js, ", \"passed\": %s, \"value\": ", c->passed ? "true" : "false");
		buffer_json_num(&js, c->value);
		buffer_printf(&js, ", \"detail\": ");
		buffer_json_str(&js, c->detail);
		buffer_printf(&js, "}");
	}
	buffer_printf(&js, "]");
	practice_record(&S->td, project_id, "sanity_check", NULL, &rows, "sanity_check", &js,
					(int64) S->fit->n_rows, (int64) S->eval->n_rows);
}

/*
 * ml_sanity_check(project, source): one row per check (check_name, passed,
 * value, detail), recorded as a run of a 'sanity_check' experiment.
 */
Datum
mlsql_sanity_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Sanity	   *S = palloc0(sizeof(Sanity));
	int64		project_id;

	InitMaterializedSRF(fcinfo, 0);
	practice_config(fcinfo, "sanity check", &S->td, &project_id, NULL);
	train_prepare(&S->td);
	if (S->td.task != ML_CLASSIFICATION && S->td.task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the sanity check needs a regression or classification project, not %s",
						ml_task_name(S->td.task))));
	S->key = metrics_key(S->td.task);
	holdout(S);
	check_overfit_small(S);
	check_deterministic(S);
	check_shuffled_labels(S);
	check_single_feature(S);
	check_overlap(S);
	check_columns(S);
	check_class_balance(S);
	sanity_record(S, project_id);
	for (int i = 0; i < S->n; i++)
	{
		Datum		vals[4];
		bool		nulls[4] = {0};

		vals[0] = CStringGetTextDatum(S->checks[i].name);
		vals[1] = BoolGetDatum(S->checks[i].passed);
		vals[2] = Float8GetDatum(S->checks[i].value);
		nulls[2] = isnan(S->checks[i].value);
		vals[3] = CStringGetTextDatum(S->checks[i].detail);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
