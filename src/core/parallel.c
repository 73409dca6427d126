/*-------------------------------------------------------------------------
 *
 * parallel.c
 *	  ml_parallel_for on POSIX threads, and the per-thread shim.
 *
 * Tasks are handed out by a counter under a mutex, so a slow task does not
 * hold up the others.  Workers start with every signal blocked, so the
 * host's signal handlers keep running in the calling thread only.  Each worker keeps a jmp_buf: ml_error inside a task
 * records the first message and jumps back to the worker loop, which stops
 * taking tasks.  No task may hold a lock or a half-built shared structure
 * when it errors: tasks write only their own results.
 *
 *-------------------------------------------------------------------------
 */
#include "parallel.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Pool
{
	MLTaskFn	fn;
	void	   *arg;
	int			n;
	int			next;			/* next task, taken under lock */
	int			failed;
	int			err_code;
	char		err_msg[512];
	pthread_mutex_t lock;
} Pool;

typedef struct Worker
{
	Pool	   *pool;
	jmp_buf		jb;
} Worker;

static __thread Worker *current_worker = NULL;

bool
ml_in_worker(void)
{
	return current_worker != NULL;
}

void *
ml_worker_alloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		ml_worker_error(ML_ERR_LIMIT, "out of memory in a worker thread");
	return p;
}

void *
ml_worker_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		ml_worker_error(ML_ERR_LIMIT, "out of memory in a worker thread");
	return p;
}

void
ml_worker_free(void *ptr)
{
	free(ptr);
}

void
ml_worker_release(void *ptr)
{
	free(ptr);
}

void
ml_worker_error(int code, const char *msg)
{
	Worker	   *w = current_worker;
	Pool	   *pool = w->pool;

	pthread_mutex_lock(&pool->lock);
	if (!pool->failed)
	{
		pool->failed = 1;
		pool->err_code = code;
		snprintf(pool->err_msg, sizeof(pool->err_msg), "%s", msg);
	}
	pthread_mutex_unlock(&pool->lock);
	longjmp(w->jb, 1);
}

static void *
worker_main(void *p)
{
	Worker		w;

	w.pool = p;
	current_worker = &w;
	if (setjmp(w.jb) == 0)
	{
		for (;;)
		{
			int			task;

			pthread_mutex_lock(&w.pool->lock);
			task = w.pool->failed ? w.pool->n : w.pool->next++;
			pthread_mutex_unlock(&w.pool->lock);
			if (task >= w.pool->n)
				break;
			w.pool->fn(w.pool->arg, task);
		}
	}
	current_worker = NULL;
	return NULL;
}

int
ml_thread_count(int setting, int tasks)
{
	long		cores = sysconf(_SC_NPROCESSORS_ONLN);
	int			t = setting > 0 ? setting : (int) (cores > 0 ? cores : 1);

	if (t > tasks)
		t = tasks;
	return t < 1 ? 1 : t;
}

void
ml_parallel_for(int n, int threads, MLTaskFn fn, void *arg)
{
	Pool		pool;
	pthread_t  *tid;
	int			started = 0;

	if (n <= 0)
		return;
	memset(&pool, 0, sizeof(pool));
	pool.fn = fn;
	pool.arg = arg;
	pool.n = n;
	pthread_mutex_init(&pool.lock, NULL);
	if (threads > n)
		threads = n;
	if (threads < 1)
		threads = 1;
	tid = malloc(sizeof(pthread_t) * threads);
	if (tid == NULL)
		ml_error(ML_ERR_LIMIT, NULL, "out of memory starting worker threads");
	{
		sigset_t	all,
					old;

		/* workers take no signals: the host's handlers run in its own thread */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (int i = 0; i < threads; i++)
			if (pthread_create(&tid[i], NULL, worker_main, &pool) == 0)
				started++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (started == 0)
		worker_main(&pool);		/* no thread could start: run here */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	pthread_mutex_destroy(&pool.lock);
	if (pool.failed)
		ml_error((MLErrorCode) pool.err_code, NULL, "%s", pool.err_msg);
}
