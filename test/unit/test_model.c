/*
 * test_model.c
 *	  Unit tests of src/core/model.c: model bytes.  The same data and seed
 *	  give the same bytes; bytes read back predict alike; format 1 still
 *	  reads; every corruption and truncation is an error; every learner's
 *	  bytes survive a round trip.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/model.h"
#include "ensemble/ensemble.h"

void
test_model_bytes(void)
{
	MLDataset  *d = dataset_create(200, 2, 2);
	MLModel    *m1,
			   *m2,
			   *r;
	MLBuffer	b1,
				b2;
	double		x[2] = {0.3, -1.2},
				o1[2],
				o2[2];
	size_t		corrupt_ok = 0;

	for (size_t i = 0; i < 200; i++)
	{
		d->X[i] = sin(i * 0.37);
		d->X[200 + i] = cos(i * 0.11);
		d->y[i] = d->X[i] + 0.2 * d->X[200 + i] > 0.1 ? 1 : 0;
	}
	m1 = unit_fit_model("logistic", d, NULL, 0);
	m2 = unit_fit_model("logistic", d, NULL, 0);
	/* format 2's extension section: column kinds and feature means */
	{
		static double means[2] = {0.25, -0.5};

		m1->pipeline->cols[0].ctype = m2->pipeline->cols[0].ctype = ML_CT_TIMESTAMP;
		m1->pipeline->cols[0].type_name = m2->pipeline->cols[0].type_name = "timestamp with time zone";
		m1->feature_mean = m2->feature_mean = means;
	}
	buffer_init(&b1);
	buffer_init(&b2);
	model_write(m1, &b1);
	model_write(m2, &b2);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);

	r = model_read(b1.data, b1.len);
	model_predict(m1, x, 1, o1);
	model_predict(r, x, 1, o2);
	CHECK(o1[0] == o2[0] && o1[1] == o2[1]);
	CHECK(r->n_features == 2 && strcmp(r->feature_names[1], "b") == 0);
	CHECK(r->n_classes == 2 && strcmp(r->class_labels[1], "1") == 0);
	CHECK(r->pipeline->cols[0].ctype == ML_CT_TIMESTAMP && r->pipeline->cols[1].ctype == ML_CT_UNKNOWN);
	CHECK(strcmp(r->pipeline->cols[0].type_name, "timestamp with time zone") == 0);
	CHECK(r->feature_mean && r->feature_mean[0] == 0.25 && r->feature_mean[1] == -0.5);

	/* format 1 (before the extension section) still reads: ml_fit linear, y = f(x1, x2) */
	{
		static const char *v1 =
			"4d4c535101000200010002000000020000007831020000007831000000000101000100000000000000"
			"000000000000000000000000000000f03f000000000200000000000000020000007832020000007832"
			"000000000101000100000000000000000000000000000000000000000000f03f000000000200000000"
			"0000000100000079000000001c00000002000000280cc3300cc30040e13ccff33ccff33f1e18866118"
			"86f1bfcf2ab68e";
		uint8_t		bytes[256];
		size_t		n = strlen(v1) / 2;
		double		one[2] = {1, 1},
					o;
		MLModel    *old;

		for (size_t i = 0; i < n; i++)
			sscanf(v1 + 2 * i, "%2hhx", &bytes[i]);
		old = model_read(bytes, n);
		model_predict(old, one, 1, &o);
		CHECK_NEAR(o, 2.238095238, 1e-6);
		CHECK(old->pipeline->cols[0].ctype == ML_CT_UNKNOWN && old->feature_mean == NULL);
	}

	/* every single-byte corruption and every truncation is an error */
	for (size_t i = 0; i < b1.len; i++)
	{
		uint8_t		save = b1.data[i];

		b1.data[i] ^= 0x5A;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b1.data, b1.len));
		b1.data[i] = save;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b1.data, i));
		corrupt_ok++;
	}
	CHECK(corrupt_ok == b1.len);
}

/*
 * Every learner's bytes survive a round trip: read then write gives the
 * same bytes and the same predictions (classification with 3 classes and
 * regression), NaN features included for gbdt.
 */
void
test_learner_roundtrip(void)
{
	MLDataset  *dc = dataset_create(150, 2, 3),
			   *dr = dataset_create(150, 2, 0);
	double		x[6] = {0.3, -1.2, 2.0, 0.1, NAN, 0.5};	/* the NaN row: gbdt only */

	for (size_t i = 0; i < 150; i++)
	{
		dc->X[i] = dr->X[i] = sin(i * 0.37);
		dc->X[150 + i] = dr->X[150 + i] = cos(i * 0.11);
		dc->y[i] = (double) ((i * 7) % 3);
		dr->y[i] = dc->X[i] * 2 + dc->X[150 + i];
	}
	/* every learner of the registry but ensembles (their members are their own tests) */
	for (int a = 0; a < learner_count(); a++)
		for (int task = 0; task < 2; task++)
		{
			const MLLearner *l = learner_at(a);
			MLDataset  *d = task == 0 ? dc : dr;
			MLBuffer	b;
			double		o[9];
			size_t		rows = l->keep_missing ? 3 : 2;	/* the NaN row: learners that route NaN */

			if (ensemble_is(l) || !(l->tasks & ML_TASK_BIT(task == 0 ? ML_CLASSIFICATION : ML_REGRESSION)))
				continue;
			unit_check_round_trip(unit_fit_model(l->name, d, NULL, 0), x, rows, &b, o);
		}
}

/*
 * model_predict_columns scores a column-major matrix like model_predict
 * does row by row, on one thread and on several (learners that allow it
 * score blocks of rows on worker threads; the others on the caller).
 */
void
test_predict_columns(void)
{
	const char *learners[] = {"gbdt", "forest", "tree", "logistic"};
	MLParamValue small[] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 5},
	{.name = "n_estimators", .kind = ML_VALUE_NUMBER, .num = 5}, {0}, {0}};
	size_t		n = 9000;
	MLDataset  *d = unit_toy_classes(n, 3);

	for (size_t l = 0; l < sizeof(learners) / sizeof(learners[0]); l++)
	{
		MLModel    *m = unit_fit_model(learners[l], d, &small[l], l < 2 ? 1 : 0);
		size_t		k = model_output_width(m);
		double	   *one = ml_alloc(sizeof(double) * n * k),
				   *t1 = ml_alloc(sizeof(double) * n * k),
				   *t3 = ml_alloc(sizeof(double) * n * k);

		for (size_t i = 0; i < n; i++)
		{
			double		x[2] = {d->X[i], d->X[n + i]};

			model_predict(m, x, 1, one + i * k);
		}
		model_predict_columns(m, d->X, n, 2, t1, 1);
		model_predict_columns(m, d->X, n, 2, t3, 3);
		CHECK(memcmp(one, t1, sizeof(double) * n * k) == 0);
		CHECK(memcmp(one, t3, sizeof(double) * n * k) == 0);
		ml_free(one);
		ml_free(t1);
		ml_free(t3);
	}
}
