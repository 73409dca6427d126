/*-------------------------------------------------------------------------
 *
 * naive_bayes.c
 *	  Gaussian naive Bayes.
 *
 * Each class c gets a prior (its share of the training rows) and, per
 * feature, the mean and population variance of its rows; every variance is
 * increased by var_smoothing times the largest feature variance, as
 * scikit-learn's GaussianNB.  Prediction sums log densities and normalizes
 * with log-sum-exp.  One-hot and target-encoded categories enter as numeric
 * features.  Fit O(n p), predict O(k p) per row, model O(k p).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

#include <math.h>

typedef struct NaiveBayes
{
	size_t		p;
	int			k;
	double	   *log_prior;		/* k */
	double	   *mean;			/* k x p */
	double	   *var;			/* k x p */
} NaiveBayes;

static const MLParamSpec nb_params[] = {
	{"var_smoothing", ML_PARAM_FLOAT, 1e-9, 0.0, 1.0, NULL, NULL,
	"share of the largest feature variance added to every variance"},
	{NULL}
};

static void *
nb_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	int			k = train->n_classes;
	NaiveBayes *m = ml_alloc(sizeof(NaiveBayes));
	double	   *count = ml_alloc(sizeof(double) * k);
	double		max_var = 0,
				eps;

	(void) valid;
	(void) ctx;
	m->p = p;
	m->k = k;
	m->log_prior = ml_alloc(sizeof(double) * k);
	m->mean = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	m->var = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	for (size_t i = 0; i < n; i++)
		count[(int) train->y[i]]++;
	for (size_t j = 0; j < p; j++)
	{
		const double *x = train->X + j * n;
		double		mu = 0,
					ss = 0;

		for (size_t i = 0; i < n; i++)
		{
			mu += x[i];
			m->mean[(size_t) train->y[i] * p + j] += x[i];
		}
		mu /= n;
		for (size_t i = 0; i < n; i++)
			ss += (x[i] - mu) * (x[i] - mu);
		max_var = fmax(max_var, ss / n);
		for (int c = 0; c < k; c++)
			if (count[c] > 0)
				m->mean[c * p + j] /= count[c];
		for (size_t i = 0; i < n; i++)
		{
			int			c = (int) train->y[i];
			double		d = x[i] - m->mean[c * p + j];

			m->var[c * p + j] += d * d;
		}
		ml_check_interrupts();
	}
	eps = params_get_num(params, "var_smoothing") * max_var;
	for (int c = 0; c < k; c++)
	{
		m->log_prior[c] = count[c] > 0 ? log(count[c] / n) : -INFINITY;
		for (size_t j = 0; j < p; j++)
		{
			m->var[c * p + j] = (count[c] > 0 ? m->var[c * p + j] / count[c] : 0) + eps;
			if (!(m->var[c * p + j] > 0))
				m->var[c * p + j] = 1e-300;		/* constant feature, no smoothing */
		}
	}
	ml_free(count);
	return m;
}

static void
nb_predict(const void *state, const double *X, size_t n, double *out)
{
	const NaiveBayes *m = state;
	size_t		p = m->p,
				k = (size_t) m->k;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * p;
		double	   *o = out + i * k;
		double		mx = -INFINITY,
					s = 0;

		for (size_t c = 0; c < k; c++)
		{
			double		l = m->log_prior[c];

			for (size_t j = 0; j < p; j++)
			{
				double		v = m->var[c * p + j],
							d = x[j] - m->mean[c * p + j];

				l -= 0.5 * log(2 * M_PI * v) + d * d / (2 * v);
			}
			o[c] = l;
			mx = fmax(mx, l);
		}
		for (size_t c = 0; c < k; c++)
		{
			o[c] = isfinite(mx) ? exp(o[c] - mx) : 1.0;
			s += o[c];
		}
		for (size_t c = 0; c < k; c++)
			o[c] /= s;
	}
}

static void
nb_write(const void *state, MLBuffer *out)
{
	const NaiveBayes *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_f64s(out, m->log_prior, m->k);
	buffer_put_f64s(out, m->mean, m->p * m->k);
	buffer_put_f64s(out, m->var, m->p * m->k);
}

static void *
nb_read(MLReader *in, size_t p, int k)
{
	NaiveBayes *m = ml_alloc(sizeof(NaiveBayes));

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	if (m->p != p || m->k != k || k < 2)
		ml_error(ML_ERR_CORRUPT, NULL, "naive Bayes model shape does not match its header");
	m->log_prior = reader_f64s(in, (size_t) k);
	m->mean = reader_f64s(in, ml_mul_size(p, (size_t) k));
	m->var = reader_f64s(in, ml_mul_size(p, (size_t) k));
	for (size_t i = 0; i < p * (size_t) k; i++)
		if (!(m->var[i] > 0))
			ml_error(ML_ERR_CORRUPT, NULL, "naive Bayes model has a non-positive variance");
	return m;
}

static void
nb_describe(const void *state, MLBuffer *json)
{
	const NaiveBayes *m = state;

	buffer_printf(json, "{\"class_prior\": [");
	for (int c = 0; c < m->k; c++)
	{
		buffer_printf(json, "%s", c ? ", " : "");
		buffer_json_num(json, exp(m->log_prior[c]));
	}
	buffer_printf(json, "]}");
}

const MLLearner ml_learner_naive_bayes = {
	.name = "naive_bayes",
	.id = 5,
	.tasks = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = nb_params,
	.doc = "Gaussian naive Bayes",
	.fit = nb_fit,
	.predict = nb_predict,
	.write = nb_write,
	.read = nb_read,
	.describe = nb_describe,
};
