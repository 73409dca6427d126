/*
 * test_labels.c
 *	  Unit tests of src/core/labels.c (confident learning) and
 *	  src/core/ensemble_select.c (Caruana's greedy selection).
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/ensemble_select.h"
#include "core/labels.h"
#include "core/rng.h"

void
test_label_issues(void)
{
	/*
	 * Hand-worked: class 0 rows 0-2, class 1 rows 3-5.  Thresholds: t0 =
	 * mean(0.9, 0.8, 0.2) = 0.6333, t1 = mean(0.7, 0.9, 0.6) = 0.7333.  Row
	 * 2 (label 0, p1 = 0.8 >= t1) is an issue suggesting 1; row 5 (label 1,
	 * p0 = 0.4 < t0, p1 = 0.6 < t1) has no confident class: not an issue.
	 */
	double		y[] = {0, 0, 0, 1, 1, 1};
	double		p[] = {0.9, 0.1, 0.8, 0.2, 0.2, 0.8, 0.3, 0.7, 0.1, 0.9, 0.4, 0.6};
	double		t[2];
	MLLabelIssue *is;
	size_t		m = label_issues_find(y, p, 6, 2, &is, t);

	CHECK_NEAR(t[0], (0.9 + 0.8 + 0.2) / 3, 1e-15);
	CHECK_NEAR(t[1], (0.7 + 0.9 + 0.6) / 3, 1e-15);
	CHECK(m == 1);
	if (m == 1)
	{
		CHECK(is[0].row == 2 && is[0].given == 0 && is[0].suggested == 1);
		CHECK_NEAR(is[0].self_confidence, 0.2, 1e-15);
		CHECK_NEAR(is[0].margin, -0.6, 1e-15);
		ml_free(is);
	}

	/*
	 * Seeded: 3 classes, 600 rows whose probabilities favour their true
	 * class; 30 labels flipped.  Confident learning finds the flipped rows
	 * whose true class reaches its threshold (about half of them here: the
	 * threshold is the class's mean confidence) and almost nothing else,
	 * ranked by self-confidence.
	 */
	{
		size_t		n = 600,
					found = 0;
		int			k = 3;
		double	   *yy = ml_alloc(n * sizeof(double));
		double	   *pp = ml_alloc(n * k * sizeof(double));
		bool	   *flipped = ml_alloc(n * sizeof(bool));
		MLRng		rng;

		ml_rng_seed(&rng, 5);
		for (size_t i = 0; i < n; i++)
		{
			int			truth = (int) (i % k);
			double		sum = 0;

			for (int j = 0; j < k; j++)
			{
				pp[i * k + j] = exp((j == truth ? 2.5 : 0) + 3 * ml_rng_uniform(&rng));
				sum += pp[i * k + j];
			}
			for (int j = 0; j < k; j++)
				pp[i * k + j] /= sum;
			yy[i] = truth;
			if (i % 20 == 7)
			{
				yy[i] = (truth + 1) % k;
				flipped[i] = true;
			}
		}
		m = label_issues_find(yy, pp, n, k, &is, NULL);
		for (size_t i = 0; i < m; i++)
		{
			found += flipped[is[i].row];
			if (i > 0)
				CHECK(is[i - 1].self_confidence <= is[i].self_confidence);
			CHECK(is[i].margin < 0 && is[i].suggested != is[i].given);
		}
		fprintf(stderr, "# label issues: %zu returned, %zu of 30 flipped\n", m, found);
		/* precision and recall of the flipped rows among those returned */
		CHECK(m > 0 && (double) found / m >= 0.9);
		CHECK((double) found / 30 >= 0.5);
		if (m)
			ml_free(is);
		ml_free(yy);
		ml_free(pp);
		ml_free(flipped);
	}
	EXPECT_ERROR(ML_ERR_DATA, ({ MLLabelIssue *x; double bad[] = {3}; label_issues_find(bad, p, 1, 2, &x, NULL); }));
}

void
test_ensemble_select(void)
{
	/*
	 * Two classifiers each right on half the rows, a third mediocre
	 * everywhere: the average of the first two beats every single one.
	 */
	double		y[] = {0, 1, 0, 1};
	double		a[] = {0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.6, 0.4};
	double		b[] = {0.6, 0.4, 0.4, 0.6, 0.9, 0.1, 0.1, 0.9};
	double		c[] = {0.55, 0.45, 0.45, 0.55, 0.55, 0.45, 0.45, 0.55};
	const double *pred[] = {a, b, c};
	int			counts[3];
	double		curve[10];
	double		loss = ensemble_select(pred, 3, y, 4, 2, 10, counts, curve);
	double		mix[8];

	CHECK(counts[0] > 0 && counts[1] > 0);
	for (int i = 0; i < 8; i++)
		mix[i] = (counts[0] * a[i] + counts[1] * b[i] + counts[2] * c[i]) /
			(counts[0] + counts[1] + counts[2]);
	CHECK_NEAR(loss, ensemble_select_loss(mix, y, 4, 2), 1e-12);
	for (int m = 0; m < 3; m++)
		CHECK(loss <= ensemble_select_loss(pred[m], y, 4, 2));
	for (int r = 0; r < 10; r++)
		CHECK(loss <= curve[r]);

	/* regression, width 1: a candidate equal to the target wins alone */
	{
		double		t[] = {1, 2, 3};
		double		good[] = {1, 2, 3},
					off[] = {2, 3, 4};
		const double *rp[] = {off, good};

		CHECK_NEAR(ensemble_select(rp, 2, t, 3, 1, 5, counts, NULL), 0, 1e-15);
		CHECK(counts[0] == 0 && counts[1] == 1);
	}
	EXPECT_ERROR(ML_ERR_PARAM, ensemble_select(pred, 0, y, 4, 2, 10, counts, NULL));
}
