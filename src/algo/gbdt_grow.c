/*-------------------------------------------------------------------------
 *
 * gbdt_grow.c
 *	  gbdt: binning the features, and growing one tree from histograms.
 *
 * Binning: at most max_bins (<= 255) bins per feature, cut at midpoints
 * between quantiles of a stride sample of at most GB_SAMPLE training
 * values (each distinct value its own bin when there are few); a missing
 * value (NaN) has bin GB_MISSING.  Bins are a row-major uint8 matrix.
 *
 * Growth: a node's histogram holds per feature and bin the sums of the
 * gradients and hessians of its rows; the best split over the bins (with
 * the missing rows on either side) comes from it, as described in gbdt.c.
 * Only the smaller child's histogram is built, the larger one is the
 * parent's minus it.  Rows are summed in chunks of GB_CHUNK, one partial
 * histogram per chunk, added in chunk order, and large nodes partitioned by
 * the same chunks; depth-wise growth grows small nodes as whole subtrees in
 * tasks.  Every choice depends on row counts only, never on the thread
 * count, so a tree is the same for any mlsql.threads.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/parallel.h"
#include "../core/sortcount.h"
#include "gbdt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GB_SAMPLE 262144		/* values per feature for the bin edges */
#define GB_PREFETCH 32			/* rows ahead to prefetch in the row loops */

/* ---- binning ---- */

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

/* see gbdt_internal.h */
uint8_t *
gbdt_bin_rows(Binning *b, const MLDataset *d, const size_t *rows, size_t n, int threads)
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

/* see gbdt_internal.h; the features on worker threads when the data is large */
void
gbdt_find_cuts(Binning *b, int threads)
{
	size_t		p = b->d->n_cols;

	if (threads > 1 && (double) b->n * p > 1e6)
		ml_parallel_for((int) p, threads, cuts_task, b);
	else
		for (size_t j = 0; j < p; j++)
			cuts_task(b, (int) j);
}

/* ---- tree growth ---- */

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

/*
 * add rows[0..n) into H for the tree's features feats[a0..a1) (H zeroed by
 * the caller).  Each entry sums its rows in row order whatever the range,
 * so splitting the features among tasks gives the same sums.
 */
static void
hist_rows(const Grower *gr, const uint32_t *rows, size_t n, GH *H, int a0, int a1)
{
	size_t		p = gr->p;
	const uint8_t *bins = gr->bins;
	const GH   *gh = gr->gh;

	if (gr->nf == (int) p)
	{
		/* every feature: the row's bytes a0..a1 are contiguous */
		size_t		f0 = (size_t) a0,
					f1 = (size_t) a1;

		for (size_t i = 0; i < n; i++)
		{
			uint32_t	r = rows[i];
			const uint8_t *b = bins + (size_t) r * p;
			double		g = gh[r].g,
						h = gh[r].h;

			if (i + GB_PREFETCH < n)
			{
				__builtin_prefetch(bins + (size_t) rows[i + GB_PREFETCH] * p + f0);
				__builtin_prefetch(gh + rows[i + GB_PREFETCH]);
			}
#pragma GCC unroll 4
			for (size_t f = f0; f < f1; f++)
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
			__builtin_prefetch(bins + (size_t) rows[i + GB_PREFETCH] * p + gr->feats[a0]);
			__builtin_prefetch(gh + rows[i + GB_PREFETCH]);
		}
		for (int a = a0; a < a1; a++)
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
zero_hist(const Grower *gr, GH *H, int a0, int a1)
{
	for (int a = a0; a < a1; a++)
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

/* the features of group g of h_groups: feats[*a0..*a1) */
static void
hist_group(const Grower *gr, int g, int *a0, int *a1)
{
	*a0 = (int) ((long) gr->nf * g / gr->h_groups);
	*a1 = (int) ((long) gr->nf * (g + 1) / gr->h_groups);
}

/*
 * task t: chunk t / h_groups of the rows, the features of group
 * t % h_groups, into the chunk's partial histogram (or into h_out when the
 * rows are one chunk)
 */
static void
hist_task(void *arg, int t)
{
	Grower	   *gr = arg;
	int			c = t / gr->h_groups,
				a0,
				a1;
	size_t		lo = (size_t) c * GB_CHUNK,
				hi = lo + GB_CHUNK < gr->h_n ? lo + GB_CHUNK : gr->h_n;
	GH		   *H = gr->h_out ? gr->h_out : gr->partial[c];

	hist_group(gr, t % gr->h_groups, &a0, &a1);
	zero_hist(gr, H, a0, a1);
	hist_rows(gr, gr->h_rows + lo, hi - lo, H, a0, a1);
}

/*
 * The histogram of rows[0..n) into H.  Rows are summed in chunks of
 * GB_CHUNK, each into its own partial histogram, and the partials are added
 * in chunk order: the sums depend on the rows only, never on the thread
 * count.  With several threads, the tasks are the chunks times groups of
 * features when the chunks alone are too few to share out (a group's
 * entries are summed in the same row order, so the sums do not change).
 */
static void
build_hist(Grower *gr, const uint32_t *rows, size_t n, GH *H)
{
	int			chunks = (int) ((n + GB_CHUNK - 1) / GB_CHUNK),
				groups = 1;

	if (gr->threads > 1 && chunks == 1 && n * (size_t) gr->nf >= GB_GROUP_WORK)
	{
		groups = gr->threads;
		if (groups > gr->nf / GB_GROUP_MIN)
			groups = gr->nf / GB_GROUP_MIN;
		if (groups < 1)
			groups = 1;
	}
	if (chunks <= 1 && groups <= 1)
	{
		zero_hist(gr, H, 0, gr->nf);
		hist_rows(gr, rows, n, H, 0, gr->nf);
		return;
	}
	gr->h_rows = rows;
	gr->h_n = n;
	gr->h_groups = groups;
	gr->h_out = chunks <= 1 ? H : NULL;
	while (chunks > 1 && gr->n_partial < chunks)
		gr->partial[gr->n_partial++] = ml_alloc(ml_mul_size(ml_mul_size(gr->p, GB_STRIDE), sizeof(GH)));
	if (gr->threads > 1)
		ml_parallel_for(chunks * groups, gr->threads, hist_task, gr);
	else
		for (int t = 0; t < chunks * groups; t++)
			hist_task(gr, t);
	if (chunks <= 1)
		return;
	zero_hist(gr, H, 0, gr->nf);
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

/* see gbdt_internal.h */
void
gbdt_grow_tree(Grower *gr, size_t n)
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
