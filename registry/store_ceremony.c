/*
 * store_ceremony.c - the store's side of an open phase-2 ceremony (contract
 * in registry.h): reading a version's job state and ceremony, and ending the
 * ceremony, which hands the job back to the workers. The transition is one
 * conditional UPDATE, so two finalize calls (or a finalize racing the check
 * of a contribution) cannot both see the ceremony open.
 */
#include "registry/store_internal.h"

#include <stdio.h>
#include <string.h>

int store_ceremony_state(registry_store *s, const char *task_id, int version,
                         char state[STORE_STATE_MAX], char ceremony[STORE_STATE_MAX],
                         zkml_error *err)
{
    state[0] = ceremony[0] = '\0';
    sqlite3_stmt *st;
    int rc = zkml_task_id_check(task_id, err);
    if (!rc)
        rc = store_query(s, &st, err,
                         "SELECT j.state, j.ceremony FROM versions v"
                         " JOIN jobs j ON j.version_id = v.id"
                         " WHERE v.task_id = ? AND v.version = ?",
                         "ti", task_id, version);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        snprintf(state, STORE_STATE_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(ceremony, STORE_STATE_MAX, "%s", (const char *)sqlite3_column_text(st, 1));
    } else if (step == SQLITE_DONE) {
        rc = zkml_fail(err, ZKML_ENOTFOUND, "task %s has no version %d", task_id, version);
    } else {
        rc = store_db_fail(s, err, "reading a job's ceremony");
    }
    sqlite3_finalize(st);
    return rc;
}

int store_ceremony_finalize(registry_store *s, const char *task_id, int version, zkml_error *err)
{
    int rc = store_exec(s, err,
                        "UPDATE jobs SET ceremony = 'finalized', state = 'queued',"
                        " message = 'queued: the ceremony was finalized', not_before = 0,"
                        " updated_at = ?1 WHERE state = 'awaiting_contributions'"
                        " AND ceremony = 'open' AND version_id ="
                        " (SELECT id FROM versions WHERE task_id = ?2 AND version = ?3)",
                        "lti", zkml_now_ms(), task_id, version);
    if (!rc && sqlite3_changes(s->db) != 1)
        rc = zkml_fail(err, ZKML_EREJECTED,
                       "the ceremony of %s version %d is not open (it was finalized, or the "
                       "version was not uploaded with ceremony=open)",
                       task_id, version);
    return rc;
}
