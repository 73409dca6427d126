/*-------------------------------------------------------------------------
 *
 * practices.h
 *	  What the book's practices share (practices.c): a project's recorded
 *	  training configuration made ready to fit again, a fit of it on any
 *	  rows, and the run that records what they found (ml_sanity_check,
 *	  ml_label_issues; ml_evaluate_slices records through it too).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_PRACTICES_H
#define MLSQL_PRACTICES_H

#include "postgres.h"

#include "fmgr.h"

#include "core/buffer.h"
#include "core/dataset.h"
#include "core/model.h"
#include "pg/catalog.h"
#include "pg/prepare.h"

/*
 * The arguments (project text, source text) of fcinfo: errors on a NULL
 * project; connects to SPI; the caller must manage the project.  td gets
 * the project's configuration (the recorded source unless source is
 * given), ready for train_prepare; *project_id the project, *task (may be
 * NULL) its task.
 */
extern void practice_config(FunctionCallInfo fcinfo, const char *what, TrainData *td,
							int64 *project_id, char **task);

/* the learner of td fitted on d with this seed: a model sharing td's pipeline */
extern MLModel *practice_fit(const TrainData *td, const MLDataset *d, uint64_t seed);

/* the key metric (accuracy, r2) of model m on d */
extern double practice_score(const MLModel *m, const MLDataset *d);

/*
 * An experiment of this kind with td's configuration (extra: more JSON
 * members, or NULL), one run of it with the metrics and a JSON artifact
 * (name, content); returns the run id.
 */
extern int64 practice_record(const TrainData *td, int64 project_id, const char *kind,
							 const char *extra, MetricRows *metrics, const char *artifact,
							 const MLBuffer *content, int64 n_train, int64 n_test);

/*
 * The recording itself: the experiment of this kind and config (found or
 * made), one run of it with the metrics (n_train, n_test < 0: NULL), and a
 * JSON artifact; returns the run id.  ml_evaluate_slices records with it too.
 */
extern int64 practice_record_run(int64 project_id, const char *kind, Datum config,
								 const char *algorithm, Datum params, int64 seed, const char *task,
								 int64 n_train, int64 n_test, MetricRows *metrics,
								 const char *artifact, const MLBuffer *content);

#endif							/* MLSQL_PRACTICES_H */
