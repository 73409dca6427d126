/*-------------------------------------------------------------------------
 *
 * tree.h
 *	  CART trees shared by tree.c and forest.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_TREE_H
#define ML_TREE_H

#include "../core/model.h"

typedef struct Tree
{
	size_t		p;
	int			kc;				/* values per node: classes, or 1 */
	int			classification;
	int			n_nodes;
	int32_t    *feature;		/* -1 for leaves */
	double	   *threshold;
	int32_t    *left,
			   *right;
	double	   *value;			/* n_nodes x kc */
	double	   *cover;			/* n_nodes: weighted training rows reaching the node */
	double	   *importance;		/* p, sums to 1 (or all 0) */
} Tree;

typedef struct TreeOptions
{
	int			entropy;
	int			max_depth;
	int			min_split;
	int			min_leaf;
	int			n_try;			/* features tried per split */
} TreeOptions;

extern void tree_options(const MLParams *params, const MLDataset *train,
						 double max_features, TreeOptions *o);
extern Tree *tree_grow(const MLDataset *d, const TreeOptions *o, const double *w,
					   const size_t *rows, size_t n, uint64_t seed);
extern void tree_free(Tree *t);
extern void tree_predict(const void *state, const double *X, size_t n, double *out);
extern void tree_write(const void *state, MLBuffer *out);
extern void *tree_read(MLReader *in, size_t p, int k);
/* the output explained for x: the class (binary: 1), or 0 for regression */
extern int	tree_explained_class(const Tree *t, const double *x);
/* add scale times TreeSHAP of output c of t at x to phi[0..p), its expectation to phi[p] */
extern void tree_shap(const Tree *t, const double *x, int c, double scale, double *phi);

#endif							/* ML_TREE_H */
