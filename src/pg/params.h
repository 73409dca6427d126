/*-------------------------------------------------------------------------
 *
 * params.h
 *	  Parameters as jsonb (params.c): ml_train's own keys, the preprocessing
 *	  options and a learner's validated parameters; jsonb from JSON text.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_PARAMS_H
#define MLSQL_PARAMS_H

#include "postgres.h"

#include "core/buffer.h"
#include "core/model.h"
#include "core/params.h"
#include "core/pipeline.h"
#include "pg/source.h"
#include "utils/jsonb.h"

/* the value of key in a jsonb object; false when absent (or jb is no object) */
extern bool jsonb_get(Jsonb *jb, const char *key, JsonbValue *out);
/* a string option of params, or NULL when absent; errors naming key and hint otherwise */
extern char *jsonb_string_option(Jsonb *jb, const char *key, const char *hint);
/* errors on a key of params that is neither ml_train's nor the learner's */
extern void check_param_keys(const MLLearner *l, Jsonb *params);
/* params jsonb -> validated parameters of a learner */
extern MLParams *params_from_jsonb(const MLLearner *learner, Jsonb *params);
/* the preprocessing options of params ("preprocess") for a source's columns */
extern MLColumnOptions *column_options(Jsonb *params, const SourceData *src);
/* the engine params asks for: "memory" (default), "aggregate" or "partitions" */
extern char *train_engine(Jsonb *params_jb);
/* a jsonb datum of the JSON text in b */
extern Datum jsonb_datum(MLBuffer *b);

#endif							/* MLSQL_PARAMS_H */
