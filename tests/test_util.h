/*
 * test_util.h - what the C tests share besides check.h: temporary folders,
 * a deterministic RNG, the main() of a test made of named cases, and runs on
 * the portable paths.
 */
#ifndef ZKML_TESTS_TEST_UTIL_H
#define ZKML_TESTS_TEST_UTIL_H

#include <ftw.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* stmt with ZKML_IFMA=0 (the portable arithmetic, not the AVX-512 IFMA
 * vectors), ZKML_IFMA then given back the value it had, so a run that set it
 * keeps its setting for what follows. */
#define TEST_PORTABLE(stmt)                                                \
    do {                                                                   \
        const char *was_ = getenv("ZKML_IFMA");                            \
        char *saved_ = was_ ? strdup(was_) : NULL;                         \
        setenv("ZKML_IFMA", "0", 1);                                       \
        stmt;                                                              \
        if (saved_)                                                        \
            setenv("ZKML_IFMA", saved_, 1);                                \
        else                                                               \
            unsetenv("ZKML_IFMA");                                         \
        free(saved_);                                                      \
    } while (0)

/* A fresh folder $TMPDIR/zkml-<tag>-XXXXXX (/tmp without TMPDIR) in out;
 * exits the test with 2 if none can be made. */
static inline void test_tmpdir(char *out, size_t outlen, const char *tag)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, outlen, "%s/zkml-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        exit(2);
    }
}

static inline int test_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* rm -rf dir, without a shell. */
static inline void test_rm_rf(const char *dir)
{
    nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* xorshift64*: reproducible inputs from a nonzero seed. */
typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t test_rng_u64(test_rng *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 0x2545F4914F6CDD1DULL;
}

/* One named case of a test binary: `test NAME` runs it in a fresh folder. */
typedef struct test_case {
    const char *name;
    int (*fn)(const char *dir);
} test_case;

/* main() of such a binary: runs the case argv[1] names in a fresh folder,
 * removes the folder, returns the case's result; 2 with a usage line else. */
static inline int test_run_case(int argc, char **argv, const test_case *cases, size_t n)
{
    for (size_t i = 0; argc == 2 && i < n; i++)
        if (!strcmp(argv[1], cases[i].name)) {
            char dir[512];
            test_tmpdir(dir, sizeof dir, cases[i].name);
            int rc = cases[i].fn(dir);
            test_rm_rf(dir);
            return rc;
        }
    fprintf(stderr, "usage: %s CASE, one of:", argv[0]);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", cases[i].name);
    fputc('\n', stderr);
    return 2;
}

#endif
