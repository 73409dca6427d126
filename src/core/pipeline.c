/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  Fitting, applying and serializing the preprocessing pipeline.
 *
 * Fit: O(n) per numeric column (O(n log n) for median / mode), O(n log n)
 * per categorical column (the category counts come from sorting the
 * strings).  Transform: O(1) per numeric value, O(log k) per category
 * (binary search in the byte-ordered category list).  Target encoding uses
 * 5 folds chosen by a hash of the seed and the row's position, and the
 * smoothed mean (sum + m * prior) / (count + m) with m = 1.
 *
 *-------------------------------------------------------------------------
 */
#include "pipeline.h"
#include "rng.h"
#include "sortcount.h"
#include "sketch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const impute_names[] = {"default", "mean", "median", "mode", "constant",
"indicator", "error", "missing", "none"};
static const char *const encode_names[] = {"default", "onehot", "ordinal", "target"};
static const char *const scale_names[] = {"default", "none", "standard", "minmax"};

const char *
pipeline_impute_name(MLImpute v)
{
	return (unsigned) v < 9 ? impute_names[v] : "?";
}

const char *
pipeline_encode_name(MLEncode v)
{
	return (unsigned) v < 4 ? encode_names[v] : "?";
}

const char *
pipeline_scale_name(MLScale v)
{
	return (unsigned) v < 4 ? scale_names[v] : "?";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* length-aware comparison of a probe with a NUL-terminated category */
static int
cmp_len(const char *s, size_t len, const char *cat, size_t cat_len)
{
	size_t		m = len < cat_len ? len : cat_len;
	int			c = memcmp(s, cat, m);

	if (c != 0)
		return c;
	return (len > cat_len) - (len < cat_len);
}

/* slot of a category: 0..k-1, k for other / unseen, k + 1 for missing */
static int
category_slot(const MLPipeCol *pc, const char *s, size_t len)
{
	int			lo = 0,
				hi = pc->n_categories - 1;

	if (s == NULL)
	{
		if (pc->fill_category == -2)
			return pc->n_categories + 1;
		if (pc->fill_category == -1)
			return pc->n_categories;
		return pc->fill_category;
	}
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = cmp_len(s, len, pc->categories[mid], pc->cat_len[mid]);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return pc->n_categories;
}

typedef struct CatCount
{
	const char *s;
	size_t		count;
} CatCount;

static int
cmp_count_desc(const void *a, const void *b)
{
	const CatCount *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->s, y->s);
}

/* ---- the decisions of fitting a column, from its training statistics ---- */

/* a numeric column's impute and scale, from its options and the learner's defaults */
static void
numeric_options(MLPipeCol *pc, const MLColumnOptions *o, const MLPipelineDefaults *def)
{
	if (o->impute == ML_IMPUTE_MISSING)
		ml_error(ML_ERR_PARAM, "Use mean, median, mode, constant, indicator or error.",
				 "impute \"missing\" does not apply to numeric column \"%s\"", pc->name);
	if (o->encode != ML_ENCODE_DEFAULT)
		ml_error(ML_ERR_PARAM, NULL,
				 "encode does not apply to numeric column \"%s\"", pc->name);
	pc->impute = o->impute != ML_IMPUTE_DEFAULT ? o->impute
		: def->keep_missing ? ML_IMPUTE_KEEP : ML_IMPUTE_MEAN;
	pc->scale = o->scale == ML_SCALE_DEFAULT ? def->scale : o->scale;
	if (pc->scale == ML_SCALE_DEFAULT)
		pc->scale = ML_SCALE_NONE;
}

static void
check_imputed(const MLPipeCol *pc)
{
	if (pc->impute == ML_IMPUTE_ERROR && pc->imputed > 0)
		ml_error(ML_ERR_DATA, "Choose another \"impute\" for it, or filter the rows.",
				 "column \"%s\" has %lld NULL values", pc->name, (long long) pc->imputed);
}

static double
constant_fill(const MLPipeCol *pc, const MLColumnOptions *o)
{
	if (!o->has_value || o->value_str != NULL)
		ml_error(ML_ERR_PARAM, "For example {\"impute\": \"constant\", \"value\": 0}.",
				 "impute \"constant\" for column \"%s\" needs a numeric \"value\"", pc->name);
	return o->value_num;
}

/*
 * scale factors from the imputed training values: n rows, their mean,
 * squared deviations from it, least and greatest
 */
static void
numeric_scale(MLPipeCol *pc, size_t n, double mean, double ss, double lo, double hi)
{
	if (pc->scale == ML_SCALE_STANDARD)
	{
		pc->shift = mean;
		pc->factor = (n && ss > 0) ? sqrt(ss / n) : 1.0;
	}
	else
	{
		pc->shift = n ? lo : 0;
		pc->factor = (n && hi > lo) ? hi - lo : 1.0;
	}
	if (!isfinite(pc->shift) || !isfinite(pc->factor))
		ml_error(ML_ERR_DATA, "Rescale the column; its values overflow double precision.",
				 "column \"%s\" has values too large to scale", pc->name);
}

/* a categorical column's impute and encoding */
static void
categorical_options(MLPipeCol *pc, const MLColumnOptions *o, const MLPipelineDefaults *def,
					int n_classes)
{
	if (o->impute == ML_IMPUTE_MEAN || o->impute == ML_IMPUTE_MEDIAN ||
		o->impute == ML_IMPUTE_INDICATOR)
		ml_error(ML_ERR_PARAM, "Use missing, mode, constant or error.",
				 "impute \"%s\" does not apply to categorical column \"%s\"",
				 pipeline_impute_name(o->impute), pc->name);
	if (o->scale == ML_SCALE_STANDARD || o->scale == ML_SCALE_MINMAX)
		ml_error(ML_ERR_PARAM, NULL,
				 "scale does not apply to categorical column \"%s\"", pc->name);
	pc->impute = o->impute == ML_IMPUTE_DEFAULT ? ML_IMPUTE_MISSING : o->impute;
	pc->encode = o->encode == ML_ENCODE_DEFAULT ? def->encode : o->encode;
	if (pc->encode == ML_ENCODE_DEFAULT)
		pc->encode = ML_ENCODE_ONEHOT;
	if (pc->encode == ML_ENCODE_TARGET && n_classes == 1)
		ml_error(ML_ERR_PARAM, NULL, "target encoding needs a target");
	pc->scale = ML_SCALE_NONE;
	pc->shift = 0;
	pc->factor = 1;
}

/*
 * The categories kept (the most frequent of ranked[0..k), most frequent
 * first, ties in byte order; stored in byte order), the fill of a NULL,
 * and the output width.
 */
static void
categorical_fit(MLPipeCol *pc, const MLColumnOptions *o, const char *const *ranked, size_t k,
				int n_classes)
{
	int			maxc = o->max_categories > 0 ? o->max_categories : ML_DEFAULT_MAX_CATEGORIES;
	size_t		keep = k < (size_t) maxc ? k : (size_t) maxc;

	pc->n_categories = (int) keep;
	pc->categories = ml_alloc(sizeof(char *) * (keep + 1));
	pc->cat_len = ml_alloc(sizeof(size_t) * (keep + 1));
	for (size_t c = 0; c < keep; c++)
		pc->categories[c] = ml_strdup(ranked[c]);
	qsort(pc->categories, keep, sizeof(char *), cmp_str);
	for (size_t c = 0; c < keep; c++)
		pc->cat_len[c] = strlen(pc->categories[c]);

	switch (pc->impute)
	{
		case ML_IMPUTE_MODE:
			pc->fill_category = -1;
			if (k > 0)
				pc->fill_category = category_slot(pc, ranked[0], strlen(ranked[0]));
			break;
		case ML_IMPUTE_CONSTANT:
			{
				char		buf[32];
				const char *val = o->value_str;

				if (!o->has_value)
					ml_error(ML_ERR_PARAM, "For example {\"impute\": \"constant\", \"value\": \"unknown\"}.",
							 "impute \"constant\" for column \"%s\" needs a \"value\"", pc->name);
				if (val == NULL)
				{
					ml_format_double(o->value_num, buf);
					val = buf;
				}
				pc->fill_category = category_slot(pc, val, strlen(val));
				if (pc->fill_category == pc->n_categories)
					pc->fill_category = -1;
				break;
			}
		default:
			pc->fill_category = -2;
			break;
	}

	switch (pc->encode)
	{
		case ML_ENCODE_ONEHOT:
			pc->out_width = pc->n_categories + 2;
			break;
		case ML_ENCODE_ORDINAL:
			pc->out_width = 1;
			break;
		default:
			pc->te_width = n_classes > 2 ? n_classes : 1;
			pc->out_width = pc->te_width;
			break;
	}
}

static void
fit_numeric(MLPipeCol *pc, const MLRawColumn *rc, const MLColumnOptions *o,
			const MLPipelineDefaults *def, const size_t *rows, size_t n)
{
	double	   *v = ml_alloc(ml_mul_size(n ? n : 1, sizeof(double)));
	size_t		m = 0;
	double		fill = 0;

	numeric_options(pc, o, def);

	for (size_t i = 0; i < n; i++)
	{
		double		x = rc->num[rows[i]];

		if (isnan(x))
			pc->imputed += pc->impute != ML_IMPUTE_KEEP;
		else
			v[m++] = x;
	}
	check_imputed(pc);

	switch (pc->impute)
	{
		case ML_IMPUTE_CONSTANT:
			fill = constant_fill(pc, o);
			break;
		case ML_IMPUTE_MEDIAN:
			fill = ml_median(v, m);
			break;
		case ML_IMPUTE_MODE:
			ml_sort_doubles(v, m);
			if (m == 0)
				fill = 0;
			else
			{
				size_t		best = 0,
							best_len = 0;

				for (size_t i = 0; i < m;)
				{
					size_t		j = i;

					while (j < m && v[j] == v[i])
						j++;
					if (j - i > best_len)
					{
						best_len = j - i;
						best = i;
					}
					i = j;
				}
				fill = v[best];
			}
			break;
		default:				/* mean, indicator, error (no NULLs) */
			for (size_t i = 0; i < m; i++)
				fill += v[i];
			fill = m ? fill / m : 0;
			break;
	}
	pc->fill = fill;

	/* scale statistics on the imputed training values */
	pc->shift = 0;
	pc->factor = 1;
	if (pc->scale == ML_SCALE_STANDARD || pc->scale == ML_SCALE_MINMAX)
	{
		double		mean = 0,
					ss = 0,
					lo = INFINITY,
					hi = -INFINITY;

		for (size_t i = 0; i < n; i++)
		{
			double		x = rc->num[rows[i]];

			x = isnan(x) ? fill : x;
			mean += x;
			lo = fmin(lo, x);
			hi = fmax(hi, x);
		}
		mean = n ? mean / n : 0;
		for (size_t i = 0; i < n; i++)
		{
			double		x = rc->num[rows[i]];

			x = isnan(x) ? fill : x;
			ss += (x - mean) * (x - mean);
		}
		numeric_scale(pc, n, mean, ss, lo, hi);
	}
	pc->out_width = pc->impute == ML_IMPUTE_INDICATOR ? 2 : 1;
	ml_free(v);
}

static void
fit_categorical(MLPipeCol *pc, const MLRawColumn *rc, const MLColumnOptions *o,
				const MLPipelineDefaults *def, const size_t *rows, size_t n,
				int n_classes)
{
	char	  **v = ml_alloc(ml_mul_size(n ? n : 1, sizeof(char *)));
	CatCount   *cc;
	size_t		m = 0,
				k = 0;

	categorical_options(pc, o, def, n_classes);

	for (size_t i = 0; i < n; i++)
	{
		char	   *s = rc->str[rows[i]];

		if (s == NULL)
			pc->imputed++;
		else
			v[m++] = s;
	}
	check_imputed(pc);

	/* count categories with a hash table */
	{
		MLStrCount *sc = ml_count_strings(rc->str, rows, n, &k);

		cc = ml_alloc(ml_mul_size(k ? k : 1, sizeof(CatCount)));
		for (size_t c = 0; c < k; c++)
		{
			cc[c].s = sc[c].s;
			cc[c].count = sc[c].count;
		}
		ml_free(sc);
	}
	/* keep the most frequent, then store them in byte order */
	qsort(cc, k, sizeof(CatCount), cmp_count_desc);
	{
		const char **ranked = ml_alloc(sizeof(char *) * (k ? k : 1));

		for (size_t c = 0; c < k; c++)
			ranked[c] = cc[c].s;
		categorical_fit(pc, o, ranked, k, n_classes);
		ml_free(ranked);
	}
	ml_free(v);
	ml_free(cc);
}

/* class / value of training row i for target encoding, output j */
static double
te_target(const double *y, size_t i, int n_classes, int j)
{
	if (n_classes > 2)
		return (int) y[i] == j ? 1.0 : 0.0;
	return y[i];
}

/*
 * Target encoding: full-data smoothed means for scoring, and out-of-fold
 * values for the training rows (written to X, column block of pc).
 */
static void
fit_target(MLPipeCol *pc, const MLRawColumn *rc, const size_t *rows, size_t n,
		   const double *y, int n_classes, uint64_t seed, double *X)
{
	int			slots = pc->n_categories + 2,
				w = pc->te_width;
	size_t		cells = (size_t) slots * w;
	double	   *sum = ml_alloc(sizeof(double) * cells * (ML_TARGET_FOLDS + 1));
	double	   *cnt = ml_alloc(sizeof(double) * slots * (ML_TARGET_FOLDS + 1));
	double	   *tot = ml_alloc(sizeof(double) * w * (ML_TARGET_FOLDS + 1));
	double		tot_n[ML_TARGET_FOLDS + 1] = {0};
	int		   *slot = ml_alloc(sizeof(int) * (n ? n : 1));
	int		   *fold = ml_alloc(sizeof(int) * (n ? n : 1));
	const double m = ML_TARGET_SMOOTHING;

	/* index ML_TARGET_FOLDS holds the totals over all folds */
	for (size_t i = 0; i < n; i++)
	{
		const char *s = rc->str[rows[i]];
		int			f = (int) (ml_mix64(seed ^ ml_mix64(i + 1)) % ML_TARGET_FOLDS);

		slot[i] = category_slot(pc, s, s ? strlen(s) : 0);
		fold[i] = f;
		for (int t = 0; t < 2; t++)
		{
			int			ff = t ? ML_TARGET_FOLDS : f;

			cnt[ff * slots + slot[i]] += 1;
			tot_n[ff] += 1;
			for (int j = 0; j < w; j++)
			{
				double		target = te_target(y, i, n_classes, j);

				sum[ff * cells + (size_t) slot[i] * w + j] += target;
				tot[ff * w + j] += target;
			}
		}
	}
	pc->te_values = ml_alloc(sizeof(double) * cells);
	for (int s = 0; s < slots; s++)
		for (int j = 0; j < w; j++)
		{
			double		prior = tot_n[ML_TARGET_FOLDS] > 0 ?
				tot[ML_TARGET_FOLDS * w + j] / tot_n[ML_TARGET_FOLDS] : 0;

			pc->te_values[s * w + j] =
				(sum[ML_TARGET_FOLDS * cells + (size_t) s * w + j] + m * prior) /
				(cnt[ML_TARGET_FOLDS * slots + s] + m);
		}
	for (size_t i = 0; i < n; i++)
	{
		int			f = fold[i],
					s = slot[i];
		double		rest_n = tot_n[ML_TARGET_FOLDS] - tot_n[f];
		double		c = cnt[ML_TARGET_FOLDS * slots + s] - cnt[f * slots + s];

		for (int j = 0; j < w; j++)
		{
			double		prior = rest_n > 0 ?
				(tot[ML_TARGET_FOLDS * w + j] - tot[f * w + j]) / rest_n : 0;
			double		sm = sum[ML_TARGET_FOLDS * cells + (size_t) s * w + j] -
				sum[f * cells + (size_t) s * w + j];

			X[(size_t) (pc->out_start + j) * n + i] = (sm + m * prior) / (c + m);
		}
	}
	ml_free(sum);
	ml_free(cnt);
	ml_free(tot);
	ml_free(slot);
	ml_free(fold);
}

static char *
concat(const char *a, const char *b)
{
	size_t		la = strlen(a),
				lb = strlen(b);
	char	   *s = ml_alloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* output names and offsets from the column specs */
static void
build_outputs(MLPipeline *p)
{
	int			o = 0;

	for (int c = 0; c < p->n_cols; c++)
	{
		p->cols[c].out_start = o;
		o += p->cols[c].out_width;
	}
	p->n_out = o;
	p->out_names = ml_alloc(sizeof(char *) * (o + 1));
	for (int c = 0; c < p->n_cols; c++)
	{
		MLPipeCol  *pc = &p->cols[c];
		int			s = pc->out_start;

		if (pc->kind == ML_COL_NUMERIC)
		{
			p->out_names[s] = ml_strdup(pc->name);
			if (pc->out_width == 2)
				p->out_names[s + 1] = concat(pc->name, "__missing");
		}
		else if (pc->encode == ML_ENCODE_ONEHOT)
		{
			char	   *prefix = concat(pc->name, "=");

			for (int k = 0; k < pc->n_categories; k++)
				p->out_names[s + k] = concat(prefix, pc->categories[k]);
			p->out_names[s + pc->n_categories] = concat(prefix, "__other__");
			p->out_names[s + pc->n_categories + 1] = concat(prefix, "__missing__");
			ml_free(prefix);
		}
		else if (pc->encode == ML_ENCODE_ORDINAL || pc->te_width == 1)
			p->out_names[s] = ml_strdup(pc->name);
		else
			for (int j = 0; j < pc->te_width; j++)
			{
				char		suffix[32];

				snprintf(suffix, sizeof(suffix), "__te%d", j);
				p->out_names[s + j] = concat(pc->name, suffix);
			}
	}
}

MLPipeline *
pipeline_fit_stats(const MLRawColumn *cols, int n_cols, const MLColumnOptions *opts,
				   const MLPipelineDefaults *defaults, const size_t *rows, size_t n_rows,
				   int n_classes)
{
	MLPipeline *p = ml_alloc(sizeof(MLPipeline));

	p->n_cols = n_cols;
	p->cols = ml_alloc(sizeof(MLPipeCol) * (n_cols ? n_cols : 1));
	for (int c = 0; c < n_cols; c++)
	{
		MLPipeCol  *pc = &p->cols[c];

		pc->name = ml_strdup(cols[c].name);
		pc->source = ml_strdup(cols[c].source);
		pc->element = cols[c].element;
		pc->kind = cols[c].kind;
		pc->ctype = cols[c].ctype;
		pc->type_name = ml_strdup(cols[c].type_name ? cols[c].type_name : "");
		if (pc->kind == ML_COL_NUMERIC)
			fit_numeric(pc, &cols[c], &opts[c], defaults, rows, n_rows);
		else
			fit_categorical(pc, &cols[c], &opts[c], defaults, rows, n_rows, n_classes);
		ml_check_interrupts();
	}
	build_outputs(p);
	return p;
}

/*
 * The pipeline from the training rows' sketches (core/sketch.h), for the
 * aggregate engine: the decisions of pipeline_fit_stats from statistics
 * that merge.  Means, scale factors, min and max are those of the rows
 * (within rounding); a median is exact while the column has at most
 * ML_SKETCH_EXACT distinct values, else within ML_SKETCH_ALPHA; a numeric
 * mode needs an exact sketch; categories need exact counts.  Target
 * encoding needs the rows themselves and is refused.
 */
MLPipeline *
pipeline_from_sketches(const MLRawColumn *cols, int n_cols, const MLColumnOptions *opts,
					   const MLPipelineDefaults *defaults, const MLNumSketch *const *num,
					   const MLCatSketch *const *cat, int n_classes)
{
	MLPipeline *p = ml_alloc(sizeof(MLPipeline));

	p->n_cols = n_cols;
	p->cols = ml_alloc(sizeof(MLPipeCol) * (n_cols ? n_cols : 1));
	for (int c = 0; c < n_cols; c++)
	{
		MLPipeCol  *pc = &p->cols[c];
		const MLColumnOptions *o = &opts[c];

		pc->name = ml_strdup(cols[c].name);
		pc->source = ml_strdup(cols[c].source);
		pc->element = cols[c].element;
		pc->kind = cols[c].kind;
		pc->ctype = cols[c].ctype;
		pc->type_name = ml_strdup(cols[c].type_name ? cols[c].type_name : "");
		if (pc->kind == ML_COL_NUMERIC)
		{
			const MLNumSketch *sk = num[c];
			uint64_t	n = sk->n,
						m = num_sketch_count(sk);
			double		fill = 0;

			numeric_options(pc, o, defaults);
			pc->imputed = pc->impute == ML_IMPUTE_KEEP ? 0 : (int64_t) sk->nulls;
			check_imputed(pc);
			switch (pc->impute)
			{
				case ML_IMPUTE_CONSTANT:
					fill = constant_fill(pc, o);
					break;
				case ML_IMPUTE_MEDIAN:
					fill = num_sketch_median(sk);
					break;
				case ML_IMPUTE_MODE:
					if (!sk->exact)
						ml_error(ML_ERR_PARAM, "Use impute \"median\" or \"mean\", or the memory engine.",
								 "impute \"mode\" of numeric column \"%s\" needs at most %d distinct values in the aggregate engine",
								 pc->name, ML_SKETCH_EXACT);
					fill = m ? num_sketch_mode(sk) : 0;
					break;
				default:
					fill = m ? sk->mean : 0;
					break;
			}
			pc->fill = fill;
			pc->shift = 0;
			pc->factor = 1;
			if (pc->scale == ML_SCALE_STANDARD || pc->scale == ML_SCALE_MINMAX)
			{
				/* the m values and n - m fills together */
				double		nf = (double) (n - m),
							mean = n ? ((double) m * (m ? sk->mean : 0) + nf * fill) / (double) n : 0,
							ss = 0,
							lo = m ? sk->min : INFINITY,
							hi = m ? sk->max : -INFINITY;

				if (m)
					ss += sk->m2 + (double) m * (sk->mean - mean) * (sk->mean - mean);
				if (n > m)
				{
					ss += nf * (fill - mean) * (fill - mean);
					lo = fmin(lo, fill);
					hi = fmax(hi, fill);
				}
				numeric_scale(pc, (size_t) n, mean, ss, lo, hi);
			}
			pc->out_width = pc->impute == ML_IMPUTE_INDICATOR ? 2 : 1;
		}
		else
		{
			const MLCatSketch *sk = cat[c];
			char	  **ranked;
			uint64_t   *counts;
			size_t		k;

			categorical_options(pc, o, defaults, n_classes);
			if (pc->encode == ML_ENCODE_TARGET)
				ml_error(ML_ERR_PARAM, "Use encode \"onehot\" or \"ordinal\", or train with {\"engine\": \"memory\"} (or \"partitions\").",
						 "target encoding of column \"%s\" needs the training rows, which the aggregate engine does not hold",
						 pc->name);
			pc->imputed = (int64_t) sk->nulls;
			check_imputed(pc);
			if (!sk->exact)
				ml_error(ML_ERR_LIMIT, "Leave the column out with features, or train with {\"engine\": \"memory\"}.",
						 "column \"%s\" has more than %d distinct values, which the aggregate engine does not count",
						 pc->name, ML_SKETCH_CATEGORIES);
			k = cat_sketch_ranked(sk, &ranked, &counts);
			categorical_fit(pc, o, (const char *const *) ranked, k, n_classes);
			ml_free(ranked);
			ml_free(counts);
		}
	}
	build_outputs(p);
	return p;
}

void
pipeline_fit_column(MLPipeline *p, const MLRawColumn *cols, int c,
					const size_t *rows, size_t n_rows,
					const double *y, int n_classes, uint64_t seed, double *X)
{
	pipeline_transform_column(p, cols, c, rows, n_rows, X);
	if (p->cols[c].kind == ML_COL_CATEGORICAL && p->cols[c].encode == ML_ENCODE_TARGET)
		fit_target(&p->cols[c], &cols[c], rows, n_rows, y, n_classes, seed, X);
}

MLPipeline *
pipeline_fit(const MLRawColumn *cols, int n_cols, const MLColumnOptions *opts,
			 const MLPipelineDefaults *defaults, const size_t *rows, size_t n_rows,
			 const double *y, int n_classes, uint64_t seed, double **X_train)
{
	MLPipeline *p = pipeline_fit_stats(cols, n_cols, opts, defaults, rows, n_rows, n_classes);
	double	   *X = ml_alloc(ml_mul_size(ml_mul_size(n_rows ? n_rows : 1, p->n_out ? p->n_out : 1),
										 sizeof(double)));

	for (int c = 0; c < n_cols; c++)
		pipeline_fit_column(p, cols, c, rows, n_rows, y, n_classes, seed, X);
	*X_train = X;
	return p;
}

/* write column c's outputs for one raw value into out[stride * j] */
static inline void
transform_value(const MLPipeCol *pc, double num, const char *str, size_t len,
				double *out, size_t stride)
{
	if (pc->kind == ML_COL_NUMERIC)
	{
		bool		missing = isnan(num);
		double		x = missing ? pc->fill : num;

		if (missing && pc->impute == ML_IMPUTE_KEEP)
		{
			out[0] = num;
			return;
		}
		out[0] = (x - pc->shift) / pc->factor;
		if (pc->out_width == 2)
			out[stride] = missing ? 1.0 : 0.0;
		return;
	}
	else
	{
		int			s = category_slot(pc, str, len);

		switch (pc->encode)
		{
			case ML_ENCODE_ONEHOT:
				for (int k = 0; k < pc->out_width; k++)
					out[stride * k] = k == s ? 1.0 : 0.0;
				break;
			case ML_ENCODE_ORDINAL:
				out[0] = (double) s;
				break;
			default:
				/* while fitting, target values come later (out of fold) */
				for (int j = 0; j < pc->te_width; j++)
					out[stride * j] = pc->te_values ? pc->te_values[s * pc->te_width + j] : 0.0;
				break;
		}
	}
}

int *
pipeline_levels(const MLPipeline *p)
{
	int		   *lv = ml_alloc(sizeof(int) * (p->n_out ? p->n_out : 1));

	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		if (pc->kind == ML_COL_CATEGORICAL && pc->encode == ML_ENCODE_ORDINAL)
			lv[pc->out_start] = pc->n_categories + 2;
	}
	return lv;
}

void
pipeline_transform_column(const MLPipeline *p, const MLRawColumn *cols, int c,
						  const size_t *rows, size_t n_rows, double *out)
{
	const MLPipeCol *pc = &p->cols[c];

	for (size_t i = 0; i < n_rows; i++)
	{
		size_t		r = rows ? rows[i] : i;
		const char *s = pc->kind == ML_COL_CATEGORICAL ? cols[c].str[r] : NULL;

		transform_value(pc, pc->kind == ML_COL_NUMERIC ? cols[c].num[r] : 0, s,
						s ? strlen(s) : 0,
						out + (size_t) pc->out_start * n_rows + i, n_rows);
	}
}

void
pipeline_transform(const MLPipeline *p, const MLRawColumn *cols,
				   const size_t *rows, size_t n_rows, double *out)
{
	for (int c = 0; c < p->n_cols; c++)
		pipeline_transform_column(p, cols, c, rows, n_rows, out);
}

void
pipeline_transform_row(const MLPipeline *p, const double *num,
					   const char *const *str, const size_t *len, double *out)
{
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		transform_value(pc, num[c], str[c], len[c], out + pc->out_start, 1);
	}
}

void
pipeline_write(const MLPipeline *p, MLBuffer *out)
{
	buffer_put_u32(out, (uint32_t) p->n_cols);
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		buffer_put_str(out, pc->name);
		buffer_put_str(out, pc->source);
		buffer_put_u32(out, (uint32_t) pc->element);
		buffer_put_u8(out, (uint8_t) pc->kind);
		buffer_put_u8(out, (uint8_t) pc->impute);
		buffer_put_u8(out, (uint8_t) pc->encode);
		buffer_put_u8(out, (uint8_t) pc->scale);
		buffer_put_f64(out, pc->fill);
		buffer_put_f64(out, pc->shift);
		buffer_put_f64(out, pc->factor);
		buffer_put_u32(out, (uint32_t) pc->n_categories);
		for (int k = 0; k < pc->n_categories; k++)
			buffer_put_str(out, pc->categories[k]);
		buffer_put_u32(out, (uint32_t) (pc->fill_category + 2));
		buffer_put_u32(out, (uint32_t) pc->te_width);
		if (pc->kind == ML_COL_CATEGORICAL && pc->encode == ML_ENCODE_TARGET)
			buffer_put_f64s(out, pc->te_values, (size_t) (pc->n_categories + 2) * pc->te_width);
	}
}

MLPipeline *
pipeline_read(MLReader *in)
{
	MLPipeline *p = ml_alloc(sizeof(MLPipeline));

	p->n_cols = (int) reader_count(in, 40, 100000);
	p->cols = ml_alloc(sizeof(MLPipeCol) * (p->n_cols ? p->n_cols : 1));
	for (int c = 0; c < p->n_cols; c++)
	{
		MLPipeCol  *pc = &p->cols[c];
		uint32_t	fc;

		pc->name = reader_str(in, 4096);
		pc->source = reader_str(in, 4096);
		pc->element = (int) reader_u32(in);
		pc->kind = reader_u8(in);
		pc->impute = reader_u8(in);
		pc->encode = reader_u8(in);
		pc->scale = reader_u8(in);
		pc->fill = reader_f64(in);
		pc->shift = reader_f64(in);
		pc->factor = reader_f64(in);
		if ((pc->kind != ML_COL_NUMERIC && pc->kind != ML_COL_CATEGORICAL) ||
			pc->impute > ML_IMPUTE_KEEP || pc->encode > ML_ENCODE_TARGET ||
			pc->scale > ML_SCALE_MINMAX || pc->element < 0 || pc->element > 1000000 ||
			!isfinite(pc->factor) || pc->factor == 0)
			ml_error(ML_ERR_CORRUPT, NULL, "model pipeline column %d is invalid", c);
		pc->n_categories = (int) reader_count(in, 4, 1000000);
		pc->categories = ml_alloc(sizeof(char *) * (pc->n_categories + 1));
		pc->cat_len = ml_alloc(sizeof(size_t) * (pc->n_categories + 1));
		for (int k = 0; k < pc->n_categories; k++)
		{
			pc->categories[k] = reader_str(in, 65536);
			pc->cat_len[k] = strlen(pc->categories[k]);
			if (k > 0 && strcmp(pc->categories[k - 1], pc->categories[k]) >= 0)
				ml_error(ML_ERR_CORRUPT, NULL, "model pipeline categories are not ordered");
		}
		fc = reader_u32(in);
		if (fc > (uint32_t) INT32_MAX)
			ml_error(ML_ERR_CORRUPT, NULL, "model pipeline fill category is out of range");
		pc->fill_category = (int) fc - 2;
		if (pc->kind == ML_COL_CATEGORICAL &&
			(pc->fill_category < -2 || pc->fill_category >= pc->n_categories))
			ml_error(ML_ERR_CORRUPT, NULL, "model pipeline fill category is out of range");
		pc->te_width = (int) reader_u32(in);
		if (pc->kind == ML_COL_NUMERIC)
		{
			if (pc->n_categories != 0 || pc->encode != ML_ENCODE_DEFAULT)
				ml_error(ML_ERR_CORRUPT, NULL, "model pipeline column %d is invalid", c);
			pc->out_width = pc->impute == ML_IMPUTE_INDICATOR ? 2 : 1;
		}
		else if (pc->encode == ML_ENCODE_ONEHOT)
			pc->out_width = pc->n_categories + 2;
		else if (pc->encode == ML_ENCODE_ORDINAL)
			pc->out_width = 1;
		else if (pc->encode == ML_ENCODE_TARGET)
		{
			if (pc->te_width < 1 || pc->te_width > 100000)
				ml_error(ML_ERR_CORRUPT, NULL, "model pipeline target width is invalid");
			pc->te_values = reader_f64s(in, ml_mul_size((size_t) pc->n_categories + 2,
														(size_t) pc->te_width));
			pc->out_width = pc->te_width;
		}
		else
			ml_error(ML_ERR_CORRUPT, NULL, "model pipeline column %d has no encoding", c);
	}
	build_outputs(p);
	return p;
}

void
pipeline_describe(const MLPipeline *p, MLBuffer *json, bool with_counts)
{
	buffer_printf(json, "[");
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		buffer_printf(json, "%s{\"column\": ", c ? ", " : "");
		buffer_json_str(json, pc->name);
		buffer_printf(json, ", \"kind\": \"%s\", \"impute\": \"%s\"",
					  pc->kind == ML_COL_NUMERIC ? "numeric" : "categorical",
					  pipeline_impute_name(pc->impute));
		if (pc->kind == ML_COL_NUMERIC)
		{
			buffer_printf(json, ", \"fill\": ");
			buffer_json_num(json, pc->fill);
			buffer_printf(json, ", \"scale\": \"%s\"", pipeline_scale_name(pc->scale));
		}
		else
			buffer_printf(json, ", \"encode\": \"%s\", \"categories\": %d",
						  pipeline_encode_name(pc->encode), pc->n_categories);
		buffer_printf(json, ", \"features\": %d", pc->out_width);
		if (with_counts)
			buffer_printf(json, ", \"imputed\": %lld", (long long) pc->imputed);
		buffer_printf(json, "}");
	}
	buffer_printf(json, "]");
}

MLPipeline *
pipeline_identity(char **names, int n)
{
	MLPipeline *p = ml_alloc(sizeof(MLPipeline));

	p->n_cols = n;
	p->cols = ml_alloc(sizeof(MLPipeCol) * (n ? n : 1));
	for (int c = 0; c < n; c++)
	{
		MLPipeCol  *pc = &p->cols[c];

		pc->name = ml_strdup(names[c]);
		pc->source = ml_strdup(names[c]);
		pc->kind = ML_COL_NUMERIC;
		pc->impute = ML_IMPUTE_MEAN;
		pc->scale = ML_SCALE_NONE;
		pc->factor = 1;
		pc->out_width = 1;
	}
	build_outputs(p);
	return p;
}
