/*-------------------------------------------------------------------------
 *
 * linear.c
 *	  Least squares and ridge regression.
 *
 * Minimizes ||y - Xw - b||^2 + alpha ||w||^2 exactly as scikit-learn's Ridge
 * (and LinearRegression for alpha = 0): X and y are centered so the
 * intercept is not penalized; for alpha > 0 the normal equations
 * (Xc^T Xc + alpha I) w = Xc^T yc are solved by Cholesky (LAPACK dposv), for
 * alpha = 0 the minimum-norm solution comes from an SVD (LAPACK dgelsd), so
 * collinear features do not fail.  Fit O(n p^2 + p^3) time, O(n p) memory
 * for the centered copy; predict O(p) per row.
 *
 * For classification, algorithm "linear" means logistic regression: the
 * registry resolves it to logistic.c.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/linalg.h"
#include "linear.h"

#include <math.h>
#include <string.h>


static const MLParamSpec linear_params[] = {
	{"alpha", ML_PARAM_FLOAT, 0.0, 0.0, 1e300, NULL, NULL,
	"L2 penalty (ridge); 0 is ordinary least squares"},
	{"fit_intercept", ML_PARAM_BOOL, 1.0, 0, 1, NULL, NULL,
	"fit an unpenalized intercept"},
	{NULL}
};

static void *
linear_fit(const MLDataset *train, const MLDataset *valid,
		   const MLParams *params, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	double		alpha = params_get_num(params, "alpha");
	bool		intercept = params_get_num(params, "fit_intercept") != 0;
	Linear	   *m = ml_alloc(sizeof(Linear));
	double	   *Xc = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
	double	   *yc = ml_alloc(ml_mul_size(n > p ? n : p ? p : 1, sizeof(double)));
	double	   *xmean = ml_alloc(sizeof(double) * (p ? p : 1));
	double		ymean = 0;

	(void) valid;
	(void) ctx;
	m->p = p;
	m->coef = ml_alloc(sizeof(double) * (p ? p : 1));

	if (intercept)
	{
		for (size_t i = 0; i < n; i++)
			ymean += train->y[i];
		ymean /= (double) n;
	}
	for (size_t j = 0; j < p; j++)
	{
		const double *x = train->X + j * n;
		double		s = 0;

		if (intercept)
		{
			for (size_t i = 0; i < n; i++)
				s += x[i];
			s /= (double) n;
		}
		xmean[j] = s;
		for (size_t i = 0; i < n; i++)
			Xc[j * n + i] = x[i] - s;
	}
	for (size_t i = 0; i < n; i++)
		yc[i] = train->y[i] - ymean;
	ml_check_interrupts();

	if (alpha > 0)
	{
		double	   *G = ml_alloc(ml_mul_size(ml_mul_size(p ? p : 1, p ? p : 1), sizeof(double)));

		linalg_gram(Xc, n, p, G);
		for (size_t j = 0; j < p; j++)
			G[j * p + j] += alpha;
		linalg_xty(Xc, n, p, yc, m->coef);
		if (!linalg_solve_spd(G, m->coef, p))
			ml_error(ML_ERR_DATA, "Increase \"alpha\".",
					 "ridge system is not positive definite");
		ml_free(G);
	}
	else
	{
		linalg_lstsq(Xc, n, p, yc);
		memcpy(m->coef, yc, sizeof(double) * p);
	}

	m->intercept = ymean;
	for (size_t j = 0; j < p; j++)
		m->intercept -= xmean[j] * m->coef[j];
	for (size_t j = 0; j <= p; j++)
		if (!isfinite(j < p ? m->coef[j] : m->intercept))
			ml_error(ML_ERR_DATA, "Rescale the features or the target; their values overflow double precision.",
					 "least squares produced non-finite coefficients");
	ml_free(Xc);
	ml_free(yc);
	ml_free(xmean);
	return m;
}

void
linear_predict(const void *state, const double *X, size_t n, double *out)
{
	const Linear *m = state;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * m->p;
		double		s = m->intercept;

		for (size_t j = 0; j < m->p; j++)
			s += x[j] * m->coef[j];
		out[i] = s;
	}
}

void
linear_write(const void *state, MLBuffer *out)
{
	const Linear *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_f64s(out, m->coef, m->p);
	buffer_put_f64(out, m->intercept);
}

void *
linear_read(MLReader *in, size_t p, int k)
{
	Linear	   *m = ml_alloc(sizeof(Linear));

	m->p = reader_u32(in);
	if (m->p != p || k != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "linear model shape does not match its header");
	m->coef = reader_f64s(in, p);
	m->intercept = reader_f64(in);
	return m;
}

void
linear_describe(const void *state, MLBuffer *json)
{
	const Linear *m = state;

	buffer_printf(json, "{\"coef\": [");
	for (size_t j = 0; j < m->p; j++)
	{
		if (j)
			buffer_printf(json, ", ");
		buffer_json_num(json, m->coef[j]);
	}
	buffer_printf(json, "], \"intercept\": ");
	buffer_json_num(json, m->intercept);
	buffer_printf(json, "}");
}

/*
 * Exact Shapley values of a linear model: coef_j (x_j - E[x_j]) over the
 * training data, and the bias E[f] = intercept + sum coef_j E[x_j], the
 * mean prediction (from zero when the model has no recorded means).
 */
int
linear_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Linear *m = state;

	phi[m->p] = m->intercept;
	for (size_t j = 0; j < m->p; j++)
	{
		double		mu = mean ? mean[j] : 0;

		phi[j] = m->coef[j] * (x[j] - mu);
		phi[m->p] += m->coef[j] * mu;
	}
	return -1;
}

/* |coefficient| times the feature's standard deviation in training */

void
linear_importance(const void *state, const MLDataset *train, double *out)
{
	const Linear *m = state;

	for (size_t j = 0; j < m->p; j++)
	{
		double		w = 0;

		w = fabs(m->coef[j]);
		out[j] = w;
	}
	dataset_scale_by_std(train, out);
}

/*
 * The state from the sums of ml_fit and the aggregate engine: solve the
 * normal equations A w = b ([1 x]'[1 x] and [1 x]'y, upper triangle;
 * without the intercept row and column when fit_intercept is false), the
 * minimum-norm solution (dgelsd) for least squares, Cholesky for ridge
 * (alpha on the slopes' diagonal).
 */
static void *
linear_from_least_squares(const double *SA, const double *Sb, size_t p, uint64_t n,
						  const MLParams *params)
{
	size_t		q = p + 1;
	bool		icpt = params_get_num(params, "fit_intercept") != 0;
	double		alpha = params_get_num(params, "alpha");
	size_t		off = icpt ? 0 : 1;
	size_t		r = q - off;
	double	   *A = ml_alloc(ml_mul_size(r * r, sizeof(double)));
	double	   *b = ml_alloc(sizeof(double) * r);
	Linear	   *lin = ml_alloc(sizeof(Linear));

	(void) n;
	/* the upper triangle holds the sums; mirror it */
	for (size_t i = 0; i < r; i++)
	{
		b[i] = Sb[i + off];
		for (size_t j = 0; j < r; j++)
		{
			size_t		a = i + off,
						c = j + off;

			A[j * r + i] = a <= c ? SA[c * q + a] : SA[a * q + c];
		}
	}
	if (alpha > 0)
	{
		for (size_t i = icpt ? 1 : 0; i < r; i++)
			A[i * r + i] += alpha;
		if (!linalg_solve_spd(A, b, r))
			ml_error(ML_ERR_DATA, NULL, "the ridge system is not positive definite");
	}
	else
		linalg_lstsq(A, r, r, b);	/* minimum norm, as least squares */
	lin->p = p;
	lin->coef = ml_alloc(sizeof(double) * (p ? p : 1));
	memcpy(lin->coef, b + (icpt ? 1 : 0), sizeof(double) * p);
	lin->intercept = icpt ? b[0] : 0;
	ml_free(A);
	ml_free(b);
	return lin;
}

const MLLearner ml_learner_linear = {
	.name = "linear",
	.id = 2,
	.tasks = ML_TASK_BIT(ML_REGRESSION),
	.params = linear_params,
	.doc = "least squares / ridge regression (logistic regression for classification)",
	.fit = linear_fit,
	.predict = linear_predict,
	.write = linear_write,
	.read = linear_read,
	.describe = linear_describe,
	.importance = linear_importance,
	.explain = linear_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_LEAST_SQUARES,
	.from_least_squares = linear_from_least_squares,
};
