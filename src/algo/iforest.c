/*-------------------------------------------------------------------------
 *
 * iforest.c
 *	  Isolation forest anomaly detection (Liu, Ting & Zhou, ICDM 2008).
 *
 * Each tree isolates a seeded subsample of max_samples rows (drawn without
 * replacement) by splitting on a random feature at a uniform random value
 * between the node's minimum and maximum, until a node holds one row, all
 * its rows are equal, or the depth reaches ceil(log2(max_samples)).  A
 * row's anomaly score is 2^(-E[h(x)] / c(max_samples)), where h is the
 * path length plus c(size) of the leaf it ends in and
 * c(m) = 2 H(m - 1) - 2 (m - 1) / m; scores near 1 are anomalies.  With
 * contamination "auto" (0) a row is an anomaly when its score exceeds 0.5,
 * as scikit-learn; otherwise the threshold is the training scores'
 * (1 - contamination) quantile.  predict writes (label, score) per row:
 * ml_predict returns the label (1 = anomaly), ml_predict_proba the score.
 * Fit O(trees * max_samples log max_samples), predict O(trees * depth).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct INode
{
	int32_t		feature;		/* -1 for a leaf */
	double		split;			/* or, for leaves, the path adjustment c(size) */
	int32_t		left,
				right;
} INode;

typedef struct IForest
{
	size_t		p;
	int			n_trees;
	int			psi;			/* subsample size */
	double		threshold;
	int		   *n_nodes;
	INode	  **nodes;
} IForest;

static const MLParamSpec iforest_params[] = {
	{"n_estimators", ML_PARAM_INT, 100, 1, 100000, NULL, NULL, "trees"},
	{"max_samples", ML_PARAM_INT, 256, 2, 1e8, NULL, NULL, "rows per tree (at most the training rows)"},
	{"contamination", ML_PARAM_FLOAT, 0, 0, 0.5, NULL, NULL,
	"expected share of anomalies; 0 means auto (score above 0.5)"},
	{NULL}
};

static double
c_factor(double m)
{
	if (m <= 1)
		return 0;
	if (m == 2)
		return 1;
	return 2 * (log(m - 1) + 0.5772156649015329) - 2 * (m - 1) / m;
}

typedef struct IBuilder
{
	const MLDataset *d;
	MLRng		rng;
	INode	   *nodes;
	int			n,
				cap;
	int			max_depth;
} IBuilder;

static int
ibuild(IBuilder *b, size_t *rows, size_t m, int depth)
{
	const MLDataset *d = b->d;
	int			id;
	int			f = -1;
	double		lo = 0,
				hi = 0;

	if (b->n == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 64;
		b->nodes = ml_realloc(b->nodes, sizeof(INode) * b->cap);
	}
	id = b->n++;
	b->nodes[id].feature = -1;
	b->nodes[id].split = c_factor((double) m);
	b->nodes[id].left = b->nodes[id].right = -1;
	if (m <= 1 || depth >= b->max_depth || d->n_cols == 0)
		return id;
	/* a random feature that is not constant here (a few tries) */
	for (int tries = 0; tries < 8 && f < 0; tries++)
	{
		int			cand = (int) (ml_rng_next(&b->rng) % d->n_cols);
		const double *x = d->X + (size_t) cand * d->n_rows;

		lo = hi = x[rows[0]];
		for (size_t i = 1; i < m; i++)
		{
			lo = fmin(lo, x[rows[i]]);
			hi = fmax(hi, x[rows[i]]);
		}
		if (hi > lo)
			f = cand;
	}
	if (f < 0)
		return id;
	{
		double		split = lo + ml_rng_uniform(&b->rng) * (hi - lo);
		const double *x = d->X + (size_t) f * d->n_rows;
		size_t		a = 0;
		int			l,
					r;

		for (size_t i = 0; i < m; i++)
			if (x[rows[i]] < split)
			{
				size_t		t = rows[a];

				rows[a++] = rows[i];
				rows[i] = t;
			}
		b->nodes[id].feature = f;
		b->nodes[id].split = split;
		l = ibuild(b, rows, a, depth + 1);
		b->nodes[id].left = l;
		r = ibuild(b, rows + a, m - a, depth + 1);
		b->nodes[id].right = r;
	}
	return id;
}

static double
path_length(const IForest *f, int t, const double *x)
{
	const INode *nd = f->nodes[t];
	int			i = 0;
	double		h = 0;

	while (nd[i].feature >= 0)
	{
		i = x[nd[i].feature] < nd[i].split ? nd[i].left : nd[i].right;
		h += 1;
	}
	return h + nd[i].split;
}

static double
score(const IForest *f, const double *x)
{
	double		h = 0;

	for (int t = 0; t < f->n_trees; t++)
		h += path_length(f, t, x);
	h /= f->n_trees;
	return pow(2.0, -h / c_factor((double) f->psi));
}

static int
cmp_dbl(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void *
iforest_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	IForest    *f = ml_alloc(sizeof(IForest));
	size_t		n = train->n_rows,
				p = train->n_cols;
	IBuilder	b = {0};
	size_t	   *perm = ml_alloc(sizeof(size_t) * (n ? n : 1));
	double		cont = params_get_num(params, "contamination");

	(void) valid;
	f->p = p;
	f->n_trees = (int) params_get_num(params, "n_estimators");
	f->psi = (int) fmin(params_get_num(params, "max_samples"), (double) n);
	f->n_nodes = ml_alloc(sizeof(int) * f->n_trees);
	f->nodes = ml_alloc(sizeof(INode *) * f->n_trees);
	b.d = train;
	b.max_depth = (int) ceil(log2(fmax(f->psi, 2)));
	ml_rng_seed(&b.rng, ctx ? ctx->seed : 0);
	for (int t = 0; t < f->n_trees; t++)
	{
		/* subsample without replacement: partial Fisher-Yates */
		for (size_t i = 0; i < n; i++)
			perm[i] = i;
		for (int i = 0; i < f->psi; i++)
		{
			size_t		r = (size_t) i + (size_t) (ml_rng_next(&b.rng) % (n - i));
			size_t		tmp = perm[i];

			perm[i] = perm[r];
			perm[r] = tmp;
		}
		b.nodes = NULL;
		b.n = b.cap = 0;
		ibuild(&b, perm, (size_t) f->psi, 0);
		f->nodes[t] = b.nodes;
		f->n_nodes[t] = b.n;
		ml_check_interrupts();
	}
	if (cont > 0)
	{
		double	   *s = ml_alloc(sizeof(double) * (n ? n : 1));
		double	   *row = ml_alloc(sizeof(double) * (p ? p : 1));

		for (size_t i = 0; i < n; i++)
		{
			for (size_t j = 0; j < p; j++)
				row[j] = train->X[j * n + i];
			s[i] = score(f, row);
		}
		qsort(s, n, sizeof(double), cmp_dbl);
		f->threshold = s[(size_t) fmin(n - 1, floor((1 - cont) * n))];
		ml_free(s);
		ml_free(row);
	}
	else
		f->threshold = 0.5;
	ml_log_metric(ctx, "train", "threshold", -1, f->threshold);
	ml_free(perm);
	return f;
}

static void
iforest_predict(const void *state, const double *X, size_t n, double *out)
{
	const IForest *f = state;

	for (size_t i = 0; i < n; i++)
	{
		double		s = score(f, X + i * f->p);

		out[2 * i] = s > f->threshold ? 1.0 : 0.0;
		out[2 * i + 1] = s;
	}
}

static void
iforest_write(const void *state, MLBuffer *out)
{
	const IForest *f = state;

	buffer_put_u32(out, (uint32_t) f->p);
	buffer_put_u32(out, (uint32_t) f->n_trees);
	buffer_put_u32(out, (uint32_t) f->psi);
	buffer_put_f64(out, f->threshold);
	for (int t = 0; t < f->n_trees; t++)
	{
		buffer_put_u32(out, (uint32_t) f->n_nodes[t]);
		for (int i = 0; i < f->n_nodes[t]; i++)
		{
			buffer_put_u32(out, (uint32_t) f->nodes[t][i].feature);
			buffer_put_f64(out, f->nodes[t][i].split);
			buffer_put_u32(out, (uint32_t) f->nodes[t][i].left);
			buffer_put_u32(out, (uint32_t) f->nodes[t][i].right);
		}
	}
}

static void *
iforest_read(MLReader *in, size_t p, int k)
{
	IForest    *f = ml_alloc(sizeof(IForest));

	(void) k;
	f->p = reader_u32(in);
	f->n_trees = (int) reader_count(in, 24, 100000);
	f->psi = (int) reader_u32(in);
	f->threshold = reader_f64(in);
	if (f->p != p || f->n_trees < 1 || f->psi < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "isolation forest model shape does not match its header");
	f->n_nodes = ml_alloc(sizeof(int) * f->n_trees);
	f->nodes = ml_alloc(sizeof(INode *) * f->n_trees);
	for (int t = 0; t < f->n_trees; t++)
	{
		f->n_nodes[t] = (int) reader_count(in, 20, 100000000);
		if (f->n_nodes[t] < 1)
			ml_error(ML_ERR_CORRUPT, NULL, "isolation forest tree has no nodes");
		f->nodes[t] = ml_alloc(sizeof(INode) * f->n_nodes[t]);
		for (int i = 0; i < f->n_nodes[t]; i++)
		{
			INode	   *nd = &f->nodes[t][i];

			nd->feature = (int32_t) reader_u32(in);
			nd->split = reader_f64(in);
			nd->left = (int32_t) reader_u32(in);
			nd->right = (int32_t) reader_u32(in);
			if (nd->feature < -1 || (nd->feature >= 0 &&
									 ((size_t) nd->feature >= p || nd->left <= i || nd->right <= i ||
									  nd->left >= f->n_nodes[t] || nd->right >= f->n_nodes[t])))
				ml_error(ML_ERR_CORRUPT, NULL, "isolation forest node is invalid");
		}
	}
	return f;
}

static void
iforest_describe(const void *state, MLBuffer *json)
{
	const IForest *f = state;

	buffer_printf(json, "{\"trees\": %d, \"max_samples\": %d, \"threshold\": ", f->n_trees, f->psi);
	buffer_json_num(json, f->threshold);
	buffer_printf(json, "}");
}

const MLLearner ml_learner_iforest = {
	.name = "iforest",
	.id = 14,
	.tasks = ML_TASK_BIT(ML_ANOMALY),
	.params = iforest_params,
	.doc = "isolation forest anomaly detection",
	.encode = ML_ENCODE_ORDINAL,
	.fit = iforest_fit,
	.predict = iforest_predict,
	.write = iforest_write,
	.read = iforest_read,
	.describe = iforest_describe,
	.engines = ML_ENGINE_MEMORY,
};
