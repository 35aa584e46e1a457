/* profile.c - ZKML_PROFILE's phase timings (profile.h). */
#include "pipeline/snark/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long resident_mib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    if (f)
        fclose(f);
    return rss * sysconf(_SC_PAGESIZE) >> 20;
}

void profile_phase(const char *step, const char *name)
{
    static int enabled = -1;
    static struct timespec last;
    struct timespec now;
    if (enabled < 0)
        enabled = getenv("ZKML_PROFILE") != NULL;
    if (!enabled)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (name)
        fprintf(stderr, "%s: %-12s %8.1f ms, RSS %ld MiB\n", step, name,
                (double)(now.tv_sec - last.tv_sec) * 1e3 +
                    (double)(now.tv_nsec - last.tv_nsec) / 1e6,
                resident_mib());
    last = now;
}
