/*
 * test_logistic.c
 *	  Unit tests of src/algo/logistic.c: binary and multinomial logistic
 *	  regression fit separable enough data well, with probabilities that sum
 *	  to one.
 */
#include "unit.h"
#include "tests.h"
#include "core/metrics.h"
#include "core/model.h"

void
test_logistic(void)
{
	MLDataset  *d = dataset_create(400, 2, 2);
	MLDataset  *d3 = dataset_create(600, 2, 3);
	MLModel    *m;
	double	   *proba = ml_alloc(400 * 2 * sizeof(double));
	double	   *X = ml_alloc(600 * 2 * sizeof(double));
	double	   *p3 = ml_alloc(600 * 3 * sizeof(double));
	MLMetricSet ms;
	MLParamValue tight[2] = {{.name = "tol", .kind = ML_VALUE_NUMBER, .num = 1e-9},
	{.name = "max_iter", .kind = ML_VALUE_NUMBER, .num = 1000}};

	for (size_t i = 0; i < 400; i++)
	{
		double		a = sin(i * 1.7) * 3,
					b = cos(i * 0.9) * 2;

		d->X[i] = a;
		d->X[400 + i] = b;
		d->y[i] = (a + 0.5 * b + 0.3 * sin(i * 13.1) > 0) ? 1 : 0;
		X[2 * i] = a;
		X[2 * i + 1] = b;
	}
	m = unit_fit_model("logistic", d, tight, 2);
	model_predict(m, X, 400, proba);
	metrics_classification(d->y, proba, 400, 2, &ms);
	CHECK(metrics_get(&ms, "accuracy") > 0.9);
	CHECK(metrics_get(&ms, "roc_auc") > 0.97);
	for (size_t i = 0; i < 400; i++)
		CHECK_NEAR(proba[2 * i] + proba[2 * i + 1], 1.0, 1e-12);

	for (size_t i = 0; i < 600; i++)
	{
		double		a = sin(i * 1.3) * 3,
					b = cos(i * 0.7) * 3;

		d3->X[i] = a;
		d3->X[600 + i] = b;
		d3->y[i] = a > 1 ? 2 : (b > 0 ? 1 : 0);
		X[2 * i] = a;
		X[2 * i + 1] = b;
	}
	m = unit_fit_model("logistic", d3, tight, 2);
	model_predict(m, X, 600, p3);
	metrics_classification(d3->y, p3, 600, 3, &ms);
	CHECK(metrics_get(&ms, "accuracy") > 0.85);
	CHECK_NEAR(p3[0] + p3[1] + p3[2], 1.0, 1e-12);
}
