/*
 * unit.h
 *	  A tiny test harness for the pure-C core: CHECK records a failure and
 *	  carries on; CHECK_NEAR compares floats NaN-safely; EXPECT_ERROR runs a
 *	  statement that must call ml_error with the given code (the unit shim
 *	  longjmps back instead of aborting).  Also the helpers more than one
 *	  test file uses (helpers.c).  The tests themselves are listed in
 *	  tests.h and run by main.c.
 */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>

#include "core/ml.h"
#include "core/model.h"

extern int	unit_failures;		/* failures in the current test */
extern jmp_buf *unit_catch;		/* armed by EXPECT_ERROR */
extern int	unit_last_code;
extern char unit_last_msg[1024];

/*
 * got is within tol of want.  Written so that a NaN (in got, want or tol)
 * is never near anything: every float comparison of the unit tests goes
 * through here, never through "fabs(got - want) > tol", which NaN passes.
 */
static inline bool
unit_near(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

#define CHECK(cond) do { \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	} } while (0)

#define CHECK_NEAR(a, b, tol) do { \
	double _a = (a), _b = (b); \
	if (!unit_near(_a, _b, (tol))) { \
		unit_failures++; \
		fprintf(stderr, "  %s:%d: %s = %.17g, expected %.17g (tol %g)\n", \
				__FILE__, __LINE__, #a, _a, _b, (double) (tol)); \
	} } while (0)

#define EXPECT_ERROR(code, stmt) do { \
	jmp_buf _jb; \
	unit_last_code = 0; \
	unit_catch = &_jb; \
	if (setjmp(_jb) == 0) { \
		stmt; \
		unit_catch = NULL; \
		unit_failures++; \
		fprintf(stderr, "  %s:%d: expected an error from %s\n", __FILE__, __LINE__, #stmt); \
	} else { \
		unit_catch = NULL; \
		if (unit_last_code != (code)) { \
			unit_failures++; \
			fprintf(stderr, "  %s:%d: error code %d, expected %d (%s)\n", \
					__FILE__, __LINE__, unit_last_code, (int) (code), unit_last_msg); \
		} \
	} } while (0)

typedef void (*unit_fn) (void);

/* helpers.c */
extern int	unit_fit_threads;
extern MLDataset *unit_toy_classes(size_t n, int k);
extern MLModel *unit_fit_model(const char *learner, MLDataset *d,
							   const MLParamValue *v, size_t nv);
extern void unit_check_round_trip(const MLModel *m, const double *x, size_t rows,
								  MLBuffer *b1, double *o1);
extern int	unit_cmp_double(const void *a, const void *b);

#endif
