/*-------------------------------------------------------------------------
 *
 * automl.c
 *	  ml_automl: within a time budget, the baseline, every applicable
 *	  learner with its defaults, a search on the best few, and greedy
 *	  ensemble selection (Caruana, Niculescu-Mizil, Crew and Ksikes,
 *	  "Ensemble Selection from Libraries of Models", ICML 2004) over the
 *	  trials' out-of-fold predictions; the winner is refit by ml_train.
 *
 * The source is read and split once per preprocessing a learner asks for
 * (train_prepare, as ml_train splits it: the same test rows whatever the
 * learner), up front.  Every trial is scored by 3-fold cross-validation
 * inside the training split, the folds shared by every trial (ml_search's
 * folds), so the test split chooses nothing; each fold's model predicts its
 * held-out rows, and those out-of-fold predictions are what ensemble
 * selection (core/ensemble_select.c) chooses from.
 *
 * Phases (core/automl.c plans them):
 *	1. the baseline, and the project's rules (ml_rule: the latest version of
 *	   each name, as ml_train's baseline picks them, rule_inputs in
 *	   rule.c; a rule of another task or classes, or that reads columns
 *	   the source lacks, is skipped with a NOTICE).  A rule does not
 *	   train: it predicts the training split once, and its cv score is
 *	   the key metric of those predictions on each fold's held-out rows,
 *	   exactly as a trial's out-of-fold predictions are scored;
 *	2. every learner that supports the task, but composites and the
 *	   baseline, with its default params, until 40 % of the budget;
 *	3. a TPE search (ml_search's sampler, ml_compare's default spaces) on
 *	   the best three learners of phase 2, until 80 % of the budget;
 *	4. greedy ensemble selection with replacement over the best trials'
 *	   out-of-fold predictions; the ensemble is a soft voting model with
 *	   the selection's weights, chosen when its out-of-fold key metric is at
 *	   least the best single trial's (and its refit fits in the budget);
 *	5. ml_train refits the choice on the whole training split, scores the
 *	   test split once, records it and deploys it by the usual gate.
 *
 * Time: each phase shares the time left to its end equally among the
 * trials it has left (a learner's share in phase 3); a trial runs under a
 * timer set to the end of its share (a PostgreSQL timeout that raises a
 * cancel inside the trial's subtransaction, told apart from the user's
 * cancel by its own flag), and a trial that would start after its phase's
 * end does not start.  So the call ends within the budget plus the refit
 * of phase 5, which is estimated from the trials' times and kept inside
 * the budget when the estimate allows.
 *
 * Recorded: an experiment of kind 'automl', one run per trial (status
 * 'failed' with its error for a failing or timed-out trial) with the
 * validation key metric and its standard deviation over the folds, the
 * phase (metric automl_phase; a rule's run has algorithm 'rule' and as
 * params the rule's name and version, keys rule and version), and for the
 * ensemble's members their weight (metric ensemble_weight); the ensemble
 * itself is a run of phase 4; the refit's run (ml_train's) has the chosen
 * run as its parent.  The view mlsql.automl_leaderboard shows them.
 * Everything is written in the caller's transaction: an error or a cancel
 * writes nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timeout.h"

#include "algo/rule.h"
#include "core/automl.h"
#include "core/buffer.h"
#include "core/ensemble_select.h"
#include "core/halving.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/search.h"
#include "ensemble/ensemble.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/rule.h"

PG_FUNCTION_INFO_V1(mlsql_automl);

#define AUTOML_SEED 42			/* ml_train's default: the same split */
#define AUTOML_TEST_SIZE 0.25
#define MAX_PREPS 8				/* distinct preprocessings */

typedef struct AmTrial
{
	const MLLearner *learner;
	int			prep;			/* which prepared data it trains on */
	int			phase;			/* AutoMLPhase */
	char	   *params;			/* jsonb text */
	double		score;			/* mean validation key metric (NaN: failed) */
	double		std;
	double		seconds;
	const char *status;
	char	   *error;
	int64		run_id;
	double	   *oof;			/* n x width out-of-fold predictions, or NULL */
	double		weight;			/* in the ensemble; 0: not chosen */
} AmTrial;

typedef struct AutoML
{
	const char *project;
	const char *source;
	const char *target;
	const char *task_arg;
	double		budget;			/* seconds */
	struct timespec t0;
	TrainData  *prep[MAX_PREPS];
	int			n_prep;
	MLTask		task;
	const char *metric;
	bool		lower_better;
	int		   *fold;
	size_t		n;				/* training rows */
	int			k;				/* classes, 0: regression */
	int			width;
	const double *y;
	int64		project_id;
	int64		experiment_id;
	MemoryContext cxt;			/* the call's: trials and predictions */
	MemoryContext trial_cxt;	/* one trial's, reset after it */
	AmTrial    *tr;
	int			n_tr,
				cap;
	double		pool_key[AUTOML_POOL];
	int			pool_trial[AUTOML_POOL];
	int			n_pool;
	int			pool_cap;		/* AUTOML_POOL, or fewer in mlsql.max_memory */
	int			skipped;		/* trials that would have started too late */
	double		longest;		/* the longest trial, seconds */
} AutoML;

/* ---- time ---- */

static double
am_now(const AutoML *a)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) (t.tv_sec - a->t0.tv_sec) + (t.tv_nsec - a->t0.tv_nsec) / 1e9;
}

/*
 * A trial's time box: a PostgreSQL timeout whose handler asks for a cancel
 * as the SIGINT handler does, and marks it as ours.
 */
static TimeoutId am_timeout_id = MAX_TIMEOUTS;	/* MAX_TIMEOUTS: not registered */
static volatile sig_atomic_t am_timed_out = false;

static void
am_timeout_handler(void)
{
	am_timed_out = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
}

static void
am_arm(double seconds)
{
	if (am_timeout_id == MAX_TIMEOUTS)
		am_timeout_id = RegisterTimeout(USER_TIMEOUT, am_timeout_handler);
	am_timed_out = false;
	enable_timeout_after(am_timeout_id, (int) Min(Max(ceil(seconds * 1000), 1), INT_MAX));
}

/* stop the timer; true when it fired (its cancel request, if still pending, is dropped) */
static bool
am_disarm(void)
{
	bool		fired;

	if (am_timeout_id != MAX_TIMEOUTS)
		disable_timeout(am_timeout_id, false);
	fired = am_timed_out;
	if (fired)
		QueryCancelPending = false;
	am_timed_out = false;
	return fired;
}

/* ---- data ---- */

static bool
same_preprocessing(const MLLearner *x, const MLLearner *y)
{
	return x->encode == y->encode && x->scale == y->scale && x->keep_missing == y->keep_missing;
}

/* the prepared data of learner l's preprocessing, read and split on first use */
static int
am_prep(AutoML *a, const MLLearner *l)
{
	TrainData  *td;

	for (int i = 0; i < a->n_prep; i++)
		if (same_preprocessing(a->prep[i]->learner, l))
			return i;
	if (a->n_prep == MAX_PREPS)
		elog(ERROR, "too many preprocessings");
	td = palloc0(sizeof(TrainData));
	td->project = a->project;
	td->source = a->source;
	td->target = a->target;
	td->params_jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	td->task_arg = a->n_prep == 0 ? a->task_arg : ml_task_name(a->task);
	td->test_size = AUTOML_TEST_SIZE;
	td->seed = AUTOML_SEED;
	td->learner = l;
	train_prepare(td);
	a->prep[a->n_prep] = td;
	return a->n_prep++;
}

/* learners phase 2 tries: they support the task, are no composite and no baseline */
static bool
am_candidate(const AutoML *a, const MLLearner *l)
{
	return (l->tasks & ML_TASK_BIT(a->task)) && !ensemble_is(l) && l != learner_baseline();
}

/* the data, the task, the metric and the folds; every read happens here, up front */
static void
am_data(AutoML *a)
{
	TrainData  *td;

	am_prep(a, learner_baseline());
	td = a->prep[0];
	a->task = td->task;
	if (a->task != ML_CLASSIFICATION && a->task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ml_automl needs a regression or classification task, not %s",
						ml_task_name(a->task))));
	for (int i = 0; i < learner_count(); i++)
		if (am_candidate(a, learner_at(i)))
			am_prep(a, learner_at(i));
	a->metric = catalog_project_metric(td->project_id);
	if (a->metric == NULL)
		a->metric = metrics_key(a->task);
	metrics_valid(a->task, a->metric, &a->lower_better);
	a->n = td->train->n_rows;
	a->k = a->task == ML_CLASSIFICATION ? td->model->n_classes : 0;
	a->width = a->k > 0 ? a->k : 1;
	a->y = td->train->y;
	if (a->n < 2 * AUTOML_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("training split has %zu rows, ml_automl needs at least %d", a->n,
						2 * AUTOML_FOLDS),
				 errhint("Use a larger source.")));
	a->fold = dataset_folds(td->train, AUTOML_FOLDS, ml_mix64((uint64_t) AUTOML_SEED ^ 0xF07Dull));
	/* the kept predictions (and one trial's) take at most a quarter of mlsql.max_memory */
	{
		double		one = (double) a->n * a->width * sizeof(double);
		double		room = (double) mlsql_max_memory_kb * 1024.0 / 4;

		a->pool_cap = (int) Max(1, Min(AUTOML_POOL, floor(room / one) - 1));
	}
}

/* ---- trials ---- */

/* n x width predictions of the rows of d (features column-major) */
static void
predict_rows(const MLModel *m, const MLDataset *d, double *out)
{
	size_t		n = d->n_rows,
				p = d->n_cols;
	double	   *block = palloc(sizeof(double) * 256 * Max(p, 1));

	for (size_t start = 0; start < n; start += 256)
	{
		size_t		len = Min(256, n - start);

		for (size_t i = 0; i < len; i++)
			for (size_t j = 0; j < p; j++)
				block[i * p + j] = d->X[j * n + start + i];
		model_predict(m, block, len, out + start * model_output_width(m));
		CHECK_FOR_INTERRUPTS();
	}
	pfree(block);
}

/* the folds of one trial: out-of-fold predictions of every training row into oof */
static void
am_folds(AutoML *a, const AmTrial *T, double *oof)
{
	const TrainData *td = a->prep[T->prep];
	const MLDataset *d = td->train;
	size_t	   *fit_rows = palloc(sizeof(size_t) * a->n);
	size_t	   *val_rows = palloc(sizeof(size_t) * a->n);
	double	   *out = palloc(sizeof(double) * a->n * a->width);
	MLParams   *params = params_from_jsonb(T->learner,
										   DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(T->params))));
	MLModel		m = *td->model;

	params_bind_classes(params, td->model->class_labels, td->model->n_classes);
	m.learner = T->learner;
	for (int f = 0; f < AUTOML_FOLDS; f++)
	{
		size_t		nf = 0,
					nv = 0;
		MLFitContext ctx = {0};
		MLDataset  *va;

		for (size_t i = 0; i < a->n; i++)
		{
			if (a->fold[i] == f)
				val_rows[nv++] = i;
			else
				fit_rows[nf++] = i;
		}
		ctx.seed = ml_mix64((uint64_t) AUTOML_SEED ^ ml_mix64(0xC5ull + (uint64_t) f));
		ctx.threads = mlsql_threads;
		fit_context_names(&ctx, td->model);
		m.state = T->learner->fit(dataset_subset(d, fit_rows, nf), NULL, params, &ctx);
		va = dataset_subset(d, val_rows, nv);
		predict_rows(&m, va, out);
		for (size_t i = 0; i < nv; i++)
			memcpy(oof + val_rows[i] * a->width, out + i * a->width, sizeof(double) * a->width);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Run trial T in a subtransaction until box_end (seconds from the start):
 * its out-of-fold predictions, score and status.  A failing trial, or one
 * its timer stopped, is 'failed' with its error; the user's cancel, or a
 * shutdown, ends the call.
 */
static void
am_run(AutoML *a, AmTrial *T, double box_end)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	double		start = am_now(a);
	double	   *oof = MemoryContextAllocHuge(a->cxt, sizeof(double) * a->n * a->width);
	bool		fired;

	T->error = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(a->trial_cxt);
	PG_TRY();
	{
		am_arm(box_end - start);
		am_folds(a, T, oof);
		fired = am_disarm();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		fired = am_disarm();
		MemoryContextSwitchTo(oldcxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (!(fired && ed->sqlerrcode == ERRCODE_QUERY_CANCELED) &&
			(ed->sqlerrcode == ERRCODE_QUERY_CANCELED || ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			 ProcDiePending || QueryCancelPending))
			ReThrowError(ed);
		T->error = ed->message ? pstrdup(ed->message) : pstrdup("error");
	}
	PG_END_TRY();
	MemoryContextReset(a->trial_cxt);
	T->seconds = am_now(a) - start;
	a->longest = Max(a->longest, T->seconds);
	if (fired)
		T->error = psprintf("its time box of %.3g s ran out", box_end - start);
	T->score = T->std = NAN;
	if (T->error == NULL)
	{
		T->score = automl_cv_score(a->y, oof, a->fold, a->n, AUTOML_FOLDS, a->k, a->metric, &T->std);
		if (isnan(T->score))
			T->error = psprintf("validation %s is not finite", a->metric);
	}
	T->status = T->error ? "failed" : "finished";
	if (T->error)
	{
		pfree(oof);
		return;
	}
	T->oof = oof;
}

static int64
am_record(AutoML *a, const AmTrial *T, const char *algorithm)
{
	CatalogRun	run;
	MetricRows	rows = {0};
	int64		run_id;

	catalog_run_init(&run);
	run.experiment_id = a->experiment_id;
	run.project_id = a->project_id;
	run.algorithm = algorithm;
	run.params = json_text_to_jsonb(T->params, strlen(T->params));
	run.seed = AUTOML_SEED;
	run.status = T->status;
	run.error = T->error;
	run.train_seconds = T->seconds;
	run.task = ml_task_name(a->task);
	run.n_train = (int64) a->n;
	run.n_validation = 0;
	run_id = catalog_insert_run(&run);
	if (!isnan(T->score))
	{
		add_metric(&rows, "validation", a->metric, -1, T->score);
		if (!isnan(T->std))
			add_metric(&rows, "validation", psprintf("%s_std", a->metric), -1, T->std);
	}
	add_metric(&rows, "validation", "automl_phase", -1, T->phase);
	catalog_insert_metrics(run_id, &rows);
	return run_id;
}

static double
am_key(const AutoML *a, double score)
{
	return search_rank_key(score, a->lower_better);
}

/* a new, zeroed trial; its index */
static int
am_new_trial(AutoML *a)
{
	if (a->n_tr == a->cap)
	{
		a->cap *= 2;
		a->tr = repalloc(a->tr, sizeof(AmTrial) * a->cap);
	}
	memset(&a->tr[a->n_tr], 0, sizeof(AmTrial));
	return a->n_tr++;
}

/*
 * Run, record and pool one trial (its out-of-fold predictions kept while
 * it is among the pool_cap best, unless a pooled trial predicted the very
 * same).  Returns its index.
 */
static int
am_trial(AutoML *a, const MLLearner *l, int phase, char *params, double box_end)
{
	AmTrial    *T;
	int			slot,
				evicted,
				t;

	t = am_new_trial(a);
	T = &a->tr[t];
	T->learner = l;
	T->prep = am_prep(a, l);
	T->phase = phase;
	T->params = params;
	am_run(a, T, box_end);
	T->run_id = am_record(a, T, l->name);
	/* a trial that predicts exactly what a pooled one does adds nothing to choose from */
	for (int q = 0; q < a->n_pool && T->oof; q++)
		if (a->pool_key[q] == am_key(a, T->score) &&
			memcmp(a->tr[a->pool_trial[q]].oof, T->oof, sizeof(double) * a->n * a->width) == 0)
		{
			pfree(T->oof);
			T->oof = NULL;
		}
	slot = T->oof ? automl_pool_admit(a->pool_key, a->pool_trial, &a->n_pool, a->pool_cap,
									  am_key(a, T->score), t, &evicted) : -1;
	if (slot < 0 && T->oof)
	{
		pfree(T->oof);
		T->oof = NULL;
	}
	if (slot >= 0 && evicted >= 0)
	{
		pfree(a->tr[evicted].oof);
		a->tr[evicted].oof = NULL;
	}
	mlsql_progress_report(psprintf("%s trial", automl_phase_name(phase)), a->n_tr, 0,
						  isnan(T->score) ? NULL : a->metric, T->score);
	return t;
}

/*
 * Phase 1's rules: each predicts the training split once (its own
 * pipeline on the source's rows, as ml_train's baseline scores it), and
 * its cv score is the key metric of those predictions on each fold's
 * held-out rows (automl_cv_score, as a trial's out-of-fold predictions).
 * Recorded as a trial of phase 1, algorithm 'rule'.
 *
 * A rule never joins the ensemble pool (its oof is not kept, so neither
 * am_best nor ensemble selection sees it): phase 5 refits the choice with
 * ml_train, and the voting refit trains its members, but a rule cannot be
 * trained.  Nor is a rule searched (phase 3 takes phase 2's learners).
 */
static void
am_rules(AutoML *a)
{
	const TrainData *td = a->prep[0];
	RuleInput  *rules;
	int			n_rules;

	rules = rule_inputs(a->project_id, td->model, td->src, td->train_rows, a->n, "the leaderboard",
						&n_rules);
	for (int r = 0; r < n_rules; r++)
	{
		AmTrial    *T = &a->tr[am_new_trial(a)];
		double		start = am_now(a);
		double	   *pred;
		MLBuffer	b;

		T->learner = learner_rule();
		T->prep = 0;
		T->phase = AUTOML_BASELINE;
		buffer_init(&b);
		buffer_printf(&b, "{\"rule\": ");
		buffer_json_str(&b, rules[r].name);
		buffer_printf(&b, ", \"version\": %d}", (int) rules[r].version);
		buffer_put_u8(&b, '\0');
		T->params = (char *) b.data;
		T->score = T->std = NAN;
		if (model_output_width(rules[r].model) != (size_t) a->width)
			T->error = pstrdup("the rule predicts another number of outputs than the task has");
		else
		{
			pred = MemoryContextAllocHuge(a->trial_cxt, sizeof(double) * a->n * a->width);
			predict_rows(rules[r].model, make_dataset(rules[r].X, a->n, rules[r].model, td->all_y,
													  td->train_rows), pred);
			T->score = automl_cv_score(a->y, pred, a->fold, a->n, AUTOML_FOLDS, a->k, a->metric,
									   &T->std);
			if (isnan(T->score))
				T->error = psprintf("validation %s is not finite", a->metric);
		}
		MemoryContextReset(a->trial_cxt);
		T->status = T->error ? "failed" : "finished";
		T->seconds = am_now(a) - start;
		T->run_id = am_record(a, T, T->learner->name);
		mlsql_progress_report(psprintf("%s rule", automl_phase_name(AUTOML_BASELINE)), a->n_tr, 0,
							  isnan(T->score) ? NULL : a->metric, T->score);
	}
}

/* phases 1 and 2: the baseline and the rules, then every applicable learner with its defaults */
static void
am_defaults(AutoML *a, double end_defaults)
{
	int			left = 0;

	am_trial(a, learner_baseline(), AUTOML_BASELINE, pstrdup("{}"),
			 Max(end_defaults, am_now(a) + 1));
	am_rules(a);
	for (int i = 0; i < learner_count(); i++)
		left += am_candidate(a, learner_at(i));
	for (int i = 0; i < learner_count(); i++)
	{
		const MLLearner *l = learner_at(i);
		double		box;

		if (!am_candidate(a, l))
			continue;
		box = automl_time_box(am_now(a), end_defaults, left--);
		if (isnan(box))
		{
			a->skipped++;
			continue;
		}
		am_trial(a, l, AUTOML_DEFAULTS, pstrdup("{}"), box);
	}
}

/* params of a point of the space (ml_search's trial_params, nothing fixed) */
static char *
am_point_params(const MLSpace *space, const double *v)
{
	MLBuffer	b;

	buffer_init(&b);
	space_point_json(space, v, &b);
	buffer_put_u8(&b, '\0');
	return catalog_apply_params(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))),
								json_text_to_jsonb((char *) b.data, strlen((char *) b.data)));
}

/* TPE on learner l's default space until learner_end */
static void
am_search_learner(AutoML *a, const MLLearner *l, double learner_end)
{
	char	   *text = catalog_default_space(l->name);
	MLSpace    *space;
	double	   *points,
			   *scores;

	if (text == NULL)
		return;
	space = space_parse(text, strlen(text));
	points = palloc(sizeof(double) * Max(space->n, 1) * AUTOML_MAX_SEARCH);
	scores = palloc(sizeof(double) * AUTOML_MAX_SEARCH);
	for (int t = 0; t < AUTOML_MAX_SEARCH; t++)
	{
		double	   *v = points + (size_t) t * space->n;
		double		box = automl_time_box(am_now(a), learner_end, 1);
		int			i;

		if (isnan(box))
		{
			a->skipped++;
			return;
		}
		space_tpe_point(space, (uint64_t) AUTOML_SEED, t, points, scores, t, ML_TPE_STARTUP, v);
		i = am_trial(a, l, AUTOML_SEARCH, am_point_params(space, v), box);
		scores[t] = isnan(a->tr[i].score) ? NAN : am_key(a, a->tr[i].score);
	}
}

/* phase 3: the best few learners of phase 2, an equal share of the search's time each */
static void
am_search(AutoML *a, double end_search)
{
	int			n = a->n_tr;
	double	   *key = palloc(sizeof(double) * Max(n, 1));
	int		   *group = palloc(sizeof(int) * Max(n, 1));
	bool	   *ok = palloc(sizeof(bool) * Max(n, 1));
	int		   *top = palloc(sizeof(int) * Max(n, 1));
	int			n_top;

	for (int t = 0; t < n; t++)
	{
		key[t] = am_key(a, a->tr[t].score);
		group[t] = a->tr[t].learner->id;
		/* learners without a default space have nothing to search */
		ok[t] = a->tr[t].phase == AUTOML_DEFAULTS && !isnan(a->tr[t].score) &&
			catalog_default_space(a->tr[t].learner->name) != NULL;
	}
	n_top = automl_top_groups(key, group, ok, n, AUTOML_TOP, top);
	for (int q = 0; q < n_top; q++)
	{
		double		end = automl_time_box(am_now(a), end_search, n_top - q);

		if (isnan(end))
		{
			a->skipped++;
			break;
		}
		am_search_learner(a, a->tr[top[q]].learner, end);
	}
}

/* ---- phase 4: ensemble selection ---- */

/* what refitting a trial on the whole training split should take, from its folds' time */
static double
am_refit_estimate(const AmTrial *T)
{
	return T->seconds / (AUTOML_FOLDS - 1);
}

/* a voting model of the chosen trials with the selection's counts as weights */
static char *
am_voting_params(const AutoML *a, const int *members, const int *counts, int m)
{
	MLBuffer	b;
	bool		first = true;

	buffer_init(&b);
	buffer_printf(&b, "{\"estimators\": [");
	for (int c = 0; c < m; c++)
	{
		const AmTrial *T = &a->tr[members[c]];

		if (counts[c] == 0)
			continue;
		buffer_printf(&b, "%s{\"algorithm\": ", first ? "" : ", ");
		buffer_json_str(&b, T->learner->name);
		buffer_printf(&b, "%s%s", strcmp(T->params, "{}") == 0 ? "}" : ", ",
					  strcmp(T->params, "{}") == 0 ? "" : T->params + 1);
		first = false;
	}
	buffer_printf(&b, "], \"weights\": [");
	first = true;
	for (int c = 0; c < m; c++)
		if (counts[c] > 0)
		{
			buffer_printf(&b, "%s%d", first ? "" : ", ", counts[c]);
			first = false;
		}
	buffer_printf(&b, "]%s}", a->k > 0 ? ", \"voting\": \"soft\"" : "");
	buffer_put_u8(&b, '\0');
	return (char *) b.data;
}

/* the best finished trial (ties to the earlier); an error when every trial failed */
static int
am_best(const AutoML *a)
{
	double	   *key = palloc(sizeof(double) * Max(a->n_tr, 1));
	bool	   *ok = palloc(sizeof(bool) * Max(a->n_tr, 1));
	int			best;

	for (int t = 0; t < a->n_tr; t++)
	{
		key[t] = am_key(a, a->tr[t].score);
		ok[t] = !isnan(a->tr[t].score) && a->tr[t].oof != NULL;
	}
	best = search_best(key, ok, a->n_tr);
	if (best < 0)
	{
		const char *first = NULL;

		for (int t = 0; t < a->n_tr && first == NULL; t++)
			first = a->tr[t].error;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("every trial of ml_automl failed"),
				 first ? errdetail("The first error: %s", first) : 0,
				 errhint("A larger budget gives each trial more time.")));
	}
	return best;
}

/*
 * Greedy selection with replacement over the pooled trials' out-of-fold
 * predictions, recorded as a run of phase 4 (its members' weights as
 * their metric ensemble_weight).  *algorithm and *params get what phase 5
 * refits: the ensemble when it has two members or more, its score (the
 * key metric over the folds of the blended out-of-fold predictions, as a
 * trial's) is at least the best trial's, and its refit is expected to fit
 * in the budget (or to take no longer than the best trial's); else the
 * best trial.  Returns the run the refit
 * descends from.
 */
static int64
am_ensemble(AutoML *a, const char **algorithm, char **params)
{
	int			best = am_best(a);
	int			m = a->n_pool;
	int		   *members = palloc(sizeof(int) * m);
	int		   *counts = palloc(sizeof(int) * m);
	const double **pred = palloc(sizeof(double *) * m);
	double	   *blend = palloc(sizeof(double) * a->n * a->width);
	double		start = am_now(a),
				estimate = 0,
				total = 0;
	int			distinct = 0;
	AmTrial		E = {0};

	/* candidates in trial order */
	memcpy(members, a->pool_trial, sizeof(int) * m);
	for (int q = 1; q < m; q++)
		for (int z = q; z > 0 && members[z] < members[z - 1]; z--)
		{
			int			x = members[z];

			members[z] = members[z - 1];
			members[z - 1] = x;
		}
	for (int c = 0; c < m; c++)
		pred[c] = a->tr[members[c]].oof;
	ensemble_select(pred, m, a->y, a->n, a->width, AUTOML_ROUNDS, counts, NULL);
	automl_blend(pred, counts, m, a->n, a->width, blend);
	for (int c = 0; c < m; c++)
		if (counts[c] > 0)
		{
			distinct++;
			total += counts[c];
			estimate += am_refit_estimate(&a->tr[members[c]]);
		}
	E.learner = ensemble_voting_learner();
	E.phase = AUTOML_ENSEMBLE;
	E.params = am_voting_params(a, members, counts, m);
	/* scored as every trial is: the mean over the folds of its out-of-fold predictions */
	E.score = automl_cv_score(a->y, blend, a->fold, a->n, AUTOML_FOLDS, a->k, a->metric, &E.std);
	E.status = "finished";
	E.seconds = am_now(a) - start;
	E.run_id = am_record(a, &E, E.learner->name);
	for (int c = 0; c < m; c++)
		if (counts[c] > 0)
		{
			MetricRows	rows = {0};

			a->tr[members[c]].weight = counts[c] / total;
			add_metric(&rows, "validation", "ensemble_weight", -1, counts[c] / total);
			catalog_insert_metrics(a->tr[members[c]].run_id, &rows);
		}
	if (distinct >= 2 && !isnan(E.score) && !metrics_better(a->metric, a->tr[best].score, E.score) &&
		(am_now(a) + estimate <= a->budget ||
		 estimate <= am_refit_estimate(&a->tr[best])))
	{
		*algorithm = E.learner->name;
		*params = E.params;
		return E.run_id;
	}
	*algorithm = a->tr[best].learner->name;
	*params = a->tr[best].params;
	return a->tr[best].run_id;
}

/* ---- phase 5: the refit ---- */

/*
 * ml_train refits the choice on the whole training split (the same split:
 * same seed and test_size), scores the test split once and deploys by its
 * gate; its row is ml_automl's.  The refit's run descends from parent.
 */
static void
am_refit(FunctionCallInfo fcinfo, AutoML *a, const char *algorithm, const char *params,
		 int64 parent)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		args[9];
	Oid			types[9] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, FLOAT8OID,
	INT8OID, TEXTOID};
	Datum		vals[9];
	bool		nulls[9];
	bool		isnull;
	int			rc;

	args[0] = CStringGetTextDatum(a->project);
	args[1] = CStringGetTextDatum(a->source);
	args[2] = CStringGetTextDatum(a->target);
	args[3] = CStringGetTextDatum(algorithm);
	args[4] = json_text_to_jsonb(params, strlen(params));
	args[5] = CStringGetTextDatum(ml_task_name(a->task));
	args[6] = Float8GetDatum(AUTOML_TEST_SIZE);
	args[7] = Int64GetDatum(AUTOML_SEED);
	args[8] = CStringGetTextDatum("if_better");
	rc = SPI_execute_with_args(psprintf("SELECT * FROM %s.ml_train($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9)",
										quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)))),
							   9, types, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1 || SPI_tuptable->tupdesc->natts != 9)
		elog(ERROR, "refitting the choice of ml_automl failed");
	for (int i = 0; i < 9; i++)
		vals[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i]);
	catalog_set_parent_run(DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
													   4, &isnull)), parent);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
}

/* ---- the call ---- */

static void
am_args(FunctionCallInfo fcinfo, AutoML *a)
{
	Interval   *iv;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of ml_automl must not be NULL", i + 1)));
	a->project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	catalog_check_project_name(a->project);
	a->source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	a->target = text_to_cstring(PG_GETARG_TEXT_PP(2));
	iv = PG_GETARG_INTERVAL_P(3);
	a->budget = (double) iv->time / USECS_PER_SEC + (double) iv->day * SECS_PER_DAY +
		(double) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
	if (!(a->budget > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("budget must be positive, got %s",
						DatumGetCString(DirectFunctionCall1(interval_out, PointerGetDatum(iv)))),
				 errhint("For example budget => '5 minutes'.")));
	a->task_arg = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (a->task_arg && strcmp(a->task_arg, ml_task_name(ML_CLASSIFICATION)) != 0 &&
		strcmp(a->task_arg, ml_task_name(ML_REGRESSION)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid task \"%s\"", a->task_arg),
				 errhint("Use 'classification' or 'regression', or NULL to infer it from the target.")));
}

/* the call's experiment: kind 'automl', its arguments and plan as config */
static void
am_experiment(AutoML *a)
{
	MLBuffer	cfg;

	buffer_init(&cfg);
	buffer_printf(&cfg, "{\"source\": ");
	buffer_json_str(&cfg, a->source);
	buffer_printf(&cfg, ", \"target\": ");
	buffer_json_str(&cfg, a->target);
	buffer_printf(&cfg, ", \"task\": ");
	buffer_json_str(&cfg, ml_task_name(a->task));
	buffer_printf(&cfg, ", \"budget_seconds\": ");
	buffer_json_num(&cfg, a->budget);
	buffer_printf(&cfg, ", \"metric\": ");
	buffer_json_str(&cfg, a->metric);
	buffer_printf(&cfg, ", \"folds\": %d, \"test_size\": ", AUTOML_FOLDS);
	buffer_json_num(&cfg, AUTOML_TEST_SIZE);
	buffer_printf(&cfg, ", \"seed\": %d, \"rounds\": %d}", AUTOML_SEED, AUTOML_ROUNDS);
	a->project_id = catalog_project_for_write(a->project, a->task, "automl", &a->prep[0]->target_info);
	a->experiment_id = catalog_insert_experiment(a->project_id, "automl", "automl", jsonb_datum(&cfg));
}

/*
 * ml_automl(project, source, target, budget, task): the row of ml_train
 * for the model it refits; the trials are in mlsql.automl_leaderboard.
 */
Datum
mlsql_automl(PG_FUNCTION_ARGS)
{
	AutoML		a = {0};
	double		end_defaults,
				end_search;
	const char *algorithm;
	char	   *params;
	int64		parent;

	clock_gettime(CLOCK_MONOTONIC, &a.t0);
	InitMaterializedSRF(fcinfo, 0);
	am_args(fcinfo, &a);
	mlsql_progress_begin("ml_automl");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a.cxt = CurrentMemoryContext;
	a.trial_cxt = AllocSetContextCreate(a.cxt, "mlsql automl trial", ALLOCSET_DEFAULT_SIZES);
	a.cap = 64;
	a.tr = palloc(sizeof(AmTrial) * a.cap);

	am_data(&a);
	am_experiment(&a);
	automl_phase_ends(a.budget, &end_defaults, &end_search);
	am_defaults(&a, end_defaults);
	am_search(&a, end_search);
	parent = am_ensemble(&a, &algorithm, &params);
	ereport(NOTICE,
			(errmsg("ml_automl: %d trials in %.1f s of a %.1f s budget (longest %.2f s, %d not started); refitting %s",
					a.n_tr, am_now(&a), a.budget, a.longest, a.skipped, algorithm)));
	am_refit(fcinfo, &a, algorithm, params, parent);
	SPI_finish();
	mlsql_progress_end();
	return (Datum) 0;
}
