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
#include "dataset.h"

typedef enum MLParamType
{
	ML_PARAM_INT = 1,
	ML_PARAM_FLOAT,
	ML_PARAM_BOOL,
	ML_PARAM_STRING,
	ML_PARAM_CLASS_WEIGHT,		/* "none", "balanced" or {"label": weight} */
	ML_PARAM_JSON				/* a JSON object or array (ensemble members),
								 * kept as text in str; choices "object" or
								 * "array" names the one allowed */
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
	ML_VALUE_MAP,				/* a JSON object of numbers (class_weight) */
	ML_VALUE_OTHER				/* null, array, other objects */
} MLValueKind;

typedef struct MLParamValue
{
	const char *name;
	MLValueKind kind;
	double		num;			/* NUMBER, BOOL (0 / 1) */
	const char *str;			/* STRING */
	int			n_map;			/* MAP: keys and values (NaN: not a number) */
	const char **map_keys;
	const double *map_vals;
	const char *json;			/* MAP / OTHER: the value as JSON text */
} MLParamValue;

/* resolved parameters, one slot per spec entry */
typedef struct MLParams
{
	const MLParamSpec *spec;
	int			n;
	double	   *num;
	const char **str;
	/* class_weight given as a map: its entries, then bound to class indexes */
	int			n_map;
	const char **map_keys;
	double	   *map_vals;
	int			n_classes;		/* 0 until params_bind_classes */
	double	   *class_w;		/* per class weight from the map */
} MLParams;

/* the class_weight spec entry, shared by every learner that weights rows */
#define ML_CLASS_WEIGHT_PARAM \
	{"class_weight", ML_PARAM_CLASS_WEIGHT, 0, 0, 0, "none", "none,balanced", \
	"none, balanced (inverse class frequency) or a map {\"label\": weight}"}

extern MLParams *params_resolve(const char *learner, const MLParamSpec *spec,
								const MLParamValue *given, size_t n_given);
/*
 * Resolve the members of a JSON object (core/json.h) as parameters, leaving
 * out the keys named in skip (NULL-terminated).  label names the learner in
 * messages ("knn (estimators.2)").
 */
struct MLJson;
extern MLParams *params_from_json(const char *label, const MLParamSpec *spec,
								  const struct MLJson *obj, const char *const *skip);
extern double params_get_num(const MLParams *p, const char *name);
extern const char *params_get_str(const MLParams *p, const char *name);
/*
 * Bind a class_weight map to the model's class labels (text form); an
 * unknown label is an error naming the valid ones.  A no-op without a map.
 */
extern void params_bind_classes(MLParams *p, char *const *labels, int n_classes);
/*
 * Per class weights for train (n_classes entries, ml_alloc'd): balanced is
 * n / (k * count), a map gives its weights (1 for classes it leaves out).
 * NULL when class_weight is none or the learner has no such parameter.
 */
extern double *params_class_weights(const MLParams *p, const MLDataset *train);
/* the same from the training rows' class counts (k classes, n rows) */
extern double *params_class_weights_counts(const MLParams *p, const double *count, int k, double n);
/* per row weights from params_class_weights, or all 1 */
extern double *params_row_weights(const MLParams *p, const MLDataset *train);
/* the resolved parameters, defaults included, as a JSON object */
extern void params_to_json(const MLParams *p, MLBuffer *out);

#endif							/* ML_PARAMS_H */
