/*-------------------------------------------------------------------------
 *
 * calibrate.c
 *	  Isotonic and sigmoid calibration of held-out scores, and the Brier
 *	  score, expected calibration error and reliability curve.
 *
 *	  Every loop is in row order and every sum starts from zero, so the same
 *	  rows give the same calibrator bytes.  The definitions are in
 *	  calibrate.h.
 *
 *-------------------------------------------------------------------------
 */
#include "calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ISOTONIC_POINTS 10000000

const char *
calibration_name(MLCalibration method)
{
	return method == ML_CALIB_SIGMOID ? "sigmoid" : "isotonic";
}

MLCalibration
calibration_from_name(const char *name)
{
	if (name && strcmp(name, "isotonic") == 0)
		return ML_CALIB_ISOTONIC;
	if (name && strcmp(name, "sigmoid") == 0)
		return ML_CALIB_SIGMOID;
	return 0;
}

typedef struct ScorePair
{
	double		s;
	double		y;
	double		w;
	size_t		row;
} ScorePair;

static int
pair_cmp(const void *a, const void *b)
{
	const ScorePair *p = a,
			   *q = b;

	if (p->s != q->s)
		return p->s < q->s ? -1 : 1;
	return p->row < q->row ? -1 : (p->row > q->row);	/* stable */
}

/*
 * Isotonic regression: merge equal scores (weighted mean target), then pool
 * adjacent violators into non-decreasing blocks; every merged score keeps
 * its block's value, so apply() interpolates between the merged scores.
 */
static void
fit_isotonic(MLCalibrator *c, const double *score, const double *positive,
			 const double *weight, size_t n)
{
	ScorePair  *p = ml_alloc(ml_mul_size(n, sizeof(ScorePair)));
	double	   *bx,
			   *by,
			   *bw;
	size_t	   *bstart;
	size_t		m = 0,
				nb = 0;

	for (size_t i = 0; i < n; i++)
	{
		p[i].s = score[i];
		p[i].y = positive[i];
		p[i].w = weight ? weight[i] : 1.0;
		p[i].row = i;
	}
	qsort(p, n, sizeof(ScorePair), pair_cmp);

	/* unique scores, weighted means */
	bx = ml_alloc(ml_mul_size(n, sizeof(double)));
	by = ml_alloc(ml_mul_size(n, sizeof(double)));
	bw = ml_alloc(ml_mul_size(n, sizeof(double)));
	for (size_t i = 0; i < n; i++)
	{
		if (p[i].w <= 0)
			continue;
		if (m > 0 && bx[m - 1] == p[i].s)
		{
			by[m - 1] += p[i].w * p[i].y;
			bw[m - 1] += p[i].w;
		}
		else
		{
			bx[m] = p[i].s;
			by[m] = p[i].w * p[i].y;
			bw[m] = p[i].w;
			m++;
		}
	}
	if (m == 0)
		ml_error(ML_ERR_DATA, NULL, "isotonic calibration needs at least one row with a positive weight");
	for (size_t i = 0; i < m; i++)
		by[i] /= bw[i];

	/* pool adjacent violators over blocks of merged scores */
	{
		double	   *val = ml_alloc(ml_mul_size(m, sizeof(double)));
		double	   *wt = ml_alloc(ml_mul_size(m, sizeof(double)));

		bstart = ml_alloc(ml_mul_size(m + 1, sizeof(size_t)));
		for (size_t i = 0; i < m; i++)
		{
			val[nb] = by[i];
			wt[nb] = bw[i];
			bstart[nb] = i;
			nb++;
			while (nb > 1 && val[nb - 2] > val[nb - 1])
			{
				double		w = wt[nb - 2] + wt[nb - 1];

				val[nb - 2] = (val[nb - 2] * wt[nb - 2] + val[nb - 1] * wt[nb - 1]) / w;
				wt[nb - 2] = w;
				nb--;
			}
		}
		bstart[nb] = m;
		for (size_t b = 0; b < nb; b++)
			for (size_t i = bstart[b]; i < bstart[b + 1]; i++)
				by[i] = val[b];
		ml_free(val);
		ml_free(wt);
		ml_free(bstart);
	}

	/* inside a flat run, points change nothing that interpolation gives */
	{
		size_t		kept = 0;

		for (size_t i = 0; i < m; i++)
			if (i == 0 || i == m - 1 || by[i] != by[i - 1] || by[i] != by[i + 1])
			{
				bx[kept] = bx[i];
				by[kept] = by[i];
				kept++;
			}
		m = kept;
	}
	if (m > MAX_ISOTONIC_POINTS)
		ml_error(ML_ERR_LIMIT, NULL, "isotonic calibration holds at most %d distinct scores", MAX_ISOTONIC_POINTS);
	c->method = ML_CALIB_ISOTONIC;
	c->n_points = (int) m;
	c->x = bx;
	c->y = by;
	ml_free(bw);
	ml_free(p);
}

/* log loss of P = 1 / (1 + exp(a s + b)) against targets t, its gradient and Hessian */
static double
sigmoid_loss(const double *s, const double *t, const double *w, size_t n, double a, double b,
			 double *g, double *h)
{
	double		loss = 0;

	if (g)
		g[0] = g[1] = h[0] = h[1] = h[2] = 0;
	for (size_t i = 0; i < n; i++)
	{
		double		z = a * s[i] + b;
		double		wi = w ? w[i] : 1.0;

		/* -log P = log(1 + e^z), -log(1 - P) = log(1 + e^-z), computed stably */
		double		l1 = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
		double		l0 = l1 - z;
		double		p = z > 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));

		loss += wi * (t[i] * l1 + (1 - t[i]) * l0);
		if (g)
		{
			double		d = wi * (t[i] - p);	/* d loss / dz */
			double		q = wi * p * (1 - p);

			g[0] += d * s[i];
			g[1] += d;
			h[0] += q * s[i] * s[i];
			h[1] += q * s[i];
			h[2] += q;
		}
	}
	return loss;
}

static void
fit_sigmoid(MLCalibrator *c, const double *score, const double *positive,
			const double *weight, size_t n)
{
	double		n0 = 0,
				n1 = 0,
				a = 0,
				b,
				loss;
	double	   *t = ml_alloc(ml_mul_size(n, sizeof(double)));

	for (size_t i = 0; i < n; i++)
	{
		double		wi = weight ? weight[i] : 1.0;

		if (positive[i] > 0)
			n1 += wi;
		else
			n0 += wi;
	}
	for (size_t i = 0; i < n; i++)
		t[i] = positive[i] > 0 ? (n1 + 1) / (n1 + 2) : 1 / (n0 + 2);
	b = log((n0 + 1) / (n1 + 1));
	loss = sigmoid_loss(score, t, weight, n, a, b, NULL, NULL);

	for (int iter = 0; iter < 100; iter++)
	{
		double		g[2],
					h[3],
					det,
					da,
					db,
					step = 1;
		bool		moved = false;

		sigmoid_loss(score, t, weight, n, a, b, g, h);
		/* a tiny ridge keeps the Newton system solvable on separable scores */
		h[0] += 1e-12;
		h[2] += 1e-12;
		det = h[0] * h[2] - h[1] * h[1];
		if (!(fabs(g[0]) > 1e-10 * (1 + fabs(loss)) || fabs(g[1]) > 1e-10 * (1 + fabs(loss))) ||
			!(det > 0))
			break;
		da = -(h[2] * g[0] - h[1] * g[1]) / det;
		db = -(h[0] * g[1] - h[1] * g[0]) / det;
		while (step > 1e-10)
		{
			double		nl = sigmoid_loss(score, t, weight, n, a + step * da, b + step * db, NULL, NULL);

			if (nl < loss)
			{
				a += step * da;
				b += step * db;
				moved = loss - nl > 1e-14 * (1 + fabs(loss));
				loss = nl;
				break;
			}
			step /= 2;
		}
		if (!moved)
			break;
		ml_check_interrupts();
	}
	ml_free(t);
	c->method = ML_CALIB_SIGMOID;
	c->a = a;
	c->b = b;
	c->n_points = 0;
	c->x = c->y = NULL;
}

void
calibrator_fit(MLCalibrator *c, MLCalibration method, const double *score,
			   const double *positive, const double *weight, size_t n)
{
	memset(c, 0, sizeof(*c));
	if (n == 0)
		ml_error(ML_ERR_DATA, "Calibrate on a model whose held-out rows are not empty.",
				 "calibration needs at least one held-out row");
	for (size_t i = 0; i < n; i++)
		if (!isfinite(score[i]) || (weight && !(weight[i] >= 0 && isfinite(weight[i]))))
			ml_error(ML_ERR_DATA, NULL, "calibration scores and weights must be finite");
	if (method == ML_CALIB_SIGMOID)
		fit_sigmoid(c, score, positive, weight, n);
	else if (method == ML_CALIB_ISOTONIC)
		fit_isotonic(c, score, positive, weight, n);
	else
		ml_error(ML_ERR_PARAM, "Use \"isotonic\" or \"sigmoid\".", "unknown calibration method");
}

double
calibrator_apply(const MLCalibrator *c, double s)
{
	size_t		lo,
				hi;

	if (isnan(s))
		return s;
	if (c->method == ML_CALIB_SIGMOID)
	{
		double		z = c->a * s + c->b;

		return z > 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));
	}
	if (c->n_points == 1 || s <= c->x[0])
		return c->y[0];
	if (s >= c->x[c->n_points - 1])
		return c->y[c->n_points - 1];
	/* the last point at or below s */
	lo = 0;
	hi = (size_t) c->n_points - 1;
	while (hi - lo > 1)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (c->x[mid] <= s)
			lo = mid;
		else
			hi = mid;
	}
	return c->y[lo] + (c->y[hi] - c->y[lo]) * (s - c->x[lo]) / (c->x[hi] - c->x[lo]);
}

void
calibrator_free(MLCalibrator *c)
{
	if (c->x)
		ml_free(c->x);
	if (c->y)
		ml_free(c->y);
	c->x = c->y = NULL;
}

void
calibrator_write(const MLCalibrator *c, MLBuffer *out)
{
	buffer_put_u8(out, (uint8_t) c->method);
	if (c->method == ML_CALIB_SIGMOID)
	{
		buffer_put_f64(out, c->a);
		buffer_put_f64(out, c->b);
		return;
	}
	buffer_put_u32(out, (uint32_t) c->n_points);
	buffer_put_f64s(out, c->x, (size_t) c->n_points);
	buffer_put_f64s(out, c->y, (size_t) c->n_points);
}

void
calibrator_read(MLCalibrator *c, MLReader *in)
{
	memset(c, 0, sizeof(*c));
	c->method = (MLCalibration) reader_u8(in);
	if (c->method == ML_CALIB_SIGMOID)
	{
		c->a = reader_f64(in);
		c->b = reader_f64(in);
		if (!isfinite(c->a) || !isfinite(c->b))
			ml_error(ML_ERR_CORRUPT, NULL, "model bytes are corrupted: calibration is not finite");
		return;
	}
	if (c->method != ML_CALIB_ISOTONIC)
		ml_error(ML_ERR_CORRUPT, NULL, "model bytes are corrupted: unknown calibration %d", (int) c->method);
	c->n_points = (int) reader_count(in, 16, MAX_ISOTONIC_POINTS);
	if (c->n_points < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "model bytes are corrupted: empty isotonic calibration");
	c->x = reader_f64s(in, (size_t) c->n_points);
	c->y = reader_f64s(in, (size_t) c->n_points);
	for (int i = 0; i < c->n_points; i++)
		if (!isfinite(c->x[i]) || !(c->y[i] >= 0 && c->y[i] <= 1) ||
			(i > 0 && !(c->x[i] > c->x[i - 1] && c->y[i] >= c->y[i - 1])))
			ml_error(ML_ERR_CORRUPT, NULL, "model bytes are corrupted: isotonic calibration is not monotone");
}

void
calibrate_probabilities(const MLCalibrator *cal, int k, double *proba, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		double	   *p = proba + i * (size_t) k;

		if (k == 2)
		{
			double		p1 = calibrator_apply(&cal[0], p[1]);

			p[1] = p1;
			p[0] = 1 - p1;
		}
		else
		{
			double		sum = 0;

			for (int j = 0; j < k; j++)
			{
				p[j] = calibrator_apply(&cal[j], p[j]);
				sum += p[j];
			}
			for (int j = 0; j < k; j++)
				p[j] = sum > 0 ? p[j] / sum : 1.0 / k;
		}
	}
}

double
calibration_brier(const double *y, const double *proba, size_t n, int k)
{
	double		sum = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
	{
		const double *p = proba + i * (size_t) k;
		int			yi = (int) y[i];

		if (k == 2)
		{
			double		d = p[1] - (yi == 1);

			sum += d * d;
		}
		else
			for (int j = 0; j < k; j++)
			{
				double		d = p[j] - (yi == j);

				sum += d * d;
			}
	}
	return sum / (double) n;
}

/* the value a row is binned by, and whether it counts as observed */
void
calibration_point(const double *p, int k, int yi, double *v, double *hit)
{
	if (k == 2)
	{
		*v = p[1];
		*hit = yi == 1;
	}
	else
	{
		int			top = ml_argmax(p, k);

		*v = p[top];
		*hit = top == yi;
	}
}

int
calibration_bin(double v, int bins)
{
	double		step = 1.0 / bins;
	int			b = 0;

	/* inner edges strictly below v (numpy.searchsorted, side "left") */
	while (b < bins - 1 && (b + 1) * step < v)
		b++;
	return b;
}

int
calibration_curve(const double *y, const double *proba, size_t n, int k, int bins,
				  int *bin, double *mean_pred, double *observed, int64_t *count)
{
	double	   *sp = ml_alloc(ml_mul_size((size_t) bins, sizeof(double)));
	double	   *so = ml_alloc(ml_mul_size((size_t) bins, sizeof(double)));
	int64_t    *cnt = ml_alloc(ml_mul_size((size_t) bins, sizeof(int64_t)));
	int			out = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		v,
					hit;
		int			b;

		calibration_point(proba + i * (size_t) k, k, (int) y[i], &v, &hit);
		if (isnan(v))
			continue;
		b = calibration_bin(v, bins);
		sp[b] += v;
		so[b] += hit;
		cnt[b]++;
	}
	for (int b = 0; b < bins; b++)
		if (cnt[b] > 0)
		{
			bin[out] = b;
			mean_pred[out] = sp[b] / (double) cnt[b];
			observed[out] = so[b] / (double) cnt[b];
			count[out] = cnt[b];
			out++;
		}
	ml_free(sp);
	ml_free(so);
	ml_free(cnt);
	return out;
}

double
calibration_ece(const double *y, const double *proba, size_t n, int k, int bins)
{
	int		   *bin = ml_alloc(ml_mul_size((size_t) bins, sizeof(int)));
	double	   *mp = ml_alloc(ml_mul_size((size_t) bins, sizeof(double)));
	double	   *ob = ml_alloc(ml_mul_size((size_t) bins, sizeof(double)));
	int64_t    *cnt = ml_alloc(ml_mul_size((size_t) bins, sizeof(int64_t)));
	int			m = calibration_curve(y, proba, n, k, bins, bin, mp, ob, cnt);
	double		ece = 0;
	int64_t		total = 0;

	for (int i = 0; i < m; i++)
		total += cnt[i];
	for (int i = 0; i < m; i++)
		ece += (double) cnt[i] / (double) total * fabs(mp[i] - ob[i]);
	ml_free(bin);
	ml_free(mp);
	ml_free(ob);
	ml_free(cnt);
	return total > 0 ? ece : NAN;
}
