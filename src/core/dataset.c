/*-------------------------------------------------------------------------
 *
 * dataset.c
 *	  Training matrix helpers and the deterministic, stratified split.
 *
 * The split costs O(n log n) for the sort by row hash and O(n * p) to hash
 * the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "dataset.h"
#include "parallel.h"
#include "rng.h"
#include "sortcount.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

MLDataset *
dataset_create(size_t n_rows, size_t n_cols, int n_classes)
{
	MLDataset  *d = ml_alloc(sizeof(MLDataset));

	d->n_rows = n_rows;
	d->n_cols = n_cols;
	d->n_classes = n_classes;
	d->X = ml_alloc(ml_mul_size(ml_mul_size(n_rows, n_cols ? n_cols : 1), sizeof(double)));
	d->y = ml_alloc(ml_mul_size(n_rows ? n_rows : 1, sizeof(double)));
	return d;
}

MLDataset *
dataset_subset(const MLDataset *d, const size_t *rows, size_t n)
{
	MLDataset  *s = dataset_create(n, d->n_cols, d->n_classes);

	s->levels = d->levels;

	for (size_t j = 0; j < d->n_cols; j++)
	{
		const double *src = d->X + j * d->n_rows;
		double	   *dst = s->X + j * n;

		for (size_t i = 0; i < n; i++)
			dst[i] = src[rows[i]];
	}
	for (size_t i = 0; i < n; i++)
		s->y[i] = d->y[rows[i]];
	return s;
}

void
dataset_column_stats(const MLDataset *d, double *mean, double *std)
{
	for (size_t j = 0; j < d->n_cols; j++)
	{
		const double *x = d->X + j * d->n_rows;
		double		m = 0.0,
					ss = 0.0;

		/* two-pass: exact enough and order-stable */
		for (size_t i = 0; i < d->n_rows; i++)
			m += x[i];
		m = d->n_rows ? m / d->n_rows : 0.0;
		for (size_t i = 0; i < d->n_rows; i++)
			ss += (x[i] - m) * (x[i] - m);
		mean[j] = m;
		std[j] = d->n_rows ? sqrt(ss / d->n_rows) : 0.0;
	}
}

void
dataset_scale_by_std(const MLDataset *d, double *w)
{
	double	   *mean = ml_alloc(sizeof(double) * (d->n_cols ? d->n_cols : 1));
	double	   *std = ml_alloc(sizeof(double) * (d->n_cols ? d->n_cols : 1));

	dataset_column_stats(d, mean, std);
	for (size_t j = 0; j < d->n_cols; j++)
		w[j] *= std[j];
	ml_free(mean);
	ml_free(std);
}

static inline uint64_t
hash_double(uint64_t h, double v)
{
	uint64_t	u;

	if (v == 0.0)
		v = 0.0;				/* -0 and +0 hash alike */
	memcpy(&u, &v, 8);
	return ml_mix64(h ^ u);
}

static uint64_t
row_hash(const MLDataset *d, size_t i, uint64_t seed)
{
	uint64_t	h = ml_mix64(seed);

	for (size_t j = 0; j < d->n_cols; j++)
		h = hash_double(h, d->X[j * d->n_rows + i]);
	return hash_double(h, d->y[i]);
}

void
dataset_split(const MLDataset *d, double test_size, uint64_t seed,
			  size_t **train_rows, size_t *n_train,
			  size_t **test_rows, size_t *n_test)
{
	size_t		n = d->n_rows;
	int			groups = d->n_classes > 0 ? d->n_classes : 1;
	MLKeyVal   *hr = ml_alloc(ml_mul_size(n ? n : 1, sizeof(MLKeyVal)));
	bool	   *is_test = ml_alloc(n ? n : 1);
	size_t		nt = 0;

	for (size_t i = 0; i < n; i++)
	{
		hr[i].key = row_hash(d, i, seed);
		hr[i].val = i;
	}
	ml_sort_keyval(hr, n);	/* stable: by hash, then row */

	{
		size_t	   *count = ml_alloc(sizeof(size_t) * groups);
		size_t	   *want = ml_alloc(sizeof(size_t) * groups);

		for (size_t i = 0; i < n; i++)
			count[groups == 1 ? 0 : (int) d->y[i]]++;
		for (int g = 0; g < groups; g++)
		{
			want[g] = (size_t) floor(count[g] * test_size + 0.5);
			if (want[g] >= count[g] && count[g] > 0)
				want[g] = count[g] - 1; /* keep each class in training */
		}
		/* rows in hash order: the first want[g] of each group go to test */
		for (size_t i = 0; i < n; i++)
		{
			int			g = groups == 1 ? 0 : (int) d->y[hr[i].val];

			if (want[g] > 0)
			{
				is_test[hr[i].val] = true;
				want[g]--;
				nt++;
			}
		}
		ml_free(count);
		ml_free(want);
	}

	*n_test = nt;
	*n_train = n - nt;
	*test_rows = ml_alloc(ml_mul_size(nt ? nt : 1, sizeof(size_t)));
	*train_rows = ml_alloc(ml_mul_size(n - nt ? n - nt : 1, sizeof(size_t)));
	for (size_t i = 0, a = 0, b = 0; i < n; i++)
	{
		if (is_test[i])
			(*test_rows)[a++] = i;
		else
			(*train_rows)[b++] = i;
	}
	ml_free(hr);
	ml_free(is_test);
}

uint64_t
dataset_fingerprint(const MLDataset *d)
{
	uint64_t	h = ml_mix64(d->n_rows ^ (d->n_cols << 32));

	for (size_t i = 0; i < d->n_rows; i++)
		h = ml_mix64(h ^ row_hash(d, i, 0));
	return h;
}

uint64_t
ml_hash_string(uint64_t h, const char *s)
{
	uint64_t	f = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		f = (f ^ *p) * 1099511628211ull;
	return ml_mix64(h ^ f);
}

/* a number's step, inlined into the block loop below */
static inline uint64_t
row_hash_num(uint64_t h, double v)
{
	return isnan(v) ? ml_mix64(h ^ 0x27d4eb2full) : hash_double(h, v);
}

uint64_t
ml_row_hash_num(uint64_t h, double v)
{
	return row_hash_num(h, v);
}

uint64_t
ml_row_hash_str(uint64_t h, const char *s)
{
	return s ? ml_hash_string(h, s) : ml_mix64(h ^ 0x5bd1e995ull);
}

uint64_t
ml_row_hash_label(uint64_t h, const char *s)
{
	return s ? ml_hash_string(h, s) : ml_mix64(h ^ 0x165667b1ull);
}

uint64_t
ml_row_hash_target(uint64_t h, double y)
{
	return hash_double(h, y);
}

uint64_t
raw_row_hash(const MLRawColumn *cols, int n_cols, const double *y,
			 const char *const *y_text, size_t i, uint64_t seed)
{
	uint64_t	h = ml_mix64(seed);

	for (int c = 0; c < n_cols; c++)
	{
		if (cols[c].kind == ML_COL_CATEGORICAL)
			h = ml_row_hash_str(h, cols[c].str[i]);
		else
			h = ml_row_hash_num(h, cols[c].num[i]);
	}
	if (y_text)
		return ml_row_hash_label(h, y_text[i]);
	return y ? ml_row_hash_target(h, y[i]) : h;
}

typedef struct TimedRow
{
	double		t;
	uint64_t	hash;
	size_t		row;
} TimedRow;

static int
cmp_timed(const void *a, const void *b)
{
	const TimedRow *x = a,
			   *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->row < y->row ? -1 : (x->row > y->row);
}

void
split_assign(MLSplitStrategy strategy, size_t n, const uint64_t *hash,
			 const double *y, int n_classes, const double *time,
			 double test_size, uint8_t *assign)
{
	memset(assign, ML_ASSIGN_TRAIN, n);
	if (n == 0 || test_size <= 0)
		return;
	if (strategy == ML_SPLIT_RANDOM)
	{
		size_t		nt = 0,
					first = n;

		for (size_t i = 0; i < n; i++)
			if (ml_split_is_test(hash[i], test_size))
			{
				assign[i] = ML_ASSIGN_TEST;
				nt++;
				first = first == n ? i : first;
			}
		if (nt == n)
			assign[first] = ML_ASSIGN_TRAIN;
		return;
	}
	if (strategy == ML_SPLIT_TIME)
	{
		TimedRow   *tr = ml_alloc(ml_mul_size(n, sizeof(TimedRow)));
		size_t		want = (size_t) floor(n * test_size + 0.5);

		if (want >= n)
			want = n - 1;
		for (size_t i = 0; i < n; i++)
		{
			tr[i].t = time[i];
			tr[i].hash = hash[i];
			tr[i].row = i;
		}
		qsort(tr, n, sizeof(TimedRow), cmp_timed);
		for (size_t i = n - want; i < n; i++)
			assign[tr[i].row] = ML_ASSIGN_TEST;
		ml_free(tr);
		return;
	}
	/* stratified */
	{
		int			groups = n_classes > 0 ? n_classes : 1;
		MLKeyVal   *hr = ml_alloc(ml_mul_size(n, sizeof(MLKeyVal)));
		size_t	   *count = ml_alloc(sizeof(size_t) * groups);
		size_t	   *want = ml_alloc(sizeof(size_t) * groups);

		for (size_t i = 0; i < n; i++)
		{
			hr[i].key = hash[i];
			hr[i].val = i;
			count[groups == 1 ? 0 : (int) y[i]]++;
		}
		ml_sort_keyval(hr, n);	/* stable: by hash, then row */
		for (int g = 0; g < groups; g++)
		{
			want[g] = (size_t) floor(count[g] * test_size + 0.5);
			if (want[g] >= count[g] && count[g] > 0)
				want[g] = count[g] - 1;
		}
		for (size_t i = 0; i < n; i++)
		{
			int			g = groups == 1 ? 0 : (int) y[hr[i].val];

			if (want[g] > 0)
			{
				assign[hr[i].val] = ML_ASSIGN_TEST;
				want[g]--;
			}
		}
		ml_free(hr);
		ml_free(count);
		ml_free(want);
	}
}

typedef struct ValCount
{
	const char *s;
	size_t		count;
} ValCount;

static int
cmp_vc(const void *a, const void *b)
{
	const ValCount *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->s, y->s);
}

/* statistics of a numeric column (NaN = NULL), computed without the host */
typedef struct NumStats
{
	size_t		nulls,
				distinct;
	double		mean,
				std,
				min,
				max;
	double		edges[9];		/* inner decile edges, strictly increasing */
	int			n_edges;
	double		shares[10];		/* share of non-NULL rows per bin */
} NumStats;

/*
 * The statistics of x[0..n) (NaN = NULL), with v (n values) and buf as
 * scratch.  Sums run over the sorted values, so they are a function of the
 * values, not of the rows' order.
 */
static void
numeric_stats(const double *x, size_t n, NumStats *st, double *v, MLSortBuf *buf)
{
	size_t		m = 0;
	double		mean = 0,
				ss = 0;
	size_t		bins[10] = {0};

	memset(st, 0, sizeof(NumStats));
	for (size_t i = 0; i < n; i++)
	{
		if (isnan(x[i]))
			st->nulls++;
		else
			v[m++] = x[i];
	}
	ml_sort_doubles_buf(v, m, buf);
	/* inner decile edges, then one pass for the sum, distinct values and bins */
	for (int q = 1; q <= 9 && m > 0; q++)
	{
		double		e = v[(size_t) ((double) q / 10.0 * (m - 1))];

		if (st->n_edges == 0 || e > st->edges[st->n_edges - 1])
			st->edges[st->n_edges++] = e;
	}
	for (size_t i = 0, b = 0; i < m; i++)
	{
		mean += v[i];
		if (i == 0 || v[i] != v[i - 1])
			st->distinct++;
		while ((int) b < st->n_edges && v[i] > st->edges[b])
			b++;
		bins[b]++;
	}
	mean = m ? mean / m : NAN;
	for (size_t i = 0; i < m; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	st->mean = mean;
	st->std = m ? sqrt(ss / m) : NAN;
	st->min = m ? v[0] : NAN;
	st->max = m ? v[m - 1] : NAN;
	for (int q = 0; m > 0 && q <= st->n_edges; q++)
		st->shares[q] = (double) bins[q] / m;
}

static void
numeric_stats_json(const MLRawColumn *c, size_t n, const NumStats *st, MLBuffer *json)
{
	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, c->name);
	buffer_printf(json, ", \"kind\": \"numeric\", \"count\": %zu, \"nulls\": %zu, \"distinct\": %zu, \"mean\": ",
				  n, st->nulls, st->distinct);
	buffer_json_num(json, st->mean);
	buffer_printf(json, ", \"std\": ");
	buffer_json_num(json, st->std);
	buffer_printf(json, ", \"min\": ");
	buffer_json_num(json, st->min);
	buffer_printf(json, ", \"max\": ");
	buffer_json_num(json, st->max);
	buffer_printf(json, ", \"edges\": [");
	for (int q = 0; q < st->n_edges; q++)
	{
		buffer_printf(json, "%s", q ? ", " : "");
		buffer_json_num(json, st->edges[q]);
	}
	buffer_printf(json, "], \"shares\": [");
	if (n > st->nulls)
		for (int q = 0; q <= st->n_edges; q++)
		{
			buffer_printf(json, "%s", q ? ", " : "");
			buffer_json_num(json, st->shares[q]);
		}
	buffer_printf(json, "]}");
}

static void
categorical_stats_json(const MLRawColumn *c, size_t n, MLBuffer *json)
{
	size_t		nulls = 0,
				m,
				distinct = 0;
	MLStrCount *sc;
	ValCount   *vc;

	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, c->name);
	for (size_t i = 0; i < n; i++)
		if (c->str[i] == NULL)
			nulls++;
	m = n - nulls;
	sc = ml_count_strings(c->str, NULL, n, &distinct);
	vc = ml_alloc(sizeof(ValCount) * (distinct ? distinct : 1));
	for (size_t k = 0; k < distinct; k++)
	{
		vc[k].s = sc[k].s;
		vc[k].count = sc[k].count;
	}
	ml_free(sc);
	qsort(vc, distinct, sizeof(ValCount), cmp_vc);
	buffer_printf(json, ", \"kind\": \"categorical\", \"count\": %zu, \"nulls\": %zu, \"distinct\": %zu, \"top\": [",
				  n, nulls, distinct);
	for (size_t k = 0; k < distinct && k < 10; k++)
	{
		buffer_printf(json, "%s{\"value\": ", k ? ", " : "");
		buffer_json_str(json, vc[k].s);
		buffer_printf(json, ", \"share\": ");
		buffer_json_num(json, (double) vc[k].count / m);
		buffer_printf(json, "}");
	}
	buffer_printf(json, "]}");
	ml_free(vc);
}

void
column_stats_json(const MLRawColumn *c, size_t n, MLBuffer *json)
{
	column_stats_json_all(c, 1, n, json, 1);
}

typedef struct StatsTask
{
	const MLRawColumn *cols;
	size_t		n;
	NumStats   *st;
	const int  *numeric;		/* the numeric columns, */
	int			n_numeric;		/* how many, */
	int			tasks;			/* dealt round robin to this many tasks */
} StatsTask;

/* task t's numeric columns, sharing one set of sort scratch */
static void
stats_task(void *arg, int t)
{
	StatsTask  *a = arg;
	double	   *v = ml_alloc(ml_mul_size(a->n ? a->n : 1, sizeof(double)));
	MLSortBuf	buf = {0};

	for (int k = t; k < a->n_numeric; k += a->tasks)
	{
		int			c = a->numeric[k];

		numeric_stats(a->cols[c].num, a->n, &a->st[c], v, &buf);
		ml_check_interrupts();
	}
	ml_sort_buf_free(&buf);
	ml_free(v);
}

void
column_stats_json_all(const MLRawColumn *cols, int n_cols, size_t n, MLBuffer *json, int threads)
{
	StatsTask	a = {0};
	int		   *numeric = ml_alloc(sizeof(int) * (n_cols > 0 ? n_cols : 1));

	a.cols = cols;
	a.n = n;
	a.st = ml_alloc(sizeof(NumStats) * (n_cols > 0 ? n_cols : 1));
	for (int c = 0; c < n_cols; c++)
		if (cols[c].kind == ML_COL_NUMERIC)
			numeric[a.n_numeric++] = c;
	a.numeric = numeric;
	a.tasks = threads < 1 ? 1 : threads;
	a.tasks = a.tasks < a.n_numeric ? a.tasks : a.n_numeric;
	/* the sorts on worker threads; the JSON (and string counts) here */
	if (a.tasks > 1)
		ml_parallel_for(a.tasks, a.tasks, stats_task, &a);
	else if (a.tasks == 1)
		stats_task(&a, 0);
	for (int c = 0; c < n_cols; c++)
	{
		if (cols[c].kind == ML_COL_NUMERIC)
			numeric_stats_json(&cols[c], n, &a.st[c], &json[c]);
		else
			categorical_stats_json(&cols[c], n, &json[c]);
	}
	ml_free(numeric);
	ml_free(a.st);
}

typedef struct HashTask
{
	const MLRawColumn *cols;
	int			n_cols;
	const double *y;
	const char *const *y_text;
	size_t		n;
	uint64_t	seed;
	uint64_t   *out;
} HashTask;

#define HASH_CHUNK 65536
#define HASH_BLOCK 256			/* rows hashed side by side */

/*
 * raw_row_hash of rows [lo, hi) (at most HASH_BLOCK), column by column: the
 * rows' chains are independent, so the multiplies of one column's rows
 * overlap instead of waiting on each other as one row's do (the same steps,
 * so the same hashes; about 4x faster at 28 columns).
 */
static void
hash_block(const HashTask *a, size_t lo, size_t hi)
{
	uint64_t   *h = a->out + lo;
	size_t		m = hi - lo;
	uint64_t	h0 = ml_mix64(a->seed);

	for (size_t k = 0; k < m; k++)
		h[k] = h0;
	for (int c = 0; c < a->n_cols; c++)
	{
		if (a->cols[c].kind == ML_COL_CATEGORICAL)
		{
			char	  **s = a->cols[c].str + lo;

			for (size_t k = 0; k < m; k++)
				h[k] = ml_row_hash_str(h[k], s[k]);
		}
		else
		{
			const double *x = a->cols[c].num + lo;

			for (size_t k = 0; k < m; k++)
				h[k] = row_hash_num(h[k], x[k]);
		}
	}
	if (a->y_text)
		for (size_t k = 0; k < m; k++)
			h[k] = ml_row_hash_label(h[k], a->y_text[lo + k]);
	else if (a->y)
		for (size_t k = 0; k < m; k++)
			h[k] = hash_double(h[k], a->y[lo + k]);
}

static void
hash_task(void *arg, int t)
{
	HashTask   *a = arg;
	size_t		lo = (size_t) t * HASH_CHUNK,
				hi = lo + HASH_CHUNK < a->n ? lo + HASH_CHUNK : a->n;

	for (size_t b = lo; b < hi; b += HASH_BLOCK)
		hash_block(a, b, b + HASH_BLOCK < hi ? b + HASH_BLOCK : hi);
}

void
raw_row_hashes(const MLRawColumn *cols, int n_cols, const double *y,
			   const char *const *y_text, size_t n, uint64_t seed, uint64_t *out, int threads)
{
	HashTask	a = {cols, n_cols, y, y_text, n, seed, out};
	int			chunks = (int) ((n + HASH_CHUNK - 1) / HASH_CHUNK);

	if (threads > 1 && chunks > 1)
		ml_parallel_for(chunks, threads, hash_task, &a);
	else
		for (int t = 0; t < chunks; t++)
			hash_task(&a, t);
}

int *
dataset_folds(const MLDataset *d, int folds, uint64_t seed)
{
	size_t		n = d->n_rows;
	int			groups = d->n_classes > 0 ? d->n_classes : 1;
	int		   *fold = ml_alloc(sizeof(int) * (n ? n : 1));
	size_t	   *idx = ml_alloc(sizeof(size_t) * (n ? n : 1));
	MLRng		rng;
	size_t		next = 0;

	ml_rng_seed(&rng, seed);
	for (int g = 0; g < groups; g++)
	{
		size_t		m = 0;

		for (size_t i = 0; i < n; i++)
			if (groups == 1 || (int) d->y[i] == g)
				idx[m++] = i;
		for (size_t i = m; i > 1; i--)
		{
			size_t		s = (size_t) (ml_rng_uniform(&rng) * (double) i);
			size_t		t = idx[i - 1];

			idx[i - 1] = idx[s];
			idx[s] = t;
		}
		/* continue the round robin across classes so folds stay even */
		for (size_t i = 0; i < m; i++)
			fold[idx[i]] = (int) ((next + i) % (size_t) folds);
		next += m;
	}
	ml_free(idx);
	return fold;
}
