/*
 * store_internal.h - internal to registry/: the store's connection and the
 * small sqlite helpers that store.c and migrate.c share.
 */
#ifndef ZKML_REGISTRY_STORE_INTERNAL_H
#define ZKML_REGISTRY_STORE_INTERNAL_H

#include "registry/registry.h"

#include <sqlite3.h>

struct registry_store {
    sqlite3 *db;
    char data_dir[4096];
};

/* Fails with a message naming the database, what was being done and sqlite's
 * own message; returns the ZKML_E* code. */
int store_db_fail(registry_store *s, zkml_error *err, const char *what);

/* Prepares sql and binds its parameters, one per character of types:
 * 'i' int, 'l' int64_t, 't' text (const char *, NULL binds NULL). */
int store_query(registry_store *s, sqlite3_stmt **stmt, zkml_error *err, const char *sql,
                const char *types, ...);
/* Like store_query, then steps until done and finalizes. */
int store_exec(registry_store *s, zkml_error *err, const char *sql, const char *types, ...);

/* One integer from a single-row query; ZKML_ENOTFOUND when there is no row. */
int store_query_int64(registry_store *s, int64_t *out, zkml_error *err, const char *sql,
                      const char *types, ...);

/* BEGIN IMMEDIATE (waits out other writers up to the busy timeout), COMMIT,
 * ROLLBACK (best effort: it is the error path). */
int store_begin(registry_store *s, zkml_error *err);
int store_commit(registry_store *s, zkml_error *err);
void store_rollback(registry_store *s);

/* BEGIN IMMEDIATE, then ZKML_EREJECTED (rolled back) unless row id of table
 * ("jobs" or "proofs") is still running under claim: a worker whose job was
 * re-queued and claimed again by another must not write to it. end commits
 * if rc is 0, else rolls back, and returns the outcome. */
int store_begin_claimed(registry_store *s, const char *table, const char *id, int64_t claim,
                        zkml_error *err);
int store_end_claimed(registry_store *s, int rc, zkml_error *err);

/* Opens <data_dir>/registry.db (creating the dir) in WAL mode with a busy
 * timeout and foreign keys on, without migrating. */
int store_connect(const char *data_dir, registry_store **out, zkml_error *err);

/* Applies the embedded migrations that the database has not recorded yet. */
int store_apply_migrations(registry_store *s, int *applied, zkml_error *err);

#endif
