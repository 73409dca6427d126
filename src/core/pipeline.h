/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *	  Preprocessing stored inside the model: imputation, categorical
 *	  encoding and scaling, fitted on the training split only.
 *
 * A pipeline maps raw columns (what the source has: numbers with NaN for
 * NULL, or category strings with NULL) to the learner's input features.
 * Every raw column becomes a block of output features:
 *
 *	numeric			1 feature (impute, then scale), plus a was-missing 0 / 1
 *					feature with impute "indicator"
 *	categorical		onehot: one 0 / 1 feature per kept category, then
 *					"__other__" (rare and unseen categories) and "__missing__";
 *					ordinal: one code (categories in byte order 0..k-1, other
 *					k, missing k + 1); target: the smoothed target mean of the
 *					category (one feature, or one per class for multiclass),
 *					out-of-fold on the training rows, so no row sees its own
 *					target
 *
 * Scoring applies exactly the statistics learned in training: means,
 * medians, modes, category lists, target means, scale factors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_PIPELINE_H
#define ML_PIPELINE_H

#include "ml.h"
#include "buffer.h"

typedef enum MLColKind
{
	ML_COL_NUMERIC = 1,
	ML_COL_CATEGORICAL = 2
} MLColKind;

typedef enum MLImpute
{
	ML_IMPUTE_DEFAULT = 0,		/* mean (numeric), missing (categorical) */
	ML_IMPUTE_MEAN,
	ML_IMPUTE_MEDIAN,
	ML_IMPUTE_MODE,
	ML_IMPUTE_CONSTANT,
	ML_IMPUTE_INDICATOR,		/* mean, plus a was-missing feature */
	ML_IMPUTE_ERROR,			/* refuse NULLs */
	ML_IMPUTE_MISSING,			/* categorical: a category of its own */
	ML_IMPUTE_KEEP				/* numeric: NULL stays NaN for learners that
								 * route missing values themselves (gbdt) */
} MLImpute;

typedef enum MLEncode
{
	ML_ENCODE_DEFAULT = 0,		/* the learner's preference */
	ML_ENCODE_ONEHOT,
	ML_ENCODE_ORDINAL,
	ML_ENCODE_TARGET
} MLEncode;

typedef enum MLScale
{
	ML_SCALE_DEFAULT = 0,		/* the learner's preference */
	ML_SCALE_NONE,
	ML_SCALE_STANDARD,
	ML_SCALE_MINMAX
} MLScale;

/*
 * What a raw column held in training, so scoring can refuse what means
 * something else (days where seconds were learned, a number where a
 * category was).  UNKNOWN: not recorded (ml_fit, imported, or format 1).
 */
typedef enum MLColType
{
	ML_CT_UNKNOWN = 0,
	ML_CT_NUMBER,				/* int2 / int4 / int8 / float4 / float8 / numeric */
	ML_CT_BOOL,					/* 0 / 1 */
	ML_CT_DATE,					/* days since 1970-01-01 */
	ML_CT_TIMESTAMP,			/* seconds since 1970-01-01 00:00 UTC */
	ML_CT_TEXT,					/* text, varchar, char, name */
	ML_CT_ENUM,					/* enum labels */
	ML_CT_MAX = ML_CT_ENUM
} MLColType;

/* what the user asked for one column (already merged with "*") */
typedef struct MLColumnOptions
{
	MLImpute	impute;
	bool		has_value;		/* constant given */
	double		value_num;
	const char *value_str;
	MLEncode	encode;
	MLScale		scale;
	int			max_categories; /* 0 = default */
} MLColumnOptions;

/* one raw column of the source, n rows */
typedef struct MLRawColumn
{
	const char *name;			/* feature name: "city", "emb[3]" */
	const char *source;			/* source column: "city", "emb" */
	int			element;		/* 1-based array element, 0 for scalars */
	MLColKind	kind;
	double	   *num;			/* NUMERIC: NaN = NULL */
	char	  **str;			/* CATEGORICAL: NULL = NULL */
	MLColType	ctype;			/* what the source column held (0: unknown) */
	const char *type_name;		/* its SQL type, for messages ("date"); may be NULL */
} MLRawColumn;

#define ML_DEFAULT_MAX_CATEGORIES 100
#define ML_TARGET_SMOOTHING 1.0
#define ML_TARGET_FOLDS 5

typedef struct MLPipeCol
{
	char	   *name;
	char	   *source;
	int			element;
	MLColKind	kind;
	MLColType	ctype;			/* stored in the model's extension section */
	char	   *type_name;		/* idem; "" when unknown */
	MLImpute	impute;
	MLEncode	encode;
	MLScale		scale;
	double		fill;			/* numeric fill value */
	double		shift,
				factor;			/* scaled = (x - shift) / factor */
	int			n_categories;
	char	  **categories;		/* byte order */
	size_t	   *cat_len;
	int			fill_category;	/* categorical fill: index, -1 other, -2 missing slot */
	int			te_width;		/* target encoding outputs (1 or k) */
	double	   *te_values;		/* (n_categories + 2) x te_width: cats, other, missing */
	int			out_start;		/* first output feature */
	int			out_width;
	int64_t		imputed;		/* NULLs filled in training (not stored) */
} MLPipeCol;

typedef struct MLPipeline
{
	int			n_cols;
	MLPipeCol  *cols;
	int			n_out;
	char	  **out_names;
} MLPipeline;

/* defaults a learner asks for */
typedef struct MLPipelineDefaults
{
	MLEncode	encode;
	MLScale		scale;
	bool		keep_missing;	/* numeric NULLs stay NaN unless told otherwise */
} MLPipelineDefaults;

/*
 * pipeline_fit: learn the pipeline on the training rows and return it, with
 * the transformed training matrix (n_train x n_out, column-major) in
 * *X_train.  y holds targets (values, or class indexes when n_classes > 0)
 * for the training rows, in the same order; it is used by target encoding.
 */
extern MLPipeline *pipeline_fit(const MLRawColumn *cols, int n_cols,
								const MLColumnOptions *opts,
								const MLPipelineDefaults *defaults,
								const size_t *rows, size_t n_rows,
								const double *y, int n_classes, uint64_t seed,
								double **X_train);

/*
 * pipeline_fit in steps, so that a caller can release each raw column as
 * soon as its outputs are written: pipeline_fit_stats learns every
 * column's statistics (n_out is known after it), then pipeline_fit_column
 * writes column c's outputs for the training rows into X (n_rows x n_out,
 * column-major; only c's block is written) and fits its target encoding.
 * Calling it for every c, in any order, gives pipeline_fit's pipeline and
 * matrix.
 */
extern MLPipeline *pipeline_fit_stats(const MLRawColumn *cols, int n_cols,
									  const MLColumnOptions *opts,
									  const MLPipelineDefaults *defaults,
									  const size_t *rows, size_t n_rows, int n_classes);
extern void pipeline_fit_column(MLPipeline *p, const MLRawColumn *cols, int c,
								const size_t *rows, size_t n_rows,
								const double *y, int n_classes, uint64_t seed,
								double *X);

/*
 * pipeline_fit_stats' decisions from the training rows' mergeable sketches
 * (core/sketch.h: num[c] for numeric raw column c, cat[c] for categorical),
 * for the aggregate engine; target encoding is refused
 */
struct MLNumSketch;
struct MLCatSketch;
extern MLPipeline *pipeline_from_sketches(const MLRawColumn *cols, int n_cols,
										  const MLColumnOptions *opts,
										  const MLPipelineDefaults *defaults,
										  const struct MLNumSketch *const *num,
										  const struct MLCatSketch *const *cat, int n_classes);

/* transform the given rows into out (n_rows x n_out, column-major) */
extern void pipeline_transform(const MLPipeline *p, const MLRawColumn *cols,
							   const size_t *rows, size_t n_rows, double *out);

/* the same for raw column c only: writes c's block of out */
extern void pipeline_transform_column(const MLPipeline *p, const MLRawColumn *cols, int c,
									  const size_t *rows, size_t n_rows, double *out);

/*
 * transform one row.  num[c] is the value of numeric raw column c (NaN for
 * NULL), str[c] / len[c] the category of categorical column c (str NULL for
 * NULL).  Writes n_out features.
 */
extern void pipeline_transform_row(const MLPipeline *p, const double *num,
								   const char *const *str, const size_t *len,
								   double *out);

/* numeric columns passed through unchanged (NULL imputed with 0) */
extern MLPipeline *pipeline_identity(char **names, int n);
/* per output feature: codes of an ordinal-coded category, else 0 (n_out) */
extern int *pipeline_levels(const MLPipeline *p);

extern void pipeline_write(const MLPipeline *p, MLBuffer *out);
extern MLPipeline *pipeline_read(MLReader *in);

/* the fitted pipeline as JSON (for mlsql.runs.preprocess and ml_model_info) */
extern void pipeline_describe(const MLPipeline *p, MLBuffer *json, bool with_counts);

extern const char *pipeline_impute_name(MLImpute v);
extern const char *pipeline_encode_name(MLEncode v);
extern const char *pipeline_scale_name(MLScale v);

#endif							/* ML_PIPELINE_H */
