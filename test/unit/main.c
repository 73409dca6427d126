/*
 * main.c
 *	  The unit-test runner of src/core, src/algo and src/ensemble, run without
 *	  a server from the repository root (fixtures are read from
 *	  test/fixtures).  Runs the tests of the table in order and prints a TAP
 *	  plan, one "ok" / "not ok - unit/NAME" line per test and
 *	  "unit: N passed, N failed"; exits 1 when a test failed.
 */
#include <stdio.h>

#include "unit.h"
#include "tests.h"
#include "core/linalg.h"

/* one line per test: its name in the output, its function (tests.h) */
static const struct
{
	const char *name;
	unit_fn		fn;
}			tests[] = {
	{"sketch_exact", test_sketch_exact},
	{"sketch_approx", test_sketch_approx},
	{"sketch_merge", test_sketch_merge},
	{"sketch_categories", test_sketch_categories},
	{"engine_merge", test_engine_merge},
	{"halving_schedule", test_halving_schedule},
	{"halving_ranking", test_halving_ranking},
	{"gbdt_shap", test_gbdt_shap},
	{"gbdt_train_pred", test_gbdt_train_pred},
	{"learner_roundtrip", test_learner_roundtrip},
	{"registry", test_registry},
	{"rule", test_rule},
	{"gbdt_row_paths", test_gbdt_row_paths},
	{"tree_shap", test_tree_shap},
	{"forest_threads", test_forest_threads},
	{"sortcount", test_sortcount},
	{"sort_large", test_sort_large},
	{"split_assign", test_split_assign},
	{"column_stats", test_column_stats},
	{"row_hashes", test_row_hashes},
	{"pipeline", test_pipeline},
	{"crc32c", test_crc32c},
	{"buffer_roundtrip", test_buffer_roundtrip},
	{"params", test_params},
	{"json", test_json},
	{"aggstate", test_aggstate},
	{"search_space", test_search_space},
	{"ensembles", test_ensembles},
	{"worker_errors", test_worker_errors},
	{"worker_crew", test_worker_crew},
	{"predict_columns", test_predict_columns},
	{"split", test_split},
	{"metrics_hand", test_metrics_hand},
	{"metrics_sklearn", test_metrics_sklearn},
	{"linear_exact", test_linear_exact},
	{"logistic", test_logistic},
	{"model_bytes", test_model_bytes},
	{"lbfgs", test_lbfgs},
	{"calibrate_sklearn", test_calibrate_sklearn},
	{"calibrate_multiclass", test_calibrate_multiclass},
	{"calibrate_bytes", test_calibrate_bytes},
	{"calibrated", test_calibrated},
	{"label_issues", test_label_issues},
	{"sanity_univariate", test_sanity_univariate},
	{"sanity_rows_shared", test_sanity_rows_shared},
	{"ensemble_select", test_ensemble_select},
	{"automl", test_automl},
};

int
main(void)
{
	int			passed = 0,
				failed = 0;

	linalg_set_threads(1);
	printf("1..%zu\n", sizeof(tests) / sizeof(tests[0]));
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
	{
		unit_failures = 0;
		tests[i].fn();
		if (unit_failures == 0)
		{
			printf("ok - unit/%s\n", tests[i].name);
			passed++;
		}
		else
		{
			printf("not ok - unit/%s\n", tests[i].name);
			failed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
