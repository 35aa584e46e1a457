/*
 * store.c - the sqlite store: tasks, versions, jobs, steps and artifacts
 * (schema in migrations/), the version directories, and the JSON the HTTP
 * side reads. Every write that must be all-or-nothing runs in one
 * BEGIN IMMEDIATE transaction, so concurrent uploads and workers in other
 * processes never see or make half a version.
 */
#include "registry/store_internal.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { BUSY_TIMEOUT_MS = 30000 };

/* ---- sqlite helpers ------------------------------------------------------ */

int store_db_fail(registry_store *s, zkml_error *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    int zcode = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ZKML_ERETRY
                : (code == SQLITE_NOMEM)                       ? ZKML_ENOMEM
                : (code == SQLITE_CONSTRAINT)                  ? ZKML_EINTERNAL
                                                               : ZKML_EIO;
    return zkml_fail(err, zcode, "%s/registry.db: %s: %s", s->data_dir, what,
                     sqlite3_errmsg(s->db));
}

static int bind_all(registry_store *s, sqlite3_stmt *st, zkml_error *err, const char *types,
                    va_list ap)
{
    for (int i = 0; types[i]; i++) {
        int rc;
        switch (types[i]) {
        case 'i': rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int)); break;
        case 'l': rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t)); break;
        case 't':
            rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
            break;
        default: return zkml_fail(err, ZKML_EINTERNAL, "store: bad bind type '%c'", types[i]);
        }
        if (rc != SQLITE_OK)
            return store_db_fail(s, err, "binding a parameter");
    }
    return 0;
}

static int query_v(registry_store *s, sqlite3_stmt **stmt, zkml_error *err, const char *sql,
                   const char *types, va_list ap)
{
    *stmt = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return store_db_fail(s, err, "preparing a statement");
    int rc = bind_all(s, *stmt, err, types, ap);
    if (rc) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
    }
    return rc;
}

int store_query(registry_store *s, sqlite3_stmt **stmt, zkml_error *err, const char *sql,
                const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = query_v(s, stmt, err, sql, types, ap);
    va_end(ap);
    return rc;
}

int store_exec(registry_store *s, zkml_error *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st;
    va_list ap;
    va_start(ap, types);
    int rc = query_v(s, &st, err, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (step != SQLITE_DONE)
        rc = store_db_fail(s, err, "writing");
    sqlite3_finalize(st);
    return rc;
}

int store_begin(registry_store *s, zkml_error *err)
{
    return store_exec(s, err, "BEGIN IMMEDIATE", "");
}

int store_commit(registry_store *s, zkml_error *err)
{
    return store_exec(s, err, "COMMIT", "");
}

void store_rollback(registry_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_query_int64(registry_store *s, int64_t *out, zkml_error *err, const char *sql,
                       const char *types, ...)
{
    sqlite3_stmt *st;
    va_list ap;
    va_start(ap, types);
    int rc = query_v(s, &st, err, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        rc = ZKML_ENOTFOUND;
    else
        rc = store_db_fail(s, err, "reading");
    sqlite3_finalize(st);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

int store_connect(const char *data_dir, registry_store **out, zkml_error *err)
{
    *out = NULL;
    int rc = zkml_mkdir_p(data_dir, 0, err);
    if (rc)
        return rc;
    registry_store *s = calloc(1, sizeof *s);
    if (!s)
        return zkml_fail(err, ZKML_ENOMEM, "store: out of memory");
    char path[4200];
    if (snprintf(s->data_dir, sizeof s->data_dir, "%s", data_dir) >= (int)sizeof s->data_dir ||
        snprintf(path, sizeof path, "%s/registry.db", data_dir) >= (int)sizeof path) {
        free(s);
        return zkml_fail(err, ZKML_EINVAL, "%s: data dir path too long", data_dir);
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = zkml_fail(err, ZKML_EIO, "%s: cannot open: %s", path,
                       s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* WAL lets readers (HTTP status polls) run while a worker writes. */
    rc = store_exec(s, err, "PRAGMA journal_mode=WAL", "");
    if (!rc)
        rc = store_exec(s, err, "PRAGMA foreign_keys=ON", "");
    if (!rc)
        rc = store_exec(s, err, "PRAGMA synchronous=NORMAL", "");
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int store_open(const char *data_dir, registry_store **out, zkml_error *err)
{
    int rc = store_connect(data_dir, out, err);
    if (rc)
        return rc;
    rc = store_apply_migrations(*out, NULL, err);
    if (rc) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

void store_close(registry_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s);
}

/* ---- names and paths ----------------------------------------------------- */

int store_staging_dir(const char *data_dir, char *out, size_t outlen, zkml_error *err)
{
    int rc = zkml_path_join(out, outlen, data_dir, "uploads", err);
    return rc ? rc : zkml_mkdir_p(out, 1, err);
}

int store_clean_staging(const char *data_dir, int *removed, zkml_error *err)
{
    char dir[4200], path[4600];
    *removed = 0;
    int rc = store_staging_dir(data_dir, dir, sizeof dir, err);
    DIR *d = rc ? NULL : opendir(dir);
    if (!rc && !d)
        return zkml_fail(err, ZKML_EIO, "%s: %s", dir, strerror(errno));
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, "upload-", 7) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            (*removed)++;
    }
    if (d)
        closedir(d);
    return rc;
}

int store_version_dir(const char *data_dir, const char *task_id, int version, char *out,
                      size_t outlen, zkml_error *err)
{
    int rc = zkml_task_id_check(task_id, err);
    if (rc)
        return rc;
    if (version < 1)
        return zkml_fail(err, ZKML_EINVAL, "version: %d is not a version number", version);
    int n = snprintf(out, outlen, "%s/artifacts/%s/v%d", data_dir, task_id, version);
    if (n < 0 || (size_t)n >= outlen)
        return zkml_fail(err, ZKML_EINVAL, "%s: data dir path too long", data_dir);
    return 0;
}

/* ---- creating versions --------------------------------------------------- */

static int hash_valid(const char *h)
{
    size_t n = 0;
    for (; h && h[n]; n++)
        if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')) || n >= 64)
            return 0;
    return n == 64;
}

static int check_upload(const char *task_id, const char *hash, const store_upload *u,
                        zkml_error *err)
{
    int rc = zkml_task_id_check(task_id, err);
    if (rc)
        return rc;
    if (!hash_valid(hash))
        return zkml_fail(err, ZKML_EINVAL, "model_hash: expected 64 lowercase hex digits");
    if (!u->model_path)
        return zkml_fail(err, ZKML_EINVAL, "model: missing");
    if (u->sample < 0)
        return zkml_fail(err, ZKML_EINVAL, "sample: %d is negative", u->sample);
    if (u->target && strcmp(u->target, "resources") && strcmp(u->target, "accuracy"))
        return zkml_fail(err, ZKML_EINVAL, "target: '%s' is not resources or accuracy", u->target);
    for (size_t i = 0; i < u->nsteps; i++)
        if (!u->steps[i] || !u->steps[i][0])
            return zkml_fail(err, ZKML_EINVAL, "steps[%zu]: empty step name", i);
    return 0;
}

/* Moves a staged upload into the version dir under its artifact name. */
static int move_upload(const char *from, const char *dir, const char *name, char *moved,
                       size_t movedlen, zkml_error *err)
{
    int rc = zkml_path_join(moved, movedlen, dir, name, err);
    if (rc)
        return rc;
    if (rename(from, moved) != 0)
        return zkml_fail(err, ZKML_EIO, "%s -> %s: %s%s", from, moved, strerror(errno),
                         errno == EXDEV ? " (stage uploads in the data dir's uploads/)" : "");
    return 0;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
}

/* Inside the transaction: returns 1 and fills out if the hash is known. */
static int find_existing(registry_store *s, const char *task_id, const char *hash,
                         store_version_ref *out, zkml_error *err)
{
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err,
                         "SELECT v.version, j.id FROM versions v JOIN jobs j ON j.version_id = v.id"
                         " WHERE v.task_id = ? AND v.model_hash = ?",
                         "tt", task_id, hash);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->version = sqlite3_column_int(st, 0);
        out->job_id = sqlite3_column_int64(st, 1);
        out->existed = 1;
        rc = 1;
    } else if (step != SQLITE_DONE) {
        rc = store_db_fail(s, err, "looking up the model hash");
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_rows(registry_store *s, const char *task_id, const char *hash,
                       const store_upload *u, int64_t model_size, int64_t data_size,
                       store_version_ref *out, zkml_error *err)
{
    int64_t now = zkml_now_ms(), next = 0, version_id = 0;
    int rc = store_exec(s, err, "INSERT OR IGNORE INTO tasks (task_id, created_at) VALUES (?, ?)",
                        "tl", task_id, now);
    if (!rc)
        rc = store_query_int64(s, &next, err,
                         "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE task_id = ?",
                         "t", task_id);
    if (!rc)
        rc = store_exec(s, err,
                        "INSERT INTO versions (task_id, version, model_hash, model_cid,"
                        " has_data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        "tlttil", task_id, next, hash, out->model_cid, u->data_path != NULL, now);
    version_id = sqlite3_last_insert_rowid(s->db);
    if (!rc)
        rc = store_exec(s, err,
                        "INSERT INTO jobs (version_id, sample, target, message,"
                        " created_at, updated_at, ceremony) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                        "litllt", version_id, u->sample, u->target ? u->target : "resources", now,
                        now, u->ceremony_open ? "open" : "none");
    out->job_id = sqlite3_last_insert_rowid(s->db);
    for (size_t i = 0; !rc && i < u->nsteps; i++)
        rc = store_exec(s, err, "INSERT INTO steps (job_id, position, name) VALUES (?, ?, ?)",
                        "lit", out->job_id, (int)i, u->steps[i]);
    if (!rc)
        rc = store_exec(s, err,
                        "INSERT INTO artifacts (version_id, name, size, step, updated_at)"
                        " VALUES (?, 'model.onnx', ?, 'upload', ?)",
                        "lll", version_id, model_size, now);
    if (!rc && u->data_path)
        rc = store_exec(s, err,
                        "INSERT INTO artifacts (version_id, name, size, step, updated_at)"
                        " VALUES (?, 'data.csv', ?, 'upload', ?)",
                        "lll", version_id, data_size, now);
    out->version = (int)next;
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The staged files with their artifacts (model first: it is always there). */
enum { N_STAGED = 3 };
static void staged_files(const store_upload *u, const char *from[N_STAGED])
{
    from[0] = u->model_path;
    from[1] = u->data_path;
    from[2] = u->settings_path;
}
static const zkml_artifact_id STAGED_IDS[N_STAGED] = {ZKML_A_MODEL, ZKML_A_DATA, ZKML_A_SETTINGS};

/* Moves the files placed so far back to the staging area. */
static void unplace_uploads(const store_upload *u, char to[N_STAGED][4200])
{
    const char *from[N_STAGED];
    staged_files(u, from);
    for (int i = 0; i < N_STAGED; i++)
        if (from[i] && to[i][0])
            rename(to[i], from[i]);
}

/* Renames the staged files into the new version's dir; undoes on failure.
 * The version number is new to the database, so a directory already there is
 * what a crash between the rename and the commit left: cleared, so the new
 * version adopts none of its files. */
static int place_uploads(const char *data_dir, const store_upload *u, const char *task_id,
                         int version, char to[N_STAGED][4200], zkml_error *err)
{
    char dir[4096];
    const char *from[N_STAGED];
    staged_files(u, from);
    int rc = store_version_dir(data_dir, task_id, version, dir, sizeof dir, err);
    struct stat st;
    if (!rc && lstat(dir, &st) == 0 && nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        rc = zkml_fail(err, ZKML_EIO, "%s: cannot clear a crashed upload's files: %s", dir,
                       strerror(errno));
    if (!rc)
        rc = zkml_mkdir_p(dir, 0, err);
    for (int i = 0; !rc && i < N_STAGED; i++)
        if (from[i] &&
            (rc = move_upload(from[i], dir, zkml_artifact_name(STAGED_IDS[i]), to[i], 4200, err))) {
            to[i][0] = '\0';
            unplace_uploads(u, to);
        }
    return rc;
}

int store_create_version(registry_store *s, const char *task_id, const char *model_hash_hex,
                         const store_upload *u, store_version_ref *out, zkml_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_upload(task_id, model_hash_hex, u, err);
    if (rc)
        return rc;
    snprintf(out->task_id, sizeof out->task_id, "%s", task_id);
    snprintf(out->model_hash, sizeof out->model_hash, "%s", model_hash_hex);
    int64_t model_size = file_size(u->model_path);
    int64_t data_size = u->data_path ? file_size(u->data_path) : 0;
    if (model_size < 0 || data_size < 0)
        return zkml_fail(err, ZKML_EIO, "%s: staged upload is missing",
                         model_size < 0 ? u->model_path : u->data_path);
    /* Outside the transaction: a large model takes a while to hash. */
    if ((rc = zkml_cid_file(u->model_path, out->model_cid, err)) || (rc = store_begin(s, err)))
        return rc;
    rc = find_existing(s, task_id, model_hash_hex, out, err);
    const char *from[N_STAGED];
    staged_files(u, from);
    if (rc == 1) {
        store_rollback(s);
        for (int i = 0; i < N_STAGED; i++)
            if (from[i])
                unlink(from[i]);
        return 0;
    }
    if (!rc)
        rc = insert_rows(s, task_id, model_hash_hex, u, model_size, data_size, out, err);
    char to[N_STAGED][4200] = {"", "", ""};
    if (!rc)
        rc = place_uploads(s->data_dir, u, task_id, out->version, to, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    rc = store_commit(s, err);
    if (rc) {
        store_rollback(s);
        unplace_uploads(u, to);
    }
    return rc;
}

/* ---- jobs and steps ------------------------------------------------------ */

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
    snprintf(dst, len, "%s", src ? (const char *)src : "");
}

int store_job_claim_next(registry_store *s, int worker_pid, store_job *job, zkml_error *err)
{
    memset(job, 0, sizeof *job);
    int64_t now = zkml_now_ms(), waiting = 0;
    int rc = store_query_int64(s, &waiting, err,
                               "SELECT EXISTS(SELECT 1 FROM jobs"
                               " WHERE state = 'queued' AND not_before <= ?)",
                               "l", now);
    if (rc || !waiting)
        return rc; /* an idle poll takes no write lock (see registry.h) */
    rc = store_begin(s, err);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = store_query(s, &st, err,
                     "SELECT j.id, v.task_id, v.version, j.sample, j.target, j.attempts,"
                     " j.claim + 1, j.ceremony = 'open'"
                     " FROM jobs j JOIN versions v ON v.id = j.version_id"
                     " WHERE j.state = 'queued' AND j.not_before <= ? ORDER BY j.id LIMIT 1",
                     "l", now);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    int step = sqlite3_step(st), claimed = 0;
    if (step == SQLITE_ROW) {
        job->id = sqlite3_column_int64(st, 0);
        copy_text(job->task_id, sizeof job->task_id, sqlite3_column_text(st, 1));
        job->version = sqlite3_column_int(st, 2);
        job->sample = sqlite3_column_int(st, 3);
        copy_text(job->target, sizeof job->target, sqlite3_column_text(st, 4));
        job->attempts = sqlite3_column_int(st, 5);
        job->claim = sqlite3_column_int64(st, 6);
        job->ceremony_open = sqlite3_column_int(st, 7);
        claimed = 1;
    } else if (step != SQLITE_DONE) {
        rc = store_db_fail(s, err, "looking for a queued job");
    }
    sqlite3_finalize(st);
    if (!rc && claimed)
        rc = store_exec(s, err,
                        "UPDATE jobs SET state = 'running', worker_pid = ?,"
                        " heartbeat_at = ?, updated_at = ?, message = 'running',"
                        " error = NULL, claim = ? WHERE id = ?",
                        "illll", worker_pid, now, now, job->claim, job->id);
    if (!rc)
        rc = store_commit(s, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    return claimed;
}

int store_begin_claimed(registry_store *s, const char *table, const char *id, int64_t claim,
                        zkml_error *err)
{
    char sql[128];
    int64_t now_claim = -1;
    snprintf(sql, sizeof sql, "SELECT claim FROM %s WHERE id = ? AND state = 'running'", table);
    int rc = store_begin(s, err);
    if (!rc)
        rc = store_query_int64(s, &now_claim, err, sql, "t", id);
    if (rc == ZKML_ENOTFOUND || (!rc && now_claim != claim))
        rc = zkml_fail(err, ZKML_EREJECTED,
                       "%s %s: claim %lld is no longer its own (it was re-queued and claimed "
                       "again): this worker's write is refused",
                       table, id, (long long)claim);
    if (rc)
        store_rollback(s);
    return rc;
}

int store_end_claimed(registry_store *s, int rc, zkml_error *err)
{
    if (!rc)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

/* The job's fenced transaction (store_begin_claimed). */
static int begin_claimed(registry_store *s, const store_job *job, zkml_error *err)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)job->id);
    return store_begin_claimed(s, "jobs", id, job->claim, err);
}

int store_job_heartbeat(registry_store *s, const store_job *job, zkml_error *err)
{
    int rc = begin_claimed(s, job, err);
    if (rc)
        return rc;
    rc = store_exec(s, err, "UPDATE jobs SET heartbeat_at = ? WHERE id = ?", "ll", zkml_now_ms(),
                    job->id);
    return store_end_claimed(s, rc, err);
}

int store_requeue_dead_jobs(registry_store *s, int worker_pid, int64_t stale_ms, int *requeued,
                            zkml_error *err)
{
    if (requeued)
        *requeued = 0;
    /* The same condition selects the jobs in both statements. */
    static const char dead[] = "state = 'running' AND ((?1 > 0 AND worker_pid = ?1) OR"
                               " (?1 = 0 AND heartbeat_at < ?2))";
    char sql[512];
    int64_t cutoff = zkml_now_ms() - stale_ms;
    int rc = store_begin(s, err);
    if (rc)
        return rc;
    snprintf(sql, sizeof sql,
             "UPDATE steps SET state = 'queued', started_at = NULL,"
             " message = 'interrupted: its worker died' WHERE state = 'running' AND"
             " job_id IN (SELECT id FROM jobs WHERE %s)",
             dead);
    rc = store_exec(s, err, sql, "il", worker_pid, cutoff);
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET state = 'queued', worker_pid = NULL, updated_at = ?3,"
             " message = 're-queued: its worker died' WHERE %s",
             dead);
    if (!rc)
        rc = store_exec(s, err, sql, "ill", worker_pid, cutoff, zkml_now_ms());
    int changed = sqlite3_changes(s->db);
    snprintf(sql, sizeof sql,
             "UPDATE proofs SET state = 'queued', worker_pid = NULL, started_at = NULL WHERE %s",
             dead);
    if (!rc)
        rc = store_exec(s, err, sql, "il", worker_pid, cutoff);
    if (!rc)
        rc = store_commit(s, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    if (requeued)
        *requeued = changed;
    return 0;
}

int store_step_state(registry_store *s, int64_t job_id, const char *step,
                     char state[STORE_STATE_MAX], zkml_error *err)
{
    state[0] = 0;
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err, "SELECT state FROM steps WHERE job_id = ? AND name = ?", "lt",
                         job_id, step);
    if (rc)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        copy_text(state, STORE_STATE_MAX, sqlite3_column_text(st, 0));
    else if (r == SQLITE_DONE)
        rc = zkml_fail(err, ZKML_ENOTFOUND, "job %lld has no step %s", (long long)job_id, step);
    else
        rc = store_db_fail(s, err, "reading a step");
    sqlite3_finalize(st);
    return rc;
}

int store_step_begin(registry_store *s, const store_job *job, const char *step, zkml_error *err)
{
    int64_t now = zkml_now_ms(), job_id = job->id;
    int rc = begin_claimed(s, job, err);
    if (rc)
        return rc;
    rc = store_exec(s, err,
                    "INSERT INTO steps (job_id, position, name, state, started_at)"
                    " VALUES (?1, (SELECT COALESCE(MAX(position) + 1, 0) FROM steps"
                    " WHERE job_id = ?1), ?2, 'running', ?3)"
                    " ON CONFLICT (job_id, name) DO UPDATE SET state = 'running',"
                    " started_at = ?3, finished_at = NULL, ms = NULL, message = NULL",
                    "ltl", job_id, step, now);
    if (!rc)
        rc = store_exec(s, err,
                        "UPDATE jobs SET message = 'running ' || ?, updated_at = ?,"
                        " heartbeat_at = ? WHERE id = ?",
                        "tlll", step, now, now, job_id);
    return store_end_claimed(s, rc, err);
}

static int state_valid(const char *state, int for_step)
{
    static const char *const states[] = {"queued", "running", "done", "failed", "skipped"};
    for (size_t i = 0; state && i < (for_step ? 5u : 4u); i++)
        if (!strcmp(state, states[i]))
            return 1;
    return 0;
}

int store_step_finish(registry_store *s, const store_job *job, const char *step, const char *state,
                      const char *message, int64_t ms, zkml_error *err)
{
    if (!state_valid(state, 1))
        return zkml_fail(err, ZKML_EINTERNAL, "step %s: bad state '%s'", step,
                         state ? state : "(null)");
    char *rel = store_relative_message(s, message);
    int rc = begin_claimed(s, job, err);
    if (!rc)
        rc = store_end_claimed(s,
                         store_exec(s, err,
                                    "UPDATE steps SET state = ?, message = ?, finished_at = ?,"
                                    " ms = ? WHERE job_id = ? AND name = ?",
                                    "ttlllt", state, rel ? rel : message, zkml_now_ms(), ms,
                                    job->id, step),
                         err);
    free(rel);
    return rc;
}

int store_job_finish(registry_store *s, const store_job *job, const char *state,
                     const char *message, zkml_error *err)
{
    if (!state_valid(state, 0) || (strcmp(state, "done") && strcmp(state, "failed")))
        return zkml_fail(err, ZKML_EINTERNAL, "job %lld: bad final state '%s'", (long long)job->id,
                         state ? state : "(null)");
    int failed = !strcmp(state, "failed");
    char *rel = store_relative_message(s, message);
    const char *m = rel ? rel : message;
    int rc = begin_claimed(s, job, err);
    if (!rc)
        rc = store_end_claimed(s,
                         store_exec(s, err,
                                    "UPDATE jobs SET state = ?, message = ?, error = ?,"
                                    " worker_pid = NULL, updated_at = ? WHERE id = ?",
                                    "tttll", state, m, failed ? m : NULL, zkml_now_ms(), job->id),
                         err);
    free(rel);
    return rc;
}

int store_job_await_contributions(registry_store *s, const store_job *job, const char *message,
                                  zkml_error *err)
{
    int rc = begin_claimed(s, job, err);
    if (!rc)
        rc = store_end_claimed(s,
                         store_exec(s, err,
                                    "UPDATE jobs SET state = 'awaiting_contributions',"
                                    " message = ?, error = NULL, worker_pid = NULL,"
                                    " updated_at = ? WHERE id = ?",
                                    "tll", message, zkml_now_ms(), job->id),
                         err);
    return rc;
}

int store_job_retry_later(registry_store *s, const store_job *job, int64_t delay_ms,
                          const char *message, zkml_error *err)
{
    int64_t now = zkml_now_ms();
    char *rel = store_relative_message(s, message);
    int rc = begin_claimed(s, job, err);
    if (!rc)
        rc = store_end_claimed(s,
                         store_exec(s, err,
                                    "UPDATE jobs SET state = 'queued', attempts = attempts + 1,"
                                    " not_before = ?, message = ?, error = NULL,"
                                    " worker_pid = NULL, updated_at = ? WHERE id = ?",
                                    "ltll", now + delay_ms, rel ? rel : message, now, job->id),
                         err);
    free(rel);
    return rc;
}

/* Inside a transaction: the artifacts from the fixed list found in dir. */
static int record_dir_artifacts(registry_store *s, int64_t version_id, const char *dir,
                                const char *step, zkml_error *err)
{
    char path[4200];
    int rc = 0;
    for (int i = 0; !rc && i < ZKML_A_COUNT; i++) {
        const char *name = zkml_artifact_name((zkml_artifact_id)i);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        int64_t size = file_size(path);
        if (size < 0)
            continue;
        rc = store_exec(s, err,
                        "INSERT INTO artifacts (version_id, name, size, step, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (version_id, name) DO UPDATE"
                        " SET size = ?3, updated_at = ?5 WHERE size != ?3",
                        "ltltl", version_id, name, size, step, zkml_now_ms());
    }
    return rc;
}

int store_record_artifacts(registry_store *s, const char *data_dir, const store_job *job,
                           const char *step, zkml_error *err)
{
    char dir[4096];
    int64_t version_id;
    int rc = store_version_dir(data_dir, job->task_id, job->version, dir, sizeof dir, err);
    if (!rc)
        rc = store_query_int64(s, &version_id, err, "SELECT version_id FROM jobs WHERE id = ?", "l",
                         job->id);
    if (rc == ZKML_ENOTFOUND)
        return zkml_fail(err, rc, "job %lld not found", (long long)job->id);
    if (!rc)
        rc = begin_claimed(s, job, err);
    if (rc)
        return rc;
    return store_end_claimed(s, record_dir_artifacts(s, version_id, dir, step, err), err);
}

int store_version_record_artifacts(registry_store *s, const char *data_dir, const char *task_id,
                                   int version, const char *step, zkml_error *err)
{
    char dir[4096];
    int64_t version_id;
    int rc = store_version_dir(data_dir, task_id, version, dir, sizeof dir, err);
    if (!rc)
        rc = store_query_int64(s, &version_id, err,
                         "SELECT id FROM versions WHERE task_id = ? AND version = ?", "ti",
                         task_id, version);
    if (rc == ZKML_ENOTFOUND)
        return zkml_fail(err, rc, "task %s has no version %d", task_id, version);
    if (!rc)
        rc = store_begin(s, err);
    if (rc)
        return rc;
    rc = record_dir_artifacts(s, version_id, dir, step, err);
    if (!rc)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

/* The data dir is the server's business: status messages name files relative
 * to it ("artifacts/t/v1/data.csv", not "/srv/zkml/artifacts/..."). */
char *store_relative_message(const registry_store *s, const char *message)
{
    char prefix[sizeof s->data_dir + 1];
    snprintf(prefix, sizeof prefix, "%s/", s->data_dir);
    size_t plen = strlen(prefix);
    if (!message || !strstr(message, prefix))
        return NULL;
    char *out = malloc(strlen(message) + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = message; *p;) {
        if (!strncmp(p, prefix, plen)) {
            p += plen;
            continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}
