/*-------------------------------------------------------------------------
 *
 * logistic.c
 *	  Logistic regression: binary (sigmoid) and multinomial (softmax), L2.
 *
 * Minimizes (1/n) sum_i loss_i + alpha / (2n) ||W||^2, which has the same
 * minimizer as scikit-learn's LogisticRegression with C = 1 / alpha.  The
 * features are standardized internally (mean 0, population std 1, as
 * StandardScaler) so the penalty treats them alike and L-BFGS converges;
 * the fitted weights are mapped back to the original feature scale before
 * they are stored, so the model is a plain linear scorer.  The intercepts
 * are not penalized.  class_weight multiplies each row's loss by its
 * class's weight, as scikit-learn does.  Binary problems use one weight vector; k > 2 classes
 * use k (full multinomial, as scikit-learn's lbfgs solver).
 *
 * Each objective evaluation is two n x p x K matrix products (OpenBLAS
 * dgemm): O(n p K) time, O(n (p + K)) memory.  The train log loss of every
 * L-BFGS iteration goes to the metric log (the loss curve), and the
 * validation log loss too when a validation split is given.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/linalg.h"
#include "../core/metrics.h"

#include <math.h>
#include <string.h>

typedef struct Logistic
{
	size_t		p;
	int			k;				/* classes */
	int			K;				/* weight columns: 1 for binary, else k */
	double	   *W;				/* p x K, column-major, original scale */
	double	   *b;				/* K intercepts */
} Logistic;

static const MLParamSpec logistic_params[] = {
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL,
	"L2 penalty on standardized features; scikit-learn's C = 1 / alpha"},
	{"max_iter", ML_PARAM_INT, 100, 1, 1000000, NULL, NULL,
	"most L-BFGS iterations"},
	{"tol", ML_PARAM_FLOAT, 1e-5, 0.0, 1.0, NULL, NULL,
	"stop when the largest gradient component is below this"},
	ML_CLASS_WEIGHT_PARAM,
	{NULL}
};

typedef struct Problem
{
	size_t		n,
				p;
	int			K;
	double		alpha;
	const double *Xs;			/* standardized X, n x p column-major */
	const double *y;			/* class indexes */
	const double *cw;			/* per class loss weight, or NULL */
	double	   *Z;				/* n x K scratch */
	MLFitContext *ctx;
	double		last_loss;		/* data term at the last evaluated point */
	/* validation rows, standardized like the training rows (may be empty) */
	size_t		nv;
	const double *Xv;
	const double *yv;
	double	   *Zv;
} Problem;

static inline double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* the objective and its gradient; theta = [W (p x K) ; b (K)] */
static double
objective(const double *theta, double *grad, void *arg)
{
	Problem    *pr = arg;
	size_t		n = pr->n,
				p = pr->p,
				K = (size_t) pr->K;
	const double *W = theta,
			   *b = theta + p * K;
	double	   *gW = grad,
			   *gb = grad + p * K;
	double	   *Z = pr->Z;
	double		loss = 0,
				pen = 0;

	linalg_gemm_nn(pr->Xs, n, p, W, K, Z);
	memset(gb, 0, sizeof(double) * K);
	if (K == 1)
	{
		for (size_t i = 0; i < n; i++)
		{
			double		z = Z[i] + b[0],
						t = pr->y[i],
						w = pr->cw ? pr->cw[(int) t] : 1.0;

			loss += w * (softplus(z) - t * z);
			/* Z becomes the weighted residual w (sigmoid(z) - t) */
			Z[i] = w * ((z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z))) - t);
			gb[0] += Z[i];
		}
	}
	else
	{
		for (size_t i = 0; i < n; i++)
		{
			double		mx = -INFINITY,
						s = 0,
						lse;
			int			t = (int) pr->y[i];
			double		w = pr->cw ? pr->cw[t] : 1.0;

			for (size_t c = 0; c < K; c++)
			{
				Z[c * n + i] += b[c];
				mx = fmax(mx, Z[c * n + i]);
			}
			for (size_t c = 0; c < K; c++)
				s += exp(Z[c * n + i] - mx);
			lse = mx + log(s);
			loss += w * (lse - Z[t * n + i]);
			for (size_t c = 0; c < K; c++)
			{
				Z[c * n + i] = w * (exp(Z[c * n + i] - lse) - ((int) c == t ? 1.0 : 0.0));
				gb[c] += Z[c * n + i];
			}
		}
	}
	linalg_gemm_tn(pr->Xs, n, p, Z, K, gW);
	for (size_t i = 0; i < p * K; i++)
	{
		gW[i] = gW[i] / n + pr->alpha / n * W[i];
		pen += W[i] * W[i];
	}
	for (size_t c = 0; c < K; c++)
		gb[c] /= n;
	pr->last_loss = loss / n;
	return loss / n + pr->alpha / (2.0 * n) * pen;
}

/* mean log loss of the validation rows at theta */
static double
validation_loss(Problem *pr, const double *theta)
{
	size_t		n = pr->nv,
				p = pr->p,
				K = (size_t) pr->K;
	const double *W = theta,
			   *b = theta + p * K;
	double		loss = 0;

	linalg_gemm_nn(pr->Xv, n, p, W, K, pr->Zv);
	for (size_t i = 0; i < n; i++)
	{
		int			t = (int) pr->yv[i];

		if (K == 1)
		{
			double		z = pr->Zv[i] + b[0];

			loss += softplus(z) - t * z;
		}
		else
		{
			double		mx = -INFINITY,
						s = 0;

			for (size_t c = 0; c < K; c++)
				mx = fmax(mx, pr->Zv[c * n + i] + b[c]);
			for (size_t c = 0; c < K; c++)
				s += exp(pr->Zv[c * n + i] + b[c] - mx);
			loss += mx + log(s) - (pr->Zv[t * n + i] + b[t]);
		}
	}
	return loss / n;
}

static void
on_iter(int iter, const double *x, double fx, void *arg)
{
	Problem    *pr = arg;

	(void) fx;
	ml_log_metric(pr->ctx, "train", "log_loss", iter, pr->last_loss);
	ml_progress("iteration", iter, 0, "log_loss", pr->last_loss);
	if (pr->nv > 0)
		ml_log_metric(pr->ctx, "validation", "log_loss", iter, validation_loss(pr, x));
}

static void *
logistic_fit(const MLDataset *train, const MLDataset *valid,
			 const MLParams *params, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	Logistic   *m = ml_alloc(sizeof(Logistic));
	Problem		pr;
	double	   *mean = ml_alloc(sizeof(double) * (p ? p : 1));
	double	   *std = ml_alloc(sizeof(double) * (p ? p : 1));
	double	   *Xs = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
	double	   *theta;
	size_t		K,
				dim;
	bool		converged;
	int			iters;

	m->p = p;
	m->k = train->n_classes;
	m->K = m->k == 2 ? 1 : m->k;
	K = (size_t) m->K;

	dataset_column_stats(train, mean, std);
	for (size_t j = 0; j < p; j++)
	{
		double		s = std[j] > 0 ? std[j] : 1.0;

		if (!isfinite(mean[j]) || !isfinite(std[j]))
			ml_error(ML_ERR_DATA, "Rescale the feature; its values overflow double precision.",
					 "feature %zu has values too large to standardize", j + 1);

		std[j] = s;
		for (size_t i = 0; i < n; i++)
			Xs[j * n + i] = (train->X[j * n + i] - mean[j]) / s;
	}

	dim = ml_mul_size(p + 1, K);
	theta = ml_alloc(ml_mul_size(dim, sizeof(double)));
	pr.n = n;
	pr.p = p;
	pr.K = m->K;
	pr.alpha = params_get_num(params, "alpha");
	pr.Xs = Xs;
	pr.y = train->y;
	pr.cw = params_class_weights(params, train);
	pr.Z = ml_alloc(ml_mul_size(ml_mul_size(n, K), sizeof(double)));
	pr.ctx = ctx;
	pr.last_loss = NAN;
	pr.nv = 0;
	if (valid && valid->n_rows > 0 && valid->n_cols == p)
	{
		double	   *Xv = ml_alloc(ml_mul_size(ml_mul_size(valid->n_rows, p ? p : 1), sizeof(double)));

		for (size_t j = 0; j < p; j++)
			for (size_t i = 0; i < valid->n_rows; i++)
				Xv[j * valid->n_rows + i] = (valid->X[j * valid->n_rows + i] - mean[j]) / std[j];
		pr.nv = valid->n_rows;
		pr.Xv = Xv;
		pr.yv = valid->y;
		pr.Zv = ml_alloc(ml_mul_size(ml_mul_size(valid->n_rows, K), sizeof(double)));
	}

	iters = lbfgs_minimize(objective, on_iter, &pr, theta, dim,
						   (int) params_get_num(params, "max_iter"),
						   params_get_num(params, "tol"), &converged);
	ml_log_metric(ctx, "train", "n_iter", -1, iters);
	ml_log_metric(ctx, "train", "converged", -1, converged ? 1 : 0);

	/* back to the original feature scale */
	m->W = ml_alloc(ml_mul_size(p ? p * K : 1, sizeof(double)));
	m->b = ml_alloc(sizeof(double) * K);
	for (size_t c = 0; c < K; c++)
	{
		double		b = theta[p * K + c];

		for (size_t j = 0; j < p; j++)
		{
			double		w = theta[c * p + j] / std[j];

			m->W[c * p + j] = w;
			b -= w * mean[j];
		}
		m->b[c] = b;
	}
	ml_free(Xs);
	ml_free(pr.Z);
	if (pr.cw)
		ml_free((double *) pr.cw);
	if (pr.nv > 0)
	{
		ml_free((double *) pr.Xv);
		ml_free(pr.Zv);
	}
	ml_free(theta);
	ml_free(mean);
	ml_free(std);
	return m;
}

/*
 * The state of weights found elsewhere (the aggregate engine's Newton
 * passes): W is p x K on the original feature scale, b the K intercepts;
 * K is 1 for two classes, else k.
 */
static void *
logistic_from_weights(size_t p, int k, const double *W, const double *b)
{
	Logistic   *m = ml_alloc(sizeof(Logistic));
	size_t		K = k == 2 ? 1 : (size_t) k;

	m->p = p;
	m->k = k;
	m->K = (int) K;
	m->W = ml_alloc(ml_mul_size(p ? p * K : 1, sizeof(double)));
	m->b = ml_alloc(sizeof(double) * K);
	memcpy(m->W, W, sizeof(double) * p * K);
	memcpy(m->b, b, sizeof(double) * K);
	return m;
}

static void
logistic_predict(const void *state, const double *X, size_t n, double *out)
{
	const Logistic *m = state;
	size_t		k = (size_t) m->k,
				K = (size_t) m->K,
				p = m->p;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * p;
		double	   *o = out + i * k;

		if (K == 1)
		{
			double		z = m->b[0],
						e,
						p1;

			for (size_t j = 0; j < p; j++)
				z += x[j] * m->W[j];
			/* one exp: e / (1 + e) with e = exp(z) for z < 0, as before */
			e = exp(z >= 0 ? -z : z);
			p1 = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
			o[0] = 1.0 - p1;
			o[1] = p1;
		}
		else
		{
			for (size_t c = 0; c < K; c++)
			{
				double		z = m->b[c];

				for (size_t j = 0; j < p; j++)
					z += x[j] * m->W[c * p + j];
				o[c] = z;
			}
			ml_softmax(o, (int) K);
		}
	}
}

static void
logistic_write(const void *state, MLBuffer *out)
{
	const Logistic *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_f64s(out, m->W, m->p * m->K);
	buffer_put_f64s(out, m->b, m->K);
}

static void *
logistic_read(MLReader *in, size_t p, int k)
{
	Logistic   *m = ml_alloc(sizeof(Logistic));

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	if (m->p != p || m->k != k || k < 2)
		ml_error(ML_ERR_CORRUPT, NULL, "logistic model shape does not match its header");
	m->K = k == 2 ? 1 : k;
	m->W = reader_f64s(in, ml_mul_size(p, (size_t) m->K));
	m->b = reader_f64s(in, (size_t) m->K);
	return m;
}

static void
logistic_describe(const void *state, MLBuffer *json)
{
	const Logistic *m = state;

	buffer_printf(json, "{\"coef\": [");
	for (int c = 0; c < m->K; c++)
	{
		buffer_printf(json, "%s[", c ? ", " : "");
		for (size_t j = 0; j < m->p; j++)
		{
			if (j)
				buffer_printf(json, ", ");
			buffer_json_num(json, m->W[c * m->p + j]);
		}
		buffer_printf(json, "]");
	}
	buffer_printf(json, "], \"intercept\": [");
	for (int c = 0; c < m->K; c++)
	{
		if (c)
			buffer_printf(json, ", ");
		buffer_json_num(json, m->b[c]);
	}
	buffer_printf(json, "]}");
}

/* |coefficient| times the feature's standard deviation in training */
static void
logistic_importance(const void *state, const MLDataset *train, double *out)
{
	const Logistic *m = state;

	for (size_t j = 0; j < m->p; j++)
	{
		double		w = 0;

		for (int c = 0; c < m->K; c++)
			w += fabs(m->W[c * m->p + j]);
		out[j] = w;
	}
	dataset_scale_by_std(train, out);
}

/*
 * Exact for a linear score: w_j (x_j - E[x_j]) of the explained class, the
 * bias its intercept plus w . E[x], its mean log-odds over the training rows
 */
static int
logistic_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Logistic *m = state;
	size_t		p = m->p;
	int			c = 0;

	if (m->K > 1)
	{
		double		best = -INFINITY;

		for (int k = 0; k < m->K; k++)
		{
			double		z = m->b[k];

			for (size_t j = 0; j < p; j++)
				z += x[j] * m->W[(size_t) k * p + j];
			if (z > best)
			{
				best = z;
				c = k;
			}
		}
	}
	phi[p] = m->b[c];
	for (size_t j = 0; j < p; j++)
	{
		double		mu = mean ? mean[j] : 0;

		phi[j] = m->W[(size_t) c * p + j] * (x[j] - mu);
		phi[p] += m->W[(size_t) c * p + j] * mu;
	}
	return m->K > 1 ? c : -1;
}

const MLLearner ml_learner_logistic = {
	.name = "logistic",
	.id = 3,
	.tasks = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = logistic_params,
	.doc = "binary and multinomial logistic regression with L2",
	.fit = logistic_fit,
	.predict = logistic_predict,
	.write = logistic_write,
	.read = logistic_read,
	.describe = logistic_describe,
	.importance = logistic_importance,
	.explain = logistic_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_NEWTON,
	.from_weights = logistic_from_weights,
};
