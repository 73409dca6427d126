/*
 * test_calibrated.c
 *	  Unit tests of src/ensemble/calibrated.c, the calibrated learner:
 *	  bytes round trip, probabilities that sum to one, a base whose bytes are
 *	  those of the base trained alone, out-of-fold calibration that lowers
 *	  the Brier score of an over-confident base, and corrupt bytes that are
 *	  errors, never crashes.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/calibrate.h"
#include "core/model.h"

static MLParamValue
param(const char *name, const char *s)
{
	MLParamValue v = {0};

	v.name = name;
	if (s[0] == '{')
	{
		v.kind = ML_VALUE_MAP;
		v.json = s;
	}
	else
	{
		v.kind = ML_VALUE_STRING;
		v.str = s;
	}
	return v;
}

/* noisy classes: naive Bayes on correlated copies of one signal is over-confident */
static MLDataset *
noisy(size_t n, int k)
{
	MLDataset  *d = dataset_create(n, 4, k);
	uint64_t	s = 12345;

	for (size_t i = 0; i < n; i++)
	{
		double		z;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		z = (double) (s >> 11) * 0x1.0p-53;
		d->y[i] = (double) (i % (size_t) k);
		for (size_t j = 0; j < 4; j++)
			d->X[j * n + i] = d->y[i] * 0.6 + 2.0 * z + 0.01 * (double) j;
	}
	return d;
}

/* the u8 method, u16 id, u32 length and base bytes at the start of a payload */
static void
base_bytes(const MLModel *m, MLBuffer *out)
{
	MLBuffer	b;
	uint32_t	len;

	buffer_init(&b);
	m->learner->write(m->state, &b);
	memcpy(&len, b.data + 3, 4);	/* little-endian hosts only, as the tests run */
	buffer_init(out);
	buffer_put_bytes(out, b.data + 7, len);
}

void
test_calibrated(void)
{
	for (int k = 2; k <= 3; k++)
		for (int meth = 0; meth < 2; meth++)
		{
			MLDataset  *d = noisy(400, k);
			MLParamValue v[2] = {param("base", "{\"algorithm\": \"naive_bayes\"}"),
			param("method", meth ? "sigmoid" : "isotonic")};
			MLModel    *m = unit_fit_model("calibrated", d, v, 2),
					   *b = unit_fit_model("naive_bayes", d, NULL, 0);
			MLBuffer	b1,
						mb,
						bb;
			double		x[8] = {0.1, 0.2, 0.3, 0.4, 1.9, 1.8, 1.7, 1.6},
						o[64];
			double	   *pc = ml_alloc(sizeof(double) * 400 * k),
					   *pb = ml_alloc(sizeof(double) * 400 * k),
					   *X = ml_alloc(sizeof(double) * 400 * 4);

			unit_check_round_trip(m, x, 2, &b1, o);
			for (int r = 0; r < 2; r++)
			{
				double		s = 0;

				for (int c = 0; c < k; c++)
					s += o[r * k + c];
				CHECK_NEAR(s, 1.0, 1e-12);
			}
			/* the base is the base trained alone, byte for byte */
			base_bytes(m, &mb);
			buffer_init(&bb);
			b->learner->write(b->state, &bb);
			CHECK(mb.len == bb.len && memcmp(mb.data, bb.data, bb.len) == 0);
			/* ... a seeded base too (the folds draw other seeds) */
			{
				MLParamValue fv = param("base", "{\"algorithm\": \"forest\", \"n_estimators\": 5}");
				MLParamValue fb = {.name = "n_estimators", .kind = ML_VALUE_NUMBER, .num = 5};
				MLModel    *fm = unit_fit_model("calibrated", d, &fv, 1),
						   *fo = unit_fit_model("forest", d, &fb, 1);

				base_bytes(fm, &mb);
				buffer_init(&bb);
				fo->learner->write(fo->state, &bb);
				CHECK(mb.len == bb.len && memcmp(mb.data, bb.data, bb.len) == 0);
			}

			/* calibration lowers the Brier score of the over-confident base (training rows) */
			for (size_t i = 0; i < 400; i++)
				for (size_t j = 0; j < 4; j++)
					X[i * 4 + j] = d->X[j * 400 + i];
			model_predict(m, X, 400, pc);
			model_predict(b, X, 400, pb);
			CHECK(calibration_brier(d->y, pc, 400, k) < calibration_brier(d->y, pb, 400, k));
			CHECK(calibration_ece(d->y, pc, 400, k, 10) < calibration_ece(d->y, pb, 400, k, 10));

			/* every truncation and a flip of every byte: an error or a valid model */
			for (volatile size_t cut = 0; cut < b1.len; cut++)
				EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b1.data, cut));
			{
				MLReader	r;
				MLBuffer	pay;

				buffer_init(&pay);
				m->learner->write(m->state, &pay);
				for (volatile size_t at = 0; at < pay.len; at++)
				{
					jmp_buf		jb;

					pay.data[at] ^= 0x5A;
					unit_catch = &jb;
					if (setjmp(jb) == 0)
					{
						void	   *st;

						reader_init(&r, pay.data, pay.len);
						st = m->learner->read(&r, 4, k);
						reader_expect_end(&r);
						/* read back: it must score without a crash */
						m->learner->predict(st, x, 2, o);
					}
					unit_catch = NULL;
					pay.data[at] ^= 0x5A;
				}
				/* a base of the wrong kind, a bad count of calibrators */
				pay.data[1] = 13;	/* kmeans: not a classifier */
				pay.data[2] = 0;
				reader_init(&r, pay.data, pay.len);
				EXPECT_ERROR(ML_ERR_CORRUPT, m->learner->read(&r, 4, k));
			}
			/* bad configurations */
			{
				MLParamValue bad = param("base", "{\"algorithm\": \"kmeans\"}");
				MLParamValue bad2 = param("base", "{\"algorithm\": \"calibrated\"}");
				MLParamValue bad3 = param("method", "platt");

				EXPECT_ERROR(ML_ERR_PARAM, unit_fit_model("calibrated", d, &bad, 1));
				EXPECT_ERROR(ML_ERR_PARAM, unit_fit_model("calibrated", d, &bad2, 1));
				EXPECT_ERROR(ML_ERR_PARAM, unit_fit_model("calibrated", d, &bad3, 1));
			}
			ml_free(pc);
			ml_free(pb);
			ml_free(X);
		}
}
