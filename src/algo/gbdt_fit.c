/*-------------------------------------------------------------------------
 *
 * gbdt_fit.c
 *	  gbdt: the boosting loop.
 *
 * Each round computes the gradients and hessians of the loss at the current
 * raw scores (per chunk of GB_CHUNK rows, on worker threads), draws the
 * round's rows (subsample) and each tree's features (colsample_bytree) from
 * a generator seeded by the run's seed and the round, grows one tree per
 * output (gbdt_grow.c; a multiclass round's trees in tasks of their own),
 * and adds the trees to the raw scores of the training and validation rows.
 * Early stopping keeps the rounds up to the best validation loss.  Every
 * sum is made in an order that depends on the rows only, so the model bytes
 * are the same for any mlsql.threads.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/parallel.h"
#include "../core/rng.h"
#include "../core/sortcount.h"
#include "gbdt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the objective ---- */

/* gradient pairs of rows [lo, hi) for tree output c; F is n x K, class-major */
static void
gradients(int obj, int K, int c, const double *F, const double *y, const double *w,
		  size_t n, size_t lo, size_t hi, double delta, GH *out)
{
	for (size_t i = lo; i < hi; i++)
	{
		double		wi = w ? w[i] : 1.0,
					g,
					h;

		switch (obj)
		{
			case GB_SQUARED:
				g = F[i] - y[i];
				h = 1.0;
				break;
			case GB_ABSOLUTE:
				g = F[i] > y[i] ? 1.0 : (F[i] < y[i] ? -1.0 : 0.0);
				h = 1.0;
				break;
			case GB_HUBER:
				{
					double		r = F[i] - y[i],
								s = 1.0 + (r / delta) * (r / delta);

					g = r / sqrt(s);
					h = 1.0 / (s * sqrt(s));
				}
				break;
			case GB_LOGISTIC:
				{
					double		pr = gb_sigmoid(F[i]);

					g = pr - y[i];
					h = fmax(pr * (1 - pr), 1e-16);
				}
				break;
			default:
				{
					double		mx = -INFINITY,
								s = 0,
								pc;

					for (int j = 0; j < K; j++)
						mx = fmax(mx, F[(size_t) j * n + i]);
					for (int j = 0; j < K; j++)
						s += exp(F[(size_t) j * n + i] - mx);
					pc = exp(F[(size_t) c * n + i] - mx) / s;
					g = pc - ((int) y[i] == c ? 1.0 : 0.0);
					h = fmax(2.0 * pc * (1 - pc), 1e-16);
				}
				break;
		}
		out[i].g = g * wi;
		out[i].h = h * wi;
	}
}

typedef struct GradTask
{
	int			obj,
				K,
				c;
	const double *F,
			   *y,
			   *w;
	size_t		n;
	double		delta;
	GH		   *out;
} GradTask;

/* task t: the gradient pairs of rows [t * GB_CHUNK, ...) (each row on its own) */
static void
grad_task(void *arg, int t)
{
	GradTask   *a = arg;
	size_t		lo = (size_t) t * GB_CHUNK,
				hi = lo + GB_CHUNK < a->n ? lo + GB_CHUNK : a->n;

	gradients(a->obj, a->K, a->c, a->F, a->y, a->w, a->n, lo, hi, a->delta, a->out);
}

/* summed loss of rows i0, i0 + step, ... < i1 at F (n x K, class-major) */
static double
sum_loss(int obj, int K, const double *F, const double *y, size_t n, size_t step,
		 double delta, size_t i0, size_t i1)
{
	double		s = 0;

	for (size_t i = i0; i < i1; i += step)
	{
		switch (obj)
		{
			case GB_SQUARED:
				s += (F[i] - y[i]) * (F[i] - y[i]);
				break;
			case GB_ABSOLUTE:
				s += fabs(F[i] - y[i]);
				break;
			case GB_HUBER:
				{
					double		r = (F[i] - y[i]) / delta;

					s += delta * delta * (sqrt(1 + r * r) - 1);
				}
				break;
			case GB_LOGISTIC:
				{
					double		z = F[i];

					/* log(1 + e^z) - y z */
					s += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y[i] * z;
				}
				break;
			default:
				{
					double		mx = -INFINITY,
								t = 0;

					for (int j = 0; j < K; j++)
						mx = fmax(mx, F[(size_t) j * n + i]);
					for (int j = 0; j < K; j++)
						t += exp(F[(size_t) j * n + i] - mx);
					s += mx + log(t) - F[(size_t) (int) y[i] * n + i];
				}
				break;
		}
	}
	return s;
}

/* mean loss of rows 0, step, 2 step, ... < n at F (n x K, class-major) */
static double
mean_loss(int obj, int K, const double *F, const double *y, size_t n, size_t step,
		  double delta)
{
	size_t		cnt = n ? (n - 1) / step + 1 : 0;
	double		s = sum_loss(obj, K, F, y, n, step, delta, 0, n);

	s = cnt ? s / cnt : 0;
	return obj == GB_SQUARED ? sqrt(s) : s;
}

static const char *
loss_name(int obj)
{
	switch (obj)
	{
		case GB_SQUARED:
			return "rmse";
		case GB_ABSOLUTE:
			return "mae";
		case GB_HUBER:
			return "huber";
		default:
			return "log_loss";
	}
}

/* add a tree (nodes) to F[0..n) of output c, walking binned rows */
static void
apply_tree_bins(const GbNode *nodes, const uint8_t *bins, size_t p, size_t n, double *F)
{
	for (size_t i = 0; i < n; i++)
	{
		const uint8_t *b = bins + i * p;
		int			j = 0;

		while (nodes[j].feature >= 0)
		{
			uint8_t		v = b[nodes[j].feature];
			bool		left = v == GB_MISSING ? nodes[j].default_left : v <= nodes[j].bin;

			j = left ? nodes[j].left : nodes[j].right;
		}
		F[i] += nodes[j].value;
	}
}

/* adding each leaf's value to the raw scores of its rows, idx cut in chunks */
typedef struct LeafTask
{
	const Grower *gr;
	double	   *F;
	size_t		n;
} LeafTask;

static void
leaf_task(void *arg, int t)
{
	const LeafTask *a = arg;
	const Grower *gr = a->gr;
	uint32_t	lo = (uint32_t) ((size_t) t * GB_CHUNK),
				hi = (uint32_t) ((size_t) lo + GB_CHUNK < a->n ? (size_t) lo + GB_CHUNK : a->n);

	for (int j = 0; j < gr->n_nodes; j++)
	{
		const GbNode *nd = &gr->nodes[j];
		uint32_t	s = nd->lo > lo ? nd->lo : lo,
					e = nd->hi < hi ? nd->hi : hi;

		if (nd->feature >= 0)
			continue;
		for (uint32_t i = s; i < e; i++)
			a->F[gr->idx[i]] += nd->value;
	}
}

/*
 * Absolute error: the gradient's sign carries no step size, so each leaf
 * takes the median residual of its rows (times the learning rate), as
 * gradient boosting with least absolute deviation does.
 */
static void
median_leaves(Grower *gr, const double *F, const double *y)
{
	double	   *r = NULL;
	size_t		cap = 0;

	for (int j = 0; j < gr->n_nodes; j++)
	{
		GbNode	   *nd = &gr->nodes[j];
		size_t		m = nd->hi - nd->lo;

		if (nd->feature >= 0 || m == 0)
			continue;
		if (m > cap)
		{
			if (r)
				ml_free(r);
			cap = m;
			r = ml_alloc(sizeof(double) * cap);
		}
		for (size_t i = 0; i < m; i++)
		{
			uint32_t	row = gr->idx[nd->lo + i];

			r[i] = y[row] - F[row];
		}
		nd->value = gr->eta * ml_median(r, m);
	}
	if (r)
		ml_free(r);
}

/* ---- fit ---- */

/* append a tree's nodes to the model's, recording where it starts */
static void
append_tree(GbNode **all, size_t *n_all, size_t *cap_all, uint32_t *start, const GbNode *nodes, int n_nodes)
{
	*start = (uint32_t) *n_all;
	if (*n_all + n_nodes > *cap_all)
	{
		*cap_all = (*n_all + n_nodes) * 2;
		*all = ml_realloc(*all, sizeof(GbNode) * *cap_all);
	}
	memcpy(*all + *n_all, nodes, sizeof(GbNode) * n_nodes);
	*n_all += n_nodes;
}

/*
 * add the tree just grown to the raw scores of the training rows (Fc) and,
 * when Fvc, of the validation rows
 */
static void
tree_to_scores(const Grower *gr, size_t nr, double *Fc, const uint8_t *vbins, size_t nv, double *Fvc)
{
	size_t		n = gr->n_rows;

	if (nr == n)
	{
		/*
		 * every row is in a leaf's range of idx: no walk needed; the ranges
		 * are cut into chunks of idx (each row gets one addition per tree,
		 * whichever thread makes it)
		 */
		LeafTask	lt = {gr, Fc, n};
		int			chunks = (int) ((n + GB_CHUNK - 1) / GB_CHUNK);

		if (gr->threads > 1 && chunks > 1)
			ml_parallel_for(chunks, gr->threads, leaf_task, &lt);
		else
			for (int t = 0; t < chunks; t++)
				leaf_task(&lt, t);
	}
	else
		apply_tree_bins(gr->nodes, gr->bins, gr->p, n, Fc);
	if (Fvc)
		apply_tree_bins(gr->nodes, vbins, gr->p, nv, Fvc);
}

/* one round's class trees, each grown by a task on its own copy of the rows */
typedef struct ClassTask
{
	const Grower *gr;			/* the round's rows in gr->idx[0..nr) */
	size_t		nr;
	const GH   *gh;				/* class c's gradients at gh + c * n */
	double	   *F,
			   *Fv;
	const uint8_t *vbins;
	size_t		nv;
	const int  *feats;			/* class c's features at feats + c * p */
	const int  *nf_of;
	GbNode	  **trees;			/* out: class c's nodes (a worker's block) */
	int		   *n_nodes;
} ClassTask;

static void
class_task(void *arg, int c)
{
	ClassTask  *a = arg;
	const Grower *top = a->gr;
	Grower		g = *top;
	size_t		n = top->n_rows,
				chunks = (n + GB_CHUNK - 1) / GB_CHUNK + 1;

	g.idx = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	memcpy(g.idx, top->idx, sizeof(uint32_t) * a->nr);
	g.tmp = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	g.tmp2 = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	g.p_nl = ml_alloc(sizeof(size_t) * chunks);
	g.partial = ml_alloc(sizeof(GH *) * chunks);
	g.n_partial = 0;
	g.free_hist = ml_alloc(sizeof(GH *) * (size_t) (g.max_depth + 4 + GB_SUB_BATCH));
	g.n_free = 0;
	g.sub = ml_alloc(sizeof(Subtree) * GB_SUB_BATCH);
	g.n_sub = 0;
	g.nodes = NULL;
	g.n_nodes = g.cap = 0;
	g.threads = 1;
	g.feats = a->feats + (size_t) c * g.p;
	g.nf = a->nf_of[c];
	g.gh = a->gh + (size_t) c * n;
	gbdt_grow_tree(&g, a->nr);
	tree_to_scores(&g, a->nr, a->F + (size_t) c * n, a->vbins, a->nv,
				   a->Fv ? a->Fv + (size_t) c * a->nv : NULL);
	for (int i = 0; i < g.n_partial; i++)
		ml_free(g.partial[i]);
	for (int i = 0; i < g.n_free; i++)
		ml_free(g.free_hist[i]);
	ml_free(g.partial);
	ml_free(g.free_hist);
	ml_free(g.sub);
	ml_free(g.idx);
	ml_free(g.tmp);
	ml_free(g.tmp2);
	ml_free(g.p_nl);
	a->trees[c] = g.nodes;
	a->n_nodes[c] = g.n_nodes;
}

/* the state of one fit, shared by its phases */
typedef struct Boost
{
	/* inputs */
	const MLDataset *train;
	const MLParams *params;
	MLFitContext *ctx;			/* NULL: no log, seed 0, one thread */
	Gbdt	   *m;				/* the model being built */
	size_t		p,
				N;				/* the training set's columns and rows */
	int			k;				/* classes (0: regression) */
	int			obj,
				K;				/* objective, trees per round */
	int			n_trees,
				esr;			/* rounds, early_stopping_rounds */
	double		subsample,
				colsample,
				delta;
	uint64_t	seed;
	int			threads;
	/* rows: training (tr_rows of train) and validation (va_rows of vd) */
	size_t	   *tr_rows,
			   *va_rows;		/* NULL: every row of vd */
	size_t		n,
				nv;
	const MLDataset *vd;		/* NULL: no validation rows */
	Binning		bn;
	uint8_t    *bins,
			   *bins_col,
			   *vbins;			/* n x p row-major, p x n, nv x p */
	double	   *y,
			   *yv,
			   *w,
			   *cw;				/* targets, weights, class weights (or NULL) */
	double	   *F,
			   *Fv;				/* raw scores, n x K and nv x K, class-major */
	GH		   *gh;				/* gradient pairs, n x K, class-major */
	Grower		gr;
	int		   *feats,			/* class c's tree's features at feats + c * p */
			   *nf_of,
			   *n_nodes_of;
	GbNode	  **trees_of;		/* a round's class trees grown in tasks */
	/* the trees so far */
	GbNode	   *all;
	size_t		n_all,
				cap_all;
	uint32_t   *start;			/* n_trees * K + 1 offsets into all */
} Boost;

/* the objective that objective (a parameter value) names for k classes */
static int
objective_of(const char *objs, int k)
{
	if (k > 0)
	{
		if (strcmp(objs, "auto") == 0)
			return k == 2 ? GB_LOGISTIC : GB_SOFTMAX;
		else if (strcmp(objs, "logloss") == 0 && k == 2)
			return GB_LOGISTIC;
		else if (strcmp(objs, "softmax") == 0)
			return GB_SOFTMAX;
		ml_error(ML_ERR_PARAM, "For classification use logloss (two classes) or softmax.",
				 "objective \"%s\" does not fit a classification target with %d classes", objs, k);
	}
	if (strcmp(objs, "auto") == 0 || strcmp(objs, "squared_error") == 0)
		return GB_SQUARED;
	else if (strcmp(objs, "absolute_error") == 0)
		return GB_ABSOLUTE;
	else if (strcmp(objs, "huber") == 0)
		return GB_HUBER;
	ml_error(ML_ERR_PARAM, "For regression use squared_error, absolute_error or huber.",
			 "objective \"%s\" does not fit a regression target", objs);
}

/*
 * Rows: every training row trains; early stopping watches the validation
 * split when there is one, else a seeded validation_fraction of the
 * training rows, held out (every class must keep training rows).
 */
static void
hold_out(Boost *b, const MLDataset *valid)
{
	const MLDataset *train = b->train;
	size_t		N = b->N;

	b->tr_rows = ml_alloc(sizeof(size_t) * (N ? N : 1));
	if (valid && valid->n_rows > 0 && valid->n_cols == b->p)
	{
		for (size_t i = 0; i < N; i++)
			b->tr_rows[b->n++] = i;
		b->vd = valid;
		b->nv = valid->n_rows;
	}
	else if (b->esr > 0)
	{
		double		frac = params_get_num(b->params, "validation_fraction");

		b->va_rows = ml_alloc(sizeof(size_t) * (N ? N : 1));
		for (size_t i = 0; i < N; i++)
		{
			double		u = (double) (ml_mix64(b->seed ^ 0x5bd1e995u ^ ml_mix64(i + 1)) >> 11) * 0x1.0p-53;

			if (u < frac)
				b->va_rows[b->nv++] = i;
			else
				b->tr_rows[b->n++] = i;
		}
		if (b->nv == 0 || b->n < 2)
			ml_error(ML_ERR_DATA, "Use more rows, or early_stopping_rounds 0.",
					 "too few rows to hold out a validation share for early stopping");
		if (b->k > 0)
		{
			/* every class must stay in the rows that train */
			bool	   *seen = ml_alloc(sizeof(bool) * b->k);
			int			missing = 0;

			for (size_t i = 0; i < b->n; i++)
				seen[(int) train->y[b->tr_rows[i]]] = true;
			for (int c = 0; c < b->k; c++)
				missing += !seen[c];
			ml_free(seen);
			if (missing > 0)
				ml_error(ML_ERR_DATA, "Use more rows, or early_stopping_rounds 0.",
						 "holding out a validation share for early stopping leaves %d classes without training rows",
						 missing);
		}
		b->vd = train;
	}
	else
		for (size_t i = 0; i < N; i++)
			b->tr_rows[b->n++] = i;
}

/* the bins of the training and validation rows */
static void
bin_features(Boost *b)
{
	MLFitContext *ctx = b->ctx;
	size_t		p = b->p;

	memset(&b->bn, 0, sizeof(b->bn));
	b->bn.d = b->train;
	b->bn.rows = b->tr_rows;
	b->bn.n = b->n;
	b->bn.max_bins = (int) params_get_num(b->params, "max_bins");
	b->bn.cuts = ml_alloc(sizeof(double *) * (p ? p : 1));
	b->bn.n_bins = ml_alloc(sizeof(int) * (p ? p : 1));
	for (size_t j = 0; j < p; j++)
		b->bn.cuts[j] = ml_alloc(sizeof(double) * b->bn.max_bins);
	gbdt_find_cuts(&b->bn, b->threads);
	ml_check_interrupts();
	b->bins = gbdt_bin_rows(&b->bn, b->train, b->tr_rows, b->n, b->threads);
	if (b->vd)
		b->vbins = gbdt_bin_rows(&b->bn, b->vd, b->va_rows, b->nv, b->threads);
	ml_check_interrupts();

	/*
	 * Binned: the trees never read the matrix again.  The host may let it
	 * go now (ml_train: its largest block while the trees grow) when no
	 * rows are held out and no round is cut, that is, when train_pred will
	 * be left below.
	 */
	if (ctx && ctx->train_X && *ctx->train_X && ctx->want_train_pred && b->esr == 0 && b->n == b->N)
	{
		ml_free(*ctx->train_X);
		*ctx->train_X = NULL;
	}
}

/*
 * The base scores: the log share of each class (softmax), the median
 * (absolute error), else the weighted mean (its log odds for logloss)
 */
static void
base_scores(Boost *b)
{
	Gbdt	   *m = b->m;
	const double *y = b->y,
			   *w = b->w;
	size_t		n = b->n;
	double		sw = 0,
				swy = 0;

	m->base = ml_alloc(sizeof(double) * b->K);
	if (b->obj == GB_SOFTMAX)
	{
		double	   *cnt = ml_alloc(sizeof(double) * b->K);

		for (size_t i = 0; i < n; i++)
		{
			cnt[(int) y[i]] += w[i];
			sw += w[i];
		}
		for (int c = 0; c < b->K; c++)
			m->base[c] = log(fmax(cnt[c], 1e-300) / sw);
		ml_free(cnt);
	}
	else if (b->obj == GB_ABSOLUTE)
	{
		double	   *v = ml_alloc(sizeof(double) * (n ? n : 1));

		memcpy(v, y, sizeof(double) * n);
		m->base[0] = ml_median(v, n);
		ml_free(v);
	}
	else
	{
		for (size_t i = 0; i < n; i++)
		{
			sw += w[i];
			swy += w[i] * y[i];
		}
		m->base[0] = sw > 0 ? swy / sw : 0;
		if (b->obj == GB_LOGISTIC)
		{
			double		pr = fmin(fmax(m->base[0], 1e-12), 1 - 1e-12);

			m->base[0] = log(pr / (1 - pr));
		}
	}
}

/* targets, weights, base scores, and the raw scores they start from */
static void
start_scores(Boost *b)
{
	size_t		n = b->n,
				nv = b->nv;
	int			K = b->K;

	b->y = ml_alloc(sizeof(double) * (n ? n : 1));
	b->w = ml_alloc(sizeof(double) * (n ? n : 1));
	b->cw = params_class_weights(b->params, b->train);
	for (size_t i = 0; i < n; i++)
	{
		b->y[i] = b->train->y[b->tr_rows[i]];
		b->w[i] = b->cw ? b->cw[(int) b->y[i]] : 1.0;
		if (b->obj == GB_LOGISTIC && b->y[i] == 1)
			b->w[i] *= params_get_num(b->params, "scale_pos_weight");
	}
	if (b->vd)
	{
		b->yv = ml_alloc(sizeof(double) * (nv ? nv : 1));
		for (size_t i = 0; i < nv; i++)
			b->yv[i] = b->vd->y[b->va_rows ? b->va_rows[i] : i];
	}
	base_scores(b);
	b->F = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, K), sizeof(double)));
	for (int c = 0; c < K; c++)
		for (size_t i = 0; i < n; i++)
			b->F[(size_t) c * n + i] = b->m->base[c];
	if (b->vd)
	{
		b->Fv = ml_alloc(ml_mul_size(ml_mul_size(nv ? nv : 1, K), sizeof(double)));
		for (int c = 0; c < K; c++)
			for (size_t i = 0; i < nv; i++)
				b->Fv[(size_t) c * nv + i] = b->m->base[c];
	}
	b->gh = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, K), sizeof(GH)));
}

/* the grower's data, settings and buffers, and room for the trees */
static void
start_grower(Boost *b)
{
	Grower	   *gr = &b->gr;
	const MLParams *params = b->params;
	size_t		n = b->n,
				p = b->p;
	int			K = b->K;

	memset(gr, 0, sizeof(*gr));
	gr->bins = b->bins;
	gr->n_rows = n;
	b->bins_col = ml_alloc(ml_mul_size(n ? n : 1, p ? p : 1));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p; j++)
			b->bins_col[j * n + i] = b->bins[i * p + j];
	gr->bins_col = b->bins_col;
	gr->p = p;
	gr->n_bins = b->bn.n_bins;
	gr->cuts = b->bn.cuts;
	gr->idx = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr->tmp = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr->tmp2 = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr->p_nl = ml_alloc(sizeof(size_t) * ((n + GB_CHUNK - 1) / GB_CHUNK + 1));
	gr->lambda = params_get_num(params, "lambda");
	gr->alpha = params_get_num(params, "alpha");
	gr->gamma = params_get_num(params, "gamma");
	gr->mcw = params_get_num(params, "min_child_weight");
	gr->eta = params_get_num(params, "learning_rate");
	gr->max_depth = (int) params_get_num(params, "max_depth");
	gr->max_leaves = (int) params_get_num(params, "max_leaves");
	gr->threads = b->threads;
	gr->free_hist = ml_alloc(sizeof(GH *) * (size_t) (gr->max_leaves > 0 ? gr->max_leaves + 4 : gr->max_depth + 4 + GB_SUB_BATCH));
	gr->sub = ml_alloc(sizeof(Subtree) * GB_SUB_BATCH);
	b->feats = ml_alloc(ml_mul_size(ml_mul_size(p ? p : 1, K), sizeof(int)));
	b->nf_of = ml_alloc(sizeof(int) * K);
	b->n_nodes_of = ml_alloc(sizeof(int) * K);
	b->trees_of = ml_alloc(sizeof(GbNode *) * K);
	gr->partial = ml_alloc(sizeof(GH *) * ((n + GB_CHUNK - 1) / GB_CHUNK + 1));
	if (n > UINT32_MAX)
		ml_error(ML_ERR_LIMIT, NULL, "gbdt trains on at most %u rows", UINT32_MAX);

	if ((size_t) b->n_trees * K > 10000000)
		ml_error(ML_ERR_PARAM, "Use fewer rounds; each round grows one tree per class.",
				 "n_trees %d with %d classes makes more than 10 000 000 trees", b->n_trees, K);
	b->start = ml_alloc(sizeof(uint32_t) * ((size_t) b->n_trees * K + 1));
}

/* the gradient pairs of every output at the current raw scores */
static void
round_gradients(Boost *b)
{
	size_t		n = b->n;

	for (int c = 0; c < b->K; c++)
	{
		GradTask	ga = {b->obj, b->K, c, b->F, b->y, b->w, n, b->delta, b->gh + (size_t) c * n};
		int			chunks = (int) ((n + GB_CHUNK - 1) / GB_CHUNK);

		if (b->threads > 1 && chunks > 1)
			ml_parallel_for(chunks, b->threads, grad_task, &ga);
		else
			gradients(b->obj, b->K, c, b->F, b->y, b->w, n, 0, n, b->delta, b->gh + (size_t) c * n);
	}
}

/* the round's rows (subsample, shared by its trees) into gr.idx; their count */
static size_t
round_rows(Boost *b, MLRng *rng)
{
	size_t		nr = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->subsample >= 1.0 || ml_rng_uniform(rng) < b->subsample)
			b->gr.idx[nr++] = (uint32_t) i;
	if (nr == 0)
		b->gr.idx[nr++] = 0;
	return nr;
}

/* the features of each class's tree (colsample_bytree), drawn in class order */
static void
round_features(Boost *b, MLRng *rng)
{
	size_t		p = b->p;

	for (int c = 0; c < b->K; c++)
	{
		int		   *fc = b->feats + (size_t) c * p;
		int		   *nf = &b->nf_of[c];

		*nf = 0;
		if (b->colsample >= 1.0)
			for (size_t j = 0; j < p; j++)
				fc[(*nf)++] = (int) j;
		else
		{
			int			want = (int) fmax(1.0, floor(b->colsample * p + 0.5));
			int		   *perm = ml_alloc(sizeof(int) * p);
			bool	   *on = ml_alloc(sizeof(bool) * p);

			for (size_t j = 0; j < p; j++)
				perm[j] = (int) j;
			for (int a = 0; a < want; a++)
			{
				size_t		s = a + (size_t) (ml_rng_next(rng) % (p - a));
				int			t = perm[a];

				perm[a] = perm[s];
				perm[s] = t;
				on[perm[a]] = true;
			}
			for (size_t j = 0; j < p; j++)
				if (on[j])
					fc[(*nf)++] = (int) j;
			ml_free(perm);
			ml_free(on);
		}
	}
}

/*
 * Grow the round's trees on rows gr.idx[0..nr), append them to the model's
 * and add them to the raw scores
 */
static void
round_trees(Boost *b, int round, size_t nr)
{
	Grower	   *gr = &b->gr;
	size_t		n = b->n,
				p = b->p;
	int			K = b->K;

	if (K > 1 && b->threads > 1)
	{
		/*
		 * one round's class trees are independent given the gradients: each
		 * grows in a task of its own on a copy of the round's rows (one
		 * thread inside: the same tree as grown alone)
		 */
		ClassTask	ct = {gr, nr, b->gh, b->F, b->Fv, b->vbins, b->nv, b->feats, b->nf_of,
		b->trees_of, b->n_nodes_of};

		ml_parallel_for(K, b->threads, class_task, &ct);
		for (int c = 0; c < K; c++)
		{
			append_tree(&b->all, &b->n_all, &b->cap_all, b->start + round * K + c,
						b->trees_of[c], b->n_nodes_of[c]);
			ml_worker_release(b->trees_of[c]);
		}
		return;
	}
	for (int c = 0; c < K; c++)
	{
		uint32_t   *keep = NULL;

		gr->feats = b->feats + (size_t) c * p;
		gr->nf = b->nf_of[c];
		gr->gh = b->gh + (size_t) c * n;
		if (K > 1)
		{
			/* growth reorders idx: each class starts from the same rows */
			keep = ml_alloc(sizeof(uint32_t) * nr);
			memcpy(keep, gr->idx, sizeof(uint32_t) * nr);
		}
		gbdt_grow_tree(gr, nr);
		if (b->obj == GB_ABSOLUTE)
			median_leaves(gr, b->F, b->y);
		append_tree(&b->all, &b->n_all, &b->cap_all, b->start + round * K + c, gr->nodes, gr->n_nodes);
		tree_to_scores(gr, nr, b->F + (size_t) c * n, b->vbins, b->nv,
					   b->Fv ? b->Fv + (size_t) c * b->nv : NULL);
		if (keep)
		{
			memcpy(gr->idx, keep, sizeof(uint32_t) * nr);
			ml_free(keep);
		}
	}
}

/*
 * The training loss logged each round: its stride sample is summed in
 * GB_LOSS_PARTS fixed parts (on worker threads) added in order, so the
 * value does not depend on the thread count.
 */
#define GB_LOSS_PARTS 8

typedef struct LossTask
{
	const Boost *b;
	size_t		step,
				cnt;
	double		part[GB_LOSS_PARTS];
} LossTask;

static void
loss_task(void *arg, int t)
{
	LossTask   *a = arg;
	const Boost *b = a->b;
	size_t		j0 = a->cnt * (size_t) t / GB_LOSS_PARTS,
				j1 = a->cnt * (size_t) (t + 1) / GB_LOSS_PARTS;

	a->part[t] = sum_loss(b->obj, b->K, b->F, b->y, b->n, a->step, b->delta,
						  j0 * a->step, j1 * a->step < b->n ? j1 * a->step : b->n);
}

static double
train_loss(const Boost *b)
{
	LossTask	a;
	double		s = 0;

	a.b = b;
	a.step = (b->n + 65535) / 65536;	/* a stride sample of at most ~65536 rows */
	a.cnt = b->n ? (b->n - 1) / a.step + 1 : 0;
	if (b->threads > 1)
		ml_parallel_for(GB_LOSS_PARTS, b->threads, loss_task, &a);
	else
		for (int t = 0; t < GB_LOSS_PARTS; t++)
			loss_task(&a, t);
	for (int t = 0; t < GB_LOSS_PARTS; t++)
		s += a.part[t];
	s = a.cnt ? s / a.cnt : 0;
	return b->obj == GB_SQUARED ? sqrt(s) : s;
}

/*
 * Log the round's train and validation loss; keep the best validation
 * round.  True when early stopping ends the fit.
 */
static bool
log_round(Boost *b, int round, double *best_loss, int *best_round)
{
	int			obj = b->obj;

	ml_log_metric(b->ctx, "train", loss_name(obj), round + 1, train_loss(b));
	if (b->vd)
	{
		double		vl = mean_loss(obj, b->K, b->Fv, b->yv, b->nv, 1, b->delta);

		ml_log_metric(b->ctx, "validation", loss_name(obj), round + 1, vl);
		if (vl < *best_loss)
		{
			*best_loss = vl;
			*best_round = round + 1;
		}
		else if (b->esr > 0 && round + 1 - *best_round >= b->esr)
			return true;
	}
	return false;
}

/*
 * The model's trees: the first `rounds` rounds of the `trained` (up to the
 * best validation round with early stopping); the training rows'
 * predictions for the host when it asked and they are the model's.
 */
static void
finish_model(Boost *b, int rounds, int trained, int best_round)
{
	Gbdt	   *m = b->m;
	MLFitContext *ctx = b->ctx;
	int			K = b->K;
	size_t		n_all;

	if (b->vd && b->esr > 0)
	{
		rounds = best_round > 0 ? best_round : rounds;
		ml_log_metric(ctx, "train", "best_iteration", -1, rounds);
	}
	ml_log_metric(ctx, "train", "n_trees", -1, (double) rounds * K);
	/* trees after the best round are dropped */
	if (rounds == trained)
		b->start[rounds * K] = (uint32_t) b->n_all;
	m->n_rounds = rounds;
	m->start = b->start;
	n_all = b->start[rounds * K];
	m->nodes = ml_alloc(sizeof(GbNode) * (n_all ? n_all : 1));
	memcpy(m->nodes, b->all, sizeof(GbNode) * n_all);
	gbdt_compile(m);

	/*
	 * F holds every training row's raw score, summed tree by tree in the
	 * order gbdt_raw sums them: the host may have them instead of scoring
	 * the rows again.  Not when trees were dropped or rows held out.
	 */
	if (ctx && ctx->want_train_pred && rounds == trained && b->n == b->N)
		ctx->train_pred = gbdt_raw_to_output(m, b->F, b->n);
}

/* free what the fit allocated, but the model */
static void
free_boost(Boost *b)
{
	Grower	   *gr = &b->gr;

	for (int i = 0; i < gr->n_free; i++)
		ml_free(gr->free_hist[i]);
	ml_free(gr->free_hist);
	ml_free(gr->sub);
	for (int i = 0; i < gr->n_partial; i++)
		ml_free(gr->partial[i]);
	ml_free(gr->partial);
	if (gr->nodes)
		ml_free(gr->nodes);
	if (b->all)
		ml_free(b->all);
	ml_free(gr->idx);
	ml_free(gr->tmp);
	ml_free(gr->tmp2);
	ml_free(gr->p_nl);
	ml_free(b->feats);
	ml_free(b->nf_of);
	ml_free(b->n_nodes_of);
	ml_free(b->trees_of);
	ml_free(b->F);
	ml_free(b->gh);
	ml_free(b->y);
	ml_free(b->w);
	if (b->cw)
		ml_free(b->cw);
	ml_free(b->bins);
	ml_free(b->bins_col);
	if (b->vd)
	{
		ml_free(b->vbins);
		ml_free(b->Fv);
		ml_free(b->yv);
	}
	if (b->va_rows)
		ml_free(b->va_rows);
	ml_free(b->tr_rows);
	for (size_t j = 0; j < b->p; j++)
		ml_free(b->bn.cuts[j]);
	ml_free(b->bn.cuts);
	ml_free(b->bn.n_bins);
}

/* the learner's fit: see gbdt_internal.h */
void *
gbdt_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
		 MLFitContext *ctx)
{
	Boost		b;
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	const char *objs;
	int			rounds = 0,
				trained = 0,
				best_round = 0;
	double		best_loss = INFINITY;

	memset(&b, 0, sizeof(b));
	b.train = train;
	b.params = params;
	b.ctx = ctx;
	b.m = m;
	b.p = train->n_cols;
	b.N = train->n_rows;
	b.k = train->n_classes;
	objs = params_get_str(params, "objective");
	b.n_trees = (int) params_get_num(params, "n_trees");
	b.esr = (int) params_get_num(params, "early_stopping_rounds");
	b.subsample = params_get_num(params, "subsample");
	b.colsample = params_get_num(params, "colsample_bytree");
	b.delta = params_get_num(params, "huber_delta");
	b.seed = ctx ? ctx->seed : 0;
	b.threads = ml_thread_count(ctx ? ctx->threads : 1, (int) (b.p ? b.p : 1));

	b.obj = objective_of(objs, b.k);
	b.K = b.obj == GB_SOFTMAX ? b.k : 1;
	m->p = b.p;
	m->k = b.k;
	m->K = b.K;
	m->objective = b.obj;

	hold_out(&b, valid);
	bin_features(&b);
	start_scores(&b);
	start_grower(&b);
	for (int round = 0; round < b.n_trees; round++)
	{
		MLRng		rng;
		size_t		nr;

		ml_rng_seed(&rng, b.seed ^ ml_mix64(0x6762647400ull + (uint64_t) round));
		round_gradients(&b);
		nr = round_rows(&b, &rng);
		round_features(&b, &rng);
		round_trees(&b, round, nr);
		rounds = trained = round + 1;
		if (log_round(&b, round, &best_loss, &best_round))
			break;
		ml_progress("round", round + 1, b.n_trees,
					ctx && ctx->n_metrics ? ctx->metrics[ctx->n_metrics - 1].name : NULL,
					ctx && ctx->n_metrics ? ctx->metrics[ctx->n_metrics - 1].value : 0);
		ml_check_interrupts();
	}
	finish_model(&b, rounds, trained, best_round);
	free_boost(&b);
	return m;
}

/*
 * predictions from raw scores F (class c of row i at F[c * n + i]), with
 * gbdt_predict's arithmetic: an ml_alloc'd n x width array
 */
double *
gbdt_raw_to_output(const Gbdt *m, const double *F, size_t n)
{
	int			K = m->K;
	size_t		width = m->objective == GB_LOGISTIC ? 2 : (size_t) K;
	double	   *out = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, width), sizeof(double)));

	for (size_t i = 0; i < n; i++)
	{
		if (m->objective == GB_LOGISTIC)
		{
			double		pr = gb_sigmoid(F[i]);

			out[2 * i] = 1 - pr;
			out[2 * i + 1] = pr;
			continue;
		}
		for (int c = 0; c < K; c++)
			out[i * K + c] = F[(size_t) c * n + i];
		if (m->objective == GB_SOFTMAX)
			ml_softmax(out + i * K, K);
	}
	return out;
}
