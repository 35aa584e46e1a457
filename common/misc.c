/* misc.c - clocks, thread count, wiping secrets, task ids. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int64_t zkml_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t zkml_address_space(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    if (f) {
        if (fscanf(f, "%llu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t zkml_memory_left(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    uint64_t used = zkml_address_space();
    return rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
}

int64_t zkml_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int zkml_default_threads(void)
{
    const char *s = getenv("ZKML_THREADS");
    if (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end == 0 && v >= 1 && v <= 1024)
            return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)n : 1;
}

void zkml_wipe(void *p, size_t n)
{
    if (!p)
        return;
    memset(p, 0, n);
    /* The empty asm with a memory clobber keeps the memset from being elided. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

__attribute__((noinline)) void zkml_wipe_stack(void)
{
    uint8_t below[16384]; /* this frame covers where the callees' frames were */
    zkml_wipe(below, sizeof below);
}

int zkml_task_id_check(const char *id, zkml_error *err)
{
    size_t n = 0;
    for (; id && id[n] && n <= ZKML_TASK_ID_MAX; n++) {
        char c = id[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            break;
    }
    if (n >= 1 && n <= ZKML_TASK_ID_MAX && id[n] == 0)
        return 0;
    return zkml_fail(err, ZKML_EINVAL, "task_id must match [A-Za-z0-9_-]{1,64}");
}
