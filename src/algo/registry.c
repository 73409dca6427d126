/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The list of learners.  Adding a learner is one file and one line here.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "../core/buffer.h"

#include <stdio.h>
#include <string.h>

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
};

#define N_LEARNERS (sizeof(learners) / sizeof(learners[0]))

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

int
learner_count(void)
{
	return (int) N_LEARNERS;
}

const MLLearner *
learner_at(int i)
{
	return i >= 0 && (size_t) i < N_LEARNERS ? learners[i] : NULL;
}

const MLLearner *
learner_find(const char *name)
{
	for (size_t i = 0; i < N_LEARNERS; i++)
		if (strcmp(learners[i]->name, name) == 0)
			return learners[i];
	return NULL;
}

const MLLearner *
learner_find_id(uint16_t id)
{
	for (size_t i = 0; i < N_LEARNERS; i++)
		if (learners[i]->id == id)
			return learners[i];
	return NULL;
}

const char *
learner_names(void)
{
	static char names[1024];

	if (names[0] == '\0')
	{
		size_t		len = 0;

		for (size_t i = 0; i < N_LEARNERS && len + 64 < sizeof(names); i++)
			len += (size_t) snprintf(names + len, sizeof(names) - len, "%s%s",
									 i ? ", " : "", learners[i]->name);
	}
	return names;
}

char *
learner_names_where(bool (*keep) (const MLLearner *l))
{
	MLBuffer	b;
	int			n = 0;

	buffer_init(&b);
	for (size_t i = 0; i < N_LEARNERS; i++)
		if (keep(learners[i]))
			buffer_printf(&b, "%s%s", n++ ? ", " : "", learners[i]->name);
	buffer_put_u8(&b, '\0');
	return (char *) b.data;
}

const char *
learner_names_for(MLTask task)
{
	static char names[5][1024];
	char	   *buf = names[(int) task];

	if (buf[0] == '\0')
	{
		size_t		len = 0;

		for (size_t i = 0; i < N_LEARNERS && len + 64 < sizeof(names[0]); i++)
			if (learners[i]->tasks & ML_TASK_BIT(task))
				len += (size_t) snprintf(buf + len, sizeof(names[0]) - len, "%s%s",
										 len ? ", " : "", learners[i]->name);
	}
	return buf;
}
