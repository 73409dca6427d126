/*
 * test_parallel.c
 *	  Unit tests of src/core/parallel.c: worker pools free what failed tasks
 *	  allocated, hand back the first error, and give the caller the blocks
 *	  tasks hand back, nested pools included; the crew of helper threads
 *	  is reused from pool to pool.
 */
#include <pthread.h>
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

/* task t records the thread it ran on and sums its range */
typedef struct CrewArg
{
	long		sum[64];
	pthread_t	who[64];
} CrewArg;

static void
crew_task(void *arg, int t)
{
	CrewArg    *a = arg;
	long		s = 0;

	for (long i = 0; i < 2000; i++)
		s += (i * (t + 1)) % 7;
	a->sum[t] = s;
	a->who[t] = pthread_self();
	if (t == 40 && a->sum[63] == -1)
		ml_error(ML_ERR_DATA, NULL, "crew task %d failed", t);
}

/*
 * Pools started one after another (100) reuse the same helper threads (their
 * number stays at threads - 1, the caller runs tasks too), give the same
 * results as a serial run, and a failed pool leaves the crew usable.
 */
void
test_worker_crew(void)
{
	CrewArg		serial,
				a;
	size_t		before = ml_worker_outstanding();
	int			crew0;

	memset(&serial, 0, sizeof(serial));
	for (int t = 0; t < 64; t++)
		crew_task(&serial, t);
	memset(&a, 0, sizeof(a));
	ml_parallel_for(64, 3, crew_task, &a);
	crew0 = ml_crew_threads();
	CHECK(crew0 >= 2);
	for (int round = 0; round < 100; round++)
	{
		memset(&a, 0, sizeof(a));
		ml_parallel_for(64, 3, crew_task, &a);
		CHECK(memcmp(a.sum, serial.sum, sizeof(a.sum)) == 0);
	}
	CHECK(ml_crew_threads() == crew0);
	/* one task: no helper joins, the calling thread runs it */
	memset(&a, 0, sizeof(a));
	ml_parallel_for(1, 3, crew_task, &a);
	CHECK(pthread_equal(a.who[0], pthread_self()) != 0);
	CHECK(a.sum[0] == serial.sum[0]);
	a.sum[63] = -1;
	EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(64, 3, crew_task, &a));
	CHECK(strcmp(unit_last_msg, "crew task 40 failed") == 0);
	memset(&a, 0, sizeof(a));
	ml_parallel_for(64, 3, crew_task, &a);
	CHECK(memcmp(a.sum, serial.sum, sizeof(a.sum)) == 0);
	CHECK(ml_crew_threads() == crew0);
	CHECK(ml_worker_outstanding() == before);
}
