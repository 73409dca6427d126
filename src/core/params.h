/*-------------------------------------------------------------------------
 *
 * params.h
 *	  Learner parameter specs and their validation.
 *
 * Every learner declares its parameters as an MLParamSpec array (name, type,
 * default, bounds).  The host turns the user's jsonb into MLParamValue items;
 * params_resolve checks them against the spec and fills defaults.  An unknown
 * or mistyped parameter is an error that lists the valid ones: nothing is
 * ever silently ignored.  The same specs will drive search spaces.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_PARAMS_H
#define ML_PARAMS_H

#include "ml.h"
#include "buffer.h"

typedef enum MLParamType
{
	ML_PARAM_INT = 1,
	ML_PARAM_FLOAT,
	ML_PARAM_BOOL,
	ML_PARAM_STRING
} MLParamType;

typedef struct MLParamSpec
{
	const char *name;			/* NULL ends the array */
	MLParamType type;
	double		def;			/* default for INT / FLOAT / BOOL */
	double		min;			/* inclusive bounds for INT / FLOAT */
	double		max;
	const char *def_str;		/* default for STRING */
	const char *choices;		/* STRING: comma-separated allowed values */
	const char *doc;			/* one line for docs and hints */
} MLParamSpec;

/* what the user gave, before validation */
typedef enum MLValueKind
{
	ML_VALUE_NUMBER = 1,
	ML_VALUE_BOOL,
	ML_VALUE_STRING,
	ML_VALUE_OTHER				/* null, array, object: never valid here */
} MLValueKind;

typedef struct MLParamValue
{
	const char *name;
	MLValueKind kind;
	double		num;			/* NUMBER, BOOL (0 / 1) */
	const char *str;			/* STRING */
} MLParamValue;

/* resolved parameters, one slot per spec entry */
typedef struct MLParams
{
	const MLParamSpec *spec;
	int			n;
	double	   *num;
	const char **str;
} MLParams;

extern MLParams *params_resolve(const char *learner, const MLParamSpec *spec,
								const MLParamValue *given, size_t n_given);
extern double params_get_num(const MLParams *p, const char *name);
extern const char *params_get_str(const MLParams *p, const char *name);
/* the resolved parameters, defaults included, as a JSON object */
extern void params_to_json(const MLParams *p, MLBuffer *out);

#endif							/* ML_PARAMS_H */
