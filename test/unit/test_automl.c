/*
 * test_automl.c
 *	  ml_automl's plan and bookkeeping (src/core/automl.c): budget shares,
 *	  scores from out-of-fold predictions, the best learners, the pool.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"

#include "core/automl.h"
#include "core/ensemble_select.h"

void
test_automl(void)
{
	double		a,
				b;

	/* 40 % for the defaults, 40 % for the search */
	automl_phase_ends(10, &a, &b);
	CHECK_NEAR(a, 4, 1e-12);
	CHECK_NEAR(b, 8, 1e-12);
	/* the time left shared by the trials left; none starts at or after the end */
	CHECK_NEAR(automl_time_box(0, 4, 4), 1, 1e-12);
	CHECK_NEAR(automl_time_box(2, 4, 1), 4, 1e-12);
	CHECK(isnan(automl_time_box(4, 4, 3)));
	CHECK(isnan(automl_time_box(5, 4, 3)));
	CHECK(isnan(automl_time_box(1, 4, 0)));

	/* classification: fold 0 all right, fold 1 half right */
	{
		double		y[] = {0, 1, 0, 1, 0, 1};
		int			fold[] = {0, 0, 1, 1, 1, 1};
		double		oof[] = {0.9, 0.1, 0.2, 0.8, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6, 0.6, 0.4};
		double		std;

		CHECK_NEAR(automl_cv_score(y, oof, fold, 6, 2, 2, "accuracy", &std), 0.75, 1e-12);
		CHECK_NEAR(std, 0.25, 1e-12);
		/* pooled: 4 of 6 */
		CHECK_NEAR(automl_pooled_score(y, oof, 6, 2, "accuracy"), 4.0 / 6, 1e-12);
	}
	/* regression: exact predictions in one fold, off by one in the other */
	{
		double		y[] = {1, 2, 3, 4};
		int			fold[] = {0, 1, 0, 1};
		double		oof[] = {1, 3, 3, 5};
		double		std;

		CHECK_NEAR(automl_cv_score(y, oof, fold, 4, 2, 0, "rmse", &std), 0.5, 1e-12);
		CHECK_NEAR(std, 0.5, 1e-12);
	}

	/* the best trial of each of the best groups; failed (NaN) and ineligible left out */
	{
		double		key[] = {0.5, 0.9, 0.7, 0.8, NAN, 0.95};
		int			group[] = {0, 1, 0, 2, 3, 4};
		bool		ok[] = {true, true, true, true, true, false};
		int			out[6];

		CHECK(automl_top_groups(key, group, ok, 6, 2, out) == 2);
		CHECK(out[0] == 1 && out[1] == 3);
		CHECK(automl_top_groups(key, group, ok, 6, 3, out) == 3);
		CHECK(out[0] == 1 && out[1] == 3 && out[2] == 2);
		CHECK(automl_top_groups(key, group, ok, 6, 9, out) == 3);
	}

	/* the pool keeps the best cap trials */
	{
		double		pk[2];
		int			pt[2],
					n = 0,
					ev;

		CHECK(automl_pool_admit(pk, pt, &n, 2, 0.5, 0, &ev) == 0 && ev == -1);
		CHECK(automl_pool_admit(pk, pt, &n, 2, NAN, 1, &ev) == -1);
		CHECK(automl_pool_admit(pk, pt, &n, 2, 0.7, 2, &ev) == 1 && ev == -1);
		CHECK(automl_pool_admit(pk, pt, &n, 2, 0.4, 3, &ev) == -1);
		CHECK(automl_pool_admit(pk, pt, &n, 2, 0.6, 4, &ev) == 0 && ev == 0);
		CHECK(n == 2 && pt[0] == 4 && pt[1] == 2);
	}

	/* the blend of ensemble selection's counts has the loss selection reports */
	{
		double		y[] = {0, 1, 0, 1};
		double		p0[] = {0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.6, 0.4};
		double		p1[] = {0.6, 0.4, 0.4, 0.6, 0.9, 0.1, 0.1, 0.9};
		const double *pred[] = {p0, p1};
		int			counts[2];
		double		mix[8];
		double		loss = ensemble_select(pred, 2, y, 4, 2, AUTOML_ROUNDS, counts, NULL);

		automl_blend(pred, counts, 2, 4, 2, mix);
		CHECK(counts[0] > 0 && counts[1] > 0);
		CHECK_NEAR(ensemble_select_loss(mix, y, 4, 2), loss, 1e-12);
		CHECK_NEAR(mix[0] + mix[1], 1, 1e-12);
	}
	CHECK(strcmp(automl_phase_name(AUTOML_SEARCH), "search") == 0);
}
