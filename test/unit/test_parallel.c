/*
 * test_parallel.c
 *	  Unit tests of src/core/parallel.c: worker pools free what failed tasks
 *	  allocated, hand back the first error, and give the caller the blocks
 *	  tasks hand back, nested pools included.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/parallel.h"

/* a failed worker task frees what it allocated; the first error comes back */
static void
fail_task(void *arg, int t)
{
	(void) arg;
	(void) ml_alloc(1000);
	if (t == 3)
		ml_error(ML_ERR_DATA, NULL, "task %d failed", t);
}

/* each task hands back one block in ((void **) arg)[t] */
static void
hand_task(void *arg, int t)
{
	((void **) arg)[t] = ml_alloc(100);
}

/*
 * Outer tasks run pools of their own: task t's inner blocks are released
 * inside the task, except that task 1 of a failing run errors with them
 * still held; each task hands back one block.
 */
static void
nest_task(void *arg, int t)
{
	void	  **out = arg;
	void	   *inner[4];
	bool		fail = out[2] != NULL;

	ml_parallel_for(4, 2, hand_task, inner);
	if (fail && t == 1)
		ml_error(ML_ERR_DATA, NULL, "outer task %d failed", t);
	for (int i = 0; i < 4; i++)
		ml_worker_release(inner[i]);
	out[t] = ml_alloc(10);
}

/* a task that keeps one block of four (ml_worker_free_others); task 5 fails */
static void
keep_task(void *arg, int t)
{
	void	   *keep;

	(void) ml_alloc(10);
	keep = ml_alloc(10);
	(void) ml_alloc(10);
	ml_worker_free_others(keep);
	((void **) arg)[t] = keep;
	if (t == 5 && ((void **) arg)[8] != NULL)
		ml_error(ML_ERR_DATA, NULL, "task %d failed", t);
}

/*
 * The blocks tasks hand back are the caller's when the pool succeeds and
 * are freed when it fails, also when a task ran a pool of its own or kept
 * one block with ml_worker_free_others.
 */
void
test_worker_errors(void)
{
	size_t		before = ml_worker_outstanding();
	void	   *blocks[8];
	void	   *outer[3] = {NULL, NULL, NULL};

	EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(8, 2, fail_task, NULL));
	CHECK(strcmp(unit_last_msg, "task 3 failed") == 0);
	CHECK(ml_worker_outstanding() == before);
	ml_parallel_for(8, 2, hand_task, blocks);
	CHECK(ml_worker_outstanding() == before + 8);
	for (int i = 0; i < 8; i++)
		ml_worker_release(blocks[i]);
	CHECK(ml_worker_outstanding() == before);
	ml_parallel_for(2, 2, nest_task, outer);
	CHECK(ml_worker_outstanding() == before + 2);
	ml_worker_release(outer[0]);
	ml_worker_release(outer[1]);
	CHECK(ml_worker_outstanding() == before);
	outer[2] = &before;			/* fail */
	EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(2, 2, nest_task, outer));
	CHECK(strcmp(unit_last_msg, "outer task 1 failed") == 0);
	CHECK(ml_worker_outstanding() == before);
	{
		void	   *kept[9] = {NULL};

		ml_parallel_for(8, 2, keep_task, kept);
		CHECK(ml_worker_outstanding() == before + 8);
		for (int i = 0; i < 8; i++)
			ml_worker_release(kept[i]);
		CHECK(ml_worker_outstanding() == before);
		kept[8] = &before;		/* fail */
		EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(8, 2, keep_task, kept));
		CHECK(ml_worker_outstanding() == before);
	}
}
