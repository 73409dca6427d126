/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small strict JSON reader for configuration inside the core.
 *
 * Ensembles take their members as JSON ({"algorithm": "tree", ...}) and a
 * search takes a space; the host hands such values to the core as JSON text
 * and the core reads them here, without a server.  The reader is strict
 * (RFC 8259: no comments, no trailing commas, no NaN) and bounded: nesting
 * deeper than ML_JSON_MAX_DEPTH is an error, never a stack overflow.  Every
 * value keeps its span in the text, so a nested object can be handed on as
 * text without printing it again.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_JSON_H
#define ML_JSON_H

#include "ml.h"

#define ML_JSON_MAX_DEPTH 64

typedef enum MLJsonType
{
	ML_JSON_NULL = 1,
	ML_JSON_BOOL,
	ML_JSON_NUMBER,
	ML_JSON_STRING,
	ML_JSON_ARRAY,
	ML_JSON_OBJECT
} MLJsonType;

typedef struct MLJson
{
	MLJsonType	type;
	double		num;			/* NUMBER; BOOL as 0 / 1 */
	char	   *str;			/* STRING, decoded, NUL-terminated */
	int			n;				/* ARRAY / OBJECT: number of items */
	char	  **keys;			/* OBJECT: member names, in order */
	struct MLJson **items;		/* ARRAY items / OBJECT values */
	const char *text;			/* the value's span in the parsed text */
	size_t		len;
} MLJson;

/* parse text[0..len); what names the value in error messages ("params") */
extern MLJson *json_parse(const char *text, size_t len, const char *what);

/* the value of key in an object, or NULL (also when obj is not an object) */
extern const MLJson *json_get(const MLJson *obj, const char *key);

/* a NUL-terminated copy of the value's text */
extern char *json_text(const MLJson *v);

/* same value: numbers by value, objects whatever their key order */
extern bool json_equal(const MLJson *a, const MLJson *b);

/* "object", "array", "string", ... */
extern const char *json_type_name(MLJsonType t);

#endif							/* ML_JSON_H */
