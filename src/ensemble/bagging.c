/*-------------------------------------------------------------------------
 *
 * bagging.c
 *	  Bagging: one learner fit on samples of the rows and features.
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

static const MLParamSpec bagging_params[] = {
	{"base", ML_PARAM_JSON, 0, 0, 0, "{\"algorithm\": \"tree\"}", "object",
	"the member learner, e.g. {\"algorithm\": \"tree\", \"max_depth\": 8}"},
	{"n_estimators", ML_PARAM_INT, 10, 1, 10000, NULL, NULL, "members"},
	{"max_samples", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "share of rows each member draws"},
	{"max_features", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "share of features each member draws"},
	{"bootstrap", ML_PARAM_BOOL, 1, 0, 1, NULL, NULL, "draw rows with replacement"},
	{"bootstrap_features", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "draw features with replacement"},
	{"oob_score", ML_PARAM_BOOL, 1, 0, 1, NULL, NULL, "log the out-of-bag score (with bootstrap)"},
	{"voting", ML_PARAM_STRING, 0, 0, 0, "hard", "hard,soft",
	"hard: majority vote; soft: average probabilities"},
	{NULL}
};

/* bagging member i's rows: counts[r] draws of row r */
static void
bag_rows(uint64_t seed, int i, size_t n, size_t draws, bool bootstrap, size_t *scratch,
		 unsigned *counts)
{
	MLRng		rng;

	ml_rng_seed(&rng, ensemble_member_seed(seed, 0xBA66ull, (uint64_t) i));
	memset(counts, 0, sizeof(unsigned) * n);
	if (bootstrap)
	{
		for (size_t d = 0; d < draws; d++)
			counts[(size_t) (ml_rng_uniform(&rng) * (double) n)]++;
		return;
	}
	for (size_t r = 0; r < n; r++)
		scratch[r] = r;
	for (size_t d = 0; d < draws; d++)
	{
		size_t		pick = d + (size_t) (ml_rng_uniform(&rng) * (double) (n - d));
		size_t		t = scratch[d];

		scratch[d] = scratch[pick];
		scratch[pick] = t;
		counts[scratch[d]] = 1;
	}
}

static void *
bagging_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
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
	int			ne = (int) params_get_num(params, "n_estimators");
	bool		bootstrap = params_get_num(params, "bootstrap") != 0;
	bool		boot_feat = params_get_num(params, "bootstrap_features") != 0;
	size_t		draws = (size_t) fmax(1.0, round(params_get_num(params, "max_samples") * (double) n));
	size_t		pbase;
	size_t		pf;
	Job		   *jobs;
	size_t	   *scratch = ml_alloc(sizeof(size_t) * (n ? n : 1));
	unsigned   *counts = ml_alloc(sizeof(unsigned) * (n ? n : 1));
	const char *path = ctx && ctx->path ? ctx->path : "";
	int			depth = ctx ? ctx->depth : 0;

	(void) valid;
	ensemble_parse_config(K_BAGGING, params, &nm, k, ctx ? ctx->class_labels : NULL, path, depth,
				 &specs, &n_specs, &w, &fin);
	pbase = specs[0].p;
	pf = (size_t) fmax(1.0, round(params_get_num(params, "max_features") * (double) pbase));
	e->kind = K_BAGGING;
	e->p = train->n_cols;
	e->k = k;
	e->soft = strcmp(params_get_str(params, "voting"), "soft") == 0;
	e->n = ne;
	e->m = ml_alloc(sizeof(Member) * (size_t) ne);
	jobs = ml_alloc(sizeof(Job) * (size_t) ne);

	for (int i = 0; i < ne; i++)
	{
		Job		   *j = &jobs[i];
		size_t		m = 0;
		size_t	   *rows;

		ensemble_job_init(j, train, &specs[0], ctx, &nm, ensemble_member_seed(ctx ? ctx->seed : 0, 0xB0B0ull, (uint64_t) i));
		bag_rows(ctx ? ctx->seed : 0, i, n, draws, bootstrap, scratch, counts);
		for (size_t r = 0; r < n; r++)
			m += counts[r];
		rows = ml_alloc(sizeof(size_t) * (m ? m : 1));
		m = 0;
		for (size_t r = 0; r < n; r++)
			for (unsigned c = 0; c < counts[r]; c++)
				rows[m++] = r;
		j->rows = rows;
		j->nr = m;
		j->keep = true;

		/* features: a draw from the base's own features */
		if (pf < pbase || boot_feat)
		{
			MLRng		rng;
			size_t	   *idx = ml_alloc(sizeof(size_t) * pbase);
			int		   *cols = ml_alloc(sizeof(int) * pf);

			ml_rng_seed(&rng, ensemble_member_seed(ctx ? ctx->seed : 0, 0xFEA7ull, (uint64_t) i));
			for (size_t c = 0; c < pbase; c++)
				idx[c] = c;
			for (size_t c = 0; c < pf; c++)
			{
				size_t		pick;

				if (boot_feat)
					pick = (size_t) (ml_rng_uniform(&rng) * (double) pbase);
				else
				{
					size_t		s = c + (size_t) (ml_rng_uniform(&rng) * (double) (pbase - c));
					size_t		t = idx[c];

					idx[c] = idx[s];
					idx[s] = t;
					pick = idx[c];
				}
				cols[c] = specs[0].cols ? specs[0].cols[pick] : (int) pick;
			}
			if (!boot_feat)
			{
				/* keep the drawn features in column order */
				for (size_t a = 1; a < pf; a++)
					for (size_t b = a; b > 0 && cols[b - 1] > cols[b]; b--)
					{
						int			t = cols[b];

						cols[b] = cols[b - 1];
						cols[b - 1] = t;
					}
			}
			j->cols = cols;
			j->pc = pf;
			ml_free(idx);
		}
	}
	ensemble_run_jobs(jobs, ne, ctx);

	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) ne);
		ctx->n_members = ne;
	}
	for (int i = 0; i < ne; i++)
	{
		ensemble_take_job(&jobs[i], &e->m[i], k, depth, ctx ? &ctx->members[i] : NULL);
		e->m[i].weight = 1.0;
		if (ctx)
			ctx->members[i].path = ensemble_path_join(path, "base[%d]", i);
		ml_free((void *) jobs[i].rows);
	}

	/* out of bag: each row scored by the members that did not draw it */
	if (bootstrap && params_get_num(params, "oob_score") != 0 && ctx)
	{
		size_t		wd = ensemble_out_width(k);
		double	   *sum = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		double	   *votes = ml_alloc(sizeof(double) * (n ? n : 1));
		size_t	   *oob = ml_alloc(sizeof(size_t) * (n ? n : 1));
		double	   *X = ml_alloc(ml_mul_size(ml_mul_size(n, train->n_cols ? train->n_cols : 1), sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		double	   *y = ml_alloc(sizeof(double) * (n ? n : 1));
		double	   *pr = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		MLMetricSet ms;
		size_t		m = 0;

		for (int i = 0; i < ne; i++)
		{
			size_t		no = 0;
			const Member *mb = &e->m[i];

			bag_rows(ctx->seed, i, n, draws, bootstrap, scratch, counts);
			for (size_t r = 0; r < n; r++)
				if (counts[r] == 0)
					oob[no++] = r;
			if (no == 0)
				continue;
			ensemble_gather_rows(train, oob, no, mb->cols, mb->p, X);
			mb->learner->predict(mb->state, X, no, o);
			for (size_t a = 0; a < no; a++)
			{
				y[a] = train->y[oob[a]];
				if (k > 0 && !e->soft)
				{
					int			c = ml_argmax(o + a * wd, k);

					sum[oob[a] * wd + (size_t) c] += 1;
				}
				else
					for (size_t c = 0; c < wd; c++)
						sum[oob[a] * wd + c] += o[a * wd + c];
				votes[oob[a]]++;
			}
			if (no > 1)
			{
				ensemble_score(y, o, no, k, &ms);
				ensemble_log_metric(&ctx->members[i], k > 0 ? "oob_accuracy" : "oob_r2",
								  metrics_get(&ms, k > 0 ? "accuracy" : "r2"));
			}
			ml_check_interrupts();
		}
		for (size_t a = 0; a < n; a++)
		{
			if (votes[a] == 0)
				continue;
			y[m] = train->y[a];
			for (size_t c = 0; c < wd; c++)
				pr[m * wd + c] = sum[a * wd + c] / votes[a];
			m++;
		}
		if (m > 1)
		{
			ensemble_score(y, pr, m, k, &ms);
			ml_log_metric(ctx, "validation", k > 0 ? "oob_accuracy" : "oob_r2", -1,
						  metrics_get(&ms, k > 0 ? "accuracy" : "r2"));
		}
		ml_free(sum);
		ml_free(votes);
		ml_free(oob);
		ml_free(X);
		ml_free(o);
		ml_free(y);
		ml_free(pr);
	}
	ml_free(scratch);
	ml_free(counts);
	ml_free(jobs);
	return e;
}

static void *
bagging_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_BAGGING);
}

const MLLearner ml_learner_bagging = {
	.name = "bagging",
	.id = ML_ID_BAGGING,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.memorizes = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = bagging_params,
	.doc = "bagging: one learner fit on samples of rows and features, voted or averaged",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = bagging_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = bagging_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
