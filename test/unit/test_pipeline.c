/*
 * test_pipeline.c
 *	  Unit tests of src/core/pipeline.c: a pipeline fitted on mixed columns
 *	  (imputation, scaling, one-hot and target encoding) survives its bytes
 *	  and transforms alike.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/pipeline.h"

/* a pipeline fitted on mixed columns survives write / read and transforms alike */
void
test_pipeline(void)
{
	double		num[6] = {1, NAN, 3, 4, NAN, 6};
	char	   *str[6] = {"b", "a", NULL, "b", "c", "a"};
	double		y[6] = {10, 20, 30, 40, 50, 60};
	size_t		rows[6] = {0, 1, 2, 3, 4, 5};
	MLRawColumn cols[2] = {
		{"x", "x", 0, ML_COL_NUMERIC, num, NULL, ML_CT_NUMBER, "double precision"},
		{"s", "s", 0, ML_COL_CATEGORICAL, NULL, str, ML_CT_TEXT, "text"},
	};
	MLColumnOptions opts[2] = {{0}, {0}};
	MLPipelineDefaults def = {ML_ENCODE_ONEHOT, ML_SCALE_NONE, false};
	double	   *X;
	MLPipeline *p,
			   *r;
	MLBuffer	b;
	MLReader	rd;
	double		out1[8],
				out2[8];
	double		rn[2] = {NAN, 0};
	const char *rs[2] = {NULL, "zz"};
	size_t		rl[2] = {0, 2};

	opts[0].impute = ML_IMPUTE_INDICATOR;
	opts[0].scale = ML_SCALE_STANDARD;
	p = pipeline_fit(cols, 2, opts, &def, rows, 6, y, 0, 42, &X);
	CHECK(p->n_out == 2 + 3 + 2);
	CHECK(p->cols[0].imputed == 2 && p->cols[1].imputed == 1);
	CHECK_NEAR(p->cols[0].fill, 3.5, 1e-12);
	/* standardized x has mean 0 over the training rows */
	{
		double		m = 0;

		for (int i = 0; i < 6; i++)
			m += X[i];
		CHECK_NEAR(m, 0, 1e-12);
	}
	CHECK(X[1 * 6 + 1] == 1 && X[1 * 6 + 0] == 0);	/* was-missing */
	CHECK(X[(2 + 1) * 6 + 0] == 1);		/* "b" one-hot */
	CHECK(X[(2 + 4) * 6 + 2] == 1);		/* NULL -> __missing__ */
	buffer_init(&b);
	pipeline_write(p, &b);
	reader_init(&rd, b.data, b.len);
	r = pipeline_read(&rd);
	reader_expect_end(&rd);
	CHECK(r->n_out == p->n_out && strcmp(r->out_names[3], "s=b") == 0);
	pipeline_transform_row(p, rn, rs, rl, out1);
	pipeline_transform_row(r, rn, rs, rl, out2);
	CHECK(memcmp(out1, out2, sizeof(double) * 7) == 0);
	CHECK(out1[5] == 1);		/* unseen "zz" -> __other__ */

	/* target encoding: no training row sees its own target */
	opts[1].encode = ML_ENCODE_TARGET;
	opts[0].impute = ML_IMPUTE_MEAN;
	p = pipeline_fit(cols, 2, opts, &def, rows, 6, y, 0, 42, &X);
	CHECK(p->n_out == 2);
	{
		double		full = (y[0] + y[3] + 35) / 3.0;	/* "b": (10 + 40 + prior 35) / 3 */

		CHECK_NEAR(p->cols[1].te_values[1], full, 1e-12);
	}
}
