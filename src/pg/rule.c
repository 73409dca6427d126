/*-------------------------------------------------------------------------
 *
 * rule.c
 *	  ml_rule: a heuristic baseline written as a SQL expression, registered
 *	  as a model version of the project; and the project's rules scored
 *	  beside the baseline by every later ml_train (rule_scores).
 *
 * Registration reads the source of the project's last ml_train again, with
 * the caller's privileges and the same features, split options, test size
 * and seed, so the rule is scored on the very rows that training was (the
 * same test fingerprint; the same split needs the same data).  The source
 * runs as the caller, so only a configuration the caller recorded is read
 * again (as ml_retrain).  The expression is compiled once
 * (rule_compile.c); the model holds the compiled tree, never SQL.  Then
 * it is recorded like a training (record.c): a data version, an experiment
 * of kind 'rule', a run with its metrics and the baseline's, a model
 * version, and the project's deploy rule (if_better: the first model must
 * beat the baseline, later ones the live model on the same rows).
 *
 * Everything lives in the caller's SPI procedure context and is written in
 * the caller's transaction: an error leaves nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "algo/rule.h"
#include "core/buffer.h"
#include "core/json.h"
#include "core/metrics.h"
#include "pg/artifacts.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/record.h"
#include "pg/rule.h"

PG_FUNCTION_INFO_V1(mlsql_rule);

#define RULE_NAME_MAX 63

/* what the live score and the artifacts read */
typedef struct RuleArgs
{
	TrainData  *td;
	MLModel    *model;
	const size_t *eval_rows;
	size_t		n_eval;
	MLDataset  *eval;
	const char *eval_split;
} RuleArgs;

static double
rule_live_score(TrainRecord *r, int64 deployed_id, const char *key, const char **basis)
{
	RuleArgs   *a = r->arg;

	return deployed_score(deployed_id, a->model, a->td->src, a->td->all_y, a->eval_rows, a->n_eval,
						  key, basis);
}

static void
rule_extras(TrainRecord *r, int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id)
{
	RuleArgs   *a = r->arg;

	(void) experiment_id;
	(void) project_id;
	(void) dataset_id;
	if (r->task == ML_CLASSIFICATION)
		write_class_artifacts(run_id, a->model, a->eval, a->eval_split, NULL);
}

/*
 * The last ml_train's configuration, which the caller must have recorded:
 * its source runs again with the caller's rights.
 */
static MLJson *
last_training(int64 project_id, const char *project)
{
	Oid			who;
	char	   *config = catalog_last_training(project_id, &who);

	if (config == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("project \"%s\" has no training to compare a rule with", project),
				 errhint("Train it once with ml_train: the rule is scored on that training's rows.")));
	if (!OidIsValid(who) || who != GetUserId())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the last training of project \"%s\" was recorded by role %s, not by %s",
						project, OidIsValid(who) ? GetUserNameFromId(who, true) : "(unknown)",
						GetUserNameFromId(GetUserId(), false)),
				 errdetail("A rule is scored on the last training's source, read again with your privileges, so mlsql reads only a source you recorded yourself."),
				 errhint("Train it once yourself with ml_train, then register the rule.")));
	return json_parse(config, strlen(config), "the training configuration");
}

static const char *
config_str(const MLJson *cfg, const char *key)
{
	const MLJson *v = json_get(cfg, key);

	return v && v->type == ML_JSON_STRING ? v->str : NULL;
}

/*
 * The TrainData of the last training again: its source, target, features,
 * split options, test size and seed; the rule learner (which takes the
 * rule's name and expression as its parameters).
 */
static void
rule_train_data(TrainData *td, const MLJson *cfg, const char *project, const char *task,
				const char *name, const char *expression)
{
	const MLJson *features = json_get(cfg, "features");
	const MLJson *params = json_get(cfg, "params");
	const MLJson *v;
	MLBuffer	pj;

	td->project = project;
	td->source = config_str(cfg, "source");
	td->target = config_str(cfg, "target");
	if (td->source == NULL || td->target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("project \"%s\" has no target: a rule predicts one", project)));
	if (features && features->type == ML_JSON_ARRAY && features->n > 0)
	{
		td->features = palloc(sizeof(char *) * features->n);
		for (int i = 0; i < features->n; i++)
			if (features->items[i]->type == ML_JSON_STRING)
				td->features[td->n_features++] = features->items[i]->str;
	}
	v = json_get(cfg, "test_size");
	td->test_size = v && v->type == ML_JSON_NUMBER ? v->num : 0.25;
	v = json_get(cfg, "seed");
	td->seed = v && v->type == ML_JSON_NUMBER ? (int64) v->num : 42;
	td->task_arg = task;
	td->learner = learner_rule();

	/* the split options of the last training, and the rule as the learner's parameters */
	buffer_init(&pj);
	buffer_printf(&pj, "{\"name\": ");
	buffer_json_str(&pj, name);
	buffer_printf(&pj, ", \"expression\": ");
	buffer_json_str(&pj, expression);
	for (int i = 0; params && params->type == ML_JSON_OBJECT && i < params->n; i++)
		if (strcmp(params->keys[i], "split") == 0 || strcmp(params->keys[i], "split_key") == 0 ||
			strcmp(params->keys[i], "split_column") == 0)
		{
			buffer_printf(&pj, ", ");
			buffer_json_str(&pj, params->keys[i]);
			buffer_printf(&pj, ": %s", json_text(params->items[i]));
		}
	buffer_printf(&pj, "}");
	td->params_jb = DatumGetJsonbP(jsonb_datum(&pj));
}

/* every row of the source gets a value (regression rules can give NULL) */
static void
check_rule_values(const MLModel *m, const SourceData *src)
{
	double	   *X;
	double	   *pred;
	size_t		n = src->n_rows,
				nulls = 0;

	if (m->task != ML_REGRESSION)
		return;
	X = mlsql_model_matrix(m, src, NULL, n, true);
	pred = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
	{
		double	   *row = palloc(sizeof(double) * Max(m->n_features, 1));

		for (size_t j = 0; j < m->n_features; j++)
			row[j] = X[j * n + i];
		model_predict(m, row, 1, &pred[i]);
		pfree(row);
		nulls += !isfinite(pred[i]);
	}
	if (nulls > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("rule gives NULL on %zu of %zu rows of the source", nulls, n),
				 errdetail("NULL inputs, a CASE without ELSE and division by zero give NULL."),
				 errhint("Give every row a number: an ELSE branch, or COALESCE(..., 0).")));
}

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/*
 * ml_rule(project, expression, name): one row as ml_train's (the rule's
 * version, its metrics and the baseline's on the last training's test
 * rows, and whether it was deployed).
 */
Datum
mlsql_rule(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *project = catalog_project_name_arg(arg_text(fcinfo, 0, "project"));
	char	   *expression = arg_text(fcinfo, 1, "expression");
	char	   *name = arg_text(fcinfo, 2, "name");
	char	   *task;
	int64		project_id;
	Node	   *expr;
	MLJson	   *cfg;
	TrainData	td = {0};
	TrainRecord r = {0};
	RuleArgs	a = {0};
	MLModel    *model,
			   *base;
	MLBuffer	extra;

	InitMaterializedSRF(fcinfo, 0);
	if (name[0] == '\0' || strlen(name) > RULE_NAME_MAX || strspn(name, " \t\r\n") == strlen(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule's name must be 1 to %d bytes, got %zu", RULE_NAME_MAX, strlen(name))));
	/* one expression, checked before anything is read */
	expr = expression_parse_one(expression, learner_rule()->name);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	project_id = catalog_project_for_manage(project, &task);
	if (strcmp(task, ml_task_name(ML_REGRESSION)) != 0 && strcmp(task, ml_task_name(ML_CLASSIFICATION)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("project \"%s\" is a %s project; rules predict a target (regression or classification)",
						project, task)));
	cfg = last_training(project_id, project);
	rule_train_data(&td, cfg, project, task, name, expression);
	train_prepare(&td);

	model = rule_compile(name, expression, expr, td.src, td.model);
	check_rule_values(model, td.src);

	/* the rule and the baseline on the training and test rows (training only without a test split) */
	base = palloc(sizeof(MLModel));
	*base = *td.model;
	base->learner = learner_baseline();
	base->state = base->learner->fit(td.train, NULL, params_resolve(base->learner->name, base->learner->params, NULL, 0), NULL);
	mlsql_evaluate_dataset(model, transform_rows(model, td.src, td.all_y, td.train_rows, td.n_train), &r.m_train);
	mlsql_evaluate_dataset(base, td.train, &r.b_train);
	a.eval_rows = td.n_test > 0 ? td.test_rows : td.train_rows;
	a.n_eval = td.n_test > 0 ? td.n_test : td.n_train;
	a.eval_split = td.n_test > 0 ? "test" : "train";
	a.eval = transform_rows(model, td.src, td.all_y, a.eval_rows, a.n_eval);
	mlsql_evaluate_dataset(model, a.eval, &r.m_test);
	mlsql_evaluate_dataset(base, td.n_test > 0 ? td.test : td.train, &r.b_test);
	a.td = &td;
	a.model = model;

	buffer_init(&r.bytes);
	model_write(model, &r.bytes);
	(void) model_read(r.bytes.data, r.bytes.len);

	buffer_init(&extra);
	buffer_printf(&extra, "\"rule\": ");
	buffer_json_str(&extra, name);
	buffer_printf(&extra, ", \"expression\": ");
	buffer_json_str(&extra, expression);
	buffer_put_u8(&extra, '\0');

	r.project = project;
	r.source = td.source;
	r.target = td.target;
	r.deploy = "if_better";
	r.split_name = td.split_name;
	r.learner = model->learner;
	r.task = td.task;
	r.params_jb = td.params_jb;
	r.params = td.params;
	r.src = td.src;
	r.test_size = td.test_size;
	r.seed = td.seed;
	r.model = model;
	r.base_model = base;
	r.n_rows_total = (int64) td.src->n_rows;
	buffer_init(&r.dataset_js);
	buffer_printf(&r.dataset_js, "[]");
	r.fingerprint = td.fingerprint;
	r.test_fp = psprintf("%016llx", (unsigned long long) td.test_fingerprint);
	r.n_train = td.n_train;
	r.n_test = td.n_test;
	r.target_info = td.target_info;
	r.kind = model->learner->name;
	r.config_extra = (const char *) extra.data;
	r.extras = rule_extras;
	r.live_score = rule_live_score;
	r.arg = &a;
	train_record(&r, rsinfo);
	SPI_finish();
	return (Datum) 0;
}

/* ---- the project's rules beside a training's baseline ---- */

RuleInput *
rule_inputs(int64 project_id, const MLModel *model, const SourceData *src, const size_t *rows,
			size_t n_rows, const char *where, int *n)
{
	int			n_ids = 0,
				n_seen = 0;
	int64	   *ids;
	RuleInput  *out;
	const char **seen_names;

	*n = 0;
	ids = catalog_project_models(project_id, learner_rule()->name, &n_ids);
	out = palloc0(sizeof(RuleInput) * Max(n_ids, 1));
	seen_names = palloc(sizeof(char *) * Max(n_ids, 1));
	for (int i = 0; i < n_ids; i++)
	{
		MLModel    *rm = model_for_id(ids[i]);
		const char *name = rule_name(rm->state);
		bool		seen = false,
					same = rm->task == model->task && rm->n_classes == model->n_classes;
		double	   *X = NULL;

		/* the latest version of each name (ids come newest first) */
		for (int j = 0; j < n_seen && !seen; j++)
			seen = strcmp(seen_names[j], name) == 0;
		for (int c = 0; same && c < model->n_classes; c++)
			same = strcmp(rm->class_labels[c], model->class_labels[c]) == 0;
		if (seen)
			continue;
		seen_names[n_seen++] = name;
		if (same)
			X = mlsql_model_matrix(rm, src, rows, n_rows, false);
		if (X == NULL)
		{
			ereport(NOTICE,
					(errmsg("rule \"%s\" (version %d) is not in %s: it reads other columns or classes than this training",
							name, catalog_model_version(ids[i]), where)));
			continue;
		}
		out[*n].name = name;
		out[*n].model_id = ids[i];
		out[*n].version = catalog_model_version(ids[i]);
		out[*n].model = rm;
		out[*n].X = X;
		(*n)++;
	}
	return out;
}

RuleScore *
rule_scores(int64 project_id, const MLModel *model, const SourceData *src, const double *all_y,
			const size_t *rows, size_t n_rows, int *n)
{
	RuleInput  *in;
	RuleScore  *out;

	*n = 0;
	if (project_id == 0 || n_rows == 0 ||
		(model->task != ML_REGRESSION && model->task != ML_CLASSIFICATION))
		return NULL;
	in = rule_inputs(project_id, model, src, rows, n_rows, "the baseline", n);
	out = palloc0(sizeof(RuleScore) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		out[i].name = in[i].name;
		out[i].algorithm = in[i].model->learner->name;
		out[i].model_id = in[i].model_id;
		out[i].version = in[i].version;
		mlsql_evaluate_dataset(in[i].model, make_dataset(in[i].X, n_rows, in[i].model, all_y, rows),
							   &out[i].test);
	}
	return out;
}
