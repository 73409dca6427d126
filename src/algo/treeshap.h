/*-------------------------------------------------------------------------
 *
 * treeshap.h
 *	  Exact TreeSHAP for one tree, shared by gbdt, tree and forest.
 *
 * A tree is given as ShapNode entries (children after their parent, node 0
 * the root) with each node's cover (the training weight that reached it)
 * and each leaf's value, plus hot[i] for every internal node: whether the
 * row being explained goes left there.  treeshap_add adds scale times the
 * tree's Shapley values to phi[feature] and scale times its expected value
 * (the cover-weighted mean leaf) to *bias; phi plus bias then sum to scale
 * times the tree's output for the row.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_TREESHAP_H
#define ML_TREESHAP_H

#include "../core/ml.h"

typedef struct ShapNode
{
	int32_t		feature;		/* -1 for a leaf */
	int32_t		left,
				right;
	double		cover;
	double		value;
} ShapNode;

extern void treeshap_add(const ShapNode *nodes, const uint8_t *hot, double scale,
						 double *phi, double *bias);

#endif							/* ML_TREESHAP_H */
