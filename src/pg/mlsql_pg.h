/*-------------------------------------------------------------------------
 *
 * mlsql_pg.h
 *	  Declarations shared by the PostgreSQL glue of mlsql (src/pg).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_PG_H
#define MLSQL_PG_H

#include "postgres.h"

#include "fmgr.h"

#include "core/ml.h"
#include "core/dataset.h"
#include "core/model.h"
#include "core/pipeline.h"
#include "core/metrics.h"
#include "utils/jsonb.h"

#define MLSQL_VERSION "0.3.0"

/*
 * The module is built with -fvisibility=hidden.  PostgreSQL 15's
 * PG_FUNCTION_INFO_V1 exports only the info function; this one (as
 * PostgreSQL 16's does) exports the function itself too, with the
 * PGDLLEXPORT the Makefile defines.
 */
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record * CppConcat(pg_finfo_,funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_,funcname) (void) \
{ \
	static const Pg_finfo_record my_finfo = { 1 }; \
	return &my_finfo; \
} \
extern int no_such_variable

/* GUCs (init.c) */
extern int	mlsql_threads;
extern int	mlsql_max_memory_kb;

/*
 * True while reading bytes a caller passed in (a model or state bytea): a
 * corruption is then invalid_binary_representation, not data_corrupted.
 * Set with read_input_model / read_input_state (aggregate.c).
 */
extern bool mlsql_reading_input;

/* progress reports of long operations (init.c; GUC mlsql.progress) */
extern int	mlsql_progress_s;
extern void mlsql_progress_begin(const char *op);
extern void mlsql_progress_end(void);
extern void mlsql_progress_report(const char *unit, int done, int total,
								  const char *metric, double value);

typedef enum SourceClass
{
	SRC_UNSUPPORTED = 0,
	SRC_NUMERIC,				/* numbers, bool, date, timestamp */
	SRC_CATEGORICAL,			/* text-like and enums */
	SRC_ARRAY					/* arrays of numbers: one feature per element */
} SourceClass;

/* one column of the source used as a feature */
typedef struct SourceColumn
{
	char	   *name;
	Oid			type;
	SourceClass cls;
	int			array_len;		/* SRC_ARRAY */
	int64		nulls;
	int			first_raw;		/* its first raw column */
} SourceColumn;

/*
 * A source read into memory (source.c): the feature columns as raw columns
 * (arrays expanded), the target both as numbers (numeric and bool columns,
 * bool as 0 / 1) and, for other types, as label text, and auxiliary
 * columns (split keys) as text and numbers.
 */
typedef struct SourceData
{
	size_t		n_rows;
	int			n_cols;
	SourceColumn *cols;
	int			n_raw;
	MLRawColumn *raw;
	char	   *target_name;	/* NULL when no target was asked for */
	Oid			target_type;	/* base type */
	bool		target_numeric; /* int / float / numeric */
	bool		target_bool;
	double	   *y_num;			/* numeric and bool targets */
	char	  **y_text;			/* other targets: output function text */
	int			n_aux;
	char	 ***aux_text;		/* per aux column, per row; NULL = NULL */
	double	  **aux_num;		/* per aux column, per row; NaN = NULL or not a number */
	char	   *relation_or_query;	/* what was read, for the catalog */
} SourceData;

/*
 * Read a source (table / view name, SELECT / WITH query, or snapshot:<id>)
 * through an SPI cursor with the caller's privileges.  features NULL means
 * every column but the target; target NULL reads no target; aux names
 * extra columns read for splitting.  Errors for unsupported types, NaN
 * features, NULL targets and (with require_rows) empty sources.  The
 * caller must be connected to SPI; results live in CurrentMemoryContext.
 */
extern SourceData *source_read(const char *source, const char *target,
							   char **features, int n_features,
							   char **aux, int n_aux, bool require_rows);
extern SourceData *source_describe(const char *source, const char *target, char **features,
								   int n_features, char **sql);
extern char *source_sql(const char *source);
extern struct _SPI_plan *source_prepare(const char *source, char **sql);
extern SourceClass source_type_class(Oid typid, Oid *elem);
extern MLColType source_value_kind(Oid typid);

typedef enum SourceConversion
{
	CONV_AS_IS = 0,
	CONV_DAYS_TO_SECONDS		/* a date where a timestamp was learned */
} SourceConversion;

#define SECONDS_PER_DAY 86400.0

/* how a value of type given is read for the model's column pc; errors when it would mean something else */
extern SourceConversion source_conversion(const MLPipeCol *pc, Oid given, const char *column);
/* the same rule without an error: false when learned kind t cannot read given kind g */
extern bool source_conversion_ok(MLColType t, MLColType g, SourceConversion *conv);
extern double source_datum_double(Datum d, Oid base);

/* label text of row i's target: "1", "2.5", "true", or the text value */
extern const char *source_label(const SourceData *s, size_t i, char *buf, size_t buflen);

/* params jsonb -> validated parameters of a learner (train.c) */
extern MLParams *params_from_jsonb(const MLLearner *learner, Jsonb *params);

/* model cache and resolution (predict.c) */
extern MLModel *model_for_id(int64 model_id);
extern int64 resolve_model_ref(const char *ref, int64 *project_id);
extern bytea *shipped_model(const char *ref, int64 id, double *threshold);

/* the model of model bytes passed to a call, cached by the call (aggregate.c) */
typedef struct BytesCache
{
	bytea	   *bytes;			/* a copy of the bytes read, NULL until read */
	bool		stable;			/* the argument is the same on every row */
	uint64		reads;			/* how many times bytes were read */
	MemoryContext cxt;
	MLModel    *m;
	double	   *out;
} BytesCache;
extern MLModel *bytes_model(FunctionCallInfo fcinfo, BytesCache **slot);

/* scoring on Citus workers: the coordinator ships the model (distribute.c) */
extern void distribute_init(void);

/* score a column-major dataset and compute the task's metrics (train.c) */
struct MLMetricSet;
extern void mlsql_metrics_from_predictions(const MLModel *m, const MLDataset *d,
										   const double *pred, struct MLMetricSet *out);
extern void mlsql_evaluate_dataset(const MLModel *m, const MLDataset *d,
								   struct MLMetricSet *out);

/* the model's features for rows (NULL = 0..n-1) of a source (train.c) */
extern double *mlsql_model_matrix(const MLModel *m, const SourceData *src,
								  const size_t *rows, size_t n, bool strict);

#include "pg/catalog.h"

/*
 * What ml_train and ml_search share before fitting (train.c): the inputs,
 * then everything train_prepare settles.
 */
typedef struct TrainData
{
	/* inputs */
	const char *project;
	const char *source;
	const char *target;			/* NULL for clustering / anomaly */
	char	  **features;		/* NULL: every column but the target */
	int			n_features;
	Jsonb	   *params_jb;		/* split and preprocess options, learner params */
	const char *task_arg;		/* NULL: inferred */
	double		test_size;
	int64		seed;
	const MLLearner *learner;	/* "linear" becomes "logistic" on a class target */
	bool		slim;			/* keep only the test rows of the raw columns */
	size_t		target_distinct;	/* distinct numeric targets; 0: count them */
	/* outputs */
	struct SourceData *src;
	MLTask		task;
	bool		unsupervised;
	MLModel    *model;			/* task, labels and pipeline; no state */
	double	   *all_y;			/* targets (class indexes) of every row */
	char	   *split_name;
	char	   *split_key;
	char	   *split_column;
	char	   *aux[2];
	int			n_aux;
	uint8_t    *assign;
	size_t	   *train_rows,
			   *test_rows,
			   *valid_rows;
	size_t		n_train,
				n_test,
				n_valid;
	uint64_t	fingerprint;
	uint64_t	test_fingerprint;	/* of the rows test metrics are taken on */
	MLColumnOptions *opts;
	MLParams   *params;			/* the learner's params from params_jb */
	char	   *existing_task;
	int64		project_id;
	MLDataset  *train,
			   *test,
			   *valid;
	MLBuffer   *stats;			/* slim: per raw column, its statistics (JSON) */
	CatalogTarget target_info;	/* the target the project must agree with */
} TrainData;

/* shared by the engines (train.c) */
#define MAX_CLASSES 1000			/* classes a training may have */
#define CLASSIFY_MAX_DISTINCT 20	/* integer targets with at most this many values classify */
#define ID_LIKE_MIN_ROWS 20			/* sources this small keep their identifier-like columns */
#define MANY_CATEGORIES 1000		/* a text column with more is probably free text */

extern bool jsonb_get(Jsonb *jb, const char *key, JsonbValue *out);
extern char *jsonb_string_option(Jsonb *jb, const char *key, const char *hint);
extern void report_imputation(const MLPipeline *p);
extern char *train_engine(Jsonb *params_jb);
extern void train_prepare(TrainData *td);
extern void train_prepare_front(TrainData *td);
extern void train_decide_task(TrainData *td);
extern void train_decide_learner(TrainData *td);
extern void fit_context_names(MLFitContext *ctx, const MLModel *model);

extern Datum jsonb_datum(MLBuffer *b);

struct ReturnSetInfo;

/* what train_record writes to the catalog (train.c), from either engine */
typedef struct TrainRecord
{
	const char *project;
	const char *source;
	const char *target;
	const char *deploy;
	const char *split_name;
	const MLLearner *learner;
	MLTask		task;
	Jsonb	   *params_jb;
	MLParams   *params;
	struct SourceData *src;		/* its columns name the features */
	double		test_size;
	int64		seed;
	bool		skip_identical;
	MLModel    *model;
	MLModel    *base_model;		/* NULL without a target */
	MLBuffer	bytes;
	int64		n_rows_total;
	MLBuffer	dataset_js;
	uint64_t	fingerprint;
	char	   *test_fp;
	size_t		n_train,
				n_test,
				n_valid;
	double		train_seconds,
				peak_bytes,
				cpu_user,
				cpu_system;
	MLFitContext *ctx;			/* its metric log (may be NULL) */
	MLMetricSet m_train,
				m_test,
				b_train,
				b_test;
	MLMetricSet *m_valid;		/* or NULL */
	CatalogTarget target_info;
	/* the engine's own records after the run's metrics, and the live model's score */
	void		(*extras) (struct TrainRecord *r, int64 run_id, int64 experiment_id,
						   int64 project_id, int64 dataset_id);
	double		(*live_score) (struct TrainRecord *r, int64 deployed_id, const char *key,
							   const char **basis);
	void	   *arg;
} TrainRecord;

extern void train_record(TrainRecord *r, struct ReturnSetInfo *rsinfo);

/* ml_train on the aggregate or partitions engine (engine.c) */
extern void engine_train(TrainData *td, const char *engine, const char *deploy,
						 bool skip_identical, struct ReturnSetInfo *rsinfo);

#endif							/* MLSQL_PG_H */
