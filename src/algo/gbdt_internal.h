/*-------------------------------------------------------------------------
 *
 * gbdt_internal.h
 *	  What the files of the gbdt learner share: the model, its nodes, and
 *	  the tree grower's state.
 *
 * gbdt.c is the learner (its parameters, prediction, model bytes and
 * insight), gbdt_fit.c the boosting loop, gbdt_grow.c binning and the growth
 * of one tree from a histogram per node, gbdt_score.c the scoring layouts
 * and tree walks, gbdt_xgboost.c the import of XGBoost's JSON models.  The method is described at the top of gbdt.c.
 * Only these files include this header; callers elsewhere use gbdt.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_GBDT_INTERNAL_H
#define ML_GBDT_INTERNAL_H

#include "../core/model.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define GB_MISSING 255			/* bin of a missing value */
/*
 * Histogram entries per feature: 256 bins and 8 of padding.  A stride of
 * exactly 4 KiB put bin b of every feature in the same cache sets, so wide
 * data whose features share a most frequent bin (the zero pixels of images)
 * missed the caches on nearly every update: 5.0 against 0.77 ns per update
 * measured on 784 features with half their values in one bin.
 */
#define GB_STRIDE 264
#define GB_CHUNK 32768			/* rows per partial histogram */
#define GB_GROUP_WORK 65536		/* row x feature updates worth sharing by feature groups */
#define GB_GROUP_MIN 4			/* features per group at least */

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
	struct FNode *fnodes;		/* float copy for scoring, or NULL (gbdt_score.c) */
	double	   *leaf;			/* per node: the leaf value (scoring) */
	uint32_t   *depth;			/* per tree: its depth (scoring) */
	uint32_t   *used;			/* the features some split reads, ascending */
	uint32_t	n_used;
} Gbdt;

/*
 * Scoring node: 16 bytes.  fd = 2 * feature + default_left; children are
 * adjacent (right = left + 1), left counted from this node.  A leaf loops
 * to itself: feature 0, missing goes right, threshold NaN (so every value
 * goes right) and left = -1.  So a walk of the tree's depth steps, without
 * a test for leaves, ends on the row's leaf, whose value is in Gbdt.leaf.
 */
typedef struct PNode
{
	double		thr;
	int32_t		fd;
	int32_t		left;
} PNode;

/*
 * The same node on floats (gbdt_score.c): the smallest float not below the
 * threshold; fd = 2 * feature + default_left indexes a row's two copies of
 * each feature; left, from this node, in 16 bits.
 */
typedef struct FNode
{
	float		thr;
	uint16_t	fd;
	int16_t		left;
} FNode;

/* ---- binning (gbdt_grow.c) ---- */

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

/*
 * gbdt_find_cuts: the bin edges of every feature of b->d from b->rows
 * (b->cuts[j] allocated by the caller with max_bins slots; b->n_bins set)
 */
extern void gbdt_find_cuts(Binning *b, int threads);

/* gbdt_bin_rows: bins of rows[0..n) of d (rows NULL: all), n x p row-major, ml_alloc'd */
extern uint8_t *gbdt_bin_rows(Binning *b, const MLDataset *d, const size_t *rows, size_t n, int threads);

/* ---- tree growth (gbdt_grow.c) ---- */

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
	int			h_groups;		/* feature groups per chunk */
	GH		   *h_out;			/* one chunk: the histogram itself */
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

/*
 * gbdt_grow_tree: grow one tree on the rows gr->idx[0..n) from the
 * gradients gr->gh; the nodes are gr->nodes[0..gr->n_nodes), and each
 * node's rows are gr->idx[lo..hi) (idx is reordered)
 */
extern void gbdt_grow_tree(Grower *gr, size_t n);

/* ---- the model (gbdt.c, gbdt_fit.c) ---- */

/* the learner's fit (gbdt_fit.c) */
extern void *gbdt_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
					  MLFitContext *ctx);

/* gbdt_compile: the scoring copies of m's nodes (children must be adjacent; gbdt_score.c) */
extern void gbdt_compile(Gbdt *m);

/* gbdt_raw: raw scores (K per row, base score included) of n rows of X (gbdt_score.c) */
extern void gbdt_raw(const Gbdt *m, const double *X, size_t n, double *raw);

/*
 * gbdt_raw_to_output: predictions from raw scores F (class c of row i at
 * F[c * n + i]), with gbdt_predict's arithmetic: an ml_alloc'd n x width array
 */
extern double *gbdt_raw_to_output(const Gbdt *m, const double *F, size_t n);

static inline double
gb_sigmoid(double z)
{
	double		e = exp(z >= 0 ? -z : z);	/* one exp call (not CSE'd: errno) */

	return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

#endif							/* ML_GBDT_INTERNAL_H */
