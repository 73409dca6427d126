/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Looking learners up by position, name and id.
 *
 *	  The table itself is src/algo/registry.c's, installed once when the
 *	  program or library is loaded (learner_registry_install); src/core
 *	  therefore names no learner and links against nothing in src/algo.
 *	  Before the table is installed every lookup finds nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"
#include "buffer.h"

#include <stdio.h>
#include <string.h>

static const MLLearner *const *learners;
static size_t n_learners;
static const MLLearner *const *readers;
static size_t n_readers;

/* install the learners' table (src/algo/registry.c, at load time) */
void
learner_registry_install(const MLLearner *const *table, int n)
{
	learners = table;
	n_learners = n > 0 ? (size_t) n : 0;
}

/*
 * install the learners that model bytes may name but nothing trains by name
 * (the rule learner: ml_rule compiles its models); only learner_find_id
 * sees them
 */
void
learner_registry_install_readers(const MLLearner *const *table, int n)
{
	readers = table;
	n_readers = n > 0 ? (size_t) n : 0;
}

int
learner_count(void)
{
	return (int) n_learners;
}

const MLLearner *
learner_at(int i)
{
	return i >= 0 && (size_t) i < n_learners ? learners[i] : NULL;
}

const MLLearner *
learner_find(const char *name)
{
	for (size_t i = 0; i < n_learners; i++)
		if (strcmp(learners[i]->name, name) == 0)
			return learners[i];
	return NULL;
}

const MLLearner *
learner_find_id(uint16_t id)
{
	for (size_t i = 0; i < n_learners; i++)
		if (learners[i]->id == id)
			return learners[i];
	for (size_t i = 0; i < n_readers; i++)
		if (readers[i]->id == id)
			return readers[i];
	return NULL;
}

const char *
learner_names(void)
{
	static char names[1024];

	if (names[0] == '\0')
	{
		size_t		len = 0;

		for (size_t i = 0; i < n_learners && len + 64 < sizeof(names); i++)
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
	for (size_t i = 0; i < n_learners; i++)
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

		for (size_t i = 0; i < n_learners && len + 64 < sizeof(names[0]); i++)
			if (learners[i]->tasks & ML_TASK_BIT(task))
				len += (size_t) snprintf(buf + len, sizeof(names[0]) - len, "%s%s",
										 len ? ", " : "", learners[i]->name);
	}
	return buf;
}
