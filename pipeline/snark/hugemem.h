/*
 * hugemem.h - internal: malloc for the prover's large arrays (the domain
 * vectors, the MSMs' scalars and digits, the witness), asking the kernel to
 * back them with transparent huge pages. Under THP's "madvise" mode (the
 * Debian default) fresh memory otherwise arrives a 4 KiB page fault at a
 * time: a 2^20 proof touches ~500 MiB of it, ~128k faults, which in a
 * virtual machine cost about 15% of the proof's CPU time, and the 4 KiB
 * pages miss the TLB more in the scattered bucket and witness reads.
 *
 * huge_malloc(n) is malloc(n) (free it with free()) aligned to 64 bytes, so
 * that it can hold AVX-512 vectors at any size, plus, when the block is
 * large, the advice MADV_HUGEPAGE on the whole 2 MiB pages inside it (a huge
 * page holds memory of the block only). The advice is best effort: where the
 * kernel ignores or refuses it, the block is plain memory.
 */
#ifndef ZKML_SNARK_HUGEMEM_H
#define ZKML_SNARK_HUGEMEM_H

#include <stddef.h>

void *huge_malloc(size_t n);

#endif
