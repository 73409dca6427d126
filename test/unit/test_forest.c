/*
 * test_forest.c
 *	  Unit tests of src/algo/forest.c: a forest's bytes do not depend on the
 *	  number of threads that grew it.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/model.h"

/* a forest does not depend on the number of threads that grew it */
void
test_forest_threads(void)
{
	MLDataset  *d = unit_toy_classes(600, 3);
	MLBuffer	b[3];
	const MLLearner *l = learner_find("forest");
	MLParamValue v = {.name = "n_estimators", .kind = ML_VALUE_NUMBER, .num = 24};

	for (int t = 0; t < 3; t++)
	{
		MLFitContext ctx = {0};
		void	   *st;

		ctx.seed = 7;
		ctx.threads = t == 0 ? 1 : 4;
		st = l->fit(d, NULL, params_resolve("forest", l->params, &v, 1), &ctx);
		buffer_init(&b[t]);
		l->write(st, &b[t]);
	}
	CHECK(b[0].len == b[1].len && memcmp(b[0].data, b[1].data, b[0].len) == 0);
	CHECK(b[1].len == b[2].len && memcmp(b[1].data, b[2].data, b[1].len) == 0);
}
