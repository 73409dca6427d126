/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The list of learners.  Adding a learner is one file and one line here.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"

#include <stdio.h>
#include <string.h>

extern const MLLearner ml_learner_baseline;
extern const MLLearner ml_learner_linear;
extern const MLLearner ml_learner_logistic;

static const MLLearner *const learners[] = {
	&ml_learner_baseline,
	&ml_learner_linear,
	&ml_learner_logistic,
};

#define N_LEARNERS (sizeof(learners) / sizeof(learners[0]))

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
