/*-------------------------------------------------------------------------
 *
 * search.c
 *	  Search spaces; grid, random and TPE proposals.
 *
 * TPE (Bergstra, Bardenet, Bengio & Kegl, "Algorithms for Hyper-Parameter
 * Optimization", NIPS 2011), with independent parameters: the earlier
 * trials are split into the best gamma share ("good", at most 25 trials)
 * and the rest ("bad", failed trials included); each parameter gets two
 * Parzen densities l (good) and g (bad): for numbers a mixture of Gaussians
 * centred on the observed values (log values for log_uniform) with a
 * bandwidth from the distance to the neighbouring observations, plus the
 * uniform prior as one more component; for choices smoothed frequencies
 * (count + 1).  24 candidates are drawn from l and the one with the
 * largest l / g (the expected improvement's maximizer) is proposed.
 *
 *-------------------------------------------------------------------------
 */
#include "search.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPE_CANDIDATES 24
#define TPE_GAMMA 0.25
#define TPE_MAX_GOOD 25

static void
bad_space(const char *name, const char *hint, const char *what)
{
	ml_error(ML_ERR_PARAM, hint, "search space entry \"%s\" %s", name, what);
}

MLSpace *
space_parse(const char *json, size_t len)
{
	MLJson	   *root = json_parse(json, len, "space");
	MLSpace    *s = ml_alloc(sizeof(MLSpace));
	static const char *const hint =
		"Use [choice, ...], {\"uniform\": [lo, hi]}, {\"log_uniform\": [lo, hi]} or {\"int_uniform\": [lo, hi]}.";

	if (root->type != ML_JSON_OBJECT)
		ml_error(ML_ERR_PARAM, "For example {\"max_depth\": [3, 6, 9], \"learning_rate\": {\"log_uniform\": [0.01, 0.3]}}.",
				 "space must be a JSON object");
	if (root->n == 0)
		ml_error(ML_ERR_PARAM, "Name at least one parameter to search.", "space is empty");
	s->n = root->n;
	s->p = ml_alloc(sizeof(MLSearchParam) * (size_t) root->n);
	for (int i = 0; i < root->n; i++)
	{
		MLSearchParam *p = &s->p[i];
		const MLJson *d = root->items[i];

		p->name = root->keys[i];
		if (p->name[0] == '\0' || p->name[0] == '.' || p->name[strlen(p->name) - 1] == '.' ||
			strstr(p->name, ".."))
			bad_space(p->name, NULL, "is not a parameter name");
		if (d->type == ML_JSON_ARRAY)
		{
			if (d->n == 0)
				bad_space(p->name, "List at least one value.", "has no choices");
			p->kind = ML_DIST_CHOICE;
			p->n_choices = d->n;
			p->choices = d->items;
			continue;
		}
		if (d->type != ML_JSON_OBJECT || d->n != 1)
			bad_space(p->name, hint, "must be a list of choices or one distribution");
		if (strcmp(d->keys[0], "uniform") == 0)
			p->kind = ML_DIST_UNIFORM;
		else if (strcmp(d->keys[0], "log_uniform") == 0)
			p->kind = ML_DIST_LOG_UNIFORM;
		else if (strcmp(d->keys[0], "int_uniform") == 0)
			p->kind = ML_DIST_INT_UNIFORM;
		else
		{
			char		msg[300];

			snprintf(msg, sizeof(msg), "has unknown distribution \"%.200s\"", d->keys[0]);
			bad_space(p->name, hint, msg);
		}
		{
			const MLJson *b = d->items[0];

			if (b->type != ML_JSON_ARRAY || b->n != 2 || b->items[0]->type != ML_JSON_NUMBER ||
				b->items[1]->type != ML_JSON_NUMBER)
				bad_space(p->name, hint, "needs bounds [lo, hi] as two numbers");
			p->lo = b->items[0]->num;
			p->hi = b->items[1]->num;
		}
		if (!isfinite(p->lo) || !isfinite(p->hi) || p->lo > p->hi)
			bad_space(p->name, "Give lo <= hi.", "has bounds with lo > hi");
		if (p->kind == ML_DIST_LOG_UNIFORM && p->lo <= 0)
			bad_space(p->name, "log_uniform bounds must be positive.", "has a log_uniform bound <= 0");
		if (p->kind == ML_DIST_INT_UNIFORM && (p->lo != floor(p->lo) || p->hi != floor(p->hi)))
			bad_space(p->name, "int_uniform bounds are integers.", "has int_uniform bounds that are not integers");
	}
	return s;
}

size_t
space_grid_size(const MLSpace *s)
{
	size_t		n = 1;

	for (int j = 0; j < s->n; j++)
	{
		if (s->p[j].kind != ML_DIST_CHOICE)
			ml_error(ML_ERR_PARAM, "Grid search takes lists of choices, e.g. {\"max_depth\": [3, 6, 9]}.",
					 "grid search needs choices, but \"%s\" is a distribution", s->p[j].name);
		n *= (size_t) s->p[j].n_choices;
		if (n > ML_MAX_GRID)
			ml_error(ML_ERR_LIMIT, "Use random or bayes search for large spaces.",
					 "the grid has more than %d points", ML_MAX_GRID);
	}
	return n;
}

void
space_grid_point(const MLSpace *s, size_t i, double *v)
{
	for (int j = s->n - 1; j >= 0; j--)
	{
		v[j] = (double) (i % (size_t) s->p[j].n_choices);
		i /= (size_t) s->p[j].n_choices;
	}
}

/* a draw of parameter j from its prior */
static double
prior_draw(const MLSearchParam *p, MLRng *rng)
{
	double		u = ml_rng_uniform(rng);

	switch (p->kind)
	{
		case ML_DIST_CHOICE:
			return floor(u * p->n_choices);
		case ML_DIST_UNIFORM:
			return p->lo + u * (p->hi - p->lo);
		case ML_DIST_LOG_UNIFORM:
			return exp(log(p->lo) + u * (log(p->hi) - log(p->lo)));
		case ML_DIST_INT_UNIFORM:
			return fmin(p->hi, p->lo + floor(u * (p->hi - p->lo + 1)));
	}
	return 0;
}

void
space_random_point(const MLSpace *s, uint64_t seed, int t, double *v)
{
	MLRng		rng;

	ml_rng_seed(&rng, ml_mix64(seed ^ ml_mix64(0x5EA4C4ull + (uint64_t) t)));
	for (int j = 0; j < s->n; j++)
		v[j] = prior_draw(&s->p[j], &rng);
}

int
space_tpe_startup(int trials)
{
	/* not a function of trials: a longer search must extend a shorter one */
	(void) trials;
	return ML_TPE_STARTUP;
}

/* the internal (search) scale of a numeric value */
static double
to_internal(const MLSearchParam *p, double x)
{
	return p->kind == ML_DIST_LOG_UNIFORM ? log(x) : x;
}

typedef struct Parzen
{
	int			n;
	double	   *mu;
	double	   *sigma;
	double		lo,
				hi;				/* internal bounds */
} Parzen;

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static void
parzen_build(Parzen *pz, const MLSearchParam *p, const double *obs, int n)
{
	double		range;

	pz->lo = to_internal(p, p->lo) - (p->kind == ML_DIST_INT_UNIFORM ? 0.5 : 0);
	pz->hi = to_internal(p, p->hi) + (p->kind == ML_DIST_INT_UNIFORM ? 0.5 : 0);
	range = pz->hi - pz->lo;
	pz->n = n;
	pz->mu = ml_alloc(sizeof(double) * (size_t) (n + 1));
	pz->sigma = ml_alloc(sizeof(double) * (size_t) (n + 1));
	for (int i = 0; i < n; i++)
		pz->mu[i] = to_internal(p, obs[i]);
	qsort(pz->mu, (size_t) n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++)
	{
		double		left = i > 0 ? pz->mu[i] - pz->mu[i - 1] : pz->mu[i] - pz->lo;
		double		right = i < n - 1 ? pz->mu[i + 1] - pz->mu[i] : pz->hi - pz->mu[i];
		double		sg = fmax(left, right);

		/* neither narrower than the range / min(100, n + 1) nor wider than it */
		sg = fmax(sg, range / fmin(100.0, n + 1.0));
		pz->sigma[i] = fmin(sg, range > 0 ? range : 1);
	}
}

static double
parzen_density(const Parzen *pz, double x)
{
	double		range = pz->hi - pz->lo;
	double		d = range > 0 ? 1.0 / range : 1.0;	/* the prior component */

	for (int i = 0; i < pz->n; i++)
	{
		double		z = (x - pz->mu[i]) / pz->sigma[i];

		d += exp(-0.5 * z * z) / (pz->sigma[i] * 2.5066282746310002);
	}
	return d / (pz->n + 1);
}

static double
normal_draw(MLRng *rng)
{
	double		u1 = ml_rng_uniform(rng),
				u2 = ml_rng_uniform(rng);

	return sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-300)) * cos(6.283185307179586 * u2);
}

static double
parzen_draw(const Parzen *pz, MLRng *rng)
{
	int			c = (int) floor(ml_rng_uniform(rng) * (pz->n + 1));

	if (c >= pz->n || pz->hi <= pz->lo)
		return pz->lo + ml_rng_uniform(rng) * (pz->hi - pz->lo);
	for (int tries = 0; tries < 20; tries++)
	{
		double		x = pz->mu[c] + pz->sigma[c] * normal_draw(rng);

		if (x >= pz->lo && x <= pz->hi)
			return x;
	}
	return fmin(pz->hi, fmax(pz->lo, pz->mu[c]));
}

/* an internal value back to the parameter's scale */
static double
from_internal(const MLSearchParam *p, double x)
{
	switch (p->kind)
	{
		case ML_DIST_LOG_UNIFORM:
			return fmin(p->hi, fmax(p->lo, exp(x)));
		case ML_DIST_INT_UNIFORM:
			return fmin(p->hi, fmax(p->lo, floor(x + 0.5)));
		default:
			return fmin(p->hi, fmax(p->lo, x));
	}
}

typedef struct Ranked
{
	double		score;
	int			i;
} Ranked;

static int
cmp_ranked(const void *a, const void *b)
{
	const Ranked *x = a,
			   *y = b;

	/* best first; failed (NaN) last; ties by trial order */
	if (isnan(x->score) != isnan(y->score))
		return isnan(x->score) ? 1 : -1;
	if (!isnan(x->score) && x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->i - y->i;
}

void
space_tpe_point(const MLSpace *s, uint64_t seed, int t, const double *points,
				const double *scores, int n, int n_startup, double *v)
{
	MLRng		rng;
	Ranked	   *r;
	int			n_good,
				n_ok = 0;
	double	   *cand,
			   *gain;

	if (t < n_startup || n < 2)
	{
		space_random_point(s, seed, t, v);
		return;
	}
	for (int i = 0; i < n; i++)
		n_ok += !isnan(scores[i]);
	if (n_ok == 0)
	{
		space_random_point(s, seed, t, v);
		return;
	}
	ml_rng_seed(&rng, ml_mix64(seed ^ ml_mix64(0x7BE0ull + (uint64_t) t)));
	r = ml_alloc(sizeof(Ranked) * (size_t) n);
	for (int i = 0; i < n; i++)
	{
		r[i].score = scores[i];
		r[i].i = i;
	}
	qsort(r, (size_t) n, sizeof(Ranked), cmp_ranked);
	n_good = (int) ceil(TPE_GAMMA * n_ok);
	if (n_good > TPE_MAX_GOOD)
		n_good = TPE_MAX_GOOD;
	if (n_good < 1)
		n_good = 1;

	cand = ml_alloc(sizeof(double) * TPE_CANDIDATES * (size_t) s->n);
	gain = ml_alloc(sizeof(double) * TPE_CANDIDATES);
	for (int j = 0; j < s->n; j++)
	{
		const MLSearchParam *p = &s->p[j];
		double	   *good = ml_alloc(sizeof(double) * (size_t) n);
		double	   *bad = ml_alloc(sizeof(double) * (size_t) n);

		int			ng = 0,
					nb = 0;

		/* values that match nothing (a stored trial outside the space) are left out */
		for (int i = 0; i < n; i++)
		{
			double		x = points[(size_t) r[i].i * (size_t) s->n + (size_t) j];

			if (isnan(x) || (p->kind == ML_DIST_CHOICE && (x < 0 || x >= p->n_choices)))
				continue;
			if (i < n_good)
				good[ng++] = x;
			else
				bad[nb++] = x;
		}
		if (p->kind == ML_DIST_CHOICE)
		{
			int			k = p->n_choices;
			double	   *lw = ml_alloc(sizeof(double) * (size_t) k);
			double	   *gw = ml_alloc(sizeof(double) * (size_t) k);
			double		lsum = 0;

			for (int c = 0; c < k; c++)
				lw[c] = gw[c] = 1.0;
			for (int i = 0; i < ng; i++)
				lw[(int) good[i]] += 1;
			for (int i = 0; i < nb; i++)
				gw[(int) bad[i]] += 1;
			for (int c = 0; c < k; c++)
				lsum += lw[c];
			for (int q = 0; q < TPE_CANDIDATES; q++)
			{
				double		u = ml_rng_uniform(&rng) * lsum;
				int			c = 0;

				while (c < k - 1 && u >= lw[c])
					u -= lw[c++];
				cand[q * s->n + j] = c;
				gain[q] += log(lw[c] / (ng + k)) - log(gw[c] / (nb + k));
			}
			ml_free(lw);
			ml_free(gw);
		}
		else
		{
			Parzen		l,
						g;

			parzen_build(&l, p, good, ng);
			parzen_build(&g, p, bad, nb);
			for (int q = 0; q < TPE_CANDIDATES; q++)
			{
				double		x = parzen_draw(&l, &rng);
				double		val = from_internal(p, x);
				double		xi = to_internal(p, val);

				cand[q * s->n + j] = val;
				gain[q] += log(parzen_density(&l, xi)) - log(parzen_density(&g, xi));
			}
			ml_free(l.mu);
			ml_free(l.sigma);
			ml_free(g.mu);
			ml_free(g.sigma);
		}
		ml_free(good);
		ml_free(bad);
	}
	{
		int			best = 0;

		for (int q = 1; q < TPE_CANDIDATES; q++)
			if (gain[q] > gain[best])
				best = q;
		memcpy(v, cand + best * s->n, sizeof(double) * (size_t) s->n);
	}
	ml_free(cand);
	ml_free(gain);
	ml_free(r);
}

void
space_point_json(const MLSpace *s, const double *v, MLBuffer *out)
{
	buffer_put_u8(out, '{');
	for (int j = 0; j < s->n; j++)
	{
		const MLSearchParam *p = &s->p[j];

		if (j)
			buffer_printf(out, ", ");
		buffer_json_str(out, p->name);
		buffer_printf(out, ": ");
		if (p->kind == ML_DIST_CHOICE)
		{
			const MLJson *c = p->choices[(int) v[j]];

			buffer_put_bytes(out, c->text, c->len);
		}
		else if (p->kind == ML_DIST_INT_UNIFORM)
			buffer_printf(out, "%.0f", v[j]);
		else
			buffer_json_num(out, v[j]);
	}
	buffer_put_u8(out, '}');
}

double
space_value_from_json(const MLSpace *s, int j, const MLJson *value)
{
	const MLSearchParam *p = &s->p[j];

	if (p->kind == ML_DIST_CHOICE)
	{
		for (int c = 0; c < p->n_choices; c++)
			if (json_equal(p->choices[c], value))
				return c;
		return NAN;
	}
	if (value->type != ML_JSON_NUMBER || value->num < p->lo || value->num > p->hi)
		return NAN;
	return value->num;
}
