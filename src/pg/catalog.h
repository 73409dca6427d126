/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  The one door to the mlsql catalog (schema mlsql): a typed C API over
 *	  every SQL statement mlsql runs against its own tables.
 *
 * Reads run as the caller, so row-level security shows it only what it may
 * see.  Writes, and the lookups that must see past row-level security (the
 * project row locked for a write, visibility itself), run as the extension
 * owner inside a security-restricted operation with search_path set to
 * pg_catalog, pg_temp; see catalog.c.  No other file of src/ issues SQL
 * against mlsql.* (test/check_sources.sh fails if one does).
 *
 * Every function needs an SPI connection (SPI_connect) unless it says
 * otherwise; results live in the current (SPI procedure) memory context.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_CATALOG_H
#define MLSQL_CATALOG_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "core/ml.h"
#include "utils/jsonb.h"

struct MLMetricSet;

/* ---- projects ---- */

/* a project name: 1 to 200 characters, not blank, no "@"; errors otherwise */
extern void catalog_check_project_name(const char *project);

/*
 * A project name as given, without surrounding white space: '  churn' is
 * 'churn' in every function.  Names are otherwise compared exactly (case
 * included); a new name that differs from a visible project's only in case
 * is refused as a typo.  Needs no SPI connection.
 */
extern char *catalog_project_name_arg(const char *raw);

/* the visible project whose name is closest to name (a suggestion), or NULL */
extern const char *catalog_closest_project(const char *name);

/* the id of the project the caller can see by this name, or 0; *task (may be NULL) gets its task */
extern int64 catalog_project_find(const char *name, char **task);

/*
 * What a training must agree with: the project's target column and its
 * kind ("number", "boolean" or "text"; NULL when not recorded yet).
 */
typedef struct CatalogTarget
{
	const char *name;			/* NULL: unsupervised */
	const char *kind;
	bool		retarget;		/* params "retarget": true: this training changes it */
} CatalogTarget;

/* the project's recorded target, found with catalog_project_find's name; false when none */
extern bool catalog_project_target(int64 project_id, char **target, char **kind);

/* error unless a training of target t may go into a project that predicts old_target / old_kind */
extern void catalog_check_target(const char *project, const char *old_target, const char *old_kind,
								 const CatalogTarget *t);

/* the name of a project the caller can see; errors if it cannot */
extern char *catalog_project_name(int64 project_id);

/*
 * The project's id, created for the caller when it is new, its row locked
 * until the end of the transaction; the caller must manage it and it must
 * have this task ("what" names the operation in the error: "training").
 * A project the caller cannot see is 42704, one it may only use 42501.
 * target (NULL: not checked, as for model bytes) must agree with the
 * project's (catalog_check_target); a new project, or one that recorded
 * none yet, records it.
 */
extern int64 catalog_project_for_write(const char *project, MLTask task, const char *what,
									   const CatalogTarget *target);

/* an existing project the caller manages, locked; *task (may be NULL) gets its task */
extern int64 catalog_project_for_manage(const char *project, char **task);

/* error unless the caller manages the project (42704 when it cannot see it) */
extern void catalog_require_manage(int64 project_id, const char *project);
extern bool catalog_may_manage(int64 project_id);

/* ---- models, deployments, aliases, grants ---- */

extern int64 catalog_deployed_model(int64 project_id);	/* 0: none */
extern int64 catalog_model_by_version(int64 project_id, int32 version);	/* 0: none */
extern int64 catalog_model_by_alias(int64 project_id, const char *alias);	/* 0: none */

/*
 * What identifies a model row's current contents ("sha256:xmin") and its
 * decision threshold (NaN: none); false when the caller sees no such model.
 */
extern bool catalog_model_stamp(int64 model_id, char *stamp, size_t stamp_len, double *threshold);

/* the model bytes of a visible model (detoasted), or NULL */
extern bytea *catalog_model_bytes(int64 model_id);

/* a visible model's version number, or 0 */
extern int32 catalog_model_version(int64 model_id);

/* the data version a model's run read, or 0 */
extern int64 catalog_model_dataset(int64 model_id);

/* the model's recorded final score on metric (test split, else train), or NaN */
extern double catalog_recorded_score(int64 model_id, const char *metric);

/*
 * The version a deployment strategy picks (most_recent, best_score on key
 * in its direction, rollback), or -1.  best_score compares only versions
 * scored on the same test rows as the live one (else the latest one);
 * *left_out counts the versions it could not compare.
 */
extern int32 catalog_strategy_version(int64 project_id, const char *strategy, const char *key,
									  int *left_out);

/* the project's newest version with these model bytes (sha256 hex), or 0 */
/* the ids of the project's models of one algorithm, newest version first (*n of them) */
extern int64 *catalog_project_models(int64 project_id, const char *algorithm, int *n);
extern int64 catalog_model_by_hash(int64 project_id, const char *hash, int32 *version);

/* the project's key metric (ml_set_metric), or NULL for the task's default */
extern char *catalog_project_metric(int64 project_id);
extern void catalog_set_metric(int64 project_id, const char *metric);

/* register model bytes as the project's next version; returns the model id */
extern int64 catalog_insert_model(int64 project_id, int64 run_id, const char *algorithm,
								  const void *bytes, size_t len, int32 *version);

/* why a model was (or was not) deployed, recorded with the deployment */
typedef struct CatalogDecision
{
	const char *metric;			/* the key metric compared, or NULL */
	double		score;			/* the new model's, NaN: none */
	double		live_score;		/* the live model's (or the baseline's), NaN: none */
	const char *basis;			/* how live_score was taken: "same rows", "recorded", "baseline" */
	const char *reason;			/* one sentence */
} CatalogDecision;

/* a deployment of model_id (which must belong to the project) by the caller; why may be NULL */
extern void catalog_deploy(int64 project_id, int64 model_id, const char *strategy,
						   const CatalogDecision *why);
extern void catalog_set_alias(int64 project_id, const char *alias, int64 model_id);

/* level "use" or "manage" for role, or "none" to take it back */
extern void catalog_set_grant(int64 project_id, Oid role, const char *level);

/* a binary classifier's decision threshold; isnull takes it away */
extern void catalog_set_threshold(int64 model_id, double threshold, bool isnull);

/* ---- data versions ---- */

extern int64 catalog_next_dataset_id(void);

/* a data version read by the caller; id 0 draws one; snapshot NULL: none.  Returns the id */
extern int64 catalog_insert_dataset(int64 id, const char *source, int64 n_rows, Datum columns,
									const char *fingerprint, Oid snapshot);

/* the snapshot table of a data version, qualified and quoted, or NULL */
extern char *catalog_snapshot_relation(int64 dataset_id);

/*
 * The empty table mlsql.snapshot_<id> with the columns of td, created as
 * the extension owner (no ordinary role may create in schema mlsql) and
 * owned by the caller, who alone may read it.
 */
extern Oid	catalog_create_snapshot_table(int64 id, TupleDesc td);

/* one feature's training statistics, for ml_drift */
typedef struct CatalogColumnStats
{
	double		null_rate;		/* NaN: unknown */
	int			n_edges;
	double	   *edges;			/* numeric: decile edges */
	int			n_shares;
	double	   *shares;			/* numeric: share of rows per bin */
	int			n_top;
	char	  **top_values;		/* categorical: most frequent values */
	double	   *top_shares;		/* and their shares */
} CatalogColumnStats;

extern bool catalog_column_stats(int64 dataset_id, const char *column, CatalogColumnStats *out);

/* ---- experiments, runs, metrics, artifacts ---- */

/* an experiment recorded by the caller (created_by); config is jsonb */
extern int64 catalog_insert_experiment(int64 project_id, const char *name, const char *kind, Datum config);

/* the latest experiment of the project with this kind and config, or 0 */
extern int64 catalog_find_experiment(int64 project_id, const char *kind, Datum config);

/*
 * The configuration (experiments.config as JSON text) of the project's last
 * ml_train that read a source, and the role that recorded it (*created_by,
 * InvalidOid when unknown); NULL when there is none.
 */
extern char *catalog_last_training(int64 project_id, Oid *created_by);

/* one row of mlsql.runs; catalog_run_init sets every optional field to NULL */
typedef struct CatalogRun
{
	int64		experiment_id;
	int64		parent_run_id;	/* 0: NULL */
	int64		project_id;
	const char *algorithm;
	Datum		params;			/* jsonb */
	int64		seed;
	int64		dataset_id;		/* 0: NULL */
	const char *status;
	const char *error;			/* NULL */
	double		train_seconds;	/* NaN: NULL */
	double		rows_per_second;	/* NaN: NULL */
	int64		peak_memory_bytes;	/* < 0: NULL */
	double		cpu_user_seconds;	/* NaN: NULL */
	double		cpu_system_seconds; /* NaN: NULL */
	const char *task;
	int64		n_train;		/* < 0: NULL */
	int64		n_test;			/* < 0: NULL */
	int64		n_validation;	/* < 0: NULL */
	Datum		preprocess;		/* jsonb; 0: NULL */
	const char *test_fingerprint;	/* the rows the test metrics were taken on; NULL */
} CatalogRun;

extern void catalog_run_init(CatalogRun *r);
extern int64 catalog_insert_run(const CatalogRun *r);
extern void catalog_set_parent_run(int64 run_id, int64 parent_run_id);

/* metric rows of a run, collected, then written in one statement */
typedef struct MetricRows
{
	int			n,
				cap;
	Datum	   *split,
			   *name,
			   *step,
			   *value;
	bool	   *step_null;
} MetricRows;

extern void add_metric(MetricRows *r, const char *split, const char *name, int step, double value);
extern void add_metric_set(MetricRows *r, const char *split, const struct MLMetricSet *m);
extern void catalog_insert_metrics(int64 run_id, MetricRows *r);

extern void catalog_insert_artifact(int64 run_id, const char *name, const char *content_type,
									const void *data, size_t len);

/*
 * A project's training configuration (experiments.config of an ml_train
 * that read a source), as ml_sanity_check and ml_label_issues reuse it.
 * With replay (the recorded source will run as the caller) it is
 * mlsql.last_training's, which the caller must have recorded; otherwise
 * the deployed model's training, else the project's last, whoever recorded
 * it (its source is then not run).  Errors when there is none.
 */
typedef struct CatalogTraining
{
	char	   *source;
	char	   *target;			/* NULL: none */
	char	   *algorithm;
	char	   *params;			/* jsonb text */
	char	   *task;			/* NULL: none */
	char	  **features;		/* NULL: none recorded */
	int			n_features;
	double		test_size;
	int64		seed;
} CatalogTraining;

extern void catalog_training_config(int64 project_id, const char *project, bool replay,
									CatalogTraining *out);

/* one earlier trial of a search experiment */
typedef struct CatalogTrial
{
	int64		run_id;
	char	   *params;			/* jsonb text */
	char	   *status;
	double		seconds;		/* NaN: NULL */
	double		score;			/* NaN: NULL */
	double		std;			/* NaN: NULL */
	double		fraction;		/* NaN: NULL */
} CatalogTrial;

extern CatalogTrial *catalog_search_trials(int64 experiment_id, const char *metric, int *n);
extern char *catalog_first_trial_error(int64 experiment_id);

/* params with each value of vals set at its dotted path (mlsql.apply_params), as text */
extern char *catalog_apply_params(Jsonb *params, Datum vals);

/* the search space ml_compare gives an algorithm (mlsql.default_space), as text; NULL: none */
extern char *catalog_default_space(const char *algorithm);

/* ---- jsonb ---- */

extern Datum json_text_to_jsonb(const char *json, size_t len);

/* a planner setting for the caller's own query, and its end */
extern int	catalog_planner_setting(const char *name, const char *value);
extern void catalog_planner_restore(int nest);

#endif							/* MLSQL_CATALOG_H */
