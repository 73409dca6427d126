/*-------------------------------------------------------------------------
 *
 * search.h
 *	  Hyperparameter search spaces and the proposals of grid, random and TPE
 *	  search.
 *
 * A space is a JSON object from parameter names (dotted names reach into
 * ensemble members: "base.max_depth", "estimators.1.k") to a distribution:
 *
 *	[v1, v2, ...]					choices (any JSON values)
 *	{"uniform": [lo, hi]}			a float in [lo, hi]
 *	{"log_uniform": [lo, hi]}		a float whose log is uniform (0 < lo)
 *	{"int_uniform": [lo, hi]}		an integer in [lo, hi]
 *
 * A point of the space is one double per parameter: the value, or the index
 * of the choice.  Proposals are pure functions of the seed, the trial number
 * and (TPE) the earlier trials, so a search is reproduced by its seed and a
 * longer search extends a shorter one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_SEARCH_H
#define ML_SEARCH_H

#include "ml.h"
#include "buffer.h"
#include "json.h"

typedef enum MLDistKind
{
	ML_DIST_CHOICE = 1,
	ML_DIST_UNIFORM,
	ML_DIST_LOG_UNIFORM,
	ML_DIST_INT_UNIFORM
} MLDistKind;

typedef struct MLSearchParam
{
	char	   *name;
	MLDistKind	kind;
	double		lo,
				hi;
	int			n_choices;
	MLJson	  **choices;
} MLSearchParam;

typedef struct MLSpace
{
	int			n;
	MLSearchParam *p;
} MLSpace;

#define ML_MAX_GRID 100000

/* parse and check a space; errors name the parameter */
extern MLSpace *space_parse(const char *json, size_t len);

/* the number of grid points; an error unless every parameter is a choice */
extern size_t space_grid_size(const MLSpace *s);

/* grid point number i (mixed radix, the last parameter fastest) */
extern void space_grid_point(const MLSpace *s, size_t i, double *v);

/* trial t's random point: depends on seed and t only */
extern void space_random_point(const MLSpace *s, uint64_t seed, int t, double *v);

/*
 * trial t's TPE point from the n earlier trials (points row-major n x
 * s->n, scores higher-is-better, NaN for a failed trial).  The first
 * n_startup trials are random points.
 */
extern void space_tpe_point(const MLSpace *s, uint64_t seed, int t, const double *points,
							const double *scores, int n, int n_startup, double *v);

/* random trials before TPE models the results (the same for every length) */
#define ML_TPE_STARTUP 8

/* the startup trials TPE spends on random points for a search of `trials` */
extern int	space_tpe_startup(int trials);

/* the point as a JSON object {"name": value, ...} */
extern void space_point_json(const MLSpace *s, const double *v, MLBuffer *out);

/*
 * value of parameter j read back from JSON text (a stored trial): the
 * number, or the index of the equal choice; NaN when it matches nothing
 */
extern double space_value_from_json(const MLSpace *s, int j, const MLJson *value);

#endif							/* ML_SEARCH_H */
