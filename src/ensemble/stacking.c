/*-------------------------------------------------------------------------
 *
 * stacking.c
 *	  Stacking: a final learner on the members' out-of-fold predictions.
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

static const MLParamSpec stacking_params[] = {
	{"estimators", ML_PARAM_JSON, 0, 0, 0, NULL, "array",
	"the base members, e.g. [{\"algorithm\": \"logistic\"}, {\"algorithm\": \"knn\"}]"},
	{"final", ML_PARAM_JSON, 0, 0, 0, NULL, "object",
	"the learner trained on the out-of-fold predictions (default logistic, or linear)"},
	{"folds", ML_PARAM_INT, 5, 2, 100000, NULL, NULL, "folds of the out-of-fold predictions"},
	{"passthrough", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "the final learner also reads the features"},
	{"stack_method", ML_PARAM_STRING, 0, 0, 0, "auto", "auto,proba,predict",
	"meta features: class probabilities (auto for classification) or predictions"},
	{NULL}
};

static void *
stacking_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
			 MLFitContext *ctx)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	size_t		n = train->n_rows;
	int			k = train->n_classes;
	Names		nm = ensemble_ctx_names(ctx, train->n_cols);
	Spec	   *specs,
				fin;
	int			n_specs;
	double	   *w;
	int			folds = (int) params_get_num(params, "folds");
	const char *method = params_get_str(params, "stack_method");
	int			depth = ctx ? ctx->depth : 0;
	uint64_t	seed = ctx ? ctx->seed : 0;
	int		   *fold;
	size_t		wd = ensemble_out_width(k);
	size_t		q,
				pm;
	double	   *oof;
	Job		   *jobs;
	int			nj = 0;
	size_t	  **fit_rows,
			  **pred_rows,
			   *n_fit,
			   *n_pred;
	MLDataset  *meta;

	(void) valid;
	ensemble_parse_config(K_STACKING, params, &nm, k, ctx ? ctx->class_labels : NULL,
				 ctx && ctx->path ? ctx->path : "", depth, &specs, &n_specs, &w, &fin);
	if ((size_t) folds > n)
		ml_error(ML_ERR_PARAM, "Use fewer folds, or more rows.",
				 "stacking folds (%d) must not exceed the training rows (%zu)", folds, n);
	if (strcmp(method, "proba") == 0 && k == 0)
		ml_error(ML_ERR_PARAM, "Use stack_method \"predict\" (or \"auto\") for regression.",
				 "stack_method \"proba\" needs a classification target");
	e->kind = K_STACKING;
	e->p = train->n_cols;
	e->k = k;
	e->proba = k > 0 && strcmp(method, "predict") != 0;
	e->passthrough = params_get_num(params, "passthrough") != 0;
	e->n = n_specs;
	e->m = ml_alloc(sizeof(Member) * (size_t) n_specs);
	q = stacking_meta_width(e);
	pm = q * (size_t) n_specs + (e->passthrough ? train->n_cols : 0);

	/* the folds' rows */
	fold = dataset_folds(train, folds, ensemble_member_seed(seed, 0xF01Dull, 0));
	fit_rows = ml_alloc(sizeof(size_t *) * (size_t) folds);
	pred_rows = ml_alloc(sizeof(size_t *) * (size_t) folds);
	n_fit = ml_alloc(sizeof(size_t) * (size_t) folds);
	n_pred = ml_alloc(sizeof(size_t) * (size_t) folds);
	for (int f = 0; f < folds; f++)
	{
		fit_rows[f] = ml_alloc(sizeof(size_t) * n);
		pred_rows[f] = ml_alloc(sizeof(size_t) * n);
		for (size_t i = 0; i < n; i++)
		{
			if (fold[i] == f)
				pred_rows[f][n_pred[f]++] = i;
			else
				fit_rows[f][n_fit[f]++] = i;
		}
	}

	/* out-of-fold predictions of every member, and the refits, in one go */
	oof = ml_alloc(ml_mul_size(ml_mul_size(n, wd * (size_t) n_specs), sizeof(double)));
	jobs = ml_alloc(sizeof(Job) * (size_t) n_specs * (size_t) (folds + 1));
	for (int i = 0; i < n_specs; i++)
	{
		for (int f = 0; f < folds; f++)
		{
			Job		   *j = &jobs[nj++];

			ensemble_job_init(j, train, &specs[i], ctx, &nm,
					 ensemble_member_seed(seed, 0x57ACull + (uint64_t) f + 1, (uint64_t) i));
			j->rows = fit_rows[f];
			j->nr = n_fit[f];
			j->pred_rows = pred_rows[f];
			j->n_pred = n_pred[f];
			j->oof = oof;
			j->oof_w = wd * (size_t) n_specs;
			j->oof_at = wd * (size_t) i;
		}
	}
	for (int i = 0; i < n_specs; i++)
	{
		Job		   *j = &jobs[nj++];

		ensemble_job_init(j, train, &specs[i], ctx, &nm, ensemble_member_seed(seed, 0x57ACull, (uint64_t) i));
		j->keep = true;
	}
	ensemble_run_jobs(jobs, nj, ctx);

	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) n_specs);
		ctx->n_members = n_specs;
	}
	meta = dataset_create(n, pm, k);
	{
		double	   *mrow = ml_alloc(ml_mul_size(ml_mul_size(n, pm ? pm : 1), sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));

		for (int i = 0; i < n_specs; i++)
		{
			ensemble_take_job(&jobs[n_specs * folds + i], &e->m[i], k, depth, ctx ? &ctx->members[i] : NULL);
			e->m[i].weight = 1.0;
			for (size_t a = 0; a < n; a++)
				memcpy(o + a * wd, oof + a * wd * (size_t) n_specs + wd * (size_t) i, wd * sizeof(double));
			stacking_to_meta(e, o, n, mrow, pm, q * (size_t) i);
			if (ctx && n > 1)
			{
				MLMetricSet ms;

				ensemble_score(train->y, o, n, k, &ms);
				for (int s = 0; s < ms.n; s++)
					ensemble_log_metric(&ctx->members[i], ms.names[s], ms.values[s]);
			}
		}
		/* column-major meta dataset: the meta features, then passthrough */
		for (size_t c = 0; c < q * (size_t) n_specs; c++)
			for (size_t a = 0; a < n; a++)
				meta->X[c * n + a] = mrow[a * pm + c];
		if (e->passthrough)
			memcpy(meta->X + q * (size_t) n_specs * n, train->X,
				   ml_mul_size(ml_mul_size(n, train->n_cols), sizeof(double)));
		memcpy(meta->y, train->y, sizeof(double) * n);
		ml_free(mrow);
		ml_free(o);
	}

	/* the final learner, on the out-of-fold predictions */
	{
		MLFitContext c;

		memset(&c, 0, sizeof(c));
		c.seed = ensemble_member_seed(seed, 0xF1Aull, 0);
		c.threads = ctx ? ctx->threads : 1;
		c.class_labels = ctx ? ctx->class_labels : NULL;
		c.path = fin.path;
		c.depth = depth + 1;
		e->final.learner = fin.learner;
		e->final.p = pm;
		e->final.weight = 1.0;
		e->final.state = fin.learner->fit(meta, NULL, fin.params, &c);
	}
	for (int f = 0; f < folds; f++)
	{
		ml_free(fit_rows[f]);
		ml_free(pred_rows[f]);
	}
	ml_free(oof);
	ml_free(fold);
	ml_free(jobs);
	return e;
}

static void *
stacking_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_STACKING);
}

const MLLearner ml_learner_stacking = {
	.name = "stacking",
	.id = ML_ID_STACKING,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = stacking_params,
	.doc = "stacking: a final learner on the members' out-of-fold predictions",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = stacking_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = stacking_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
