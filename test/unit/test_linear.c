/*
 * test_linear.c
 *	  Unit tests of src/algo/linear.c: least squares and ridge against their
 *	  closed forms, and the minimum-norm solution on collinear columns.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/model.h"

void
test_linear_exact(void)
{
	MLDataset  *d = dataset_create(50, 2, 0);
	MLModel    *m;
	double		x[2] = {1, 1},
				out;

	for (size_t i = 0; i < 50; i++)
	{
		d->X[i] = (double) i;
		d->X[50 + i] = sin((double) i);
		d->y[i] = 2 * d->X[i] - 3 * d->X[50 + i] + 5;
	}
	m = unit_fit_model("linear", d, NULL, 0);
	model_predict(m, x, 1, &out);
	CHECK_NEAR(out, 2 - 3 + 5, 1e-9);

	/* ridge, one feature: w = Sxy / (Sxx + alpha) on centered data */
	{
		MLDataset  *r = dataset_create(5, 1, 0);
		double		xs[] = {1, 2, 3, 4, 10},
					ys[] = {2, 1, 4, 3, 9},
					sxx = 0,
					sxy = 0,
					w,
					zero = 0;
		MLParamValue a = {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 2.0};

		memcpy(r->X, xs, sizeof(xs));
		memcpy(r->y, ys, sizeof(ys));
		for (int i = 0; i < 5; i++)
		{
			sxx += (xs[i] - 4) * (xs[i] - 4);
			sxy += (xs[i] - 4) * (ys[i] - 3.8);
		}
		w = sxy / (sxx + 2.0);
		m = unit_fit_model("linear", r, &a, 1);
		model_predict(m, &zero, 1, &out);
		CHECK_NEAR(out, 3.8 - 4 * w, 1e-12);
	}

	/* collinear columns with alpha = 0: minimum-norm least squares */
	{
		MLDataset  *c = dataset_create(20, 2, 0);

		for (size_t i = 0; i < 20; i++)
		{
			c->X[i] = (double) i;
			c->X[20 + i] = (double) i;
			c->y[i] = 4.0 * i + 1;
		}
		m = unit_fit_model("linear", c, NULL, 0);
		model_predict(m, x, 1, &out);
		CHECK_NEAR(out, 4.0 * 1 + 1, 1e-9);
	}
}
