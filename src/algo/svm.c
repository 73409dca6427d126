/*-------------------------------------------------------------------------
 *
 * svm.c
 *	  Linear support vector machines with Platt-scaled probabilities.
 *
 * Dual coordinate descent for L1- (hinge) and L2-loss (squared hinge) linear
 * SVMs (Hsieh, Chang, Lin, Keerthi & Sundararajan, ICML 2008, the method of
 * LIBLINEAR and scikit-learn's LinearSVC): the bias is a constant feature
 * (regularized, as LIBLINEAR), rows are visited in a seeded random order,
 * and passes stop when the projected gradients span less than tol.  k > 2
 * classes train one machine per class against the rest.  class_weight
 * (balanced or a map) scales C per row.  Probabilities: Platt scaling (Platt 1999,
 * with Lin, Lin & Weng's stable Newton fit, 2007) of each machine's
 * decision values on 3 held-out folds, then normalized across classes.
 * Features are standardized by default.  Fit O(passes * n * p) per machine
 * (and 3 more fits for the folds), predict O(p K) per row.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"

#include <math.h>
#include <string.h>

typedef struct Svm
{
	size_t		p;
	int			k;				/* classes */
	int			K;				/* machines: 1 for binary, else k */
	double	   *W;				/* K x (p + 1): weights then bias */
	double	   *A,
			   *B;				/* Platt sigmoid per machine */
} Svm;

static const MLParamSpec svm_params[] = {
	{"C", ML_PARAM_FLOAT, 1.0, 1e-12, 1e12, NULL, NULL, "inverse regularization strength"},
	{"loss", ML_PARAM_STRING, 0, 0, 0, "squared_hinge", "hinge,squared_hinge", "hinge (L1) or squared hinge (L2) loss"},
	ML_CLASS_WEIGHT_PARAM,
	{"max_iter", ML_PARAM_INT, 1000, 1, 1000000, NULL, NULL, "most passes over the rows"},
	{"tol", ML_PARAM_FLOAT, 1e-4, 1e-12, 1.0, NULL, NULL, "projected gradient range that ends the passes"},
	{NULL}
};

typedef struct SvmProblem
{
	const MLDataset *d;
	const double *Xr;			/* the rows of d, row-major (n_rows x p) */
	const size_t *rows;
	size_t		n;
	const double *cw;			/* C per class */
	int			l1;
	int			max_iter;
	double		tol;
	uint64_t	seed;
} SvmProblem;

/* w . x_r + bias, x_r contiguous */
static inline double
row_dot(const double *x, size_t p, const double *w)
{
	double		s = w[p];

	for (size_t j = 0; j < p; j++)
		s += x[j] * w[j];
	return s;
}

/*
 * One machine: positive class `pos`; w has p + 1 entries.  Dual coordinate
 * descent (Hsieh et al., 2008) with shrinking: a variable at a bound whose
 * gradient points further out than the last pass's extreme projected
 * gradients leaves the active set; when the active set converges, every
 * variable is checked once more before stopping.
 */
static void
dcd(const SvmProblem *pr, int pos, double *w)
{
	const MLDataset *d = pr->d;
	size_t		n = pr->n,
				p = d->n_cols,
				active = n;
	double	   *alpha = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *qd = ml_alloc(sizeof(double) * (n ? n : 1));
	size_t	   *order = ml_alloc(sizeof(size_t) * (n ? n : 1));
	double	   *ysign = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *U = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *Dii = ml_alloc(sizeof(double) * (n ? n : 1));
	double		pg_max_old = INFINITY,
				pg_min_old = -INFINITY;
	MLRng		rng;

	memset(w, 0, sizeof(double) * (p + 1));
	ml_rng_seed(&rng, pr->seed ^ ml_mix64((uint64_t) pos + 17));
	for (size_t a = 0; a < n; a++)
	{
		const double *x = pr->Xr + pr->rows[a] * p;
		int			cls = (int) d->y[pr->rows[a]];
		double		C = pr->cw[cls];
		double		s = 1.0;		/* the bias feature */

		ysign[a] = cls == pos ? 1.0 : -1.0;
		for (size_t j = 0; j < p; j++)
			s += x[j] * x[j];
		U[a] = pr->l1 ? C : INFINITY;
		Dii[a] = pr->l1 ? 0 : 0.5 / C;
		qd[a] = s + Dii[a];
		order[a] = a;
	}
	for (int it = 0; it < pr->max_iter; it++)
	{
		double		pg_max = -INFINITY,
					pg_min = INFINITY;

		for (size_t a = active; a > 1; a--)
		{
			size_t		b = (size_t) (ml_rng_next(&rng) % a);
			size_t		t = order[a - 1];

			order[a - 1] = order[b];
			order[b] = t;
		}
		for (size_t q = 0; q < active; q++)
		{
			size_t		a = order[q];
			const double *x = pr->Xr + pr->rows[a] * p;
			double		G = ysign[a] * row_dot(x, p, w) - 1 + Dii[a] * alpha[a];
			double		PG = 0;

			if (alpha[a] == 0)
			{
				if (G > pg_max_old)
				{
					/* shrink: swap out of the active set, revisit slot q */
					active--;
					order[q] = order[active];
					order[active] = a;
					q--;
					continue;
				}
				PG = fmin(G, 0);
			}
			else if (alpha[a] == U[a])
			{
				if (G < pg_min_old)
				{
					active--;
					order[q] = order[active];
					order[active] = a;
					q--;
					continue;
				}
				PG = fmax(G, 0);
			}
			else
				PG = G;
			pg_max = fmax(pg_max, PG);
			pg_min = fmin(pg_min, PG);
			if (fabs(PG) > 1e-12)
			{
				double		old = alpha[a],
							delta;

				alpha[a] = fmin(fmax(alpha[a] - G / qd[a], 0.0), U[a]);
				delta = (alpha[a] - old) * ysign[a];
				for (size_t j = 0; j < p; j++)
					w[j] += delta * x[j];
				w[p] += delta;
			}
		}
		ml_check_interrupts();
		if (active == 0 || pg_max - pg_min <= pr->tol)
		{
			if (active == n)
				break;
			/* converged on the active set: check every variable again */
			active = n;
			pg_max_old = INFINITY;
			pg_min_old = -INFINITY;
			continue;
		}
		pg_max_old = pg_max > 0 ? pg_max : INFINITY;
		pg_min_old = pg_min < 0 ? pg_min : -INFINITY;
	}
	ml_free(alpha);
	ml_free(qd);
	ml_free(order);
	ml_free(ysign);
	ml_free(U);
	ml_free(Dii);
}

/*
 * Platt's sigmoid 1 / (1 + exp(A f + B)) by Newton with backtracking; rows
 * weighted by wt (class_weight), so the weighting survives calibration
 */
static void
platt(const double *f, const double *t01, const double *wt, size_t n, double *A, double *B)
{
	double		prior1 = 0,
				prior0 = 0,
				hi,
				lo,
				a = 0,
				b,
				fval = 0;
	double	   *t = ml_alloc(sizeof(double) * (n ? n : 1));

	for (size_t i = 0; i < n; i++)
		*(t01[i] > 0 ? &prior1 : &prior0) += wt[i];
	hi = (prior1 + 1) / (prior1 + 2);
	lo = 1 / (prior0 + 2);
	for (size_t i = 0; i < n; i++)
		t[i] = t01[i] > 0 ? hi : lo;
	b = log((prior0 + 1) / (prior1 + 1));
	for (size_t i = 0; i < n; i++)
	{
		double		z = f[i] * a + b;

		fval += wt[i] * (z >= 0 ? t[i] * z + log1p(exp(-z)) : (t[i] - 1) * z + log1p(exp(z)));
	}
	for (int it = 0; it < 100; it++)
	{
		double		h11 = 1e-12,
					h22 = 1e-12,
					h21 = 0,
					g1 = 0,
					g2 = 0,
					det,
					da,
					db,
					gd,
					step = 1;

		for (size_t i = 0; i < n; i++)
		{
			double		z = f[i] * a + b;
			double		pp = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));
			double		q = 1 - pp,
						d2 = wt[i] * pp * q,
						d1 = wt[i] * (t[i] - pp);

			h11 += f[i] * f[i] * d2;
			h22 += d2;
			h21 += f[i] * d2;
			g1 += f[i] * d1;
			g2 += d1;
		}
		if (fabs(g1) < 1e-5 && fabs(g2) < 1e-5)
			break;
		det = h11 * h22 - h21 * h21;
		da = -(h22 * g1 - h21 * g2) / det;
		db = -(-h21 * g1 + h11 * g2) / det;
		gd = g1 * da + g2 * db;
		while (step >= 1e-10)
		{
			double		na = a + step * da,
						nb = b + step * db,
						nf = 0;

			for (size_t i = 0; i < n; i++)
			{
				double		z = f[i] * na + nb;

				nf += wt[i] * (z >= 0 ? t[i] * z + log1p(exp(-z)) : (t[i] - 1) * z + log1p(exp(z)));
			}
			if (nf < fval + 1e-4 * step * gd)
			{
				a = na;
				b = nb;
				fval = nf;
				break;
			}
			step /= 2;
		}
		if (step < 1e-10)
			break;
	}
	*A = a;
	*B = b;
	ml_free(t);
}

static void *
svm_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	Svm		   *m = ml_alloc(sizeof(Svm));
	size_t		n = train->n_rows,
				p = train->n_cols;
	int			k = train->n_classes;
	SvmProblem	pr;
	double	   *cw = ml_alloc(sizeof(double) * k);
	double	   *cwr = params_class_weights(params, train);
	double	   *wt = params_row_weights(params, train);
	double	   *Xr;
	size_t	   *all = ml_alloc(sizeof(size_t) * (n ? n : 1));
	int		   *fold = ml_alloc(sizeof(int) * (n ? n : 1));
	double		C = params_get_num(params, "C");
	double	   *w = ml_alloc(sizeof(double) * (p + 1));

	(void) valid;
	m->p = p;
	m->k = k;
	m->K = k == 2 ? 1 : k;
	for (int c = 0; c < k; c++)
		cw[c] = C * (cwr ? cwr[c] : 1.0);
	pr.d = train;
	Xr = ml_alloc(ml_mul_size(ml_mul_size(n ? n : 1, p ? p : 1), sizeof(double)));
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i < n; i++)
			Xr[i * p + j] = train->X[j * n + i];
	pr.Xr = Xr;
	pr.cw = cw;
	pr.l1 = strcmp(params_get_str(params, "loss"), "hinge") == 0;
	pr.max_iter = (int) params_get_num(params, "max_iter");
	pr.tol = params_get_num(params, "tol");
	pr.seed = ctx ? ctx->seed : 0;
	for (size_t i = 0; i < n; i++)
	{
		all[i] = i;
		fold[i] = (int) (ml_mix64(pr.seed ^ ml_mix64(i + 1)) % 3);
	}
	m->W = ml_alloc(sizeof(double) * m->K * (p + 1));
	m->A = ml_alloc(sizeof(double) * m->K);
	m->B = ml_alloc(sizeof(double) * m->K);
	for (int c = 0; c < m->K; c++)
	{
		int			pos = m->K == 1 ? 1 : c;
		double	   *f = ml_alloc(sizeof(double) * (n ? n : 1));
		double	   *t = ml_alloc(sizeof(double) * (n ? n : 1));
		size_t	   *rows = ml_alloc(sizeof(size_t) * (n ? n : 1));

		/* decision values of held-out folds, for the sigmoid */
		for (int fo = 0; fo < 3; fo++)
		{
			size_t		m_in = 0;

			for (size_t i = 0; i < n; i++)
				if (fold[i] != fo)
					rows[m_in++] = i;
			pr.rows = rows;
			pr.n = m_in;
			dcd(&pr, pos, w);
			for (size_t i = 0; i < n; i++)
				if (fold[i] == fo)
					f[i] = row_dot(Xr + i * p, p, w);
		}
		for (size_t i = 0; i < n; i++)
			t[i] = (int) train->y[i] == pos ? 1.0 : 0.0;
		platt(f, t, wt, n, &m->A[c], &m->B[c]);
		pr.rows = all;
		pr.n = n;
		dcd(&pr, pos, m->W + (size_t) c * (p + 1));
		ml_free(f);
		ml_free(t);
		ml_free(rows);
	}
	ml_free(cw);
	if (cwr)
		ml_free(cwr);
	ml_free(wt);
	ml_free(Xr);
	ml_free(all);
	ml_free(fold);
	ml_free(w);
	return m;
}

static void
svm_predict(const void *state, const double *X, size_t n, double *out)
{
	const Svm  *m = state;
	size_t		p = m->p,
				k = (size_t) m->k;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = X + i * p;
		double	   *o = out + i * k;
		double		s = 0;

		for (int c = 0; c < m->K; c++)
		{
			const double *w = m->W + (size_t) c * (p + 1);
			double		f = w[p],
						z;

			for (size_t j = 0; j < p; j++)
				f += x[j] * w[j];
			z = m->A[c] * f + m->B[c];
			/* P(class) = 1 / (1 + exp(z)) */
			o[m->K == 1 ? 1 : c] = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));
		}
		if (m->K == 1)
			o[0] = 1 - o[1];
		else
		{
			for (size_t c = 0; c < k; c++)
				s += o[c];
			for (size_t c = 0; c < k; c++)
				o[c] = s > 0 ? o[c] / s : 1.0 / k;
		}
	}
}

static void
svm_write(const void *state, MLBuffer *out)
{
	const Svm  *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_f64s(out, m->W, (size_t) m->K * (m->p + 1));
	buffer_put_f64s(out, m->A, m->K);
	buffer_put_f64s(out, m->B, m->K);
}

static void *
svm_read(MLReader *in, size_t p, int k)
{
	Svm		   *m = ml_alloc(sizeof(Svm));

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	if (m->p != p || m->k != k || k < 2)
		ml_error(ML_ERR_CORRUPT, NULL, "SVM model shape does not match its header");
	m->K = k == 2 ? 1 : k;
	m->W = reader_f64s(in, ml_mul_size((size_t) m->K, p + 1));
	m->A = reader_f64s(in, (size_t) m->K);
	m->B = reader_f64s(in, (size_t) m->K);
	return m;
}

static void
svm_describe(const void *state, MLBuffer *json)
{
	const Svm  *m = state;

	buffer_printf(json, "{\"machines\": %d, \"platt\": [", m->K);
	for (int c = 0; c < m->K; c++)
	{
		buffer_printf(json, "%s[", c ? ", " : "");
		buffer_json_num(json, m->A[c]);
		buffer_printf(json, ", ");
		buffer_json_num(json, m->B[c]);
		buffer_printf(json, "]");
	}
	buffer_printf(json, "]}");
}

static void
svm_importance(const void *state, const MLDataset *train, double *out)
{
	const Svm  *m = state;

	for (size_t j = 0; j < m->p; j++)
	{
		double		w = 0;

		for (int c = 0; c < m->K; c++)
			w += fabs(m->W[(size_t) c * (m->p + 1) + j]);
		out[j] = w;
	}
	dataset_scale_by_std(train, out);
}

const MLLearner ml_learner_svm = {
	.name = "svm",
	.id = 11,
	.tasks = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = svm_params,
	.doc = "linear SVM (dual coordinate descent) with Platt-scaled probabilities",
	.scale = ML_SCALE_STANDARD,
	.fit = svm_fit,
	.predict = svm_predict,
	.write = svm_write,
	.read = svm_read,
	.describe = svm_describe,
	.importance = svm_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
