/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  k-means clustering: k-means++ seeding (Arthur & Vassilvitskii, 2007)
 *	  and Lloyd iterations, best of n_init runs by inertia.
 *
 * Every random choice comes from the run's seed.  Iterations stop when no
 * center moved by more than tol times the mean feature variance, or after
 * max_iter.  Clusters are numbered by their order in the best run; an empty
 * cluster takes the row farthest from its center.  Features are
 * standardized by default.  Fit O(n_init * iterations * n k p), predict
 * O(k p) per row (the nearest center's index).
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"

#include <math.h>
#include <string.h>

typedef struct KMeans
{
	size_t		p;
	int			k;
	double	   *centers;		/* k x p */
} KMeans;

static const MLParamSpec kmeans_params[] = {
	{"k", ML_PARAM_INT, 8, 1, 100000, NULL, NULL, "clusters"},
	{"n_init", ML_PARAM_INT, 10, 1, 1000, NULL, NULL, "runs from different seeds; the lowest inertia wins"},
	{"max_iter", ML_PARAM_INT, 300, 1, 1000000, NULL, NULL, "most Lloyd iterations per run"},
	{"tol", ML_PARAM_FLOAT, 1e-4, 0, 1, NULL, NULL, "center movement that ends a run, relative to the mean variance"},
	{NULL}
};

static double
sqdist(const double *X, size_t n, size_t p, size_t i, const double *c)
{
	double		s = 0;

	for (size_t j = 0; j < p; j++)
	{
		double		d = X[j * n + i] - c[j];

		s += d * d;
	}
	return s;
}

static int
nearest(const double *X, size_t n, size_t p, size_t i, const double *C, int k, double *best_d)
{
	int			best = 0;
	double		bd = INFINITY;

	for (int c = 0; c < k; c++)
	{
		double		d = sqdist(X, n, p, i, C + (size_t) c * p);

		if (d < bd)
		{
			bd = d;
			best = c;
		}
	}
	if (best_d)
		*best_d = bd;
	return best;
}

/* one run from seed: returns its inertia, centers in C */
static double
one_run(const MLDataset *d, int k, int max_iter, double tol_abs, MLRng *rng, double *C)
{
	size_t		n = d->n_rows,
				p = d->n_cols;
	double	   *dist = ml_alloc(sizeof(double) * n);
	int		   *label = ml_alloc(sizeof(int) * n);
	double	   *sum = ml_alloc(sizeof(double) * k * (p ? p : 1));
	double	   *cnt = ml_alloc(sizeof(double) * k);
	double		inertia = 0;

	/* k-means++ */
	{
		size_t		first = (size_t) (ml_rng_next(rng) % n);

		for (size_t j = 0; j < p; j++)
			C[j] = d->X[j * n + first];
		for (size_t i = 0; i < n; i++)
			dist[i] = sqdist(d->X, n, p, i, C);
		for (int c = 1; c < k; c++)
		{
			double		tot = 0,
						r,
						acc = 0;
			size_t		pick = n - 1;

			for (size_t i = 0; i < n; i++)
				tot += dist[i];
			r = ml_rng_uniform(rng) * tot;
			for (size_t i = 0; i < n; i++)
			{
				acc += dist[i];
				if (acc > r)
				{
					pick = i;
					break;
				}
			}
			for (size_t j = 0; j < p; j++)
				C[(size_t) c * p + j] = d->X[j * n + pick];
			for (size_t i = 0; i < n; i++)
				dist[i] = fmin(dist[i], sqdist(d->X, n, p, i, C + (size_t) c * p));
		}
	}
	for (int it = 0; it < max_iter; it++)
	{
		double		shift = 0;

		memset(sum, 0, sizeof(double) * k * p);
		memset(cnt, 0, sizeof(double) * k);
		for (size_t i = 0; i < n; i++)
		{
			int			c = nearest(d->X, n, p, i, C, k, &dist[i]);

			label[i] = c;
			cnt[c]++;
			for (size_t j = 0; j < p; j++)
				sum[(size_t) c * p + j] += d->X[j * n + i];
		}
		for (int c = 0; c < k; c++)
		{
			double	   *ctr = C + (size_t) c * p;

			if (cnt[c] == 0)
			{
				/* empty: take the row farthest from its center */
				size_t		far = 0;

				for (size_t i = 1; i < n; i++)
					if (dist[i] > dist[far])
						far = i;
				for (size_t j = 0; j < p; j++)
				{
					shift += (d->X[j * n + far] - ctr[j]) * (d->X[j * n + far] - ctr[j]);
					ctr[j] = d->X[j * n + far];
				}
				dist[far] = 0;
				continue;
			}
			for (size_t j = 0; j < p; j++)
			{
				double		v = sum[(size_t) c * p + j] / cnt[c];

				shift += (v - ctr[j]) * (v - ctr[j]);
				ctr[j] = v;
			}
		}
		ml_check_interrupts();
		if (shift <= tol_abs)
			break;
	}
	for (size_t i = 0; i < n; i++)
	{
		double		bd;

		(void) nearest(d->X, n, p, i, C, k, &bd);
		inertia += bd;
	}
	ml_free(dist);
	ml_free(label);
	ml_free(sum);
	ml_free(cnt);
	return inertia;
}

static void *
kmeans_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	KMeans	   *m = ml_alloc(sizeof(KMeans));
	size_t		n = train->n_rows,
				p = train->n_cols;
	int			k = (int) params_get_num(params, "k");
	int			n_init = (int) params_get_num(params, "n_init");
	double		var = 0,
				best = INFINITY;
	double	   *C = ml_alloc(sizeof(double) * k * (p ? p : 1));
	MLRng		rng;

	(void) valid;
	if ((size_t) k > n)
		ml_error(ML_ERR_PARAM, "Valid range is 1 .. the number of training rows.",
				 "parameter \"k\" of algorithm \"kmeans\" is %d, larger than the %zu training rows", k, n);
	for (size_t j = 0; j < p; j++)
	{
		double		mu = 0,
					ss = 0;

		for (size_t i = 0; i < n; i++)
			mu += train->X[j * n + i];
		mu /= n;
		for (size_t i = 0; i < n; i++)
			ss += (train->X[j * n + i] - mu) * (train->X[j * n + i] - mu);
		var += ss / n;
	}
	var = p ? var / p : 0;
	m->p = p;
	m->k = k;
	m->centers = ml_alloc(sizeof(double) * k * (p ? p : 1));
	ml_rng_seed(&rng, ctx ? ctx->seed : 0);
	for (int r = 0; r < n_init; r++)
	{
		double		inertia = one_run(train, k, (int) params_get_num(params, "max_iter"),
									  params_get_num(params, "tol") * var, &rng, C);

		if (inertia < best)
		{
			best = inertia;
			memcpy(m->centers, C, sizeof(double) * k * p);
		}
	}
	ml_log_metric(ctx, "train", "inertia", -1, best);
	ml_free(C);
	return m;
}

static void
kmeans_predict(const void *state, const double *X, size_t n, double *out)
{
	const KMeans *m = state;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * m->p;
		int			best = 0;
		double		bd = INFINITY;

		for (int c = 0; c < m->k; c++)
		{
			double		s = 0;

			for (size_t j = 0; j < m->p; j++)
				s += (x[j] - m->centers[(size_t) c * m->p + j]) * (x[j] - m->centers[(size_t) c * m->p + j]);
			if (s < bd)
			{
				bd = s;
				best = c;
			}
		}
		out[i] = best;
	}
}

static void
kmeans_write(const void *state, MLBuffer *out)
{
	const KMeans *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_f64s(out, m->centers, (size_t) m->k * m->p);
}

static void *
kmeans_read(MLReader *in, size_t p, int k)
{
	KMeans	   *m = ml_alloc(sizeof(KMeans));

	(void) k;
	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	if (m->p != p || m->k < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "k-means model shape does not match its header");
	m->centers = reader_f64s(in, ml_mul_size((size_t) m->k, p));
	return m;
}

static void
kmeans_describe(const void *state, MLBuffer *json)
{
	const KMeans *m = state;

	buffer_printf(json, "{\"k\": %d, \"centers\": [", m->k);
	for (int c = 0; c < m->k; c++)
	{
		buffer_printf(json, "%s[", c ? ", " : "");
		for (size_t j = 0; j < m->p; j++)
		{
			buffer_printf(json, "%s", j ? ", " : "");
			buffer_json_num(json, m->centers[(size_t) c * m->p + j]);
		}
		buffer_printf(json, "]");
	}
	buffer_printf(json, "]}");
}

/* a state's k x p centers (the aggregate engine seeds its Lloyd passes with them) */
static void
kmeans_centers(const void *state, double *out)
{
	const KMeans *m = state;

	memcpy(out, m->centers, sizeof(double) * (size_t) m->k * m->p);
}

/* the state of centers found elsewhere (the aggregate engine's Lloyd passes) */
static void *
kmeans_from_centers(size_t p, int k, const double *centers)
{
	KMeans	   *m = ml_alloc(sizeof(KMeans));

	m->p = p;
	m->k = k;
	m->centers = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
	memcpy(m->centers, centers, sizeof(double) * (size_t) k * p);
	return m;
}

const MLLearner ml_learner_kmeans = {
	.name = "kmeans",
	.id = 13,
	.tasks = ML_TASK_BIT(ML_CLUSTERING),
	.params = kmeans_params,
	.doc = "k-means clustering (k-means++ and Lloyd)",
	.scale = ML_SCALE_STANDARD,
	.fit = kmeans_fit,
	.predict = kmeans_predict,
	.write = kmeans_write,
	.read = kmeans_read,
	.describe = kmeans_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_AGGREGATE,
	.agg_fit = ML_AGGFIT_LLOYD,
	.from_centers = kmeans_from_centers,
	.centers = kmeans_centers,
};
