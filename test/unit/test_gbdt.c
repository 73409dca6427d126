/*
 * test_gbdt.c
 *	  Unit tests of src/algo/gbdt.c: TreeSHAP against brute-force Shapley
 *	  values, the training rows' predictions handed back by fit, and block
 *	  scoring equal to row-by-row scoring.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/model.h"

/* gbdt.c: the path-dependent expectation of output c with features `known` */
extern double gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c);

/*
 * TreeSHAP against brute-force Shapley values: for small trees, every subset
 * S of the other features weighs |S|! (M - |S| - 1)! / M! times the change
 * of the path-dependent expectation when feature i becomes known.  Also
 * local accuracy (contributions plus bias equal the raw output), with NaN
 * features and a feature used twice on a path.
 */
void
test_gbdt_shap(void)
{
	const MLLearner *l = learner_find("gbdt");
	size_t		n = 400,
				p = 4;
	MLDataset  *d = dataset_create(n, p, 0);
	MLParamValue v[3] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 6}, {.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 4},
	{.name = "learning_rate", .kind = ML_VALUE_NUMBER, .num = 0.5}};
	MLFitContext ctx = {0};
	void	   *st;
	double		fact[5] = {1, 1, 2, 6, 24};

	for (size_t i = 0; i < n; i++)
	{
		double		a = (double) ((i * 7919) % 101) / 101,
					b = (double) ((i * 104729) % 97) / 97,
					c = (double) ((i * 1299709) % 89) / 89,
					e = (double) ((i * 15485863) % 83) / 83;

		d->X[0 * n + i] = i % 9 == 0 ? NAN : a;
		d->X[1 * n + i] = b;
		d->X[2 * n + i] = c;
		d->X[3 * n + i] = e;
		d->y[i] = 3 * a * b + (c > 0.5 ? 2 : 0) - e + (i % 9 == 0 ? 1.5 : 0);
	}
	ctx.seed = 3;
	ctx.threads = 1;
	st = l->fit(d, NULL, params_resolve("gbdt", l->params, v, 3), &ctx);
	for (size_t r = 0; r < 40; r++)
	{
		double		x[4],
					phi[5],
					raw,
					sum = 0;

		for (size_t j = 0; j < p; j++)
			x[j] = d->X[j * n + r * 7];
		CHECK(l->explain(st, x, NULL, phi) == -1);
		l->predict(st, x, 1, &raw);
		for (size_t j = 0; j <= p; j++)
			sum += phi[j];
		CHECK_NEAR(sum, raw, 1e-9);
		CHECK_NEAR(phi[p], gbdt_known_expectation(st, x, 0, 0), 1e-9);
		for (size_t i = 0; i < p; i++)
		{
			double		bf = 0;

			for (uint64_t S = 0; S < 16; S++)
			{
				int			size = __builtin_popcountll(S);

				if (S & (1u << i))
					continue;
				bf += fact[size] * fact[p - size - 1] / fact[p] *
					(gbdt_known_expectation(st, x, S | (1u << i), 0) - gbdt_known_expectation(st, x, S, 0));
			}
			CHECK_NEAR(phi[i], bf, 1e-9);
		}
	}
}

/*
 * The training rows' predictions gbdt hands back (ctx.want_train_pred) are
 * what its predict returns for the training matrix, bit for bit: regression,
 * binary and three classes, NaN features, a row subsample; none when early
 * stopping holds rows out.
 */
void
test_gbdt_train_pred(void)
{
	const MLLearner *l = learner_find("gbdt");
	size_t		n = 3000,
				p = 5;

	for (int t = 0; t < 4; t++)
	{
		int			k = t == 3 ? 2 : t;	/* classes: 0 (regression), 1 -> 2, 2 -> 3 */
		MLDataset  *d;
		MLParamValue v[4] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 12},
		{.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5},
		{.name = "subsample", .kind = ML_VALUE_NUMBER, .num = t == 2 ? 0.7 : 1.0},
		{.name = "early_stopping_rounds", .kind = ML_VALUE_NUMBER, .num = t == 3 ? 3 : 0}};
		MLFitContext ctx = {0};
		void	   *st;
		int			nk = k == 0 ? 0 : k + 1;
		size_t		width = nk == 0 ? 1 : (size_t) nk;
		double	   *X,
				   *out;

		d = dataset_create(n, p, nk);
		for (size_t i = 0; i < n; i++)
		{
			for (size_t j = 0; j < p; j++)
				d->X[j * n + i] = (i * (j + 3)) % 17 == 0 ? NAN : (double) ((i * (2 * j + 7919)) % 1013) / 1013;
			{
				double		a = isnan(d->X[i]) ? 0.5 : d->X[i],
							b = isnan(d->X[n + i]) ? 1.0 : d->X[n + i];

				d->y[i] = nk == 0 ? 3 * a + b : (double) ((int) (a * 5 + b * 3 + (double) (i % 3)) % nk);
			}
		}
		ctx.seed = 11;
		ctx.threads = 1;
		ctx.want_train_pred = true;
		st = l->fit(d, NULL, params_resolve("gbdt", l->params, v, 4), &ctx);
		if (t == 3)
		{
			CHECK(ctx.train_pred == NULL);	/* early stopping held rows out */
			continue;
		}
		CHECK(ctx.train_pred != NULL);
		if (ctx.train_pred == NULL)
			continue;
		X = ml_alloc(sizeof(double) * n * p);
		out = ml_alloc(sizeof(double) * n * width);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < p; j++)
				X[i * p + j] = d->X[j * n + i];
		l->predict(st, X, n, out);
		CHECK(memcmp(out, ctx.train_pred, sizeof(double) * n * width) == 0);
		ml_free(X);
		ml_free(out);
		ml_free(ctx.train_pred);
	}
}

/*
 * gbdt scores a block of rows eight rows at a time and the rows left over
 * eight trees at a time: every row's output equals the row scored alone,
 * bit for bit, with a tree count that is not a multiple of eight (3 classes
 * x 7 rounds, and 13 regression trees), NaN features included.
 */
void
test_gbdt_row_paths(void)
{
	size_t		n = 300,
				rows = 77;
	MLParamValue v[2] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 7},
	{.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5}};
	double	   *x = ml_alloc(sizeof(double) * rows * 3),
			   *all = ml_alloc(sizeof(double) * rows * 3),
				one[3];

	for (size_t i = 0; i < rows * 3; i++)
		x[i] = i % 11 == 0 ? NAN : sin((double) i * 0.7);
	for (int task = 0; task < 2; task++)
	{
		MLDataset  *d = dataset_create(n, 3, task == 0 ? 3 : 0);
		MLModel    *m;
		size_t		w;

		for (size_t i = 0; i < n; i++)
		{
			d->X[i] = sin(i * 0.37);
			d->X[n + i] = i % 13 == 0 ? NAN : cos(i * 0.11);
			d->X[2 * n + i] = (double) (i % 17);
			d->y[i] = task == 0 ? (double) ((i * 7) % 3) : d->X[i] * 2 + d->X[2 * n + i];
		}
		v[0].num = task == 0 ? 7 : 13;
		m = unit_fit_model("gbdt", d, v, 2);
		w = model_output_width(m);
		model_predict(m, x, rows, all);
		for (size_t i = 0; i < rows; i++)
		{
			model_predict(m, x + i * 3, 1, one);
			for (size_t c = 0; c < w; c++)
				CHECK(one[c] == all[i * w + c]);
		}
	}
}
