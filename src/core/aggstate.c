/*-------------------------------------------------------------------------
 *
 * aggstate.c
 *	  The ml_fit aggregate's state: add, merge, bytes, finish.
 *
 *-------------------------------------------------------------------------
 */
#include "aggstate.h"
#include "json.h"
#include "linalg.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGG_MAX_LABELS 1000

static const char *const skip_keys[] = {"seed", "task", NULL};

/* only these keys: the statistics path can honour them */
static bool
only_keys(const MLJson *obj, const char *const *allowed)
{
	for (int i = 0; i < obj->n; i++)
	{
		bool		ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (strcmp(obj->keys[i], *a) == 0)
				ok = true;
		if (!ok)
			return false;
	}
	return true;
}

MLAggState *
agg_new(const char *algorithm, const char *params, MLTask task, MLLabelType label_type)
{
	MLAggState *s = ml_alloc(sizeof(MLAggState));
	const MLLearner *l = learner_find(algorithm);
	MLJson	   *obj = json_parse(params, strlen(params), "params");
	const MLJson *t;

	if (l == NULL)
	{
		MLBuffer	h;

		buffer_init(&h);
		buffer_printf(&h, "Available algorithms: %s.", learner_names());
		buffer_put_u8(&h, '\0');
		ml_error(ML_ERR_PARAM, (char *) h.data, "unknown algorithm \"%s\"", algorithm);
	}
	if (obj->type != ML_JSON_OBJECT)
		ml_error(ML_ERR_PARAM, "For example '{\"alpha\": 0.5}'.", "params must be a JSON object");
	{
		const MLJson *sd = json_get(obj, "seed");

		if (sd && (sd->type != ML_JSON_NUMBER || sd->num != floor(sd->num) || fabs(sd->num) > 9.2e18))
			ml_error(ML_ERR_PARAM, "For example {\"seed\": 7}.", "params \"seed\" must be an integer");
	}
	if (!(l->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION))))
	{
		/* kmeans, iforest: the target is ignored (pass NULL) */
		(void) params_from_json(l->name, l->params, obj, skip_keys);
		s->task = (l->tasks & ML_TASK_BIT(ML_CLUSTERING)) ? ML_CLUSTERING : ML_ANOMALY;
		s->label_type = ML_LABEL_NONE;
		s->algorithm = ml_strdup(l->name);
		s->params = ml_strdup(params);
		s->kind = ML_AGG_ROWS;
		return s;
	}
	t = json_get(obj, "task");
	if (t && (t->type != ML_JSON_STRING ||
			  (strcmp(t->str, "classification") != 0 && strcmp(t->str, "regression") != 0)))
		ml_error(ML_ERR_PARAM, NULL, "params \"task\" must be \"classification\" or \"regression\"");
	if (t && strcmp(t->str, "regression") == 0 && label_type == ML_LABEL_TEXT)
		ml_error(ML_ERR_DATA, NULL, "a text target cannot be a regression target");
	if (t)
		task = strcmp(t->str, "regression") == 0 ? ML_REGRESSION : ML_CLASSIFICATION;
	else if (task == ML_REGRESSION && !(l->tasks & ML_TASK_BIT(ML_REGRESSION)))
		task = ML_CLASSIFICATION;	/* a classifier on numeric labels */
	if (task == ML_CLASSIFICATION && label_type == ML_LABEL_NONE)
		label_type = ML_LABEL_NUMERIC;
	if (task == ML_REGRESSION)
		label_type = ML_LABEL_NONE;
	if (!(l->tasks & ML_TASK_BIT(task)))
	{
		MLBuffer	h;

		buffer_init(&h);
		buffer_printf(&h, "Algorithms for %s: %s.", ml_task_name(task), learner_names_for(task));
		buffer_put_u8(&h, '\0');
		ml_error(ML_ERR_PARAM, (char *) h.data, "algorithm \"%s\" does not support %s",
				 l->name, ml_task_name(task));
	}
	/* bad parameters fail on the first row, not after the last */
	(void) params_from_json(l->name, l->params, obj, skip_keys);

	s->task = task;
	s->label_type = label_type;
	s->algorithm = ml_strdup(l->name);
	s->params = ml_strdup(params);
	if (l->agg_fit == ML_AGGFIT_LEAST_SQUARES &&
		only_keys(obj, (const char *const[]) {"alpha", "fit_intercept", "seed", "task", NULL}))
		s->kind = ML_AGG_LINEAR;
	else if (l->agg_fit == ML_AGGFIT_GAUSSIAN_NB &&
			 only_keys(obj, (const char *const[]) {"var_smoothing", "alpha", "seed", "task", NULL}))
		s->kind = ML_AGG_NB;
	else if (l->agg_fit == ML_AGGFIT_PRIOR)
		s->kind = ML_AGG_BASELINE;
	else
		s->kind = ML_AGG_ROWS;
	return s;
}

static int
label_index(MLAggState *s, const char *label)
{
	for (int c = 0; c < s->n_labels; c++)
		if (strcmp(s->labels[c], label) == 0)
			return c;
	if (s->n_labels >= AGG_MAX_LABELS)
		ml_error(ML_ERR_LIMIT, "ml_fit classifies at most 1000 classes.",
				 "the target has more than %d classes at row %llu", AGG_MAX_LABELS,
				 (unsigned long long) s->n + 1);
	if (s->n_labels == s->cap_labels)
	{
		int			cap = s->cap_labels ? s->cap_labels * 2 : 8;

		s->labels = ml_realloc(s->labels, sizeof(char *) * (size_t) cap);
		if (s->kind == ML_AGG_NB || s->kind == ML_AGG_BASELINE)
		{
			size_t		w = s->kind == ML_AGG_NB ? s->p : 0;

			s->count = ml_realloc(s->count, sizeof(double) * (size_t) cap);
			if (w)
			{
				s->mean = ml_realloc(s->mean, ml_mul_size(sizeof(double) * w, (size_t) cap));
				s->m2 = ml_realloc(s->m2, ml_mul_size(sizeof(double) * w, (size_t) cap));
			}
		}
		s->cap_labels = cap;
	}
	s->labels[s->n_labels] = ml_strdup(label);
	if (s->kind == ML_AGG_NB || s->kind == ML_AGG_BASELINE)
	{
		s->count[s->n_labels] = 0;
		if (s->kind == ML_AGG_NB)
		{
			memset(s->mean + (size_t) s->n_labels * s->p, 0, sizeof(double) * s->p);
			memset(s->m2 + (size_t) s->n_labels * s->p, 0, sizeof(double) * s->p);
		}
	}
	return s->n_labels++;
}

static void
flush_block(MLAggState *s)
{
	if (s->kind != ML_AGG_LINEAR || s->n_block == 0)
		return;
	linalg_gram_add_rows(s->block, (size_t) s->n_block, s->p + 1, s->block_y, s->A, s->b);
	s->n_block = 0;
}

static void
set_shape(MLAggState *s, uint32_t p)
{
	if (p == 0 || p > ML_MAX_FEATURES)
		ml_error(ML_ERR_DATA, NULL, "features must hold 1 to %d values, got %u", ML_MAX_FEATURES, p);
	s->p = p;
	if (s->kind == ML_AGG_LINEAR)
	{
		size_t		q = (size_t) p + 1;

		s->A = ml_alloc(ml_mul_size(ml_mul_size(q, q), sizeof(double)));
		s->b = ml_alloc(sizeof(double) * q);
		s->block = ml_alloc(ml_mul_size(ML_AGG_BLOCK * q, sizeof(double)));
		s->block_y = ml_alloc(sizeof(double) * ML_AGG_BLOCK);
	}
}

void
agg_declare(MLAggState *s, uint32_t p, char *const *labels, int k)
{
	if (s->p == 0)
		set_shape(s, p);
	for (int c = 0; c < k && s->task == ML_CLASSIFICATION; c++)
		(void) label_index(s, labels[c]);
}

void
agg_add(MLAggState *s, const double *x, uint32_t p, double y, const char *label)
{
	int			c = -1;

	if (s->p == 0)
		set_shape(s, p);
	else if (p != s->p)
		ml_error(ML_ERR_DATA, "Every row's features array must have the same length.",
				 "features has %u values at row %llu, earlier rows had %u",
				 p, (unsigned long long) s->n + 1, s->p);
	for (uint32_t j = 0; j < p; j++)
		if (!isfinite(x[j]))
			ml_error(ML_ERR_DATA, "Filter or impute NaN and infinite values before ml_fit.",
					 "features hold a NaN or infinite value at row %llu", (unsigned long long) s->n + 1);
	if (s->task == ML_CLUSTERING || s->task == ML_ANOMALY)
		y = 0;					/* no target */
	else if (s->task == ML_REGRESSION && !isfinite(y))
		ml_error(ML_ERR_DATA, NULL, "the target is NaN or infinite at row %llu",
				 (unsigned long long) s->n + 1);
	if (s->task == ML_CLASSIFICATION)
		c = label_index(s, label);

	switch (s->kind)
	{
		case ML_AGG_LINEAR:
			{
				double	   *r = s->block + (size_t) s->n_block * (p + 1);

				r[0] = 1.0;
				memcpy(r + 1, x, sizeof(double) * p);
				s->block_y[s->n_block++] = y;
				if (s->n_block == ML_AGG_BLOCK)
					flush_block(s);
				break;
			}
		case ML_AGG_NB:
			{
				double		n = ++s->count[c];
				double	   *mu = s->mean + (size_t) c * p,
						   *m2 = s->m2 + (size_t) c * p;

				for (uint32_t j = 0; j < p; j++)
				{
					double		d = x[j] - mu[j];

					mu[j] += d / n;
					m2[j] += d * (x[j] - mu[j]);
				}
				break;
			}
		case ML_AGG_BASELINE:
			if (c >= 0)
				s->count[c]++;
			else
				s->sum_y += y;
			break;
		case ML_AGG_ROWS:
			if (s->n == s->cap_rows)
			{
				uint64_t	cap = s->cap_rows ? s->cap_rows * 2 : 1024;

				s->X = ml_realloc(s->X, ml_mul_size(ml_mul_size((size_t) cap, p), sizeof(double)));
				s->y = ml_realloc(s->y, ml_mul_size((size_t) cap, sizeof(double)));
				s->cap_rows = cap;
			}
			memcpy(s->X + (size_t) s->n * p, x, sizeof(double) * p);
			s->y[s->n] = c >= 0 ? c : y;
			break;
	}
	s->n++;
}

void
agg_merge(MLAggState *dst, const MLAggState *src_c)
{
	MLAggState *src = (MLAggState *) src_c;
	int		   *map;

	if (src->n == 0)
		return;
	if (dst->kind != src->kind || dst->task != src->task || dst->label_type != src->label_type ||
		strcmp(dst->algorithm, src->algorithm) != 0 || strcmp(dst->params, src->params) != 0)
		ml_error(ML_ERR_DATA, "Every row of one ml_fit must name the same algorithm and params.",
				 "ml_fit states of different configurations cannot be combined");
	if (dst->p == 0)
		set_shape(dst, src->p);
	else if (dst->p != src->p)
		ml_error(ML_ERR_DATA, "Every row's features array must have the same length.",
				 "features has %u values in one part of the data and %u in another", src->p, dst->p);
	flush_block(dst);
	flush_block(src);
	map = ml_alloc(sizeof(int) * (size_t) (src->n_labels ? src->n_labels : 1));
	for (int c = 0; c < src->n_labels; c++)
		map[c] = label_index(dst, src->labels[c]);

	switch (dst->kind)
	{
		case ML_AGG_LINEAR:
			{
				size_t		q = (size_t) dst->p + 1;

				for (size_t i = 0; i < q * q; i++)
					dst->A[i] += src->A[i];
				for (size_t i = 0; i < q; i++)
					dst->b[i] += src->b[i];
				break;
			}
		case ML_AGG_NB:
			for (int c = 0; c < src->n_labels; c++)
			{
				int			d = map[c];
				double		na = dst->count[d],
							nb = src->count[c],
							n = na + nb;

				if (nb == 0)
					continue;
				for (uint32_t j = 0; j < dst->p; j++)
				{
					double	   *ma = &dst->mean[(size_t) d * dst->p + j];
					double		mb = src->mean[(size_t) c * src->p + j];
					double		delta = mb - *ma;

					dst->m2[(size_t) d * dst->p + j] += src->m2[(size_t) c * src->p + j] +
						delta * delta * na * nb / n;
					*ma += delta * nb / n;
				}
				dst->count[d] = n;
			}
			break;
		case ML_AGG_BASELINE:
			dst->sum_y += src->sum_y;
			for (int c = 0; c < src->n_labels; c++)
				dst->count[map[c]] += src->count[c];
			break;
		case ML_AGG_ROWS:
			{
				uint64_t	need = dst->n + src->n;

				if (need > dst->cap_rows)
				{
					dst->X = ml_realloc(dst->X, ml_mul_size(ml_mul_size((size_t) need, dst->p), sizeof(double)));
					dst->y = ml_realloc(dst->y, ml_mul_size((size_t) need, sizeof(double)));
					dst->cap_rows = need;
				}
				memcpy(dst->X + (size_t) dst->n * dst->p, src->X,
					   ml_mul_size(ml_mul_size((size_t) src->n, src->p), sizeof(double)));
				for (uint64_t i = 0; i < src->n; i++)
					dst->y[dst->n + i] = dst->task == ML_CLASSIFICATION ? map[(int) src->y[i]] : src->y[i];
				break;
			}
	}
	dst->n += src->n;
	ml_free(map);
}

size_t
agg_memory(const MLAggState *s)
{
	size_t		q = (size_t) s->p + 1;

	switch (s->kind)
	{
		case ML_AGG_LINEAR:
			return (q * q + q + ML_AGG_BLOCK * (q + 1)) * sizeof(double);
		case ML_AGG_NB:
			return (size_t) s->cap_labels * (2 * s->p + 1) * sizeof(double);
		case ML_AGG_BASELINE:
			return (size_t) s->cap_labels * sizeof(double);
		case ML_AGG_ROWS:
			return (size_t) s->cap_rows * q * sizeof(double);
	}
	return 0;
}

size_t
agg_memory_next(const MLAggState *s)
{
	if (s->kind == ML_AGG_ROWS && s->n == s->cap_rows)
		return (size_t) (s->cap_rows ? s->cap_rows * 2 : 1024) * ((size_t) s->p + 1) * sizeof(double);
	return agg_memory(s);
}

void
agg_write(MLAggState *s, MLBuffer *out)
{
	size_t		start = out->len;

	flush_block(s);
	buffer_put_bytes(out, "MLAG", 4);
	buffer_put_u16(out, ML_AGG_VERSION);
	buffer_put_u8(out, (uint8_t) s->kind);
	buffer_put_u8(out, (uint8_t) s->task);
	buffer_put_u8(out, (uint8_t) s->label_type);
	buffer_put_u32(out, s->p);
	buffer_put_str(out, s->algorithm);
	buffer_put_str(out, s->params);
	buffer_put_u64(out, s->n);
	buffer_put_u32(out, (uint32_t) s->n_labels);
	for (int c = 0; c < s->n_labels; c++)
		buffer_put_str(out, s->labels[c]);
	if (s->p > 0)
	{
		size_t		q = (size_t) s->p + 1;

		switch (s->kind)
		{
			case ML_AGG_LINEAR:
				buffer_put_f64s(out, s->A, q * q);
				buffer_put_f64s(out, s->b, q);
				break;
			case ML_AGG_NB:
				buffer_put_f64s(out, s->count, (size_t) s->n_labels);
				buffer_put_f64s(out, s->mean, (size_t) s->n_labels * s->p);
				buffer_put_f64s(out, s->m2, (size_t) s->n_labels * s->p);
				break;
			case ML_AGG_BASELINE:
				buffer_put_f64(out, s->sum_y);
				buffer_put_f64s(out, s->count, (size_t) s->n_labels);
				break;
			case ML_AGG_ROWS:
				buffer_put_f64s(out, s->X, (size_t) s->n * s->p);
				buffer_put_f64s(out, s->y, (size_t) s->n);
				break;
		}
	}
	buffer_put_u32(out, crc32c(0, out->data + start, out->len - start));
}

MLAggState *
agg_read(const uint8_t *data, size_t len)
{
	MLReader	r;
	MLAggState *s = ml_alloc(sizeof(MLAggState));
	uint32_t	stored;

	if (len < 4 + 2 + 3 + 4 + 4 || memcmp(data, "MLAG", 4) != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "not an ml_fit state (bad magic or too short)");
	reader_init(&r, data + len - 4, 4);
	stored = reader_u32(&r);
	if (crc32c(0, data, len - 4) != stored)
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state checksum mismatch");
	reader_init(&r, data, len - 4);
	r.pos = 4;
	if (reader_u16(&r) != ML_AGG_VERSION)
		ml_error(ML_ERR_CORRUPT, NULL, "unsupported ml_fit state version");
	s->kind = (MLAggKind) reader_u8(&r);
	s->task = (MLTask) reader_u8(&r);
	s->label_type = (MLLabelType) reader_u8(&r);
	if (s->kind < ML_AGG_LINEAR || s->kind > ML_AGG_ROWS ||
		s->task < ML_REGRESSION || s->task > ML_ANOMALY || s->label_type > ML_LABEL_TEXT ||
		(s->task > ML_CLASSIFICATION && s->kind != ML_AGG_ROWS))
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state has a bad kind, task or label type");
	s->p = reader_u32(&r);
	if (s->p > ML_MAX_FEATURES)
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state has %u features", s->p);
	s->algorithm = reader_str(&r, ML_MAX_NAME);
	if (learner_find(s->algorithm) == NULL)
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state names unknown algorithm");
	s->params = reader_str(&r, 1 << 20);
	s->n = reader_u64(&r);
	s->n_labels = (int) reader_count(&r, 4, AGG_MAX_LABELS);
	if (s->task != ML_CLASSIFICATION && (s->n_labels != 0 || s->label_type != ML_LABEL_NONE))
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state labels do not match its task");
	s->cap_labels = s->n_labels;
	s->labels = ml_alloc(sizeof(char *) * (size_t) (s->n_labels ? s->n_labels : 1));
	for (int c = 0; c < s->n_labels; c++)
		s->labels[c] = reader_str(&r, ML_MAX_NAME);
	if (s->p > 0)
	{
		size_t		q = (size_t) s->p + 1;
		size_t		k = (size_t) s->n_labels;

		switch (s->kind)
		{
			case ML_AGG_LINEAR:
				s->A = reader_f64s(&r, q * q);
				s->b = reader_f64s(&r, q);
				s->block = ml_alloc(ml_mul_size(ML_AGG_BLOCK * q, sizeof(double)));
				s->block_y = ml_alloc(sizeof(double) * ML_AGG_BLOCK);
				break;
			case ML_AGG_NB:
				s->count = reader_f64s(&r, k);
				s->mean = reader_f64s(&r, ml_mul_size(k, s->p));
				s->m2 = reader_f64s(&r, ml_mul_size(k, s->p));
				break;
			case ML_AGG_BASELINE:
				s->sum_y = reader_f64(&r);
				s->count = reader_f64s(&r, k);
				break;
			case ML_AGG_ROWS:
				if (s->n > (r.len - r.pos) / 8 / q)
					ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state row count is out of range");
				s->X = reader_f64s(&r, (size_t) s->n * s->p);
				s->y = reader_f64s(&r, (size_t) s->n);
				s->cap_rows = s->n;
				for (uint64_t i = 0; i < s->n && s->task == ML_CLASSIFICATION; i++)
					if (!(s->y[i] >= 0 && s->y[i] < s->n_labels) || s->y[i] != floor(s->y[i]))
						ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state has a bad class index");
				break;
		}
	}
	else if (s->n != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "ml_fit state has rows but no features");
	reader_expect_end(&r);
	return s;
}

/* ---- the model ---- */

typedef struct RowKey
{
	uint64_t	hash;
	size_t		row;
} RowKey;

static const MLAggState *row_state;	/* the rows cmp_rowkey compares */

/* by hash, then by content (equal rows are interchangeable) */
static int
cmp_rowkey(const void *a, const void *b)
{
	const RowKey *x = a,
			   *y = b;
	int			c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	c = memcmp(row_state->X + x->row * row_state->p, row_state->X + y->row * row_state->p,
			   sizeof(double) * row_state->p);
	if (c != 0)
		return c;
	return row_state->y[x->row] < row_state->y[y->row] ? -1 : row_state->y[x->row] > row_state->y[y->row];
}

typedef struct LabelSort
{
	const char *label;
	double		value;
	int			old;
} LabelSort;

static int
cmp_label_num(const void *a, const void *b)
{
	const LabelSort *x = a,
			   *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

static int
cmp_label_text(const void *a, const void *b)
{
	return strcmp(((const LabelSort *) a)->label, ((const LabelSort *) b)->label);
}

MLModel *
agg_finish(MLAggState *s, int threads)
{
	MLModel    *m = ml_alloc(sizeof(MLModel));
	int			k = s->task == ML_CLASSIFICATION ? s->n_labels : 0;
	int		   *newidx = ml_alloc(sizeof(int) * (size_t) (k ? k : 1));
	char	  **names;
	size_t		p = s->p;
	MLJson	   *obj = json_parse(s->params, strlen(s->params), "params");
	const MLJson *seed = json_get(obj, "seed");
	MLParams   *params;

	if (s->n == 0)
		ml_error(ML_ERR_DATA, "Aggregate over at least one row.", "ml_fit saw no rows");
	if (s->task == ML_CLASSIFICATION && k < 2)
		ml_error(ML_ERR_DATA, NULL, "the target has a single class \"%s\" in %llu rows",
				 s->labels[0], (unsigned long long) s->n);
	flush_block(s);
	m->learner = learner_find(s->algorithm);
	m->task = s->task;
	m->label_type = s->label_type;
	m->threshold = NAN;
	names = ml_alloc(sizeof(char *) * p);
	for (size_t j = 0; j < p; j++)
	{
		names[j] = ml_alloc(16);
		snprintf(names[j], 16, "x%zu", j + 1);
	}
	m->pipeline = pipeline_identity(names, (int) p);
	m->n_features = p;
	m->feature_names = m->pipeline->out_names;
	m->target_name = ml_strdup("y");
	params = params_from_json(m->learner->name, m->learner->params, obj, skip_keys);

	/* classes in a fixed order (numbers by value, text bytewise), whatever the arrival */
	if (k > 0)
	{
		LabelSort  *ls = ml_alloc(sizeof(LabelSort) * (size_t) k);

		for (int c = 0; c < k; c++)
		{
			ls[c].label = s->labels[c];
			ls[c].value = s->label_type == ML_LABEL_TEXT ? 0 :
				s->label_type == ML_LABEL_BOOL ? (strcmp(s->labels[c], "true") == 0) : strtod(s->labels[c], NULL);
			ls[c].old = c;
		}
		qsort(ls, (size_t) k, sizeof(LabelSort),
			  s->label_type == ML_LABEL_TEXT ? cmp_label_text : cmp_label_num);
		m->n_classes = k;
		m->class_labels = ml_alloc(sizeof(char *) * (size_t) k);
		m->class_values = ml_alloc(sizeof(double) * (size_t) k);
		for (int c = 0; c < k; c++)
		{
			m->class_labels[c] = ml_strdup(ls[c].label);
			m->class_values[c] = ls[c].value;
			newidx[ls[c].old] = c;
		}
		params_bind_classes(params, m->class_labels, k);
	}

	switch (s->kind)
	{
		case ML_AGG_LINEAR:
			m->state = m->learner->from_least_squares(s->A, s->b, p, s->n, params);
			break;
		case ML_AGG_NB:
			{
				/* the classes in the model's (sorted) order */
				double	   *count = ml_alloc(sizeof(double) * (size_t) k);
				double	   *mean = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));
				double	   *m2 = ml_alloc(ml_mul_size(ml_mul_size((size_t) k, p ? p : 1), sizeof(double)));

				for (int o = 0; o < k; o++)
				{
					int			c = newidx[o];

					count[c] = s->count[o];
					memcpy(mean + (size_t) c * p, s->mean + (size_t) o * p, sizeof(double) * p);
					memcpy(m2 + (size_t) c * p, s->m2 + (size_t) o * p, sizeof(double) * p);
				}
				m->state = m->learner->from_class_moments(count, mean, m2, k, p, s->n, params);
				break;
			}
		case ML_AGG_BASELINE:
			{
				double	   *value = ml_alloc(sizeof(double) * (size_t) (k ? k : 1));

				if (k == 0)
					value[0] = s->sum_y / (double) s->n;
				for (int o = 0; o < k; o++)
					value[newidx[o]] = s->count[o] / (double) s->n;
				m->state = m->learner->from_prior(value, k);
				break;
			}
		case ML_AGG_ROWS:
			{
				size_t		n = (size_t) s->n;
				MLDataset  *d = dataset_create(n, p, k);
				MLFitContext ctx;
				RowKey	   *order = ml_alloc(sizeof(RowKey) * n);

				/*
				 * Rows in an order of their own content, not of their arrival:
				 * a parallel or distributed plan, which concatenates partial
				 * collections in any order, trains the same model.
				 */
				row_state = s;
				for (size_t i = 0; i < n; i++)
				{
					uint64_t	h = ml_mix64(0x5EEDull ^ (uint64_t) p);

					for (size_t j = 0; j < p; j++)
					{
						uint64_t	bits;
						double		v = s->X[i * p + j] == 0 ? 0.0 : s->X[i * p + j];	/* -0 = 0 */

						memcpy(&bits, &v, 8);
						h = ml_mix64(h ^ bits);
					}
					{
						double		yv = k > 0 ? (double) newidx[(int) s->y[i]] : s->y[i];
						uint64_t	bits;

						yv = yv == 0 ? 0.0 : yv;
						memcpy(&bits, &yv, 8);
						order[i].hash = ml_mix64(h ^ ml_mix64(bits));
					}
					order[i].row = i;
				}
				qsort(order, n, sizeof(RowKey), cmp_rowkey);
				for (size_t r = 0; r < n; r++)
				{
					size_t		i = order[r].row;

					for (size_t j = 0; j < p; j++)
						d->X[j * n + r] = s->X[i * p + j];
					d->y[r] = k > 0 ? newidx[(int) s->y[i]] : s->y[i];
				}
				ml_free(order);
				memset(&ctx, 0, sizeof(ctx));
				ctx.seed = seed && seed->type == ML_JSON_NUMBER ? (uint64_t) (int64_t) seed->num : 42;
				ctx.threads = threads;
				ctx.feature_names = m->feature_names;
				ctx.feature_columns = m->feature_names;
				ctx.feature_sources = m->feature_names;
				ctx.class_labels = m->class_labels;
				ctx.path = "";
				m->state = m->learner->fit(d, NULL, params, &ctx);
				break;
			}
	}
	return m;
}
