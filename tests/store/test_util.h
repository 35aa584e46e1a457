/*
 * test_util.h - the small helpers the store and runner tests share: checks
 * that report file and line, temporary data dirs, staged files, and a
 * direct sqlite reader for facts the API does not expose.
 */
#ifndef ZKML_TEST_STORE_UTIL_H
#define ZKML_TEST_STORE_UTIL_H

#include "registry/registry.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

#define CHECK_OK(expr, err)                                                            \
    do {                                                                               \
        int check_rc_ = (expr);                                                        \
        if (check_rc_ < 0) {                                                           \
            fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #expr, \
                    check_rc_, (err).message);                                         \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

static inline int test_rm_entry(const char *path, const struct stat *st, int flag,
                                struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* A fresh directory under $TMPDIR (or /tmp); removed by test_rm_rf. */
static inline void test_tmpdir(char out[256], const char *tag)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, 256, "%s/zkml-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        exit(2);
    }
}

static inline void test_rm_rf(const char *dir)
{
    nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int test_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* A staged upload in the data dir's uploads/ with the given content. */
static inline int test_stage(const char *data_dir, const char *name, const char *content,
                             char *path, size_t len)
{
    char dir[4096];
    zkml_error err;
    if (store_staging_dir(data_dir, dir, sizeof dir, &err))
        return -1;
    snprintf(path, len, "%s/%s", dir, name);
    return test_write(path, content);
}

/* A fake but well-formed model hash: 64 hex digits from n. */
static inline void test_hash(char out[65], unsigned n)
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", n * 2654435761u + (unsigned)i);
}

/* One integer from an SQL query on <data_dir>/registry.db; -1 on error. */
static inline long long test_sql_int(const char *data_dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/registry.db", data_dir);
    sqlite3 *db;
    long long v = -1;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        } else {
            fprintf(stderr, "sql: %s: %s\n", sql, sqlite3_errmsg(db));
        }
    }
    sqlite3_close(db);
    return v;
}

#endif
