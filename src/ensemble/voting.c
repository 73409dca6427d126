/*-------------------------------------------------------------------------
 *
 * voting.c
 *	  Voting: different learners, a weighted vote or average.
 *
 * See ensemble.c for the method and the payload; the members train as
 * tasks (ensemble.c), each from a seed of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble_internal.h"
#include "../core/parallel.h"
#include "../core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const MLParamSpec voting_params[] = {
	{"estimators", ML_PARAM_JSON, 0, 0, 0, NULL, "array",
	"the members, e.g. [{\"algorithm\": \"logistic\"}, {\"algorithm\": \"knn\", \"k\": 15}]"},
	{"voting", ML_PARAM_STRING, 0, 0, 0, "hard", "hard,soft",
	"hard: weighted majority vote; soft: weighted average of probabilities"},
	{"weights", ML_PARAM_JSON, 0, 0, 0, NULL, "array", "one non-negative weight per member"},
	{NULL}
};

static void *
voting_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
		   MLFitContext *ctx)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	Names		nm = ensemble_ctx_names(ctx, train->n_cols);
	Spec	   *specs,
				fin;
	int			n_specs;
	double	   *w;
	Job		   *jobs;
	int			depth = ctx ? ctx->depth : 0;

	(void) valid;
	ensemble_parse_config(K_VOTING, params, &nm, train->n_classes, ctx ? ctx->class_labels : NULL,
				 ctx && ctx->path ? ctx->path : "", depth, &specs, &n_specs, &w, &fin);
	e->kind = K_VOTING;
	e->p = train->n_cols;
	e->k = train->n_classes;
	e->soft = strcmp(params_get_str(params, "voting"), "soft") == 0;
	e->n = n_specs;
	e->m = ml_alloc(sizeof(Member) * (size_t) n_specs);
	jobs = ml_alloc(sizeof(Job) * (size_t) n_specs);
	for (int i = 0; i < n_specs; i++)
	{
		ensemble_job_init(&jobs[i], train, &specs[i], ctx, &nm,
				 ensemble_member_seed(ctx ? ctx->seed : 0, 0x707Eull, (uint64_t) i));
		jobs[i].keep = true;
	}
	ensemble_run_jobs(jobs, n_specs, ctx);
	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) n_specs);
		ctx->n_members = n_specs;
	}
	for (int i = 0; i < n_specs; i++)
	{
		ensemble_take_job(&jobs[i], &e->m[i], e->k, depth, ctx ? &ctx->members[i] : NULL);
		e->m[i].weight = w[i];
	}
	ml_free(jobs);
	return e;
}

static void *
voting_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_VOTING);
}

const MLLearner ml_learner_voting = {
	.name = "voting",
	.id = ML_ID_VOTING,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = voting_params,
	.doc = "voting: different learners, weighted vote or average",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = voting_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = voting_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};

const MLLearner *
ensemble_voting_learner(void)
{
	return &ml_learner_voting;
}
