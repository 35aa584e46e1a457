/*
 * check.h - the checks of every C test. A failed CHECK prints file, line, the
 * condition and an optional printf-style message, counts into `failures`, and
 * the test goes on, so one run reports every broken check; REQUIRE also
 * returns 1 from the calling function (an int test case), for a check that
 * what follows depends on. main() ends with `return check_exit("name")`.
 */
#ifndef ZKML_TESTS_CHECK_H
#define ZKML_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int failures __attribute__((unused));

static inline void check_failed(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* fmt starts with a space (see CHECK), so a check without a message prints none. */
static inline void check_failed(const char *file, int line, const char *cond, const char *fmt, ...)
{
    failures++;
    fprintf(stderr, "FAIL %s:%d: %s;", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The message is optional: " " __VA_ARGS__ pastes a leading space onto it. */
#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (!(cond))                                                  \
            check_failed(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
    } while (0)

#define REQUIRE(cond, ...)                                            \
    do {                                                              \
        if (!(cond)) {                                                \
            check_failed(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
            return 1;                                                 \
        }                                                             \
    } while (0)

/* expr is a zkml call that must not fail (< 0); err is its zkml_error *. */
#define CHECK_OK(expr, err)                                                        \
    do {                                                                           \
        int check_rc_ = (expr);                                                    \
        if (check_rc_ < 0)                                                         \
            check_failed(__FILE__, __LINE__, #expr, " returned %d: %s", check_rc_, \
                         (err)->message);                                          \
    } while (0)

#define REQUIRE_OK(expr, err)                                                      \
    do {                                                                           \
        int check_rc_ = (expr);                                                    \
        if (check_rc_ < 0) {                                                       \
            check_failed(__FILE__, __LINE__, #expr, " returned %d: %s", check_rc_, \
                         (err)->message);                                          \
            return 1;                                                              \
        }                                                                          \
    } while (0)

/* main's result: 0 if every check passed, else 1, with a line saying which. */
static inline int check_exit(const char *name)
{
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

#endif
