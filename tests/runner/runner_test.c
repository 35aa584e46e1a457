/*
 * runner_test.c - the job runner with an injected step table whose steps
 * write, sleep, allocate, skip or fail on purpose: outcomes recorded per step,
 * a failing step fails the job with its message, ZKML_ERETRY re-queues with
 * bounded attempts, the time and memory limits stop a step, and a worker
 * killed with SIGKILL mid-job is replaced and its job resumes at the first
 * unfinished step with exactly one version.
 */
#include "../store/test_util.h"
#include "pipeline/pipeline.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* Appends one line to dir/<name>.runs: how many times a step really ran. */
static int count_run(const pipeline_job_ctx *job, const char *name, zkml_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.runs", job->dir, name);
    FILE *f = fopen(path, "a");
    if (!f)
        return zkml_fail(err, ZKML_EIO, "%s: cannot append", path);
    fputs("ran\n", f);
    fclose(f);
    return 0;
}

static int count_lines(const char *dir, const char *name)
{
    char path[4200], line[64];
    snprintf(path, sizeof path, "%s/%s.runs", dir, name);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n++;
    if (f)
        fclose(f);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int step_write(const pipeline_job_ctx *job, zkml_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/settings.json", job->dir);
    int rc = zkml_write_file_atomic(path, "{}", 2, err);
    return rc ? rc : count_run(job, "write", err);
}

static int step_skip(const pipeline_job_ctx *job, zkml_error *err)
{
    (void)job;
    zkml_fail(err, 0, "nothing to do here");
    return PIPELINE_STEP_SKIPPED;
}

static int step_fail(const pipeline_job_ctx *job, zkml_error *err)
{
    count_run(job, "fail", err);
    return zkml_fail(err, ZKML_EINVAL, "data.csv line 3: 2 fields, expected 5");
}

static int step_retry(const pipeline_job_ctx *job, zkml_error *err)
{
    count_run(job, "retry", err);
    return zkml_fail(err, ZKML_ERETRY, "rpc http://127.0.0.1:1 is unreachable");
}

static int step_forever(const pipeline_job_ctx *job, zkml_error *err)
{
    for (int i = 0; i < 600; i++)
        sleep_ms(1000);
    return count_run(job, "forever", err); /* never reached under a 1 s limit */
}

/* Touches 1 GiB: must not fit under a 64 MB budget. */
static int step_big(const pipeline_job_ctx *job, zkml_error *err)
{
    (void)job;
    size_t n = (size_t)1 << 30;
    char *p = malloc(n);
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory allocating 1 GiB");
    memset(p, 1, n);
    free(p);
    return 0;
}

/* Touches 16 MiB: fits under the same budget. */
static int step_small(const pipeline_job_ctx *job, zkml_error *err)
{
    size_t n = (size_t)16 << 20;
    char *p = malloc(n);
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory allocating 16 MiB");
    memset(p, 1, n);
    free(p);
    return count_run(job, "small", err);
}

static int step_slow(const pipeline_job_ctx *job, zkml_error *err)
{
    int rc = count_run(job, "slow", err);
    sleep_ms(1500);
    return rc;
}

static int step_wait(const pipeline_job_ctx *job, zkml_error *err)
{
    int rc = count_run(job, "wait", err);
    sleep_ms(3000);
    return rc;
}

static int step_after(const pipeline_job_ctx *job, zkml_error *err)
{
    return count_run(job, "after", err);
}

/* Fails naming a file by its absolute path, as the engine's messages do. */
static int step_bad_path(const pipeline_job_ctx *job, zkml_error *err)
{
    return zkml_fail(err, ZKML_EINVAL, "%s/data.csv line 2: 1 field, expected 5", job->dir);
}

/* ---- helpers ------------------------------------------------------------- */

static const char *names_of(const pipeline_step_table *t, size_t i)
{
    return t->steps[i].name;
}

/* One version of "task" with the table's step names; returns its job id. */
static int64_t enqueue(const char *data, const pipeline_step_table *t, unsigned n)
{
    zkml_error err = {0};
    registry_store *s;
    const char *names[16];
    for (size_t i = 0; i < t->count; i++)
        names[i] = names_of(t, i);
    char model[4200], h[65], staged[32];
    snprintf(staged, sizeof staged, "m%u", n);
    test_hash(h, n);
    if (store_open(data, &s, &err) || test_stage(data, staged, "onnx", model, sizeof model))
        return -1;
    store_upload u = {.model_path = model, .steps = names, .nsteps = t->count};
    store_version_ref ref;
    int rc = store_create_version(s, "task", h, &u, &ref, &err);
    store_close(s);
    if (rc)
        fprintf(stderr, "enqueue: %s\n", err.message);
    return rc ? -1 : ref.job_id;
}

static pipeline_config config(const char *data, const pipeline_step_table *t)
{
    pipeline_config cfg = {0};
    cfg.data_dir = data;
    cfg.workers = 1;
    cfg.timeout_s = 60;
    cfg.heartbeat_ms = 100;
    cfg.poll_ms = 50;
    cfg.retry_base_ms = 1;
    cfg.steps = t;
    return cfg;
}

/* The status JSON of version 1 of "task". */
static cJSON *status(const char *data, int version)
{
    zkml_error err = {0};
    registry_store *s;
    char *json = NULL;
    if (store_open(data, &s, &err) == 0)
        store_status_json(s, "task", version, &json, &err);
    store_close(s);
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    free(json);
    return j;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    return v ? v : "";
}

static const char *step_field(const cJSON *st, int i, const char *key)
{
    return str(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "steps"), i), key);
}

static int run_once(const char *data, const pipeline_config *cfg)
{
    zkml_error err = {0};
    registry_store *s;
    if (store_open(data, &s, &err))
        return -1;
    int rc = pipeline_run_next_job(s, cfg, &err);
    if (rc < 0)
        fprintf(stderr, "run: %s\n", err.message);
    store_close(s);
    return rc;
}

static void version_dir(const char *data, char *dir, size_t len)
{
    zkml_error err;
    store_version_dir(data, "task", 1, dir, len, &err);
}

/* Enqueues version n of cfg's table, runs it once and returns its status if
 * the job failed (the caller checks why), else NULL. */
static cJSON *run_to_failure(const char *data, const pipeline_config *cfg, unsigned n)
{
    if (enqueue(data, cfg->steps, n) <= 0 || run_once(data, cfg) != 1)
        return NULL;
    cJSON *st = status(data, (int)n);
    if (st && !strcmp(str(st, "state"), "failed"))
        return st;
    cJSON_Delete(st);
    return NULL;
}

/* ---- cases --------------------------------------------------------------- */

static int test_outcomes(const char *data)
{
    static const pipeline_step steps[] = {{.name = "write", .run = step_write},
                                          {.name = "skip", .run = step_skip},
                                          {.name = "fail", .run = step_fail},
                                          {.name = "after", .run = step_write}};
    pipeline_step_table t = {steps, 4};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    REQUIRE(run_once(data, &cfg) == 1);
    REQUIRE(run_once(data, &cfg) == 0); /* nothing left */
    cJSON *st = status(data, 1);
    REQUIRE(st);
    REQUIRE(!strcmp(str(st, "state"), "failed"));
    REQUIRE(!strcmp(str(st, "error"), "step fail: data.csv line 3: 2 fields, expected 5"));
    REQUIRE(!strcmp(str(st, "step"), "fail"));
    REQUIRE(!strcmp(step_field(st, 0, "state"), "done"));
    REQUIRE(!strcmp(step_field(st, 1, "state"), "skipped"));
    REQUIRE(!strcmp(step_field(st, 1, "message"), "nothing to do here"));
    REQUIRE(!strcmp(step_field(st, 2, "state"), "failed"));
    REQUIRE(!strcmp(step_field(st, 3, "state"), "queued"));
    REQUIRE(cJSON_IsString(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(st, "steps"), 0), "finished_at")));
    REQUIRE(cJSON_GetObjectItem(st, "progress")->valuedouble == 0.5);
    cJSON_Delete(st);
    /* the artifact written by the step is recorded */
    REQUIRE(test_sql_int(data, "SELECT COUNT(*) FROM artifacts WHERE name = 'settings.json'"
                               " AND step = 'write'") == 1);
    return 0;
}

/* A job whose ceremony is open stops after the step that ends the setup, in
 * awaiting_contributions, where no worker takes it; re-queued with that step
 * done (its worker died before parking it) it stops there again; once
 * finalized it resumes at the next step, running no finished one again. */
static int test_ceremony(const char *data)
{
    static const pipeline_step steps[] = {{.name = "write", .run = step_write},
                                          {.name = "setup", .run = step_after, .ends_setup = 1},
                                          {.name = "prove", .run = step_small}};
    pipeline_step_table t = {steps, 3};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    test_sql_int(data, "UPDATE jobs SET ceremony = 'open'");
    REQUIRE(run_once(data, &cfg) == 1);
    cJSON *st = status(data, 1);
    REQUIRE(st && !strcmp(str(st, "state"), "awaiting_contributions"));
    REQUIRE(!strcmp(step_field(st, 1, "state"), "done"));
    REQUIRE(!strcmp(step_field(st, 2, "state"), "queued"));
    cJSON_Delete(st);
    REQUIRE(run_once(data, &cfg) == 0);
    test_sql_int(data, "UPDATE jobs SET state = 'queued'");
    REQUIRE(run_once(data, &cfg) == 1);
    REQUIRE(test_sql_int(data, "SELECT COUNT(*) FROM jobs WHERE state = 'awaiting_contributions'") ==
            1);
    zkml_error err = {0};
    registry_store *s;
    REQUIRE_OK(store_open(data, &s, &err), &err);
    int rc = store_ceremony_finalize(s, "task", 1, &err);
    store_close(s);
    REQUIRE_OK(rc, &err);
    REQUIRE(run_once(data, &cfg) == 1);
    st = status(data, 1);
    REQUIRE(st && !strcmp(str(st, "state"), "done"));
    cJSON_Delete(st);
    char dir[4096];
    version_dir(data, dir, sizeof dir);
    REQUIRE(count_lines(dir, "write") == 1 && count_lines(dir, "after") == 1);
    REQUIRE(count_lines(dir, "small") == 1);
    return 0;
}

static int test_retry(const char *data)
{
    static const pipeline_step steps[] = {{.name = "write", .run = step_write},
                                          {.name = "retry", .run = step_retry}};
    pipeline_step_table t = {steps, 2};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    int ran = 0;
    for (int i = 0; i < 100 && ran < PIPELINE_MAX_ATTEMPTS; i++) {
        int rc = run_once(data, &cfg);
        REQUIRE(rc >= 0);
        ran += rc;
        if (!rc)
            sleep_ms(20); /* the backoff (retry_base_ms = 1) */
    }
    REQUIRE(ran == PIPELINE_MAX_ATTEMPTS);
    char dir[4096];
    version_dir(data, dir, sizeof dir);
    REQUIRE(count_lines(dir, "write") == 1); /* done steps are not run again */
    REQUIRE(count_lines(dir, "retry") == PIPELINE_MAX_ATTEMPTS);
    cJSON *st = status(data, 1);
    REQUIRE(st && !strcmp(str(st, "state"), "failed"));
    REQUIRE(strstr(str(st, "error"), "unreachable") && strstr(str(st, "error"), "gave up"));
    cJSON_Delete(st);
    return 0;
}

static int test_timeout(const char *data)
{
    static const pipeline_step steps[] = {{.name = "forever", .run = step_forever}};
    pipeline_step_table t = {steps, 1};
    pipeline_config cfg = config(data, &t);
    /* the job's limit, then a step limit of its own (ZKML_STEP_TIMEOUT_S) */
    static const char *const expect[] = {
        "the job ran over its time limit of 1 s (ZKML_JOB_TIMEOUT_S)",
        "ran over the step time limit of 1 s (ZKML_STEP_TIMEOUT_S)"};
    for (unsigned v = 1; v <= 2; v++) {
        cfg.timeout_s = v == 1 ? 1 : 60;
        cfg.step_timeout_s = v == 1 ? 0 : 1;
        cJSON *st = run_to_failure(data, &cfg, v);
        REQUIRE(st && strstr(str(st, "error"), expect[v - 1]));
        cJSON_Delete(st);
    }
    return 0;
}

static int test_memory(const char *data)
{
    static const pipeline_step steps[] = {{.name = "small", .run = step_small},
                                          {.name = "big", .run = step_big}};
    pipeline_step_table t = {steps, 2};
    pipeline_config cfg = config(data, &t);
    cfg.memory_mb = 64;
    cJSON *st = run_to_failure(data, &cfg, 1);
    REQUIRE(st && !strcmp(step_field(st, 0, "state"), "done"));
    REQUIRE(!strcmp(step_field(st, 1, "state"), "failed"));
    fprintf(stderr, "big step under 64 MB: %s\n", str(st, "error"));
    cJSON_Delete(st);
    /* the same table without a limit completes: the limit made the difference */
    cfg.memory_mb = 0;
    REQUIRE(test_sql_int(data, "UPDATE jobs SET state = 'queued'") == -1);
    REQUIRE(run_once(data, &cfg) == 1);
    st = status(data, 1);
    REQUIRE(st && !strcmp(str(st, "state"), "done"));
    cJSON_Delete(st);
    return 0;
}

/* Waits until sql gives want; 0 on success. */
static int wait_for(const char *data, const char *sql, long long want, int seconds)
{
    for (int i = 0; i < seconds * 20; i++) {
        if (test_sql_int(data, sql) == want)
            return 0;
        sleep_ms(50);
    }
    fprintf(stderr, "timed out waiting for %s = %lld\n", sql, want);
    return -1;
}

static int test_kill_worker(const char *data)
{
    static const pipeline_step steps[] = {{.name = "write", .run = step_write},
                                          {.name = "slow", .run = step_slow},
                                          {.name = "small", .run = step_small}};
    pipeline_step_table t = {steps, 3};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    pipeline_workers *w;
    zkml_error err = {0};
    REQUIRE_OK(pipeline_workers_start(&cfg, &w, &err), &err);
    int rc = wait_for(data, "SELECT state = 'running' FROM steps WHERE name = 'slow'", 1, 60);
    char dir[4096];
    version_dir(data, dir, sizeof dir);
    /* The step is marked running before its child starts it: kill only once it
     * has run, so that the rerun below is the interrupted step's second run
     * (under load the kill once landed in between and the step ran only once). */
    for (int i = 0; !rc && count_lines(dir, "slow") < 1 && i < 1200; i++)
        sleep_ms(50);
    long long victim = test_sql_int(data, "SELECT worker_pid FROM jobs");
    if (!rc && victim > 0)
        rc = kill((pid_t)victim, SIGKILL);
    if (!rc)
        rc = wait_for(data, "SELECT state = 'done' FROM jobs", 1, 60);
    REQUIRE_OK(pipeline_workers_supervise(w, &err), &err);
    pipeline_workers_stop(w);
    REQUIRE(rc == 0 && victim > 0);
    REQUIRE(count_lines(dir, "write") == 1); /* resumed after the done step */
    REQUIRE(count_lines(dir, "slow") == 2);  /* the interrupted step ran again */
    REQUIRE(count_lines(dir, "small") == 1);
    REQUIRE(test_sql_int(data, "SELECT COUNT(*) FROM versions") == 1);
    REQUIRE(test_sql_int(data, "SELECT COUNT(*) FROM jobs") == 1);
    REQUIRE(test_sql_int(data, "SELECT COUNT(*) FROM steps WHERE state = 'done'") == 3);
    return 0;
}

/* ZKML_JOB_TIMEOUT_S is one limit for all of a job's steps: three steps of
 * 1.5 s each do not fit in 2 s, though each alone would. */
static int test_job_timeout(const char *data)
{
    static const pipeline_step steps[] = {{.name = "slow1", .run = step_slow},
                                          {.name = "slow2", .run = step_slow},
                                          {.name = "slow3", .run = step_slow}};
    pipeline_step_table t = {steps, 3};
    pipeline_config cfg = config(data, &t);
    cfg.timeout_s = 2;
    cJSON *st = run_to_failure(data, &cfg, 1);
    REQUIRE(st && strstr(str(st, "error"),
                         "the job ran over its time limit of 2 s (ZKML_JOB_TIMEOUT_S)"));
    REQUIRE(!strcmp(step_field(st, 0, "state"), "done"));
    REQUIRE(!strcmp(step_field(st, 1, "state"), "failed"));
    cJSON_Delete(st);
    return 0;
}

/* Runs one job in a child process: its exit status 0 ran one, 1 failed. */
static pid_t run_in_child(const char *data, const pipeline_config *cfg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(run_once(data, cfg) == 1 ? 0 : 1);
    return pid;
}

/* Two workers on one job: A's job is re-queued as stale while its step runs
 * (what the supervisor does when heartbeats stop) and B claims it. A's next
 * heartbeat is refused, A stops its step and writes nothing; B runs the job. */
static int test_two_workers(const char *data)
{
    static const pipeline_step steps[] = {{.name = "wait", .run = step_wait},
                                          {.name = "after", .run = step_after}};
    pipeline_step_table t = {steps, 2};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    pid_t a = run_in_child(data, &cfg);
    REQUIRE(a > 0);
    REQUIRE(wait_for(data, "SELECT state = 'running' FROM steps WHERE name = 'wait'", 1, 60) == 0);
    zkml_error err = {0};
    registry_store *s;
    int n = 0;
    REQUIRE_OK(store_open(data, &s, &err), &err);
    /* a negative staleness: every running job counts as stale now */
    REQUIRE_OK(store_requeue_dead_jobs(s, 0, -60000, &n, &err), &err);
    store_close(s);
    REQUIRE(n == 1);
    pid_t b = run_in_child(data, &cfg);
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    REQUIRE(WIFEXITED(sa) && WEXITSTATUS(sa) == 1); /* A: its claim was refused */
    REQUIRE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    char dir[4096];
    version_dir(data, dir, sizeof dir);
    REQUIRE(count_lines(dir, "wait") == 2);  /* A's run was stopped, B's completed */
    REQUIRE(count_lines(dir, "after") == 1); /* A never went on to the next step */
    cJSON *st = status(data, 1);
    REQUIRE(st && !strcmp(str(st, "state"), "done"));
    cJSON_Delete(st);
    REQUIRE(test_sql_int(data, "SELECT claim FROM jobs") == 2);
    return 0;
}

/* Status messages name files relative to the data dir, never its absolute path. */
static int test_relative_paths(const char *data)
{
    static const pipeline_step steps[] = {{.name = "bad", .run = step_bad_path}};
    pipeline_step_table t = {steps, 1};
    pipeline_config cfg = config(data, &t);
    REQUIRE(enqueue(data, &t, 1) > 0);
    REQUIRE(run_once(data, &cfg) == 1);
    cJSON *st = status(data, 1);
    REQUIRE(st);
    REQUIRE(!strcmp(str(st, "error"),
                    "step bad: artifacts/task/v1/data.csv line 2: 1 field, expected 5"));
    REQUIRE(!strcmp(step_field(st, 0, "message"),
                    "artifacts/task/v1/data.csv line 2: 1 field, expected 5"));
    cJSON_Delete(st);
    return 0;
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"outcomes", test_outcomes}, {"ceremony", test_ceremony},       {"retry", test_retry},
        {"timeout", test_timeout},         {"memory", test_memory},
        {"kill_worker", test_kill_worker}, {"job_timeout", test_job_timeout},
        {"two_workers", test_two_workers}, {"relative_paths", test_relative_paths},
    };
    return test_run_case(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
