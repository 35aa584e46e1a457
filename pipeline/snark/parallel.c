/* parallel.c - the thread fan-out of parallel.h. */
#include "pipeline/snark/parallel.h"
#include "common/common.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct task_arg {
    parallel_fn fn;
    void *ctx;
    int task, n_tasks;
} task_arg;

static void *task_main(void *p)
{
    task_arg *a = p;
    a->fn(a->ctx, a->task, a->n_tasks);
    return NULL;
}

void parallel_run(int n_tasks, parallel_fn fn, void *ctx)
{
    if (n_tasks <= 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_t *tid = calloc((size_t)n_tasks, sizeof *tid);
    task_arg *args = calloc((size_t)n_tasks, sizeof *args);
    char *started = calloc((size_t)n_tasks, 1);
    if (!tid || !args || !started) {
        free(tid);
        free(args);
        free(started);
        for (int i = 0; i < n_tasks; i++)
            fn(ctx, i, n_tasks);
        return;
    }
    for (int i = 1; i < n_tasks; i++) {
        args[i] = (task_arg){fn, ctx, i, n_tasks};
        started[i] = pthread_create(&tid[i], NULL, task_main, &args[i]) == 0;
    }
    fn(ctx, 0, n_tasks);
    for (int i = 1; i < n_tasks; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn(ctx, i, n_tasks);
    }
    free(tid);
    free(args);
    free(started);
}

void parallel_range(size_t n, int task, int n_tasks, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)task / (size_t)n_tasks;
    *hi = n * (size_t)(task + 1) / (size_t)n_tasks;
}

int parallel_threads(int threads)
{
    return threads > 0 ? threads : zkml_default_threads();
}
