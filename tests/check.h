/*
 * check.h - the CHECK macro of the single-file C tests: a failed check prints
 * file, line and a printf-style message, counts into `failures`, and the test
 * goes on, so one run reports every broken check. main() returns failures != 0.
 */
#ifndef ZKML_TESTS_CHECK_H
#define ZKML_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            failures++;                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                    \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
        }                                                                           \
    } while (0)

#endif
