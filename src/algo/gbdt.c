/*-------------------------------------------------------------------------
 *
 * gbdt.c
 *	  Gradient-boosted decision trees, histogram algorithm.
 *
 * Features are quantized once into at most max_bins (<= 255) bins per
 * feature, from quantiles of (a stride sample of at most 262 144) training
 * values; a missing value (NaN) has bin 255 of its own.  The bins are a
 * row-major uint8 matrix, so a node's histogram is one pass over its rows
 * reading each row's p contiguous bytes (prefetched ahead), plus a
 * column-major copy for partitioning a node by its split feature.
 *
 * Each round fits one tree per output (1, or k for multiclass softmax) to
 * the gradients g and hessians h of the loss at the current predictions, as
 * XGBoost's second-order boosting: a leaf weighs -T(G) / (H + lambda) times
 * the learning rate (T: soft threshold by alpha), and a split's gain is
 * T(GL)^2 / (HL + lambda) + T(GR)^2 / (HR + lambda) - T(G)^2 / (H + lambda),
 * kept when above gamma with both children's hessian sums at least
 * min_child_weight.  Missing values go to the side that gains more (the
 * default direction, learned per split); with none in the node they go to
 * the side with more cover.
 *
 * Growth: depth-wise (max_depth) expands nodes depth-first, which builds the
 * same tree as level by level and holds at most max_depth + 1 histograms;
 * leaf-wise (max_leaves > 0) always splits the open leaf of highest gain.
 * Only the smaller child's histogram is built; the larger one is the
 * parent's minus it.  Rows are summed in fixed chunks of GB_CHUNK, one
 * partial histogram per chunk, added in chunk order; large nodes are
 * partitioned by the same chunks and gradients computed per chunk, on
 * worker threads.  No sum depends on the thread count, so the model bytes
 * are the same for any mlsql.threads.
 *
 * Early stopping watches the validation loss (the validation split, or a
 * seeded validation_fraction of the training rows) and keeps the best
 * round.  Every round's train and validation loss is logged (the loss
 * curve).  Prediction walks 16-byte nodes with adjacent children (x <
 * threshold goes left, NaN follows the default direction), blocks of rows
 * through each tree, eight in lockstep.  ml_explain uses TreeSHAP
 * (treeshap.c) over the nodes' hessian covers.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/json.h"
#include "../core/model.h"
#include "../core/parallel.h"
#include "../core/rng.h"
#include "../core/sortcount.h"
#include "gbdt.h"
#include "treeshap.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GB_MISSING 255			/* bin of a missing value */
#define GB_STRIDE 256			/* histogram entries per feature */
#define GB_SAMPLE 262144		/* values per feature for the bin edges */

typedef enum GbObjective
{
	GB_SQUARED = 1,
	GB_ABSOLUTE,
	GB_HUBER,
	GB_LOGISTIC,
	GB_SOFTMAX
} GbObjective;

typedef struct GbNode
{
	int32_t		feature;		/* -1 for a leaf */
	int32_t		left,
				right;			/* node indexes within the tree */
	uint8_t		default_left;	/* where a missing value goes */
	uint8_t		bin;			/* training only: rows with bin <= this go left */
	double		threshold;		/* x < threshold goes left */
	double		value;			/* leaf weight (learning rate applied) */
	double		gain;			/* split gain (0 for leaves) */
	double		cover;			/* hessian sum of the training rows */
	uint32_t	lo,
				hi;				/* training only: the node's rows in idx */
} GbNode;

typedef struct Gbdt
{
	size_t		p;
	int			k;				/* classes (0: regression) */
	int			K;				/* trees per round */
	int			objective;
	int			n_rounds;
	double	   *base;			/* K raw base scores */
	uint32_t   *start;			/* n_rounds * K + 1 offsets into nodes */
	GbNode	   *nodes;
	struct PNode *pnodes;		/* compact copy for scoring (not stored) */
	double	   *leaf;			/* per node: the leaf value (scoring) */
	uint32_t   *depth;			/* per tree: its depth (scoring) */
} Gbdt;

/*
 * Scoring node: 16 bytes.  fd = 2 * feature + default_left; children are
 * adjacent (right = left + 1).  A leaf loops to itself: feature 0, missing
 * goes right, threshold NaN (so every value goes right) and left = its own
 * index - 1.  So a walk of the tree's depth steps, without a test for
 * leaves, ends on the row's leaf, whose value is in Gbdt.leaf.
 */
typedef struct PNode
{
	double		thr;
	int32_t		fd;
	int32_t		left;
} PNode;

static void gbdt_compile(Gbdt *m);
static double *raw_to_output(const Gbdt *m, const double *F, size_t n);

static const MLParamSpec gbdt_params[] = {
	{"n_trees", ML_PARAM_INT, 100, 1, 100000, NULL, NULL, "boosting rounds"},
	{"learning_rate", ML_PARAM_FLOAT, 0.1, 1e-6, 1.0, NULL, NULL, "shrinkage of each tree"},
	{"max_depth", ML_PARAM_INT, 6, 1, 64, NULL, NULL, "deepest level of a tree"},
	{"max_leaves", ML_PARAM_INT, 0, 0, 65536, NULL, NULL,
	"leaves per tree, grown best-first (0: depth-wise growth)"},
	{"min_child_weight", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL,
	"least hessian sum of a child"},
	{"lambda", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL, "L2 penalty on leaf weights"},
	{"alpha", ML_PARAM_FLOAT, 0.0, 0.0, 1e300, NULL, NULL, "L1 penalty on leaf weights"},
	{"gamma", ML_PARAM_FLOAT, 0.0, 0.0, 1e300, NULL, NULL, "least gain of a split (min_split_gain)"},
	{"subsample", ML_PARAM_FLOAT, 1.0, 1e-6, 1.0, NULL, NULL, "share of rows each round draws"},
	{"colsample_bytree", ML_PARAM_FLOAT, 1.0, 1e-6, 1.0, NULL, NULL,
	"share of features each tree draws"},
	{"max_bins", ML_PARAM_INT, 255, 2, 255, NULL, NULL, "histogram bins per feature"},
	{"objective", ML_PARAM_STRING, 0, 0, 0, "auto",
		"auto,squared_error,absolute_error,huber,logloss,softmax",
	"loss: auto picks squared_error, logloss (binary) or softmax"},
	{"huber_delta", ML_PARAM_FLOAT, 1.0, 1e-12, 1e300, NULL, NULL, "pseudo-Huber slope change"},
	{"scale_pos_weight", ML_PARAM_FLOAT, 1.0, 1e-12, 1e300, NULL, NULL,
	"weight of the positive class (binary)"},
	ML_CLASS_WEIGHT_PARAM,
	{"early_stopping_rounds", ML_PARAM_INT, 0, 0, 100000, NULL, NULL,
	"stop when the validation loss has not improved for this many rounds (0: off)"},
	{"validation_fraction", ML_PARAM_FLOAT, 0.1, 0.01, 0.5, NULL, NULL,
	"share of training rows held out for early stopping without a validation split"},
	{NULL}
};

/* ---- binning ---- */

typedef struct Binning
{
	const MLDataset *d;
	const size_t *rows;			/* training rows of d */
	size_t		n;
	int			max_bins;
	double	  **cuts;			/* per feature: x < cuts[b] has bin <= b */
	int		   *n_bins;			/* value bins per feature */
	uint8_t    *bins;			/* n x p, row-major */
} Binning;

static inline uint8_t
bin_of(const double *cuts, int nb, double x)
{
	const double *c = cuts;
	int			len = nb;

	if (isnan(x))
		return GB_MISSING;
	/* the count of cuts <= x: the first b with x < cuts[b] (the last is +inf) */
	while (len > 1)
	{
		int			half = len / 2;

		c += (size_t) (c[half - 1] <= x) * (size_t) half;
		len -= half;
	}
	return (uint8_t) ((c - cuts) + (*c <= x));
}

/* the bin edges of feature j: midpoints between quantile values */
static void
cuts_task(void *arg, int j)
{
	Binning    *b = arg;
	const double *x = b->d->X + (size_t) j * b->d->n_rows;
	size_t		stride = b->n > GB_SAMPLE ? (b->n + GB_SAMPLE - 1) / GB_SAMPLE : 1;
	double	   *v = ml_alloc(sizeof(double) * (b->n / stride + 1));
	double	   *cuts = b->cuts[j];	/* allocated by the calling thread */
	size_t		m = 0,
				u = 0,
				acc = 0;
	int			nb = 0;

	for (size_t i = 0; i < b->n; i += stride)
		if (!isnan(x[b->rows[i]]))
			v[m++] = x[b->rows[i]];
	ml_sort_doubles(v, m);
	for (size_t i = 0; i < m; i = u)
	{
		size_t		distinct = 0;

		if (i == 0)
		{
			/* few distinct values: each its own bin */
			for (size_t a = 0; a < m; a++)
				distinct += a == 0 || v[a] != v[a - 1];
			if (distinct <= (size_t) b->max_bins)
			{
				for (size_t a = 1; a < m; a++)
					if (v[a] != v[a - 1])
						cuts[nb++] = v[a - 1] + (v[a] - v[a - 1]) / 2;
				break;
			}
		}
		for (u = i; u < m && v[u] == v[i]; u++)
			;
		acc = u;
		if (u == m)
			break;
		/* a cut after this value when its cumulative share reaches the next quantile */
		if ((double) acc * b->max_bins >= (double) (nb + 1) * m && nb < b->max_bins - 1)
			cuts[nb++] = v[i] + (v[u] - v[i]) / 2;
	}
	cuts[nb++] = INFINITY;
	b->n_bins[j] = nb;
	ml_free(v);
}

typedef struct BinRows
{
	Binning    *b;
	const MLDataset *d;
	const size_t *rows;
	size_t		n;
	uint8_t    *out;
	size_t		block;
} BinRows;

static void
bin_rows_task(void *arg, int t)
{
	BinRows    *br = arg;
	size_t		p = br->d->n_cols,
				lo = (size_t) t * br->block,
				hi = lo + br->block < br->n ? lo + br->block : br->n;

	for (size_t j = 0; j < p; j++)
	{
		const double *x = br->d->X + j * br->d->n_rows;

		for (size_t i = lo; i < hi; i++)
			br->out[i * p + j] = bin_of(br->b->cuts[j], br->b->n_bins[j],
										x[br->rows ? br->rows[i] : i]);
	}
}

/* bins of rows[0..n) of d (rows NULL: all), n x p row-major */
static uint8_t *
bin_rows(Binning *b, const MLDataset *d, const size_t *rows, size_t n, int threads)
{
	BinRows		br;
	int			tasks;

	br.b = b;
	br.d = d;
	br.rows = rows;
	br.n = n;
	br.out = ml_alloc(ml_mul_size(n ? n : 1, d->n_cols ? d->n_cols : 1));
	br.block = 4096;
	tasks = (int) ((n + br.block - 1) / br.block);
	if (tasks <= 1 || threads <= 1)
		for (int t = 0; t < tasks; t++)
			bin_rows_task(&br, t);
	else
		ml_parallel_for(tasks, threads, bin_rows_task, &br);
	return br.out;
}

/* ---- tree growth ---- */

typedef struct GH
{
	double		g,
				h;
} GH;

typedef struct Split
{
	double		gain;
	int			feature;		/* -1: none */
	int			bin;
	bool		default_left;
	double		gl,
				hl;				/* the left child's sums */
} Split;

typedef struct Cand
{
	int			node;
	size_t		lo,
				hi;				/* rows idx[lo..hi) */
	GH		   *hist;
	double		sg,
				sh;
	int			depth;
	Split		split;
} Cand;

typedef struct Grower
{
	/* data */
	const uint8_t *bins;		/* n x p */
	const uint8_t *bins_col;	/* the same, column-major (p x n) */
	size_t		n_rows;
	size_t		p;
	const int  *n_bins;
	double	  **cuts;
	const GH   *gh;				/* gradient and hessian per row */
	uint32_t   *idx;			/* rows of the tree, partitioned per node */
	uint32_t   *tmp;
	const int  *feats;			/* features this tree may use, ascending */
	int			nf;
	/* settings */
	double		lambda,
				alpha,
				gamma,
				mcw,
				eta;
	int			max_depth,
				max_leaves,
				threads;
	/* output */
	GbNode	   *nodes;
	int			n_nodes,
				cap;
	/* histogram buffers */
	GH		  **free_hist;
	int			n_free;
	/* chunked histogram task */
	const uint32_t *h_rows;
	size_t		h_n;
	GH		  **partial;		/* one per chunk of GB_CHUNK rows */
	int			n_partial;
	/* chunked partition task */
	const uint8_t *p_col;
	uint8_t		p_bin;
	bool		p_dl;
	size_t		p_lo,
				p_hi;
	size_t	   *p_nl;			/* left rows per chunk */
	uint32_t   *tmp2;
	/* depth-wise: small nodes set aside, grown as whole subtrees by tasks */
	struct Subtree *sub;
	int			n_sub;
	bool		defer;
} Grower;

/*
 * A subtree grown by one task: its root is an opened candidate of the main
 * tree; the task grows it depth-first in a private copy of the grower
 * (nodes numbered from 0 = the root), and the caller splices the nodes in.
 */
typedef struct Subtree
{
	Cand		root;
	GbNode	   *nodes;
	int			n_nodes;
} Subtree;

static inline double
soft(double g, double alpha)
{
	return g > alpha ? g - alpha : (g < -alpha ? g + alpha : 0.0);
}

static inline double
score(const Grower *gr, double g, double h)
{
	double		t = soft(g, gr->alpha);

	return t * t / (h + gr->lambda);
}

static inline double
leaf_weight(const Grower *gr, double g, double h)
{
	return h + gr->lambda > 0 ? -soft(g, gr->alpha) / (h + gr->lambda) : 0.0;
}

#define GB_PREFETCH 32			/* rows ahead to prefetch in the row loops */
#define GB_CHUNK 32768			/* rows per partial histogram */
/*
 * Depth-wise growth: a node of at most GB_SUBTREE rows is grown as a whole
 * subtree by one task (the smaller child of any of its nodes has at most
 * GB_CHUNK rows, so every histogram it builds is a single chunk), and such
 * subtrees are grown GB_SUB_BATCH at a time on the worker threads: deep
 * levels are parallel across nodes, where chunks would be too few.  The
 * choice depends on row counts only, so the trees are the same for any
 * thread count.
 */
#define GB_SUBTREE (2 * GB_CHUNK)
#define GB_SUB_BATCH 16

/* add rows[0..n) into H for the tree's features (H zeroed by the caller) */
static void
hist_rows(const Grower *gr, const uint32_t *rows, size_t n, GH *H)
{
	size_t		p = gr->p;
	const uint8_t *bins = gr->bins;
	const GH   *gh = gr->gh;
	int			nf = gr->nf;

	if (nf == (int) p)
	{
		/* every feature: the row's p bytes are contiguous */
		for (size_t i = 0; i < n; i++)
		{
			uint32_t	r = rows[i];
			const uint8_t *b = bins + (size_t) r * p;
			double		g = gh[r].g,
						h = gh[r].h;

			if (i + GB_PREFETCH < n)
			{
				__builtin_prefetch(bins + (size_t) rows[i + GB_PREFETCH] * p);
				__builtin_prefetch(gh + rows[i + GB_PREFETCH]);
			}
			for (size_t f = 0; f < p; f++)
			{
				GH		   *e = H + f * GB_STRIDE + b[f];

				e->g += g;
				e->h += h;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	r = rows[i];
		const uint8_t *b = bins + (size_t) r * p;
		double		g = gh[r].g,
					h = gh[r].h;

		if (i + GB_PREFETCH < n)
		{
			__builtin_prefetch(bins + (size_t) rows[i + GB_PREFETCH] * p + gr->feats[0]);
			__builtin_prefetch(gh + rows[i + GB_PREFETCH]);
		}
		for (int a = 0; a < nf; a++)
		{
			int			f = gr->feats[a];
			GH		   *e = H + (size_t) f * GB_STRIDE + b[f];

			e->g += g;
			e->h += h;
		}
	}
}

/*
 * Histogram entries a feature can use: its value bins and the missing bin.
 * Wide data often has features with few distinct values; zeroing, adding
 * and subtracting only these keeps small nodes cheap.
 */
static void
zero_hist(const Grower *gr, GH *H)
{
	for (int a = 0; a < gr->nf; a++)
	{
		int			f = gr->feats[a];
		GH		   *e = H + (size_t) f * GB_STRIDE;

		memset(e, 0, sizeof(GH) * gr->n_bins[f]);
		e[GB_MISSING].g = e[GB_MISSING].h = 0;
	}
}

/* D += S (sign 1) or D -= S (sign -1) over the entries features use */
static void
add_hist(const Grower *gr, GH *D, const GH *S, double sign)
{
	for (int a = 0; a < gr->nf; a++)
	{
		int			f = gr->feats[a],
					nb = gr->n_bins[f];
		GH		   *d = D + (size_t) f * GB_STRIDE;
		const GH   *x = S + (size_t) f * GB_STRIDE;

		for (int b = 0; b < nb; b++)
		{
			d[b].g += sign * x[b].g;
			d[b].h += sign * x[b].h;
		}
		d[GB_MISSING].g += sign * x[GB_MISSING].g;
		d[GB_MISSING].h += sign * x[GB_MISSING].h;
	}
}

/* task t: chunk t of the rows into its partial histogram */
static void
hist_task(void *arg, int t)
{
	Grower	   *gr = arg;
	size_t		lo = (size_t) t * GB_CHUNK,
				hi = lo + GB_CHUNK < gr->h_n ? lo + GB_CHUNK : gr->h_n;

	zero_hist(gr, gr->partial[t]);
	hist_rows(gr, gr->h_rows + lo, hi - lo, gr->partial[t]);
}

/*
 * The histogram of rows[0..n) into H.  Rows are summed in chunks of
 * GB_CHUNK, each into its own partial histogram (on worker threads when
 * there are several), and the partials are added in chunk order: the sums
 * depend on the rows only, never on the thread count.
 */
static void
build_hist(Grower *gr, const uint32_t *rows, size_t n, GH *H)
{
	int			chunks = (int) ((n + GB_CHUNK - 1) / GB_CHUNK);

	zero_hist(gr, H);
	if (chunks <= 1)
	{
		hist_rows(gr, rows, n, H);
		return;
	}
	while (gr->n_partial < chunks)
		gr->partial[gr->n_partial++] = ml_alloc(ml_mul_size(ml_mul_size(gr->p, GB_STRIDE), sizeof(GH)));
	gr->h_rows = rows;
	gr->h_n = n;
	if (gr->threads > 1)
		ml_parallel_for(chunks, gr->threads, hist_task, gr);
	else
		for (int t = 0; t < chunks; t++)
			hist_task(gr, t);
	for (int t = 0; t < chunks; t++)
		add_hist(gr, H, gr->partial[t], 1.0);
}

static GH *
take_hist(Grower *gr)
{
	if (gr->n_free > 0)
		return gr->free_hist[--gr->n_free];
	return ml_alloc(ml_mul_size(ml_mul_size(gr->p, GB_STRIDE), sizeof(GH)));
}

static void
give_hist(Grower *gr, GH *H)
{
	gr->free_hist[gr->n_free++] = H;
}

/* best split of a node from its histogram and totals */
static Split
find_split(const Grower *gr, const GH *H, double sg, double sh)
{
	Split		best = {0, -1, 0, false, 0, 0};
	double		parent = score(gr, sg, sh);

	for (int a = 0; a < gr->nf; a++)
	{
		int			f = gr->feats[a];
		const GH   *e = H + (size_t) f * GB_STRIDE;
		int			nb = gr->n_bins[f];
		double		mg = e[GB_MISSING].g,
					mh = e[GB_MISSING].h,
					gl = 0,
					hl = 0;

		for (int b = 0; b < nb - 1; b++)
		{
			/*
			 * An empty bin repeats the previous candidate (or leaves the left
			 * side empty): skipping it changes nothing, and small nodes have
			 * mostly empty bins.
			 */
			if (e[b].h == 0 && e[b].g == 0)
				continue;
			gl += e[b].g;
			hl += e[b].h;
			for (int dl = 0; dl < 2; dl++)
			{
				double		GL = gl + (dl ? mg : 0),
							HL = hl + (dl ? mh : 0),
							GR = sg - GL,
							HR = sh - HL,
							gain;

				if (dl && mh == 0)
					break;		/* no missing rows: one candidate */
				if (HL < gr->mcw || HR < gr->mcw || HL <= 0 || HR <= 0)
					continue;
				gain = score(gr, GL, HL) + score(gr, GR, HR) - parent;
				if (gain > best.gain + 1e-12 * fabs(best.gain))
				{
					best.gain = gain;
					best.feature = f;
					best.bin = b;
					best.default_left = mh > 0 ? dl : (hl >= sh - hl);
					best.gl = GL;
					best.hl = HL;
				}
			}
		}
	}
	if (best.feature >= 0 && !(best.gain > gr->gamma && best.gain > 1e-12))
		best.feature = -1;
	return best;
}

static int
new_node(Grower *gr, double sg, double sh)
{
	GbNode	   *nd;

	if (gr->n_nodes == gr->cap)
	{
		gr->cap = gr->cap ? gr->cap * 2 : 64;
		gr->nodes = ml_realloc(gr->nodes, sizeof(GbNode) * gr->cap);
	}
	nd = &gr->nodes[gr->n_nodes];
	memset(nd, 0, sizeof(GbNode));
	nd->feature = -1;
	nd->value = leaf_weight(gr, sg, sh) * gr->eta;
	nd->cover = sh;
	return gr->n_nodes++;
}

/* open a candidate for node rows [lo, hi) with histogram H; false: a leaf */
static bool
open_cand(Grower *gr, Cand *c)
{
	gr->nodes[c->node].lo = (uint32_t) c->lo;
	gr->nodes[c->node].hi = (uint32_t) c->hi;
	if (c->depth >= gr->max_depth || c->hi - c->lo < 2)
		c->split.feature = -1;
	else
		c->split = find_split(gr, c->hist, c->sg, c->sh);
	if (c->split.feature < 0)
	{
		give_hist(gr, c->hist);
		c->hist = NULL;
		return false;
	}
	return true;
}

/*
 * Partition rows idx[lo..hi) by the split in gr->p_*: left rows to L, right
 * rows to R, both in order; returns the left count.  L may be idx + lo.
 */
static size_t
part_rows(const Grower *gr, size_t lo, size_t hi, uint32_t *L, uint32_t *R)
{
	const uint8_t *col = gr->p_col;
	uint8_t		sb = gr->p_bin;
	size_t		dl = gr->p_dl,
				nl = 0,
				nr = 0;

	for (size_t i = lo; i < hi; i++)
	{
		uint32_t	r = gr->idx[i];
		uint8_t		b = col[r];
		size_t		go_left = b == GB_MISSING ? dl : b <= sb;

		if (i + GB_PREFETCH < hi)
			__builtin_prefetch(col + gr->idx[i + GB_PREFETCH]);
		L[nl] = r;
		R[nr] = r;
		nl += go_left;
		nr += 1 - go_left;
	}
	return nl;
}

/* task t: chunk t of the node's rows, sides into tmp / tmp2 at the chunk's offset */
static void
part_task(void *arg, int t)
{
	Grower	   *gr = arg;
	size_t		cs = gr->p_lo + (size_t) t * GB_CHUNK,
				ce = cs + GB_CHUNK < gr->p_hi ? cs + GB_CHUNK : gr->p_hi;

	gr->p_nl[t] = part_rows(gr, cs, ce, gr->tmp + cs, gr->tmp2 + cs);
}

/* split candidate c: partition its rows, make both children candidates */
static void
split_cand(Grower *gr, Cand *c, Cand *left, Cand *right)
{
	GbNode	   *nd = &gr->nodes[c->node];
	int			f = c->split.feature;
	uint8_t		sb = (uint8_t) c->split.bin;
	bool		dl = c->split.default_left;
	size_t		nl = 0,
				nr = 0;
	double		lg = 0,
				lh = 0;
	GH		   *small;
	bool		small_left;

	/*
	 * stable partition, branch-free: every row is written to both sides and
	 * the side it belongs to advances; reads the split feature's column.
	 * Large nodes are partitioned by chunks on worker threads and the
	 * chunks' sides concatenated in chunk order: the same order as one pass.
	 */
	gr->p_col = gr->bins_col + (size_t) f * gr->n_rows;
	gr->p_bin = sb;
	gr->p_dl = dl;
	gr->p_lo = c->lo;
	gr->p_hi = c->hi;
	{
		int			chunks = (int) ((c->hi - c->lo + GB_CHUNK - 1) / GB_CHUNK);

		if (gr->threads > 1 && chunks > 1)
		{
			size_t		at = c->lo;

			ml_parallel_for(chunks, gr->threads, part_task, gr);
			for (int t = 0; t < chunks; t++)
			{
				size_t		cs = c->lo + (size_t) t * GB_CHUNK;

				memcpy(gr->idx + at, gr->tmp + cs, sizeof(uint32_t) * gr->p_nl[t]);
				at += gr->p_nl[t];
			}
			nl = at - c->lo;
			nr = c->hi - c->lo - nl;
			for (int t = 0; t < chunks; t++)
			{
				size_t		cs = c->lo + (size_t) t * GB_CHUNK;
				size_t		ce = cs + GB_CHUNK < c->hi ? cs + GB_CHUNK : c->hi;

				memcpy(gr->idx + at, gr->tmp2 + cs, sizeof(uint32_t) * (ce - cs - gr->p_nl[t]));
				at += ce - cs - gr->p_nl[t];
			}
		}
		else
		{
			nl = part_rows(gr, c->lo, c->hi, gr->idx + c->lo, gr->tmp + c->lo);
			nr = c->hi - c->lo - nl;
			memcpy(gr->idx + c->lo + nl, gr->tmp + c->lo, sizeof(uint32_t) * nr);
		}
	}
	lg = c->split.gl;
	lh = c->split.hl;

	nd->feature = f;
	nd->bin = sb;
	nd->threshold = gr->cuts[f][sb];
	nd->default_left = dl;
	nd->gain = c->split.gain;

	left->lo = c->lo;
	left->hi = c->lo + nl;
	right->lo = c->lo + nl;
	right->hi = c->hi;
	left->sg = lg;
	left->sh = lh;
	right->sg = c->sg - lg;
	right->sh = c->sh - lh;
	left->depth = right->depth = c->depth + 1;
	left->node = new_node(gr, left->sg, left->sh);
	right->node = new_node(gr, right->sg, right->sh);
	nd = &gr->nodes[c->node];
	nd->left = left->node;
	nd->right = right->node;

	/* the smaller child's histogram is built, the larger is parent - smaller */
	small_left = nl <= nr;
	small = take_hist(gr);
	if (small_left)
		build_hist(gr, gr->idx + left->lo, nl, small);
	else
		build_hist(gr, gr->idx + right->lo, nr, small);
	add_hist(gr, c->hist, small, -1.0);
	left->hist = small_left ? small : c->hist;
	right->hist = small_left ? c->hist : small;
	c->hist = NULL;
}

static void grow_subtrees(Grower *gr);

/*
 * Expand the open candidates depth-first (best gain first when leaf-wise)
 * until none is left; open has room for the most that can be open.
 */
static void
grow_open(Grower *gr, Cand *open, int n_open)
{
	int			leaves = n_open;

	while (n_open > 0 && (gr->max_leaves == 0 || leaves < gr->max_leaves))
	{
		int			pick = n_open - 1;
		Cand		c,
					l,
					r;

		if (gr->max_leaves > 0)
			for (int i = 0; i < n_open; i++)
				if (open[i].split.gain > open[pick].split.gain ||
					(open[i].split.gain == open[pick].split.gain && open[i].node < open[pick].node))
					pick = i;
		c = open[pick];
		open[pick] = open[--n_open];
		if (gr->defer && c.hi - c.lo <= GB_SUBTREE)
		{
			gr->sub[gr->n_sub].root = c;
			gr->sub[gr->n_sub].nodes = NULL;
			if (++gr->n_sub == GB_SUB_BATCH)
				grow_subtrees(gr);
			continue;
		}
		split_cand(gr, &c, &l, &r);
		leaves++;
		/* depth-first: the right child is pushed first, so the left is expanded next */
		if (open_cand(gr, &r))
			open[n_open++] = r;
		if (open_cand(gr, &l))
			open[n_open++] = l;
		ml_check_interrupts();
	}
	for (int i = 0; i < n_open; i++)
		give_hist(gr, open[i].hist);
}

/* task t: grow set-aside subtree t in a private copy of the grower */
static void
subtree_task(void *arg, int t)
{
	const Grower *top = arg;
	Subtree    *st = &top->sub[t];
	Grower		g = *top;
	Cand	   *stack;
	GH		   *root_hist = st->root.hist;

	g.nodes = NULL;
	g.n_nodes = g.cap = 0;
	g.free_hist = ml_alloc(sizeof(GH *) * (size_t) (g.max_depth + 4));
	g.n_free = 0;
	g.partial = NULL;			/* every histogram here is a single chunk */
	g.n_partial = 0;
	g.threads = 1;
	g.defer = false;
	g.sub = NULL;
	g.n_sub = 0;
	stack = ml_alloc(sizeof(Cand) * (size_t) (g.max_depth + 2));
	stack[0] = st->root;
	stack[0].node = new_node(&g, 0, 0);
	g.nodes[0] = top->nodes[st->root.node];
	grow_open(&g, stack, 1);
	for (int i = 0; i < g.n_free; i++)
		if (g.free_hist[i] != root_hist)
			ml_free(g.free_hist[i]);
	ml_free(g.free_hist);
	ml_free(stack);
	st->nodes = g.nodes;
	st->n_nodes = g.n_nodes;
}

/*
 * Grow the set-aside subtrees (on worker threads when there are several)
 * and splice their nodes into the tree in the order they were set aside.
 */
static void
grow_subtrees(Grower *gr)
{
	if (gr->n_sub == 0)
		return;
	if (gr->threads > 1 && gr->n_sub > 1)
		ml_parallel_for(gr->n_sub, gr->threads, subtree_task, gr);
	else
		for (int t = 0; t < gr->n_sub; t++)
			subtree_task(gr, t);
	for (int t = 0; t < gr->n_sub; t++)
	{
		Subtree    *st = &gr->sub[t];
		int			base = gr->n_nodes - 1;	/* local node j > 0 becomes base + j */

		for (int j = 1; j < st->n_nodes; j++)
		{
			int			id = new_node(gr, 0, 0);

			gr->nodes[id] = st->nodes[j];
		}
		gr->nodes[st->root.node] = st->nodes[0];
		for (int j = 0; j < st->n_nodes; j++)
		{
			GbNode	   *nd = &gr->nodes[j == 0 ? st->root.node : base + j];

			if (nd->feature >= 0)
			{
				nd->left += base;
				nd->right += base;
			}
		}
		give_hist(gr, st->root.hist);
		if (gr->threads > 1 && gr->n_sub > 1)
			ml_worker_release(st->nodes);
		else
			ml_free(st->nodes);
		st->nodes = NULL;
	}
	gr->n_sub = 0;
	ml_check_interrupts();
}

/* grow one tree on idx[0..n); nodes appended to gr->nodes from 0 */
static void
grow_tree(Grower *gr, size_t n)
{
	Cand	   *open;
	Cand		root;
	double		sg = 0,
				sh = 0;

	gr->n_nodes = 0;
	for (size_t i = 0; i < n; i++)
	{
		sg += gr->gh[gr->idx[i]].g;
		sh += gr->gh[gr->idx[i]].h;
	}
	open = ml_alloc(sizeof(Cand) * (size_t) (gr->max_leaves > 0 ? gr->max_leaves + 1 : gr->max_depth + 2));
	root.lo = 0;
	root.hi = n;
	root.sg = sg;
	root.sh = sh;
	root.depth = 0;
	root.node = new_node(gr, sg, sh);
	root.hist = take_hist(gr);
	build_hist(gr, gr->idx, n, root.hist);
	gr->defer = gr->max_leaves == 0;
	gr->n_sub = 0;
	if (open_cand(gr, &root))
		grow_open(gr, (open[0] = root, open), 1);
	grow_subtrees(gr);
	ml_free(open);
}

/* ---- the objective ---- */

static double
sigmoid(double z)
{
	return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

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
					double		pr = sigmoid(F[i]);

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

/* mean loss of rows 0, step, 2 step, ... < n at F (n x K, class-major) */
static double
mean_loss(int obj, int K, const double *F, const double *y, size_t n, size_t step,
		  double delta)
{
	double		s = 0;
	size_t		cnt = 0;

	for (size_t i = 0; i < n; i += step, cnt++)
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
	grow_tree(&g, a->nr);
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

static void *
gbdt_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
		 MLFitContext *ctx)
{
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	size_t		p = train->n_cols,
				N = train->n_rows,
				n = 0,
				nv = 0;
	int			k = train->n_classes,
				K;
	const char *objs = params_get_str(params, "objective");
	int			obj;
	int			n_trees = (int) params_get_num(params, "n_trees");
	int			esr = (int) params_get_num(params, "early_stopping_rounds");
	double		subsample = params_get_num(params, "subsample"),
				colsample = params_get_num(params, "colsample_bytree"),
				delta = params_get_num(params, "huber_delta");
	uint64_t	seed = ctx ? ctx->seed : 0;
	int			threads = ml_thread_count(ctx ? ctx->threads : 1, (int) (p ? p : 1));
	size_t	   *tr_rows,
			   *va_rows = NULL;
	const MLDataset *vd = NULL;
	Binning		bn;
	uint8_t    *bins,
			   *bins_col,
			   *vbins = NULL;
	double	   *y,
			   *yv = NULL,
			   *w,
			   *F,
			   *Fv = NULL,
			   *cw;
	GH		   *gh;
	Grower		gr;
	GbNode	   *all = NULL;
	size_t		n_all = 0,
				cap_all = 0;
	uint32_t   *start;
	int			rounds = 0,
				trained = 0,
				best_round = 0;
	double		best_loss = INFINITY;
	int		   *feats,
			   *nf_of,
			   *n_nodes_of;
	GbNode	  **trees_of;

	/* objective */
	if (k > 0)
	{
		if (strcmp(objs, "auto") == 0)
			obj = k == 2 ? GB_LOGISTIC : GB_SOFTMAX;
		else if (strcmp(objs, "logloss") == 0 && k == 2)
			obj = GB_LOGISTIC;
		else if (strcmp(objs, "softmax") == 0)
			obj = GB_SOFTMAX;
		else
			ml_error(ML_ERR_PARAM, "For classification use logloss (two classes) or softmax.",
					 "objective \"%s\" does not fit a classification target with %d classes", objs, k);
	}
	else
	{
		if (strcmp(objs, "auto") == 0 || strcmp(objs, "squared_error") == 0)
			obj = GB_SQUARED;
		else if (strcmp(objs, "absolute_error") == 0)
			obj = GB_ABSOLUTE;
		else if (strcmp(objs, "huber") == 0)
			obj = GB_HUBER;
		else
			ml_error(ML_ERR_PARAM, "For regression use squared_error, absolute_error or huber.",
					 "objective \"%s\" does not fit a regression target", objs);
	}
	K = obj == GB_SOFTMAX ? k : 1;
	m->p = p;
	m->k = k;
	m->K = K;
	m->objective = obj;

	/* rows: training, and validation for early stopping */
	tr_rows = ml_alloc(sizeof(size_t) * (N ? N : 1));
	if (valid && valid->n_rows > 0 && valid->n_cols == p)
	{
		for (size_t i = 0; i < N; i++)
			tr_rows[n++] = i;
		vd = valid;
		nv = valid->n_rows;
	}
	else if (esr > 0)
	{
		double		frac = params_get_num(params, "validation_fraction");

		va_rows = ml_alloc(sizeof(size_t) * (N ? N : 1));
		for (size_t i = 0; i < N; i++)
		{
			double		u = (double) (ml_mix64(seed ^ 0x5bd1e995u ^ ml_mix64(i + 1)) >> 11) * 0x1.0p-53;

			if (u < frac)
				va_rows[nv++] = i;
			else
				tr_rows[n++] = i;
		}
		if (nv == 0 || n < 2)
			ml_error(ML_ERR_DATA, "Use more rows, or early_stopping_rounds 0.",
					 "too few rows to hold out a validation share for early stopping");
		if (k > 0)
		{
			/* every class must stay in the rows that train */
			bool	   *seen = ml_alloc(sizeof(bool) * k);
			int			missing = 0;

			for (size_t i = 0; i < n; i++)
				seen[(int) train->y[tr_rows[i]]] = true;
			for (int c = 0; c < k; c++)
				missing += !seen[c];
			ml_free(seen);
			if (missing > 0)
				ml_error(ML_ERR_DATA, "Use more rows, or early_stopping_rounds 0.",
						 "holding out a validation share for early stopping leaves %d classes without training rows",
						 missing);
		}
		vd = train;
	}
	else
		for (size_t i = 0; i < N; i++)
			tr_rows[n++] = i;

	/* bins */
	memset(&bn, 0, sizeof(bn));
	bn.d = train;
	bn.rows = tr_rows;
	bn.n = n;
	bn.max_bins = (int) params_get_num(params, "max_bins");
	bn.cuts = ml_alloc(sizeof(double *) * (p ? p : 1));
	bn.n_bins = ml_alloc(sizeof(int) * (p ? p : 1));
	for (size_t j = 0; j < p; j++)
		bn.cuts[j] = ml_alloc(sizeof(double) * bn.max_bins);
	if (threads > 1 && (double) n * p > 1e6)
		ml_parallel_for((int) p, threads, cuts_task, &bn);
	else
		for (size_t j = 0; j < p; j++)
			cuts_task(&bn, (int) j);
	ml_check_interrupts();
	bins = bin_rows(&bn, train, tr_rows, n, threads);
	if (vd)
		vbins = bin_rows(&bn, vd, va_rows, nv, threads);
	ml_check_interrupts();

	/*
	 * Binned: the trees never read the matrix again.  The host may let it
	 * go now (ml_train: its largest block while the trees grow) when no
	 * rows are held out and no round is cut, that is, when train_pred will
	 * be left below.
	 */
	if (ctx && ctx->train_X && *ctx->train_X && ctx->want_train_pred && esr == 0 && n == N)
	{
		ml_free(*ctx->train_X);
		*ctx->train_X = NULL;
	}

	/* targets, weights, base scores */
	y = ml_alloc(sizeof(double) * (n ? n : 1));
	w = ml_alloc(sizeof(double) * (n ? n : 1));
	cw = params_class_weights(params, train);
	for (size_t i = 0; i < n; i++)
	{
		y[i] = train->y[tr_rows[i]];
		w[i] = cw ? cw[(int) y[i]] : 1.0;
		if (obj == GB_LOGISTIC && y[i] == 1)
			w[i] *= params_get_num(params, "scale_pos_weight");
	}
	if (vd)
	{
		yv = ml_alloc(sizeof(double) * (nv ? nv : 1));
		for (size_t i = 0; i < nv; i++)
			yv[i] = vd->y[va_rows ? va_rows[i] : i];
	}
	m->base = ml_alloc(sizeof(double) * K);
	{
		double		sw = 0,
					swy = 0;

		if (obj == GB_SOFTMAX)
		{
			double	   *cnt = ml_alloc(sizeof(double) * K);

			for (size_t i = 0; i < n; i++)
			{
				cnt[(int) y[i]] += w[i];
				sw += w[i];
			}
			for (int c = 0; c < K; c++)
				m->base[c] = log(fmax(cnt[c], 1e-300) / sw);
			ml_free(cnt);
		}
		else if (obj == GB_ABSOLUTE)
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
			if (obj == GB_LOGISTIC)
			{
				double		pr = fmin(fmax(m->base[0], 1e-12), 1 - 1e-12);

				m->base[0] = log(pr / (1 - pr));
			}
		}
	}
	F = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, K), sizeof(double)));
	for (int c = 0; c < K; c++)
		for (size_t i = 0; i < n; i++)
			F[(size_t) c * n + i] = m->base[c];
	if (vd)
	{
		Fv = ml_alloc(ml_mul_size(ml_mul_size(nv ? nv : 1, K), sizeof(double)));
		for (int c = 0; c < K; c++)
			for (size_t i = 0; i < nv; i++)
				Fv[(size_t) c * nv + i] = m->base[c];
	}
	gh = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, K), sizeof(GH)));

	/* the grower */
	memset(&gr, 0, sizeof(gr));
	gr.bins = bins;
	gr.n_rows = n;
	bins_col = ml_alloc(ml_mul_size(n ? n : 1, p ? p : 1));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p; j++)
			bins_col[j * n + i] = bins[i * p + j];
	gr.bins_col = bins_col;
	gr.p = p;
	gr.n_bins = bn.n_bins;
	gr.cuts = bn.cuts;
	gr.idx = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr.tmp = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr.tmp2 = ml_alloc(sizeof(uint32_t) * (n ? n : 1));
	gr.p_nl = ml_alloc(sizeof(size_t) * ((n + GB_CHUNK - 1) / GB_CHUNK + 1));
	gr.lambda = params_get_num(params, "lambda");
	gr.alpha = params_get_num(params, "alpha");
	gr.gamma = params_get_num(params, "gamma");
	gr.mcw = params_get_num(params, "min_child_weight");
	gr.eta = params_get_num(params, "learning_rate");
	gr.max_depth = (int) params_get_num(params, "max_depth");
	gr.max_leaves = (int) params_get_num(params, "max_leaves");
	gr.threads = threads;
	gr.free_hist = ml_alloc(sizeof(GH *) * (size_t) (gr.max_leaves > 0 ? gr.max_leaves + 4 : gr.max_depth + 4 + GB_SUB_BATCH));
	gr.sub = ml_alloc(sizeof(Subtree) * GB_SUB_BATCH);
	feats = ml_alloc(ml_mul_size(ml_mul_size(p ? p : 1, K), sizeof(int)));
	nf_of = ml_alloc(sizeof(int) * K);
	n_nodes_of = ml_alloc(sizeof(int) * K);
	trees_of = ml_alloc(sizeof(GbNode *) * K);
	gr.partial = ml_alloc(sizeof(GH *) * ((n + GB_CHUNK - 1) / GB_CHUNK + 1));
	if (n > UINT32_MAX)
		ml_error(ML_ERR_LIMIT, NULL, "gbdt trains on at most %u rows", UINT32_MAX);

	if ((size_t) n_trees * K > 10000000)
		ml_error(ML_ERR_PARAM, "Use fewer rounds; each round grows one tree per class.",
				 "n_trees %d with %d classes makes more than 10 000 000 trees", n_trees, K);
	start = ml_alloc(sizeof(uint32_t) * ((size_t) n_trees * K + 1));
	for (int round = 0; round < n_trees; round++)
	{
		MLRng		rng;
		size_t		nr = 0;

		ml_rng_seed(&rng, seed ^ ml_mix64(0x6762647400ull + (uint64_t) round));
		for (int c = 0; c < K; c++)
		{
			GradTask	ga = {obj, K, c, F, y, w, n, delta, gh + (size_t) c * n};
			int			chunks = (int) ((n + GB_CHUNK - 1) / GB_CHUNK);

			if (threads > 1 && chunks > 1)
				ml_parallel_for(chunks, threads, grad_task, &ga);
			else
				gradients(obj, K, c, F, y, w, n, 0, n, delta, gh + (size_t) c * n);
		}
		/* row subsample, shared by the round's trees */
		for (size_t i = 0; i < n; i++)
			if (subsample >= 1.0 || ml_rng_uniform(&rng) < subsample)
				gr.idx[nr++] = (uint32_t) i;
		if (nr == 0)
			gr.idx[nr++] = 0;
		/* features of each class's tree, drawn in class order */
		for (int c = 0; c < K; c++)
		{
			int		   *fc = feats + (size_t) c * p;

			nf_of[c] = 0;
			if (colsample >= 1.0)
				for (size_t j = 0; j < p; j++)
					fc[nf_of[c]++] = (int) j;
			else
			{
				int			want = (int) fmax(1.0, floor(colsample * p + 0.5));
				int		   *perm = ml_alloc(sizeof(int) * p);
				bool	   *on = ml_alloc(sizeof(bool) * p);

				for (size_t j = 0; j < p; j++)
					perm[j] = (int) j;
				for (int a = 0; a < want; a++)
				{
					size_t		b = a + (size_t) (ml_rng_next(&rng) % (p - a));
					int			t = perm[a];

					perm[a] = perm[b];
					perm[b] = t;
					on[perm[a]] = true;
				}
				for (size_t j = 0; j < p; j++)
					if (on[j])
						fc[nf_of[c]++] = (int) j;
				ml_free(perm);
				ml_free(on);
			}
		}
		if (K > 1 && threads > 1)
		{
			/*
			 * one round's class trees are independent given the gradients:
			 * each grows in a task of its own on a copy of the round's rows
			 * (one thread inside: the same tree as grown alone)
			 */
			ClassTask	ct = {&gr, nr, gh, F, Fv, vbins, nv, feats, nf_of, trees_of, n_nodes_of};

			ml_parallel_for(K, threads, class_task, &ct);
			for (int c = 0; c < K; c++)
			{
				append_tree(&all, &n_all, &cap_all, start + round * K + c, trees_of[c], n_nodes_of[c]);
				ml_worker_release(trees_of[c]);
			}
		}
		else
			for (int c = 0; c < K; c++)
			{
				uint32_t   *keep = NULL;

				gr.feats = feats + (size_t) c * p;
				gr.nf = nf_of[c];
				gr.gh = gh + (size_t) c * n;
				if (K > 1)
				{
					/* growth reorders idx: each class starts from the same rows */
					keep = ml_alloc(sizeof(uint32_t) * nr);
					memcpy(keep, gr.idx, sizeof(uint32_t) * nr);
				}
				grow_tree(&gr, nr);
				if (obj == GB_ABSOLUTE)
					median_leaves(&gr, F, y);
				append_tree(&all, &n_all, &cap_all, start + round * K + c, gr.nodes, gr.n_nodes);
				tree_to_scores(&gr, nr, F + (size_t) c * n, vbins, nv, Fv ? Fv + (size_t) c * nv : NULL);
				if (keep)
				{
					memcpy(gr.idx, keep, sizeof(uint32_t) * nr);
					ml_free(keep);
				}
			}
		rounds = trained = round + 1;
		/* the train loss curve reads a stride sample of at most ~65536 rows */
		ml_log_metric(ctx, "train", loss_name(obj), round + 1,
					  mean_loss(obj, K, F, y, n, (n + 65535) / 65536, delta));
		if (vd)
		{
			double		vl = mean_loss(obj, K, Fv, yv, nv, 1, delta);

			ml_log_metric(ctx, "validation", loss_name(obj), round + 1, vl);
			if (vl < best_loss)
			{
				best_loss = vl;
				best_round = round + 1;
			}
			else if (esr > 0 && round + 1 - best_round >= esr)
				break;
		}
		ml_progress("round", round + 1, n_trees, ctx && ctx->n_metrics ? ctx->metrics[ctx->n_metrics - 1].name : NULL,
					ctx && ctx->n_metrics ? ctx->metrics[ctx->n_metrics - 1].value : 0);
		ml_check_interrupts();
	}
	if (vd && esr > 0)
	{
		rounds = best_round > 0 ? best_round : rounds;
		ml_log_metric(ctx, "train", "best_iteration", -1, rounds);
	}
	ml_log_metric(ctx, "train", "n_trees", -1, (double) rounds * K);
	/* trees after the best round are dropped */
	if (rounds == trained)
		start[rounds * K] = (uint32_t) n_all;
	m->n_rounds = rounds;
	m->start = start;
	n_all = start[rounds * K];
	m->nodes = ml_alloc(sizeof(GbNode) * (n_all ? n_all : 1));
	memcpy(m->nodes, all, sizeof(GbNode) * n_all);
	gbdt_compile(m);

	/*
	 * F holds every training row's raw score, summed tree by tree in the
	 * order gbdt_raw sums them: the host may have them instead of scoring
	 * the rows again.  Not when trees were dropped or rows held out.
	 */
	if (ctx && ctx->want_train_pred && rounds == trained && n == N)
		ctx->train_pred = raw_to_output(m, F, n);

	for (int i = 0; i < gr.n_free; i++)
		ml_free(gr.free_hist[i]);
	ml_free(gr.free_hist);
	ml_free(gr.sub);
	for (int i = 0; i < gr.n_partial; i++)
		ml_free(gr.partial[i]);
	ml_free(gr.partial);
	if (gr.nodes)
		ml_free(gr.nodes);
	if (all)
		ml_free(all);
	ml_free(gr.idx);
	ml_free(gr.tmp);
	ml_free(gr.tmp2);
	ml_free(gr.p_nl);
	ml_free(feats);
	ml_free(nf_of);
	ml_free(n_nodes_of);
	ml_free(trees_of);
	ml_free(F);
	ml_free(gh);
	ml_free(y);
	ml_free(w);
	if (cw)
		ml_free(cw);
	ml_free(bins);
	ml_free(bins_col);
	if (vd)
	{
		ml_free(vbins);
		ml_free(Fv);
		ml_free(yv);
	}
	if (va_rows)
		ml_free(va_rows);
	ml_free(tr_rows);
	for (size_t j = 0; j < p; j++)
		ml_free(bn.cuts[j]);
	ml_free(bn.cuts);
	ml_free(bn.n_bins);
	return m;
}

/* ---- predict, serialize ---- */

/* the scoring copy of the nodes; children must be adjacent */
static void
gbdt_compile(Gbdt *m)
{
	int			T = m->n_rounds * m->K;
	uint32_t	total = m->start[T];
	uint32_t   *node_depth = ml_alloc(sizeof(uint32_t) * (total ? total : 1));

	m->pnodes = ml_alloc(sizeof(PNode) * (total ? total : 1));
	m->leaf = ml_alloc(sizeof(double) * (total ? total : 1));
	m->depth = ml_alloc(sizeof(uint32_t) * (T ? T : 1));
	for (int t = 0; t < T; t++)
	{
		uint32_t	s0 = m->start[t];

		/* children come after their parent (checked by the reader) */
		for (uint32_t i = s0; i < m->start[t + 1]; i++)
		{
			const GbNode *nd = &m->nodes[i];
			PNode	   *pn = &m->pnodes[i];

			if (nd->feature < 0)
			{
				pn->fd = 0;
				pn->left = (int32_t) (i - s0) - 1;
				pn->thr = NAN;
				m->leaf[i] = nd->value;
				if (node_depth[i] > m->depth[t])
					m->depth[t] = node_depth[i];
				continue;
			}
			if (nd->right != nd->left + 1)
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node children are not adjacent");
			pn->fd = 2 * nd->feature + (nd->default_left ? 1 : 0);
			pn->left = nd->left;
			pn->thr = nd->threshold;
			node_depth[s0 + nd->left] = node_depth[s0 + nd->right] = node_depth[i] + 1;
		}
	}
	ml_free(node_depth);
}

/* one step down: missing values take the default direction */
static inline int32_t
pnode_step(const PNode *tree, int32_t at, const double *x)
{
	const PNode *nd = tree + at;
	double		v = x[nd->fd >> 1];
	int			nan = v != v;

	return nd->left + (!(v < nd->thr) ^ (nan & nd->fd & 1));
}

#define GB_BLOCK 64				/* rows scored together through every tree */

/*
 * One row's raw scores: eight trees walk in lockstep, so their chains of
 * loads overlap (one row's walk is latency-bound); the leaves are still
 * added in tree order, so the sums equal a tree-by-tree walk bit for bit.
 */
static void
gbdt_raw_row(const Gbdt *m, const double *x, double *raw)
{
	int			K = m->K,
				T = m->n_rounds * m->K,
				t = 0;

	for (; t + 8 <= T; t += 8)
	{
		const PNode *tree[8];
		int32_t		at[8] = {0};
		uint32_t	depth = 0;

		for (int r = 0; r < 8; r++)
		{
			tree[r] = m->pnodes + m->start[t + r];
			if (m->depth[t + r] > depth)
				depth = m->depth[t + r];
		}
		for (uint32_t d = 0; d < depth; d++)
#pragma GCC unroll 8
			for (int r = 0; r < 8; r++)
				at[r] = pnode_step(tree[r], at[r], x);
		for (int r = 0; r < 8; r++)
			raw[(t + r) % K] += m->leaf[m->start[t + r] + at[r]];
	}
	for (; t < T; t++)
	{
		const PNode *tree = m->pnodes + m->start[t];
		int32_t		at = 0;

		for (uint32_t d = 0; d < m->depth[t]; d++)
			at = pnode_step(tree, at, x);
		raw[t % K] += m->leaf[m->start[t] + at];
	}
}

/* raw scores (K per row) of n rows: blocks of rows walk each tree in turn */
static void
gbdt_raw(const Gbdt *m, const double *X, size_t n, double *raw)
{
	int			K = m->K,
				T = m->n_rounds * m->K;
	size_t		p = m->p;

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < K; c++)
			raw[i * K + c] = m->base[c];
	for (size_t b0 = 0; b0 < n; b0 += GB_BLOCK)
	{
		size_t		b1 = b0 + GB_BLOCK < n ? b0 + GB_BLOCK : n,
					full = b0 + (b1 - b0) / 8 * 8;

		for (int t = 0; t < T && full > b0; t++)
		{
			const PNode *tree = m->pnodes + m->start[t];
			int			c = t % K;

			/* eight rows walk in lockstep: independent chains of loads overlap */
			for (size_t i = b0; i < full; i += 8)
			{
				int32_t		at[8] = {0};

				for (uint32_t d = 0; d < m->depth[t]; d++)
#pragma GCC unroll 8
					for (int r = 0; r < 8; r++)
						at[r] = pnode_step(tree, at[r], X + (i + r) * p);
				for (int r = 0; r < 8; r++)
					raw[(i + r) * K + c] += m->leaf[m->start[t] + at[r]];
			}
		}
		/* the last rows, fewer than eight, walk eight trees at a time */
		for (size_t i = full; i < b1; i++)
			gbdt_raw_row(m, X + i * p, raw + i * K);
	}
}

/*
 * predictions from raw scores F (class c of row i at F[c * n + i]), with
 * gbdt_predict's arithmetic: an ml_alloc'd n x width array
 */
static double *
raw_to_output(const Gbdt *m, const double *F, size_t n)
{
	int			K = m->K;
	size_t		width = m->objective == GB_LOGISTIC ? 2 : (size_t) K;
	double	   *out = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, width), sizeof(double)));

	for (size_t i = 0; i < n; i++)
	{
		if (m->objective == GB_LOGISTIC)
		{
			double		pr = sigmoid(F[i]);

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

static void
gbdt_predict(const void *state, const double *X, size_t n, double *out)
{
	const Gbdt *m = state;
	int			K = m->K;

	if (m->objective == GB_LOGISTIC)
	{
		gbdt_raw(m, X, n, out + n);		/* scratch: the upper half */
		for (size_t i = 0; i < n; i++)
		{
			double		pr = sigmoid(out[n + i]);

			out[2 * i] = 1 - pr;
			out[2 * i + 1] = pr;
		}
		return;
	}
	gbdt_raw(m, X, n, out);
	if (m->objective == GB_SOFTMAX)
		for (size_t i = 0; i < n; i++)
			ml_softmax(out + i * K, K);
}

static void
gbdt_write(const void *state, MLBuffer *out)
{
	const Gbdt *m = state;
	int			T = m->n_rounds * m->K;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_u32(out, (uint32_t) m->K);
	buffer_put_u8(out, (uint8_t) m->objective);
	buffer_put_u32(out, (uint32_t) m->n_rounds);
	buffer_put_f64s(out, m->base, m->K);
	for (int t = 0; t <= T; t++)
		buffer_put_u32(out, m->start[t]);
	for (uint32_t i = 0; i < m->start[T]; i++)
	{
		const GbNode *nd = &m->nodes[i];

		buffer_put_u32(out, (uint32_t) nd->feature);
		buffer_put_u32(out, (uint32_t) nd->left);
		buffer_put_u32(out, (uint32_t) nd->right);
		buffer_put_u8(out, nd->default_left);
		buffer_put_f64(out, nd->threshold);
		buffer_put_f64(out, nd->value);
		buffer_put_f64(out, nd->gain);
		buffer_put_f64(out, nd->cover);
	}
}

static void *
gbdt_read(MLReader *in, size_t p, int k)
{
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	int			T;

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	m->K = (int) reader_u32(in);
	m->objective = reader_u8(in);
	m->n_rounds = (int) reader_u32(in);
	if (m->p != p || m->k != k || m->objective < GB_SQUARED || m->objective > GB_SOFTMAX ||
		m->K != (m->objective == GB_SOFTMAX ? k : 1) || m->K < 1 ||
		m->n_rounds < 0 || m->n_rounds > 100000)
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model shape does not match its header");
	if (((size_t) m->n_rounds * (size_t) m->K + 1) * 4 > in->len - in->pos)
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model is truncated");
	T = m->n_rounds * m->K;
	m->base = reader_f64s(in, (size_t) m->K);
	m->start = ml_alloc(sizeof(uint32_t) * ((size_t) T + 1));
	for (int t = 0; t <= T; t++)
	{
		m->start[t] = reader_u32(in);
		if ((t == 0 && m->start[t] != 0) || (t > 0 && m->start[t] <= m->start[t - 1]))
			ml_error(ML_ERR_CORRUPT, NULL, "gbdt model tree offsets are invalid");
	}
	if ((size_t) m->start[T] > (in->len - in->pos) / (4 * 3 + 1 + 8 * 4))
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model is truncated");
	m->nodes = ml_alloc(sizeof(GbNode) * (m->start[T] ? m->start[T] : 1));
	for (int t = 0; t < T; t++)
	{
		uint32_t	size = m->start[t + 1] - m->start[t];

		for (uint32_t i = 0; i < size; i++)
		{
			GbNode	   *nd = &m->nodes[m->start[t] + i];

			nd->feature = (int32_t) reader_u32(in);
			nd->left = (int32_t) reader_u32(in);
			nd->right = (int32_t) reader_u32(in);
			nd->default_left = reader_u8(in);
			nd->threshold = reader_f64(in);
			nd->value = reader_f64(in);
			nd->gain = reader_f64(in);
			nd->cover = reader_f64(in);
			/* children come after their parent: every walk ends */
			if (nd->feature >= 0 &&
				((size_t) nd->feature >= p || nd->left <= (int32_t) i || nd->right <= (int32_t) i ||
				 (uint32_t) nd->left >= size || (uint32_t) nd->right >= size ||
				 isnan(nd->threshold)))
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node is invalid");
			if (nd->feature < -1 || !isfinite(nd->value))
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node is invalid");
		}
	}
	gbdt_compile(m);
	return m;
}

static const char *
objective_name(int obj)
{
	static const char *const names[] = {"", "squared_error", "absolute_error", "huber",
	"logloss", "softmax"};

	return obj >= GB_SQUARED && obj <= GB_SOFTMAX ? names[obj] : "?";
}

static void
gbdt_describe(const void *state, MLBuffer *json)
{
	const Gbdt *m = state;
	int			T = m->n_rounds * m->K;
	uint32_t	leaves = 0;

	for (uint32_t i = 0; i < m->start[T]; i++)
		leaves += m->nodes[i].feature < 0;
	buffer_printf(json, "{\"objective\": \"%s\", \"rounds\": %d, \"trees\": %d, \"nodes\": %u, \"leaves\": %u, \"base_score\": [",
				  objective_name(m->objective), m->n_rounds, T, m->start[T], leaves);
	for (int c = 0; c < m->K; c++)
	{
		buffer_printf(json, "%s", c ? ", " : "");
		buffer_json_num(json, m->base[c]);
	}
	buffer_printf(json, "]}");
}

/* total split gain per feature, normalized to sum 1 */
void
gbdt_importance_of(const void *state, GbImportance kind, double *out)
{
	const Gbdt *m = state;
	double		s = 0;

	memset(out, 0, sizeof(double) * m->p);
	for (uint32_t i = 0; i < m->start[m->n_rounds * m->K]; i++)
		if (m->nodes[i].feature >= 0)
			out[m->nodes[i].feature] += kind == GB_IMPORTANCE_GAIN ? m->nodes[i].gain
				: kind == GB_IMPORTANCE_COVER ? m->nodes[i].cover : 1.0;
	for (size_t j = 0; j < m->p; j++)
		s += out[j];
	if (s > 0)
		for (size_t j = 0; j < m->p; j++)
			out[j] /= s;
}

static void
gbdt_importance(const void *state, const MLDataset *train, double *out)
{
	(void) train;
	gbdt_importance_of(state, GB_IMPORTANCE_GAIN, out);
}

static int
gbdt_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Gbdt *m = state;
	int			K = m->K,
				c = 0;
	ShapNode   *sn = NULL;
	uint8_t    *hot = NULL;
	uint32_t	cap = 0;

	(void) mean;				/* TreeSHAP is relative to the expected value already */

	if (K > 1)
	{
		double	   *raw = ml_alloc(sizeof(double) * K);

		gbdt_raw(m, x, 1, raw);
		c = ml_argmax(raw, K);
		ml_free(raw);
	}
	memset(phi, 0, sizeof(double) * (m->p + 1));
	phi[m->p] = m->base[c];
	for (int r = 0; r < m->n_rounds; r++)
	{
		const GbNode *tree = m->nodes + m->start[r * K + c];
		uint32_t	size = m->start[r * K + c + 1] - m->start[r * K + c];

		if (size > cap)
		{
			if (sn)
			{
				ml_free(sn);
				ml_free(hot);
			}
			cap = size;
			sn = ml_alloc(sizeof(ShapNode) * cap);
			hot = ml_alloc(cap);
		}
		for (uint32_t i = 0; i < size; i++)
		{
			sn[i].feature = tree[i].feature;
			sn[i].left = tree[i].left;
			sn[i].right = tree[i].right;
			sn[i].cover = tree[i].cover;
			sn[i].value = tree[i].value;
			if (tree[i].feature >= 0)
			{
				double		v = x[tree[i].feature];

				hot[i] = isnan(v) ? tree[i].default_left : v < tree[i].threshold;
			}
		}
		treeshap_add(sn, hot, 1.0, phi, &phi[m->p]);
	}
	if (sn)
	{
		ml_free(sn);
		ml_free(hot);
	}
	return K > 1 ? c : -1;
}

/*
 * For tests: the path-dependent expectation of the explained output at x
 * when only the features in `known` (a bit mask) are known, summed over the
 * trees of class c plus the base score: the value function whose Shapley
 * values TreeSHAP computes.
 */
static double
known_expectation(const GbNode *tree, int j, const double *x, uint64_t known)
{
	const GbNode *nd = &tree[j];

	if (nd->feature < 0)
		return nd->value;
	if (known & ((uint64_t) 1 << nd->feature))
	{
		double		v = x[nd->feature];
		bool		left = isnan(v) ? nd->default_left : v < nd->threshold;

		return known_expectation(tree, left ? nd->left : nd->right, x, known);
	}
	{
		double		cl = tree[nd->left].cover,
					cr = tree[nd->right].cover;

		return (cl * known_expectation(tree, nd->left, x, known) +
				cr * known_expectation(tree, nd->right, x, known)) / (cl + cr);
	}
}

double		gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c);

double
gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c)
{
	const Gbdt *m = state;
	double		s = m->base[c];

	for (int r = 0; r < m->n_rounds; r++)
		s += known_expectation(m->nodes + m->start[r * m->K + c], 0, x, known);
	return s;
}

/* the importance kinds beside gain, as XGBoost's weight and cover */
static const char *const gbdt_importance_kinds[] = {"split_count", "cover", NULL};

static void
gbdt_importance_kind(const void *state, int kind, double *out)
{
	gbdt_importance_of(state, kind == 0 ? GB_IMPORTANCE_SPLITS : GB_IMPORTANCE_COVER, out);
}

const MLLearner ml_learner_gbdt = {
	.name = "gbdt",
	.id = 15,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = gbdt_params,
	.doc = "gradient-boosted trees, histogram algorithm, native missing values",
	.encode = ML_ENCODE_ORDINAL,
	.keep_missing = true,
	.importance_method = "gain",
	.fit = gbdt_fit,
	.predict = gbdt_predict,
	.write = gbdt_write,
	.read = gbdt_read,
	.describe = gbdt_describe,
	.importance = gbdt_importance,
	.explain = gbdt_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
	.importance_kinds = gbdt_importance_kinds,
	.importance_kind = gbdt_importance_kind,
};

/*
 * ---- import: an XGBoost model saved as JSON ----
 *
 * XGBoost (1.x, booster "gbtree") saves learner.learner_model_param
 * (base_score, num_class, num_feature as strings), learner.objective.name,
 * and per tree the arrays left_children, right_children, split_indices,
 * split_conditions (the leaf value at a leaf), default_left, loss_changes
 * and sum_hessian; tree_info gives each tree's class.  XGBoost compares
 * float32: a row goes left when (float) x < t.  For a double x that is
 * x < m, m the midpoint between t and the float below it (or just above m
 * when m itself rounds down), so the imported thresholds give XGBoost's
 * routes for every input.  Nodes are renumbered breadth first, so children
 * are adjacent; nodes no path reaches (XGBoost's deleted ones) are dropped.
 */
static const MLJson *
xgb_member(const MLJson *obj, const char *key, MLJsonType type)
{
	const MLJson *v = json_get(obj, key);

	if (v == NULL || v->type != type)
		ml_error(ML_ERR_PARAM, "Pass the JSON that XGBoost's save_model writes for a \".json\" file name.",
				 "XGBoost model has no %s \"%s\"", json_type_name(type), key);
	return v;
}

/* a number that XGBoost may have written as a string ("5E-1") */
static double
xgb_number(const MLJson *obj, const char *key)
{
	const MLJson *v = json_get(obj, key);
	char	   *end;
	double		x;

	if (v && v->type == ML_JSON_NUMBER)
		return v->num;
	if (v == NULL || v->type != ML_JSON_STRING)
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model has no number \"%s\"", key);
	x = strtod(v->str, &end);
	if (end == v->str || *end != '\0' || !isfinite(x))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's \"%s\" is not a number: \"%s\"", key, v->str);
	return x;
}

/* array item i as a finite number (booleans as 0 / 1) */
static double
xgb_item(const MLJson *arr, int i, const char *key)
{
	const MLJson *v = arr->items[i];

	if ((v->type != ML_JSON_NUMBER && v->type != ML_JSON_BOOL) || !isfinite(v->num))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's \"%s\" holds a non-number", key);
	return v->num;
}

/* the double threshold t' with x < t' exactly when (float) x < t */
static double
float_threshold(double v)
{
	float		t = (float) v;
	double		m;

	if (isinf(t))
		return t < 0 ? -INFINITY : (double) FLT_MAX + ldexp(1.0, 103);	/* rounds to inf */
	m = ((double) nextafterf(t, -INFINITY) + (double) t) / 2;
	return (float) m < t ? nextafter(m, INFINITY) : m;
}

MLModel *
gbdt_import_xgboost(const char *text, size_t len, char *const *names, int n_names)
{
	MLJson	   *root = json_parse(text, len, "model");
	const MLJson *learner = xgb_member(root, "learner", ML_JSON_OBJECT);
	const MLJson *lmp = xgb_member(learner, "learner_model_param", ML_JSON_OBJECT);
	const MLJson *gb = xgb_member(learner, "gradient_booster", ML_JSON_OBJECT);
	const char *oname = xgb_member(xgb_member(learner, "objective", ML_JSON_OBJECT), "name", ML_JSON_STRING)->str;
	const MLJson *gmodel,
			   *trees,
			   *info,
			   *fnames;
	double		base = xgb_number(lmp, "base_score"),
				nf = xgb_number(lmp, "num_feature"),
				nc = xgb_number(lmp, "num_class");
	MLModel    *model = ml_alloc(sizeof(MLModel));
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	size_t		p,
				total = 0;
	int			T;
	char	  **cols;

	if (strcmp(xgb_member(gb, "name", ML_JSON_STRING)->str, "gbtree") != 0)
		ml_error(ML_ERR_PARAM, "Only tree boosters import; gblinear and dart models do not.",
				 "XGBoost booster \"%s\" cannot be imported", xgb_member(gb, "name", ML_JSON_STRING)->str);
	if (!(nf >= 1 && nf <= 100000 && nf == floor(nf)))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's num_feature %g is not a feature count", nf);
	p = (size_t) nf;
	if (strcmp(oname, "binary:logistic") == 0)
	{
		if (!(base > 0 && base < 1))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's base_score %g is not a probability", base);
		m->objective = GB_LOGISTIC;
		m->k = 2;
		m->K = 1;
		base = log(base / (1 - base));
	}
	else if (strcmp(oname, "multi:softprob") == 0 || strcmp(oname, "multi:softmax") == 0)
	{
		if (!(nc >= 2 && nc <= 10000 && nc == floor(nc)))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's num_class %g is not a class count", nc);
		m->objective = GB_SOFTMAX;
		m->k = m->K = (int) nc;
	}
	else if (strcmp(oname, "reg:squarederror") == 0 || strcmp(oname, "reg:linear") == 0 ||
			 strcmp(oname, "reg:absoluteerror") == 0 || strcmp(oname, "reg:pseudohubererror") == 0)
	{
		m->objective = GB_SQUARED;	/* an identity link: the loss mattered only to training */
		m->k = 0;
		m->K = 1;
	}
	else
		ml_error(ML_ERR_PARAM,
				 "Objectives that import: binary:logistic, multi:softprob, multi:softmax, reg:squarederror, reg:absoluteerror, reg:pseudohubererror.",
				 "XGBoost objective \"%s\" cannot be imported", oname);
	m->p = p;
	gmodel = xgb_member(gb, "model", ML_JSON_OBJECT);
	trees = xgb_member(gmodel, "trees", ML_JSON_ARRAY);
	info = xgb_member(gmodel, "tree_info", ML_JSON_ARRAY);
	T = trees->n;
	if (T == 0 || T % m->K != 0 || info->n != T || T / m->K > 100000)
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model has %d trees for %d per round", T, m->K);
	for (int t = 0; t < T; t++)
		if (xgb_item(info, t, "tree_info") != t % m->K)
			ml_error(ML_ERR_PARAM, "Import models trained with num_parallel_tree 1.",
					 "XGBoost model's trees are not one per class per round");
	m->n_rounds = T / m->K;
	m->base = ml_alloc(sizeof(double) * m->K);
	for (int c = 0; c < m->K; c++)
		m->base[c] = base;
	m->start = ml_alloc(sizeof(uint32_t) * ((size_t) T + 1));
	for (int t = 0; t < T; t++)
		total += (size_t) xgb_member(trees->items[t], "left_children", ML_JSON_ARRAY)->n;
	if (total > (size_t) INT32_MAX)
		ml_error(ML_ERR_LIMIT, NULL, "XGBoost model has too many nodes");
	m->nodes = ml_alloc(sizeof(GbNode) * (total ? total : 1));
	total = 0;
	for (int t = 0; t < T; t++)
	{
		const MLJson *tr = trees->items[t];
		const MLJson *lc = xgb_member(tr, "left_children", ML_JSON_ARRAY),
				   *rc = xgb_member(tr, "right_children", ML_JSON_ARRAY),
				   *si = xgb_member(tr, "split_indices", ML_JSON_ARRAY),
				   *sc = xgb_member(tr, "split_conditions", ML_JSON_ARRAY),
				   *dl = xgb_member(tr, "default_left", ML_JSON_ARRAY),
				   *lch = json_get(tr, "loss_changes"),
				   *hess = json_get(tr, "sum_hessian"),
				   *st = json_get(tr, "split_type");
		int			nn = lc->n,
					next = 1;
		int		   *order,
				   *newid;

		if (nn == 0 || rc->n != nn || si->n != nn || sc->n != nn || dl->n != nn ||
			(lch && (lch->type != ML_JSON_ARRAY || lch->n != nn)) ||
			(hess && (hess->type != ML_JSON_ARRAY || hess->n != nn)) ||
			(st && (st->type != ML_JSON_ARRAY || st->n != nn)))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d has arrays of different lengths", t);
		order = ml_alloc(sizeof(int) * nn);
		newid = ml_alloc(sizeof(int) * nn);
		for (int i = 0; i < nn; i++)
			newid[i] = -1;
		newid[0] = 0;
		for (int head = 0; head < next; head++)
		{
			int			x = head == 0 ? 0 : order[head];
			double		l = xgb_item(lc, x, "left_children"),
						r = xgb_item(rc, x, "right_children");
			GbNode	   *nd = &m->nodes[total + head];

			order[head] = x;
			memset(nd, 0, sizeof(GbNode));
			nd->cover = hess ? xgb_item(hess, x, "sum_hessian") : 0;
			if (st && xgb_item(st, x, "split_type") != 0)
				ml_error(ML_ERR_PARAM, "Import models trained without categorical features.",
						 "XGBoost model's tree %d has a categorical split", t);
			if (l == -1 && r == -1)
			{
				nd->feature = -1;
				nd->value = (double) (float) xgb_item(sc, x, "split_conditions");
				continue;
			}
			if (!(l >= 1 && l < nn && r >= 1 && r < nn && l == floor(l) && r == floor(r)) ||
				newid[(int) l] >= 0 || newid[(int) r] >= 0 || l == r)
				ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d is not a tree", t);
			{
				double		f = xgb_item(si, x, "split_indices");

				if (!(f >= 0 && f < (double) p && f == floor(f)))
					ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d splits on feature %g of %zu", t, f, p);
				nd->feature = (int32_t) f;
			}
			nd->threshold = float_threshold(xgb_item(sc, x, "split_conditions"));
			nd->default_left = xgb_item(dl, x, "default_left") != 0;
			nd->gain = lch ? xgb_item(lch, x, "loss_changes") : 0;
			nd->left = next;
			nd->right = next + 1;
			newid[(int) l] = next;
			order[next++] = (int) l;
			newid[(int) r] = next;
			order[next++] = (int) r;
		}
		m->start[t] = (uint32_t) total;
		total += (size_t) next;
		ml_free(order);
		ml_free(newid);
	}
	m->start[T] = (uint32_t) total;
	gbdt_compile(m);

	/* feature names: given, else XGBoost's, else x1, x2, ... */
	fnames = json_get(learner, "feature_names");
	if (n_names > 0 && (size_t) n_names != p)
		ml_error(ML_ERR_PARAM, NULL, "features has %d names, the XGBoost model takes %zu features", n_names, p);
	cols = ml_alloc(sizeof(char *) * p);
	for (size_t j = 0; j < p; j++)
	{
		if (n_names > 0)
			cols[j] = ml_strdup(names[j]);
		else if (fnames && fnames->type == ML_JSON_ARRAY && (size_t) fnames->n == p &&
				 fnames->items[j]->type == ML_JSON_STRING && fnames->items[j]->str[0])
			cols[j] = ml_strdup(fnames->items[j]->str);
		else
		{
			cols[j] = ml_alloc(24);
			snprintf(cols[j], 24, "x%zu", j + 1);
		}
	}
	model->learner = learner_find("gbdt");
	model->task = m->k > 0 ? ML_CLASSIFICATION : ML_REGRESSION;
	model->label_type = m->k > 0 ? ML_LABEL_NUMERIC : ML_LABEL_NONE;
	model->pipeline = pipeline_identity(cols, (int) p);
	model->n_features = p;
	model->feature_names = model->pipeline->out_names;
	model->target_name = ml_strdup("y");
	model->threshold = NAN;
	model->n_classes = m->k;
	if (m->k > 0)
	{
		model->class_labels = ml_alloc(sizeof(char *) * m->k);
		model->class_values = ml_alloc(sizeof(double) * m->k);
		for (int c = 0; c < m->k; c++)
		{
			model->class_labels[c] = ml_alloc(16);
			snprintf(model->class_labels[c], 16, "%d", c);
			model->class_values[c] = c;
		}
	}
	model->state = m;
	return model;
}
