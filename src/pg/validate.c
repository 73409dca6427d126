/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Cross-validation: the k-fold scores of one configuration inside the
 *	  training split (ml_search's trials use it), ml_cross_validate and
 *	  ml_learning_curve.
 *
 * The source is read and split exactly as ml_train splits it (same
 * arguments, same test rows), and the pipeline is fitted on the training
 * split; folds are taken inside the training split (stratified for
 * classification), so the test split never takes part.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/buffer.h"
#include "core/halving.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/validate.h"

PG_FUNCTION_INFO_V1(mlsql_cross_validate);
PG_FUNCTION_INFO_V1(mlsql_learning_curve);

/*
 * Cross-validated scores of one configuration: fold f trains on the rows
 * of the other folds that are in the pool (halving: a share of the rows)
 * and is scored on all rows of fold f.  With folds == 0, fold 0 of 5 is
 * the one validation fold.
 */
void
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
	halving_row_ranks(rank, n, td.seed);
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
			run.params = json_text_to_jsonb(pj, strlen(pj));
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
