/*
 * test_halving.c
 *	  Unit tests of ml_search's trial scheduling and ranking
 *	  (src/core/halving.c): rung counts and sizes, the seeded row order,
 *	  the order of trials by score (failed last, ties stable), how many
 *	  survive a rung, and the best trial.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/halving.h"

void		test_halving_schedule(void);
void		test_halving_ranking(void);

/* rungs and rows per rung: eta = 3, at most 2 rungs after the first, 100 rows at least */
void
test_halving_schedule(void)
{
	uint32_t	a[1000],
				b[1000],
				c[1000];
	bool		seen[1000] = {0};
	bool		same_ab = true,
				same_ac = true;

	CHECK(halving_rungs(1) == 0);
	CHECK(halving_rungs(2) == 0);
	CHECK(halving_rungs(3) == 1);
	CHECK(halving_rungs(8) == 1);
	CHECK(halving_rungs(9) == 2);
	CHECK(halving_rungs(27) == 2);
	CHECK(halving_rungs(10000) == 2);

	/* 900 rows, two rungs after the first: 1/9, 1/3, all */
	CHECK(halving_rung_rows(0, 2, 900) == 100);
	CHECK(halving_rung_rows(1, 2, 900) == 300);
	CHECK(halving_rung_rows(2, 2, 900) == 900);
	/* shares round up */
	CHECK(halving_rung_rows(0, 2, 1000) == 112);
	CHECK(halving_rung_rows(1, 1, 1000) == 1000);
	CHECK(halving_rung_rows(0, 1, 1000) == 334);
	/* at least 100 rows, or all of a smaller training split */
	CHECK(halving_rung_rows(0, 2, 450) == 100);
	CHECK(halving_rung_rows(0, 2, 90) == 90);
	CHECK(halving_rung_rows(0, 0, 50) == 50);

	/* the row order: a permutation, the same for a seed, another for another seed */
	halving_row_ranks(a, 1000, 42);
	halving_row_ranks(b, 1000, 42);
	halving_row_ranks(c, 1000, 43);
	for (int i = 0; i < 1000; i++)
	{
		CHECK(a[i] < 1000);
		if (a[i] < 1000)
		{
			CHECK(!seen[a[i]]);
			seen[a[i]] = true;
		}
		same_ab = same_ab && a[i] == b[i];
		same_ac = same_ac && a[i] == c[i];
	}
	CHECK(same_ab);
	CHECK(!same_ac);
	/* shuffled: not the identity */
	{
		int			fixed = 0;

		for (int i = 0; i < 1000; i++)
			fixed += a[i] == (uint32_t) i;
		CHECK(fixed < 50);
	}
	halving_row_ranks(a, 1, 7);
	CHECK(a[0] == 0);
	halving_row_ranks(a, 0, 7);	/* no rows: nothing to do, no crash */
}

/* ranking: best first, failed (NaN) last, ties keep their order; survivors ceil(n / 3) */
void
test_halving_ranking(void)
{
	double		score[7] = {0.5, NAN, 0.9, 0.5, 0.7, 0.1, 0.9};
	double		key[7];
	int			alive[7] = {0, 1, 2, 3, 4, 5, 6};
	int			want_hi[7] = {2, 6, 4, 0, 3, 5, 1};
	int			want_lo[7] = {5, 0, 3, 4, 2, 6, 1};
	bool		eligible[7] = {true, true, true, true, true, true, true};
	int			sub[4] = {5, 3, 0, 1};

	CHECK(search_rank_key(0.25, false) == 0.25);
	CHECK(search_rank_key(0.25, true) == -0.25);
	CHECK(isinf(search_rank_key(NAN, false)) && search_rank_key(NAN, false) < 0);
	CHECK(isinf(search_rank_key(NAN, true)) && search_rank_key(NAN, true) < 0);

	/* higher is better (accuracy) */
	for (int t = 0; t < 7; t++)
		key[t] = search_rank_key(score[t], false);
	CHECK(halving_rank(alive, 7, key) == 3);
	for (int q = 0; q < 7; q++)
		CHECK(alive[q] == want_hi[q]);
	/* the best: the first of the two 0.9s; not an ineligible one */
	CHECK(search_best(key, eligible, 7) == 2);
	eligible[2] = false;
	CHECK(search_best(key, eligible, 7) == 6);
	eligible[6] = false;
	CHECK(search_best(key, eligible, 7) == 4);
	memset(eligible, 0, sizeof(eligible));
	CHECK(search_best(key, eligible, 7) == -1);
	CHECK(search_best(key, eligible, 0) == -1);

	/* lower is better (rmse): the failed trial is still last */
	for (int t = 0; t < 7; t++)
	{
		key[t] = search_rank_key(score[t], true);
		alive[t] = t;
	}
	CHECK(halving_rank(alive, 7, key) == 3);
	for (int q = 0; q < 7; q++)
		CHECK(alive[q] == want_lo[q]);

	/* a subset of the trials, ordered among themselves (3 before 0: equal, 3 came first); survivors round up */
	for (int t = 0; t < 7; t++)
		key[t] = search_rank_key(score[t], false);
	CHECK(halving_rank(sub, 4, key) == 2);
	CHECK(sub[0] == 3 && sub[1] == 0 && sub[2] == 5 && sub[3] == 1);
	CHECK(halving_rank(sub, 1, key) == 1);
	CHECK(halving_rank(sub, 0, key) == 0);
}
