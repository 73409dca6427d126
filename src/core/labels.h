/*-------------------------------------------------------------------------
 *
 * labels.h
 *	  Rows whose label is likely wrong, by confident learning (Northcutt,
 *	  Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
 *	  Dataset Labels", JAIR 2021), from out-of-fold class probabilities.
 *
 * Each class j has a threshold t_j: the mean probability of j over the rows
 * labelled j (the model's average self-confidence in that class).  A row's
 * confident class is, among the classes whose probability reaches their
 * threshold (within 1e-6, as cleanlab compares), the most probable; a row
 * with none has no confident class.  A row is a label issue when its
 * confident class exists and differs from its label (an off-diagonal entry
 * of the confident joint: cleanlab's filter_by="confident_learning").
 * Issues are ranked by self-confidence (the probability of the given
 * label), lowest first; the margin is p(given) - max over other classes
 * (cleanlab's normalized margin, negative for every issue).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_LABELS_H
#define ML_LABELS_H

#include "ml.h"

typedef struct MLLabelIssue
{
	size_t		row;
	int			given;
	int			suggested;
	double		self_confidence;
	double		margin;
} MLLabelIssue;

/*
 * y: n class indexes in 0 .. k - 1; proba: n x k row-major, out of fold.
 * Returns the number of issues and sets *issues (ml_alloc'd, most
 * suspicious first; NULL when none).  thresholds (may be NULL) gets the k
 * per-class thresholds (NaN for a class no row carries).
 */
extern size_t label_issues_find(const double *y, const double *proba, size_t n, int k,
								MLLabelIssue **issues, double *thresholds);

#endif							/* ML_LABELS_H */
