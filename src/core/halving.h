/*-------------------------------------------------------------------------
 *
 * halving.h
 *	  ml_search's trial scheduling and ranking, in pure C: successive
 *	  halving's rungs, the seeded row order its rungs (and the learning
 *	  curve's sizes) share, the order of trials by score, and the best trial.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_HALVING_H
#define ML_HALVING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HALVING_ETA 3			/* the best 1 / eta of a rung goes on */
#define HALVING_MAX_RUNGS 2		/* rungs after the first */
#define HALVING_MIN_ROWS 100	/* rows on every rung (or all) */

/*
 * The rungs after the first for n_configs configurations: as many as eta
 * divides them, at most HALVING_MAX_RUNGS (the first rung then trains on
 * 1 / eta^2 of the rows: fewer rows rank configurations too noisily to
 * prune on).
 */
extern int	halving_rungs(int n_configs);

/*
 * The training rows rung r (0 .. rungs) of rungs trains on, of n: the
 * share eta^(r - rungs) rounded up, at least HALVING_MIN_ROWS (or all n).
 * The last rung trains on all n.
 */
extern size_t halving_rung_rows(int r, int rungs, size_t n);

/*
 * rank[i]: row i's place in a seeded shuffle of n rows.  The rows with
 * rank below k are a share of the rows, and a larger share contains a
 * smaller one (halving's rungs, the learning curve's sizes).
 */
extern void halving_row_ranks(uint32_t *rank, size_t n, int64_t seed);

/* a trial's rank key: higher is better; a failed trial (score NaN) last */
extern double search_rank_key(double score, bool lower_better);

/*
 * Order the living trials alive[0 .. n_alive) by key[trial], best first
 * (stable: equal keys keep their order), and return how many go on to the
 * next rung: the best ceil(n_alive / eta).
 */
extern int	halving_rank(int *alive, int n_alive, const double *key);

/*
 * The best of n trials: the highest key among the eligible, ties to the
 * earlier; -1 when none is eligible.
 */
extern int	search_best(const double *key, const bool *eligible, int n);

#endif							/* ML_HALVING_H */
