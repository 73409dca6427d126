/*-------------------------------------------------------------------------
 *
 * treeshap.c
 *	  Exact TreeSHAP for one tree (see treeshap.h).
 *
 *-------------------------------------------------------------------------
 */
#include "treeshap.h"

#include <string.h>

/*
 * Exact Shapley values of a tree ensemble with path-dependent conditional
 * expectations (Lundberg, Erion & Lee, "Consistent Individualized Feature
 * Attribution for Tree Ensembles", 2018, Algorithm 2), in O(leaves depth^2)
 * per tree.  A path element records a feature d, the share of cover-weighted
 * rows that flow through it when d is unknown (z) or known (o: 1 when x
 * follows it, else 0), and the permutation weight w of the subsets of that
 * size.  Cover is the training weight of a node (gbdt: hessian sum; tree:
 * weighted row count).
 */
typedef struct PathElem
{
	int			d;
	double		z,
				o,
				w;
} PathElem;

/* append (d, z, o) to m[0..len) and update the subset weights */
static void
path_extend(PathElem *m, int len, double z, double o, int d)
{
	m[len].d = d;
	m[len].z = z;
	m[len].o = o;
	m[len].w = len == 0 ? 1.0 : 0.0;
	for (int i = len - 1; i >= 0; i--)
	{
		m[i + 1].w += o * m[i].w * (i + 1) / (double) (len + 1);
		m[i].w = z * m[i].w * (len - i) / (double) (len + 1);
	}
}

/* remove element i from m[0..last], undoing its effect on the weights */
static void
path_unwind(PathElem *m, int last, int i)
{
	double		n = m[last].w,
				o = m[i].o,
				z = m[i].z;

	for (int j = last - 1; j >= 0; j--)
	{
		if (o != 0)
		{
			double		t = m[j].w;

			m[j].w = n * (last + 1) / ((j + 1) * o);
			n = t - m[j].w * z * (last - j) / (double) (last + 1);
		}
		else
			m[j].w = m[j].w * (last + 1) / (z * (last - j));
	}
	for (int j = i; j < last; j++)
	{
		m[j].d = m[j + 1].d;
		m[j].z = m[j + 1].z;
		m[j].o = m[j + 1].o;
	}
}

/* the sum of the weights m would have with element i unwound */
static double
path_unwound_sum(const PathElem *m, int last, int i)
{
	double		o = m[i].o,
				z = m[i].z,
				n = m[last].w,
				total = 0;

	for (int j = last - 1; j >= 0; j--)
	{
		if (o != 0)
		{
			double		t = n * (last + 1) / ((j + 1) * o);

			total += t;
			n = m[j].w - t * z * (last - j) / (double) (last + 1);
		}
		else
			total += m[j].w * (last + 1) / (z * (last - j));
	}
	return total;
}

/* one node of the recursion; parent path in m[0..len), own copy after it */
static void
shap_node(const ShapNode *tree, const uint8_t *hot_left, int j, double scale, double *phi,
		  PathElem *m, int len, double z, double o, int d)
{
	const ShapNode *nd = &tree[j];
	PathElem   *p = m + len;	/* this level's path: a copy, then extended */
	int			plen = len;

	memcpy(p, m, sizeof(PathElem) * len);
	path_extend(p, plen, z, o, d);
	plen++;
	if (nd->feature < 0)
	{
		for (int i = 1; i < plen; i++)
			phi[p[i].d] += scale * path_unwound_sum(p, plen - 1, i) * (p[i].o - p[i].z) * nd->value;
		return;
	}
	{
		int			hot = hot_left[j] ? nd->left : nd->right,
					cold = hot_left[j] ? nd->right : nd->left;
		double		iz = 1,
					io = 1,
					cover = nd->cover > 0 ? nd->cover : 1;

		/* a feature met again: its earlier element is folded into this split */
		for (int k = 1; k < plen; k++)
			if (p[k].d == nd->feature)
			{
				iz = p[k].z;
				io = p[k].o;
				path_unwind(p, plen - 1, k);
				plen--;
				break;
			}
		shap_node(tree, hot_left, hot, scale, phi, p, plen, iz * tree[hot].cover / cover, io, nd->feature);
		shap_node(tree, hot_left, cold, scale, phi, p, plen, iz * tree[cold].cover / cover, 0, nd->feature);
	}
}

/* cover-weighted mean of the tree's leaves below node j */
static double
node_expectation(const ShapNode *tree, int j)
{
	const ShapNode *nd = &tree[j];
	double		cl,
				cr;

	if (nd->feature < 0)
		return nd->value;
	cl = tree[nd->left].cover;
	cr = tree[nd->right].cover;
	if (cl + cr <= 0)
		return (node_expectation(tree, nd->left) + node_expectation(tree, nd->right)) / 2;
	return (cl * node_expectation(tree, nd->left) + cr * node_expectation(tree, nd->right)) / (cl + cr);
}

static int
node_depth(const ShapNode *tree, int j)
{
	int			l,
				r;

	if (tree[j].feature < 0)
		return 0;
	l = node_depth(tree, tree[j].left);
	r = node_depth(tree, tree[j].right);
	return 1 + (l > r ? l : r);
}

void
treeshap_add(const ShapNode *nodes, const uint8_t *hot, double scale, double *phi, double *bias)
{
	int			depth = node_depth(nodes, 0);
	PathElem   *path = ml_alloc(sizeof(PathElem) * (size_t) (depth + 2) * (depth + 3) / 2);

	*bias += scale * node_expectation(nodes, 0);
	shap_node(nodes, hot, 0, scale, phi, path, 0, 1, 1, -1);
	ml_free(path);
}
