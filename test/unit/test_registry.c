/*
 * test_registry.c
 *	  Unit tests of src/algo/registry.c: the learner registry's ids and
 *	  names are unique and every learner's declarations agree with the hooks
 *	  it provides.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/model.h"

/*
 * The registry: ids and names unique, every learner documented and trained
 * by the memory engine, and its aggregate method consistent with the engines
 * it declares.
 */
void
test_registry(void)
{
	int			n = learner_count();

	CHECK(n >= 18);
	for (int i = 0; i < n; i++)
	{
		const MLLearner *l = learner_at(i);

		CHECK(l->doc != NULL && l->doc[0] != '\0');
		CHECK(l->engines & ML_ENGINE_MEMORY);
		CHECK(((l->engines & ML_ENGINE_AGGREGATE) != 0) == (l->agg_fit != ML_AGGFIT_NONE));
		CHECK(l->agg_fit != ML_AGGFIT_GRAM || l->fit_gram != NULL);
		CHECK(l->agg_fit != ML_AGGFIT_NEWTON || l->from_weights != NULL);
		CHECK(l->agg_fit != ML_AGGFIT_LLOYD || (l->from_centers != NULL && l->centers != NULL));
		CHECK(!(l->engines & ML_ENGINE_PARTITIONS) ||
			  (l->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION))));
		CHECK(learner_find(l->name) == l && learner_find_id(l->id) == l);
		for (int j = 0; j < i; j++)
			CHECK(learner_at(j)->id != l->id && strcmp(learner_at(j)->name, l->name) != 0);
	}
	CHECK(learner_at(n) == NULL && learner_at(-1) == NULL);
}
