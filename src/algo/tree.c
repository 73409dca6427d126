/*-------------------------------------------------------------------------
 *
 * tree.c
 *	  CART decision trees for classification (gini, entropy) and regression
 *	  (squared error).
 *
 * Breiman, Friedman, Olshen & Stone, "Classification and Regression Trees",
 * 1984, grown depth first as scikit-learn's DecisionTree: at each node every
 * candidate feature (all, or a seeded random share max_features) is sorted,
 * every boundary between values more than 1e-7 apart that leaves
 * min_samples_leaf rows on each side is scored by the weighted impurity
 * decrease, and the best split is taken, its threshold the midpoint of the
 * two values.  Feature values are compared as float32, as scikit-learn's
 * trees do (its thresholds are midpoints of float32 values), so the same
 * data gives the same splits.  Ties between features keep the first feature in column order
 * (scikit-learn visits features in a random order: on data where two
 * features split equally well the trees can differ).  Nodes stop at
 * max_depth, below min_samples_split rows, or when pure.  Leaves hold class
 * shares (weighted by class_weight) or the mean.  Impurity-based feature
 * importance is the normalized sum of the weighted decreases per feature.
 * Fit O(depth * p * n log n), predict O(depth) per row.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FEATURE_THRESHOLD 1e-7

#include "tree.h"
#include "treeshap.h"

static const MLParamSpec tree_params[] = {
	{"criterion", ML_PARAM_STRING, 0, 0, 0, "auto", "auto,gini,entropy,squared_error",
	"split quality: gini or entropy (classification), squared_error (regression)"},
	{"max_depth", ML_PARAM_INT, 1000, 1, 1000, NULL, NULL, "deepest level"},
	{"min_samples_split", ML_PARAM_INT, 2, 2, 1e9, NULL, NULL, "fewest rows a node needs to split"},
	{"min_samples_leaf", ML_PARAM_INT, 1, 1, 1e9, NULL, NULL, "fewest rows in a leaf"},
	{"max_features", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "share of features tried per split"},
	ML_CLASS_WEIGHT_PARAM,
	{NULL}
};

typedef struct Builder
{
	const MLDataset *d;
	Tree	   *t;
	int			cap;
	int			entropy;
	int			max_depth,
				min_split,
				min_leaf,
				n_try;
	double	   *w;				/* per row weight */
	MLRng		rng;
	/* scratch */
	size_t	   *order;
	double	   *vals;
	double	   *lsum,
			   *rsum;
	int		   *feats;
} Builder;

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *) a - *(const int *) b;
}

typedef struct Pair
{
	double		v;
	size_t		row;
} Pair;

static int
cmp_pair(const void *a, const void *b)
{
	const Pair *x = a,
			   *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->row < y->row ? -1 : (x->row > y->row);
}

/* impurity times total weight, from class sums or (sum, sum of squares) */
static double
node_cost(const Builder *b, const double *s, double wsum)
{
	if (wsum <= 0)
		return 0;
	if (b->t->classification)
	{
		double		acc = 0;

		for (int c = 0; c < b->t->kc; c++)
		{
			double		q = s[c] / wsum;

			if (q <= 0)
				continue;
			acc += b->entropy ? -q * log2(q) : q * (1 - q);
		}
		return acc * wsum;
	}
	return s[1] - s[0] * s[0] / wsum;	/* sum of squared deviations */
}

static int
new_node(Builder *b)
{
	Tree	   *t = b->t;

	if (t->n_nodes == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 64;
		t->feature = ml_realloc(t->feature, sizeof(int32_t) * b->cap);
		t->threshold = ml_realloc(t->threshold, sizeof(double) * b->cap);
		t->left = ml_realloc(t->left, sizeof(int32_t) * b->cap);
		t->right = ml_realloc(t->right, sizeof(int32_t) * b->cap);
		t->value = ml_realloc(t->value, ml_mul_size(sizeof(double) * t->kc, b->cap));
		t->cover = ml_realloc(t->cover, sizeof(double) * b->cap);
	}
	t->cover[t->n_nodes] = 0;
	/* every byte of a node is set: model bytes must not depend on memory */
	t->feature[t->n_nodes] = -1;
	t->threshold[t->n_nodes] = 0;
	t->left[t->n_nodes] = -1;
	t->right[t->n_nodes] = -1;
	return t->n_nodes++;
}

/* stats of rows: class weight sums, or (sum w y, sum w y^2); returns total weight */
static double
stats(const Builder *b, const size_t *rows, size_t n, double *s)
{
	double		wsum = 0;
	int			kc = b->t->classification ? b->t->kc : 2;

	memset(s, 0, sizeof(double) * kc);
	for (size_t i = 0; i < n; i++)
	{
		double		w = b->w[rows[i]],
					y = b->d->y[rows[i]];

		wsum += w;
		if (b->t->classification)
			s[(int) y] += w;
		else
		{
			s[0] += w * y;
			s[1] += w * y * y;
		}
	}
	return wsum;
}

static int
build(Builder *b, size_t *rows, size_t n, int depth)
{
	Tree	   *t = b->t;
	const MLDataset *d = b->d;
	int			kc = t->classification ? t->kc : 2;
	double	   *s = ml_alloc(sizeof(double) * kc);
	double		wsum = stats(b, rows, n, s);
	double		cost = node_cost(b, s, wsum);
	int			id = new_node(b);
	int			best_f = -1;
	double		best_gain = -INFINITY,
				best_thr = 0;
	size_t		best_pos = 0;

	t->feature[id] = -1;
	t->cover[id] = wsum;
	for (int c = 0; c < t->kc; c++)
		t->value[(size_t) id * t->kc + c] = t->classification
			? (wsum > 0 ? s[c] / wsum : 0) : (wsum > 0 ? s[0] / wsum : 0);

	if (depth >= b->max_depth || n < (size_t) b->min_split ||
		n < 2 * (size_t) b->min_leaf || cost <= 2.220446049250313e-16 * wsum)
	{
		ml_free(s);
		return id;
	}
	ml_check_interrupts();

	/* candidate features: all, or a seeded random subset */
	for (size_t j = 0; j < d->n_cols; j++)
		b->feats[j] = (int) j;
	if (b->n_try < (int) d->n_cols)
	{
		for (int a = 0; a < b->n_try; a++)
		{
			int			r = a + (int) (ml_rng_next(&b->rng) % (d->n_cols - a));
			int			tmp = b->feats[a];

			b->feats[a] = b->feats[r];
			b->feats[r] = tmp;
		}
		/* keep column order among the chosen, for stable tie-breaking */
		qsort(b->feats, b->n_try, sizeof(int), cmp_int);
	}
	{
		Pair	   *pr = ml_alloc(sizeof(Pair) * n);

		for (int fi = 0; fi < (b->n_try < (int) d->n_cols ? b->n_try : (int) d->n_cols); fi++)
		{
			int			f = b->feats[fi];
			const double *x = d->X + (size_t) f * d->n_rows;
			double		lw = 0;

			for (size_t i = 0; i < n; i++)
			{
				pr[i].v = (double) (float) x[rows[i]];
				pr[i].row = rows[i];
			}
			qsort(pr, n, sizeof(Pair), cmp_pair);
			if (pr[n - 1].v <= pr[0].v + FEATURE_THRESHOLD)
				continue;		/* constant here */
			memset(b->lsum, 0, sizeof(double) * kc);
			memcpy(b->rsum, s, sizeof(double) * kc);
			for (size_t i = 1; i < n; i++)
			{
				size_t		r = pr[i - 1].row;
				double		w = b->w[r],
							y = d->y[r];
				double		gain;

				lw += w;
				if (t->classification)
				{
					b->lsum[(int) y] += w;
					b->rsum[(int) y] -= w;
				}
				else
				{
					b->lsum[0] += w * y;
					b->lsum[1] += w * y * y;
					b->rsum[0] -= w * y;
					b->rsum[1] -= w * y * y;
				}
				if (pr[i].v <= pr[i - 1].v + FEATURE_THRESHOLD)
					continue;
				if (i < (size_t) b->min_leaf || n - i < (size_t) b->min_leaf)
					continue;
				gain = cost - node_cost(b, b->lsum, lw) - node_cost(b, b->rsum, wsum - lw);
				if (gain > best_gain)
				{
					best_gain = gain;
					best_f = f;
					best_pos = i;
					best_thr = (pr[i - 1].v + pr[i].v) / 2.0;
					if (best_thr == pr[i].v || !isfinite(best_thr))
						best_thr = pr[i - 1].v;
				}
			}
		}
		ml_free(pr);
	}
	(void) best_pos;
	if (best_f < 0)
	{
		ml_free(s);
		return id;
	}

	/* partition rows: x <= threshold to the left */
	{
		const double *x = d->X + (size_t) best_f * d->n_rows;
		size_t		nl = 0;
		size_t	   *tmp = ml_alloc(sizeof(size_t) * n);
		size_t		a = 0,
					z = n;
		int			l,
					r;

		for (size_t i = 0; i < n; i++)
		{
			if ((double) (float) x[rows[i]] <= best_thr)
				tmp[a++] = rows[i];
			else
				tmp[--z] = rows[i];
		}
		nl = a;
		/* right part was filled backwards: restore row order */
		for (size_t i = 0; i < (n - nl) / 2; i++)
		{
			size_t		u = tmp[nl + i];

			tmp[nl + i] = tmp[n - 1 - i];
			tmp[n - 1 - i] = u;
		}
		memcpy(rows, tmp, sizeof(size_t) * n);
		ml_free(tmp);
		t->importance[best_f] += best_gain;
		t->feature[id] = best_f;
		t->threshold[id] = best_thr;
		l = build(b, rows, nl, depth + 1);
		t->left[id] = l;
		r = build(b, rows + nl, n - nl, depth + 1);
		t->right[id] = r;
	}
	ml_free(s);
	return id;
}

/* the options of tree_grow from parameters (shared with forest.c) */
void
tree_options(const MLParams *params, const MLDataset *train, double max_features, TreeOptions *o)
{
	const char *crit = params_get_str(params, "criterion");
	size_t		p = train->n_cols;
	bool		classification = train->n_classes > 0;

	if (classification && strcmp(crit, "squared_error") == 0)
		ml_error(ML_ERR_PARAM, "Use gini or entropy for classification.",
				 "criterion \"squared_error\" does not apply to classification");
	if (!classification && (strcmp(crit, "gini") == 0 || strcmp(crit, "entropy") == 0))
		ml_error(ML_ERR_PARAM, "Use squared_error for regression.",
				 "criterion \"%s\" does not apply to regression", crit);
	o->entropy = strcmp(crit, "entropy") == 0;
	o->max_depth = (int) params_get_num(params, "max_depth");
	o->min_split = (int) params_get_num(params, "min_samples_split");
	o->min_leaf = (int) params_get_num(params, "min_samples_leaf");
	o->n_try = (int) ceil(max_features * p - 1e-9);
	if (o->n_try < 1)
		o->n_try = 1;
}

/*
 * tree_grow: grow a tree on rows[0..n) of d, each with weight w[row]
 * (indexed by row of d), drawing feature subsets from seed.
 */
Tree *
tree_grow(const MLDataset *d, const TreeOptions *o, const double *w,
		  const size_t *rows_in, size_t n, uint64_t seed)
{
	Tree	   *t = ml_alloc(sizeof(Tree));
	Builder		b = {0};
	size_t		p = d->n_cols;
	size_t	   *rows = ml_alloc(sizeof(size_t) * (n ? n : 1));
	double		tot = 0;

	t->p = p;
	t->classification = d->n_classes > 0;
	t->kc = t->classification ? d->n_classes : 1;
	b.d = d;
	b.t = t;
	b.entropy = o->entropy;
	b.max_depth = o->max_depth;
	b.min_split = o->min_split;
	b.min_leaf = o->min_leaf;
	b.n_try = o->n_try;
	ml_rng_seed(&b.rng, seed);
	b.w = (double *) w;
	b.lsum = ml_alloc(sizeof(double) * (t->kc + 2));
	b.rsum = ml_alloc(sizeof(double) * (t->kc + 2));
	b.feats = ml_alloc(sizeof(int) * (p ? p : 1));
	t->importance = ml_alloc(sizeof(double) * (p ? p : 1));
	memcpy(rows, rows_in, sizeof(size_t) * n);
	build(&b, rows, n, 0);
	for (size_t j = 0; j < p; j++)
		tot += t->importance[j];
	for (size_t j = 0; j < p; j++)
		t->importance[j] = tot > 0 ? t->importance[j] / tot : 0;
	ml_free(rows);
	ml_free(b.lsum);
	ml_free(b.rsum);
	ml_free(b.feats);
	return t;
}

void
tree_free(Tree *t)
{
	ml_free(t->feature);
	ml_free(t->threshold);
	ml_free(t->left);
	ml_free(t->right);
	ml_free(t->value);
	ml_free(t->cover);
	ml_free(t->importance);
	ml_free(t);
}

static void *
tree_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	TreeOptions o;
	double	   *w;
	size_t	   *rows = ml_alloc(sizeof(size_t) * (train->n_rows ? train->n_rows : 1));
	Tree	   *t;

	(void) valid;
	tree_options(params, train, params_get_num(params, "max_features"), &o);
	w = params_row_weights(params, train);
	for (size_t i = 0; i < train->n_rows; i++)
		rows[i] = i;
	t = tree_grow(train, &o, w, rows, train->n_rows, ctx ? ctx->seed : 0);
	ml_log_metric(ctx, "train", "n_nodes", -1, t->n_nodes);
	ml_free(rows);
	ml_free(w);
	return t;
}

void
tree_predict(const void *state, const double *X, size_t n, double *out)
{
	const Tree *t = state;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * t->p;
		int			node = 0;

		while (t->feature[node] >= 0)
			node = (double) (float) x[t->feature[node]] <= t->threshold[node]
				? t->left[node] : t->right[node];
		memcpy(out + i * t->kc, t->value + (size_t) node * t->kc, sizeof(double) * t->kc);
	}
}

void
tree_write(const void *state, MLBuffer *out)
{
	const Tree *t = state;

	buffer_put_u32(out, (uint32_t) t->p);
	buffer_put_u32(out, (uint32_t) t->kc);
	buffer_put_u8(out, (uint8_t) t->classification);
	buffer_put_u32(out, (uint32_t) t->n_nodes);
	for (int i = 0; i < t->n_nodes; i++)
	{
		buffer_put_u32(out, (uint32_t) t->feature[i]);
		buffer_put_f64(out, t->threshold[i]);
		buffer_put_u32(out, (uint32_t) t->left[i]);
		buffer_put_u32(out, (uint32_t) t->right[i]);
	}
	buffer_put_f64s(out, t->value, (size_t) t->n_nodes * t->kc);
	buffer_put_f64s(out, t->importance, t->p);
	buffer_put_f64s(out, t->cover, t->n_nodes);
}

void *
tree_read(MLReader *in, size_t p, int k)
{
	Tree	   *t = ml_alloc(sizeof(Tree));

	t->p = reader_u32(in);
	t->kc = (int) reader_u32(in);
	t->classification = reader_u8(in);
	if (t->p != p || t->classification != (k > 0) || t->kc != (k > 0 ? k : 1))
		ml_error(ML_ERR_CORRUPT, NULL, "tree model shape does not match its header");
	t->n_nodes = (int) reader_count(in, 20, 100000000);
	if (t->n_nodes < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "tree model has no nodes");
	t->feature = ml_alloc(sizeof(int32_t) * t->n_nodes);
	t->threshold = ml_alloc(sizeof(double) * t->n_nodes);
	t->left = ml_alloc(sizeof(int32_t) * t->n_nodes);
	t->right = ml_alloc(sizeof(int32_t) * t->n_nodes);
	for (int i = 0; i < t->n_nodes; i++)
	{
		t->feature[i] = (int32_t) reader_u32(in);
		t->threshold[i] = reader_f64(in);
		t->left[i] = (int32_t) reader_u32(in);
		t->right[i] = (int32_t) reader_u32(in);
		/* children come after their parent: walks always end */
		if (t->feature[i] >= 0 &&
			((size_t) t->feature[i] >= p || t->left[i] <= i || t->right[i] <= i ||
			 t->left[i] >= t->n_nodes || t->right[i] >= t->n_nodes))
			ml_error(ML_ERR_CORRUPT, NULL, "tree model node %d is invalid", i);
		if (t->feature[i] < -1)
			ml_error(ML_ERR_CORRUPT, NULL, "tree model node %d is invalid", i);
	}
	t->value = reader_f64s(in, ml_mul_size((size_t) t->n_nodes, (size_t) t->kc));
	t->importance = reader_f64s(in, p);
	t->cover = reader_f64s(in, (size_t) t->n_nodes);
	for (int i = 0; i < t->n_nodes; i++)
		if (!(t->cover[i] >= 0) || !isfinite(t->cover[i]))
			ml_error(ML_ERR_CORRUPT, NULL, "tree model node %d has an invalid cover", i);
	return t;
}

static void
tree_describe(const void *state, MLBuffer *json)
{
	const Tree *t = state;
	int			leaves = 0;

	for (int i = 0; i < t->n_nodes; i++)
		leaves += t->feature[i] < 0;
	buffer_printf(json, "{\"nodes\": %d, \"leaves\": %d}", t->n_nodes, leaves);
}

static void
tree_importance(const void *state, const MLDataset *train, double *out)
{
	const Tree *t = state;

	(void) train;
	memcpy(out, t->importance, sizeof(double) * t->p);
}

int
tree_explained_class(const Tree *t, const double *x)
{
	double	   *o;
	int			c = 0;

	if (!t->classification)
		return 0;
	if (t->kc == 2)
		return 1;
	o = ml_alloc(sizeof(double) * t->kc);
	tree_predict(t, x, 1, o);
	c = ml_argmax(o, t->kc);
	ml_free(o);
	return c;
}

void
tree_shap(const Tree *t, const double *x, int c, double scale, double *phi)
{
	ShapNode   *sn = ml_alloc(sizeof(ShapNode) * t->n_nodes);
	uint8_t    *hot = ml_alloc(t->n_nodes);

	for (int i = 0; i < t->n_nodes; i++)
	{
		sn[i].feature = t->feature[i];
		sn[i].left = t->left[i];
		sn[i].right = t->right[i];
		sn[i].cover = t->cover[i];
		sn[i].value = t->value[(size_t) i * t->kc + c];
		if (t->feature[i] >= 0)
			hot[i] = (double) (float) x[t->feature[i]] <= t->threshold[i];
	}
	treeshap_add(sn, hot, scale, phi, &phi[t->p]);
	ml_free(sn);
	ml_free(hot);
}

/* TreeSHAP of the explained output: the value, or a class probability */
static int
tree_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Tree *t = state;
	int			c = tree_explained_class(t, x);

	(void) mean;				/* TreeSHAP is relative to the expected value already */

	memset(phi, 0, sizeof(double) * (t->p + 1));
	tree_shap(t, x, c, 1.0, phi);
	return t->classification && t->kc > 2 ? c : -1;
}

const MLLearner ml_learner_tree = {
	.name = "tree",
	.id = 9,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.memorizes = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = tree_params,
	.doc = "CART decision tree",
	.encode = ML_ENCODE_ORDINAL,
	.fit = tree_fit,
	.predict = tree_predict,
	.write = tree_write,
	.read = tree_read,
	.describe = tree_describe,
	.importance = tree_importance,
	.importance_method = "impurity",
	.explain = tree_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
	.predict_in_tasks = true,
};
