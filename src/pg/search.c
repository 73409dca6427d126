/*-------------------------------------------------------------------------
 *
 * search.c
 *	  ml_search: hyperparameter search with cross-validation, every trial a
 *	  run; ml_cross_validate.
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

PG_FUNCTION_INFO_V1(mlsql_search);
PG_FUNCTION_INFO_V1(mlsql_cross_validate);
PG_FUNCTION_INFO_V1(mlsql_learning_curve);

#define HALVING_ETA 3
#define HALVING_MAX_RUNGS 2
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

/*
 * Cross-validated scores of one configuration: fold f trains on the rows
 * of the other folds that are in the pool (halving: a share of the rows)
 * and is scored on all rows of fold f.  With folds == 0, fold 0 of 5 is
 * the one validation fold.
 */
static void
cross_validate(const TrainData *td, const MLParams *params, int folds, const int *fold,
			   const bool *pool, const char *metric, MLMetricSet *per_fold_train,
			   MLMetricSet *per_fold_valid, int *n_done, int64 seed)
{
	const MLDataset *d = td->train;
	size_t		n = d->n_rows;
	int			n_eval = folds == 0 ? 1 : folds;
	size_t	   *fit_rows = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	size_t	   *val_rows = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	MLModel		m = *td->model;

	(void) metric;
	*n_done = 0;
	for (int f = 0; f < n_eval; f++)
	{
		size_t		nf = 0,
					nv = 0;
		MLDataset  *tr,
				   *va;
		MLFitContext ctx = {0};

		for (size_t i = 0; i < n; i++)
		{
			if (fold[i] == f)
				val_rows[nv++] = i;
			else if (pool == NULL || pool[i])
				fit_rows[nf++] = i;
		}
		if (nf < 2 || nv < 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("fold %d has %zu training and %zu validation rows", f + 1, nf, nv),
					 errhint("Use fewer folds, or more rows.")));
		tr = dataset_subset(d, fit_rows, nf);
		va = dataset_subset(d, val_rows, nv);
		ctx.seed = ml_mix64((uint64_t) seed ^ ml_mix64(0xC5ull + (uint64_t) f));
		ctx.threads = mlsql_threads;
		fit_context_names(&ctx, td->model);
		m.state = m.learner->fit(tr, NULL, params, &ctx);
		if (per_fold_train)
			mlsql_evaluate_dataset(&m, tr, &per_fold_train[f]);
		mlsql_evaluate_dataset(&m, va, &per_fold_valid[f]);
		(*n_done)++;
		CHECK_FOR_INTERRUPTS();
	}
}

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

/*
 * rank[i]: row i's place in a seeded shuffle of the n training rows.  The
 * first k of the order are a share of the rows, and a larger share contains
 * a smaller one (halving's rungs, the learning curve's sizes).
 */
static void
row_ranks(uint32 *rank, size_t n, int64 seed)
{
	MLRng		rng;
	size_t	   *perm = palloc(sizeof(size_t) * Max(n, 1));

	ml_rng_seed(&rng, ml_mix64((uint64_t) seed ^ 0x4A1Full));
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--)
	{
		size_t		s = (size_t) (ml_rng_uniform(&rng) * (double) i);
		size_t		x = perm[i - 1];

		perm[i - 1] = perm[s];
		perm[s] = x;
	}
	for (size_t i = 0; i < n; i++)
		rank[perm[i]] = (uint32) i;
	pfree(perm);
}

/* the rank key: higher is better, failed last */
static double
rank_key(const Trial *t, bool lower_better)
{
	if (isnan(t->score))
		return -INFINITY;
	return lower_better ? -t->score : t->score;
}

Datum
mlsql_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *project,
			   *source,
			   *algorithm,
			   *method,
			   *deploy;
	char	   *target = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	Jsonb	   *space_jb,
			   *fixed;
	char	   *space_text;
	int			trials,
				folds;
	char	   *metric_arg = PG_ARGISNULL(8) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(8));
	char	   *task_arg = PG_ARGISNULL(10) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(10));
	const MLLearner *learner;
	MLSpace    *space;
	TrainData	td = {0};
	SearchArgs	a;
	int			n_total;
	Trial	   *tr;
	int			n_have = 0;
	int64		project_id,
				experiment_id = 0;
	int		   *fold;
	MemoryContext trial_cxt;
	MLBuffer	cfg;
	int			best = -1;
	bool		halving;
	char	   *first_error = NULL;

	InitMaterializedSRF(fcinfo, 0);
	mlsql_progress_begin("ml_search");
	for (int i = 0; i < 15; i++)
		if (PG_ARGISNULL(i) && i != 2 && i != 8 && i != 10 && i != 11)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of ml_search must not be NULL", i + 1)));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(3));
	space_jb = PG_GETARG_JSONB_P(4);
	method = text_to_cstring(PG_GETARG_TEXT_PP(5));
	trials = PG_GETARG_INT32(6);
	folds = PG_GETARG_INT32(7);
	fixed = PG_GETARG_JSONB_P(9);
	deploy = text_to_cstring(PG_GETARG_TEXT_PP(14));
	halving = strcmp(method, "halving") == 0;
	catalog_check_project_name(project);

	if (strcmp(method, "grid") != 0 && strcmp(method, "random") != 0 &&
		strcmp(method, "bayes") != 0 && !halving)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid search method \"%s\"", method),
				 errhint("Use 'grid', 'random', 'bayes' (TPE) or 'halving'.")));
	if (trials < 1 || trials > MAX_TRIALS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trials must be between 1 and %d, got %d", MAX_TRIALS, trials)));
	if (folds == 1 || folds < 0 || folds > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be 0 (one validation split) or 2 to 100, got %d", folds),
				 errhint("One fold leaves nothing to validate on; use folds => 0 for a single validation split.")));
	if (strcmp(deploy, "if_better") != 0 && strcmp(deploy, "always") != 0 &&
		strcmp(deploy, "never") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deploy \"%s\"", deploy),
				 errhint("Use 'if_better', 'always' or 'never'.")));
	learner = learner_find(algorithm);
	if (learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Available algorithms: %s.", learner_names())));
	if (!JB_ROOT_IS_OBJECT(fixed) || JB_ROOT_IS_SCALAR(fixed))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object")));
	space_text = JsonbToCString(NULL, &space_jb->root, VARSIZE(space_jb));
	space = space_parse(space_text, strlen(space_text));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* every searched name is a parameter of the learner, and not also fixed */
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
	n_total = strcmp(method, "grid") == 0 ? (int) space_grid_size(space) : trials;

	/* the data, split exactly as ml_train splits it */
	td.project = project;
	td.source = source;
	td.target = target;
	if (!PG_ARGISNULL(11))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(11);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		td.features = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL")));
			td.features[i] = TextDatumGetCString(elems[i]);
		}
		td.n_features = n;
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be empty")));
	}
	td.params_jb = fixed;
	td.task_arg = task_arg;
	td.test_size = PG_GETARG_FLOAT8(12);
	td.seed = PG_GETARG_INT64(13);
	td.learner = learner;
	if (!(td.test_size >= 0.0 && td.test_size < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", td.test_size)));
	train_prepare(&td);
	if (td.task != ML_CLASSIFICATION && td.task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ml_search needs a regression or classification task, not %s",
						ml_task_name(td.task))));
	/* the project's key metric (ml_set_metric) unless the call names one */
	a.metric = metric_arg ? metric_arg : catalog_project_metric(td.project_id);
	if (a.metric == NULL)
		a.metric = metrics_key(td.task);
	if (!metrics_valid(td.task, a.metric, &a.lower_better))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric \"%s\" is not a %s metric", a.metric, ml_task_name(td.task)),
				 errhint("%s", td.task == ML_CLASSIFICATION
						 ? "Use accuracy, precision, recall, f1, roc_auc or log_loss."
						 : "Use r2, rmse or mae.")));
	a.folds = folds;
	a.seed = td.seed;
	if ((size_t) Max(folds, 2) > td.n_train)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds (%d) must not exceed the training rows (%zu)", folds, td.n_train)));
	fold = dataset_folds(td.train, folds == 0 ? 5 : folds, ml_mix64((uint64_t) td.seed ^ 0xF07Dull));

	/* the search's experiment: an earlier one with the same config goes on */
	buffer_init(&cfg);
	buffer_printf(&cfg, "{\"source\": ");
	buffer_json_str(&cfg, source);
	buffer_printf(&cfg, ", \"target\": ");
	if (target)
		buffer_json_str(&cfg, target);
	else
		buffer_printf(&cfg, "null");
	buffer_printf(&cfg, ", \"algorithm\": ");
	buffer_json_str(&cfg, algorithm);
	buffer_printf(&cfg, ", \"space\": %s, \"method\": ", space_text);
	buffer_json_str(&cfg, method);
	buffer_printf(&cfg, ", \"folds\": %d, \"metric\": ", folds);
	buffer_json_str(&cfg, a.metric);
	buffer_printf(&cfg, ", \"params\": %s, \"task\": ", JsonbToCString(NULL, &fixed->root, VARSIZE(fixed)));
	buffer_json_str(&cfg, ml_task_name(td.task));
	buffer_printf(&cfg, ", \"features\": ");
	if (td.features)
	{
		buffer_printf(&cfg, "[");
		for (int i = 0; i < td.n_features; i++)
		{
			buffer_printf(&cfg, "%s", i ? ", " : "");
			buffer_json_str(&cfg, td.features[i]);
		}
		buffer_printf(&cfg, "]");
	}
	else
		buffer_printf(&cfg, "null");
	buffer_printf(&cfg, ", \"test_size\": ");
	buffer_json_num(&cfg, td.test_size);
	buffer_printf(&cfg, ", \"seed\": " INT64_FORMAT, td.seed);
	if (halving)
		buffer_printf(&cfg, ", \"trials\": %d", trials);
	buffer_printf(&cfg, "}");
	buffer_put_u8(&cfg, '\0');

	project_id = catalog_project_for_write(project, td.task, "search", &td.target_info);
	experiment_id = catalog_find_experiment(project_id, "search", jsonb_datum_cstr((char *) cfg.data));
	if (experiment_id == 0)
		experiment_id = catalog_insert_experiment(project_id, "search", "search",
												  jsonb_datum_cstr((char *) cfg.data));

	/* earlier trials of this search, read back */
	{
		int			cap;
		CatalogTrial *had = catalog_search_trials(experiment_id, a.metric, &n_have);

		cap = Max(n_total, n_have);
		tr = palloc0(sizeof(Trial) * Max(cap, 1));
		for (int i = 0; i < n_have; i++)
		{
			MLJson	   *pj;

			tr[i].run_id = had[i].run_id;
			tr[i].params = had[i].params;
			tr[i].status = had[i].status;
			tr[i].seconds = isnan(had[i].seconds) ? 0 : had[i].seconds;
			tr[i].score = had[i].score;
			tr[i].std = had[i].std;
			tr[i].fraction = isnan(had[i].fraction) ? 1 : had[i].fraction;
			tr[i].v = palloc(sizeof(double) * space->n);
			pj = json_parse(tr[i].params, strlen(tr[i].params), "a stored trial");
			for (int j = 0; j < space->n; j++)
			{
				const MLJson *x = pj;
				char	   *path = pstrdup(space->p[j].name);

				for (char *tok = strtok(path, "."); tok && x; tok = strtok(NULL, "."))
					x = x->type == ML_JSON_ARRAY ? (atoi(tok) >= 0 && atoi(tok) < x->n ? x->items[atoi(tok)] : NULL)
						: json_get(x, tok);
				tr[i].v[j] = x ? space_value_from_json(space, j, x) : NAN;
			}
		}
	}

	trial_cxt = AllocSetContextCreate(CurrentMemoryContext, "mlsql trial", ALLOCSET_DEFAULT_SIZES);

	if (!halving)
	{
		double	   *points = palloc(sizeof(double) * space->n * Max(n_total, 1));
		double	   *scores = palloc(sizeof(double) * Max(n_total, 1));
		int			n_startup = space_tpe_startup(trials);

		for (int i = 0; i < n_have && i < n_total; i++)
		{
			memcpy(points + (size_t) i * space->n, tr[i].v, sizeof(double) * space->n);
			scores[i] = rank_key(&tr[i], a.lower_better);
			if (!isfinite(scores[i]))
				scores[i] = NAN;
		}
		for (int t = n_have; t < n_total; t++)
		{
			Trial	   *T = &tr[t];
			MetricRows	rows = {0};
			char	   *error;

			T->v = palloc(sizeof(double) * space->n);
			if (strcmp(method, "grid") == 0)
				space_grid_point(space, (size_t) t, T->v);
			else if (strcmp(method, "random") == 0)
				space_random_point(space, (uint64_t) td.seed, t, T->v);
			else
				space_tpe_point(space, (uint64_t) td.seed, t, points, scores, t, n_startup, T->v);
			T->params = trial_params(space, T->v, fixed);
			T->fraction = 1;
			run_trial(&td, T, &a, fold, NULL, &rows, &error, trial_cxt);
			if (error && first_error == NULL)
				first_error = error;
			T->run_id = record_trial(experiment_id, project_id, &td, T, error, &rows, a.metric, td.seed);
			memcpy(points + (size_t) t * space->n, T->v, sizeof(double) * space->n);
			scores[t] = isnan(T->score) ? NAN : rank_key(T, a.lower_better);
			mlsql_progress_report("trial", t + 1, n_total, a.metric, T->score);
		}
	}
	else if (n_have == 0)
	{
		/*
		 * Successive halving: every configuration on a share of the training
		 * rows, the best third goes on with three times the rows, until the
		 * survivors use them all.  The pruned are recorded as 'pruned'.
		 */
		int			rungs = 0;
		int		   *alive = palloc(sizeof(int) * n_total);
		int			n_alive = n_total;
		size_t		n = td.train->n_rows;
		uint32	   *rank = palloc(sizeof(uint32) * Max(n, 1));
		bool	   *pool = palloc(sizeof(bool) * Max(n, 1));

		/*
		 * Rungs: as many as eta divides the configurations, at most
		 * HALVING_MAX_RUNGS + 1 (the first on 1/9 of the rows: fewer rows
		 * rank configurations too noisily to prune on)
		 */
		while ((int) pow(HALVING_ETA, rungs + 1) <= n_total && rungs < HALVING_MAX_RUNGS)
			rungs++;
		/* a seeded order of the training rows: each rung's rows contain the last's */
		row_ranks(rank, n, td.seed);
		for (int t = 0; t < n_total; t++)
		{
			tr[t].v = palloc(sizeof(double) * space->n);
			space_random_point(space, (uint64_t) td.seed, t, tr[t].v);
			tr[t].params = trial_params(space, tr[t].v, fixed);
			alive[t] = t;
		}
		for (int r = 0; r <= rungs; r++)
		{
			double		frac = pow(HALVING_ETA, r - rungs);
			/* at least 100 rows (or all) on every rung */
			size_t		keep = Max((size_t) ceil(frac * n), Min(n, 100));
			int			n_next;

			for (size_t i = 0; i < n; i++)
				pool[i] = rank[i] < keep;
			for (int q = 0; q < n_alive; q++)
			{
				Trial	   *T = &tr[alive[q]];
				MetricRows	rows = {0};
				char	   *error;

				T->fraction = r == rungs ? 1 : (double) keep / (double) n;
				run_trial(&td, T, &a, fold, r == rungs ? NULL : pool, &rows, &error, trial_cxt);
				if (error && first_error == NULL)
					first_error = error;
				/* the last rung's trials, and the failed, are recorded now */
				if (r == rungs || error)
				{
					T->run_id = record_trial(experiment_id, project_id, &td, T, error, &rows, a.metric, td.seed);
				}
				else
					T->status = NULL;	/* still running */
			}
			if (r == rungs)
				break;
			/* rank the living by score; the best third goes on */
			for (int q = 1; q < n_alive; q++)
				for (int z = q; z > 0 &&
					 rank_key(&tr[alive[z]], a.lower_better) > rank_key(&tr[alive[z - 1]], a.lower_better); z--)
				{
					int			x = alive[z];

					alive[z] = alive[z - 1];
					alive[z - 1] = x;
				}
			n_next = (int) ceil((double) n_alive / HALVING_ETA);
			for (int q = 0; q < n_alive; q++)
			{
				Trial	   *T = &tr[alive[q]];

				if (q < n_next && strcmp(T->status ? T->status : "", "failed") != 0)
					continue;
				if (T->status && strcmp(T->status, "failed") == 0)
					continue;	/* already recorded */
				T->status = "pruned";
				{
					MetricRows	rows = {0};

					T->run_id = record_trial(experiment_id, project_id, &td, T, NULL, &rows, a.metric, td.seed);
				}
			}
			{
				int			m = 0;

				for (int q = 0; q < n_alive; q++)
					if (tr[alive[q]].status == NULL)
						alive[m++] = alive[q];
				n_alive = m;
			}
			if (n_alive == 0)
				break;
		}
		/* trials in run order, as a later call reads them back */
		{
			Trial	   *sorted = palloc(sizeof(Trial) * n_total);

			memcpy(sorted, tr, sizeof(Trial) * n_total);
			for (int q = 1; q < n_total; q++)
				for (int z = q; z > 0 && sorted[z].run_id < sorted[z - 1].run_id; z--)
				{
					Trial		x = sorted[z];

					sorted[z] = sorted[z - 1];
					sorted[z - 1] = x;
				}
			tr = sorted;
		}
	}
	if (halving && n_have > 0)
		n_total = n_have;

	/* the best finished trial on all training rows; ties go to the earlier */
	for (int t = 0; t < n_total; t++)
		if (tr[t].status && strcmp(tr[t].status, "finished") == 0 && tr[t].fraction >= 1 &&
			!isnan(tr[t].score) &&
			(best < 0 || rank_key(&tr[t], a.lower_better) > rank_key(&tr[best], a.lower_better)))
			best = t;
	if (best < 0)
	{
		char	   *first = first_error;

		if (first == NULL)
			first = catalog_first_trial_error(experiment_id);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("every trial of the search failed"),
				 first ? errdetail("The first error: %s", first) : 0,
				 errhint("Check the search space and params.")));
	}

	/* refit the best on the whole training split; score it once on test */
	{
		int			rc;
		bool		isnull;
		int64		refit_run;
		Datum		args[10];
		Oid			types[10] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTARRAYOID,
		FLOAT8OID, INT8OID, TEXTOID};
		char		nulls[11] = "          ";

		args[0] = CStringGetTextDatum(project);
		args[1] = CStringGetTextDatum(source);
		args[2] = target ? CStringGetTextDatum(target) : (Datum) 0;
		nulls[2] = target ? ' ' : 'n';
		args[3] = CStringGetTextDatum(algorithm);
		args[4] = jsonb_datum_cstr(tr[best].params);
		args[5] = CStringGetTextDatum(ml_task_name(td.task));
		args[6] = PG_ARGISNULL(11) ? (Datum) 0 : PG_GETARG_DATUM(11);
		nulls[6] = PG_ARGISNULL(11) ? 'n' : ' ';
		args[7] = Float8GetDatum(td.test_size);
		args[8] = Int64GetDatum(td.seed);
		args[9] = CStringGetTextDatum(deploy);
		rc = SPI_execute_with_args(psprintf("SELECT run_id, version, metrics FROM %s.ml_train($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
											ext_schema(fcinfo->flinfo->fn_oid)),
								   10, types, args, nulls, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "refitting the best trial failed");
		refit_run = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		ereport(NOTICE,
				(errmsg("best trial %d (validation %s %.4f) refit as version %s of \"%s\"",
						best + 1, a.metric, tr[best].score,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), project)));
		catalog_set_parent_run(refit_run, tr[best].run_id);
	}

	for (int t = 0; t < n_total; t++)
	{
		Datum		vals[8];
		bool		nulls[8] = {0};

		vals[0] = Int32GetDatum(t + 1);
		vals[1] = Int64GetDatum(tr[t].run_id);
		vals[2] = jsonb_datum_cstr(tr[t].params);
		vals[3] = Float8GetDatum(tr[t].score);
		nulls[3] = isnan(tr[t].score);
		vals[4] = Float8GetDatum(tr[t].std);
		nulls[4] = isnan(tr[t].std);
		vals[5] = Float8GetDatum(tr[t].seconds);
		vals[6] = CStringGetTextDatum(tr[t].status ? tr[t].status : "pruned");
		vals[7] = BoolGetDatum(t == best);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * The arguments ml_cross_validate and ml_learning_curve share with
 * ml_train, from argument first on: params, then (after the function's own)
 * task, features, test_size, seed.
 */
static void
cv_prepare(FunctionCallInfo fcinfo, TrainData *td, int i_params, int i_task)
{
	const char *algorithm;

	for (int i = 0; i < i_task + 4; i++)
		if (PG_ARGISNULL(i) && i != 1 && i != i_task && i != i_task + 1)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d must not be NULL", i + 1)));
	td->source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	td->target = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(2));
	td->learner = learner_find(algorithm);
	if (td->learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Available algorithms: %s.", learner_names())));
	td->params_jb = PG_GETARG_JSONB_P(i_params);
	if (!JB_ROOT_IS_OBJECT(td->params_jb) || JB_ROOT_IS_SCALAR(td->params_jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object")));
	td->task_arg = PG_ARGISNULL(i_task) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i_task));
	if (!PG_ARGISNULL(i_task + 1))
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(i_task + 1), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be empty")));
		td->features = palloc(sizeof(char *) * n);
		for (int i = 0; i < n; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL")));
			td->features[i] = TextDatumGetCString(elems[i]);
		}
		td->n_features = n;
	}
	td->test_size = PG_GETARG_FLOAT8(i_task + 2);
	td->seed = PG_GETARG_INT64(i_task + 3);
	if (!(td->test_size >= 0.0 && td->test_size < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", td->test_size)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	train_prepare(td);
	if (td->task != ML_CLASSIFICATION && td->task != ML_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cross-validation needs a regression or classification task, not %s",
						ml_task_name(td->task))));
}

static Datum
metric_set_jsonb(const MLMetricSet *m)
{
	MLBuffer	b;

	buffer_init(&b);
	buffer_put_u8(&b, '{');
	for (int i = 0; i < m->n; i++)
	{
		buffer_printf(&b, "%s", i ? ", " : "");
		buffer_json_str(&b, m->names[i]);
		buffer_printf(&b, ": ");
		buffer_json_num(&b, m->values[i]);
	}
	buffer_put_u8(&b, '}');
	return jsonb_datum(&b);
}

static void
check_folds(int folds, size_t n_train)
{
	if (folds < 2 || folds > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be between 2 and 100, got %d", folds)));
	if ((size_t) folds > n_train)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds (%d) must not exceed the training rows (%zu)", folds, n_train)));
}

/*
 * ml_cross_validate(source, target, algorithm, params, folds, task,
 * features, test_size, seed): k-fold cross-validation on the training split
 * (the rows ml_train would train on; test_size => 0 uses every row), one
 * row per fold with its train and validation metrics.
 */
Datum
mlsql_cross_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrainData	td = {0};
	int			folds;
	int		   *fold;
	MLMetricSet *tr,
			   *va;
	MLParams   *params;
	int			done;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("folds must not be NULL")));
	folds = PG_GETARG_INT32(4);
	cv_prepare(fcinfo, &td, 3, 5);
	check_folds(folds, td.n_train);
	fold = dataset_folds(td.train, folds, ml_mix64((uint64_t) td.seed ^ 0xF07Dull));
	params = td.params;
	tr = palloc0(sizeof(MLMetricSet) * folds);
	va = palloc0(sizeof(MLMetricSet) * folds);
	for (int f = 0; f < folds; f++)
	{
		Datum		vals[6];
		bool		nulls[6] = {0};
		struct timespec t0,
					t1;
		size_t		nv = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* one fold at a time: reuse cross_validate with a fold mask */
		{
			int		   *mask = palloc(sizeof(int) * td.n_train);

			for (size_t i = 0; i < td.n_train; i++)
			{
				mask[i] = fold[i] == f ? 0 : 1;
				nv += fold[i] == f;
			}
			cross_validate(&td, params, 0, mask, NULL, NULL, &tr[f], &va[f], &done, td.seed + f);
			pfree(mask);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		vals[0] = Int32GetDatum(f + 1);
		vals[1] = Int64GetDatum((int64) (td.n_train - nv));
		vals[2] = Int64GetDatum((int64) nv);
		vals[3] = metric_set_jsonb(&tr[f]);
		vals[4] = metric_set_jsonb(&va[f]);
		vals[5] = Float8GetDatum((double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * ml_learning_curve(source, target, algorithm, params, sizes, folds, task,
 * features, test_size, seed, project): the cross-validated train and
 * validation score of the key metric when each fold trains on a share of
 * its rows (nested: each size's rows contain the smaller sizes').  With a
 * project it is recorded as a 'learning_curve' experiment, one run per size
 * (train_fraction, and the scores with their standard deviations as
 * metrics), which ml_plot('learning_curve', experiment_id) draws.
 */
Datum
mlsql_learning_curve(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrainData	td = {0};
	int			folds;
	int		   *fold;
	double	   *sizes;
	int			n_sizes;
	size_t		n;
	uint32	   *rank;
	bool	   *pool;
	const char *key;
	char	   *project = NULL;
	int64		experiment_id = 0,
				project_id = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("sizes and folds must not be NULL")));
	{
		Datum	   *elems;
		bool	   *nulls;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &n_sizes);
		if (n_sizes == 0 || n_sizes > 100)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sizes must hold 1 to 100 shares of the training rows")));
		sizes = palloc(sizeof(double) * n_sizes);
		for (int i = 0; i < n_sizes; i++)
		{
			sizes[i] = nulls[i] ? NAN : DatumGetFloat8(elems[i]);
			if (!(sizes[i] > 0 && sizes[i] <= 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("each size must be a share of the training rows in (0, 1], got %g", sizes[i])));
		}
	}
	folds = PG_GETARG_INT32(5);
	if (!PG_ARGISNULL(10))
		project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(10)));
	td.project = project;
	cv_prepare(fcinfo, &td, 3, 6);
	check_folds(folds, td.n_train);
	key = metrics_key(td.task);
	n = td.train->n_rows;
	fold = dataset_folds(td.train, folds, ml_mix64((uint64_t) td.seed ^ 0xF07Dull));
	rank = palloc(sizeof(uint32) * Max(n, 1));
	pool = palloc(sizeof(bool) * Max(n, 1));
	row_ranks(rank, n, td.seed);
	if (project)
	{
		MLBuffer	cfg;

		project_id = catalog_project_for_write(project, td.task, "learning curve", &td.target_info);
		buffer_init(&cfg);
		buffer_printf(&cfg, "{\"source\": ");
		buffer_json_str(&cfg, td.source);
		buffer_printf(&cfg, ", \"algorithm\": ");
		buffer_json_str(&cfg, td.model->learner->name);
		buffer_printf(&cfg, ", \"params\": %s, \"folds\": %d, \"metric\": ",
					  JsonbToCString(NULL, &td.params_jb->root, VARSIZE(td.params_jb)), folds);
		buffer_json_str(&cfg, key);
		buffer_printf(&cfg, ", \"seed\": " INT64_FORMAT "}", td.seed);
		experiment_id = catalog_insert_experiment(project_id, "learning_curve", "learning_curve",
												  jsonb_datum(&cfg));
	}
	for (int s = 0; s < n_sizes; s++)
	{
		size_t		keep = (size_t) ceil(sizes[s] * n);
		MLMetricSet *tr = palloc0(sizeof(MLMetricSet) * folds);
		MLMetricSet *va = palloc0(sizeof(MLMetricSet) * folds);
		int			done;
		double		mt = 0,
					mv = 0,
					st = 0,
					sv = 0;
		Datum		vals[6];
		bool		nulls[6] = {0};
		size_t		used;

		for (size_t i = 0; i < n; i++)
			pool[i] = rank[i] < keep;
		/* what each fold's model trains on, on average */
		used = (size_t) llround((double) Min(keep, n) * (folds - 1) / folds);
		cross_validate(&td, td.params, folds, fold, pool, key, tr, va, &done, td.seed);
		for (int f = 0; f < done; f++)
		{
			mt += metrics_get(&tr[f], key) / done;
			mv += metrics_get(&va[f], key) / done;
		}
		for (int f = 0; f < done; f++)
		{
			st += pow(metrics_get(&tr[f], key) - mt, 2) / done;
			sv += pow(metrics_get(&va[f], key) - mv, 2) / done;
		}
		st = sqrt(st);
		sv = sqrt(sv);
		if (project)
		{
			MetricRows	rows = {0};
			char	   *pj = JsonbToCString(NULL, &td.params_jb->root, VARSIZE(td.params_jb));
			CatalogRun	run;
			int64		run_id;

			catalog_run_init(&run);
			run.experiment_id = experiment_id;
			run.project_id = project_id;
			run.algorithm = td.model->learner->name;
			run.params = jsonb_datum_cstr(pj);
			run.seed = td.seed;
			run.task = ml_task_name(td.task);
			run.n_train = (int64) used;
			run_id = catalog_insert_run(&run);

			add_metric(&rows, "train", "train_fraction", -1, sizes[s]);
			add_metric(&rows, "train", key, -1, mt);
			add_metric(&rows, "train", psprintf("%s_std", key), -1, st);
			add_metric(&rows, "validation", key, -1, mv);
			add_metric(&rows, "validation", psprintf("%s_std", key), -1, sv);
			catalog_insert_metrics(run_id, &rows);
		}
		vals[0] = Float8GetDatum(sizes[s]);
		vals[1] = Int64GetDatum((int64) used);
		vals[2] = Float8GetDatum(mt);
		vals[3] = Float8GetDatum(st);
		vals[4] = Float8GetDatum(mv);
		vals[5] = Float8GetDatum(sv);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mlsql_set_threshold);
PG_FUNCTION_INFO_V1(mlsql_source_query);

/*
 * ml_set_threshold(ref, threshold): a binary classifier predicts its second
 * class when that class's probability is at least threshold (NULL: the
 * most probable class again).  Stored with the model row, so every session
 * scores with it from its next statement.
 */
Datum
mlsql_set_threshold(PG_FUNCTION_ARGS)
{
	char	   *ref;
	int64		model_id,
				project_id;
	MLModel    *m;
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("project must not be NULL")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1) && !(PG_GETARG_FLOAT8(1) >= 0 && PG_GETARG_FLOAT8(1) <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be in [0, 1], got %g", PG_GETARG_FLOAT8(1)),
				 errhint("Pass NULL to predict the most probable class again.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	model_id = resolve_model_ref(ref, &project_id);
	m = model_for_id(model_id);
	if (m->task != ML_CLASSIFICATION || m->n_classes != 2)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a decision threshold needs a binary classifier, \"%s\" is %s%s",
						ref, m->task == ML_CLASSIFICATION ? "a multiclass " : "",
						m->task == ML_CLASSIFICATION ? "classifier" : ml_task_name(m->task))));
	name = catalog_project_name(project_id);
	catalog_require_manage(project_id, name);
	catalog_set_threshold(model_id, PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1), PG_ARGISNULL(1));
	SPI_finish();
	PG_RETURN_INT64(model_id);
}

/*
 * The query a source (table, view or query text) reads, for SQL helpers;
 * checked to be one read-only query, as ml_train checks it, so that it may
 * be used as a subquery.
 */
Datum
mlsql_source_query(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *sql;
	text	   *t;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) source_prepare(text_to_cstring(PG_GETARG_TEXT_PP(0)), &sql);
	t = (text *) MemoryContextAlloc(caller, VARHDRSZ + strlen(sql));
	SET_VARSIZE(t, VARHDRSZ + strlen(sql));
	memcpy(VARDATA(t), sql, strlen(sql));
	SPI_finish();
	PG_RETURN_TEXT_P(t);
}
