/*
 * test_params.c
 *	  Unit tests of src/core/params.c: learner parameters resolved against
 *	  their specs (defaults, types, ranges, choices) and written back as
 *	  JSON; every bad value is an error that names it.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/params.h"

static const MLParamSpec spec[] = {
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 10.0, NULL, NULL, "penalty"},
	{"iters", ML_PARAM_INT, 5, 1, 100, NULL, NULL, "iterations"},
	{"flag", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "a flag"},
	{"mode", ML_PARAM_STRING, 0, 0, 0, "a", "a,bb,c", "a mode"},
	{NULL}
};

void
test_params(void)
{
	MLParamValue v[3] = {
		{.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 0.5},
		{.name = "mode", .kind = ML_VALUE_STRING, .num = 0, .str = "bb"},
		{.name = "flag", .kind = ML_VALUE_BOOL, .num = 1},
	};
	MLParams   *p = params_resolve("t", spec, v, 3);
	MLParamValue bad;
	MLBuffer	j;

	CHECK(params_get_num(p, "alpha") == 0.5);
	CHECK(params_get_num(p, "iters") == 5);
	CHECK(params_get_num(p, "flag") == 1);
	CHECK(strcmp(params_get_str(p, "mode"), "bb") == 0);
	buffer_init(&j);
	params_to_json(p, &j);
	buffer_put_u8(&j, 0);
	CHECK(strcmp((char *) j.data,
				 "{\"alpha\": 0.5, \"iters\": 5, \"flag\": true, \"mode\": \"bb\"}") == 0);

	bad = (MLParamValue) {.name = "alhpa", .kind = ML_VALUE_NUMBER, .num = 1};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	CHECK(strstr(unit_last_msg, "alhpa") != NULL);
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_STRING, .num = 0, .str = "big"};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 11};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "iters", .kind = ML_VALUE_NUMBER, .num = 2.5};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "flag", .kind = ML_VALUE_NUMBER, .num = 1};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "mode", .kind = ML_VALUE_STRING, .num = 0, .str = "b"};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = NAN};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
}
