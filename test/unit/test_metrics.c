/*
 * test_metrics.c
 *	  Unit tests of src/core/metrics.c: regression and classification
 *	  metrics on hand-computed cases and against scikit-learn's values
 *	  (test/fixtures).
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/metrics.h"

void
test_metrics_hand(void)
{
	double		y[] = {3, -0.5, 2, 7};
	double		p[] = {2.5, 0.0, 2, 8};
	MLMetricSet m;
	double		yb[] = {0, 0, 1, 1};
	double		pb[] = {0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8};

	metrics_regression(y, p, 4, &m);
	/* scikit-learn's documented example: r2 0.9486..., mae 0.5 */
	CHECK_NEAR(metrics_get(&m, "r2"), 0.9486081370449679, 1e-12);
	CHECK_NEAR(metrics_get(&m, "mae"), 0.5, 1e-12);
	CHECK_NEAR(metrics_get(&m, "rmse"), sqrt(0.375), 1e-12);

	/* scores for class 1: 0.1, 0.4, 0.35, 0.8 -> roc_auc 0.75 */
	metrics_classification(yb, pb, 4, 2, &m);
	CHECK_NEAR(metrics_get(&m, "roc_auc"), 0.75, 1e-12);
	CHECK_NEAR(metrics_get(&m, "accuracy"), 0.75, 1e-12);
	CHECK_NEAR(metrics_get(&m, "precision"), 1.0, 1e-12);
	CHECK_NEAR(metrics_get(&m, "recall"), 0.5, 1e-12);
	CHECK_NEAR(metrics_get(&m, "f1"), 2.0 / 3.0, 1e-12);
	CHECK_NEAR(metrics_get(&m, "log_loss"),
			   -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4, 1e-12);
	/*
	 * scikit-learn 1.2: brier_score_loss(y, p1) 0.158125; calibration_curve
	 * (10 bins) gives bins {0.1}, {0.4, 0.35}, {0.8} against 0, 0.5, 1: ece
	 * 0.025 + 0.0625 + 0.05
	 */
	CHECK_NEAR(metrics_get(&m, "brier"), 0.158125, 1e-12);
	CHECK_NEAR(metrics_get(&m, "ece"), 0.1375, 1e-12);
	CHECK(metrics_valid(ML_CLASSIFICATION, "brier", NULL) && metrics_lower_better("brier"));
	CHECK(metrics_valid(ML_CLASSIFICATION, "ece", NULL) && metrics_lower_better("ece"));
	CHECK(!metrics_valid(ML_REGRESSION, "ece", NULL));

	/* ties count one half */
	{
		double		pos[] = {0, 1, 0, 1};
		double		sc[] = {0.5, 0.5, 0.2, 0.9};

		CHECK_NEAR(metrics_roc_auc_binary(pos, sc, 4), 0.875, 1e-12);
	}
}

/*
 * test/fixtures/metrics_sklearn.txt: cases produced by
 * test/ref/make_fixtures.py with scikit-learn.  Per case:
 *   case <n> <k>
 *   n lines: <label> <k probabilities>
 *   <metric> <value> lines, then "end"
 */
void
test_metrics_sklearn(void)
{
	FILE	   *f = fopen("test/fixtures/metrics_sklearn.txt", "r");
	char		word[64];
	int			cases = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (fscanf(f, "%63s", word) == 1)
	{
		size_t		n;
		int			k;
		double	   *y,
				   *p;
		MLMetricSet m;

		if (strcmp(word, "case") != 0 || fscanf(f, "%zu %d", &n, &k) != 2)
		{
			CHECK(!"malformed fixture");
			break;
		}
		y = ml_alloc(n * sizeof(double));
		p = ml_alloc(n * k * sizeof(double));
		for (size_t i = 0; i < n; i++)
		{
			if (fscanf(f, "%lf", &y[i]) != 1)
				CHECK(!"malformed fixture row");
			for (int c = 0; c < k; c++)
				if (fscanf(f, "%lf", &p[i * k + c]) != 1)
					CHECK(!"malformed fixture row");
		}
		metrics_classification(y, p, n, k, &m);
		while (fscanf(f, "%63s", word) == 1 && strcmp(word, "end") != 0)
		{
			double		want;

			if (fscanf(f, "%lf", &want) != 1)
				break;
			/* a NaN metric (or a metric missing from the set) fails */
			if (!unit_near(metrics_get(&m, word), want, 1e-9))
			{
				unit_failures++;
				fprintf(stderr, "  case %d: %s = %.12g, scikit-learn %.12g\n",
						cases, word, metrics_get(&m, word), want);
			}
		}
		free(y);
		free(p);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 3);
}
