/*-------------------------------------------------------------------------
 *
 * adaboost.c
 *	  AdaBoost over CART trees: SAMME (classification) and AdaBoost.R2
 *	  (regression).
 *
 * SAMME (Zhu, Zou, Rosset & Hastie, "Multi-class AdaBoost", 2009): each
 * round grows a tree on the current row weights; with weighted error e, the
 * tree weighs alpha = learning_rate * (log((1 - e) / e) + log(k - 1)) and
 * the misclassified rows' weights are multiplied by exp(alpha).  A perfect
 * tree ends boosting with weight 1; a tree no better than chance ends it
 * (dropped, unless it is the first).  Class probabilities are a softmax of
 * the alpha-weighted votes, divided by k - 1 (binary: the vote difference
 * halved), as scikit-learn's AdaBoostClassifier(algorithm="SAMME").
 *
 * AdaBoost.R2 (Drucker, 1997): each round grows a tree on a weighted
 * bootstrap of the rows (drawn from the run's seed), measures every row's
 * loss relative to the largest (linear, square or exponential), with
 * average loss L the tree weighs learning_rate * log((1 - L) / L), rows
 * are reweighted by (L / (1 - L))^(learning_rate (1 - loss)), and the
 * prediction is the weighted median of the trees.
 *
 * The base learner is a CART tree (tree.c) with max_depth 1 (a stump) for
 * classification and 3 for regression unless given.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"
#include "tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct AdaBoost
{
	size_t		p;
	int			k;				/* classes (0: regression) */
	int			n;				/* trees */
	double	   *alpha;			/* tree weights */
	Tree	  **trees;
} AdaBoost;

static const MLParamSpec adaboost_params[] = {
	{"n_estimators", ML_PARAM_INT, 50, 1, 100000, NULL, NULL, "most boosting rounds"},
	{"learning_rate", ML_PARAM_FLOAT, 1.0, 1e-9, 1e6, NULL, NULL, "shrinks each tree's weight"},
	{"max_depth", ML_PARAM_INT, 0, 0, 1000, NULL, NULL,
	"depth of each tree (0: 1 for classification, 3 for regression)"},
	{"min_samples_split", ML_PARAM_INT, 2, 2, 1e9, NULL, NULL, "fewest rows a node needs to split"},
	{"min_samples_leaf", ML_PARAM_INT, 1, 1, 1e9, NULL, NULL, "fewest rows in a leaf"},
	{"criterion", ML_PARAM_STRING, 0, 0, 0, "auto", "auto,gini,entropy",
	"split quality of the classification trees"},
	{"loss", ML_PARAM_STRING, 0, 0, 0, "linear", "linear,square,exponential",
	"AdaBoost.R2 row loss (regression)"},
	{NULL}
};

static void *
adaboost_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
			 MLFitContext *ctx)
{
	AdaBoost   *m = ml_alloc(sizeof(AdaBoost));
	size_t		n = train->n_rows,
				p = train->n_cols;
	int			k = train->n_classes,
				M = (int) params_get_num(params, "n_estimators");
	double		lr = params_get_num(params, "learning_rate");
	const char *loss = params_get_str(params, "loss");
	TreeOptions o;
	double	   *w = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *X = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, p ? p : 1), sizeof(double)));
	double	   *out = ml_alloc(ml_mul_size(n ? n : 1, (size_t) (k > 0 ? k : 1) * sizeof(double)));
	double	   *err = ml_alloc(sizeof(double) * (n ? n : 1));
	size_t	   *rows = ml_alloc(sizeof(size_t) * (n ? n : 1));
	double	   *cdf = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *bw = ml_alloc(sizeof(double) * (n ? n : 1));
	MLRng		rng;

	(void) valid;
	if (k > 0 && strcmp(loss, "linear") != 0)
		ml_error(ML_ERR_PARAM, "loss applies to regression; classification uses SAMME.",
				 "loss \"%s\" does not apply to classification", loss);
	if (k == 0 && strcmp(params_get_str(params, "criterion"), "auto") != 0)
		ml_error(ML_ERR_PARAM, "Regression trees split by squared error.",
				 "criterion \"%s\" does not apply to regression", params_get_str(params, "criterion"));
	memset(&o, 0, sizeof(o));
	o.entropy = strcmp(params_get_str(params, "criterion"), "entropy") == 0;
	o.max_depth = (int) params_get_num(params, "max_depth");
	if (o.max_depth == 0)
		o.max_depth = k > 0 ? 1 : 3;
	o.min_split = (int) params_get_num(params, "min_samples_split");
	o.min_leaf = (int) params_get_num(params, "min_samples_leaf");
	o.n_try = (int) p;
	m->p = p;
	m->k = k;
	m->alpha = ml_alloc(sizeof(double) * M);
	m->trees = ml_alloc(sizeof(Tree *) * M);
	ml_rng_seed(&rng, (ctx ? ctx->seed : 0) ^ 0xada800057ull);

	/* rows as a row-major matrix, for scoring each round's tree */
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i < n; i++)
			X[i * p + j] = train->X[j * n + i];
	for (size_t i = 0; i < n; i++)
	{
		w[i] = 1.0 / n;
		rows[i] = i;
	}

	for (int r = 0; r < M; r++)
	{
		Tree	   *t;
		double		e = 0,
					sw = 0,
					a,
					beta;
		bool		last = r == M - 1;

		if (k > 0)
		{
			/* SAMME */
			t = tree_grow(train, &o, w, rows, n, ml_mix64((ctx ? ctx->seed : 0) + (uint64_t) r + 1));
			tree_predict(t, X, n, out);
			for (size_t i = 0; i < n; i++)
			{
				err[i] = ml_argmax(out + i * k, k) != (int) train->y[i];
				e += w[i] * err[i];
				sw += w[i];
			}
		}
		else
		{
			/* AdaBoost.R2: a weighted bootstrap, then losses on every row */
			double		emax = 0,
						acc = 0;

			for (size_t i = 0; i < n; i++)
			{
				acc += w[i];
				cdf[i] = acc;
			}
			memset(bw, 0, sizeof(double) * n);
			for (size_t i = 0; i < n; i++)
			{
				double		u = ml_rng_uniform(&rng) * acc;
				size_t		lo = 0,
							hi = n - 1;

				while (lo < hi)
				{
					size_t		mid = (lo + hi) / 2;

					if (cdf[mid] <= u)
						lo = mid + 1;
					else
						hi = mid;
				}
				bw[lo] += 1.0;	/* drawn rows count by multiplicity */
			}
			{
				size_t		nb = 0;

				for (size_t i = 0; i < n; i++)
					if (bw[i] > 0)
						rows[nb++] = i;
				t = tree_grow(train, &o, bw, rows, nb, ml_mix64((ctx ? ctx->seed : 0) + (uint64_t) r + 1));
			}
			tree_predict(t, X, n, out);
			for (size_t i = 0; i < n; i++)
			{
				err[i] = fabs(out[i] - train->y[i]);
				emax = fmax(emax, err[i]);
			}
			for (size_t i = 0; i < n; i++)
			{
				double		l = emax > 0 ? err[i] / emax : 0;

				if (strcmp(loss, "square") == 0)
					l = l * l;
				else if (strcmp(loss, "exponential") == 0)
					l = 1 - exp(-l);
				err[i] = l;
				e += w[i] * l;
				sw += w[i];
			}
		}

		/* both: a perfect tree ends boosting, one no better than chance is dropped */
		e /= sw;
		if (e <= 0)
		{
			m->trees[m->n] = t;
			m->alpha[m->n++] = 1.0;
			break;
		}
		if (e >= (k > 0 ? 1.0 - 1.0 / k : 0.5))
		{
			tree_free(t);
			if (m->n == 0)
				ml_error(ML_ERR_DATA, "Use deeper trees (max_depth) or check the target.",
						 "the first boosting tree is no better than chance (%s %.4f)",
						 k > 0 ? "weighted error" : "average loss", e);
			break;
		}
		beta = e / (1 - e);
		a = k > 0 ? lr * (log((1 - e) / e) + log((double) k - 1)) : lr * log(1 / beta);
		m->trees[m->n] = t;
		m->alpha[m->n++] = a;
		if (!last)
		{
			sw = 0;
			for (size_t i = 0; i < n; i++)
			{
				if (k > 0)
					w[i] *= err[i] > 0 ? exp(a) : 1.0;
				else
					w[i] *= pow(beta, (1 - err[i]) * lr);
				sw += w[i];
			}
			for (size_t i = 0; i < n; i++)
				w[i] /= sw;
		}
		ml_log_metric(ctx, "train", k > 0 ? "weighted_error" : "average_loss", r + 1, e);
		ml_check_interrupts();
	}
	ml_log_metric(ctx, "train", "n_estimators", -1, m->n);
	ml_free(w);
	ml_free(X);
	ml_free(out);
	ml_free(err);
	ml_free(rows);
	ml_free(cdf);
	ml_free(bw);
	return m;
}

typedef struct Ranked
{
	double		v,
				a;
} Ranked;

static int
cmp_ranked(const void *x, const void *y)
{
	double		a = ((const Ranked *) x)->v,
				b = ((const Ranked *) y)->v;

	return (a > b) - (a < b);
}

static void
adaboost_predict(const void *state, const double *X, size_t n, double *out)
{
	const AdaBoost *m = state;
	int			k = m->k;
	double	   *tp = ml_alloc(sizeof(double) * (k > 0 ? k : 1));
	double		total = 0;
	Ranked	   *rk = ml_alloc(sizeof(Ranked) * (m->n ? m->n : 1));

	for (int t = 0; t < m->n; t++)
		total += m->alpha[t];
	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * m->p;

		if (k > 0)
		{
			double	   *o = out + i * k;

			memset(o, 0, sizeof(double) * k);
			for (int t = 0; t < m->n; t++)
			{
				tree_predict(m->trees[t], x, 1, tp);
				o[ml_argmax(tp, k)] += m->alpha[t];
			}
			for (int c = 0; c < k; c++)
				o[c] /= total;
			if (k == 2)
			{
				double		d = (o[1] - o[0]) / 2;

				o[0] = -d;
				o[1] = d;
			}
			else
				for (int c = 0; c < k; c++)
					o[c] /= k - 1;
			ml_softmax(o, k);
		}
		else
		{
			double		acc = 0;
			int			t;

			/* the weighted median: first prediction whose cumulative weight reaches half */
			for (t = 0; t < m->n; t++)
			{
				tree_predict(m->trees[t], x, 1, &rk[t].v);
				rk[t].a = m->alpha[t];
			}
			qsort(rk, m->n, sizeof(Ranked), cmp_ranked);
			for (t = 0; t < m->n - 1; t++)
			{
				acc += rk[t].a;
				if (acc >= 0.5 * total)
					break;
			}
			out[i] = rk[t].v;
		}
	}
	ml_free(tp);
	ml_free(rk);
}

static void
adaboost_write(const void *state, MLBuffer *out)
{
	const AdaBoost *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_u32(out, (uint32_t) m->n);
	buffer_put_f64s(out, m->alpha, m->n);
	for (int t = 0; t < m->n; t++)
		tree_write(m->trees[t], out);
}

static void *
adaboost_read(MLReader *in, size_t p, int k)
{
	AdaBoost   *m = ml_alloc(sizeof(AdaBoost));

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	m->n = (int) reader_count(in, 8, 100000);
	if (m->p != p || m->k != k || m->n < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "adaboost model shape does not match its header");
	m->alpha = reader_f64s(in, (size_t) m->n);
	m->trees = ml_alloc(sizeof(Tree *) * m->n);
	for (int t = 0; t < m->n; t++)
	{
		if (!isfinite(m->alpha[t]))
			ml_error(ML_ERR_CORRUPT, NULL, "adaboost model has a non-finite tree weight");
		m->trees[t] = tree_read(in, p, k);
	}
	return m;
}

static void
adaboost_describe(const void *state, MLBuffer *json)
{
	const AdaBoost *m = state;

	buffer_printf(json, "{\"trees\": %d, \"tree_weights\": [", m->n);
	for (int t = 0; t < m->n; t++)
	{
		buffer_printf(json, "%s", t ? ", " : "");
		buffer_json_num(json, m->alpha[t]);
	}
	buffer_printf(json, "]}");
}

const MLLearner ml_learner_adaboost = {
	.name = "adaboost",
	.id = 16,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = adaboost_params,
	.doc = "AdaBoost over trees: SAMME (classification), AdaBoost.R2 (regression)",
	.encode = ML_ENCODE_ORDINAL,
	.fit = adaboost_fit,
	.predict = adaboost_predict,
	.write = adaboost_write,
	.read = adaboost_read,
	.describe = adaboost_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
