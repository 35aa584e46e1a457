/*
 * parallel.h - internal: run a function on T threads (pthreads) and wait.
 * Task i of T gets its index; each decides its own share of the work. With
 * one thread, or if a thread cannot be created, the remaining tasks run on
 * the calling thread, so the work is always done.
 */
#ifndef ZKML_SNARK_PARALLEL_H
#define ZKML_SNARK_PARALLEL_H

#include <stddef.h>

typedef void (*parallel_fn)(void *ctx, int task, int n_tasks);

void parallel_run(int n_tasks, parallel_fn fn, void *ctx);
/* The half-open range [lo, hi) of n items that task i of n_tasks handles. */
void parallel_range(size_t n, int task, int n_tasks, size_t *lo, size_t *hi);
/* threads <= 0 means zkml_default_threads(). */
int parallel_threads(int threads);

#endif
