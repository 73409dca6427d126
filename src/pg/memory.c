/*-------------------------------------------------------------------------
 *
 * memory.c
 *	  ml_train on the memory engine (the default): the source is read once
 *	  into column arrays in the backend, the learner fits them, the model
 *	  and the task's baseline are scored on each split, and train_record
 *	  writes everything to the catalog.
 *
 * The whole training runs inside the caller's SPI connection; its procedure
 * memory context holds the data, the model and every temporary.  The data
 * version's column statistics are taken while every row is there
 * (train_prepare_slim); the raw columns then shrink to the rows an
 * if_better comparison scores, so the fit runs without a second copy of
 * the data.  Same data and seed: the same model bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/resource.h>
#include <time.h>

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/buffer.h"
#include "core/metrics.h"
#include "ensemble/ensemble.h"
#include "pg/artifacts.h"
#include "pg/evaluate.h"
#include "pg/memory.h"
#include "pg/mlsql_pg.h"
#include "pg/prepare.h"
#include "pg/record.h"
#include "pg/rule.h"
#include "pg/source.h"

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
	double	   *test_pred;		/* the model's predictions of test, or NULL */
} MemoryArgs;

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

static void
memory_extras(TrainRecord *r, int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id)
{
	MemoryArgs *a = r->arg;
	MLDataset  *eval = r->n_test > 0 ? a->test : a->train;

	if (r->task == ML_CLASSIFICATION)
		write_class_artifacts(run_id, r->model, eval, a->eval_split,
							  r->n_test > 0 ? a->test_pred : NULL);
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
 * The data version's columns as JSON: per raw feature column its type, role
 * and the statistics train_prepare_slim took (td->stats), then the target's.
 */
static void
dataset_json(const TrainData *td, MLBuffer *out)
{
	SourceData *src = td->src;

	buffer_init(out);
	buffer_printf(out, "[");
	for (int f = 0; f < src->n_cols; f++)
	{
		SourceColumn *sc = &src->cols[f];
		int			width = sc->cls == SRC_ARRAY ? sc->array_len : 1;

		for (int e = 0; e < width; e++)
		{
			MLBuffer	st = td->stats[sc->first_raw + e];

			/* splice "type" and "role" into the statistics object */
			buffer_printf(out, "%s{\"type\": ", out->len > 1 ? ", " : "");
			buffer_json_str(out, format_type_be(sc->type));
			buffer_printf(out, ", \"role\": \"feature\", ");
			buffer_put_bytes(out, st.data + 1, st.len - 1);
		}
	}
	if (td->target)
	{
		MLRawColumn tcol = {0};
		MLBuffer	st;

		tcol.name = (char *) td->target;
		tcol.source = (char *) td->target;
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
		buffer_printf(out, ", {\"type\": ");
		buffer_json_str(out, format_type_be(src->target_type));
		buffer_printf(out, ", \"role\": \"target\", ");
		buffer_put_bytes(out, st.data + 1, st.len - 1);
	}
	buffer_printf(out, "]");
}

/* fit the learner on td->train, timed into r */
static void
memory_fit(TrainData *td, TrainRecord *r, MLFitContext *ctx)
{
	struct timespec t0,
				t1;
	struct rusage ru0,
				ru1;

	ctx->seed = (uint64_t) td->seed;
	ctx->threads = mlsql_threads;
	ctx->want_train_pred = true;
	/* gbdt frees the training matrix once binned (nothing below reads it when there is a test split) */
	ctx->train_X = td->n_test > 0 ? &td->train->X : NULL;
	fit_context_names(ctx, td->model);
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	td->model->state = td->learner->fit(td->train, td->valid, td->params, ctx);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	r->train_seconds = seconds_between(t0, t1);
	r->peak_bytes = (double) MemoryContextMemAllocated(CurrentMemoryContext, true);
	r->cpu_user = tv_seconds(ru1.ru_utime) - tv_seconds(ru0.ru_utime);
	r->cpu_system = tv_seconds(ru1.ru_stime) - tv_seconds(ru0.ru_stime);
}

/*
 * The baseline on the same split (supervised tasks only), and the metrics
 * of the model and the baseline on the training and test rows (the
 * training rows again when there is no test split, with a NOTICE).  The
 * model's predictions of the test rows go to *test_pred (kept for the class
 * artifacts, which read the same rows).
 */
static void
memory_scores(TrainData *td, TrainRecord *r, MLFitContext *ctx, double **test_pred)
{
	MLModel    *model = td->model;
	MLDataset  *train = td->train;
	MLModel    *base_model = NULL;

	r->b_train.n = r->b_test.n = 0;
	if (!td->unsupervised)
	{
		base_model = palloc0(sizeof(MLModel));
		*base_model = *model;
		base_model->learner = learner_baseline();
		base_model->state = base_model->learner->fit(train, NULL,
													 params_resolve(base_model->learner->name, base_model->learner->params, NULL, 0),
													 NULL);
	}

	if (ctx->train_pred)
	{
		mlsql_metrics_from_predictions(model, train, ctx->train_pred, &r->m_train);
		ml_free(ctx->train_pred);
		ctx->train_pred = NULL;
	}
	else if (train->X == NULL)
		elog(ERROR, "the training matrix was released without the training predictions");
	else
		mlsql_evaluate_dataset(model, train, &r->m_train);
	if (base_model && train->X)
		mlsql_evaluate_dataset(base_model, train, &r->b_train);
	else if (base_model)
	{
		/* the matrix went during the fit: the baseline's constant needs no input */
		size_t		w = model_output_width(base_model);
		double	   *pred = palloc_extended(Max(td->n_train, 1) * w * sizeof(double), MCXT_ALLOC_HUGE);

		model_predict(base_model, NULL, td->n_train, pred);
		mlsql_metrics_from_predictions(base_model, train, pred, &r->b_train);
		pfree(pred);
	}
	if (td->n_test > 0)
	{
		*test_pred = mlsql_predict_dataset(model, td->test);
		mlsql_metrics_from_predictions(model, td->test, *test_pred, &r->m_test);
		if (base_model)
			mlsql_evaluate_dataset(base_model, td->test, &r->b_test);
	}
	else
	{
		r->m_test = r->m_train;
		r->b_test = r->b_train;
		ereport(NOTICE,
				(errmsg("test_size is 0: metrics describe the training data")));
	}
	r->base_model = base_model;
}

/*
 * memory_train: prepare td (its inputs set by ml_train), fit, score and
 * record; one result row of ml_train in rsinfo.  Runs inside the caller's
 * SPI connection.
 */
void
memory_train(TrainData *td, const char *deploy, bool skip_identical, struct ReturnSetInfo *rsinfo)
{
	TrainRecord r = {0};
	MemoryArgs	a = {0};
	MLFitContext ctx = {0};
	size_t	   *eval_rows;

	td->slim = true;
	train_prepare(td);

	r.test_fp = psprintf("%016llx", (unsigned long long) td->test_fingerprint);
	dataset_json(td, &r.dataset_js);
	r.n_rows_total = (int64) td->src->n_rows;
	if (td->n_test > 0)
		compact_source(td->src, &td->all_y, &td->test_rows, td->n_test, true);
	else
		compact_source(td->src, &td->all_y, &td->train_rows, td->n_train, true);
	eval_rows = td->n_test > 0 ? td->test_rows : td->train_rows;

	memory_fit(td, &r, &ctx);
	/* the test matrix, from the kept raw rows (rows 0..n_test-1 since compact_source) */
	td->test = transform_rows(td->model, td->src, td->all_y, td->test_rows, td->n_test);
	memory_scores(td, &r, &ctx, &a.test_pred);

	buffer_init(&r.bytes);
	model_write(td->model, &r.bytes);
	/* a model that cannot be read back must never reach the catalog */
	(void) model_read(r.bytes.data, r.bytes.len);

	a.src = td->src;
	a.all_y = td->all_y;
	a.train = td->train;
	a.test = td->test;
	a.eval_rows = eval_rows;
	a.n_eval = td->n_test > 0 ? td->n_test : td->n_train;
	a.eval_split = td->n_test > 0 ? "test" : "train";
	/* the project's rules on the same rows, beside the baseline */
	if (r.base_model)
		r.rules = rule_scores(td->project_id, td->model, td->src, td->all_y, eval_rows, a.n_eval,
							  &r.n_rules);

	r.project = td->project;
	r.source = td->source;
	r.target = td->target;
	r.deploy = deploy;
	r.split_name = td->split_name;
	r.learner = td->learner;
	r.task = td->task;
	r.params_jb = td->params_jb;
	r.params = td->params;
	r.src = td->src;
	r.test_size = td->test_size;
	r.seed = td->seed;
	r.skip_identical = skip_identical;
	r.model = td->model;
	r.fingerprint = td->fingerprint;
	r.n_train = td->n_train;
	r.n_test = td->n_test;
	r.n_valid = td->n_valid;
	r.ctx = &ctx;
	if (td->valid)
	{
		r.m_valid = palloc(sizeof(MLMetricSet));
		mlsql_evaluate_dataset(td->model, td->valid, r.m_valid);
	}
	r.target_info = td->target_info;
	r.extras = memory_extras;
	r.live_score = memory_live_score;
	r.arg = &a;
	train_record(&r, rsinfo);
}
