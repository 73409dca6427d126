/*-------------------------------------------------------------------------
 *
 * ensemble_select.h
 *	  Greedy ensemble selection with replacement (Caruana, Niculescu-Mizil,
 *	  Crew and Ksikes, "Ensemble Selection from Libraries of Models", ICML
 *	  2004) over candidates' out-of-fold predictions.
 *
 * Start from the best single candidate; each round adds (with replacement)
 * the candidate whose addition gives the lowest loss of the averaged
 * predictions (ties: the lower index); the answer is the best ensemble of
 * the rounds (Caruana's "best nested set").  Loss: log loss of averaged
 * probabilities (width k > 1, probabilities clipped to [1e-15, 1 - 1e-15]),
 * or the mean squared error (width 1).  Deterministic: no random choice.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_ENSEMBLE_SELECT_H
#define ML_ENSEMBLE_SELECT_H

#include "ml.h"

/*
 * pred[c]: candidate c's n x width predictions (row-major); y: n targets
 * (class indexes when width > 1).  counts gets m entries: how many times
 * each candidate was picked (weights are counts / their sum).  Returns the
 * loss of the chosen ensemble; curve (may be NULL) gets rounds losses.
 */
extern double ensemble_select(const double *const *pred, int m, const double *y, size_t n,
							  int width, int rounds, int *counts, double *curve);

/* the loss ensemble_select minimizes, of one n x width prediction */
extern double ensemble_select_loss(const double *pred, const double *y, size_t n, int width);

#endif							/* ML_ENSEMBLE_SELECT_H */
