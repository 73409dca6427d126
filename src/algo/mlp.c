/*-------------------------------------------------------------------------
 *
 * mlp.c
 *	  A small multilayer perceptron: 1 to 3 hidden layers, relu or tanh,
 *	  trained with Adam on mini-batches.
 *
 * As scikit-learn's MLPClassifier / MLPRegressor: Glorot-uniform initial
 * weights from the run's seed, L2 penalty alpha, Adam (Kingma & Ba, 2015;
 * beta1 0.9, beta2 0.999, eps 1e-8), rows shuffled every epoch; the output
 * is a sigmoid (binary), softmax (k classes) or identity (regression) with
 * log loss or half squared error.  Training stops after `epochs`, or when
 * the loss (the validation loss with early_stopping, measured on a seeded
 * validation_fraction of the training rows) has not improved by tol for
 * n_iter_no_change epochs; with early stopping the best epoch's weights are
 * kept.  Every epoch's train loss (and validation loss) goes to the metric
 * log.  A loss that stops being finite ends training with an error.
 * Per epoch O(n * sum of layer products), by BLAS on each mini-batch.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 5			/* input, up to 3 hidden, output */

typedef struct Mlp
{
	size_t		p;
	int			k;				/* classes, 0 for regression */
	int			n_layers;		/* including input and output */
	int			size[MAX_LAYERS];
	int			tanh_act;
	double	   *W[MAX_LAYERS];	/* W[l]: size[l] x size[l+1], row-major */
	double	   *b[MAX_LAYERS];
} Mlp;

static const MLParamSpec mlp_params[] = {
	{"hidden_layer_sizes", ML_PARAM_STRING, 0, 0, 0, "100", NULL, "1 to 3 layer sizes, e.g. \"64,32\""},
	{"activation", ML_PARAM_STRING, 0, 0, 0, "relu", "relu,tanh", "hidden activation"},
	{"alpha", ML_PARAM_FLOAT, 1e-4, 0, 1e6, NULL, NULL, "L2 penalty"},
	{"learning_rate", ML_PARAM_FLOAT, 1e-3, 1e-9, 10, NULL, NULL, "Adam step size"},
	{"batch_size", ML_PARAM_INT, 200, 1, 1e7, NULL, NULL, "rows per mini-batch"},
	{"epochs", ML_PARAM_INT, 200, 1, 1e6, NULL, NULL, "most passes over the training rows"},
	{"early_stopping", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "stop on a validation share of the training rows"},
	{"validation_fraction", ML_PARAM_FLOAT, 0.1, 0.01, 0.5, NULL, NULL, "share held out for early stopping"},
	{"n_iter_no_change", ML_PARAM_INT, 10, 1, 1e6, NULL, NULL, "epochs without improvement before stopping"},
	{"tol", ML_PARAM_FLOAT, 1e-4, 0, 1, NULL, NULL, "improvement that counts"},
	{NULL}
};

static int
out_units(int k)
{
	return k == 0 ? 1 : (k == 2 ? 1 : k);
}

/* forward pass of B rows (row-major X); A[l] get the activations */
static void
forward(const Mlp *m, const double *X, size_t B, double **A)
{
	memcpy(A[0], X, sizeof(double) * B * m->size[0]);
	for (int l = 0; l < m->n_layers - 1; l++)
	{
		int			in = m->size[l],
					out = m->size[l + 1];
		double	   *Z = A[l + 1];
		bool		hidden = l + 1 < m->n_layers - 1;

		for (size_t r = 0; r < B; r++)
			memcpy(Z + r * out, m->b[l], sizeof(double) * out);
		if (in > 0)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) B, out, in,
						1.0, A[l], in, m->W[l], out, 1.0, Z, out);
		if (hidden)
			for (size_t i = 0; i < B * (size_t) out; i++)
				Z[i] = m->tanh_act ? tanh(Z[i]) : (Z[i] > 0 ? Z[i] : 0);
		else if (m->k == 2 || (m->k == 0 && false))
			for (size_t i = 0; i < B; i++)
				Z[i] = Z[i] >= 0 ? 1 / (1 + exp(-Z[i])) : exp(Z[i]) / (1 + exp(Z[i]));
		else if (m->k > 2)
			for (size_t r = 0; r < B; r++)
			{
				double	   *z = Z + r * out,
							mx = -INFINITY,
							s = 0;

				for (int c = 0; c < out; c++)
					mx = fmax(mx, z[c]);
				for (int c = 0; c < out; c++)
					s += (z[c] = exp(z[c] - mx));
				for (int c = 0; c < out; c++)
					z[c] /= s;
			}
	}
}

/* data loss of B rows given output activations */
static double
batch_loss(const Mlp *m, const double *P, const double *y, size_t B)
{
	double		l = 0;
	const double eps = 1e-15;

	for (size_t r = 0; r < B; r++)
	{
		if (m->k == 0)
			l += 0.5 * (P[r] - y[r]) * (P[r] - y[r]);
		else if (m->k == 2)
			l -= y[r] > 0 ? log(fmax(P[r], eps)) : log(fmax(1 - P[r], eps));
		else
			l -= log(fmax(P[r * m->k + (int) y[r]], eps));
	}
	return l;
}

static double
penalty(const Mlp *m)
{
	double		s = 0;

	for (int l = 0; l < m->n_layers - 1; l++)
		for (size_t i = 0; i < (size_t) m->size[l] * m->size[l + 1]; i++)
			s += m->W[l][i] * m->W[l][i];
	return s;
}

/* mean loss of a set of rows (row-major Xr) plus the L2 term, as scikit-learn */
static double
full_loss(const Mlp *m, const double *Xr, const double *y, size_t n, double alpha, double **A, size_t cap)
{
	double		l = 0;

	for (size_t s = 0; s < n; s += cap)
	{
		size_t		B = n - s < cap ? n - s : cap;

		forward(m, Xr + s * m->size[0], B, A);
		l += batch_loss(m, A[m->n_layers - 1], y + s, B);
	}
	return l / n + 0.5 * alpha * penalty(m) / n;
}

static void
parse_layers(const char *spec, Mlp *m)
{
	const char *p = spec;
	int			n = 0;

	while (*p)
	{
		char	   *end;
		long		v = strtol(p, &end, 10);

		if (end == p || v < 1 || v > 10000 || n == 3)
			ml_error(ML_ERR_PARAM, "Give 1 to 3 sizes from 1 to 10000, e.g. \"64,32\".",
					 "parameter \"hidden_layer_sizes\" of algorithm \"mlp\" is invalid: \"%s\"", spec);
		m->size[1 + n++] = (int) v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			ml_error(ML_ERR_PARAM, "Give 1 to 3 sizes from 1 to 10000, e.g. \"64,32\".",
					 "parameter \"hidden_layer_sizes\" of algorithm \"mlp\" is invalid: \"%s\"", spec);
	}
	if (n == 0)
		ml_error(ML_ERR_PARAM, "Give 1 to 3 sizes from 1 to 10000, e.g. \"64,32\".",
				 "parameter \"hidden_layer_sizes\" of algorithm \"mlp\" is invalid: \"%s\"", spec);
	m->n_layers = n + 2;
}

/* a fit's rows, row-major: training, and validation (nv 0: none) */
typedef struct MlpRows
{
	double	   *Xr,
			   *y;				/* nt training rows */
	double	   *Xv,
			   *yv;				/* nv validation rows */
	size_t		nt,
				nv;
} MlpRows;

/* a fit's buffers: per layer activations, deltas, gradients, Adam's moments, the best weights */
typedef struct Adam
{
	double	   *A[MAX_LAYERS],
			   *D[MAX_LAYERS],
			   *gW[MAX_LAYERS],
			   *gb[MAX_LAYERS],
			   *mW[MAX_LAYERS],
			   *vW[MAX_LAYERS],
			   *mb[MAX_LAYERS],
			   *vb[MAX_LAYERS],
			   *bestW[MAX_LAYERS],
			   *bestb[MAX_LAYERS];
	int			t_step;			/* Adam steps taken */
} Adam;

/*
 * The training rows (row-major), minus a seeded validation share when
 * early stopping, else the validation split's rows when there are any
 */
static void
mlp_rows(const MLDataset *train, const MLDataset *valid, const MLParams *params, bool early,
		 MLRng *rng, MlpRows *rows)
{
	size_t		n = train->n_rows,
				p = train->n_cols;
	double		frac = params_get_num(params, "validation_fraction");

	rows->Xr = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
	rows->y = ml_alloc(sizeof(double) * (n ? n : 1));
	if (early)
	{
		rows->Xv = ml_alloc(ml_mul_size(ml_mul_size(n, p ? p : 1), sizeof(double)));
		rows->yv = ml_alloc(sizeof(double) * (n ? n : 1));
	}
	for (size_t i = 0; i < n; i++)
	{
		bool		to_valid = early && ml_rng_uniform(rng) < frac;
		double	   *dst = to_valid ? rows->Xv + rows->nv * p : rows->Xr + rows->nt * p;

		for (size_t j = 0; j < p; j++)
			dst[j] = train->X[j * n + i];
		if (to_valid)
			rows->yv[rows->nv++] = train->y[i];
		else
			rows->y[rows->nt++] = train->y[i];
	}
	if (early && (rows->nv < 2 || rows->nt < 2))
		ml_error(ML_ERR_DATA, "Turn early_stopping off, or train on more rows.",
				 "too few rows for an early-stopping validation split (%zu training, %zu validation)",
				 rows->nt, rows->nv);
	if (!early && valid && valid->n_rows > 0)
	{
		size_t		nv = valid->n_rows;

		rows->nv = nv;
		rows->Xv = ml_alloc(ml_mul_size(ml_mul_size(nv, p ? p : 1), sizeof(double)));
		rows->yv = valid->y;
		for (size_t i = 0; i < nv; i++)
			for (size_t j = 0; j < p; j++)
				rows->Xv[i * p + j] = valid->X[j * nv + i];
	}
}

/* the buffers for batches of cap rows, and the Glorot-uniform initial weights */
static void
mlp_start(Mlp *m, Adam *a, size_t cap, MLRng *rng)
{
	int			L = m->n_layers;

	for (int l = 0; l < L; l++)
	{
		a->A[l] = ml_alloc(ml_mul_size(cap, (size_t) m->size[l] * sizeof(double)));
		a->D[l] = ml_alloc(ml_mul_size(cap, (size_t) m->size[l] * sizeof(double)));
	}
	for (int l = 0; l < L - 1; l++)
	{
		size_t		nw = (size_t) m->size[l] * m->size[l + 1];
		double		bound = sqrt((m->k > 0 && l == L - 2 ? 2.0 : 6.0) / (m->size[l] + m->size[l + 1]));

		m->W[l] = ml_alloc(sizeof(double) * (nw ? nw : 1));
		m->b[l] = ml_alloc(sizeof(double) * m->size[l + 1]);
		for (size_t i = 0; i < nw; i++)
			m->W[l][i] = (2 * ml_rng_uniform(rng) - 1) * bound;
		for (int i = 0; i < m->size[l + 1]; i++)
			m->b[l][i] = (2 * ml_rng_uniform(rng) - 1) * bound;
		a->gW[l] = ml_alloc(sizeof(double) * (nw ? nw : 1));
		a->gb[l] = ml_alloc(sizeof(double) * m->size[l + 1]);
		a->mW[l] = ml_alloc(sizeof(double) * (nw ? nw : 1));
		a->vW[l] = ml_alloc(sizeof(double) * (nw ? nw : 1));
		a->mb[l] = ml_alloc(sizeof(double) * m->size[l + 1]);
		a->vb[l] = ml_alloc(sizeof(double) * m->size[l + 1]);
		a->bestW[l] = ml_alloc(sizeof(double) * (nw ? nw : 1));
		a->bestb[l] = ml_alloc(sizeof(double) * m->size[l + 1]);
	}
}

/*
 * The gradients gW, gb of a batch of B rows whose activations (forward) are
 * in a->A, with targets yb: deltas from the output back
 */
static void
backward(const Mlp *m, Adam *a, const double *yb, size_t B, double alpha)
{
	int			L = m->n_layers;

	/* output delta: prediction - target (for all three losses) */
	for (size_t r = 0; r < B; r++)
	{
		int			o = m->size[L - 1];

		for (int c = 0; c < o; c++)
		{
			double		target = m->k == 0 ? yb[r] : (m->k == 2 ? yb[r] : ((int) yb[r] == c));

			a->D[L - 1][r * o + c] = a->A[L - 1][r * o + c] - target;
		}
	}
	for (int l = L - 2; l >= 0; l--)
	{
		int			in = m->size[l],
					out = m->size[l + 1];

		/* gW = A[l]^T D[l+1] / B + alpha W / B */
		if (in > 0)
			cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, (int) B,
						1.0 / B, a->A[l], in, a->D[l + 1], out, 0.0, a->gW[l], out);
		for (size_t i = 0; i < (size_t) in * out; i++)
			a->gW[l][i] += alpha * m->W[l][i] / B;
		for (int c = 0; c < out; c++)
		{
			double		g = 0;

			for (size_t r = 0; r < B; r++)
				g += a->D[l + 1][r * out + c];
			a->gb[l][c] = g / B;
		}
		if (l > 0)
		{
			/* D[l] = D[l+1] W[l]^T, times the activation's derivative */
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) B, in, out,
						1.0, a->D[l + 1], out, m->W[l], out, 0.0, a->D[l], in);
			for (size_t i = 0; i < B * (size_t) in; i++)
				a->D[l][i] *= m->tanh_act ? 1 - a->A[l][i] * a->A[l][i] : (a->A[l][i] > 0 ? 1 : 0);
		}
	}
}

/* one Adam step of every weight and bias from the gradients */
static void
adam_step(Mlp *m, Adam *a, double lr)
{
	const double beta1 = 0.9,
				beta2 = 0.999;

	a->t_step++;
	for (int l = 0; l < m->n_layers - 1; l++)
	{
		size_t		nw = (size_t) m->size[l] * m->size[l + 1];
		double		c1 = 1 - pow(beta1, a->t_step),
					c2 = 1 - pow(beta2, a->t_step),
					step = lr * sqrt(c2) / c1;

		for (size_t i = 0; i < nw; i++)
		{
			a->mW[l][i] = beta1 * a->mW[l][i] + (1 - beta1) * a->gW[l][i];
			a->vW[l][i] = beta2 * a->vW[l][i] + (1 - beta2) * a->gW[l][i] * a->gW[l][i];
			m->W[l][i] -= step * a->mW[l][i] / (sqrt(a->vW[l][i]) + 1e-8);
		}
		for (int i = 0; i < m->size[l + 1]; i++)
		{
			a->mb[l][i] = beta1 * a->mb[l][i] + (1 - beta1) * a->gb[l][i];
			a->vb[l][i] = beta2 * a->vb[l][i] + (1 - beta2) * a->gb[l][i] * a->gb[l][i];
			m->b[l][i] -= step * a->mb[l][i] / (sqrt(a->vb[l][i]) + 1e-8);
		}
	}
}

/*
 * One epoch: the rows shuffled, then a step per mini-batch of cap rows;
 * returns the sum of the batches' data losses
 */
static double
mlp_epoch(Mlp *m, Adam *a, const MlpRows *rows, size_t *order, size_t cap, double alpha,
		  double lr, MLRng *rng)
{
	size_t		nt = rows->nt,
				p = m->p;
	double		sum_loss = 0;

	for (size_t i = nt; i > 1; i--)
	{
		size_t		r = (size_t) (ml_rng_next(rng) % i),
					t = order[i - 1];

		order[i - 1] = order[r];
		order[r] = t;
	}
	for (size_t s = 0; s < nt; s += cap)
	{
		size_t		B = nt - s < cap ? nt - s : cap;
		double	   *yb = ml_alloc(sizeof(double) * B);
		double	   *Xb = ml_alloc(sizeof(double) * B * (p ? p : 1));

		for (size_t r = 0; r < B; r++)
		{
			memcpy(Xb + r * p, rows->Xr + order[s + r] * p, sizeof(double) * p);
			yb[r] = rows->y[order[s + r]];
		}
		forward(m, Xb, B, a->A);
		sum_loss += batch_loss(m, a->A[m->n_layers - 1], yb, B);
		backward(m, a, yb, B, alpha);
		adam_step(m, a, lr);
		ml_free(yb);
		ml_free(Xb);
	}
	return sum_loss;
}

/* copy the weights and biases of every layer from (sW, sb) to (dW, db) */
static void
copy_weights(const Mlp *m, double **dW, double **db, double *const *sW, double *const *sb)
{
	for (int l = 0; l < m->n_layers - 1; l++)
	{
		memcpy(dW[l], sW[l], sizeof(double) * m->size[l] * m->size[l + 1]);
		memcpy(db[l], sb[l], sizeof(double) * m->size[l + 1]);
	}
}

static void
free_adam(const Mlp *m, Adam *a)
{
	int			L = m->n_layers;

	for (int l = 0; l < L; l++)
	{
		ml_free(a->A[l]);
		ml_free(a->D[l]);
	}
	for (int l = 0; l < L - 1; l++)
	{
		ml_free(a->gW[l]);
		ml_free(a->gb[l]);
		ml_free(a->mW[l]);
		ml_free(a->vW[l]);
		ml_free(a->mb[l]);
		ml_free(a->vb[l]);
		ml_free(a->bestW[l]);
		ml_free(a->bestb[l]);
	}
}

static void *
mlp_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	Mlp		   *m = ml_alloc(sizeof(Mlp));
	size_t		p = train->n_cols;
	double		alpha = params_get_num(params, "alpha"),
				lr = params_get_num(params, "learning_rate"),
				tol = params_get_num(params, "tol");
	int			epochs = (int) params_get_num(params, "epochs"),
				patience = (int) params_get_num(params, "n_iter_no_change");
	bool		early = params_get_num(params, "early_stopping") != 0;
	size_t		cap = (size_t) params_get_num(params, "batch_size");
	MLRng		rng;
	MlpRows		rows;
	Adam		a;
	size_t	   *order;
	double		best = INFINITY;
	int			bad = 0,
				epoch;
	int			L;

	memset(&rows, 0, sizeof(rows));
	memset(&a, 0, sizeof(a));
	m->p = p;
	m->k = train->n_classes;
	m->tanh_act = strcmp(params_get_str(params, "activation"), "tanh") == 0;
	m->size[0] = (int) p;
	parse_layers(params_get_str(params, "hidden_layer_sizes"), m);
	L = m->n_layers;
	m->size[L - 1] = out_units(m->k);
	ml_rng_seed(&rng, ctx ? ctx->seed : 0);

	mlp_rows(train, valid, params, early, &rng, &rows);
	if (cap > rows.nt)
		cap = rows.nt;
	mlp_start(m, &a, cap, &rng);
	order = ml_alloc(sizeof(size_t) * (rows.nt ? rows.nt : 1));
	for (size_t i = 0; i < rows.nt; i++)
		order[i] = i;

	for (epoch = 1; epoch <= epochs; epoch++)
	{
		double		sum_loss,
					train_loss,
					watch;

		ml_check_interrupts();
		/* the epoch's steps first: the penalty is of the weights after them */
		sum_loss = mlp_epoch(m, &a, &rows, order, cap, alpha, lr, &rng);
		train_loss = sum_loss / rows.nt + 0.5 * alpha * penalty(m) / rows.nt;
		if (!isfinite(train_loss))
			ml_error(ML_ERR_DATA, "Lower \"learning_rate\", or rescale the features or the target.",
					 "the network diverged at epoch %d (the loss is not finite)", epoch);
		ml_log_metric(ctx, "train", "loss", epoch, train_loss);
		ml_progress("epoch", epoch, epochs, "loss", train_loss);
		watch = train_loss;
		if (rows.nv > 0)
		{
			double		vl = full_loss(m, rows.Xv, rows.yv, rows.nv, alpha, a.A, cap);

			ml_log_metric(ctx, "validation", "loss", epoch, vl);
			if (early)
				watch = vl;
		}
		if (watch < best - tol)
		{
			bad = 0;
			if (early)
				copy_weights(m, a.bestW, a.bestb, m->W, m->b);
		}
		else
			bad++;
		if (watch < best)
			best = watch;
		if (bad >= patience)
			break;
	}
	if (early)
		copy_weights(m, m->W, m->b, a.bestW, a.bestb);
	ml_log_metric(ctx, "train", "n_iter", -1, epoch > epochs ? epochs : epoch);
	free_adam(m, &a);
	ml_free(order);
	ml_free(rows.Xr);
	ml_free(rows.y);
	return m;
}

static void
mlp_predict(const void *state, const double *X, size_t n, double *out)
{
	const Mlp  *m = state;
	double	   *A[MAX_LAYERS];
	size_t		cap = 256;
	int			L = m->n_layers;

	for (int l = 0; l < L; l++)
		A[l] = ml_alloc(ml_mul_size(cap, (size_t) m->size[l] * sizeof(double)));
	for (size_t s = 0; s < n; s += cap)
	{
		size_t		B = n - s < cap ? n - s : cap;

		forward(m, X + s * m->p, B, A);
		for (size_t r = 0; r < B; r++)
		{
			if (m->k == 0)
				out[s + r] = A[L - 1][r];
			else if (m->k == 2)
			{
				out[(s + r) * 2] = 1 - A[L - 1][r];
				out[(s + r) * 2 + 1] = A[L - 1][r];
			}
			else
				memcpy(out + (s + r) * m->k, A[L - 1] + r * m->k, sizeof(double) * m->k);
		}
	}
	for (int l = 0; l < L; l++)
		ml_free(A[l]);
}

static void
mlp_write(const void *state, MLBuffer *out)
{
	const Mlp  *m = state;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_u8(out, (uint8_t) m->tanh_act);
	buffer_put_u32(out, (uint32_t) m->n_layers);
	for (int l = 0; l < m->n_layers; l++)
		buffer_put_u32(out, (uint32_t) m->size[l]);
	for (int l = 0; l < m->n_layers - 1; l++)
	{
		buffer_put_f64s(out, m->W[l], (size_t) m->size[l] * m->size[l + 1]);
		buffer_put_f64s(out, m->b[l], m->size[l + 1]);
	}
}

static void *
mlp_read(MLReader *in, size_t p, int k)
{
	Mlp		   *m = ml_alloc(sizeof(Mlp));

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	m->tanh_act = reader_u8(in);
	m->n_layers = (int) reader_u32(in);
	if (m->p != p || m->k != k || m->n_layers < 3 || m->n_layers > MAX_LAYERS || m->tanh_act > 1)
		ml_error(ML_ERR_CORRUPT, NULL, "MLP model shape does not match its header");
	for (int l = 0; l < m->n_layers; l++)
	{
		m->size[l] = (int) reader_u32(in);
		if (m->size[l] < 0 || m->size[l] > 100000)
			ml_error(ML_ERR_CORRUPT, NULL, "MLP model has an invalid layer size");
	}
	if ((size_t) m->size[0] != p || m->size[m->n_layers - 1] != out_units(k))
		ml_error(ML_ERR_CORRUPT, NULL, "MLP model shape does not match its header");
	for (int l = 0; l < m->n_layers - 1; l++)
	{
		m->W[l] = reader_f64s(in, ml_mul_size((size_t) m->size[l], (size_t) m->size[l + 1]));
		m->b[l] = reader_f64s(in, (size_t) m->size[l + 1]);
	}
	return m;
}

static void
mlp_describe(const void *state, MLBuffer *json)
{
	const Mlp  *m = state;

	buffer_printf(json, "{\"layers\": [");
	for (int l = 0; l < m->n_layers; l++)
		buffer_printf(json, "%s%d", l ? ", " : "", m->size[l]);
	buffer_printf(json, "], \"activation\": \"%s\"}", m->tanh_act ? "tanh" : "relu");
}

const MLLearner ml_learner_mlp = {
	.name = "mlp",
	.id = 12,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = mlp_params,
	.doc = "multilayer perceptron (Adam)",
	.scale = ML_SCALE_STANDARD,
	.fit = mlp_fit,
	.predict = mlp_predict,
	.write = mlp_write,
	.read = mlp_read,
	.describe = mlp_describe,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};
