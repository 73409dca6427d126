/*-------------------------------------------------------------------------
 *
 * gbdt_score.c
 *	  Scoring of gbdt models: the compact node layouts and the tree walks.
 *
 * gbdt_compile builds, from the model's nodes, the layouts the walks read
 * (none is stored; the model bytes are the nodes).  A walk takes a tree's
 * depth steps without a test for leaves: a leaf loops to itself.
 *
 * Two layouts.  PNode (16 bytes: a double threshold) serves every row.
 * FNode (8 bytes: a float threshold, 16-bit feature and child indexes)
 * serves rows whose values are all floats (or missing): the float4 columns
 * of a table, or float8 values that a float4 holds exactly, checked per
 * row (one conversion and compare per feature the trees use).  For such
 * an x, x < t (t a double) holds exactly when x < up(t), where up(t) is the
 * smallest float not below t: if x < t <= up(t) then x < up(t); if
 * x < up(t) then x is a float below the smallest float not below t, so
 * x < t.  (up(t) is +inf above FLT_MAX.)  So both walks reach the same
 * leaves and the sums, added in tree order, are bit for bit the same; the
 * float walk reads half the node bytes, which keeps more of a model in
 * the caches.  FNode needs at most 32 768 features and 32 768 nodes per
 * tree; a model beyond that has only PNode.
 *
 * A single row walks eight trees in lockstep (one row's walk is a chain of
 * dependent loads, eight chains overlap); blocks of rows walk each tree in
 * turn, eight rows in lockstep.  Time: O(rows x trees x depth); memory:
 * the two layouts, 24 bytes per node, plus a leaf value per node.
 *
 *-------------------------------------------------------------------------
 */
#include "gbdt_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GB_BLOCK 64				/* rows scored together through every tree */
#define GB_ROW_FLOATS 1024		/* features a single row converts on the stack */
#define GB_LANES 16			/* trees one row walks in lockstep */

/* the smallest float not below t (t not NaN) */
static float
float_up(double t)
{
	float		f = (float) t;

	if ((double) f < t)
		f = nextafterf(f, INFINITY);
	return f;
}

/* the scoring copies of the nodes; children must be adjacent */
void
gbdt_compile(Gbdt *m)
{
	int			T = m->n_rounds * m->K;
	uint32_t	total = m->start[T];
	uint32_t   *node_depth = ml_alloc(sizeof(uint32_t) * (total ? total : 1));
	bool		compact = m->p >= 1 && m->p <= 32768;	/* fd in 16 bits */
	bool	   *used = ml_alloc(m->p ? m->p : 1);

	memset(node_depth, 0, sizeof(uint32_t) * (total ? total : 1));
	memset(used, 0, m->p ? m->p : 1);
	m->pnodes = ml_alloc(sizeof(PNode) * (total ? total : 1));
	m->leaf = ml_alloc(sizeof(double) * (total ? total : 1));
	m->depth = ml_alloc(sizeof(uint32_t) * (T ? T : 1));
	memset(m->depth, 0, sizeof(uint32_t) * (T ? T : 1));
	for (int t = 0; t < T; t++)
	{
		uint32_t	s0 = m->start[t];

		if (m->start[t + 1] - s0 > 32768)
			compact = false;
		/* children come after their parent (checked by the reader) */
		for (uint32_t i = s0; i < m->start[t + 1]; i++)
		{
			const GbNode *nd = &m->nodes[i];
			PNode	   *pn = &m->pnodes[i];

			m->leaf[i] = 0;
			if (nd->feature < 0)
			{
				pn->fd = 0;
				pn->left = -1;
				pn->thr = NAN;
				m->leaf[i] = nd->value;
				if (node_depth[i] > m->depth[t])
					m->depth[t] = node_depth[i];
				continue;
			}
			if (nd->right != nd->left + 1)
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node children are not adjacent");
			pn->fd = 2 * nd->feature + (nd->default_left ? 1 : 0);
			pn->left = nd->left - (int32_t) (i - s0);
			pn->thr = nd->threshold;
			used[nd->feature] = true;
			if (nd->threshold == -INFINITY)
				compact = false;	/* a missing value sent left is -inf */
			node_depth[s0 + nd->left] = node_depth[s0 + nd->right] = node_depth[i] + 1;
		}
	}
	ml_free(node_depth);
	m->fnodes = NULL;
	m->n_used = 0;
	m->used = ml_alloc(sizeof(uint32_t) * (m->p ? m->p : 1));
	for (size_t j = 0; j < m->p; j++)
		if (used[j])
			m->used[m->n_used++] = (uint32_t) j;
	ml_free(used);
	if (!compact)
		return;
	m->fnodes = ml_alloc(sizeof(FNode) * (total ? total : 1));
	for (uint32_t i = 0; i < total; i++)
	{
		const PNode *pn = &m->pnodes[i];
		FNode	   *fn = &m->fnodes[i];

		/* a leaf: NaN sends every value right, to itself - 1 + 1 */
		fn->thr = isnan(pn->thr) ? NAN : float_up(pn->thr);
		fn->fd = (uint16_t) pn->fd;
		fn->left = (int16_t) pn->left;
	}
}

/* one step down: missing values take the default direction */
static inline const PNode *
pnode_step(const PNode *nd, const double *x)
{
	double		v = x[nd->fd >> 1];
	int			nan = v != v;

	return nd + nd->left + (!(v < nd->thr) ^ (nan & nd->fd & 1));
}

/*
 * The same step on the float layout, whose rows hold two copies of each
 * feature (rows_as_floats): fd picks the one for the node's default
 * direction, in which a missing value is -inf (goes left: no threshold is
 * -inf) or +inf (goes right), so the step needs no test for NaN.
 */
static inline const FNode *
fnode_step(const FNode *nd, const float *x)
{
	return nd + nd->left + !(x[nd->fd] < nd->thr);
}

/*
 * Add a tree's leaf to its class's raw score: one output sums in a register
 * (the same additions in the same order), several take turns without a
 * division per tree.
 */
#define GB_ADD(v) \
	do { \
		double		v_ = (v); \
\
		if (K == 1) \
			s += v_; \
		else \
		{ \
			raw[c] += v_; \
			c = c + 1 == K ? 0 : c + 1; \
		} \
	} while (0)

#define GB_WALKS(NAME, NODE, NODES, STEP, X, WIDTH) \
static void \
NAME##_row(const Gbdt *m, const X *x, double *raw) \
{ \
	int			K = m->K, \
				T = m->n_rounds * m->K, \
				t = 0, \
				c = 0; \
	double		s = raw[0]; \
\
	for (; t + GB_LANES <= T; t += GB_LANES) \
	{ \
		const NODE *at[GB_LANES]; \
		uint32_t	depth = 0; \
\
		for (int r = 0; r < GB_LANES; r++) \
		{ \
			at[r] = m->NODES + m->start[t + r]; \
			if (m->depth[t + r] > depth) \
				depth = m->depth[t + r]; \
		} \
		for (uint32_t d = 0; d < depth; d++) \
			_Pragma("GCC unroll 16") \
			for (int r = 0; r < GB_LANES; r++) \
				at[r] = STEP(at[r], x); \
		for (int r = 0; r < GB_LANES; r++) \
			GB_ADD(m->leaf[at[r] - m->NODES]); \
	} \
	for (; t < T; t++) \
	{ \
		const NODE *at = m->NODES + m->start[t]; \
\
		for (uint32_t d = 0; d < m->depth[t]; d++) \
			at = STEP(at, x); \
		GB_ADD(m->leaf[at - m->NODES]); \
	} \
	if (K == 1) \
		raw[0] = s; \
} \
\
static void \
NAME##_block(const Gbdt *m, const X *X_, size_t b0, size_t b1, double *raw) \
{ \
	int			K = m->K, \
				T = m->n_rounds * m->K; \
	size_t		W = m->p * (WIDTH), \
				full = b0 + (b1 - b0) / 8 * 8; \
\
	for (int t = 0; t < T && full > b0; t++) \
	{ \
		const NODE *tree = m->NODES + m->start[t]; \
		int			c = t % K; \
\
		for (size_t i = b0; i < full; i += 8) \
		{ \
			const NODE *at[8]; \
\
			for (int r = 0; r < 8; r++) \
				at[r] = tree; \
			for (uint32_t d = 0; d < m->depth[t]; d++) \
				_Pragma("GCC unroll 8") \
				for (int r = 0; r < 8; r++) \
					at[r] = STEP(at[r], X_ + (i - b0 + r) * W); \
			for (int r = 0; r < 8; r++) \
				raw[(i + r) * K + c] += m->leaf[at[r] - m->NODES]; \
		} \
	} \
	for (size_t i = full; i < b1; i++) \
		NAME##_row(m, X_ + (i - b0) * W, raw + i * K); \
}

GB_WALKS(walk_double, PNode, pnodes, pnode_step, double, 1)
GB_WALKS(walk_float, FNode, fnodes, fnode_step, float, 2)

/*
 * Rows i0..i1 of X as floats into xf (row r at xf + (r - i0) * 2p; feature
 * j at 2j, and at 2j + 1 for nodes that send missing values left), the
 * features the trees use only: false when one of them is not a float (nor
 * missing), so that the double walk must read these rows.
 */
static bool
rows_as_floats(const Gbdt *m, const double *X, size_t i0, size_t i1, float *xf)
{
	size_t		p = m->p;
	int			exact = 1;

	for (size_t i = i0; i < i1; i++)
	{
		const double *x = X + i * p;
		float	   *f = xf + (i - i0) * 2 * p;

		for (uint32_t u = 0; u < m->n_used; u++)
		{
			uint32_t	j = m->used[u];
			double		v = x[j];
			float		fv = (float) v;
			int			nan = v != v;

			exact &= ((double) fv == v) | nan;
			f[2 * j] = nan ? INFINITY : fv;
			f[2 * j + 1] = nan ? -INFINITY : fv;
		}
	}
	return exact != 0;
}

void
gbdt_raw(const Gbdt *m, const double *X, size_t n, double *raw)
{
	int			K = m->K;
	size_t		p = m->p;
	float		row[GB_ROW_FLOATS];
	float	   *xf = NULL;

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < K; c++)
			raw[i * K + c] = m->base[c];
	if (m->fnodes != NULL)
	{
		size_t		need = (n < GB_BLOCK ? n : GB_BLOCK) * 2 * p;

		xf = need <= GB_ROW_FLOATS ? row : ml_alloc(sizeof(float) * need);
		/* leaves read feature 0 (any value), which the trees may not use */
		for (size_t i = 0; i < need; i += 2 * p)
			xf[i] = xf[i + 1] = 0;
	}
	for (size_t b0 = 0; b0 < n; b0 += GB_BLOCK)
	{
		size_t		b1 = b0 + GB_BLOCK < n ? b0 + GB_BLOCK : n;

		if (xf != NULL && rows_as_floats(m, X, b0, b1, xf))
		{
			if (b1 - b0 == 1)
				walk_float_row(m, xf, raw + b0 * K);
			else
				walk_float_block(m, xf, b0, b1, raw);
		}
		else if (b1 - b0 == 1)
			walk_double_row(m, X + b0 * p, raw + b0 * K);
		else
			walk_double_block(m, X + b0 * p, b0, b1, raw);
	}
	if (xf != NULL && xf != row)
		ml_free(xf);
}
