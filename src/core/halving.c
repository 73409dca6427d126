/*-------------------------------------------------------------------------
 *
 * halving.c
 *	  ml_search's trial scheduling and ranking: successive halving
 *	  (Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and
 *	  Hyperparameter Optimization", AISTATS 2016) with eta = 3 and at most
 *	  three rungs, and the choice of the best trial.
 *
 * Every configuration is scored on a share of the training rows; the best
 * third goes on with three times the rows, until the survivors use them
 * all.  Rungs nest (each rung's rows contain the last's) because the rows
 * are taken in one seeded order.  Everything here is deterministic: the
 * same configurations, scores and seed give the same schedule.  O(n) time
 * and memory for the row order, O(k^2) for ranking k trials (k is at most
 * the search's trials).
 *
 *-------------------------------------------------------------------------
 */
#include "halving.h"
#include "rng.h"

#include <math.h>

int
halving_rungs(int n_configs)
{
	int			rungs = 0;

	while ((int) pow(HALVING_ETA, rungs + 1) <= n_configs && rungs < HALVING_MAX_RUNGS)
		rungs++;
	return rungs;
}

size_t
halving_rung_rows(int r, int rungs, size_t n)
{
	double		frac = pow(HALVING_ETA, r - rungs);
	size_t		floor_rows = n < HALVING_MIN_ROWS ? n : HALVING_MIN_ROWS;
	size_t		keep = (size_t) ceil(frac * n);

	return keep > floor_rows ? keep : floor_rows;
}

void
halving_row_ranks(uint32_t *rank, size_t n, int64_t seed)
{
	MLRng		rng;
	size_t	   *perm = ml_alloc(sizeof(size_t) * (n > 0 ? n : 1));

	ml_rng_seed(&rng, ml_mix64((uint64_t) seed ^ 0x4A1Full));
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--)
	{
		size_t		s = (size_t) (ml_rng_uniform(&rng) * (double) i);
		size_t		x = perm[i - 1];

		perm[i - 1] = perm[s];
		perm[s] = x;
	}
	for (size_t i = 0; i < n; i++)
		rank[perm[i]] = (uint32_t) i;
	ml_free(perm);
}

double
search_rank_key(double score, bool lower_better)
{
	if (isnan(score))
		return -INFINITY;
	return lower_better ? -score : score;
}

int
halving_rank(int *alive, int n_alive, const double *key)
{
	/* insertion sort: stable, and k is small */
	for (int q = 1; q < n_alive; q++)
		for (int z = q; z > 0 && key[alive[z]] > key[alive[z - 1]]; z--)
		{
			int			x = alive[z];

			alive[z] = alive[z - 1];
			alive[z - 1] = x;
		}
	return (int) ceil((double) n_alive / HALVING_ETA);
}

int
search_best(const double *key, const bool *eligible, int n)
{
	int			best = -1;

	for (int t = 0; t < n; t++)
		if (eligible[t] && (best < 0 || key[t] > key[best]))
			best = t;
	return best;
}
