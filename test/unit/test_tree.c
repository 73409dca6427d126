/*
 * test_tree.c
 *	  Unit tests of src/algo/tree.c (and treeshap.c): TreeSHAP of a CART
 *	  tree against brute-force Shapley values.
 */
#include "unit.h"
#include "tests.h"
#include "algo/tree.h"
#include "core/model.h"

/* path-dependent expectation of a CART tree's output c with features `known` */
static double
tree_known(const Tree *t, int j, const double *x, uint64_t known, int c)
{
	if (t->feature[j] < 0)
		return t->value[(size_t) j * t->kc + c];
	if (known & ((uint64_t) 1 << t->feature[j]))
		return tree_known(t, (double) (float) x[t->feature[j]] <= t->threshold[j] ? t->left[j] : t->right[j],
						  x, known, c);
	return (t->cover[t->left[j]] * tree_known(t, t->left[j], x, known, c) +
			t->cover[t->right[j]] * tree_known(t, t->right[j], x, known, c)) /
		(t->cover[t->left[j]] + t->cover[t->right[j]]);
}

/* TreeSHAP of a CART tree (3 classes) against brute-force Shapley values */
void
test_tree_shap(void)
{
	const MLLearner *l = learner_find("tree");
	MLDataset  *d = unit_toy_classes(300, 3);
	MLParamValue v = {.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5};
	MLFitContext ctx = {0};
	Tree	   *t;
	size_t		p = d->n_cols;
	double		fact[8] = {1, 1, 2, 6, 24, 120, 720, 5040};

	ctx.seed = 5;
	ctx.threads = 1;
	t = l->fit(d, NULL, params_resolve("tree", l->params, &v, 1), &ctx);
	CHECK(p <= 6);
	for (size_t r = 0; r < 30; r++)
	{
		double		x[8],
					phi[9],
					out[3],
					sum = 0;
		int			c;

		for (size_t j = 0; j < p; j++)
			x[j] = d->X[j * d->n_rows + r * 9];
		c = l->explain(t, x, NULL, phi);
		tree_predict(t, x, 1, out);
		for (size_t j = 0; j <= p; j++)
			sum += phi[j];
		CHECK(c >= 0 && c < 3);
		CHECK_NEAR(sum, out[c], 1e-9);
		for (size_t i = 0; i < p; i++)
		{
			double		bf = 0;

			for (uint64_t S = 0; S < ((uint64_t) 1 << p); S++)
			{
				int			size = __builtin_popcountll(S);

				if (S & ((uint64_t) 1 << i))
					continue;
				bf += fact[size] * fact[p - size - 1] / fact[p] *
					(tree_known(t, 0, x, S | ((uint64_t) 1 << i), c) - tree_known(t, 0, x, S, c));
			}
			CHECK_NEAR(phi[i], bf, 1e-9);
		}
	}
}
