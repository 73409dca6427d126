/*
 * test_sanity.c
 *	  Unit tests of src/core/sanity.c: one-feature predictors and rows
 *	  shared by two matrices (ml_sanity_check).
 */
#include <math.h>
#include <stdlib.h>

#include "unit.h"
#include "tests.h"
#include "core/rng.h"
#include "core/sanity.h"

void
test_sanity_univariate(void)
{
	enum
	{
		N = 400, M = 200
	};
	double		xt[N],
				yt[N],
				xe[M],
				ye[M],
				noise_t[N],
				noise_e[M];
	MLRng		r;

	ml_rng_seed(&r, 7);
	/* a 0/1 feature equal to a 0/1 target with 37 % ones: one cut, accuracy 1 */
	for (int i = 0; i < N; i++)
	{
		yt[i] = ml_rng_uniform(&r) < 0.37;
		xt[i] = yt[i];
		noise_t[i] = ml_rng_uniform(&r);
	}
	for (int i = 0; i < M; i++)
	{
		ye[i] = ml_rng_uniform(&r) < 0.37;
		xe[i] = ye[i];
		noise_e[i] = ml_rng_uniform(&r);
	}
	CHECK_NEAR(univariate_score(xt, yt, N, xe, ye, M, 2), 1.0, 0);
	/* noise: about the majority's share (0.63), far from 1 */
	{
		double		s = univariate_score(noise_t, yt, N, noise_e, ye, M, 2);

		CHECK(s > 0.4 && s < 0.8);
	}
	/* a NaN in evaluation only falls back to the training majority */
	xe[0] = NAN;
	CHECK(univariate_score(xt, yt, N, xe, ye, M, 2) >= 1.0 - 1.0 / M - 1e-12);
	/* regression: a linear function of x scores r2 1 through the line */
	for (int i = 0; i < N; i++)
		yt[i] = 3 * noise_t[i] - 1;
	for (int i = 0; i < M; i++)
		ye[i] = 3 * noise_e[i] - 1;
	CHECK_NEAR(univariate_score(noise_t, yt, N, noise_e, ye, M, 0), 1.0, 1e-12);
	/* a step function: the bins catch it (but for the bin that straddles the step), the line only in part (about 0.75) */
	for (int i = 0; i < N; i++)
		yt[i] = noise_t[i] > 0.5 ? 10 : 0;
	for (int i = 0; i < M; i++)
		ye[i] = noise_e[i] > 0.5 ? 10 : 0;
	CHECK(univariate_score(noise_t, yt, N, noise_e, ye, M, 0) > 0.85);
	CHECK(isnan(univariate_score(xt, yt, 0, xe, ye, M, 2)));
}

void
test_sanity_rows_shared(void)
{
	/* A: 3 rows x 2 columns (column-major); B: 4 rows, two of them in A (one with NaN) */
	double		A[] = {1, 2, NAN, 10, 20, 30};
	double		B[] = {2, 1, NAN, 5, 20, 11, 30, 50};
	bool		in_a[4];

	CHECK(rows_shared(A, 3, B, 4, 2, in_a) == 2);
	CHECK(in_a[0] && !in_a[1] && in_a[2] && !in_a[3]);
	CHECK(rows_shared(A, 0, B, 4, 2, NULL) == 0);
}
