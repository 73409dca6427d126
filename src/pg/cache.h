/*-------------------------------------------------------------------------
 *
 * cache.h
 *	  The backend model cache and model references (cache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_CACHE_H
#define MLSQL_CACHE_H

#include "postgres.h"

#include "core/model.h"

/* the deserialized model with this id; lives as long as the backend */
extern MLModel *model_for_id(int64 model_id);
/* the model id a reference ('p', 'p@3', 'p@alias') names; *project_id (may be NULL) gets its project */
extern int64 resolve_model_ref(const char *ref, int64 *project_id);
/* the model a reference names (or id when ref is NULL), through the reference cache */
extern MLModel *model_for_ref(const char *ref, int64 id);
extern bytea *shipped_model(const char *ref, int64 id, double *threshold);

#endif							/* MLSQL_CACHE_H */
