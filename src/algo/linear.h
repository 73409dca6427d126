/*-------------------------------------------------------------------------
 *
 * linear.h
 *	  The linear model (weights and intercept) shared by linear.c and
 *	  elastic_net.c: they fit it differently and score, store and describe
 *	  it alike.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_LINEAR_H
#define ML_LINEAR_H

#include "../core/model.h"

typedef struct Linear
{
	size_t		p;
	double	   *coef;
	double		intercept;
} Linear;

extern void linear_predict(const void *state, const double *X, size_t n, double *out);
extern void linear_write(const void *state, MLBuffer *out);
extern void *linear_read(MLReader *in, size_t p, int k);
extern void linear_describe(const void *state, MLBuffer *json);
extern int	linear_explain(const void *state, const double *x, const double *mean, double *phi);
extern void linear_importance(const void *state, const MLDataset *train, double *out);

#endif							/* ML_LINEAR_H */
