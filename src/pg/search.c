/*-------------------------------------------------------------------------
 *
 * search.c
 *	  ml_search: hyperparameter search with cross-validation (validate.c),
 *	  every trial a run; halving and ranking in src/core/halving.c.
 *
 * The source is read and split once, exactly as ml_train splits it (same
 * arguments, same test rows), and the pipeline is fitted on the training
 * split.  Trials are scored by k-fold cross-validation inside the training
 * split (stratified for classification; folds => 0 holds out one fifth), so
 * the test split never takes part in selection.  Each trial runs in a
 * subtransaction: a failing combination is recorded as a failed run with
 * its error and the search goes on; a cancel request still stops it.  The
 * best trial is refit by ml_train on the whole training split, scored once
 * on the test split and deployed by its rule; its run's parent is the best
 * trial's run.
 *
 * A search's experiment config holds every argument but trials and deploy:
 * calling ml_search again with the same config extends the same search
 * (earlier trials are read back, not recomputed), and because trial t's
 * proposal depends only on the seed, t and the earlier trials, the extended
 * search is the one a single longer call would have run.  Halving is
 * reproduced, not extended: its config includes trials.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "core/buffer.h"
#include "core/halving.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/search.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/source.h"
#include "pg/validate.h"

PG_FUNCTION_INFO_V1(mlsql_search);

#define MAX_TRIALS 10000

typedef struct Trial
{
	double	   *v;				/* the point */
	char	   *params;			/* params jsonb text: fixed + searched */
	int64		run_id;
	double		score;			/* mean validation metric (NaN: failed) */
	double		std;
	double		seconds;
	const char *status;
	double		fraction;		/* halving: share of training rows used */
} Trial;

static Datum
jsonb_datum_cstr(const char *s)
{
	return json_text_to_jsonb(s, strlen(s));
}

/* the extension's schema (where fn lives), quoted, for calls to its SQL functions */
static char *
ext_schema(Oid fn)
{
	return (char *) quote_identifier(get_namespace_name(get_func_namespace(fn)));
}

static Jsonb *
jsonb_from_text(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/* fixed params with the point's values set at their (dotted) paths */
static char *
trial_params(const MLSpace *space, const double *v, Jsonb *fixed)
{
	MLBuffer	b;

	buffer_init(&b);
	space_point_json(space, v, &b);
	buffer_put_u8(&b, '\0');
	return catalog_apply_params(fixed, jsonb_datum_cstr((char *) b.data));
}

typedef struct SearchArgs
{
	const char *metric;
	bool		lower_better;
	int			folds;
	int64		seed;
} SearchArgs;

/*
 * Score one trial in a subtransaction.  Fills score, std and status; on an
 * error other than a cancel, the trial failed and *error holds why.
 */
static void
run_trial(const TrainData *td, Trial *t, const SearchArgs *a, const int *fold, const bool *pool,
		  MetricRows *rows, char **error, MemoryContext trial_cxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	struct timespec t0,
				t1;
	int			n_eval = a->folds == 0 ? 1 : a->folds;
	MLMetricSet *per = palloc0(sizeof(MLMetricSet) * n_eval);
	int			done = 0;

	*error = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(trial_cxt);
	PG_TRY();
	{
		MLParams   *params = params_from_jsonb(td->model->learner, jsonb_from_text(t->params));

		params_bind_classes(params, td->model->class_labels, td->model->n_classes);
		cross_validate(td, params, a->folds, fold, pool, a->metric, NULL, per, &done, a->seed);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(oldcxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		/* a cancel or a shutdown ends the search, it is no failed trial */
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			ProcDiePending || QueryCancelPending)
			ReThrowError(ed);
		*error = ed->message ? pstrdup(ed->message) : pstrdup("error");
		done = 0;
	}
	PG_END_TRY();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* halving: every rung the trial ran counts */
	t->seconds += (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (*error)
	{
		t->score = t->std = NAN;
		t->status = "failed";
	}
	else
	{
		double		sum = 0,
					ss = 0;

		for (int f = 0; f < done; f++)
		{
			double		v = metrics_get(&per[f], a->metric);

			add_metric(rows, "validation", a->metric, f + 1, v);
			sum += v;
		}
		t->score = sum / done;
		for (int f = 0; f < done; f++)
		{
			double		v = metrics_get(&per[f], a->metric) - t->score;

			ss += v * v;
		}
		t->std = done > 1 ? sqrt(ss / done) : 0;
		t->status = "finished";
		if (!isfinite(t->score))
		{
			t->status = "failed";
			*error = psprintf("validation %s is not finite", a->metric);
		}
	}
	MemoryContextReset(trial_cxt);
}

static int64
record_trial(int64 experiment_id, int64 project_id, const TrainData *td, const Trial *t,
			 const char *error, MetricRows *rows, const char *metric, int64 seed)
{
	int64		run_id;
	char		std_name[64];
	CatalogRun	run;

	snprintf(std_name, sizeof(std_name), "%s_std", metric);
	catalog_run_init(&run);
	run.experiment_id = experiment_id;
	run.project_id = project_id;
	run.algorithm = td->model->learner->name;
	run.params = jsonb_datum_cstr(t->params);
	run.seed = seed;
	run.status = t->status;
	run.error = error;
	run.train_seconds = t->seconds;
	run.task = ml_task_name(td->task);
	run.n_train = (int64) td->n_train;
	run.n_validation = 0;
	run_id = catalog_insert_run(&run);
	if (!isnan(t->score))
	{
		add_metric(rows, "validation", metric, -1, t->score);
		add_metric(rows, "validation", pstrdup(std_name), -1, t->std);
	}
	if (t->fraction < 1)
		add_metric(rows, "validation", "train_fraction", -1, t->fraction);
	catalog_insert_metrics(run_id, rows);
	return run_id;
}

/* the rank key of a trial: higher is better, failed last */
static double
rank_key(const Trial *t, bool lower_better)
{
	return search_rank_key(t->score, lower_better);
}

/* one ml_search call: its arguments, its data and its trials */
typedef struct Search
{
	const char *project;
	const char *source;
	const char *target;
	const char *algorithm;
	const char *method;
	const char *deploy;
	const char *metric_arg;
	Jsonb	   *fixed;
	char	   *space_text;
	MLSpace    *space;
	int			trials;
	int			folds;
	bool		halving;
	TrainData	td;
	SearchArgs	a;
	int		   *fold;
	int64		project_id;
	int64		experiment_id;
	MemoryContext trial_cxt;
	Trial	   *tr;
	int			n_total;		/* trials proposed */
	int			n_have;			/* of them read back from earlier calls */
	char	   *first_error;
} Search;

/* the arguments ml_search checks before connecting to SPI, in the order of its errors */
static void
search_args(FunctionCallInfo fcinfo, Search *s)
{
	for (int i = 0; i < 15; i++)
		if (PG_ARGISNULL(i) && i != 2 && i != 8 && i != 10 && i != 11)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of ml_search must not be NULL", i + 1)));
	s->project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	s->source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	s->algorithm = text_to_cstring(PG_GETARG_TEXT_PP(3));
	s->method = text_to_cstring(PG_GETARG_TEXT_PP(5));
	s->trials = PG_GETARG_INT32(6);
	s->folds = PG_GETARG_INT32(7);
	s->fixed = PG_GETARG_JSONB_P(9);
	s->deploy = text_to_cstring(PG_GETARG_TEXT_PP(14));
	s->halving = strcmp(s->method, "halving") == 0;
	catalog_check_project_name(s->project);

	if (strcmp(s->method, "grid") != 0 && strcmp(s->method, "random") != 0 &&
		strcmp(s->method, "bayes") != 0 && !s->halving)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid search method \"%s\"", s->method),
				 errhint("Use 'grid', 'random', 'bayes' (TPE) or 'halving'.")));
	if (s->trials < 1 || s->trials > MAX_TRIALS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trials must be between 1 and %d, got %d", MAX_TRIALS, s->trials)));
	if (s->folds == 1 || s->folds < 0 || s->folds > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be 0 (one validation split) or 2 to 100, got %d", s->folds),
				 errhint("One fold leaves nothing to validate on; use folds => 0 for a single validation split.")));
	if (strcmp(s->deploy, "if_better") != 0 && strcmp(s->deploy, "always") != 0 &&
		strcmp(s->deploy, "never") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deploy \"%s\"", s->deploy),
				 errhint("Use 'if_better', 'always' or 'never'.")));
	s->td.learner = learner_find(s->algorithm);
	if (s->td.learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", s->algorithm),
				 errhint("Available algorithms: %s.", learner_names())));
	if (!JB_ROOT_IS_OBJECT(s->fixed) || JB_ROOT_IS_SCALAR(s->fixed))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object")));
}

/* every searched name is a parameter of the learner, and not also fixed */
static void
check_space(const MLSpace *space, const MLLearner *learner, Jsonb *fixed)
{
	for (int j = 0; j < space->n; j++)
	{
		const char *name = space->p[j].name;
		const char *dot = strchr(name, '.');
		size_t		head = dot ? (size_t) (dot - name) : strlen(name);
		const MLParamSpec *ps = NULL;
		bool		isnull;
		Datum		d;

		for (int i = 0; learner->params[i].name; i++)
			if (strlen(learner->params[i].name) == head &&
				strncmp(learner->params[i].name, name, head) == 0)
				ps = &learner->params[i];
		if (ps == NULL || (dot && ps->type != ML_PARAM_JSON))
		{
			StringInfoData names;

			initStringInfo(&names);
			for (int i = 0; learner->params[i].name; i++)
				appendStringInfo(&names, "%s%s", i ? ", " : "", learner->params[i].name);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("search space names \"%s\", which is not a parameter of algorithm \"%s\"",
							name, learner->name),
					 errhint("Valid parameters: %s%s.", names.len ? names.data : "none",
							 dot ? " (dotted names reach into ensemble members: base.max_depth, estimators.1.k)" : "")));
		}
		if (SPI_execute_with_args("SELECT $1 OPERATOR(pg_catalog.#>) pg_catalog.string_to_array($2, '.') IS NOT NULL", 2,
								  (Oid[]) {JSONBOID, TEXTOID},
								  (Datum[]) {JsonbPGetDatum(fixed), CStringGetTextDatum(name)},
								  NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "space check failed");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && DatumGetBool(d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter \"%s\" is both fixed in params and searched in space", name),
					 errhint("Remove it from one of them.")));
	}
}

/* features (argument 12) as C strings into td; NULL leaves every column */
static void
search_features(FunctionCallInfo fcinfo, TrainData *td)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (PG_ARGISNULL(11))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(11);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	td->features = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL")));
		td->features[i] = TextDatumGetCString(elems[i]);
	}
	td->n_features = n;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be empty")));
}

/*
 * The data, split exactly as ml_train splits it; the metric (the call's,
 * the project's key metric from ml_set_metric, or the task's) and the
 * folds.
 */
static void
search_data(FunctionCallInfo fcinfo, Search *s)
{
	TrainData  *td = &s->td;
	SearchArgs *a = &s->a;

	td->project = s->project;
	td->source = s->source;
	td->target = s->target;
	search_features(fcinfo, td);
	td->params_jb = s->fixed;
	td->task_arg = PG_ARGISNULL(10) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(10));
	td->test_size = PG_GETARG_FLOAT8(12);
	td->seed = PG_GETARG_INT64(13);
	if (!(td->test_size >= 0.0 && td->test_size < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", td->test_size)));
	train_prepare(td);
	if (td->task != ML_CLASSIFICATION && td->task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ml_search needs a regression or classification task, not %s",
						ml_task_name(td->task))));
	a->metric = s->metric_arg ? s->metric_arg : catalog_project_metric(td->project_id);
	if (a->metric == NULL)
		a->metric = metrics_key(td->task);
	if (!metrics_valid(td->task, a->metric, &a->lower_better))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric \"%s\" is not a %s metric", a->metric, ml_task_name(td->task)),
				 errhint("%s", td->task == ML_CLASSIFICATION
						 ? "Use accuracy, precision, recall, f1, roc_auc, log_loss, brier or ece."
						 : "Use r2, rmse or mae.")));
	a->folds = s->folds;
	a->seed = td->seed;
	if ((size_t) Max(s->folds, 2) > td->n_train)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds (%d) must not exceed the training rows (%zu)", s->folds, td->n_train)));
	s->fold = dataset_folds(td->train, s->folds == 0 ? 5 : s->folds,
							ml_mix64((uint64_t) td->seed ^ 0xF07Dull));
}

/*
 * The search's experiment: an earlier one with the same config (every
 * argument but trials and deploy; halving's includes trials) goes on.
 */
static void
search_experiment(Search *s)
{
	TrainData  *td = &s->td;
	MLBuffer	cfg;

	buffer_init(&cfg);
	buffer_printf(&cfg, "{\"source\": ");
	buffer_json_str(&cfg, s->source);
	buffer_printf(&cfg, ", \"target\": ");
	if (s->target)
		buffer_json_str(&cfg, s->target);
	else
		buffer_printf(&cfg, "null");
	buffer_printf(&cfg, ", \"algorithm\": ");
	buffer_json_str(&cfg, s->algorithm);
	buffer_printf(&cfg, ", \"space\": %s, \"method\": ", s->space_text);
	buffer_json_str(&cfg, s->method);
	buffer_printf(&cfg, ", \"folds\": %d, \"metric\": ", s->folds);
	buffer_json_str(&cfg, s->a.metric);
	buffer_printf(&cfg, ", \"params\": %s, \"task\": ", JsonbToCString(NULL, &s->fixed->root, VARSIZE(s->fixed)));
	buffer_json_str(&cfg, ml_task_name(td->task));
	buffer_printf(&cfg, ", \"features\": ");
	if (td->features)
	{
		buffer_printf(&cfg, "[");
		for (int i = 0; i < td->n_features; i++)
		{
			buffer_printf(&cfg, "%s", i ? ", " : "");
			buffer_json_str(&cfg, td->features[i]);
		}
		buffer_printf(&cfg, "]");
	}
	else
		buffer_printf(&cfg, "null");
	buffer_printf(&cfg, ", \"test_size\": ");
	buffer_json_num(&cfg, td->test_size);
	buffer_printf(&cfg, ", \"seed\": " INT64_FORMAT, td->seed);
	if (s->halving)
		buffer_printf(&cfg, ", \"trials\": %d", s->trials);
	buffer_printf(&cfg, "}");
	buffer_put_u8(&cfg, '\0');

	s->project_id = catalog_project_for_write(s->project, td->task, "search", &td->target_info);
	s->experiment_id = catalog_find_experiment(s->project_id, "search", jsonb_datum_cstr((char *) cfg.data));
	if (s->experiment_id == 0)
		s->experiment_id = catalog_insert_experiment(s->project_id, "search", "search",
													 jsonb_datum_cstr((char *) cfg.data));
}

/* earlier trials of this search, read back into s->tr[0 .. n_have) */
static void
read_trials(Search *s)
{
	const MLSpace *space = s->space;
	int			cap;
	CatalogTrial *had = catalog_search_trials(s->experiment_id, s->a.metric, &s->n_have);

	cap = Max(s->n_total, s->n_have);
	s->tr = palloc0(sizeof(Trial) * Max(cap, 1));
	for (int i = 0; i < s->n_have; i++)
	{
		Trial	   *T = &s->tr[i];
		MLJson	   *pj;

		T->run_id = had[i].run_id;
		T->params = had[i].params;
		T->status = had[i].status;
		T->seconds = isnan(had[i].seconds) ? 0 : had[i].seconds;
		T->score = had[i].score;
		T->std = had[i].std;
		T->fraction = isnan(had[i].fraction) ? 1 : had[i].fraction;
		T->v = palloc(sizeof(double) * space->n);
		pj = json_parse(T->params, strlen(T->params), "a stored trial");
		for (int j = 0; j < space->n; j++)
		{
			const MLJson *x = pj;
			char	   *path = pstrdup(space->p[j].name);

			for (char *tok = strtok(path, "."); tok && x; tok = strtok(NULL, "."))
				x = x->type == ML_JSON_ARRAY ? (atoi(tok) >= 0 && atoi(tok) < x->n ? x->items[atoi(tok)] : NULL)
					: json_get(x, tok);
			T->v[j] = x ? space_value_from_json(space, j, x) : NAN;
		}
	}
}

/* run trial T on the pool's rows (NULL: all) and keep its first error */
static void
search_trial(Search *s, Trial *T, const bool *pool, MetricRows *rows, char **error)
{
	run_trial(&s->td, T, &s->a, s->fold, pool, rows, error, s->trial_cxt);
	if (*error && s->first_error == NULL)
		s->first_error = *error;
}

static int64
search_record(Search *s, const Trial *T, const char *error, MetricRows *rows)
{
	return record_trial(s->experiment_id, s->project_id, &s->td, T, error, rows, s->a.metric,
						s->td.seed);
}

/*
 * Grid, random and TPE: trials n_have .. n_total, each proposed from the
 * seed, its number and the trials before it, scored on all training rows.
 */
static void
run_sequential(Search *s)
{
	const MLSpace *space = s->space;
	int			n_total = s->n_total;
	double	   *points = palloc(sizeof(double) * space->n * Max(n_total, 1));
	double	   *scores = palloc(sizeof(double) * Max(n_total, 1));
	int			n_startup = space_tpe_startup(s->trials);
	uint64_t	seed = (uint64_t) s->td.seed;

	for (int i = 0; i < s->n_have && i < n_total; i++)
	{
		memcpy(points + (size_t) i * space->n, s->tr[i].v, sizeof(double) * space->n);
		scores[i] = rank_key(&s->tr[i], s->a.lower_better);
		if (!isfinite(scores[i]))
			scores[i] = NAN;
	}
	for (int t = s->n_have; t < n_total; t++)
	{
		Trial	   *T = &s->tr[t];
		MetricRows	rows = {0};
		char	   *error;

		T->v = palloc(sizeof(double) * space->n);
		if (strcmp(s->method, "grid") == 0)
			space_grid_point(space, (size_t) t, T->v);
		else if (strcmp(s->method, "random") == 0)
			space_random_point(space, seed, t, T->v);
		else
			space_tpe_point(space, seed, t, points, scores, t, n_startup, T->v);
		T->params = trial_params(space, T->v, s->fixed);
		T->fraction = 1;
		search_trial(s, T, NULL, &rows, &error);
		T->run_id = search_record(s, T, error, &rows);
		memcpy(points + (size_t) t * space->n, T->v, sizeof(double) * space->n);
		scores[t] = isnan(T->score) ? NAN : rank_key(T, s->a.lower_better);
		mlsql_progress_report("trial", t + 1, n_total, s->a.metric, T->score);
	}
}

/*
 * After a rung: rank the living by score; the best third goes on, the
 * rest are recorded as 'pruned' (the failed were recorded when they
 * failed).  Returns how many live on.
 */
static int
halving_prune(Search *s, int *alive, int n_alive)
{
	double	   *key = palloc(sizeof(double) * Max(s->n_total, 1));
	int			n_next,
				m = 0;

	for (int t = 0; t < s->n_total; t++)
		key[t] = rank_key(&s->tr[t], s->a.lower_better);
	n_next = halving_rank(alive, n_alive, key);
	for (int q = 0; q < n_alive; q++)
	{
		Trial	   *T = &s->tr[alive[q]];
		MetricRows	rows = {0};

		if (q < n_next && strcmp(T->status ? T->status : "", "failed") != 0)
			continue;
		if (T->status && strcmp(T->status, "failed") == 0)
			continue;			/* already recorded */
		T->status = "pruned";
		T->run_id = search_record(s, T, NULL, &rows);
	}
	for (int q = 0; q < n_alive; q++)
		if (s->tr[alive[q]].status == NULL)
			alive[m++] = alive[q];
	pfree(key);
	return m;
}

/*
 * Successive halving (src/core/halving.c): every configuration on a share
 * of the training rows, the best third goes on with three times the rows,
 * until the survivors use them all.  The pruned are recorded as 'pruned';
 * s->tr ends in run order, as a later call reads them back.
 */
static void
run_halving(Search *s)
{
	int			n_total = s->n_total;
	int		   *alive = palloc(sizeof(int) * n_total);
	int			n_alive = n_total;
	size_t		n = s->td.train->n_rows;
	uint32	   *rank = palloc(sizeof(uint32) * Max(n, 1));
	bool	   *pool = palloc(sizeof(bool) * Max(n, 1));
	int			rungs = halving_rungs(n_total);
	Trial	   *sorted;

	/* a seeded order of the training rows: each rung's rows contain the last's */
	halving_row_ranks(rank, n, s->td.seed);
	for (int t = 0; t < n_total; t++)
	{
		s->tr[t].v = palloc(sizeof(double) * s->space->n);
		space_random_point(s->space, (uint64_t) s->td.seed, t, s->tr[t].v);
		s->tr[t].params = trial_params(s->space, s->tr[t].v, s->fixed);
		alive[t] = t;
	}
	for (int r = 0; r <= rungs; r++)
	{
		size_t		keep = halving_rung_rows(r, rungs, n);

		for (size_t i = 0; i < n; i++)
			pool[i] = rank[i] < keep;
		for (int q = 0; q < n_alive; q++)
		{
			Trial	   *T = &s->tr[alive[q]];
			MetricRows	rows = {0};
			char	   *error;

			T->fraction = r == rungs ? 1 : (double) keep / (double) n;
			search_trial(s, T, r == rungs ? NULL : pool, &rows, &error);
			/* the last rung's trials, and the failed, are recorded now */
			if (r == rungs || error)
				T->run_id = search_record(s, T, error, &rows);
			else
				T->status = NULL;	/* still running */
		}
		if (r == rungs)
			break;
		n_alive = halving_prune(s, alive, n_alive);
		if (n_alive == 0)
			break;
	}
	/* trials in run order, as a later call reads them back */
	sorted = palloc(sizeof(Trial) * n_total);
	memcpy(sorted, s->tr, sizeof(Trial) * n_total);
	for (int q = 1; q < n_total; q++)
		for (int z = q; z > 0 && sorted[z].run_id < sorted[z - 1].run_id; z--)
		{
			Trial		x = sorted[z];

			sorted[z] = sorted[z - 1];
			sorted[z - 1] = x;
		}
	s->tr = sorted;
}

/* the best finished trial on all training rows (ties go to the earlier); errors when none */
static int
best_trial(Search *s)
{
	double	   *key = palloc(sizeof(double) * Max(s->n_total, 1));
	bool	   *eligible = palloc(sizeof(bool) * Max(s->n_total, 1));
	int			best;

	for (int t = 0; t < s->n_total; t++)
	{
		const Trial *T = &s->tr[t];

		key[t] = rank_key(T, s->a.lower_better);
		eligible[t] = T->status && strcmp(T->status, "finished") == 0 && T->fraction >= 1 &&
			!isnan(T->score);
	}
	best = search_best(key, eligible, s->n_total);
	if (best < 0)
	{
		char	   *first = s->first_error;

		if (first == NULL)
			first = catalog_first_trial_error(s->experiment_id);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("every trial of the search failed"),
				 first ? errdetail("The first error: %s", first) : 0,
				 errhint("Check the search space and params.")));
	}
	return best;
}

/* refit the best on the whole training split with ml_train; score it once on test */
static void
refit_best(FunctionCallInfo fcinfo, Search *s, int best)
{
	const Trial *B = &s->tr[best];
	int			rc;
	bool		isnull;
	int64		refit_run;
	Datum		args[10];
	Oid			types[10] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTARRAYOID,
	FLOAT8OID, INT8OID, TEXTOID};
	char		nulls[11] = "          ";

	args[0] = CStringGetTextDatum(s->project);
	args[1] = CStringGetTextDatum(s->source);
	args[2] = s->target ? CStringGetTextDatum(s->target) : (Datum) 0;
	nulls[2] = s->target ? ' ' : 'n';
	args[3] = CStringGetTextDatum(s->algorithm);
	args[4] = jsonb_datum_cstr(B->params);
	args[5] = CStringGetTextDatum(ml_task_name(s->td.task));
	args[6] = PG_ARGISNULL(11) ? (Datum) 0 : PG_GETARG_DATUM(11);
	nulls[6] = PG_ARGISNULL(11) ? 'n' : ' ';
	args[7] = Float8GetDatum(s->td.test_size);
	args[8] = Int64GetDatum(s->td.seed);
	args[9] = CStringGetTextDatum(s->deploy);
	rc = SPI_execute_with_args(psprintf("SELECT run_id, version, metrics FROM %s.ml_train($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
										ext_schema(fcinfo->flinfo->fn_oid)),
							   10, types, args, nulls, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "refitting the best trial failed");
	refit_run = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ereport(NOTICE,
			(errmsg("best trial %d (validation %s %.4f) refit as version %s of \"%s\"",
					best + 1, s->a.metric, B->score,
					SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), s->project)));
	catalog_set_parent_run(refit_run, B->run_id);
}

/*
 * ml_search(project, source, target, algorithm, space, method, trials,
 * folds, metric, params, task, features, test_size, seed, deploy): a row
 * per trial; the best is refit by ml_train.
 */
Datum
mlsql_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Search		s = {0};
	Jsonb	   *space_jb;
	int			best;

	s.target = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	s.metric_arg = PG_ARGISNULL(8) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(8));
	InitMaterializedSRF(fcinfo, 0);
	mlsql_progress_begin("ml_search");
	search_args(fcinfo, &s);
	space_jb = PG_GETARG_JSONB_P(4);
	s.space_text = JsonbToCString(NULL, &space_jb->root, VARSIZE(space_jb));
	s.space = space_parse(s.space_text, strlen(s.space_text));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_space(s.space, s.td.learner, s.fixed);
	s.n_total = strcmp(s.method, "grid") == 0 ? (int) space_grid_size(s.space) : s.trials;
	search_data(fcinfo, &s);
	search_experiment(&s);
	read_trials(&s);

	s.trial_cxt = AllocSetContextCreate(CurrentMemoryContext, "mlsql trial", ALLOCSET_DEFAULT_SIZES);
	if (!s.halving)
		run_sequential(&s);
	else if (s.n_have == 0)
		run_halving(&s);
	if (s.halving && s.n_have > 0)
		s.n_total = s.n_have;

	best = best_trial(&s);
	refit_best(fcinfo, &s, best);

	for (int t = 0; t < s.n_total; t++)
	{
		Trial	   *T = &s.tr[t];
		Datum		vals[8];
		bool		nulls[8] = {0};

		vals[0] = Int32GetDatum(t + 1);
		vals[1] = Int64GetDatum(T->run_id);
		vals[2] = jsonb_datum_cstr(T->params);
		vals[3] = Float8GetDatum(T->score);
		nulls[3] = isnan(T->score);
		vals[4] = Float8GetDatum(T->std);
		nulls[4] = isnan(T->std);
		vals[5] = Float8GetDatum(T->seconds);
		vals[6] = CStringGetTextDatum(T->status ? T->status : "pruned");
		vals[7] = BoolGetDatum(t == best);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
