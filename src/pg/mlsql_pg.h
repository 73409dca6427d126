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

#include "core/ml.h"
#include "core/dataset.h"
#include "core/model.h"
#include "utils/jsonb.h"

#define MLSQL_VERSION "0.1.0"

/* GUCs (init.c) */
extern int	mlsql_threads;
extern int	mlsql_max_memory_kb;

/*
 * A source read into memory (source.c).  Features are numeric columns in the
 * order the caller asked for; the target is kept both as numbers (numeric and
 * bool columns, bool as 0 / 1) and, for classification, as label text.
 */
typedef struct SourceData
{
	size_t		n_rows;
	int			n_features;
	char	  **feature_names;
	Oid		   *feature_types;
	double	   *X;				/* n_rows x n_features, column-major */
	char	   *target_name;	/* NULL when no target was asked for */
	Oid			target_type;	/* base type */
	bool		target_numeric; /* int / float / numeric */
	bool		target_bool;
	double	   *y_num;			/* numeric and bool targets */
	char	  **y_text;			/* other targets: output function text */
	char	   *relation_or_query;	/* what was read, for the catalog */
} SourceData;

/*
 * Read a source (table / view name or SELECT / WITH query) through an SPI
 * cursor, with the caller's privileges.  features NULL means every column
 * but the target; target NULL reads no target.  Errors for NULL / NaN
 * features, NULL targets, non-numeric feature columns and empty sources.
 * The caller must be connected to SPI; results live in CurrentMemoryContext.
 */
extern SourceData *source_read(const char *source, const char *target,
							   char **features, int n_features,
							   bool require_rows);

/* label text of row i's target: "1", "2.5", "true", or the text value */
extern const char *source_label(const SourceData *s, size_t i, char *buf, size_t buflen);

/* params jsonb -> validated parameters of a learner (train.c) */
extern MLParams *params_from_jsonb(const MLLearner *learner, Jsonb *params);

/* model cache and resolution (predict.c) */
extern MLModel *model_for_id(int64 model_id);
extern int64 resolve_model_ref(const char *ref, int64 *project_id);

/* score a column-major dataset and compute the task's metrics (train.c) */
struct MLMetricSet;
extern void mlsql_evaluate_dataset(const MLModel *m, const MLDataset *d,
								   struct MLMetricSet *out);

/* JSON text -> jsonb Datum */
extern Datum json_text_to_jsonb(const char *json, size_t len);

/* catalog helpers (catalog.c); all need an SPI connection */
extern int64 catalog_project_id(const char *name, bool lock, char **task);
extern int64 catalog_deployed_model(int64 project_id);
extern void catalog_deploy(int64 project_id, int64 model_id, const char *strategy);

#endif							/* MLSQL_PG_H */
