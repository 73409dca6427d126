/*-------------------------------------------------------------------------
 *
 * sketch.c
 *	  Mergeable column summaries (see sketch.h).
 *
 * While a numeric sketch is exact it keeps only its count table; when the
 * table passes ML_SKETCH_EXACT values, the logarithmic bins and the
 * HyperLogLog are built from the table (they are functions of the
 * multiset, so building them late gives what adding each value would
 * have), and the table goes.  Merging an exact sketch into an inexact one
 * does the same, so a merge tree of any shape ends in the same bins.
 *
 * Folding bins past ML_SKETCH_BINS keeps the highest magnitudes: every
 * count below the cut moves into the cut's bin.  A partial sketch's cut is
 * never above the final one (its highest bin is not), so the final bins do
 * not depend on where partial sketches folded.
 *
 *-------------------------------------------------------------------------
 */
#include "sketch.h"
#include "model.h"
#include "rng.h"
#include "sortcount.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HLL_REGS (1u << ML_HLL_BITS)

/* ---- count tables ---- */

static uint64_t
str_hash(const char *s, size_t len)
{
	uint64_t	f = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		f = (f ^ (unsigned char) s[i]) * 1099511628211ull;
	return ml_mix64(f);
}

static void
table_free(MLCountTable *t)
{
	if (t->str)
		for (size_t i = 0; i < t->cap; i++)
			if (t->str[i])
				ml_free(t->str[i]);
	if (t->key)
		ml_free(t->key);
	if (t->str)
		ml_free(t->str);
	if (t->count)
		ml_free(t->count);
	memset(t, 0, sizeof(MLCountTable));
}

/* the slot of key (and string s), or the empty slot where it goes */
static size_t
table_slot(const MLCountTable *t, uint64_t key, const char *s, size_t len)
{
	size_t		mask = t->cap - 1;

	for (size_t i = key & mask;; i = (i + 1) & mask)
		if (t->count[i] == 0 ||
			(t->key[i] == key &&
			 (t->str == NULL || (strlen(t->str[i]) == len && memcmp(t->str[i], s, len) == 0))))
			return i;
}

static void
table_grow(MLCountTable *t, bool strings)
{
	MLCountTable old = *t;
	size_t		cap = old.cap ? old.cap * 2 : 64;

	t->cap = cap;
	t->key = ml_alloc(ml_mul_size(cap, sizeof(uint64_t)));
	t->count = ml_alloc(ml_mul_size(cap, sizeof(uint64_t)));
	t->str = strings ? ml_alloc(ml_mul_size(cap, sizeof(char *))) : NULL;
	for (size_t i = 0; i < old.cap; i++)
		if (old.count[i])
		{
			/* every key is distinct: the first empty slot; strings move */
			size_t		j = table_slot(t, old.key[i], strings ? old.str[i] : NULL,
									   strings ? strlen(old.str[i]) : 0);

			t->key[j] = old.key[i];
			t->count[j] = old.count[i];
			if (strings)
				t->str[j] = old.str[i];
		}
	if (old.cap)
	{
		ml_free(old.key);
		ml_free(old.count);
		if (old.str)
			ml_free(old.str);
	}
}

/* add count to key (a string's key is its hash; the string is copied when new) */
static void
table_add(MLCountTable *t, bool strings, uint64_t key, const char *s, size_t len, uint64_t count)
{
	size_t		i;

	if (t->cap == 0 || (t->size + 1) * 2 > t->cap)
		table_grow(t, strings);
	i = table_slot(t, key, s, len);
	if (t->count[i] == 0)
	{
		t->key[i] = key;
		if (strings)
		{
			char	   *copy = ml_alloc(len + 1);

			memcpy(copy, s, len);
			t->str[i] = copy;
		}
		t->size++;
	}
	t->count[i] += count;
}

/* ---- HyperLogLog ---- */

void
ml_hll_add(uint8_t *regs, uint64_t hash)
{
	uint32_t	idx = (uint32_t) (hash >> (64 - ML_HLL_BITS));
	uint64_t	w = (hash << ML_HLL_BITS) | (1ull << (ML_HLL_BITS - 1));
	uint8_t		rank = (uint8_t) (__builtin_clzll(w) + 1);

	if (rank > regs[idx])
		regs[idx] = rank;
}

double
ml_hll_estimate(const uint8_t *regs)
{
	double		m = HLL_REGS,
				sum = 0,
				est;
	int			zeros = 0;

	for (uint32_t i = 0; i < HLL_REGS; i++)
	{
		sum += ldexp(1.0, -regs[i]);
		zeros += regs[i] == 0;
	}
	est = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
	if (est <= 2.5 * m && zeros > 0)
		est = m * log(m / zeros);
	return est;
}

static uint64_t
num_hash(double x)
{
	uint64_t	u;

	if (x == 0.0)
		x = 0.0;
	memcpy(&u, &x, 8);
	return ml_mix64(u ^ 0x6a09e667f3bcc909ull);
}

/* ---- logarithmic bins ---- */

static double
log_gamma(void)
{
	static double lg = 0;

	if (lg == 0)
		lg = log((1.0 + ML_SKETCH_ALPHA) / (1.0 - ML_SKETCH_ALPHA));
	return lg;
}

static int32_t
bin_index(double a)				/* a > 0 */
{
	double		i = ceil(log(a) / log_gamma());

	if (i > 1e6)
		i = 1e6;
	if (i < -1e6)
		i = -1e6;
	return (int32_t) i;
}

static double
bin_value(int32_t i)
{
	double		g = exp(log_gamma());

	return 2.0 * exp(i * log_gamma()) / (g + 1.0);
}

static void
bins_add(MLLogBins *b, int32_t i, uint64_t count)
{
	int32_t		lo,
				hi;

	if (b->n == 0)
	{
		b->lo = i;
		b->n = 1;
		b->count = ml_alloc(sizeof(uint64_t));
		b->count[0] = count;
		return;
	}
	lo = i < b->lo ? i : b->lo;
	hi = i > b->lo + b->n - 1 ? i : b->lo + b->n - 1;
	if (hi - lo + 1 > ML_SKETCH_BINS)
		lo = hi - ML_SKETCH_BINS + 1;
	if (lo != b->lo || hi != b->lo + b->n - 1)
	{
		int32_t		n = hi - lo + 1;
		uint64_t   *c = ml_alloc(ml_mul_size((size_t) n, sizeof(uint64_t)));

		for (int32_t k = 0; k < b->n; k++)
		{
			int32_t		at = b->lo + k;

			c[(at < lo ? lo : at) - lo] += b->count[k];
		}
		ml_free(b->count);
		b->count = c;
		b->lo = lo;
		b->n = n;
	}
	if (i < b->lo)
		i = b->lo;
	b->count[i - b->lo] += count;
}

static void
bins_free(MLLogBins *b)
{
	if (b->count)
		ml_free(b->count);
	memset(b, 0, sizeof(MLLogBins));
}

/* ---- numeric sketches ---- */

void
num_sketch_init(MLNumSketch *s)
{
	memset(s, 0, sizeof(MLNumSketch));
	s->exact = true;
	s->min = INFINITY;
	s->max = -INFINITY;
}

static double
key_double(uint64_t key)
{
	uint64_t	u = (key >> 63) ? key ^ 0x8000000000000000ull : ~key;
	double		x;

	memcpy(&x, &u, 8);
	return x;
}

/* the bins and registers of a value added count times */
static void
approx_add(MLNumSketch *s, double x, uint64_t count)
{
	if (s->hll == NULL)
		s->hll = ml_alloc(HLL_REGS);
	ml_hll_add(s->hll, num_hash(x));
	if (x == 0)
		s->zeros += count;
	else if (x > 0)
		bins_add(&s->pos, bin_index(x), count);
	else
		bins_add(&s->neg, bin_index(-x), count);
}

/* the exact table becomes bins and registers */
static void
make_approx(MLNumSketch *s)
{
	if (!s->exact)
		return;
	for (size_t i = 0; i < s->table.cap; i++)
		if (s->table.count[i])
			approx_add(s, key_double(s->table.key[i]), s->table.count[i]);
	if (s->hll == NULL)
		s->hll = ml_alloc(HLL_REGS);
	table_free(&s->table);
	s->exact = false;
}

void
num_sketch_add(MLNumSketch *s, double x)
{
	uint64_t	m;
	double		d;

	s->n++;
	if (isnan(x))
	{
		s->nulls++;
		return;
	}
	m = s->n - s->nulls;
	d = x - s->mean;
	s->mean += d / (double) m;
	s->m2 += d * (x - s->mean);
	if (x < s->min)
		s->min = x;
	if (x > s->max)
		s->max = x;
	if (s->exact)
	{
		table_add(&s->table, false, ml_double_key(x), NULL, 0, 1);
		if (s->table.size > ML_SKETCH_EXACT)
			make_approx(s);
	}
	else
		approx_add(s, x, 1);
}

void
num_sketch_merge(MLNumSketch *dst, const MLNumSketch *src)
{
	uint64_t	na = dst->n - dst->nulls,
				nb = src->n - src->nulls;

	if (nb > 0)
	{
		double		n = (double) (na + nb),
					d = src->mean - dst->mean;

		dst->m2 = dst->m2 + src->m2 + d * d * (double) na * (double) nb / n;
		dst->mean = na == 0 ? src->mean : dst->mean + d * (double) nb / n;
		if (src->min < dst->min)
			dst->min = src->min;
		if (src->max > dst->max)
			dst->max = src->max;
	}
	dst->n += src->n;
	dst->nulls += src->nulls;
	if (dst->exact && src->exact)
	{
		for (size_t i = 0; i < src->table.cap; i++)
			if (src->table.count[i])
				table_add(&dst->table, false, src->table.key[i], NULL, 0, src->table.count[i]);
		if (dst->table.size > ML_SKETCH_EXACT)
			make_approx(dst);
		return;
	}
	make_approx(dst);
	if (src->exact)
	{
		for (size_t i = 0; i < src->table.cap; i++)
			if (src->table.count[i])
				approx_add(dst, key_double(src->table.key[i]), src->table.count[i]);
		return;
	}
	dst->zeros += src->zeros;
	for (int32_t k = 0; k < src->pos.n; k++)
		if (src->pos.count[k])
			bins_add(&dst->pos, src->pos.lo + k, src->pos.count[k]);
	for (int32_t k = 0; k < src->neg.n; k++)
		if (src->neg.count[k])
			bins_add(&dst->neg, src->neg.lo + k, src->neg.count[k]);
	for (uint32_t i = 0; i < HLL_REGS; i++)
		if (src->hll[i] > dst->hll[i])
			dst->hll[i] = src->hll[i];
}

double
num_sketch_std(const MLNumSketch *s)
{
	uint64_t	m = num_sketch_count(s);

	return m ? sqrt(s->m2 / (double) m) : NAN;
}

static int
cmp_double_asc(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

typedef struct ValCount
{
	double		v;
	uint64_t	c;
} ValCount;

static int
cmp_valcount(const void *a, const void *b)
{
	return cmp_double_asc(&((const ValCount *) a)->v, &((const ValCount *) b)->v);
}

size_t
num_sketch_values(const MLNumSketch *s, double **values, uint64_t **counts)
{
	size_t		k = 0;
	ValCount   *vc = ml_alloc(ml_mul_size(s->table.size ? s->table.size : 1, sizeof(ValCount)));

	for (size_t i = 0; i < s->table.cap; i++)
		if (s->table.count[i])
		{
			vc[k].v = key_double(s->table.key[i]);
			vc[k++].c = s->table.count[i];
		}
	qsort(vc, k, sizeof(ValCount), cmp_valcount);
	*values = ml_alloc(ml_mul_size(k ? k : 1, sizeof(double)));
	*counts = ml_alloc(ml_mul_size(k ? k : 1, sizeof(uint64_t)));
	for (size_t i = 0; i < k; i++)
	{
		(*values)[i] = vc[i].v;
		(*counts)[i] = vc[i].c;
	}
	ml_free(vc);
	return k;
}

/*
 * Walk the approximate value distribution in ascending order: negative
 * bins from the largest magnitude, zeros, positive bins; fn sees each
 * (representative value, count) and stops the walk by returning true.
 */
typedef bool (*BinVisit) (double v, uint64_t c, void *arg);

static void
walk_bins(const MLNumSketch *s, BinVisit fn, void *arg)
{
	for (int32_t k = s->neg.n - 1; k >= 0; k--)
		if (s->neg.count[k] && fn(-bin_value(s->neg.lo + k), s->neg.count[k], arg))
			return;
	if (s->zeros && fn(0.0, s->zeros, arg))
		return;
	for (int32_t k = 0; k < s->pos.n; k++)
		if (s->pos.count[k] && fn(bin_value(s->pos.lo + k), s->pos.count[k], arg))
			return;
}

typedef struct RankFind
{
	uint64_t	rank;
	uint64_t	seen;
	double		value;
} RankFind;

static bool
rank_visit(double v, uint64_t c, void *arg)
{
	RankFind   *f = arg;

	f->value = v;
	f->seen += c;
	return f->seen > f->rank;
}

/* the value of a rank (0-based) among the sorted non-NULL values */
static double
value_at_rank(const MLNumSketch *s, uint64_t rank)
{
	if (s->exact)
	{
		double	   *v;
		uint64_t   *c,
					seen = 0;
		size_t		k = num_sketch_values(s, &v, &c);
		double		out = v[k - 1];

		for (size_t i = 0; i < k; i++)
		{
			seen += c[i];
			if (seen > rank)
			{
				out = v[i];
				break;
			}
		}
		ml_free(v);
		ml_free(c);
		return out;
	}
	{
		RankFind	f = {rank, 0, NAN};

		walk_bins(s, rank_visit, &f);
		return fmin(fmax(f.value, s->min), s->max);
	}
}

double
num_sketch_quantile(const MLNumSketch *s, double q)
{
	uint64_t	m = num_sketch_count(s);

	if (m == 0)
		return NAN;
	return value_at_rank(s, (uint64_t) (q * (double) (m - 1)));
}

double
num_sketch_median(const MLNumSketch *s)
{
	uint64_t	m = num_sketch_count(s);

	if (m == 0)
		return 0;
	if (m % 2)
		return value_at_rank(s, m / 2);
	return (value_at_rank(s, m / 2 - 1) + value_at_rank(s, m / 2)) / 2.0;
}

double
num_sketch_mode(const MLNumSketch *s)
{
	double	   *v;
	uint64_t   *c;
	size_t		k;
	double		best = 0;
	uint64_t	best_c = 0;

	if (!s->exact)
		ml_error(ML_ERR_INTERNAL, NULL, "the mode of an inexact sketch");
	k = num_sketch_values(s, &v, &c);
	for (size_t i = 0; i < k; i++)
		if (c[i] > best_c)
		{
			best_c = c[i];
			best = v[i];
		}
	ml_free(v);
	ml_free(c);
	return best;
}

uint64_t
num_sketch_distinct(const MLNumSketch *s)
{
	double		e;

	if (s->exact)
		return s->table.size;
	e = floor(ml_hll_estimate(s->hll) + 0.5);
	if (e > (double) num_sketch_count(s))
		e = (double) num_sketch_count(s);
	return e < ML_SKETCH_EXACT + 1 ? ML_SKETCH_EXACT + 1 : (uint64_t) e;
}

void
num_sketch_free(MLNumSketch *s)
{
	table_free(&s->table);
	bins_free(&s->pos);
	bins_free(&s->neg);
	if (s->hll)
		ml_free(s->hll);
	s->hll = NULL;
}

/* ---- categorical sketches ---- */

void
cat_sketch_init(MLCatSketch *s)
{
	memset(s, 0, sizeof(MLCatSketch));
	s->exact = true;
}

static void
cat_approx(MLCatSketch *s)
{
	if (!s->exact)
		return;
	if (s->hll == NULL)
		s->hll = ml_alloc(HLL_REGS);
	for (size_t i = 0; i < s->table.cap; i++)
		if (s->table.count[i])
			ml_hll_add(s->hll, s->table.key[i]);
	table_free(&s->table);
	s->exact = false;
}

void
cat_sketch_add(MLCatSketch *s, const char *v, size_t len)
{
	uint64_t	h;

	s->n++;
	if (v == NULL)
	{
		s->nulls++;
		return;
	}
	h = str_hash(v, len);
	if (s->exact)
	{
		table_add(&s->table, true, h, v, len, 1);
		if (s->table.size > ML_SKETCH_CATEGORIES)
			cat_approx(s);
	}
	else
		ml_hll_add(s->hll, h);
}

void
cat_sketch_merge(MLCatSketch *dst, const MLCatSketch *src)
{
	dst->n += src->n;
	dst->nulls += src->nulls;
	if (dst->exact && src->exact)
	{
		for (size_t i = 0; i < src->table.cap; i++)
			if (src->table.count[i])
				table_add(&dst->table, true, src->table.key[i], src->table.str[i],
						  strlen(src->table.str[i]), src->table.count[i]);
		if (dst->table.size > ML_SKETCH_CATEGORIES)
			cat_approx(dst);
		return;
	}
	cat_approx(dst);
	if (src->exact)
	{
		for (size_t i = 0; i < src->table.cap; i++)
			if (src->table.count[i])
				ml_hll_add(dst->hll, src->table.key[i]);
		return;
	}
	for (uint32_t i = 0; i < HLL_REGS; i++)
		if (src->hll[i] > dst->hll[i])
			dst->hll[i] = src->hll[i];
}

void
cat_sketch_free(MLCatSketch *s)
{
	table_free(&s->table);
	if (s->hll)
		ml_free(s->hll);
	s->hll = NULL;
}

uint64_t
cat_sketch_distinct(const MLCatSketch *s)
{
	double		e;

	if (s->exact)
		return s->table.size;
	e = floor(ml_hll_estimate(s->hll) + 0.5);
	if (e > (double) (s->n - s->nulls))
		e = (double) (s->n - s->nulls);
	return e < ML_SKETCH_CATEGORIES + 1 ? ML_SKETCH_CATEGORIES + 1 : (uint64_t) e;
}

typedef struct CatRank
{
	char	   *s;
	uint64_t	c;
} CatRank;

static int
cmp_catrank(const void *a, const void *b)
{
	const CatRank *x = a,
			   *y = b;

	if (x->c != y->c)
		return x->c > y->c ? -1 : 1;
	return strcmp(x->s, y->s);
}

size_t
cat_sketch_ranked(const MLCatSketch *s, char ***cats, uint64_t **counts)
{
	size_t		k = 0;
	CatRank    *r = ml_alloc(ml_mul_size(s->table.size ? s->table.size : 1, sizeof(CatRank)));

	for (size_t i = 0; i < s->table.cap; i++)
		if (s->table.count[i])
		{
			r[k].s = s->table.str[i];
			r[k++].c = s->table.count[i];
		}
	qsort(r, k, sizeof(CatRank), cmp_catrank);
	*cats = ml_alloc(ml_mul_size(k ? k : 1, sizeof(char *)));
	*counts = ml_alloc(ml_mul_size(k ? k : 1, sizeof(uint64_t)));
	for (size_t i = 0; i < k; i++)
	{
		(*cats)[i] = r[i].s;
		(*counts)[i] = r[i].c;
	}
	ml_free(r);
	return k;
}

/* ---- bytes ---- */

static const MLCountTable *sort_table;

static int
cmp_slot(const void *a, const void *b)
{
	size_t		x = *(const size_t *) a,
				y = *(const size_t *) b;

	if (sort_table->str)
		return strcmp(sort_table->str[x], sort_table->str[y]);
	return (sort_table->key[x] > sort_table->key[y]) - (sort_table->key[x] < sort_table->key[y]);
}

/* the entries in key (or byte) order: the same bytes whatever the insertion order */
static void
table_write(const MLCountTable *t, bool strings, MLBuffer *b)
{
	size_t	   *slots = ml_alloc(sizeof(size_t) * (t->size ? t->size : 1));
	size_t		k = 0;

	for (size_t i = 0; i < t->cap; i++)
		if (t->count[i])
			slots[k++] = i;
	sort_table = t;
	qsort(slots, k, sizeof(size_t), cmp_slot);
	buffer_put_u32(b, (uint32_t) t->size);
	for (size_t j = 0; j < k; j++)
	{
		size_t		i = slots[j];

		if (strings)
			buffer_put_str(b, t->str[i]);
		else
			buffer_put_u64(b, t->key[i]);
		buffer_put_u64(b, t->count[i]);
	}
	ml_free(slots);
}

static void
table_read(MLCountTable *t, bool strings, MLReader *r, size_t max)
{
	size_t		n = reader_count(r, strings ? 12 : 16, max);

	memset(t, 0, sizeof(MLCountTable));
	for (size_t i = 0; i < n; i++)
	{
		if (strings)
		{
			char	   *s = reader_str(r, ML_MAX_NAME * 16);
			uint64_t	c = reader_u64(r);

			if (c == 0)
				ml_error(ML_ERR_CORRUPT, NULL, "sketch category with a count of 0");
			table_add(t, true, str_hash(s, strlen(s)), s, strlen(s), c);
			ml_free(s);
		}
		else
		{
			uint64_t	k = reader_u64(r);
			uint64_t	c = reader_u64(r);

			if (c == 0)
				ml_error(ML_ERR_CORRUPT, NULL, "sketch value with a count of 0");
			table_add(t, false, k, NULL, 0, c);
		}
	}
	if (t->size != n)
		ml_error(ML_ERR_CORRUPT, NULL, "sketch holds a value twice");
}

static void
bins_write(const MLLogBins *b, MLBuffer *out)
{
	buffer_put_u32(out, (uint32_t) b->lo);
	buffer_put_u32(out, (uint32_t) b->n);
	for (int32_t k = 0; k < b->n; k++)
		buffer_put_u64(out, b->count[k]);
}

static void
bins_read(MLLogBins *b, MLReader *r)
{
	memset(b, 0, sizeof(MLLogBins));
	b->lo = (int32_t) reader_u32(r);
	b->n = (int32_t) reader_count(r, 8, ML_SKETCH_BINS);
	if (b->n > 0)
	{
		b->count = ml_alloc(sizeof(uint64_t) * b->n);
		for (int32_t k = 0; k < b->n; k++)
			b->count[k] = reader_u64(r);
	}
}

void
num_sketch_write(const MLNumSketch *s, MLBuffer *b)
{
	buffer_put_u64(b, s->n);
	buffer_put_u64(b, s->nulls);
	buffer_put_f64(b, s->mean);
	buffer_put_f64(b, s->m2);
	buffer_put_f64(b, s->min);
	buffer_put_f64(b, s->max);
	buffer_put_u8(b, s->exact);
	if (s->exact)
		table_write(&s->table, false, b);
	else
	{
		buffer_put_u64(b, s->zeros);
		bins_write(&s->pos, b);
		bins_write(&s->neg, b);
		buffer_put_bytes(b, s->hll, HLL_REGS);
	}
}

void
num_sketch_read(MLNumSketch *s, MLReader *r)
{
	num_sketch_init(s);
	s->n = reader_u64(r);
	s->nulls = reader_u64(r);
	s->mean = reader_f64(r);
	s->m2 = reader_f64(r);
	s->min = reader_f64(r);
	s->max = reader_f64(r);
	if (s->nulls > s->n)
		ml_error(ML_ERR_CORRUPT, NULL, "sketch has more NULLs than rows");
	s->exact = reader_u8(r) != 0;
	if (s->exact)
	{
		table_read(&s->table, false, r, ML_SKETCH_EXACT);
		return;
	}
	s->zeros = reader_u64(r);
	bins_read(&s->pos, r);
	bins_read(&s->neg, r);
	s->hll = ml_alloc(HLL_REGS);
	memcpy(s->hll, reader_bytes(r, HLL_REGS), HLL_REGS);
}

void
cat_sketch_write(const MLCatSketch *s, MLBuffer *b)
{
	buffer_put_u64(b, s->n);
	buffer_put_u64(b, s->nulls);
	buffer_put_u8(b, s->exact);
	if (s->exact)
		table_write(&s->table, true, b);
	else
		buffer_put_bytes(b, s->hll, HLL_REGS);
}

void
cat_sketch_read(MLCatSketch *s, MLReader *r)
{
	cat_sketch_init(s);
	s->n = reader_u64(r);
	s->nulls = reader_u64(r);
	if (s->nulls > s->n)
		ml_error(ML_ERR_CORRUPT, NULL, "sketch has more NULLs than rows");
	s->exact = reader_u8(r) != 0;
	if (s->exact)
	{
		table_read(&s->table, true, r, ML_SKETCH_CATEGORIES);
		return;
	}
	s->hll = ml_alloc(HLL_REGS);
	memcpy(s->hll, reader_bytes(r, HLL_REGS), HLL_REGS);
}

/* ---- statistics JSON ---- */

typedef struct ShareFill
{
	const double *edges;
	int			n_edges;
	uint64_t	bins[10];
	int			b;
} ShareFill;

static bool
share_visit(double v, uint64_t c, void *arg)
{
	ShareFill  *f = arg;

	while (f->b < f->n_edges && v > f->edges[f->b])
		f->b++;
	f->bins[f->b] += c;
	return false;
}

void
num_sketch_json(const MLNumSketch *s, const char *name, MLBuffer *json)
{
	uint64_t	m = num_sketch_count(s);
	double		edges[9];
	int			n_edges = 0;
	ShareFill	f = {edges, 0, {0}, 0};

	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, name);
	buffer_printf(json, ", \"kind\": \"numeric\", \"count\": %llu, \"nulls\": %llu, \"distinct\": %llu, \"mean\": ",
				  (unsigned long long) s->n, (unsigned long long) s->nulls,
				  (unsigned long long) num_sketch_distinct(s));
	buffer_json_num(json, m ? s->mean : NAN);
	buffer_printf(json, ", \"std\": ");
	buffer_json_num(json, num_sketch_std(s));
	buffer_printf(json, ", \"min\": ");
	buffer_json_num(json, m ? s->min : NAN);
	buffer_printf(json, ", \"max\": ");
	buffer_json_num(json, m ? s->max : NAN);
	if (m > 0)
		for (int q = 1; q <= 9; q++)
		{
			double		e = num_sketch_quantile(s, q / 10.0);

			if (n_edges == 0 || e > edges[n_edges - 1])
				edges[n_edges++] = e;
		}
	f.n_edges = n_edges;
	if (m > 0 && s->exact)
	{
		double	   *v;
		uint64_t   *c;
		size_t		k = num_sketch_values(s, &v, &c);

		for (size_t i = 0; i < k; i++)
			share_visit(v[i], c[i], &f);
		ml_free(v);
		ml_free(c);
	}
	else if (m > 0)
		walk_bins(s, share_visit, &f);
	buffer_printf(json, ", \"edges\": [");
	for (int q = 0; q < n_edges; q++)
	{
		buffer_printf(json, "%s", q ? ", " : "");
		buffer_json_num(json, edges[q]);
	}
	buffer_printf(json, "], \"shares\": [");
	if (m > 0)
		for (int q = 0; q <= n_edges; q++)
		{
			buffer_printf(json, "%s", q ? ", " : "");
			buffer_json_num(json, (double) f.bins[q] / (double) m);
		}
	buffer_printf(json, "]");
	if (!s->exact)
	{
		buffer_printf(json, ", \"sketch\": {\"quantile_relative_error\": ");
		buffer_json_num(json, ML_SKETCH_ALPHA);
		buffer_printf(json, ", \"distinct_relative_error\": ");
		buffer_json_num(json, 1.04 / sqrt((double) HLL_REGS));
		buffer_printf(json, "}");
	}
	buffer_printf(json, "}");
}

void
cat_sketch_json(const MLCatSketch *s, const char *name, MLBuffer *json)
{
	uint64_t	m = s->n - s->nulls;

	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, name);
	buffer_printf(json, ", \"kind\": \"categorical\", \"count\": %llu, \"nulls\": %llu, \"distinct\": %llu, \"top\": [",
				  (unsigned long long) s->n, (unsigned long long) s->nulls,
				  (unsigned long long) cat_sketch_distinct(s));
	if (s->exact)
	{
		char	  **cats;
		uint64_t   *counts;
		size_t		k = cat_sketch_ranked(s, &cats, &counts);

		for (size_t i = 0; i < k && i < 10; i++)
		{
			buffer_printf(json, "%s{\"value\": ", i ? ", " : "");
			buffer_json_str(json, cats[i]);
			buffer_printf(json, ", \"share\": ");
			buffer_json_num(json, (double) counts[i] / (double) m);
			buffer_printf(json, "}");
		}
		ml_free(cats);
		ml_free(counts);
	}
	buffer_printf(json, "]");
	if (!s->exact)
	{
		buffer_printf(json, ", \"sketch\": {\"distinct_relative_error\": ");
		buffer_json_num(json, 1.04 / sqrt((double) HLL_REGS));
		buffer_printf(json, "}");
	}
	buffer_printf(json, "}");
}
