/*-------------------------------------------------------------------------
 *
 * record.c
 *	  What a training leaves in the catalog, from either engine: the data
 *	  version, the experiment, the run and its baseline run, metrics, the
 *	  model version and the deployment decision.
 *
 * Every write goes through the catalog door (catalog.c), in the caller's
 * transaction: an error anywhere leaves nothing behind.
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
#include "pg/record.h"


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

/*
 * The project's rules scored on the same rows (r->rules): each a run, child
 * of the training's, of the rule's algorithm, with its test metrics.
 */
static void
record_rules(TrainRecord *r, int64 experiment_id, int64 run_id, int64 project_id,
			 int64 dataset_id, const char *eval_split)
{
	for (int i = 0; i < r->n_rules; i++)
	{
		CatalogRun	run;
		MetricRows	rows = {0};
		MLBuffer	js;

		catalog_run_init(&run);
		buffer_init(&js);
		buffer_printf(&js, "{\"name\": ");
		buffer_json_str(&js, r->rules[i].name);
		buffer_printf(&js, ", \"model_id\": " INT64_FORMAT ", \"version\": %d}",
					  r->rules[i].model_id, r->rules[i].version);
		run.experiment_id = experiment_id;
		run.parent_run_id = run_id;
		run.project_id = project_id;
		run.algorithm = r->rules[i].algorithm;
		run.test_fingerprint = r->test_fp;
		run.params = jsonb_datum(&js);
		run.seed = r->seed;
		run.dataset_id = dataset_id;
		run.task = ml_task_name(r->task);
		run.n_train = (int64) r->n_train;
		run.n_test = (int64) r->n_test;
		add_metric_set(&rows, eval_split, &r->rules[i].test);
		catalog_insert_metrics(catalog_insert_run(&run), &rows);
	}
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
	if (r->config_extra)
		buffer_printf(&js, ", %s", r->config_extra);
	buffer_printf(&js, "}");
	experiment_id = catalog_insert_experiment(project_id, r->kind ? r->kind : "train",
											  r->kind ? r->kind : "train", jsonb_datum(&js));

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
	record_rules(r, experiment_id, run_id, project_id, dataset_id, eval_split);

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
	if (r->n_rules > 0)
	{
		/* one entry per rule of the project: "rules": {"name": {metrics, "version": v}} */
		js.len--;
		buffer_printf(&js, ", \"rules\": {");
		for (int i = 0; i < r->n_rules; i++)
		{
			buffer_printf(&js, "%s", i ? ", " : "");
			buffer_json_str(&js, r->rules[i].name);
			buffer_printf(&js, ": ");
			metrics_json(&js, &r->rules[i].test, eval_split);
			js.len--;
			buffer_printf(&js, ", \"version\": %d}", r->rules[i].version);
		}
		buffer_printf(&js, "}}");
	}
	result[7] = jsonb_datum(&js);
	result_null[7] = r->base_model == NULL;
	result[8] = BoolGetDatum(deployed);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_null);
}
