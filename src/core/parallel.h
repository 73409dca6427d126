/*-------------------------------------------------------------------------
 *
 * parallel.h
 *	  Worker threads for pure-C training work.
 *
 * ml_parallel_for runs fn(arg, i) for i in [0, n) on up to `threads`
 * threads and joins them before returning.  Inside a task the shim is
 * redirected per thread: ml_alloc / ml_realloc / ml_free use malloc and
 * free, ml_check_interrupts only looks at the host's cancel flags (and ends
 * the task with ML_ERR_CANCELED), and ml_error ends the task; the first
 * error is raised again in the calling thread after every worker joined.
 * Tasks must never call PostgreSQL.  A failed task's allocations are freed;
 * a finished task's stay valid and are handed back as plain bytes (or other
 * blocks), each released with ml_worker_release, unless another task fails:
 * then they are freed too before the error is raised.  A task frees only
 * what it allocated itself (or what a pool it ran handed back to it).
 *
 * A pool started outside a task runs on the calling thread and helper
 * threads kept for the life of the process (the crew), started on first
 * use; nested pools start threads of their own.  Since the calling thread
 * runs tasks too, the rule that tasks never call the host matters there
 * as well: an error raised by the host inside a task would leave the
 * helpers running on a pool that is gone.
 *
 * Results do not depend on the number of threads: each task gets its index
 * and derives its own random stream from the run's seed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_PARALLEL_H
#define ML_PARALLEL_H

#include "ml.h"

typedef void (*MLTaskFn) (void *arg, int task);

extern void ml_parallel_for(int n, int threads, MLTaskFn fn, void *arg);

/* true inside a worker task: the host's shim delegates to the functions below */
extern bool ml_in_worker(void);
extern void *ml_worker_alloc(size_t size);
extern void *ml_worker_realloc(void *ptr, size_t size);
extern void ml_worker_free(void *ptr);
extern void ml_worker_error(int code, const char *msg) __attribute__((noreturn));

/*
 * Inside a task: free everything the task allocated so far except keep (a
 * block it hands back), for tasks that run code whose memory they cannot
 * free piece by piece (a learner's fit).
 */
extern void ml_worker_free_others(void *keep);

/* free memory a task allocated and handed back */
extern void ml_worker_release(void *ptr);

/* blocks allocated in tasks and not yet freed (for tests) */
extern size_t ml_worker_outstanding(void);

/* helper threads the process keeps for pools (for tests) */
extern int	ml_crew_threads(void);

/* threads to use for a setting: 0 = all cores, capped by the work */
extern int	ml_thread_count(int setting, int tasks);

#endif							/* ML_PARALLEL_H */
