/*
 * migrate.c - applies the migrations compiled into this binary
 * (migrations/NNNN_name.sql), each once, each in its own transaction, and
 * records it in schema_migrations. A database that records a migration this
 * binary does not know was written by a newer binary: it is refused, because
 * running old code on a newer schema could lose data.
 */
#include "registry/migrations.h"
#include "registry/store_internal.h"

#include <stdio.h>
#include <stdlib.h>

static const char schema_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

int store_schema_version_known(void)
{
    return registry_migration_count ? registry_migrations[registry_migration_count - 1].number : 0;
}

int store_schema_version(registry_store *s, int *version, zkml_error *err)
{
    *version = 0;
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err, "SELECT COALESCE(MAX(number), 0) FROM schema_migrations", "");
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return store_db_fail(s, err, "reading the schema version");
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Inside a transaction: refuses a newer database. */
static int refuse_newer_schema(registry_store *s, int recorded, zkml_error *err)
{
    int known = store_schema_version_known();
    if (recorded <= known)
        return 0;
    return zkml_fail(err, ZKML_EINVAL,
                     "%s/registry.db: the database has schema version %d but this "
                     "zkml-registry knows migrations up to %d only; it was migrated by a "
                     "newer zkml-registry, so run that one (refusing to start)",
                     s->data_dir, recorded, known);
}

/* Applies one migration unless another process has done it meanwhile. */
static int apply_one(registry_store *s, const registry_migration *m, int *applied, zkml_error *err)
{
    int rc = store_begin(s, err);
    if (rc)
        return rc;
    int recorded;
    rc = store_schema_version(s, &recorded, err);
    if (!rc)
        rc = refuse_newer_schema(s, recorded, err);
    if (rc || recorded >= m->number) {
        store_rollback(s);
        return rc;
    }
    char *msg = NULL;
    if (sqlite3_exec(s->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
        zkml_fail(err, ZKML_EINTERNAL, "migrations/%s: %s", m->name,
                  msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        store_rollback(s);
        return err ? err->code : ZKML_EINTERNAL;
    }
    rc = store_exec(s, err,
                    "INSERT INTO schema_migrations (number, name, applied_at) "
                    "VALUES (?, ?, ?)",
                    "itl", m->number, m->name, zkml_now_ms());
    if (!rc)
        rc = store_commit(s, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    (*applied)++;
    return 0;
}

int store_apply_migrations(registry_store *s, int *applied, zkml_error *err)
{
    int count = 0;
    if (applied)
        *applied = 0;
    int rc = store_exec(s, err, schema_table_sql, "");
    if (rc)
        return rc;
    int recorded;
    rc = store_schema_version(s, &recorded, err);
    if (!rc)
        rc = refuse_newer_schema(s, recorded, err);
    for (size_t i = 0; !rc && i < registry_migration_count; i++)
        if (registry_migrations[i].number > recorded)
            rc = apply_one(s, &registry_migrations[i], &count, err);
    if (applied)
        *applied = count;
    return rc;
}

int store_migrate(const char *data_dir, int *applied, zkml_error *err)
{
    registry_store *s;
    int rc = store_connect(data_dir, &s, err);
    if (rc)
        return rc;
    rc = store_apply_migrations(s, applied, err);
    store_close(s);
    return rc;
}
