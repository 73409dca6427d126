/*
 * test_ensemble.c
 *	  Unit tests of src/ensemble/ensemble.c: voting, stacking and bagging:
 *	  bytes, thread-count independence, member feature subsets, and bad
 *	  configurations.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/model.h"

/* a parameter given as JSON text: a map when it opens with '{' */
static MLParamValue
json_param(const char *name, const char *json)
{
	MLParamValue v = {0};

	v.name = name;
	v.kind = json[0] == '{' ? ML_VALUE_MAP : ML_VALUE_OTHER;
	v.json = json;
	return v;
}

/*
 * Ensembles: bytes survive a round trip with the same predictions, the
 * same seed gives the same bytes whatever the thread count, a member's
 * feature subset is kept, and bad configurations are errors.
 */
void
test_ensembles(void)
{
	MLDataset  *dc = dataset_create(200, 3, 3),
			   *dr = dataset_create(200, 3, 0);
	double		x[6] = {0.3, -1.2, 2.0, 0.1, 0.4, 0.5};
	MLParamValue vote[2],
				stack[2],
				bag[2];
	static const char *const bad[][2] = {
		{"voting", "[]"},
		{"voting", "[{\"algorithm\": \"nope\"}]"},
		{"voting", "[{\"algorithm\": \"kmeans\"}]"},
		{"voting", "[{\"k\": 3}]"},
		{"voting", "[3]"},
		{"voting", "[{\"algorithm\": \"knn\", \"features\": [\"zz\"]}]"},
		{"voting", "[{\"algorithm\": \"knn\", \"k\": -1}]"},
		{"voting", "[{\"algorithm\": \"voting\", \"estimators\": [{\"algorithm\": \"voting\", "
		"\"estimators\": [{\"algorithm\": \"voting\", \"estimators\": [{\"algorithm\": \"tree\"}]}]}]}]"},
	};

	for (size_t i = 0; i < 200; i++)
	{
		dc->X[i] = dr->X[i] = sin(i * 0.37);
		dc->X[200 + i] = dr->X[200 + i] = cos(i * 0.11);
		dc->X[400 + i] = dr->X[400 + i] = (double) (i % 7);
		dc->y[i] = (double) ((i * 7) % 3);
		dr->y[i] = dc->X[i] * 2 + dc->X[200 + i];
	}
	vote[0] = json_param("estimators", "[{\"algorithm\": \"tree\", \"max_depth\": 3}, "
						 "{\"algorithm\": \"knn\", \"features\": [\"a\", \"c\"]}, "
						 "{\"algorithm\": \"bagging\", \"n_estimators\": 3}]");
	vote[1].name = "voting";
	vote[1].kind = ML_VALUE_STRING;
	vote[1].str = "soft";
	stack[0] = vote[0];
	stack[1].name = "folds";
	stack[1].kind = ML_VALUE_NUMBER;
	stack[1].num = 3;
	bag[0] = json_param("base", "{\"algorithm\": \"tree\", \"max_depth\": 4}");
	bag[1].name = "n_estimators";
	bag[1].kind = ML_VALUE_NUMBER;
	bag[1].num = 7;
	for (int e = 0; e < 3; e++)
		for (int task = 0; task < 2; task++)
		{
			const char *name = e == 0 ? "voting" : e == 1 ? "stacking" : "bagging";
			const MLParamValue *v = e == 0 ? vote : e == 1 ? stack : bag;
			MLDataset  *d = task == 0 ? dc : dr;
			MLModel    *m2;
			MLBuffer	b1,
						b3;
			double		o1[6];
			size_t		w = task == 0 ? 3 : 1;

			unit_check_round_trip(unit_fit_model(name, d, v, 2), x, 2, &b1, o1);
			for (size_t j = 0; j < 2 * w; j++)
				CHECK(isfinite(o1[j]));
			if (task == 0)
				CHECK_NEAR(o1[0] + o1[1] + o1[2], 1.0, 1e-12);
			/* all cores, then one thread: the same bytes */
			unit_fit_threads = 1;
			m2 = unit_fit_model(name, d, v, 2);
			unit_fit_threads = 0;
			buffer_init(&b3);
			model_write(m2, &b3);
			CHECK(b1.len == b3.len && memcmp(b1.data, b3.data, b1.len) == 0);
		}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		MLParamValue v = json_param("estimators", bad[i][1]);

		EXPECT_ERROR(ML_ERR_PARAM, unit_fit_model(bad[i][0], dc, &v, 1));
	}
	{
		MLParamValue v[2] = {json_param("estimators", "[{\"algorithm\": \"tree\"}]")};

		v[1].name = "folds";
		v[1].kind = ML_VALUE_NUMBER;
		v[1].num = 500;
		EXPECT_ERROR(ML_ERR_PARAM, unit_fit_model("stacking", dc, v, 2));
	}
}
