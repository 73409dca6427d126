/*-------------------------------------------------------------------------
 *
 * elastic_net.c
 *	  Elastic net and lasso regression by cyclic coordinate descent.
 *
 * Minimizes (1 / 2n) ||y - Xw - b||^2 + alpha * l1_ratio * ||w||_1
 *	 + alpha * (1 - l1_ratio) / 2 * ||w||^2,
 * scikit-learn's ElasticNet objective (lasso: l1_ratio = 1).  X and y are
 * centered so the intercept is unpenalized; each coordinate step is the
 * soft-thresholded least-squares update (Friedman, Hastie & Tibshirani,
 * "Regularization paths for generalized linear models via coordinate
 * descent", 2010).  Passes stop when no weight moved by more than
 * tol * max(1, max |w|).  O(n p) per pass, O(n p) memory for the centered
 * copy.
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <math.h>
#include <string.h>


static const MLParamSpec enet_params[] = {
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL, "penalty strength"},
	{"l1_ratio", ML_PARAM_FLOAT, 0.5, 0.0, 1.0, NULL, NULL, "share of the L1 penalty (1 = lasso)"},
	{"max_iter", ML_PARAM_INT, 10000, 1, 10000000, NULL, NULL, "most passes over the coordinates"},
	{"tol", ML_PARAM_FLOAT, 1e-10, 0.0, 1.0, NULL, NULL, "relative change that ends the passes"},
	{NULL}
};

static const MLParamSpec lasso_params[] = {
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL, "L1 penalty strength"},
	{"max_iter", ML_PARAM_INT, 10000, 1, 10000000, NULL, NULL, "most passes over the coordinates"},
	{"tol", ML_PARAM_FLOAT, 1e-10, 0.0, 1.0, NULL, NULL, "relative change that ends the passes"},
	{NULL}
};

static double
soft(double z, double g)
{
	return z > g ? z - g : (z < -g ? z + g : 0.0);
}

static void *
enet_fit_common(const MLDataset *train, const MLParams *params, double l1_ratio, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	double		alpha = params_get_num(params, "alpha");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol");
	Linear	   *m = ml_alloc(sizeof(Linear));
	double	   *Xc = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
	double	   *r = ml_alloc(ml_mul_size(n, sizeof(double)));
	double	   *norm2 = ml_alloc(sizeof(double) * (p ? p : 1));
	double	   *xmean = ml_alloc(sizeof(double) * (p ? p : 1));
	double		ymean = 0,
				l1 = alpha * l1_ratio * n,
				l2 = alpha * (1 - l1_ratio) * n;
	int			it;

	m->p = p;
	m->coef = ml_alloc(sizeof(double) * (p ? p : 1));
	for (size_t i = 0; i < n; i++)
		ymean += train->y[i];
	ymean /= n;
	for (size_t i = 0; i < n; i++)
		r[i] = train->y[i] - ymean;
	for (size_t j = 0; j < p; j++)
	{
		const double *x = train->X + j * n;
		double		mu = 0,
					s = 0;

		for (size_t i = 0; i < n; i++)
			mu += x[i];
		mu /= n;
		xmean[j] = mu;
		for (size_t i = 0; i < n; i++)
		{
			Xc[j * n + i] = x[i] - mu;
			s += Xc[j * n + i] * Xc[j * n + i];
		}
		norm2[j] = s;
	}
	for (it = 0; it < max_iter; it++)
	{
		double		max_change = 0,
					max_w = 0;

		ml_check_interrupts();
		for (size_t j = 0; j < p; j++)
		{
			const double *x = Xc + j * n;
			double		w_old = m->coef[j],
						rho = 0,
						w_new;

			if (norm2[j] == 0)
				continue;
			for (size_t i = 0; i < n; i++)
				rho += x[i] * r[i];
			rho += norm2[j] * w_old;
			w_new = soft(rho, l1) / (norm2[j] + l2);
			if (w_new != w_old)
			{
				double		d = w_new - w_old;

				for (size_t i = 0; i < n; i++)
					r[i] -= d * x[i];
				m->coef[j] = w_new;
			}
			max_change = fmax(max_change, fabs(w_new - w_old));
			max_w = fmax(max_w, fabs(w_new));
		}
		if (!isfinite(max_change))
			ml_error(ML_ERR_DATA, "Rescale the features or the target.",
					 "coordinate descent diverged");
		if (max_change <= tol * fmax(1.0, max_w))
		{
			it++;
			break;
		}
	}
	ml_log_metric(ctx, "train", "n_iter", -1, it);
	ml_log_metric(ctx, "train", "converged", -1, it < max_iter ? 1 : 0);
	m->intercept = ymean;
	for (size_t j = 0; j < p; j++)
		m->intercept -= xmean[j] * m->coef[j];
	ml_free(Xc);
	ml_free(r);
	ml_free(norm2);
	ml_free(xmean);
	return m;
}

/*
 * The same coordinate descent from the centered Gram matrix G = Xc'Xc and
 * G_y = Xc'yc of the aggregate engine: rho_j = G_y[j] - (G w)_j + G_jj w_j
 * is the residual product of the row-wise update, so the passes, the stop
 * rule and the optimum are the same; O(p^2) per pass, no rows.
 */
static void *
enet_gram_common(const double *G, const double *Gy, const double *mean, double y_mean,
				 size_t p, uint64_t n, const MLParams *params, double l1_ratio, MLFitContext *ctx)
{
	double		alpha = params_get_num(params, "alpha");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol");
	double		l1 = alpha * l1_ratio * (double) n,
				l2 = alpha * (1 - l1_ratio) * (double) n;
	Linear	   *m = ml_alloc(sizeof(Linear));
	double	   *q = ml_alloc(sizeof(double) * (p ? p : 1));	/* G w */
	int			it;

#define GRAM(a, b) ((a) <= (b) ? G[(b) * p + (a)] : G[(a) * p + (b)])
	m->p = p;
	m->coef = ml_alloc(sizeof(double) * (p ? p : 1));
	for (it = 0; it < max_iter; it++)
	{
		double		max_change = 0,
					max_w = 0;

		ml_check_interrupts();
		for (size_t j = 0; j < p; j++)
		{
			double		gjj = GRAM(j, j),
						w_old = m->coef[j],
						rho,
						w_new;

			if (gjj == 0)
				continue;
			rho = Gy[j] - q[j] + gjj * w_old;
			w_new = soft(rho, l1) / (gjj + l2);
			if (w_new != w_old)
			{
				double		d = w_new - w_old;

				for (size_t k = 0; k < p; k++)
					q[k] += GRAM(k, j) * d;
				m->coef[j] = w_new;
			}
			max_change = fmax(max_change, fabs(w_new - w_old));
			max_w = fmax(max_w, fabs(w_new));
		}
		if (!isfinite(max_change))
			ml_error(ML_ERR_DATA, "Rescale the features or the target.",
					 "coordinate descent diverged");
		if (max_change <= tol * fmax(1.0, max_w))
		{
			it++;
			break;
		}
	}
#undef GRAM
	ml_log_metric(ctx, "train", "n_iter", -1, it);
	ml_log_metric(ctx, "train", "converged", -1, it < max_iter ? 1 : 0);
	m->intercept = y_mean;
	for (size_t j = 0; j < p; j++)
		m->intercept -= mean[j] * m->coef[j];
	ml_free(q);
	return m;
}

static void *
enet_fit_gram(const double *G, const double *Gy, const double *mean, double y_mean,
			  size_t p, uint64_t n, const MLParams *params, MLFitContext *ctx)
{
	return enet_gram_common(G, Gy, mean, y_mean, p, n, params, params_get_num(params, "l1_ratio"), ctx);
}

static void *
lasso_fit_gram(const double *G, const double *Gy, const double *mean, double y_mean,
			   size_t p, uint64_t n, const MLParams *params, MLFitContext *ctx)
{
	return enet_gram_common(G, Gy, mean, y_mean, p, n, params, 1.0, ctx);
}

static void *
enet_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	(void) valid;
	return enet_fit_common(train, params, params_get_num(params, "l1_ratio"), ctx);
}

static void *
lasso_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	(void) valid;
	return enet_fit_common(train, params, 1.0, ctx);
}

const MLLearner ml_learner_elastic_net = {
	.name = "elastic_net",
	.id = 6,
	.tasks = ML_TASK_BIT(ML_REGRESSION),
	.params = enet_params,
	.doc = "elastic net regression (coordinate descent)",
	.fit = enet_fit,
	.predict = linear_predict,
	.write = linear_write,
	.read = linear_read,
	.describe = linear_describe,
	.importance = linear_importance,
	.explain = linear_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_GRAM,
	.fit_gram = enet_fit_gram,
};

const MLLearner ml_learner_lasso = {
	.name = "lasso",
	.id = 7,
	.tasks = ML_TASK_BIT(ML_REGRESSION),
	.params = lasso_params,
	.doc = "lasso regression (coordinate descent)",
	.fit = lasso_fit,
	.predict = linear_predict,
	.write = linear_write,
	.read = linear_read,
	.describe = linear_describe,
	.importance = linear_importance,
	.explain = linear_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_GRAM,
	.fit_gram = lasso_fit_gram,
};
