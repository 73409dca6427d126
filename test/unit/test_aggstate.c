/*
 * test_aggstate.c
 *	  Unit tests of src/core/aggstate.c: ml_fit's aggregate states merge in
 *	  any order to the model the whole gives, survive their bytes, and
 *	  refuse corruption and bad rows.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/aggstate.h"
#include "core/buffer.h"
#include "core/model.h"

/*
 * ml_fit states: a state split in parts and merged (any order) trains the
 * model the whole gives; bytes round-trip; every corruption is an error
 */
void
test_aggstate(void)
{
	int			tried = 0;

	/* every learner of the registry, on the first task it supports */
	for (volatile int a = 0; a < learner_count(); a++)
	{
		const MLLearner *l = learner_at(a);
		MLTask		task = (l->tasks & ML_TASK_BIT(ML_REGRESSION)) ? ML_REGRESSION :
			(l->tasks & ML_TASK_BIT(ML_CLASSIFICATION)) ? ML_CLASSIFICATION :
			(l->tasks & ML_TASK_BIT(ML_CLUSTERING)) ? ML_CLUSTERING : ML_ANOMALY;
		bool		cls = task == ML_CLASSIFICATION;
		const char *name = l->name;
		/* ensembles of members need their members named */
		const char *params = strcmp(name, "voting") == 0 || strcmp(name, "stacking") == 0
			? "{\"estimators\": [{\"algorithm\": \"linear\"}, {\"algorithm\": \"tree\"}]}" : "{}";
		MLAggState *whole = agg_new(name, params, task, cls ? ML_LABEL_TEXT : ML_LABEL_NONE);
		MLAggState *part[3];
		MLBuffer	b1,
					b2;
		MLModel    *m1,
				   *m2;
		double		x[3],
					o1[3],
					o2[3];

		for (int q = 0; q < 3; q++)
			part[q] = agg_new(name, params, whole->task, whole->label_type);
		for (int i = 0; i < 700; i++)
		{
			char		lab[8];

			x[0] = sin(i * 0.3);
			x[1] = cos(i * 0.7) * 3;
			x[2] = (i % 11) * 0.5;
			snprintf(lab, sizeof(lab), "c%d", (i * 7) % 3);
			agg_add(whole, x, 3, 2 * x[0] - x[1] + 0.1 * x[2] + 0.01 * (i % 5), lab);
			agg_add(part[i % 3], x, 3, 2 * x[0] - x[1] + 0.1 * x[2] + 0.01 * (i % 5), lab);
		}
		/* merge 2 into 1 through bytes, then 0 into that */
		buffer_init(&b1);
		agg_write(part[2], &b1);
		agg_merge(part[1], agg_read(b1.data, b1.len));
		agg_merge(part[1], part[0]);
		CHECK(part[1]->n == whole->n);
		buffer_init(&b2);
		agg_write(whole, &b2);
		CHECK(agg_read(b2.data, b2.len)->n == 700);
		m1 = agg_finish(whole, 1);
		m2 = agg_finish(part[1], 1);
		x[0] = 0.2;
		x[1] = -1;
		x[2] = 3;
		model_predict(m1, x, 1, o1);
		model_predict(m2, x, 1, o2);
		for (size_t j = 0; j < model_output_width(m1); j++)
			if (!unit_near(o1[j], o2[j], 1e-9))
			{
				unit_failures++;
				fprintf(stderr, "  %s: merged state predicts %.17g, the whole %.17g\n", name, o2[j], o1[j]);
			}
		tried++;
		if (strcmp(name, "linear") == 0)
			CHECK_NEAR(o1[0], 2 * 0.2 + 1 + 0.3 + 0.02, 0.02);
		/* every flipped byte and every truncation is caught */
		for (volatile size_t i = 0; i < b2.len; i += 7)
		{
			b2.data[i] ^= 0x10;
			EXPECT_ERROR(ML_ERR_CORRUPT, agg_read(b2.data, b2.len));
			b2.data[i] ^= 0x10;
		}
		for (volatile size_t len = 0; len < b2.len; len += 13)
			EXPECT_ERROR(ML_ERR_CORRUPT, agg_read(b2.data, len));
	}
	CHECK(tried == learner_count());
	/* shape and data errors */
	{
		MLAggState *s = agg_new("linear", "{}", ML_REGRESSION, ML_LABEL_NONE);
		double		x[2] = {1, 2},
					bad[2] = {1, NAN};

		agg_add(s, x, 2, 1, NULL);
		EXPECT_ERROR(ML_ERR_DATA, agg_add(s, x, 1, 1, NULL));
		EXPECT_ERROR(ML_ERR_DATA, agg_add(s, bad, 2, 1, NULL));
		EXPECT_ERROR(ML_ERR_PARAM, agg_new("nope", "{}", ML_REGRESSION, ML_LABEL_NONE));
		EXPECT_ERROR(ML_ERR_PARAM, agg_new("tree", "{\"max_depth\": 0}", ML_REGRESSION, ML_LABEL_NONE));
		EXPECT_ERROR(ML_ERR_DATA, agg_finish(agg_new("tree", "{}", ML_REGRESSION, ML_LABEL_NONE), 1));
	}
}
