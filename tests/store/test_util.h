/*
 * test_util.h - the small helpers the store and runner tests share besides
 * tests/check.h and tests/test_util.h: staged files, fake hashes, and a
 * direct sqlite reader for facts the API does not expose.
 */
#ifndef ZKML_TEST_STORE_UTIL_H
#define ZKML_TEST_STORE_UTIL_H

#include "registry/registry.h"
#include "tests/check.h"
#include "tests/test_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
