/*-------------------------------------------------------------------------
 *
 * forest.c
 *	  Random forests (Breiman, "Random Forests", Machine Learning 45, 2001).
 *
 * Each tree is a CART tree (tree.c) grown on a bootstrap sample of
 * max_samples * n rows drawn with replacement (a row drawn twice counts
 * twice), trying a random max_features share of the features at every
 * split; classification averages the trees' class shares, regression their
 * values.  Tree i draws everything from a generator seeded by (seed, i), so
 * the forest does not depend on how many threads grew it.  Trees are grown
 * on worker threads (mlsql.threads), each handing back its serialized tree;
 * the calling thread reads them into the model.  With oob_score the rows
 * each tree did not draw are scored by it, and the out-of-bag accuracy or
 * r2 is recorded.  Fit O(trees * depth * p' * n log n) over threads,
 * predict O(trees * depth) per row.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/metrics.h"
#include "../core/parallel.h"
#include "../core/rng.h"
#include "tree.h"

#include <math.h>
#include <string.h>

typedef struct Forest
{
	size_t		p;
	int			kc;
	int			n_trees;
	Tree	  **trees;
} Forest;

static const MLParamSpec forest_params[] = {
	{"n_estimators", ML_PARAM_INT, 100, 1, 100000, NULL, NULL, "trees"},
	{"criterion", ML_PARAM_STRING, 0, 0, 0, "auto", "auto,gini,entropy,squared_error",
	"split quality: gini or entropy (classification), squared_error (regression)"},
	{"max_depth", ML_PARAM_INT, 1000, 1, 1000, NULL, NULL, "deepest level"},
	{"min_samples_split", ML_PARAM_INT, 2, 2, 1e9, NULL, NULL, "fewest rows a node needs to split"},
	{"min_samples_leaf", ML_PARAM_INT, 1, 1, 1e9, NULL, NULL, "fewest rows in a leaf"},
	{"max_features", ML_PARAM_FLOAT, 0, 0, 1.0, NULL, NULL,
	"share of features tried per split; 0 = sqrt(p) / p for classification, 1 for regression"},
	{"max_samples", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "bootstrap sample size, as a share of the rows"},
	{"bootstrap", ML_PARAM_BOOL, 1, 0, 1, NULL, NULL, "draw rows with replacement (false: every tree sees every row)"},
	{"oob_score", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "record the out-of-bag score"},
	ML_CLASS_WEIGHT_PARAM,
	{NULL}
};

typedef struct Job
{
	const MLDataset *d;
	TreeOptions o;
	const double *w;			/* class weights per row */
	uint64_t	seed;
	size_t		draws;
	bool		bootstrap;
	MLBuffer   *out;			/* per tree: serialized, malloc'd in the worker */
	int			base;			/* index of the wave's first tree */
} Job;

/* the bootstrap counts of tree i; deterministic in (seed, i) */
static void
bootstrap_counts(const Job *j, int i, unsigned *count)
{
	MLRng		r;
	size_t		n = j->d->n_rows;

	memset(count, 0, sizeof(unsigned) * n);
	if (!j->bootstrap)
	{
		for (size_t a = 0; a < n; a++)
			count[a] = 1;
		return;
	}
	ml_rng_seed(&r, ml_mix64(j->seed ^ ml_mix64((uint64_t) i + 1)));
	for (size_t a = 0; a < j->draws; a++)
		count[ml_rng_next(&r) % n]++;
}

static void
grow_one(void *arg, int task)
{
	Job		   *j = arg;
	int			i = j->base + task;
	size_t		n = j->d->n_rows,
				m = 0;
	unsigned   *count = ml_alloc(sizeof(unsigned) * n);
	size_t	   *rows = ml_alloc(sizeof(size_t) * n);
	double	   *w = ml_alloc(sizeof(double) * n);
	Tree	   *t;

	bootstrap_counts(j, i, count);
	for (size_t a = 0; a < n; a++)
	{
		w[a] = j->w[a] * count[a];
		if (count[a] > 0)
			rows[m++] = a;
	}
	t = tree_grow(j->d, &j->o, w, rows, m, ml_mix64(j->seed ^ ml_mix64((uint64_t) i + 1) ^ 0x5851f42d4c957f2dull));
	buffer_init(&j->out[i]);
	tree_write(t, &j->out[i]);
	tree_free(t);
	ml_free(count);
	ml_free(rows);
	ml_free(w);
}

static void *
forest_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	Forest	   *f = ml_alloc(sizeof(Forest));
	Job			j;
	size_t		n = train->n_rows,
				p = train->n_cols;
	double		mf = params_get_num(params, "max_features");
	int			threads;

	(void) valid;
	if (mf == 0)
		mf = train->n_classes > 0 ? (p > 0 ? floor(sqrt((double) p)) / p : 1.0) : 1.0;
	f->p = p;
	f->kc = train->n_classes > 0 ? train->n_classes : 1;
	f->n_trees = (int) params_get_num(params, "n_estimators");
	tree_options(params, train, mf, &j.o);
	j.d = train;
	j.w = params_row_weights(params, train);
	j.seed = ctx ? ctx->seed : 0;
	j.bootstrap = params_get_num(params, "bootstrap") != 0;
	j.draws = (size_t) fmax(1.0, round(params_get_num(params, "max_samples") * n));
	j.out = ml_alloc(sizeof(MLBuffer) * f->n_trees);
	j.base = 0;
	f->trees = ml_alloc(sizeof(Tree *) * f->n_trees);

	/* grow in waves so cancellation is checked between them */
	threads = ml_thread_count(ctx ? ctx->threads : 1, f->n_trees);
	for (int start = 0; start < f->n_trees; start += threads * 4)
	{
		int			len = f->n_trees - start < threads * 4 ? f->n_trees - start : threads * 4;
		Job			wave = j;

		wave.base = start;
		ml_check_interrupts();
		ml_parallel_for(len, threads, grow_one, &wave);
		ml_progress("tree", start + len, f->n_trees, NULL, 0);
	}
	for (int i = 0; i < f->n_trees; i++)
	{
		MLReader	r;

		reader_init(&r, j.out[i].data, j.out[i].len);
		f->trees[i] = tree_read(&r, p, train->n_classes);
		ml_worker_release(j.out[i].data);
	}

	if (params_get_num(params, "oob_score") != 0 && j.bootstrap)
	{
		size_t		k = (size_t) f->kc;
		double	   *sum = ml_alloc(ml_mul_size(n, k * sizeof(double)));
		double	   *votes = ml_alloc(sizeof(double) * n);
		unsigned   *count = ml_alloc(sizeof(unsigned) * n);
		double	   *row = ml_alloc(sizeof(double) * (p ? p : 1));
		double	   *out = ml_alloc(sizeof(double) * k);
		size_t		m = 0;

		for (int i = 0; i < f->n_trees; i++)
		{
			bootstrap_counts(&j, i, count);
			for (size_t a = 0; a < n; a++)
			{
				if (count[a] > 0)
					continue;
				for (size_t c = 0; c < p; c++)
					row[c] = train->X[c * n + a];
				tree_predict(f->trees[i], row, 1, out);
				for (size_t c = 0; c < k; c++)
					sum[a * k + c] += out[c];
				votes[a]++;
			}
			ml_check_interrupts();
		}
		{
			double	   *y = ml_alloc(sizeof(double) * n);
			double	   *pr = ml_alloc(ml_mul_size(n, k * sizeof(double)));
			MLMetricSet ms;

			for (size_t a = 0; a < n; a++)
			{
				if (votes[a] == 0)
					continue;
				y[m] = train->y[a];
				for (size_t c = 0; c < k; c++)
					pr[m * k + c] = sum[a * k + c] / votes[a];
				m++;
			}
			if (m > 1)
			{
				if (train->n_classes > 0)
					metrics_classification(y, pr, m, (int) k, &ms);
				else
					metrics_regression(y, pr, m, &ms);
				ml_log_metric(ctx, "validation",
							  train->n_classes > 0 ? "oob_accuracy" : "oob_r2", -1,
							  metrics_get(&ms, train->n_classes > 0 ? "accuracy" : "r2"));
			}
		}
	}
	return f;
}

static void
forest_predict(const void *state, const double *X, size_t n, double *out)
{
	const Forest *f = state;
	size_t		k = (size_t) f->kc;
	double	   *tmp = ml_alloc(sizeof(double) * k);

	for (size_t i = 0; i < n; i++)
	{
		double	   *o = out + i * k;

		memset(o, 0, sizeof(double) * k);
		for (int t = 0; t < f->n_trees; t++)
		{
			tree_predict(f->trees[t], X + i * f->p, 1, tmp);
			for (size_t c = 0; c < k; c++)
				o[c] += tmp[c];
		}
		for (size_t c = 0; c < k; c++)
			o[c] /= f->n_trees;
	}
	ml_free(tmp);
}

/* TreeSHAP averaged over the trees: explains the forest's value or class share */
static int
forest_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Forest *f = state;
	int			c = 0;

	(void) mean;				/* TreeSHAP is relative to the expected value already */

	memset(phi, 0, sizeof(double) * (f->p + 1));
	if (f->kc == 2)
		c = 1;
	else if (f->kc > 2)
	{
		double	   *o = ml_alloc(sizeof(double) * f->kc);

		forest_predict(f, x, 1, o);
		c = ml_argmax(o, f->kc);
		ml_free(o);
	}
	for (int t = 0; t < f->n_trees; t++)
		tree_shap(f->trees[t], x, c, 1.0 / f->n_trees, phi);
	return f->kc > 2 ? c : -1;
}

static void
forest_write(const void *state, MLBuffer *out)
{
	const Forest *f = state;

	buffer_put_u32(out, (uint32_t) f->p);
	buffer_put_u32(out, (uint32_t) f->kc);
	buffer_put_u32(out, (uint32_t) f->n_trees);
	for (int t = 0; t < f->n_trees; t++)
	{
		MLBuffer	b;

		buffer_init(&b);
		tree_write(f->trees[t], &b);
		buffer_put_u32(out, (uint32_t) b.len);
		buffer_put_bytes(out, b.data, b.len);
		ml_free(b.data);
	}
}

static void *
forest_read(MLReader *in, size_t p, int k)
{
	Forest	   *f = ml_alloc(sizeof(Forest));

	f->p = reader_u32(in);
	f->kc = (int) reader_u32(in);
	if (f->p != p || f->kc != (k > 0 ? k : 1))
		ml_error(ML_ERR_CORRUPT, NULL, "forest model shape does not match its header");
	f->n_trees = (int) reader_count(in, 24, 100000);
	if (f->n_trees < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "forest model has no trees");
	f->trees = ml_alloc(sizeof(Tree *) * f->n_trees);
	for (int t = 0; t < f->n_trees; t++)
	{
		size_t		len = reader_count(in, 1, UINT32_MAX);
		MLReader	r;

		reader_init(&r, in->data + in->pos, len);
		in->pos += len;
		f->trees[t] = tree_read(&r, p, k);
		reader_expect_end(&r);
	}
	return f;
}

static void
forest_describe(const void *state, MLBuffer *json)
{
	const Forest *f = state;
	long		nodes = 0;

	for (int t = 0; t < f->n_trees; t++)
		nodes += f->trees[t]->n_nodes;
	buffer_printf(json, "{\"trees\": %d, \"nodes\": %ld}", f->n_trees, nodes);
}

static void
forest_importance(const void *state, const MLDataset *train, double *out)
{
	const Forest *f = state;

	(void) train;
	memset(out, 0, sizeof(double) * f->p);
	for (int t = 0; t < f->n_trees; t++)
		for (size_t j = 0; j < f->p; j++)
			out[j] += f->trees[t]->importance[j] / f->n_trees;
}

const MLLearner ml_learner_forest = {
	.name = "forest",
	.id = 10,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.memorizes = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = forest_params,
	.doc = "random forest",
	.encode = ML_ENCODE_ORDINAL,
	.fit = forest_fit,
	.predict = forest_predict,
	.write = forest_write,
	.read = forest_read,
	.describe = forest_describe,
	.importance = forest_importance,
	.importance_method = "impurity",
	.explain = forest_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
	.predict_in_tasks = true,
};
