/*-------------------------------------------------------------------------
 *
 * practices.c
 *	  The book's practices as functions on a project (ml_sanity_check,
 *	  ml_label_issues): what they share.  Each takes the project's recorded
 *	  training configuration (algorithm, params, target, features, test
 *	  size, seed: mlsql.last_training's when the recorded source is to run,
 *	  as ml_retrain takes it), prepares the data as ml_train does
 *	  (train_prepare), fits the learner on the rows it needs, and records
 *	  what it found as a run of the project.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/metrics.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/practices.h"

void
practice_config(FunctionCallInfo fcinfo, const char *what, TrainData *td, int64 *project_id,
				char **task)
{
	char	   *project;
	const char *source;
	CatalogTraining c;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("project must not be NULL")));
	project = catalog_project_name_arg(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	source = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_check_project_name(project);
	*project_id = catalog_project_for_manage(project, task);
	/* the recorded source runs only when the caller recorded it (mlsql.last_training) */
	catalog_training_config(*project_id, project, source == NULL, &c);
	td->project = project;
	td->source = source ? source : c.source;
	td->target = c.target;
	td->features = c.features;
	td->n_features = c.n_features;
	td->task_arg = c.task;
	td->test_size = c.test_size;
	td->seed = c.seed;
	td->params_jb = DatumGetJsonbP(json_text_to_jsonb(c.params, strlen(c.params)));
	td->learner = learner_find(c.algorithm);
	if (td->learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("project \"%s\" was trained with algorithm \"%s\", which this mlsql does not have",
						project, c.algorithm)));
	if (td->learner->tasks & (ML_TASK_BIT(ML_CLUSTERING) | ML_TASK_BIT(ML_ANOMALY)) &&
		!(td->learner->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s needs a regression or classification project; \"%s\" learns without a target",
						what, project)));
}

MLModel *
practice_fit(const TrainData *td, const MLDataset *d, uint64_t seed)
{
	MLModel    *m = palloc(sizeof(MLModel));
	MLFitContext ctx = {0};

	*m = *td->model;
	ctx.seed = seed;
	ctx.threads = mlsql_threads;
	fit_context_names(&ctx, td->model);
	m->state = td->learner->fit(d, NULL, td->params, &ctx);
	CHECK_FOR_INTERRUPTS();
	return m;
}

double
practice_score(const MLModel *m, const MLDataset *d)
{
	MLMetricSet ms = {0};

	mlsql_evaluate_dataset(m, d, &ms);
	return metrics_get(&ms, metrics_key(m->task));
}

int64
practice_record_run(int64 project_id, const char *kind, Datum config, const char *algorithm,
					Datum params, int64 seed, const char *task, int64 n_train, int64 n_test,
					MetricRows *metrics, const char *artifact, const MLBuffer *content)
{
	int64		experiment_id = catalog_find_experiment(project_id, kind, config);
	CatalogRun	run;
	int64		run_id;

	if (experiment_id == 0)
		experiment_id = catalog_insert_experiment(project_id, kind, kind, config);
	catalog_run_init(&run);
	run.experiment_id = experiment_id;
	run.project_id = project_id;
	run.algorithm = algorithm;
	run.params = params;
	run.seed = seed;
	run.task = task;
	run.n_train = n_train;
	run.n_test = n_test;
	run_id = catalog_insert_run(&run);
	catalog_insert_metrics(run_id, metrics);
	catalog_insert_artifact(run_id, artifact, "application/json", content->data, content->len);
	return run_id;
}

int64
practice_record(const TrainData *td, int64 project_id, const char *kind, const char *extra,
				MetricRows *metrics, const char *artifact, const MLBuffer *content,
				int64 n_train, int64 n_test)
{
	MLBuffer	cfg;
	char	   *pj = JsonbToCString(NULL, &td->params_jb->root, VARSIZE(td->params_jb));

	buffer_init(&cfg);
	buffer_printf(&cfg, "{\"source\": ");
	buffer_json_str(&cfg, td->source);
	buffer_printf(&cfg, ", \"target\": ");
	if (td->target)
		buffer_json_str(&cfg, td->target);
	else
		buffer_printf(&cfg, "null");
	buffer_printf(&cfg, ", \"algorithm\": ");
	buffer_json_str(&cfg, td->learner->name);
	buffer_printf(&cfg, ", \"task\": ");
	buffer_json_str(&cfg, ml_task_name(td->task));
	buffer_printf(&cfg, ", \"features\": [");
	for (int f = 0; f < td->src->n_cols; f++)
	{
		buffer_printf(&cfg, "%s", f ? ", " : "");
		buffer_json_str(&cfg, td->src->cols[f].name);
	}
	buffer_printf(&cfg, "], \"params\": %s, \"test_size\": ", pj);
	buffer_json_num(&cfg, td->test_size);
	buffer_printf(&cfg, ", \"seed\": " INT64_FORMAT "%s%s}", td->seed, extra ? ", " : "",
				  extra ? extra : "");
	return practice_record_run(project_id, kind, jsonb_datum(&cfg), td->learner->name,
							   json_text_to_jsonb(pj, strlen(pj)), td->seed, ml_task_name(td->task),
							   n_train, n_test, metrics, artifact, content);
}
