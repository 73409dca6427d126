/*-------------------------------------------------------------------------
 *
 * naive_bayes.c
 *	  Naive Bayes: Gaussian for numeric features, categorical for categories.
 *
 * Each class c gets a prior (its share of the training rows, weighted by
 * class_weight) and, per numeric feature, the mean and population variance
 * of its rows; every variance is increased by var_smoothing times the
 * largest numeric feature variance, as scikit-learn's GaussianNB.  Category
 * columns arrive ordinal-coded (the learner asks for that encoding) and get
 * smoothed code frequencies per class, log((N_cv + alpha) / (N_c + alpha L))
 * with L the codes seen in training, as scikit-learn's CategoricalNB; a code
 * not seen in training adds nothing.  Prediction sums log likelihoods and
 * normalizes with log-sum-exp.  One-hot or target-encoded categories (when
 * the user asks for them) enter as numeric features.  Fit O(n p), predict
 * O(k p) per row, model O(k (p + codes)).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

#include <math.h>
#include <string.h>

typedef struct NaiveBayes
{
	size_t		p;
	int			k;
	double	   *log_prior;		/* k */
	double	   *mean;			/* k x p (numeric features) */
	double	   *var;			/* k x p (numeric features; 1 elsewhere) */
	uint32_t   *levels;			/* p: 0 numeric, else codes of a category */
	double	  **log_prob;		/* p: NULL, or k x levels[j] log P(code | c) */
} NaiveBayes;

static const MLParamSpec nb_params[] = {
	{"var_smoothing", ML_PARAM_FLOAT, 1e-9, 0.0, 1.0, NULL, NULL,
	"share of the largest numeric feature variance added to every variance"},
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL,
	"additive (Laplace) smoothing of category counts"},
	ML_CLASS_WEIGHT_PARAM,
	{NULL}
};

/* a category code of column j, or -1 when it is not a valid code */
static inline int
code_of(double v, uint32_t levels)
{
	return v >= 0 && v < levels && v == floor(v) ? (int) v : -1;
}

static void *
nb_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	int			k = train->n_classes;
	NaiveBayes *m = ml_alloc(sizeof(NaiveBayes));
	double	   *count = ml_alloc(sizeof(double) * k);
	double	   *w = params_row_weights(params, train);
	double		max_var = 0,
				eps,
				alpha = params_get_num(params, "alpha"),
				total = 0;

	(void) valid;
	(void) ctx;
	m->p = p;
	m->k = k;
	m->log_prior = ml_alloc(sizeof(double) * k);
	m->mean = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	m->var = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	m->levels = ml_alloc(sizeof(uint32_t) * (p ? p : 1));
	m->log_prob = ml_alloc(sizeof(double *) * (p ? p : 1));
	for (size_t i = 0; i < n; i++)
	{
		count[(int) train->y[i]] += w[i];
		total += w[i];
	}
	for (size_t j = 0; j < p; j++)
	{
		const double *x = train->X + j * n;
		double		mu = 0,
					ss = 0;

		if (train->levels && train->levels[j] > 0)
		{
			/* categorical: smoothed code frequencies per class */
			uint32_t	L = 0;
			double	   *lp;

			for (size_t i = 0; i < n; i++)
			{
				int			v = code_of(x[i], (uint32_t) train->levels[j]);

				if (v + 1 > (int) L)
					L = (uint32_t) v + 1;
			}
			if (L == 0)
				L = 1;
			lp = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, L), sizeof(double)));
			for (size_t i = 0; i < n; i++)
			{
				int			v = code_of(x[i], L);

				if (v >= 0)
					lp[(size_t) train->y[i] * L + v] += w[i];
			}
			for (int c = 0; c < k; c++)
			{
				double		den = 0;

				for (uint32_t v = 0; v < L; v++)
					den += lp[(size_t) c * L + v] + alpha;
				for (uint32_t v = 0; v < L; v++)
					lp[(size_t) c * L + v] = log(lp[(size_t) c * L + v] + alpha) - log(den);
			}
			m->levels[j] = L;
			m->log_prob[j] = lp;
			for (int c = 0; c < k; c++)
				m->var[c * p + j] = 1.0;
			continue;
		}
		for (size_t i = 0; i < n; i++)
		{
			mu += x[i];
			m->mean[(size_t) train->y[i] * p + j] += x[i];
		}
		mu /= n;
		for (size_t i = 0; i < n; i++)
			ss += (x[i] - mu) * (x[i] - mu);
		max_var = fmax(max_var, ss / n);
		ml_check_interrupts();
	}
	/* class means and variances of the numeric features (unweighted) */
	memset(count, 0, sizeof(double) * k);
	for (size_t i = 0; i < n; i++)
		count[(int) train->y[i]]++;
	for (size_t j = 0; j < p; j++)
	{
		const double *x = train->X + j * n;

		if (m->levels[j] > 0)
			continue;
		for (int c = 0; c < k; c++)
			if (count[c] > 0)
				m->mean[c * p + j] /= count[c];
		for (size_t i = 0; i < n; i++)
		{
			int			c = (int) train->y[i];
			double		d = x[i] - m->mean[c * p + j];

			m->var[c * p + j] += d * d;
		}
	}
	eps = params_get_num(params, "var_smoothing") * max_var;
	for (int c = 0; c < k; c++)
	{
		for (size_t j = 0; j < p; j++)
		{
			if (m->levels[j] > 0)
				continue;
			m->var[c * p + j] = (count[c] > 0 ? m->var[c * p + j] / count[c] : 0) + eps;
			if (!(m->var[c * p + j] > 0))
				m->var[c * p + j] = 1e-300;		/* constant feature, no smoothing */
		}
	}
	/* priors: weighted class shares */
	memset(count, 0, sizeof(double) * k);
	for (size_t i = 0; i < n; i++)
		count[(int) train->y[i]] += w[i];
	for (int c = 0; c < k; c++)
		m->log_prior[c] = count[c] > 0 ? log(count[c] / total) : -INFINITY;
	ml_free(count);
	ml_free(w);
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

		for (size_t c = 0; c < k; c++)
		{
			double		l = m->log_prior[c];

			for (size_t j = 0; j < p; j++)
			{
				if (m->levels[j] > 0)
				{
					int			v = code_of(x[j], m->levels[j]);

					/* an unseen or missing category carries no evidence */
					if (v >= 0)
						l += m->log_prob[j][c * m->levels[j] + v];
				}
				else
				{
					double		var = m->var[c * p + j],
								d = x[j] - m->mean[c * p + j];

					l -= 0.5 * log(2 * M_PI * var) + d * d / (2 * var);
				}
			}
			o[c] = l;
		}
		ml_softmax(o, (int) k);
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
	for (size_t j = 0; j < m->p; j++)
	{
		buffer_put_u32(out, m->levels[j]);
		if (m->levels[j] > 0)
			buffer_put_f64s(out, m->log_prob[j], (size_t) m->k * m->levels[j]);
	}
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
	m->levels = ml_alloc(sizeof(uint32_t) * (p ? p : 1));
	m->log_prob = ml_alloc(sizeof(double *) * (p ? p : 1));
	for (size_t j = 0; j < p; j++)
	{
		m->levels[j] = reader_u32(in);
		if (m->levels[j] > 100000 + 2)
			ml_error(ML_ERR_CORRUPT, NULL, "naive Bayes model has too many category codes");
		if (m->levels[j] > 0)
			m->log_prob[j] = reader_f64s(in, ml_mul_size((size_t) k, m->levels[j]));
	}
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

/*
 * The state from per class moments (ml_fit's states, the aggregate engine):
 * numeric features only; var_smoothing adds its share of the largest
 * feature variance over all rows (the law of total variance) to every
 * variance, as nb_fit does.
 */
static void *
nb_from_class_moments(const double *count, const double *mean, const double *m2, int k, size_t p,
					  uint64_t n, const MLParams *params)
{
	NaiveBayes *m = ml_alloc(sizeof(NaiveBayes));
	double		max_var = 0,
				eps;

	for (size_t j = 0; j < p; j++)
	{
		double		mu = 0,
					ss = 0;

		for (int c = 0; c < k; c++)
			mu += count[c] * mean[(size_t) c * p + j];
		mu /= (double) n;
		for (int c = 0; c < k; c++)
		{
			double		d = mean[(size_t) c * p + j] - mu;

			ss += m2[(size_t) c * p + j] + count[c] * d * d;
		}
		max_var = fmax(max_var, ss / (double) n);
	}
	eps = params_get_num(params, "var_smoothing") * max_var;
	m->p = p;
	m->k = k;
	m->log_prior = ml_alloc(sizeof(double) * (size_t) k);
	m->mean = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	m->var = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	m->levels = ml_alloc(sizeof(uint32_t) * (p ? p : 1));
	m->log_prob = ml_alloc(sizeof(double *) * (p ? p : 1));
	for (int c = 0; c < k; c++)
	{
		m->log_prior[c] = log(count[c] / (double) n);
		for (size_t j = 0; j < p; j++)
		{
			double		v = m2[(size_t) c * p + j] / count[c] + eps;

			m->mean[(size_t) c * p + j] = mean[(size_t) c * p + j];
			m->var[(size_t) c * p + j] = v > 0 ? v : 1e-300;
		}
	}
	return m;
}

const MLLearner ml_learner_naive_bayes = {
	.name = "naive_bayes",
	.id = 5,
	.tasks = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = nb_params,
	.doc = "naive Bayes: Gaussian for numbers, categorical for categories",
	.encode = ML_ENCODE_ORDINAL,
	.fit = nb_fit,
	.predict = nb_predict,
	.write = nb_write,
	.read = nb_read,
	.describe = nb_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE | ML_ENGINE_PARTITIONS,
	.agg_fit = ML_AGGFIT_GAUSSIAN_NB,
	.from_class_moments = nb_from_class_moments,
};
