/*
 * tests.h
 *	  Every unit test, by the file that holds it: one file per module under
 *	  test, named after it (test_dataset.c tests src/core/dataset.c).  main.c
 *	  runs them in the order of its table.  A new test: its function in the
 *	  module's file, a line here, a line in main.c's table.
 */
#ifndef TESTS_H
#define TESTS_H

/* test_aggstate.c */
extern void test_aggstate(void);

/* test_buffer.c */
extern void test_crc32c(void);
extern void test_buffer_roundtrip(void);

/* test_dataset.c */
extern void test_split(void);
extern void test_split_assign(void);
extern void test_column_stats(void);
extern void test_sort_large(void);
extern void test_row_hashes(void);

/* test_engine.c */
extern void test_engine_merge(void);

/* test_ensemble.c */
extern void test_ensembles(void);

/* test_forest.c */
extern void test_forest_threads(void);

/* test_gbdt.c */
extern void test_gbdt_shap(void);
extern void test_gbdt_train_pred(void);
extern void test_gbdt_row_paths(void);

/* test_halving.c */
extern void test_halving_schedule(void);
extern void test_halving_ranking(void);

/* test_json.c */
extern void test_json(void);

/* test_linalg.c */
extern void test_lbfgs(void);

/* test_linear.c */
extern void test_linear_exact(void);

/* test_logistic.c */
extern void test_logistic(void);

/* test_metrics.c */
extern void test_metrics_hand(void);
extern void test_metrics_sklearn(void);

/* test_model.c */
extern void test_model_bytes(void);
extern void test_learner_roundtrip(void);

/* test_parallel.c */
extern void test_worker_errors(void);
extern void test_worker_crew(void);
extern void test_predict_columns(void);

/* test_params.c */
extern void test_params(void);

/* test_pipeline.c */
extern void test_pipeline(void);

/* test_registry.c */
extern void test_registry(void);

/* test_rule.c */
extern void test_rule(void);

/* test_search.c */
extern void test_search_space(void);

/* test_calibrate.c */
extern void test_calibrate_sklearn(void);
extern void test_calibrate_multiclass(void);
extern void test_calibrate_bytes(void);
/* test_calibrated.c */
extern void test_calibrated(void);

/* test_labels.c */
extern void test_label_issues(void);
extern void test_ensemble_select(void);
extern void test_automl(void);

/* test_sanity.c */
extern void test_sanity_univariate(void);
extern void test_sanity_rows_shared(void);

/* test_sketch.c */
extern void test_sketch_exact(void);
extern void test_sketch_approx(void);
extern void test_sketch_merge(void);
extern void test_sketch_categories(void);

/* test_sortcount.c */
extern void test_sortcount(void);

/* test_tree.c */
extern void test_tree_shap(void);

#endif
