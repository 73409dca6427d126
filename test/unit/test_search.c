/*
 * test_search.c
 *	  Unit tests of src/core/search.c: search spaces parsed, enumerated as a
 *	  grid, and sampled (random and TPE) reproducibly within bounds.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/json.h"
#include "core/search.h"

/* search spaces: parsing, the grid, reproducible and bounded proposals */
void
test_search_space(void)
{
	const char *t = "{\"a\": [1, \"x\", {\"k\": 2}], \"b\": {\"log_uniform\": [0.001, 10]}, "
		"\"c\": {\"int_uniform\": [2, 5]}, \"d\": {\"uniform\": [-1, 1]}}";
	MLSpace    *sp = space_parse(t, strlen(t));
	static const char *const bad[] = {"[]", "{}", "{\"a\": []}", "{\"a\": {\"normal\": [0, 1]}}",
		"{\"a\": {\"uniform\": [2, 1]}}", "{\"a\": {\"log_uniform\": [0, 1]}}",
		"{\"a\": {\"int_uniform\": [0.5, 1]}}", "{\"a\": {\"uniform\": [0]}}", "{\"a\": 3}",
	"{\"a.\": [1]}", "{\"a..b\": [1]}"};
	double		v[4],
				w[4],
				pts[40 * 4],
				sc[40];
	int			below = 0;
	MLSpace    *g;
	const char *gt = "{\"a\": [1, 2, 3], \"b\": [true, false]}";

	CHECK(sp->n == 4 && sp->p[0].kind == ML_DIST_CHOICE && sp->p[1].kind == ML_DIST_LOG_UNIFORM);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERROR(ML_ERR_PARAM, space_parse(bad[i], strlen(bad[i])));
	EXPECT_ERROR(ML_ERR_PARAM, space_grid_size(sp));
	g = space_parse(gt, strlen(gt));
	CHECK(space_grid_size(g) == 6);
	space_grid_point(g, 3, v);
	CHECK(v[0] == 1 && v[1] == 1);
	for (int t2 = 0; t2 < 40; t2++)
	{
		space_random_point(sp, 9, t2, v);
		space_random_point(sp, 9, t2, w);
		CHECK(memcmp(v, w, sizeof(v)) == 0);
		CHECK(v[0] >= 0 && v[0] < 3 && v[0] == floor(v[0]));
		CHECK(v[1] >= 0.001 && v[1] <= 10);
		CHECK(v[2] >= 2 && v[2] <= 5 && v[2] == floor(v[2]));
		CHECK(v[3] >= -1 && v[3] <= 1);
		below += v[1] < 0.1;	/* log scale: half the draws below the geometric mean */
		memcpy(pts + t2 * 4, v, sizeof(v));
		sc[t2] = -fabs(log10(v[1]) + 1) - fabs(v[3] - 0.5);	/* best near b = 0.1, d = 0.5 */
	}
	CHECK(below >= 10 && below <= 30);
	/* TPE: reproducible, in bounds, and drawn toward the good region */
	{
		double		near = 0;

		for (int t2 = 40; t2 < 60; t2++)
		{
			space_tpe_point(sp, 9, t2, pts, sc, 40, 8, v);
			space_tpe_point(sp, 9, t2, pts, sc, 40, 8, w);
			CHECK(memcmp(v, w, sizeof(v)) == 0);
			CHECK(v[1] >= 0.001 && v[1] <= 10 && v[2] >= 2 && v[2] <= 5 && v[3] >= -1 && v[3] <= 1);
			near += unit_near(log10(v[1]), -1, 1) && unit_near(v[3], 0.5, 0.5);
		}
		CHECK(near >= 10);		/* a random point lands there a quarter of the time */
	}
	/* values read back from stored trials */
	{
		MLJson	   *o = json_parse("{\"k\": 2}", 8, "t");
		MLJson	   *x = json_parse("\"x\"", 3, "t");
		MLJson	   *n = json_parse("0.5", 3, "t");

		CHECK(space_value_from_json(sp, 0, o) == 2);
		CHECK(space_value_from_json(sp, 0, x) == 1);
		CHECK(isnan(space_value_from_json(sp, 0, n)));
		CHECK(space_value_from_json(sp, 3, n) == 0.5);
	}
}
