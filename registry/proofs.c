/*
 * proofs.c - the store's proof jobs (migrations/0005_proofs.sql): proofs of
 * new inputs with a registered version's key. They are queued by the HTTP
 * side, claimed by the workers like a version's job (worker, heartbeat, a new
 * claim generation per claim that every later write must name) and keep
 * their input and result as JSON text, so a restart loses none of them.
 */
#include "registry/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void store_proof_free(store_proof *p)
{
    free(p->input);
    free(p->output_data);
    free(p->result);
    free(p->error);
    memset(p, 0, sizeof *p);
}

int store_proof_id_valid(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if (n >= STORE_PROOF_ID_LEN ||
            !((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return 0;
    return n == STORE_PROOF_ID_LEN;
}

/* 128 random bits as hex: an id nobody can guess, so a proof's result is
 * read only by whoever was given its id. */
static int new_id(char id[STORE_PROOF_ID_LEN + 1], zkml_error *err)
{
    uint8_t b[STORE_PROOF_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t k = getrandom(b + got, sizeof b - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return zkml_fail(err, ZKML_EIO, "getrandom failed: %s", strerror(errno));
        got += (size_t)k;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(id + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* Inside a transaction: the version's row id, if its job is done. */
static int version_ready(registry_store *s, const char *task_id, int version, int64_t *version_id,
                         zkml_error *err)
{
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err,
                         "SELECT v.id, j.state, j.message FROM versions v"
                         " JOIN jobs j ON j.version_id = v.id WHERE v.task_id = ? AND v.version = ?",
                         "ti", task_id, version);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 1);
        const char *message = (const char *)sqlite3_column_text(st, 2);
        *version_id = sqlite3_column_int64(st, 0);
        if (!state || strcmp(state, "done"))
            rc = zkml_fail(err, ZKML_ECONFLICT,
                           "version %d of task %s is %s (%s): only a version whose job is done "
                           "can prove new inputs",
                           version, task_id, state ? state : "?", message ? message : "");
    } else {
        rc = step == SQLITE_DONE
                 ? zkml_fail(err, ZKML_ENOTFOUND, "task %s has no version %d", task_id, version)
                 : store_db_fail(s, err, "reading a version");
    }
    sqlite3_finalize(st);
    return rc;
}

int store_version_ready(registry_store *s, const char *task_id, int *version, zkml_error *err)
{
    int64_t version_id;
    int rc = store_resolve_version(s, task_id, *version, version, err);
    return rc ? rc : version_ready(s, task_id, *version, &version_id, err);
}

int store_proof_create(registry_store *s, const char *task_id, int version, const char *input,
                       const char *output_data, char id[STORE_PROOF_ID_LEN + 1], zkml_error *err)
{
    int64_t version_id = 0;
    int rc = new_id(id, err);
    if (!rc)
        rc = store_resolve_version(s, task_id, version, &version, err);
    if (!rc)
        rc = store_begin(s, err);
    if (rc)
        return rc;
    rc = version_ready(s, task_id, version, &version_id, err);
    if (!rc)
        rc = store_exec(s, err,
                        "INSERT INTO proofs (id, version_id, input, output_data, created_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        "tlttl", id, version_id, input, output_data, zkml_now_ms());
    if (!rc)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

static char *column_dup(sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    char *d = t ? strdup((const char *)t) : NULL;
    if (t && !d)
        *oom = 1;
    return d;
}

/* The columns every reader selects, in this order. */
#define PROOF_COLUMNS                                                                              \
    "p.id, v.task_id, v.version, p.state, p.input, p.output_data, p.result, p.error,"             \
    " p.created_at, p.started_at, p.finished_at, p.claim"

static int read_row(sqlite3_stmt *st, store_proof *p, zkml_error *err)
{
    int oom = 0;
    snprintf(p->id, sizeof p->id, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(p->task_id, sizeof p->task_id, "%s", (const char *)sqlite3_column_text(st, 1));
    p->version = sqlite3_column_int(st, 2);
    snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(st, 3));
    p->input = column_dup(st, 4, &oom);
    p->output_data = column_dup(st, 5, &oom);
    p->result = column_dup(st, 6, &oom);
    p->error = column_dup(st, 7, &oom);
    p->created_at = sqlite3_column_int64(st, 8);
    p->started_at = sqlite3_column_int64(st, 9);
    p->finished_at = sqlite3_column_int64(st, 10);
    p->claim = sqlite3_column_int64(st, 11);
    if (oom) {
        store_proof_free(p);
        return zkml_fail(err, ZKML_ENOMEM, "store: out of memory reading a proof");
    }
    return 1;
}

/* 1 and *p filled from the first row, 0 without one, <0 on error. */
static int first_row(registry_store *s, sqlite3_stmt *st, store_proof *p, zkml_error *err)
{
    int step = sqlite3_step(st);
    int rc = step == SQLITE_ROW    ? read_row(st, p, err)
             : step == SQLITE_DONE ? 0
                                   : store_db_fail(s, err, "reading a proof");
    sqlite3_finalize(st);
    return rc;
}

int store_proof_get(registry_store *s, const char *task_id, int version, const char *id,
                    store_proof *p, zkml_error *err)
{
    memset(p, 0, sizeof *p);
    sqlite3_stmt *st;
    int rc = store_resolve_version(s, task_id, version, &version, err);
    if (!rc && !store_proof_id_valid(id))
        rc = zkml_fail(err, ZKML_ENOTFOUND, "no proof %s (a proof id is %d hex digits)", id,
                       STORE_PROOF_ID_LEN);
    if (!rc)
        rc = store_query(s, &st, err,
                         "SELECT " PROOF_COLUMNS " FROM proofs p JOIN versions v"
                         " ON v.id = p.version_id WHERE p.id = ? AND v.task_id = ? AND v.version = ?",
                         "tti", id, task_id, version);
    if (!rc && (rc = first_row(s, st, p, err)) == 0)
        rc = zkml_fail(err, ZKML_ENOTFOUND, "version %d of task %s has no proof %s", version,
                       task_id, id);
    return rc < 0 ? rc : 0;
}

int store_proof_claim_next(registry_store *s, int worker_pid, store_proof *p, zkml_error *err)
{
    memset(p, 0, sizeof *p);
    int64_t now = zkml_now_ms(), waiting = 0;
    sqlite3_stmt *st;
    int rc = store_query_int64(s, &waiting, err,
                               "SELECT EXISTS(SELECT 1 FROM proofs WHERE state = 'queued')", "");
    if (rc || !waiting)
        return rc; /* an idle poll takes no write lock (see registry.h) */
    rc = store_begin(s, err);
    if (!rc)
        rc = store_query(s, &st, err,
                         "SELECT " PROOF_COLUMNS " FROM proofs p JOIN versions v"
                         " ON v.id = p.version_id WHERE p.state = 'queued'"
                         " ORDER BY p.created_at, p.rowid LIMIT 1",
                         "");
    int claimed = rc ? rc : first_row(s, st, p, err);
    if (claimed == 1) {
        p->claim++;
        p->started_at = now;
        snprintf(p->state, sizeof p->state, "running");
        rc = store_exec(s, err,
                        "UPDATE proofs SET state = 'running', worker_pid = ?, heartbeat_at = ?,"
                        " started_at = ?, claim = ? WHERE id = ?",
                        "illlt", worker_pid, now, now, p->claim, p->id);
    }
    if (!rc && claimed >= 0)
        rc = store_commit(s, err);
    if (rc || claimed < 0) {
        store_rollback(s);
        store_proof_free(p);
        return rc ? rc : claimed;
    }
    return claimed;
}

int store_proof_heartbeat(registry_store *s, const store_proof *p, zkml_error *err)
{
    int rc = store_begin_claimed(s, "proofs", p->id, p->claim, err);
    if (rc)
        return rc;
    rc = store_exec(s, err, "UPDATE proofs SET heartbeat_at = ? WHERE id = ?", "lt", zkml_now_ms(),
                    p->id);
    return store_end_claimed(s, rc, err);
}

int store_proof_finish(registry_store *s, const store_proof *p, int done, const char *text,
                       zkml_error *err)
{
    char *rel = done ? NULL : store_relative_message(s, text);
    int rc = store_begin_claimed(s, "proofs", p->id, p->claim, err);
    if (!rc)
        rc = store_end_claimed(s,
                         store_exec(s, err,
                                    "UPDATE proofs SET state = ?, result = ?, error = ?,"
                                    " worker_pid = NULL, finished_at = ? WHERE id = ?",
                                    "tttlt", done ? "done" : "failed", done ? text : NULL,
                                    done ? NULL : rel ? rel : text, zkml_now_ms(), p->id),
                         err);
    free(rel);
    return rc;
}
