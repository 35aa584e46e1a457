/*
 * store_test.c - the sqlite store: migrations applied once and recorded, a
 * newer database refused, versions created idempotently per model hash, 20
 * concurrent creators in separate processes with none lost, job claims
 * exclusive across processes, dead workers' jobs re-queued, and the JSON the
 * HTTP side reads. Facts are checked with plain SQL on the database file and
 * with cJSON, not only through the API under test.
 */
#include "test_util.h"
#include "registry/migrations.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *const steps[] = {"settings", "calibrate", "prove"};

static store_upload upload(const char *model, const char *data)
{
    store_upload u = {.model_path = model, .data_path = data, .steps = steps, .nsteps = 3};
    return u;
}

/* Opens the store and creates version 1 of task "t" from a staged model
 * whose (fake) hash is made from n. */
static int open_with_version(const char *dir, unsigned n, registry_store **s, zkml_error *err)
{
    char model[4200], h[65];
    test_hash(h, n);
    REQUIRE_OK(store_open(dir, s, err), err);
    REQUIRE(test_stage(dir, "m", "m", model, sizeof model) == 0);
    store_upload u = upload(model, NULL);
    store_version_ref ref;
    REQUIRE_OK(store_create_version(*s, "t", h, &u, &ref, err), err);
    return 0;
}

static int test_migrations(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    int v;
    REQUIRE_OK(store_schema_version(s, &v, &err), &err);
    REQUIRE(v == store_schema_version_known() && v >= 1);
    store_close(s);
    /* one row per migration (numbers are reserved per change, so one may be missing) */
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM schema_migrations") ==
            (int)registry_migration_count);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                              " ('tasks','versions','jobs','steps','artifacts')") == 5);
    /* applied once: opening again and `migrate` apply nothing */
    int applied = -1;
    REQUIRE_OK(store_migrate(dir, &applied, &err), &err);
    REQUIRE(applied == 0);
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    store_close(s);
    /* one row per migration (numbers are reserved per change, so one may be missing) */
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM schema_migrations") ==
            (int)registry_migration_count);
    /* WAL mode is persistent in the file */
    REQUIRE(test_sql_int(dir, "SELECT journal_mode = 'wal' FROM pragma_journal_mode") == 1);
    /* a newer database is refused */
    test_sql_int(dir, "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)");
    REQUIRE(store_open(dir, &s, &err) == ZKML_EINVAL);
    REQUIRE(strstr(err.message, "9999") && strstr(err.message, "newer"));
    REQUIRE(store_migrate(dir, &applied, &err) == ZKML_EINVAL);
    return 0;
}

static int test_versions(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    char model[4200], data[4200], h1[65], h2[65], path[4200];
    test_hash(h1, 1);
    test_hash(h2, 2);
    REQUIRE(test_stage(dir, "a.onnx", "model-one", model, sizeof model) == 0);
    REQUIRE(test_stage(dir, "a.csv", "x,label\n1,0\n", data, sizeof data) == 0);
    store_upload u = upload(model, data);
    store_version_ref ref;
    REQUIRE_OK(store_create_version(s, "iris", h1, &u, &ref, &err), &err);
    REQUIRE(ref.version == 1 && !ref.existed && ref.job_id > 0);
    REQUIRE(!zkml_file_exists(model) && !zkml_file_exists(data));
    REQUIRE_OK(store_version_dir(dir, "iris", 1, path, sizeof path, &err), &err);
    strcat(path, "/model.onnx");
    REQUIRE(zkml_file_exists(path));

    /* the same bytes again: the existing version, the staged file removed */
    REQUIRE(test_stage(dir, "b.onnx", "model-one", model, sizeof model) == 0);
    u = upload(model, NULL);
    REQUIRE_OK(store_create_version(s, "iris", h1, &u, &ref, &err), &err);
    REQUIRE(ref.version == 1 && ref.existed == 1 && !zkml_file_exists(model));
    REQUIRE(test_stage(dir, "c.onnx", "model-two", model, sizeof model) == 0);
    REQUIRE_OK(store_create_version(s, "iris", h2, &u, &ref, &err), &err);
    REQUIRE(ref.version == 2 && !ref.existed);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM versions") == 2);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM steps") == 6);

    /* bad input */
    REQUIRE(store_create_version(s, "../etc", h1, &u, &ref, &err) == ZKML_EINVAL);
    REQUIRE(store_create_version(s, "iris", "abc", &u, &ref, &err) == ZKML_EINVAL);
    REQUIRE(store_version_dir(dir, "a/b", 1, path, sizeof path, &err) == ZKML_EINVAL);
    REQUIRE(store_version_dir(dir, "ok", 0, path, sizeof path, &err) == ZKML_EINVAL);
    char long_id[80];
    memset(long_id, 'a', 65);
    long_id[65] = 0;
    REQUIRE(zkml_task_id_check(long_id, &err) == ZKML_EINVAL &&
            !strcmp(err.message, "task_id must match [A-Za-z0-9_-]{1,64}"));
    REQUIRE(zkml_task_id_check("", &err) && zkml_task_id_check("a.b", &err) &&
            zkml_task_id_check(NULL, &err));
    long_id[64] = 0;
    REQUIRE(!zkml_task_id_check(long_id, &err) && !zkml_task_id_check("A-z_09", &err));
    REQUIRE(zkml_artifact_find("proof.json") && !zkml_artifact_find("../registry.db") &&
            !zkml_artifact_find("PROOF.json") && !zkml_artifact_find("") &&
            !zkml_artifact_find(NULL));
    REQUIRE(!strcmp(zkml_artifact_find("Verifier.sol")->content_type, "text/plain; charset=utf-8"));

    /* JSON readers */
    char *json;
    REQUIRE_OK(store_status_json(s, "iris", 0, &json, &err), &err);
    cJSON *st = cJSON_Parse(json);
    free(json);
    REQUIRE(st);
    REQUIRE(cJSON_GetObjectItem(st, "version")->valueint == 2);
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(st, "state")), "queued"));
    REQUIRE(cJSON_GetArraySize(cJSON_GetObjectItem(st, "steps")) == 3);
    REQUIRE(cJSON_GetObjectItem(st, "progress")->valuedouble == 0);
    REQUIRE(cJSON_IsNull(cJSON_GetObjectItem(st, "error")));
    REQUIRE(cJSON_IsString(cJSON_GetObjectItem(st, "timestamp")));
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "steps"), 0);
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(first, "name")), "settings"));
    cJSON_Delete(st);
    REQUIRE(store_status_json(s, "iris", 3, &json, &err) == ZKML_ENOTFOUND);
    REQUIRE(store_status_json(s, "nope", 0, &json, &err) == ZKML_ENOTFOUND);
    REQUIRE_OK(store_task_json(s, "iris", &json, &err), &err);
    cJSON *t = cJSON_Parse(json);
    free(json);
    REQUIRE(t && cJSON_GetArraySize(cJSON_GetObjectItem(t, "versions")) == 2);
    cJSON_Delete(t);
    REQUIRE_OK(store_tasks_json(s, &json, &err), &err);
    t = cJSON_Parse(json);
    free(json);
    REQUIRE(t && cJSON_GetArraySize(cJSON_GetObjectItem(t, "tasks")) == 1);
    cJSON_Delete(t);
    REQUIRE_OK(store_artifacts_json(s, "iris", 1, &json, &err), &err);
    t = cJSON_Parse(json);
    free(json);
    REQUIRE(t && cJSON_GetArraySize(cJSON_GetObjectItem(t, "artifacts")) == 2);
    cJSON_Delete(t);
    store_close(s);
    return 0;
}

/* A child process: opens its own store and creates one version. */
static int create_one(const char *dir, unsigned n, unsigned hash)
{
    zkml_error err = {0};
    registry_store *s;
    char model[4200], name[64], h[65];
    snprintf(name, sizeof name, "up-%u.onnx", n);
    test_hash(h, hash);
    if (store_open(dir, &s, &err) || test_stage(dir, name, "bytes", model, sizeof model)) {
        fprintf(stderr, "creator %u: %s\n", n, err.message);
        return 1;
    }
    store_upload u = upload(model, NULL);
    store_version_ref ref;
    int rc = store_create_version(s, "busy", h, &u, &ref, &err);
    if (rc)
        fprintf(stderr, "creator %u: %s\n", n, err.message);
    store_close(s);
    return rc ? 1 : 0;
}

/* 20 processes create versions at once: 16 distinct hashes, 4 of one shared hash. */
static int test_concurrent(const char *dir)
{
    zkml_error err = {0};
    REQUIRE_OK(store_migrate(dir, NULL, &err), &err);
    pid_t pids[20];
    for (unsigned i = 0; i < 20; i++) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0)
            _exit(create_one(dir, i, i < 16 ? 100 + i : 999));
    }
    int failed = 0;
    for (int i = 0; i < 20; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    REQUIRE(failed == 0);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM versions WHERE task_id = 'busy'") == 17);
    REQUIRE(test_sql_int(dir, "SELECT MAX(version) FROM versions") == 17);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(DISTINCT version) FROM versions") == 17);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM jobs") == 17);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM steps") == 17 * 3);
    /* every version dir has its model */
    for (int v = 1; v <= 17; v++) {
        char path[4200];
        REQUIRE_OK(store_version_dir(dir, "busy", v, path, sizeof path, &err), &err);
        strcat(path, "/model.onnx");
        REQUIRE(zkml_file_exists(path));
    }
    return 0;
}

/* A child: claims until none is left, writing one line per claimed job id. */
static int claim_all(const char *dir, int fd)
{
    zkml_error err = {0};
    registry_store *s;
    if (store_open(dir, &s, &err))
        return 1;
    store_job job;
    int rc;
    while ((rc = store_job_claim_next(s, (int)getpid(), &job, &err)) == 1) {
        char line[32];
        int n = snprintf(line, sizeof line, "%lld\n", (long long)job.id);
        if (write(fd, line, (size_t)n) != n)
            return 1;
    }
    store_close(s);
    if (rc < 0)
        fprintf(stderr, "claimer: %s\n", err.message);
    return rc < 0;
}

static int test_claim(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    enum { JOBS = 40, CLAIMERS = 4 };
    for (unsigned i = 0; i < JOBS; i++) {
        char model[4200], h[65], name[32];
        snprintf(name, sizeof name, "m%u", i);
        test_hash(h, i);
        REQUIRE(test_stage(dir, name, "m", model, sizeof model) == 0);
        store_upload u = upload(model, NULL);
        store_version_ref ref;
        REQUIRE_OK(store_create_version(s, i % 2 ? "odd" : "even", h, &u, &ref, &err), &err);
    }
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pids[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0)
            _exit(claim_all(dir, fds[1]));
    }
    close(fds[1]);
    int seen[JOBS + 1] = {0}, total = 0;
    FILE *f = fdopen(fds[0], "r");
    long long id;
    while (fscanf(f, "%lld", &id) == 1) {
        REQUIRE(id >= 1 && id <= JOBS);
        seen[id]++;
        total++;
    }
    fclose(f);
    for (int i = 0; i < CLAIMERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    REQUIRE(total == JOBS);
    for (int i = 1; i <= JOBS; i++)
        REQUIRE(seen[i] == 1);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM jobs WHERE state = 'running'") == JOBS);
    store_close(s);
    return 0;
}

static int test_requeue(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE(open_with_version(dir, 7, &s, &err) == 0);
    store_job job;
    REQUIRE(store_job_claim_next(s, 4242, &job, &err) == 1);
    REQUIRE(!strcmp(job.task_id, "t") && job.version == 1 && !strcmp(job.target, "resources"));
    store_job none;
    REQUIRE(store_job_claim_next(s, 4243, &none, &err) == 0); /* nothing else queued */
    REQUIRE_OK(store_step_begin(s, &job, "settings", &err), &err);
    REQUIRE_OK(store_step_finish(s, &job, "settings", "done", NULL, 5, &err), &err);
    REQUIRE_OK(store_step_begin(s, &job, "calibrate", &err), &err);
    /* another pid's death does not touch it; a fresh heartbeat is not stale */
    int n;
    REQUIRE_OK(store_requeue_dead_jobs(s, 4243, 0, &n, &err), &err);
    REQUIRE(n == 0);
    REQUIRE_OK(store_requeue_dead_jobs(s, 0, 60000, &n, &err), &err);
    REQUIRE(n == 0);
    REQUIRE_OK(store_requeue_dead_jobs(s, 4242, 0, &n, &err), &err);
    REQUIRE(n == 1);
    char state[STORE_STATE_MAX];
    REQUIRE_OK(store_step_state(s, job.id, "settings", state, &err), &err);
    REQUIRE(!strcmp(state, "done"));
    REQUIRE_OK(store_step_state(s, job.id, "calibrate", state, &err), &err);
    REQUIRE(!strcmp(state, "queued"));
    /* a stale heartbeat (a crashed service) is re-queued too */
    REQUIRE(store_job_claim_next(s, 4244, &job, &err) == 1);
    test_sql_int(dir, "UPDATE jobs SET heartbeat_at = heartbeat_at - 120000");
    REQUIRE_OK(store_requeue_dead_jobs(s, 0, 60000, &n, &err), &err);
    REQUIRE(n == 1);
    /* retry later: queued but not claimable before its time */
    REQUIRE(store_job_claim_next(s, 4245, &job, &err) == 1);
    REQUIRE_OK(store_job_retry_later(s, &job, 3600 * 1000, "rpc down", &err), &err);
    REQUIRE(store_job_claim_next(s, 4245, &job, &err) == 0);
    REQUIRE(test_sql_int(dir, "SELECT attempts FROM jobs") == 1);
    store_close(s);
    return 0;
}

/* Two workers: A's job is re-queued (its heartbeat went stale) and claimed
 * by B. Every write of A's is refused and changes nothing; B's go through. */
static int test_fence(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE(open_with_version(dir, 9, &s, &err) == 0);
    store_job a, b;
    REQUIRE(store_job_claim_next(s, 5001, &a, &err) == 1);
    REQUIRE_OK(store_step_begin(s, &a, "settings", &err), &err);
    test_sql_int(dir, "UPDATE jobs SET heartbeat_at = heartbeat_at - 120000");
    int n;
    REQUIRE_OK(store_requeue_dead_jobs(s, 0, 60000, &n, &err), &err);
    REQUIRE(n == 1);
    REQUIRE(store_job_claim_next(s, 5002, &b, &err) == 1);
    REQUIRE(b.id == a.id && b.claim == a.claim + 1);
    REQUIRE(store_job_heartbeat(s, &a, &err) == ZKML_EREJECTED);
    REQUIRE(strstr(err.message, "refused"));
    REQUIRE(store_step_begin(s, &a, "calibrate", &err) == ZKML_EREJECTED);
    REQUIRE(store_step_finish(s, &a, "settings", "done", NULL, 1, &err) == ZKML_EREJECTED);
    REQUIRE(store_job_retry_later(s, &a, 1000, "later", &err) == ZKML_EREJECTED);
    REQUIRE(store_record_artifacts(s, dir, &a, "settings", &err) == ZKML_EREJECTED);
    REQUIRE(store_job_finish(s, &a, "done", "done", &err) == ZKML_EREJECTED);
    REQUIRE(test_sql_int(dir, "SELECT state = 'running' AND worker_pid = 5002 FROM jobs") == 1);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM steps WHERE state != 'queued'") == 0);
    REQUIRE_OK(store_job_heartbeat(s, &b, &err), &err);
    REQUIRE_OK(store_step_begin(s, &b, "settings", &err), &err);
    REQUIRE_OK(store_step_finish(s, &b, "settings", "done", NULL, 1, &err), &err);
    REQUIRE_OK(store_job_finish(s, &b, "failed", "boom", &err), &err);
    /* a finished job refuses even its last claim */
    REQUIRE(store_job_heartbeat(s, &b, &err) == ZKML_EREJECTED);
    store_close(s);
    return 0;
}

/* Proof jobs: refused (409 naming the state) until the version's job is
 * done; claimed oldest first; a worker whose proof was re-queued and claimed
 * again cannot write to it (heartbeat, finish), nor can it after the end. */
static int test_proofs(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    char id[STORE_PROOF_ID_LEN + 1], id2[STORE_PROOF_ID_LEN + 1];
    REQUIRE(open_with_version(dir, 11, &s, &err) == 0);
    REQUIRE(store_proof_create(s, "t", 1, "{}", NULL, id, &err) == ZKML_ECONFLICT);
    REQUIRE(strstr(err.message, "is queued"));
    REQUIRE(store_proof_create(s, "t", 2, "{}", NULL, id, &err) == ZKML_ENOTFOUND);
    REQUIRE(store_proof_create(s, "nosuch", 1, "{}", NULL, id, &err) == ZKML_ENOTFOUND);
    test_sql_int(dir, "UPDATE jobs SET state = 'done'");
    REQUIRE_OK(store_proof_create(s, "t", 0, "{\"a\":1}", "[1]", id, &err), &err);
    REQUIRE_OK(store_proof_create(s, "t", 1, "{\"a\":2}", NULL, id2, &err), &err);
    REQUIRE(store_proof_id_valid(id) && store_proof_id_valid(id2) && strcmp(id, id2));
    REQUIRE(!store_proof_id_valid("../../etc/passwd") && !store_proof_id_valid("ABCDEF"));
    store_proof a, b, got;
    REQUIRE(store_proof_claim_next(s, 6001, &a, &err) == 1);
    REQUIRE(!strcmp(a.id, id) && !strcmp(a.output_data, "[1]") && !strcmp(a.state, "running"));
    /* the worker died: re-queued, claimed again by another */
    REQUIRE_OK(store_requeue_dead_jobs(s, 6001, 0, NULL, &err), &err);
    REQUIRE(store_proof_claim_next(s, 6002, &b, &err) == 1);
    REQUIRE(!strcmp(b.id, id) && b.claim == a.claim + 1);
    REQUIRE(store_proof_heartbeat(s, &a, &err) == ZKML_EREJECTED);
    REQUIRE(store_proof_finish(s, &a, 1, "{\"forged\":true}", &err) == ZKML_EREJECTED);
    REQUIRE_OK(store_proof_heartbeat(s, &b, &err), &err);
    REQUIRE_OK(store_proof_finish(s, &b, 1, "{\"ok\":true}", &err), &err);
    REQUIRE(store_proof_finish(s, &b, 0, "late", &err) == ZKML_EREJECTED);
    REQUIRE_OK(store_proof_get(s, "t", 1, id, &got, &err), &err);
    REQUIRE(!strcmp(got.state, "done") && !strcmp(got.result, "{\"ok\":true}") && !got.error);
    store_proof_free(&got);
    REQUIRE(store_proof_get(s, "t", 1, "0123456789abcdef0123456789abcdef", &got, &err) ==
            ZKML_ENOTFOUND);
    store_proof_free(&a);
    store_proof_free(&b);
    REQUIRE(store_proof_claim_next(s, 6003, &a, &err) == 1 && !strcmp(a.id, id2));
    store_proof_free(&a);
    REQUIRE(store_proof_claim_next(s, 6003, &a, &err) == 0);
    store_close(s);
    return 0;
}

/* An idle worker's poll takes no write lock: while another connection holds
 * it (as a worker frozen inside a claim would), polls with nothing queued
 * answer "none" at once instead of ZKML_ERETRY after the 30 s busy timeout,
 * and once something is queued the claim waits for the lock and gets it. */
static int test_idle_poll(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE(open_with_version(dir, 12, &s, &err) == 0);
    test_sql_int(dir, "UPDATE jobs SET state = 'done'");
    char path[4200];
    snprintf(path, sizeof path, "%s/registry.db", dir);
    sqlite3 *holder;
    REQUIRE(sqlite3_open_v2(path, &holder, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    store_job job;
    store_proof p;
    int64_t t0 = zkml_monotonic_ms();
    REQUIRE(store_job_claim_next(s, 7001, &job, &err) == 0);
    REQUIRE(store_proof_claim_next(s, 7001, &p, &err) == 0);
    fprintf(stderr, "two idle polls under a held write lock: %lld ms\n",
            (long long)(zkml_monotonic_ms() - t0));
    REQUIRE(sqlite3_exec(holder, "UPDATE jobs SET state = 'queued'; COMMIT", NULL, NULL, NULL) ==
            SQLITE_OK);
    sqlite3_close(holder);
    REQUIRE(store_job_claim_next(s, 7001, &job, &err) == 1);
    store_close(s);
    return 0;
}

/* What a killed server leaves: staged uploads, and a version dir renamed into
 * place whose commit never happened. Neither survives, and the next version
 * with that number adopts none of the dead one's files. */
static int test_residue(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    char model[4200], path[4200], vdir[4096], h[65];
    REQUIRE(test_stage(dir, "upload-AAAAAA", "partial", path, sizeof path) == 0);
    REQUIRE(test_stage(dir, "upload-BBBBBB", "partial", path, sizeof path) == 0);
    REQUIRE(test_stage(dir, "keep.txt", "not ours", path, sizeof path) == 0);
    int removed;
    REQUIRE_OK(store_clean_staging(dir, &removed, &err), &err);
    REQUIRE(removed == 2 && zkml_file_exists(path));
    REQUIRE_OK(store_version_dir(dir, "t", 1, vdir, sizeof vdir, &err), &err);
    REQUIRE_OK(zkml_mkdir_p(vdir, 0, &err), &err);
    snprintf(path, sizeof path, "%s/data.csv", vdir);
    REQUIRE(test_write(path, "x,label\n1,0\n") == 0);
    test_hash(h, 11);
    REQUIRE(test_stage(dir, "m", "m", model, sizeof model) == 0);
    store_upload u = upload(model, NULL);
    store_version_ref ref;
    REQUIRE_OK(store_create_version(s, "t", h, &u, &ref, &err), &err);
    REQUIRE(ref.version == 1 && !zkml_file_exists(path));
    snprintf(path, sizeof path, "%s/model.onnx", vdir);
    REQUIRE(zkml_file_exists(path));
    store_close(s);
    return 0;
}

/* Status messages name files relative to the data dir. */
static int test_relative(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    char msg[1024];
    REQUIRE(open_with_version(dir, 12, &s, &err) == 0);
    store_job job;
    REQUIRE(store_job_claim_next(s, 5003, &job, &err) == 1);
    REQUIRE_OK(store_step_begin(s, &job, "settings", &err), &err);
    snprintf(msg, sizeof msg, "%s/artifacts/t/v1/model.onnx: bad (and %s/x)", dir, dir);
    REQUIRE_OK(store_step_finish(s, &job, "settings", "failed", msg, 1, &err), &err);
    REQUIRE_OK(store_job_finish(s, &job, "failed", msg, &err), &err);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM steps WHERE message ="
                              " 'artifacts/t/v1/model.onnx: bad (and x)'") == 1);
    REQUIRE(test_sql_int(dir,
                         "SELECT COUNT(*) FROM jobs WHERE message ="
                         " 'artifacts/t/v1/model.onnx: bad (and x)' AND error = message") == 1);
    store_close(s);
    return 0;
}

/* Migration 0004 rebuilds jobs (and steps) for the new job state: a database
 * made by migrations 1..3, with a job and its steps, keeps every row, its
 * foreign keys hold, and the CHECK now takes awaiting_contributions only. */
static int test_migration_0004(const char *dir)
{
    char path[4200];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/registry.db", dir);
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY,"
                             " name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                         NULL, NULL, NULL) == SQLITE_OK);
    for (size_t i = 0; i < registry_migration_count && registry_migrations[i].number <= 3; i++) {
        char sql[200];
        REQUIRE(sqlite3_exec(db, registry_migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK);
        snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, '%s', 0)",
                 registry_migrations[i].number, registry_migrations[i].name);
        REQUIRE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    }
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO tasks VALUES ('t', 1);"
                         "INSERT INTO versions (task_id, version, model_hash, created_at)"
                         " VALUES ('t', 1, printf('%064d', 7), 1);"
                         "INSERT INTO jobs (version_id, state, message, created_at, updated_at,"
                         " claim) VALUES (1, 'done', 'kept', 1, 2, 9);"
                         "INSERT INTO steps (job_id, position, name, state, ms)"
                         " VALUES (1, 0, 'setup', 'done', 42), (1, 1, 'prove', 'done', 7);",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    zkml_error err = {0};
    int applied = 0;
    REQUIRE_OK(store_migrate(dir, &applied, &err), &err);
    REQUIRE(applied >= 1);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM jobs WHERE id = 1 AND state = 'done' AND"
                              " message = 'kept' AND claim = 9 AND ceremony = 'none'") == 1);
    REQUIRE(test_sql_int(dir, "SELECT SUM(ms) FROM steps WHERE job_id = 1") == 49);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                              " ('jobs_new', 'steps_saved')") == 0);
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs_by_state'") ==
            1);
    /* the CHECKs: the new state is taken, a made-up one still refused */
    test_sql_int(dir, "UPDATE jobs SET state = 'awaiting_contributions'");
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM jobs WHERE state = 'awaiting_contributions'") ==
            1);
    test_sql_int(dir, "UPDATE jobs SET state = 'paused'");
    test_sql_int(dir, "UPDATE jobs SET ceremony = 'half'");
    REQUIRE(test_sql_int(dir, "SELECT COUNT(*) FROM jobs WHERE state = 'awaiting_contributions'"
                              " AND ceremony = 'none'") == 1);
    return 0;
}

/* An open ceremony's job: claimed with ceremony_open, parked in
 * awaiting_contributions where no worker claims it, finalized once (a second
 * finalize, or one of a job without an open ceremony, is refused), then
 * claimable again without ceremony_open. */
static int test_ceremony(const char *dir)
{
    zkml_error err = {0};
    registry_store *s;
    char model[4200], h[65], state[STORE_STATE_MAX], ceremony[STORE_STATE_MAX];
    REQUIRE_OK(store_open(dir, &s, &err), &err);
    store_upload u = upload(model, NULL);
    store_version_ref ref;
    for (unsigned i = 1; i <= 2; i++) {
        test_hash(h, 40 + i);
        REQUIRE(test_stage(dir, "m", "m", model, sizeof model) == 0);
        u.ceremony_open = i == 1;
        REQUIRE_OK(store_create_version(s, "t", h, &u, &ref, &err), &err);
    }
    store_job job;
    REQUIRE(store_job_claim_next(s, 5004, &job, &err) == 1);
    REQUIRE(job.version == 1 && job.ceremony_open == 1);
    REQUIRE_OK(store_job_await_contributions(s, &job, "awaiting", &err), &err);
    REQUIRE_OK(store_ceremony_state(s, "t", 1, state, ceremony, &err), &err);
    REQUIRE(!strcmp(state, "awaiting_contributions") && !strcmp(ceremony, "open"));
    store_job other;
    REQUIRE(store_job_claim_next(s, 5004, &other, &err) == 1);
    REQUIRE(other.version == 2 && other.ceremony_open == 0);
    REQUIRE(store_job_claim_next(s, 5004, &other, &err) == 0); /* v1 waits */
    REQUIRE(store_ceremony_finalize(s, "t", 2, &err) == ZKML_EREJECTED);
    REQUIRE_OK(store_ceremony_finalize(s, "t", 1, &err), &err);
    REQUIRE(store_ceremony_finalize(s, "t", 1, &err) == ZKML_EREJECTED);
    REQUIRE(strstr(err.message, "not open"));
    REQUIRE_OK(store_ceremony_state(s, "t", 1, state, ceremony, &err), &err);
    REQUIRE(!strcmp(state, "queued") && !strcmp(ceremony, "finalized"));
    REQUIRE(store_job_claim_next(s, 5004, &job, &err) == 1);
    REQUIRE(job.version == 1 && job.ceremony_open == 0);
    REQUIRE(store_ceremony_state(s, "t", 9, state, ceremony, &err) == ZKML_ENOTFOUND);
    store_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"migrations", test_migrations}, {"versions", test_versions},
        {"concurrent", test_concurrent}, {"claim", test_claim},
        {"requeue", test_requeue},       {"fence", test_fence},
        {"residue", test_residue},       {"relative", test_relative},
        {"migration_0004", test_migration_0004}, {"ceremony", test_ceremony},
        {"proofs", test_proofs},         {"idle_poll", test_idle_poll},
    };
    return test_run_case(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
