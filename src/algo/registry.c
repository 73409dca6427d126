/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The list of learners.  Adding a learner is one file and one line here.
 *
 *	  src/core looks learners up (model bytes name their learner by id) but
 *	  must not reach into src/algo: this file hands the table to the core's
 *	  registry (src/core/registry.c) when the program or library is loaded,
 *	  before any caller can ask, so no host has to remember a call.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

extern const MLLearner ml_learner_baseline;
extern const MLLearner ml_learner_linear;
extern const MLLearner ml_learner_logistic;
extern const MLLearner ml_learner_naive_bayes;
extern const MLLearner ml_learner_elastic_net;
extern const MLLearner ml_learner_lasso;
extern const MLLearner ml_learner_knn;
extern const MLLearner ml_learner_tree;
extern const MLLearner ml_learner_forest;
extern const MLLearner ml_learner_svm;
extern const MLLearner ml_learner_mlp;
extern const MLLearner ml_learner_kmeans;
extern const MLLearner ml_learner_iforest;
extern const MLLearner ml_learner_gbdt;
extern const MLLearner ml_learner_adaboost;
extern const MLLearner ml_learner_bagging;
extern const MLLearner ml_learner_voting;
extern const MLLearner ml_learner_stacking;
extern const MLLearner ml_learner_rule;
extern const MLLearner ml_learner_calibrated;

static const MLLearner *const learners[] = {
	&ml_learner_baseline,
	&ml_learner_linear,
	&ml_learner_logistic,
	&ml_learner_naive_bayes,
	&ml_learner_elastic_net,
	&ml_learner_lasso,
	&ml_learner_knn,
	&ml_learner_tree,
	&ml_learner_forest,
	&ml_learner_svm,
	&ml_learner_mlp,
	&ml_learner_kmeans,
	&ml_learner_iforest,
	&ml_learner_gbdt,
	&ml_learner_adaboost,
	&ml_learner_bagging,
	&ml_learner_voting,
	&ml_learner_stacking,
	&ml_learner_calibrated,
};

/*
 * Learners whose models are made otherwise than by training (ml_rule): model
 * bytes name them, but ml_train, ml_algorithms, searches and ensembles do
 * not see them.  Their ids are never reused either.
 */
static const MLLearner *const readers[] = {
	&ml_learner_rule,
};

/* runs when mlsql.so, the unit tests or a fuzz target are loaded */
__attribute__((constructor))
static void
learners_install(void)
{
	learner_registry_install(learners, (int) (sizeof(learners) / sizeof(learners[0])));
	learner_registry_install_readers(readers, (int) (sizeof(readers) / sizeof(readers[0])));
}

const MLLearner *
learner_baseline(void)
{
	return &ml_learner_baseline;
}

/* the learner of a training that names none: least squares, or logistic regression for classes */
const MLLearner *
learner_default(MLTask task)
{
	return task == ML_CLASSIFICATION ? &ml_learner_logistic : &ml_learner_linear;
}

