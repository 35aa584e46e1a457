/*
 * store_json.c - the store's JSON readers for the HTTP side (shapes in
 * registry.h and docs/ARCHITECTURE.md). Each reads in one transaction, so a status
 * never mixes two moments, and returns a malloc'ed string.
 */
#include "registry/store_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Adds to obj; on failure clears *ok (checked once, when printing). */
static void add_text(cJSON *obj, const char *key, const unsigned char *text, int *ok)
{
    cJSON *v = text ? cJSON_CreateString((const char *)text) : cJSON_CreateNull();
    if (!v || !cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        *ok = 0;
    }
}

static void add_number(cJSON *obj, const char *key, double n, int *ok)
{
    if (!cJSON_AddNumberToObject(obj, key, n))
        *ok = 0;
}

/* Milliseconds since the epoch as "2024-05-01T12:00:00.123Z", or null. */
static void add_time(cJSON *obj, const char *key, sqlite3_stmt *st, int col, int *ok)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        add_text(obj, key, NULL, ok);
        return;
    }
    int64_t ms = sqlite3_column_int64(st, col);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char buf[40];
    if (!gmtime_r(&secs, &tm)) {
        *ok = 0;
        return;
    }
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
    add_text(obj, key, (const unsigned char *)buf, ok);
}

static cJSON *add_array(cJSON *obj, const char *key, int *ok)
{
    cJSON *a = cJSON_AddArrayToObject(obj, key);
    if (!a)
        *ok = 0;
    return a;
}

static cJSON *append_object(cJSON *array, int *ok)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !array || !cJSON_AddItemToArray(array, o)) {
        cJSON_Delete(o);
        *ok = 0;
        return NULL;
    }
    return o;
}

/* Prints and frees root; ends the read transaction. */
static int finish(registry_store *s, cJSON *root, int ok, int rc, char **json, zkml_error *err)
{
    store_rollback(s);
    if (!rc && ok && root)
        *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (rc)
        return rc;
    if (!*json)
        return zkml_fail(err, ZKML_ENOMEM, "store: out of memory building JSON");
    return 0;
}

static int begin_read(registry_store *s, zkml_error *err)
{
    return store_exec(s, err, "BEGIN", "");
}

/* Steps st to the next row: 1 row, 0 done, <0 error. */
static int next_row(registry_store *s, sqlite3_stmt *st, zkml_error *err)
{
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        return 1;
    return r == SQLITE_DONE ? 0 : store_db_fail(s, err, "reading");
}

int store_resolve_version(registry_store *s, const char *task_id, int version, int *resolved,
                          zkml_error *err)
{
    *resolved = 0;
    if (zkml_task_id_check(task_id, err))
        return ZKML_EINVAL;
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err,
                         "SELECT MAX(version) FROM versions WHERE task_id = ?1"
                         " AND (?2 = 0 OR version = ?2)",
                         "ti", task_id, version);
    if (rc)
        return rc;
    rc = next_row(s, st, err);
    if (rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *resolved = sqlite3_column_int(st, 0);
        rc = 0;
    } else if (rc >= 0) {
        rc = version ? zkml_fail(err, ZKML_ENOTFOUND, "task %s has no version %d", task_id, version)
                     : zkml_fail(err, ZKML_ENOTFOUND, "no task %s", task_id);
    }
    sqlite3_finalize(st);
    return rc;
}

int store_tasks_json(registry_store *s, char **json, zkml_error *err)
{
    *json = NULL;
    int ok = 1, rc = begin_read(s, err);
    if (rc)
        return rc;
    cJSON *root = cJSON_CreateObject();
    cJSON *tasks = root ? add_array(root, "tasks", &ok) : NULL;
    sqlite3_stmt *st = NULL;
    rc = store_query(s, &st, err,
                     "SELECT t.task_id, t.created_at, COUNT(v.id), MAX(v.version),"
                     " (SELECT j.state FROM versions lv JOIN jobs j ON j.version_id = lv.id"
                     "  WHERE lv.task_id = t.task_id ORDER BY lv.version DESC LIMIT 1)"
                     " FROM tasks t LEFT JOIN versions v ON v.task_id = t.task_id"
                     " GROUP BY t.task_id ORDER BY t.task_id",
                     "");
    while (!rc && (rc = next_row(s, st, err)) == 1) {
        rc = 0;
        cJSON *t = append_object(tasks, &ok);
        if (!t)
            break;
        add_text(t, "task_id", sqlite3_column_text(st, 0), &ok);
        add_time(t, "created_at", st, 1, &ok);
        add_number(t, "versions", sqlite3_column_int(st, 2), &ok);
        add_number(t, "latest_version", sqlite3_column_int(st, 3), &ok);
        add_text(t, "state", sqlite3_column_text(st, 4), &ok);
    }
    sqlite3_finalize(st);
    return finish(s, root, ok && root, rc, json, err);
}

int store_task_json(registry_store *s, const char *task_id, char **json, zkml_error *err)
{
    *json = NULL;
    int ok = 1, latest, rc = begin_read(s, err);
    if (rc)
        return rc;
    cJSON *root = NULL;
    sqlite3_stmt *st = NULL;
    rc = store_resolve_version(s, task_id, 0, &latest, err);
    if (!rc && !(root = cJSON_CreateObject()))
        ok = 0;
    if (!rc && root) {
        add_text(root, "task_id", (const unsigned char *)task_id, &ok);
        rc = store_query(s, &st, err, "SELECT created_at FROM tasks WHERE task_id = ?", "t",
                         task_id);
        if (!rc && (rc = next_row(s, st, err)) == 1) {
            rc = 0;
            add_time(root, "created_at", st, 0, &ok);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    cJSON *versions = root && !rc ? add_array(root, "versions", &ok) : NULL;
    if (!rc && root)
        rc = store_query(s, &st, err,
                         "SELECT v.version, v.model_hash, v.created_at, j.id, j.state,"
                         " v.model_cid"
                         " FROM versions v JOIN jobs j ON j.version_id = v.id"
                         " WHERE v.task_id = ? ORDER BY v.version",
                         "t", task_id);
    while (!rc && st && (rc = next_row(s, st, err)) == 1) {
        rc = 0;
        cJSON *v = append_object(versions, &ok);
        if (!v)
            break;
        add_number(v, "version", sqlite3_column_int(st, 0), &ok);
        add_text(v, "model_hash", sqlite3_column_text(st, 1), &ok);
        add_text(v, "model_cid", sqlite3_column_text(st, 5), &ok);
        add_time(v, "created_at", st, 2, &ok);
        add_number(v, "job_id", (double)sqlite3_column_int64(st, 3), &ok);
        add_text(v, "state", sqlite3_column_text(st, 4), &ok);
    }
    sqlite3_finalize(st);
    return finish(s, root, ok, rc, json, err);
}

/* The steps array of a status, and the summary fields derived from it. */
static int add_steps(registry_store *s, cJSON *root, int64_t job_id, const char *job_state, int *ok,
                     zkml_error *err)
{
    sqlite3_stmt *st;
    int rc = store_query(s, &st, err,
                         "SELECT name, state, started_at, finished_at, ms, message FROM steps"
                         " WHERE job_id = ? ORDER BY position",
                         "l", job_id);
    if (rc)
        return rc;
    cJSON *steps = add_array(root, "steps", ok);
    char current[64] = "";
    int total = 0, finished = 0, have_current = 0;
    while ((rc = next_row(s, st, err)) == 1) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        cJSON *o = append_object(steps, ok);
        if (!o || !name || !state)
            continue;
        total++;
        int done = !strcmp(state, "done") || !strcmp(state, "skipped");
        finished += done;
        /* The step a reader cares about: the running or failed one, else the last done. */
        if (!have_current && (done || !strcmp(state, "running") || !strcmp(state, "failed")))
            snprintf(current, sizeof current, "%s", name);
        if (!strcmp(state, "running") || !strcmp(state, "failed"))
            have_current = 1;
        add_text(o, "name", (const unsigned char *)name, ok);
        add_text(o, "state", (const unsigned char *)state, ok);
        add_time(o, "started_at", st, 2, ok);
        add_time(o, "finished_at", st, 3, ok);
        if (sqlite3_column_type(st, 4) == SQLITE_NULL)
            add_text(o, "ms", NULL, ok);
        else
            add_number(o, "ms", (double)sqlite3_column_int64(st, 4), ok);
        add_text(o, "message", sqlite3_column_text(st, 5), ok);
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    add_text(root, "step", current[0] ? (const unsigned char *)current : NULL, ok);
    double progress = total ? (double)finished / total : (!strcmp(job_state, "done") ? 1 : 0);
    add_number(root, "progress", progress, ok);
    return 0;
}

int store_status_json(registry_store *s, const char *task_id, int version, char **json,
                      zkml_error *err)
{
    *json = NULL;
    int ok = 1, resolved, rc = begin_read(s, err);
    if (rc)
        return rc;
    cJSON *root = NULL;
    sqlite3_stmt *st = NULL;
    rc = store_resolve_version(s, task_id, version, &resolved, err);
    if (!rc)
        rc = store_query(s, &st, err,
                         "SELECT j.id, v.model_hash, j.state, j.message, j.error, j.updated_at,"
                         " j.attempts, v.model_cid"
                         " FROM versions v JOIN jobs j ON j.version_id = v.id"
                         " WHERE v.task_id = ? AND v.version = ?",
                         "ti", task_id, resolved);
    if (!rc && (rc = next_row(s, st, err)) == 0)
        rc = zkml_fail(err, ZKML_ENOTFOUND, "task %s version %d has no job", task_id, resolved);
    if (rc == 1) {
        rc = 0;
        if (!(root = cJSON_CreateObject()))
            ok = 0;
    }
    if (!rc && root) {
        int64_t job_id = sqlite3_column_int64(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 2);
        add_text(root, "task_id", (const unsigned char *)task_id, &ok);
        add_number(root, "version", resolved, &ok);
        add_number(root, "job_id", (double)job_id, &ok);
        add_text(root, "model_hash", sqlite3_column_text(st, 1), &ok);
        add_text(root, "model_cid", sqlite3_column_text(st, 7), &ok);
        add_text(root, "state", (const unsigned char *)state, &ok);
        add_text(root, "message", sqlite3_column_text(st, 3), &ok);
        add_text(root, "error", sqlite3_column_text(st, 4), &ok);
        add_time(root, "timestamp", st, 5, &ok);
        add_number(root, "attempts", sqlite3_column_int(st, 6), &ok);
        rc = add_steps(s, root, job_id, state ? state : "", &ok, err);
    }
    sqlite3_finalize(st);
    return finish(s, root, ok, rc, json, err);
}

int store_artifacts_json(registry_store *s, const char *task_id, int version, char **json,
                         zkml_error *err)
{
    *json = NULL;
    int ok = 1, resolved, rc = begin_read(s, err);
    if (rc)
        return rc;
    cJSON *root = NULL, *list = NULL;
    sqlite3_stmt *st = NULL;
    rc = store_resolve_version(s, task_id, version, &resolved, err);
    if (!rc && (root = cJSON_CreateObject())) {
        add_text(root, "task_id", (const unsigned char *)task_id, &ok);
        add_number(root, "version", resolved, &ok);
        list = add_array(root, "artifacts", &ok);
        rc = store_query(s, &st, err,
                         "SELECT a.name, a.size, a.step, a.updated_at FROM artifacts a"
                         " JOIN versions v ON v.id = a.version_id"
                         " WHERE v.task_id = ? AND v.version = ? ORDER BY a.updated_at, a.name",
                         "ti", task_id, resolved);
    } else if (!rc) {
        ok = 0;
    }
    while (!rc && st && (rc = next_row(s, st, err)) == 1) {
        rc = 0;
        const zkml_artifact *kind = zkml_artifact_find((const char *)sqlite3_column_text(st, 0));
        cJSON *a = kind ? append_object(list, &ok) : NULL;
        if (!a)
            continue;
        add_text(a, "name", (const unsigned char *)kind->name, &ok);
        add_number(a, "size", (double)sqlite3_column_int64(st, 1), &ok);
        add_text(a, "content_type", (const unsigned char *)kind->content_type, &ok);
        add_text(a, "step", sqlite3_column_text(st, 2), &ok);
        add_text(a, "visibility", (const unsigned char *)zkml_visibility_name(kind->visibility),
                 &ok);
        add_time(a, "updated_at", st, 3, &ok);
    }
    sqlite3_finalize(st);
    return finish(s, root, ok, rc, json, err);
}
