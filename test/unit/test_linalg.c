/*
 * test_linalg.c
 *	  Unit tests of src/core/linalg.c: L-BFGS minimizes a quadratic to its
 *	  closed-form minimum.
 */
#include "unit.h"
#include "tests.h"
#include "core/linalg.h"

static double
quad(const double *x, double *g, void *arg)
{
	/* f = (x0 - 3)^2 + 10 (x1 + 1)^2 + x0 x1 */
	(void) arg;
	g[0] = 2 * (x[0] - 3) + x[1];
	g[1] = 20 * (x[1] + 1) + x[0];
	return (x[0] - 3) * (x[0] - 3) + 10 * (x[1] + 1) * (x[1] + 1) + x[0] * x[1];
}

void
test_lbfgs(void)
{
	double		x[2] = {0, 0};
	bool		conv;

	lbfgs_minimize(quad, NULL, NULL, x, 2, 100, 1e-10, &conv);
	CHECK(conv);
	/* solve 2x0 + x1 = 6, x0 + 20 x1 = -20 */
	CHECK_NEAR(x[0], (120.0 + 20) / 39.0, 1e-8);
	CHECK_NEAR(x[1], (-40.0 - 6) / 39.0, 1e-8);
}
