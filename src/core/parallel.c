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
#include <stdint.h>
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
	struct AllocHdr *handed;	/* finished tasks' allocations, under lock */
	pthread_mutex_t lock;
} Pool;

/*
 * Every allocation of a task carries a header linking it into the task's
 * list, so an error frees what the failed task had allocated.  When a task
 * ends normally its allocations move to the pool's list.  When the pool
 * ends without error they stay valid for the caller, who releases them
 * with ml_worker_release: detached (their links cleared) when the caller is
 * the host's thread, or linked into the caller's own list when the caller
 * is itself a task (a nested pool), so that its failure frees them too.
 * When the pool fails, the caller never sees them and they are freed.
 */
typedef struct AllocHdr
{
	struct AllocHdr *prev;
	struct AllocHdr *next;
} __attribute__((aligned(16))) AllocHdr;

typedef struct Worker
{
	Pool	   *pool;
	jmp_buf		jb;
	AllocHdr   *live;			/* the current task's allocations */
} Worker;

static __thread Worker *current_worker = NULL;

/* blocks allocated in tasks and not yet freed (for tests) */
static size_t outstanding = 0;

size_t
ml_worker_outstanding(void)
{
	return __atomic_load_n(&outstanding, __ATOMIC_SEQ_CST);
}

bool
ml_in_worker(void)
{
	return current_worker != NULL;
}

static void
link_alloc(AllocHdr *h)
{
	Worker	   *w = current_worker;

	h->prev = NULL;
	h->next = w->live;
	if (w->live)
		w->live->prev = h;
	w->live = h;
}

static void
unlink_alloc(AllocHdr *h)
{
	Worker	   *w = current_worker;

	if (h->prev)
		h->prev->next = h->next;
	else if (w && w->live == h)
		w->live = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

void *
ml_worker_alloc(size_t size)
{
	AllocHdr   *h;

	if (size > SIZE_MAX - sizeof(AllocHdr))
		ml_worker_error(ML_ERR_LIMIT, "allocation too large in a worker thread");
	h = calloc(1, sizeof(AllocHdr) + size);
	if (h == NULL)
		ml_worker_error(ML_ERR_LIMIT, "out of memory in a worker thread");
	__atomic_add_fetch(&outstanding, 1, __ATOMIC_RELAXED);
	link_alloc(h);
	return h + 1;
}

void *
ml_worker_realloc(void *ptr, size_t size)
{
	AllocHdr   *h,
			   *n;

	if (ptr == NULL)
		return ml_worker_alloc(size);
	if (size > SIZE_MAX - sizeof(AllocHdr))
		ml_worker_error(ML_ERR_LIMIT, "allocation too large in a worker thread");
	h = (AllocHdr *) ptr - 1;
	unlink_alloc(h);
	n = realloc(h, sizeof(AllocHdr) + size);
	if (n == NULL)
	{
		link_alloc(h);			/* still ours: freed if the task fails */
		ml_worker_error(ML_ERR_LIMIT, "out of memory in a worker thread");
	}
	link_alloc(n);
	return n + 1;
}

void
ml_worker_free(void *ptr)
{
	AllocHdr   *h;

	if (ptr == NULL)
		return;
	h = (AllocHdr *) ptr - 1;
	unlink_alloc(h);
	free(h);
	__atomic_sub_fetch(&outstanding, 1, __ATOMIC_RELAXED);
}

void
ml_worker_release(void *ptr)
{
	AllocHdr   *h;

	if (ptr == NULL)
		return;
	h = (AllocHdr *) ptr - 1;
	if (current_worker)
		unlink_alloc(h);		/* a nested pool's block, in this task's list */
	free(h);
	__atomic_sub_fetch(&outstanding, 1, __ATOMIC_RELAXED);
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

/* clear the links of a list's blocks, or free them */
static void
release_list(AllocHdr *h, bool release)
{
	while (h)
	{
		AllocHdr   *next = h->next;

		h->prev = h->next = NULL;
		if (release)
		{
			free(h);
			__atomic_sub_fetch(&outstanding, 1, __ATOMIC_RELAXED);
		}
		h = next;
	}
}

/* put list onto the front of *head */
static void
splice_list(AllocHdr **head, AllocHdr *list)
{
	AllocHdr   *tail = list;

	if (list == NULL)
		return;
	while (tail->next)
		tail = tail->next;
	tail->next = *head;
	if (*head)
		(*head)->prev = tail;
	*head = list;
}

void
ml_worker_free_others(void *keep)
{
	Worker	   *w = current_worker;
	AllocHdr   *k = keep ? (AllocHdr *) keep - 1 : NULL;
	AllocHdr   *h = w->live;
	bool		kept = false;

	while (h)
	{
		AllocHdr   *next = h->next;

		h->prev = h->next = NULL;
		if (h != k)
		{
			free(h);
			__atomic_sub_fetch(&outstanding, 1, __ATOMIC_RELAXED);
		}
		else
			kept = true;
		h = next;
	}
	/* keep stays the task's: handed back at its end, freed if it fails */
	w->live = kept ? k : NULL;
}

static void *
worker_main(void *p)
{
	Worker		w;
	Worker	   *outer = current_worker; /* set when a task runs a pool itself */

	w.pool = p;
	w.live = NULL;
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
			/* the finished task's memory goes to the pool */
			pthread_mutex_lock(&w.pool->lock);
			splice_list(&w.pool->handed, w.live);
			pthread_mutex_unlock(&w.pool->lock);
			w.live = NULL;
		}
	}
	else
	{
		release_list(w.live, true); /* the failed task's memory */
		w.live = NULL;
	}
	current_worker = outer;
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

/*
 * The crew: helper threads kept for the life of the process, so that a pool
 * started by the host's thread costs a wake-up, not a thread creation (a
 * gbdt fit runs thousands of pools).  The calling thread runs tasks too, so
 * `threads` workers are the caller and threads - 1 helpers.  Helpers start
 * with every signal blocked, wait on a condition variable between pools,
 * and never call the host.  Nested pools, and a pool started while the crew
 * is busy, start their own threads as before.
 */
typedef struct Crew
{
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a new generation was posted */
	pthread_cond_t done;		/* busy reached 0 */
	int			started;		/* helper threads running */
	unsigned	gen;			/* generation of the posted pool */
	Pool	   *pool;
	int			want;			/* helpers that join this generation */
	int			busy;			/* helpers still in the posted pool */
	bool		in_use;			/* a caller owns the crew */
} Crew;

static Crew crew = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	0, 0, NULL, 0, 0, false};

#define CREW_SPIN 2000			/* polls of the generation before sleeping */
#if defined(__x86_64__) || defined(__i386__)
#define crew_pause() __builtin_ia32_pause()
#else
#define crew_pause() ((void) 0)
#endif

static void *
helper_main(void *p)
{
	int			me = (int) (intptr_t) p;
	unsigned	seen = 0;

	for (;;)
	{
		Pool	   *pool = NULL;

		/* a short spin first: pools follow one another closely in a fit */
		for (int s = 0; s < CREW_SPIN; s++)
		{
			if (__atomic_load_n(&crew.gen, __ATOMIC_ACQUIRE) != seen)
				break;
			crew_pause();
		}
		pthread_mutex_lock(&crew.lock);
		while (crew.gen == seen)
			pthread_cond_wait(&crew.work, &crew.lock);
		seen = crew.gen;
		if (me < crew.want)
			pool = crew.pool;
		pthread_mutex_unlock(&crew.lock);
		if (pool == NULL)
			continue;
		worker_main(pool);
		pthread_mutex_lock(&crew.lock);
		if (--crew.busy == 0)
			pthread_cond_signal(&crew.done);
		pthread_mutex_unlock(&crew.lock);
	}
	return NULL;
}

int
ml_crew_threads(void)
{
	int			n;

	pthread_mutex_lock(&crew.lock);
	n = crew.started;
	pthread_mutex_unlock(&crew.lock);
	return n;
}

/*
 * Start a thread running fn(arg) with every signal blocked (the host's
 * handlers run in its own thread only): joinable into *tid, or detached
 * when tid is NULL.  False when it could not start.
 */
static bool
start_thread(pthread_t *tid, void *(*fn) (void *), void *arg)
{
	sigset_t	all,
				old;
	pthread_attr_t attr;
	pthread_t	detached;
	int			rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	if (tid == NULL)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(tid ? tid : &detached, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

/* claim the crew with at least `helpers` threads; the count it has, or -1 */
static int
crew_claim(int helpers)
{
	int			have;

	pthread_mutex_lock(&crew.lock);
	if (crew.in_use)
	{
		pthread_mutex_unlock(&crew.lock);
		return -1;
	}
	crew.in_use = true;
	while (crew.started < helpers &&
		   start_thread(NULL, helper_main, (void *) (intptr_t) crew.started))
		crew.started++;
	have = crew.started < helpers ? crew.started : helpers;
	pthread_mutex_unlock(&crew.lock);
	return have;
}

/* run pool on the caller and `helpers` crew threads; returns when all are done */
static void
crew_run(Pool *pool, int helpers)
{
	pthread_mutex_lock(&crew.lock);
	crew.pool = pool;
	crew.want = helpers;
	crew.busy = helpers;
	__atomic_add_fetch(&crew.gen, 1, __ATOMIC_RELEASE);
	if (helpers > 0)
		pthread_cond_broadcast(&crew.work);
	pthread_mutex_unlock(&crew.lock);
	worker_main(pool);
	pthread_mutex_lock(&crew.lock);
	while (crew.busy > 0)
		pthread_cond_wait(&crew.done, &crew.lock);
	crew.pool = NULL;
	crew.in_use = false;
	pthread_mutex_unlock(&crew.lock);
}

/* run pool on `threads` new threads and join them */
static void
spawn_run(Pool *pool, int threads)
{
	pthread_t  *tid = malloc(sizeof(pthread_t) * threads);
	int			started = 0;

	if (tid == NULL)
		ml_error(ML_ERR_LIMIT, NULL, "out of memory starting worker threads");
	for (int i = 0; i < threads; i++)
		started += start_thread(&tid[started], worker_main, pool);
	if (started == 0)
		worker_main(pool);		/* no thread could start: run here */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
}

void
ml_parallel_for(int n, int threads, MLTaskFn fn, void *arg)
{
	Pool		pool;
	int			helpers = -1;

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
	if (current_worker == NULL)
		helpers = crew_claim(threads - 1);
	if (helpers >= 0)
		crew_run(&pool, helpers);
	else
		spawn_run(&pool, threads);
	pthread_mutex_destroy(&pool.lock);
	if (pool.failed)
	{
		release_list(pool.handed, true);
		ml_error((MLErrorCode) pool.err_code, NULL, "%s", pool.err_msg);
	}
	if (current_worker)
		splice_list(&current_worker->live, pool.handed);	/* nested */
	else
		release_list(pool.handed, false);
}
