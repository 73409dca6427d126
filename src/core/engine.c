/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  The aggregate engine's passes: which rows train, what one row adds,
 *	  and how partial states merge (see engine.h).
 *
 * Config bytes: "MLEC", u16 version, the fields of MLEngineConfig in
 * order, CRC-32C.  State bytes: "MLES", u16 version, u8 pass, the pass's
 * payload, CRC-32C.  Both are read with every count bounded by the bytes
 * left and the checksum verified first: forged bytes are an error
 * (engine_bytes.c).  The metrics pass's results are read in
 * engine_metrics.c.  engine_internal.h holds what these files share.
 *
 *-------------------------------------------------------------------------
 */

#include "engine.h"
#include "engine_internal.h"
#include "calibrate.h"
#include "dataset.h"
#include "linalg.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the split and the row's class ---- */

bool
engine_row_split(const MLEngineConfig *cfg, const double *num, const char *const *cat,
				 double y, const char *label, uint64_t *hash)
{
	uint64_t	h = ml_mix64(cfg->seed);

	for (int c = 0; c < cfg->n_cols; c++)
		h = cfg->kinds[c] == ML_COL_NUMERIC ? ml_row_hash_num(h, num[cfg->slot[c]])
			: ml_row_hash_str(h, cat[cfg->slot[c]]);
	if (cfg->target == 2)
		h = ml_row_hash_label(h, label);
	else if (cfg->target == 1)
		h = ml_row_hash_target(h, y);
	*hash = h;
	return ml_split_is_test(h, cfg->test_size);
}

static uint64_t
unseeded_hash(const MLEngineConfig *cfg, const double *num, const char *const *cat,
			  double y, const char *label)
{
	MLEngineConfig c0 = *cfg;
	uint64_t	h;

	c0.seed = 0;
	(void) engine_row_split(&c0, num, cat, y, label, &h);
	return h;
}

int
engine_bucket(const MLEngineConfig *cfg, const double *num, const char *const *cat,
			  double y, const char *label)
{
	uint64_t	h;

	if (engine_row_split(cfg, num, cat, y, label, &h))
		return -1;
	/* another mix of the same hash: the buckets do not follow the split */
	return (int) (ml_mix64(h ^ 0x243f6a8885a308d3ull) % (uint64_t) (cfg->buckets > 0 ? cfg->buckets : 1));
}

static int
cmp_dbl(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
row_class(const MLEngineConfig *cfg, double y, const char *label)
{
	if (cfg->target == 2)
	{
		char	  **hit = bsearch(&label, cfg->class_labels, (size_t) cfg->n_classes, sizeof(char *), cmp_strp);

		if (hit == NULL)
			ml_error(ML_ERR_DATA, "The source changed between the engine's passes.",
					 "target value \"%s\" is not one of the classes of the first pass", label);
		return (int) (hit - cfg->class_labels);
	}
	else
	{
		double	   *hit = bsearch(&y, cfg->class_values, (size_t) cfg->n_classes, sizeof(double), cmp_dbl);

		if (hit == NULL)
			ml_error(ML_ERR_DATA, "The source changed between the engine's passes.",
					 "target value %g is not one of the classes of the first pass", y);
		return (int) (hit - cfg->class_values);
	}
}

/* ---- states ---- */

static void
acc_init(MLEngineAcc *a, const MLModel *m)
{
	memset(a, 0, sizeof(MLEngineAcc));
	if (m->task == ML_CLASSIFICATION)
	{
		int			k = m->n_classes;

		a->k = k;
		a->bins = k <= 2 ? ML_ENGINE_AUC_BINS : (8192 / k > 64 ? 8192 / k : 64);
		a->confusion = ml_alloc(ml_mul_size((size_t) k * k, sizeof(uint64_t)));
		a->hist = ml_alloc(ml_mul_size(ml_mul_size((size_t) k * 2, (size_t) a->bins), sizeof(uint64_t)));
		a->lo = ml_alloc(ml_mul_size(ml_mul_size((size_t) k * 2, (size_t) a->bins), sizeof(double)));
		a->hi = ml_alloc(ml_mul_size(ml_mul_size((size_t) k * 2, (size_t) a->bins), sizeof(double)));
	}
}

MLEngineState *
engine_state_new(MLEngineConfig *cfg)
{
	MLEngineState *s = ml_alloc(sizeof(MLEngineState));
	size_t		p = cfg->p;

	s->cfg = cfg;
	s->x = ml_alloc(sizeof(double) * (p + 1));
	s->scratch = ml_alloc(sizeof(double) * (p + 2));
	s->rn = ml_alloc(sizeof(double) * (cfg->n_cols + 1));
	s->rs = ml_alloc(sizeof(char *) * (cfg->n_cols + 1));
	s->rl = ml_alloc(sizeof(size_t) * (cfg->n_cols + 1));
	switch (cfg->pass)
	{
		case ML_PASS_STATS:
			s->num_all = ml_alloc(sizeof(MLNumSketch) * (cfg->n_num + 1));
			s->num_train = ml_alloc(sizeof(MLNumSketch) * (cfg->n_num + 1));
			s->cat_all = ml_alloc(sizeof(MLCatSketch) * (cfg->n_cat + 1));
			s->cat_train = ml_alloc(sizeof(MLCatSketch) * (cfg->n_cat + 1));
			for (int i = 0; i < cfg->n_num; i++)
			{
				num_sketch_init(&s->num_all[i]);
				num_sketch_init(&s->num_train[i]);
			}
			for (int i = 0; i < cfg->n_cat; i++)
			{
				cat_sketch_init(&s->cat_all[i]);
				cat_sketch_init(&s->cat_train[i]);
			}
			num_sketch_init(&s->y_num_all);
			num_sketch_init(&s->y_num_train);
			cat_sketch_init(&s->y_cat_all);
			cat_sketch_init(&s->y_cat_train);
			break;
		case ML_PASS_MOMENTS:
			s->mean = ml_alloc(sizeof(double) * (p + 1));
			s->m2 = ml_alloc(sizeof(double) * (p + 1));
			break;
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			s->mean = ml_alloc(sizeof(double) * (p + 1));
			s->m2 = ml_alloc(sizeof(double) * (p + 1));
			s->agg = agg_new(cfg->algorithm, cfg->params, cfg->task,
							 cfg->task == ML_CLASSIFICATION ? cfg->label_type : ML_LABEL_NONE);
			agg_declare(s->agg, (uint32_t) p, cfg->class_labels,
						cfg->task == ML_CLASSIFICATION ? cfg->n_classes : 0);
			break;
		case ML_PASS_GRAM:
			s->gram = ml_alloc(ml_mul_size(ml_mul_size(p, p), sizeof(double)));
			s->gram_y = ml_alloc(sizeof(double) * (p + 1));
			s->block = ml_alloc(ml_mul_size(ML_AGG_BLOCK, (p + 1) * sizeof(double)));
			s->block_y = ml_alloc(sizeof(double) * ML_AGG_BLOCK);
			break;
		case ML_PASS_NEWTON:
			{
				size_t		d = (p + 1) * (size_t) cfg->K;

				s->grad = ml_alloc(sizeof(double) * d);
				s->hess = ml_alloc(ml_mul_size(ml_mul_size(d, d), sizeof(double)));
				s->out = ml_alloc(sizeof(double) * ((size_t) cfg->n_classes + 1));
				if (cfg->K == 1)
				{
					s->nblock = ml_alloc(ml_mul_size(ML_AGG_BLOCK, (p + 1) * sizeof(double)));
					s->nblock_w = ml_alloc(sizeof(double) * ML_AGG_BLOCK);
				}
				break;
			}
		case ML_PASS_LLOYD:
			s->center_n = ml_alloc(sizeof(uint64_t) * (size_t) cfg->k);
			s->center_sum = ml_alloc(ml_mul_size(ml_mul_size((size_t) cfg->k, p), sizeof(double)));
			break;
		case ML_PASS_METRICS:
			{
				size_t		w = 1;

				for (int m = 0; m < cfg->n_scored; m++)
				{
					const MLModel *mm = cfg->scored[m].model;
					size_t		mw = model_output_width(mm);

					if (mm->n_features + 1 > w)
						w = mm->n_features + 1;
					if (mw > w)
						w = mw;
					acc_init(&s->acc[m][0], mm);
					acc_init(&s->acc[m][1], mm);
				}
				ml_free(s->x);
				s->x = ml_alloc(sizeof(double) * w);
				s->out = ml_alloc(sizeof(double) * w);
				{
					int			mc = 1;

					for (int m = 0; m < cfg->n_scored; m++)
						if (cfg->scored[m].model->pipeline->n_cols > mc)
							mc = cfg->scored[m].model->pipeline->n_cols;
					s->mn = ml_alloc(sizeof(double) * mc);
					s->ms = ml_alloc(sizeof(char *) * mc);
					s->ml = ml_alloc(sizeof(size_t) * mc);
				}
				break;
			}
	}
	return s;
}

/* the row's raw values in pipeline order */
static void
raw_row(const MLEngineState *s, const double *num, const char *const *cat, const size_t *cat_len,
		double *rn, const char **rs, size_t *rl)
{
	const MLEngineConfig *cfg = s->cfg;

	for (int c = 0; c < cfg->n_cols; c++)
	{
		if (cfg->kinds[c] == ML_COL_NUMERIC)
		{
			rn[c] = num[cfg->slot[c]];
			rs[c] = NULL;
			rl[c] = 0;
		}
		else
		{
			rn[c] = NAN;
			rs[c] = cat[cfg->slot[c]];
			rl[c] = rs[c] ? cat_len[cfg->slot[c]] : 0;
		}
	}
}

/* the row's features through the config's pipeline, into s->x */
static void
features(MLEngineState *s, const double *num, const char *const *cat, const size_t *cat_len)
{
	raw_row(s, num, cat, cat_len, s->rn, s->rs, s->rl);
	pipeline_transform_row(s->cfg->pipeline, s->rn, s->rs, s->rl, s->x);
}

/* keep the n smallest hashes (with w values each) of two sorted samples */
static void
sample_keep(size_t *n, uint64_t **hash, double **x, size_t w, size_t cap,
			size_t n2, const uint64_t *hash2, const double *x2)
{
	size_t		m = 0,
				i = 0,
				j = 0,
				total = *n + n2 < cap ? *n + n2 : cap;
	uint64_t   *h = ml_alloc(sizeof(uint64_t) * (total + 1));
	double	   *v = ml_alloc(ml_mul_size(total + 1, w * sizeof(double)));

	while (m < total)
	{
		bool		left = j >= n2 || (i < *n && (*hash)[i] <= hash2[j]);

		h[m] = left ? (*hash)[i] : hash2[j];
		memcpy(v + m * w, left ? *x + i * w : x2 + j * w, sizeof(double) * w);
		if (left)
			i++;
		else
			j++;
		m++;
	}
	if (*hash)
		ml_free(*hash);
	if (*x)
		ml_free(*x);
	*hash = h;
	*x = v;
	*n = m;
}

/* one row into a sorted bottom-cap sample */
static void
sample_add(size_t *n, uint64_t **hash, double **x, size_t w, size_t cap, uint64_t h, const double *row)
{
	size_t		at;

	if (*n == cap && h >= (*hash)[cap - 1])
		return;
	if (*hash == NULL)
	{
		*hash = ml_alloc(sizeof(uint64_t) * cap);
		*x = ml_alloc(ml_mul_size(cap, w * sizeof(double)));
	}
	/* binary search for the place; equal hashes keep arrival order */
	{
		size_t		lo = 0,
					hi = *n;

		while (lo < hi)
		{
			size_t		mid = (lo + hi) / 2;

			if ((*hash)[mid] <= h)
				lo = mid + 1;
			else
				hi = mid;
		}
		at = lo;
	}
	if (*n < cap)
		(*n)++;
	memmove(*hash + at + 1, *hash + at, sizeof(uint64_t) * (*n - 1 - at));
	memmove(*x + (at + 1) * w, *x + at * w, sizeof(double) * w * (*n - 1 - at));
	(*hash)[at] = h;
	memcpy(*x + at * w, row, sizeof(double) * w);
}

void
engine_flush_gram(MLEngineState *s)
{
	if (s->cfg->pass != ML_PASS_GRAM || s->n_block == 0)
		return;
	linalg_gram_add_rows(s->block, (size_t) s->n_block, s->cfg->p, s->block_y, s->gram, s->gram_y);
	s->n_block = 0;
}

void
engine_flush_newton(MLEngineState *s)
{
	size_t		q = s->cfg->p + 1;
	double	   *zero;

	if (s->cfg->pass != ML_PASS_NEWTON || s->cfg->K != 1 || s->n_block == 0)
		return;
	zero = ml_alloc(sizeof(double) * (size_t) s->n_block);
	/* rows already scaled by sqrt(weight): H += B'B (the gradient is kept apart) */
	linalg_gram_add_rows(s->nblock, (size_t) s->n_block, q, zero, s->hess, s->scratch);
	ml_free(zero);
	s->n_block = 0;
}

static inline double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static void
newton_row(MLEngineState *s, int t)
{
	const MLEngineConfig *cfg = s->cfg;
	size_t		p = cfg->p,
				q = p + 1,
				K = (size_t) cfg->K,
				d = q * K;
	double	   *u = s->x;		/* standardized features, then 1 */
	double		w = cfg->class_weight ? cfg->class_weight[t] : 1.0;

	for (size_t j = 0; j < p; j++)
		u[j] = (u[j] - cfg->mean[j]) / cfg->scale[j];
	u[p] = 1.0;
	if (K == 1)
	{
		double		z = cfg->theta[p],
					sg,
					a;
		double	   *row;

		for (size_t j = 0; j < p; j++)
			z += cfg->theta[j] * u[j];
		sg = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
		s->loss += w * (softplus(z) - t * z);
		for (size_t j = 0; j < q; j++)
			s->grad[j] += w * (sg - t) * u[j];
		a = sqrt(w * sg * (1.0 - sg));
		row = s->nblock + (size_t) s->n_block * q;
		for (size_t j = 0; j < q; j++)
			row[j] = a * u[j];
		s->n_block++;
		if (s->n_block == ML_AGG_BLOCK)
			engine_flush_newton(s);
		return;
	}
	{
		double	   *pr = s->out,
					mx = -INFINITY,
					sum = 0,
					lse;

		for (size_t c = 0; c < K; c++)
		{
			double		z = cfg->theta[p * K + c];

			for (size_t j = 0; j < p; j++)
				z += cfg->theta[c * p + j] * u[j];
			pr[c] = z;
			mx = fmax(mx, z);
		}
		for (size_t c = 0; c < K; c++)
			sum += exp(pr[c] - mx);
		lse = mx + log(sum);
		s->loss += w * (lse - pr[t]);
		for (size_t c = 0; c < K; c++)
			pr[c] = exp(pr[c] - lse);
		/* internal order: class c's block of q entries (features, then 1) */
		for (size_t c = 0; c < K; c++)
		{
			double		r = w * (pr[c] - (c == (size_t) t ? 1.0 : 0.0));

			for (size_t j = 0; j < q; j++)
				s->grad[c * q + j] += r * u[j];
		}
		for (size_t c = 0; c < K; c++)
			for (size_t e = c; e < K; e++)
			{
				double		a = w * (c == e ? pr[c] * (1 - pr[c]) : -pr[c] * pr[e]);

				if (a == 0)
					continue;
				for (size_t j = 0; j < q; j++)
				{
					double		aj = a * u[j];
					double	   *col;

					/* upper triangle: row c*q + i <= column e*q + j */
					col = s->hess + (e * q + j) * d + c * q;
					for (size_t i = 0; i < (c == e ? j + 1 : q); i++)
						col[i] += aj * u[i];
				}
			}
	}
}

static void
lloyd_row(MLEngineState *s)
{
	const MLEngineConfig *cfg = s->cfg;
	size_t		p = cfg->p;
	int			best = 0;
	double		bd = INFINITY;

	for (int c = 0; c < cfg->k; c++)
	{
		const double *ctr = cfg->centers + (size_t) c * p;
		double		dd = 0;

		for (size_t j = 0; j < p; j++)
		{
			double		t = s->x[j] - ctr[j];

			dd += t * t;
		}
		if (dd < bd)
		{
			bd = dd;
			best = c;
		}
	}
	s->center_n[best]++;
	for (size_t j = 0; j < p; j++)
		s->center_sum[(size_t) best * p + j] += s->x[j];
	s->inertia += bd;
}

static int
score_bin(double v, int bins)
{
	int			b = (int) (v * bins);

	return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

static void
metrics_row(MLEngineState *s, int split, uint64_t hash, const double *num, const char *const *cat,
			const size_t *cat_len, double y, int cls)
{
	const MLEngineConfig *cfg = s->cfg;
	double	   *rn = s->rn,
			   *mn = s->mn;
	const char **rs = s->rs,
			  **ms = s->ms;
	size_t	   *rl = s->rl,
			   *ml = s->ml;

	raw_row(s, num, cat, cat_len, rn, rs, rl);
	for (int m = 0; m < cfg->n_scored; m++)
	{
		const MLEngineScored *sc = &cfg->scored[m];
		const MLModel *mm = sc->model;
		const MLPipeline *pl = mm->pipeline;
		MLEngineAcc *a = &s->acc[m][split];

		for (int c = 0; c < pl->n_cols; c++)
		{
			int			o = sc->col[c];

			mn[c] = rn[o] * sc->factor[c];
			ms[c] = rs[o];
			ml[c] = rl[o];
		}
		pipeline_transform_row(pl, mn, ms, ml, s->x);
		model_predict(mm, s->x, 1, s->out);
		a->n++;
		switch (mm->task)
		{
			case ML_REGRESSION:
				{
					double		e = y - s->out[0],
								dy = y - a->y_mean;

					a->y_mean += dy / (double) a->n;
					a->y_m2 += dy * (y - a->y_mean);
					a->sse += e * e;
					a->sae += fabs(e);
					break;
				}
			case ML_CLASSIFICATION:
				{
					int			k = a->k,
								best = model_class_of(mm, s->out);
					double		eps = 1e-15,
								sum = 0;

					a->confusion[(size_t) cls * k + best]++;
					for (int c = 0; c < k; c++)
						sum += fmin(fmax(s->out[c], eps), 1 - eps);
					a->log_loss -= log(fmin(fmax(s->out[cls], eps), 1 - eps) / sum);
					{
						double		v,
									hit;

						a->brier += calibration_brier(&(double) {cls}, s->out, 1, k);
						calibration_point(s->out, k, cls, &v, &hit);
						if (!isnan(v))
						{
							int			b = calibration_bin(v, ML_ECE_BINS);

							a->ece_pred[b] += v;
							a->ece_obs[b] += hit;
							a->ece_n[b]++;
						}
					}
					for (int c = (k == 2 ? 1 : 0); c < k; c++)
					{
						size_t		at = ((size_t) c * 2 + (cls == c)) * a->bins + score_bin(s->out[c], a->bins);

						/* the bin's least and greatest score: ties within it may be real */
						if (a->hist[at]++ == 0 || s->out[c] < a->lo[at])
							a->lo[at] = s->out[c];
						if (a->hist[at] == 1 || s->out[c] > a->hi[at])
							a->hi[at] = s->out[c];
					}
					break;
				}
			case ML_CLUSTERING:
				{
					/* the features and the cluster of a seeded sample of rows */
					size_t		w = mm->n_features + 1;

					s->x[mm->n_features] = s->out[0];
					sample_add(&a->n_sample, &a->sample_hash, &a->sample_x, w,
							   ML_ENGINE_SILHOUETTE, hash, s->x);
					break;
				}
			case ML_ANOMALY:
				a->flagged += s->out[0] != 0;
				a->score_sum += s->out[1];
				break;
		}
	}
}

/* the training row's features into the feature means and squared deviations */
static void
moments_add(MLEngineState *s)
{
	for (size_t j = 0; j < s->cfg->p; j++)
	{
		double		dv = s->x[j] - s->mean[j];

		s->mean[j] += dv / (double) s->n_train;
		s->m2[j] += dv * (s->x[j] - s->mean[j]);
	}
}

void
engine_add(MLEngineState *s, const double *num, const char *const *cat, const size_t *cat_len,
		   double y, const char *label)
{
	const MLEngineConfig *cfg = s->cfg;
	uint64_t	h;
	bool		test = engine_row_split(cfg, num, cat, y, label, &h);
	int			cls = -1;

	s->rows++;
	if (test)
		s->n_test++;
	else
		s->n_train++;
	if (cfg->pass != ML_PASS_STATS && cfg->task == ML_CLASSIFICATION)
		cls = row_class(cfg, y, label);

	switch (cfg->pass)
	{
		case ML_PASS_STATS:
			for (int c = 0; c < cfg->n_cols; c++)
			{
				int			k = cfg->slot[c];

				if (cfg->kinds[c] == ML_COL_NUMERIC)
				{
					num_sketch_add(&s->num_all[k], num[k]);
					if (!test)
						num_sketch_add(&s->num_train[k], num[k]);
				}
				else
				{
					cat_sketch_add(&s->cat_all[k], cat[k], cat[k] ? cat_len[k] : 0);
					if (!test)
						cat_sketch_add(&s->cat_train[k], cat[k], cat[k] ? cat_len[k] : 0);
				}
			}
			if (cfg->target == 1)
			{
				num_sketch_add(&s->y_num_all, y);
				if (!test)
					num_sketch_add(&s->y_num_train, y);
			}
			else if (cfg->target == 2)
			{
				cat_sketch_add(&s->y_cat_all, label, label ? strlen(label) : 0);
				if (!test)
					cat_sketch_add(&s->y_cat_train, label, label ? strlen(label) : 0);
			}
			s->fingerprint += unseeded_hash(cfg, num, cat, y, label);
			if (test)
				s->test_fp += h;
			else
				s->train_fp += h;
			break;
		case ML_PASS_MOMENTS:
			if (test)
				break;
			features(s, num, cat, cat_len);
			moments_add(s);
			if (cfg->k > 0)
				sample_add(&s->n_sample, &s->sample_hash, &s->sample_x, cfg->p,
						   ML_ENGINE_SAMPLE, h, s->x);
			break;
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			if (test)
				break;
			features(s, num, cat, cat_len);
			moments_add(s);
			agg_add(s->agg, s->x, (uint32_t) cfg->p, y,
					cfg->task == ML_CLASSIFICATION ? cfg->class_labels[cls] : NULL);
			break;
		case ML_PASS_GRAM:
			if (test)
				break;
			features(s, num, cat, cat_len);
			{
				double	   *row = s->block + (size_t) s->n_block * cfg->p;

				for (size_t j = 0; j < cfg->p; j++)
					row[j] = s->x[j] - cfg->mean[j];
				s->block_y[s->n_block++] = y - cfg->y_mean;
				if (s->n_block == ML_AGG_BLOCK)
					engine_flush_gram(s);
			}
			break;
		case ML_PASS_NEWTON:
			if (test)
				break;
			features(s, num, cat, cat_len);
			newton_row(s, cls);
			break;
		case ML_PASS_LLOYD:
			if (test)
				break;
			features(s, num, cat, cat_len);
			lloyd_row(s);
			break;
		case ML_PASS_METRICS:
			metrics_row(s, test ? 1 : 0, h, num, cat, cat_len, y, cls);
			break;
	}
}

/* ---- merging ---- */

static void
acc_merge(MLEngineAcc *a, const MLEngineAcc *b, size_t w)
{
	uint64_t	n = a->n + b->n;

	if (b->n > 0)
	{
		double		d = b->y_mean - a->y_mean;

		a->y_m2 += b->y_m2 + d * d * (double) a->n * (double) b->n / (double) n;
		a->y_mean = a->n == 0 ? b->y_mean : a->y_mean + d * (double) b->n / (double) n;
	}
	a->n = n;
	a->sse += b->sse;
	a->sae += b->sae;
	a->log_loss += b->log_loss;
	a->brier += b->brier;
	for (int i = 0; i < ML_ECE_BINS; i++)
	{
		a->ece_pred[i] += b->ece_pred[i];
		a->ece_obs[i] += b->ece_obs[i];
		a->ece_n[i] += b->ece_n[i];
	}
	a->score_sum += b->score_sum;
	a->flagged += b->flagged;
	for (size_t i = 0; a->confusion && i < (size_t) a->k * a->k; i++)
		a->confusion[i] += b->confusion[i];
	for (size_t i = 0; a->hist && i < (size_t) a->k * 2 * a->bins; i++)
	{
		if (b->hist[i] && (a->hist[i] == 0 || b->lo[i] < a->lo[i]))
			a->lo[i] = b->lo[i];
		if (b->hist[i] && (a->hist[i] == 0 || b->hi[i] > a->hi[i]))
			a->hi[i] = b->hi[i];
		a->hist[i] += b->hist[i];
	}
	if (b->n_sample > 0)
		sample_keep(&a->n_sample, &a->sample_hash, &a->sample_x, w, ML_ENGINE_SILHOUETTE,
					b->n_sample, b->sample_hash, b->sample_x);
}

void
engine_merge(MLEngineState *dst, const MLEngineState *src)
{
	const MLEngineConfig *cfg = dst->cfg;
	size_t		p = cfg->p;
	uint64_t	na = dst->n_train,
				nb = src->n_train;

	engine_flush_gram(dst);
	if (cfg->pass == ML_PASS_NEWTON && cfg->K == 1)
		engine_flush_newton(dst);
	switch (cfg->pass)
	{
		case ML_PASS_STATS:
			for (int i = 0; i < cfg->n_num; i++)
			{
				num_sketch_merge(&dst->num_all[i], &src->num_all[i]);
				num_sketch_merge(&dst->num_train[i], &src->num_train[i]);
			}
			for (int i = 0; i < cfg->n_cat; i++)
			{
				cat_sketch_merge(&dst->cat_all[i], &src->cat_all[i]);
				cat_sketch_merge(&dst->cat_train[i], &src->cat_train[i]);
			}
			num_sketch_merge(&dst->y_num_all, &src->y_num_all);
			num_sketch_merge(&dst->y_num_train, &src->y_num_train);
			cat_sketch_merge(&dst->y_cat_all, &src->y_cat_all);
			cat_sketch_merge(&dst->y_cat_train, &src->y_cat_train);
			dst->fingerprint += src->fingerprint;
			dst->test_fp += src->test_fp;
			dst->train_fp += src->train_fp;
			break;
		case ML_PASS_MOMENTS:
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			if (nb > 0)
				for (size_t j = 0; j < p; j++)
				{
					double		d = src->mean[j] - dst->mean[j],
								n = (double) (na + nb);

					dst->m2[j] += src->m2[j] + d * d * (double) na * (double) nb / n;
					dst->mean[j] = na == 0 ? src->mean[j] : dst->mean[j] + d * (double) nb / n;
				}
			if (cfg->pass != ML_PASS_MOMENTS)
				agg_merge(dst->agg, src->agg);
			else if (src->n_sample > 0)
				sample_keep(&dst->n_sample, &dst->sample_hash, &dst->sample_x, p, ML_ENGINE_SAMPLE,
							src->n_sample, src->sample_hash, src->sample_x);
			break;
		case ML_PASS_GRAM:
			for (size_t i = 0; i < p * p; i++)
				dst->gram[i] += src->gram[i];
			for (size_t j = 0; j < p; j++)
				dst->gram_y[j] += src->gram_y[j];
			break;
		case ML_PASS_NEWTON:
			{
				size_t		d = (p + 1) * (size_t) cfg->K;

				dst->loss += src->loss;
				for (size_t i = 0; i < d; i++)
					dst->grad[i] += src->grad[i];
				for (size_t i = 0; i < d * d; i++)
					dst->hess[i] += src->hess[i];
				break;
			}
		case ML_PASS_LLOYD:
			for (int c = 0; c < cfg->k; c++)
				dst->center_n[c] += src->center_n[c];
			for (size_t i = 0; i < (size_t) cfg->k * p; i++)
				dst->center_sum[i] += src->center_sum[i];
			dst->inertia += src->inertia;
			break;
		case ML_PASS_METRICS:
			for (int m = 0; m < cfg->n_scored; m++)
				for (int sp = 0; sp < 2; sp++)
					acc_merge(&dst->acc[m][sp], &src->acc[m][sp],
							  cfg->scored[m].model->n_features + 1);
			break;
	}
	dst->rows += src->rows;
	dst->n_train += src->n_train;
	dst->n_test += src->n_test;
}

/* ---- memory ---- */

size_t
engine_state_memory(const MLEngineState *s)
{
	const MLEngineConfig *cfg = s->cfg;
	size_t		p = cfg->p,
				bytes = sizeof(MLEngineState);

	switch (cfg->pass)
	{
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			bytes += agg_memory(s->agg);
			break;
		case ML_PASS_NEWTON:
			bytes += sizeof(double) * (p + 1) * cfg->K * (p + 1) * cfg->K;
			break;
		case ML_PASS_GRAM:
			bytes += sizeof(double) * p * p;
			break;
		default:
			break;
	}
	return bytes;
}
