/*-------------------------------------------------------------------------
 *
 * knn.c
 *	  k-nearest neighbours, classification and regression, brute force.
 *
 * The model keeps the training rows.  Scoring a block of rows computes the
 * block's Euclidean distances to every training row with one BLAS product
 * (|x|^2 + |t|^2 - 2 x.t), keeps the k nearest with a bounded insertion
 * (ties go to the earlier training row), then recomputes those k distances
 * exactly.  Manhattan and cosine distances are computed directly.  Weights
 * are uniform or 1 / distance (a row at distance 0 takes all the weight, as
 * scikit-learn).  Features are standardized by default (the pipeline's
 * scale), since distances mix units otherwise.  Predict O(n_train p) per
 * row, model O(n_train p).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

enum
{
	KNN_EUCLIDEAN = 0, KNN_MANHATTAN = 1, KNN_COSINE = 2
};

typedef struct Knn
{
	size_t		n,
				p;
	int			k_classes;		/* 0 for regression */
	int			k;
	int			distance_weights;
	int			metric;
	double	   *X;				/* n x p, row-major */
	double	   *y;
	double	   *norm2;			/* |t|^2 per training row */
} Knn;

static const MLParamSpec knn_params[] = {
	{"k", ML_PARAM_INT, 5, 1, 100000, NULL, NULL, "neighbours that vote"},
	{"weights", ML_PARAM_STRING, 0, 0, 0, "uniform", "uniform,distance", "uniform or 1 / distance"},
	{"metric", ML_PARAM_STRING, 0, 0, 0, "euclidean", "euclidean,manhattan,cosine", "distance"},
	{NULL}
};

static int
metric_code(const char *s)
{
	return strcmp(s, "manhattan") == 0 ? KNN_MANHATTAN : strcmp(s, "cosine") == 0 ? KNN_COSINE : KNN_EUCLIDEAN;
}

static void
compute_norms(Knn *m)
{
	m->norm2 = ml_alloc(sizeof(double) * (m->n ? m->n : 1));
	for (size_t t = 0; t < m->n; t++)
	{
		double		s = 0;

		for (size_t j = 0; j < m->p; j++)
			s += m->X[t * m->p + j] * m->X[t * m->p + j];
		m->norm2[t] = s;
	}
}

static void *
knn_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	Knn		   *m = ml_alloc(sizeof(Knn));
	size_t		n = train->n_rows,
				p = train->n_cols;

	(void) valid;
	(void) ctx;
	m->k = (int) params_get_num(params, "k");
	if ((size_t) m->k > n)
		ml_error(ML_ERR_PARAM, "Valid range is 1 .. the number of training rows.",
				 "parameter \"k\" of algorithm \"knn\" is %d, larger than the %zu training rows",
				 m->k, n);
	m->n = n;
	m->p = p;
	m->k_classes = train->n_classes;
	m->distance_weights = strcmp(params_get_str(params, "weights"), "distance") == 0;
	m->metric = metric_code(params_get_str(params, "metric"));
	m->X = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
	m->y = ml_alloc(sizeof(double) * n);
	for (size_t i = 0; i < n; i++)
	{
		for (size_t j = 0; j < p; j++)
			m->X[i * p + j] = train->X[j * n + i];
		m->y[i] = train->y[i];
	}
	compute_norms(m);
	return m;
}

static double
exact_distance(const Knn *m, const double *x, size_t t)
{
	const double *r = m->X + t * m->p;
	double		s = 0,
				a = 0,
				b = 0;

	switch (m->metric)
	{
		case KNN_MANHATTAN:
			for (size_t j = 0; j < m->p; j++)
				s += fabs(x[j] - r[j]);
			return s;
		case KNN_COSINE:
			for (size_t j = 0; j < m->p; j++)
			{
				s += x[j] * r[j];
				a += x[j] * x[j];
				b += r[j] * r[j];
			}
			return (a > 0 && b > 0) ? 1.0 - s / sqrt(a * b) : 1.0;
		default:
			for (size_t j = 0; j < m->p; j++)
				s += (x[j] - r[j]) * (x[j] - r[j]);
			return sqrt(s);
	}
}

#define KNN_BLOCK 64

static void
knn_predict(const void *state, const double *X, size_t n, double *out)
{
	const Knn  *m = state;
	size_t		k = (size_t) m->k,
				kc = m->k_classes ? (size_t) m->k_classes : 1;
	double	   *G = ml_alloc(ml_mul_size(ml_mul_size(KNN_BLOCK, m->n), sizeof(double)));
	double	   *best_d = ml_alloc(sizeof(double) * k);
	size_t	   *best_i = ml_alloc(sizeof(size_t) * k);

	for (size_t start = 0; start < n; start += KNN_BLOCK)
	{
		size_t		len = n - start < KNN_BLOCK ? n - start : KNN_BLOCK;

		if (m->metric == KNN_EUCLIDEAN && m->p > 0)
			cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int) len, (int) m->n, (int) m->p,
						1.0, X + start * m->p, (int) m->p, m->X, (int) m->p, 0.0, G, (int) len);
		for (size_t q = 0; q < len; q++)
		{
			const double *x = X + (start + q) * m->p;
			double		xn = 0,
						wsum = 0;
			size_t		have = 0;
			double	   *o = out + (start + q) * kc;
			bool		zero = false;

			for (size_t j = 0; j < m->p; j++)
				xn += x[j] * x[j];
			for (size_t t = 0; t < m->n; t++)
			{
				double		d = m->metric == KNN_EUCLIDEAN
					? fmax(0.0, xn + m->norm2[t] - 2 * G[t * len + q])
					: exact_distance(m, x, t);
				size_t		pos;

				if (have == k && !(d < best_d[k - 1]))
					continue;
				pos = have < k ? have++ : k - 1;
				while (pos > 0 && best_d[pos - 1] > d)
				{
					best_d[pos] = best_d[pos - 1];
					best_i[pos] = best_i[pos - 1];
					pos--;
				}
				best_d[pos] = d;
				best_i[pos] = t;
			}
			for (size_t c = 0; c < kc; c++)
				o[c] = 0;
			for (size_t a = 0; a < k; a++)
			{
				best_d[a] = exact_distance(m, x, best_i[a]);
				if (best_d[a] == 0)
					zero = true;
			}
			for (size_t a = 0; a < k; a++)
			{
				double		w = !m->distance_weights ? 1.0
					: zero ? (best_d[a] == 0 ? 1.0 : 0.0) : 1.0 / best_d[a];

				if (m->k_classes)
					o[(size_t) m->y[best_i[a]]] += w;
				else
					o[0] += w * m->y[best_i[a]];
				wsum += w;
			}
			for (size_t c = 0; c < kc; c++)
				o[c] /= wsum;
		}
		ml_check_interrupts();
	}
	ml_free(G);
	ml_free(best_d);
	ml_free(best_i);
}

static void
knn_write(const void *state, MLBuffer *out)
{
	const Knn  *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u64(out, m->n);
	buffer_put_u32(out, (uint32_t) m->k_classes);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_u8(out, (uint8_t) m->distance_weights);
	buffer_put_u8(out, (uint8_t) m->metric);
	buffer_put_f64s(out, m->X, m->n * m->p);
	buffer_put_f64s(out, m->y, m->n);
}

static void *
knn_read(MLReader *in, size_t p, int k)
{
	Knn		   *m = ml_alloc(sizeof(Knn));
	uint64_t	n;

	m->p = reader_u32(in);
	n = reader_u64(in);
	m->k_classes = (int) reader_u32(in);
	m->k = (int) reader_u32(in);
	m->distance_weights = reader_u8(in);
	m->metric = reader_u8(in);
	if (m->p != p || m->k_classes != k || m->k < 1 || n < (uint64_t) m->k ||
		m->metric > KNN_COSINE || m->distance_weights > 1 ||
		(p > 0 && n > (in->len - in->pos) / 8 / p))
		ml_error(ML_ERR_CORRUPT, NULL, "k-NN model shape does not match its header");
	m->n = (size_t) n;
	m->X = reader_f64s(in, ml_mul_size(m->n, p));
	m->y = reader_f64s(in, m->n);
	for (size_t i = 0; i < m->n && k > 0; i++)
		if (!(m->y[i] >= 0 && m->y[i] < k && m->y[i] == floor(m->y[i])))
			ml_error(ML_ERR_CORRUPT, NULL, "k-NN model has an invalid class index");
	compute_norms(m);
	return m;
}

static void
knn_describe(const void *state, MLBuffer *json)
{
	const Knn  *m = state;
	static const char *const metrics[] = {"euclidean", "manhattan", "cosine"};

	buffer_printf(json, "{\"k\": %d, \"weights\": \"%s\", \"metric\": \"%s\", \"training_rows\": %zu}",
				  m->k, m->distance_weights ? "distance" : "uniform", metrics[m->metric], m->n);
}

const MLLearner ml_learner_knn = {
	.name = "knn",
	.id = 8,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = knn_params,
	.doc = "k-nearest neighbours (brute force)",
	.scale = ML_SCALE_STANDARD,
	.fit = knn_fit,
	.predict = knn_predict,
	.write = knn_write,
	.read = knn_read,
	.describe = knn_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
