/*
 * test_calibrate.c
 *	  Unit tests of src/core/calibrate.c against scikit-learn 1.2
 *	  (test/fixtures/calibration_sklearn.txt, written by
 *	  test/ref/make_fixtures.py): isotonic and sigmoid calibrators, the
 *	  Brier score and the reliability curve; then the multiclass mapping,
 *	  the expected calibration error and the calibrator's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/calibrate.h"

/* one fixture case; false at the end of the file or on a malformed case */
static bool
check_case(FILE *f)
{
	char		word[64];
	size_t		n,
				m;
	int			bins;
	double	   *y,
			   *s,
			   *proba;
	MLCalibrator iso,
				sig;

	if (fscanf(f, "%63s %zu", word, &n) != 2 || strcmp(word, "case") != 0)
		return false;
	y = ml_alloc(n * sizeof(double));
	s = ml_alloc(n * sizeof(double));
	proba = ml_alloc(2 * n * sizeof(double));
	for (size_t i = 0; i < n; i++)
	{
		CHECK(fscanf(f, "%lf %lf", &y[i], &s[i]) == 2);
		proba[2 * i] = 1 - s[i];
		proba[2 * i + 1] = s[i];
	}
	calibrator_fit(&iso, ML_CALIB_ISOTONIC, s, y, NULL, n);
	calibrator_fit(&sig, ML_CALIB_SIGMOID, s, y, NULL, n);

	CHECK(fscanf(f, "%63s %zu", word, &m) == 2 && strcmp(word, "isotonic") == 0);
	for (size_t i = 0; i < m; i++)
	{
		double		at,
					want;

		CHECK(fscanf(f, "%lf %lf", &at, &want) == 2);
		CHECK_NEAR(calibrator_apply(&iso, at), want, 1e-12);
	}
	{
		double		a,
					b;

		CHECK(fscanf(f, "%63s %lf %lf", word, &a, &b) == 3 && strcmp(word, "sigmoid") == 0);
		/* scipy's BFGS stops at a gradient of 1e-5; Newton goes further */
		CHECK_NEAR(sig.a, a, 1e-4 * (1 + fabs(a)));
		CHECK_NEAR(sig.b, b, 1e-4 * (1 + fabs(b)));
		for (size_t i = 0; i < n; i++)
			CHECK_NEAR(calibrator_apply(&sig, s[i]), 1 / (1 + exp(a * s[i] + b)), 1e-5);
	}
	{
		double		want;

		CHECK(fscanf(f, "%63s %lf", word, &want) == 2 && strcmp(word, "brier") == 0);
		CHECK_NEAR(calibration_brier(y, proba, n, 2), want, 1e-12);
	}
	CHECK(fscanf(f, "%63s %d %zu", word, &bins, &m) == 3 && strcmp(word, "curve") == 0);
	{
		int		   *bin = ml_alloc(bins * sizeof(int));
		double	   *mp = ml_alloc(bins * sizeof(double));
		double	   *ob = ml_alloc(bins * sizeof(double));
		int64_t    *cnt = ml_alloc(bins * sizeof(int64_t));
		int			got = calibration_curve(y, proba, n, 2, bins, bin, mp, ob, cnt);
		double		ece = 0;

		CHECK(got == (int) m);
		for (size_t i = 0; i < m; i++)
		{
			double		pp,
						pt;

			CHECK(fscanf(f, "%lf %lf", &pp, &pt) == 2);
			if ((int) i < got)
			{
				CHECK_NEAR(mp[i], pp, 1e-12);
				CHECK_NEAR(ob[i], pt, 1e-12);
				ece += (double) cnt[i] / n * fabs(pp - pt);
			}
		}
		CHECK_NEAR(calibration_ece(y, proba, n, 2, bins), ece, 1e-12);
		free(bin);
		free(mp);
		free(ob);
		free(cnt);
	}
	CHECK(fscanf(f, "%63s", word) == 1 && strcmp(word, "end") == 0);
	calibrator_free(&iso);
	free(y);
	free(s);
	free(proba);
	return true;
}

void
test_calibrate_sklearn(void)
{
	FILE	   *f = fopen("test/fixtures/calibration_sklearn.txt", "r");
	int			cases = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (check_case(f))
		cases++;
	fclose(f);
	CHECK(cases == 3);
}

void
test_calibrate_multiclass(void)
{
	/* three classes; class 2's calibrator maps everything to 0 */
	double		s[] = {0.1, 0.4, 0.6, 0.9};
	double		pos[] = {0, 0, 1, 1};
	double		neg[] = {0, 0, 0, 0};
	double		proba[] = {0.2, 0.3, 0.5, 0.9, 0.05, 0.05};
	double		y[] = {2, 0};
	MLCalibrator cal[3];

	calibrator_fit(&cal[0], ML_CALIB_ISOTONIC, s, pos, NULL, 4);
	calibrator_fit(&cal[1], ML_CALIB_ISOTONIC, s, pos, NULL, 4);
	calibrator_fit(&cal[2], ML_CALIB_ISOTONIC, s, neg, NULL, 4);
	/* brier sums over classes: (0.04 + 0.09 + 0.25) and (0.01 + 0.0025 + 0.0025) */
	CHECK_NEAR(calibration_brier(y, proba, 2, 3), (0.38 + 0.015) / 2, 1e-15);
	/* top-label ECE with 2 bins: row 1 (0.5, wrong) in bin 0, row 2 (0.9, right) in bin 1 */
	CHECK_NEAR(calibration_ece(y, proba, 2, 3, 2), 0.5 * 0.5 + 0.5 * 0.1, 1e-15);
	calibrate_probabilities(cal, 3, proba, 2);
	/* row 1: c0(0.2) = 0, c1(0.3) = 0, c2 = 0: all zero, so uniform */
	CHECK_NEAR(proba[0], 1.0 / 3, 1e-15);
	CHECK_NEAR(proba[2], 1.0 / 3, 1e-15);
	/* row 2: c0(0.9) = 1, c1(0.05) = 0, c2 = 0 */
	CHECK_NEAR(proba[3], 1, 1e-15);
	CHECK_NEAR(proba[4] + proba[5], 0, 1e-15);
	for (int j = 0; j < 3; j++)
		calibrator_free(&cal[j]);
}

void
test_calibrate_bytes(void)
{
	double		s[] = {0.1, 0.3, 0.3, 0.5, 0.7, 0.9, 0.2};
	double		y[] = {0, 1, 0, 0, 1, 1, 0};
	MLCalibration methods[] = {ML_CALIB_ISOTONIC, ML_CALIB_SIGMOID};

	for (int m = 0; m < 2; m++)
	{
		MLCalibrator c,
					back;
		MLBuffer	b;
		MLReader	r;

		calibrator_fit(&c, methods[m], s, y, NULL, 7);
		CHECK(calibration_from_name(calibration_name(methods[m])) == methods[m]);
		buffer_init(&b);
		calibrator_write(&c, &b);
		reader_init(&r, b.data, b.len);
		calibrator_read(&back, &r);
		reader_expect_end(&r);
		for (double at = -0.5; at <= 1.5; at += 0.125)
			CHECK(calibrator_apply(&c, at) == calibrator_apply(&back, at));
		/* both maps rise with the score on these rows */
		for (double at = 0; at < 1; at += 0.01)
			CHECK(calibrator_apply(&c, at) <= calibrator_apply(&c, at + 0.01));
		if (methods[m] == ML_CALIB_ISOTONIC)
		{
			/* a y value above 1 is corrupt */
			memcpy(b.data + b.len - 8, &(double) {1.5}, 8);
			reader_init(&r, b.data, b.len);
			EXPECT_ERROR(ML_ERR_CORRUPT, calibrator_read(&back, &r));
		}
		calibrator_free(&c);
		calibrator_free(&back);
		ml_free(b.data);
	}
	CHECK(calibration_from_name("platt") == 0);
	EXPECT_ERROR(ML_ERR_DATA, ({ MLCalibrator c; calibrator_fit(&c, ML_CALIB_ISOTONIC, s, y, NULL, 0); }));
}
