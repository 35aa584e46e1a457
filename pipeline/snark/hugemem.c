/* hugemem.c - malloc with transparent huge pages advised (contract in hugemem.h). */
#include "pipeline/snark/hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* A block of at least one huge page starts on a huge page boundary, so that
 * all its whole 2 MiB pages can be huge (the alignment costs address space,
 * not memory: the pages skipped are never touched). */
void *huge_malloc(size_t n)
{
    void *p;
    if (posix_memalign(&p, n < HUGE_PAGE ? 64 : HUGE_PAGE, n ? n : 1))
        return NULL;
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_PAGE)
        madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* advice: a failure costs time only */
#endif
    return p;
}
