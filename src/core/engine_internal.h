/*-------------------------------------------------------------------------
 *
 * engine_internal.h
 *	  What the aggregate engine's files share (engine.c, engine_bytes.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_ENGINE_INTERNAL_H
#define ML_ENGINE_INTERNAL_H

#include "engine.h"

#define ENGINE_VERSION 2		/* of the config and state bytes */

/*
 * Rows wait in a block for the GRAM and NEWTON passes; these add the
 * waiting rows to the state (nothing for another pass or an empty block),
 * before the state merges or is written.
 */
extern void engine_flush_gram(MLEngineState *s);
extern void engine_flush_newton(MLEngineState *s);

#endif							/* ML_ENGINE_INTERNAL_H */
