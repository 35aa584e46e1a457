/*
 * runner.c - the job runner. A supervisor process forks the workers and
 * replaces any that dies; a worker claims the oldest queued job and runs its
 * unfinished steps, each in a forked child under a memory limit, all within
 * the job's time limit, recording every step in the store and writing a
 * heartbeat while it waits. Every write names the worker's claim, so a worker
 * whose job was re-queued meanwhile (a stale heartbeat) is refused and stops.
 * Because a job's progress lives in the store, a job whose worker died is
 * simply re-queued and resumes at its first unfinished step; versions are
 * created only by the upload, so no rerun can duplicate one.
 */
#include "pipeline/runner_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    DEFAULT_TIMEOUT_S = 7200,
    DEFAULT_HEARTBEAT_MS = 2000,
    DEFAULT_POLL_MS = 500,
    DEFAULT_RETRY_BASE_MS = 30000,
    MAX_RETRY_DELAY_MS = 600000,
    MAX_WORKERS = 64,
};

/* ---- configuration ------------------------------------------------------- */

/* An optional positive integer variable; 0 when unset. */
static int env_int64(const char *name, int64_t max, int64_t *out, zkml_error *err)
{
    const char *v = getenv(name);
    *out = 0;
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 1 || n > max)
        return zkml_fail(err, ZKML_EINVAL, "%s='%s': expected a whole number from 1 to %lld", name,
                         v, (long long)max);
    *out = n;
    return 0;
}

int pipeline_config_from_env(pipeline_config *cfg, const char *data_dir, zkml_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->data_dir = data_dir;
    int64_t workers, memory, timeout, step_timeout;
    int rc = env_int64("ZKML_WORKERS", MAX_WORKERS, &workers, err);
    if (!rc)
        rc = env_int64("ZKML_JOB_MEMORY_MB", INT64_C(1) << 30, &memory, err);
    if (!rc)
        rc = env_int64("ZKML_JOB_TIMEOUT_S", INT64_C(1) << 30, &timeout, err);
    if (!rc)
        rc = env_int64("ZKML_STEP_TIMEOUT_S", INT64_C(1) << 30, &step_timeout, err);
    if (rc)
        return rc;
    cfg->workers = workers ? (int)workers : 1;
    if (!memory) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        memory =
            pages > 0 && page > 0 ? (int64_t)pages / 1024 * page / 1024 * 3 / 4 / cfg->workers : 0;
    }
    cfg->memory_mb = memory;
    cfg->timeout_s = timeout ? timeout : DEFAULT_TIMEOUT_S;
    cfg->step_timeout_s = step_timeout;
    cfg->threads = zkml_default_threads();
    cfg->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    cfg->poll_ms = DEFAULT_POLL_MS;
    cfg->retry_base_ms = DEFAULT_RETRY_BASE_MS;
    return chain_config_from_env(&cfg->chain, err);
}

static const pipeline_step_table *steps_of(const pipeline_config *cfg)
{
    return cfg->steps ? cfg->steps : pipeline_default_steps();
}

/* ---- work in a child ------------------------------------------------------ */

int pipeline_limit_memory(int64_t memory_mb, zkml_error *err)
{
    if (memory_mb <= 0)
        return ZKML_OK;
    uint64_t limit = zkml_address_space() + (uint64_t)memory_mb * 1024 * 1024;
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return zkml_fail(err, ZKML_EIO, "setrlimit(RLIMIT_AS): %s", strerror(errno));
    return ZKML_OK;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* Asks for sig when the parent dies. A parent that died between the fork and
 * this call sends nothing, so the child checks it is still the parent's: an
 * orphan worker would otherwise run jobs for ever beside the next service. */
static void die_with_parent(int sig, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, sig);
    if (getppid() != parent)
        _exit(1);
}

/* In the child: limits, the work, its result down the pipe, _exit. */
static void child_main(const pipeline_forked *f, const pipeline_config *cfg, pid_t parent, int fd)
{
    die_with_parent(SIGKILL, parent); /* dies with its worker */
    pipeline_result r = {0};
    r.rc = pipeline_limit_memory(cfg->memory_mb, &r.err);
    if (!r.rc)
        r.rc = f->run(f->arg, &r.err);
    write_all(fd, &r, sizeof r);
    _exit(0);
}

/* The earlier of two deadlines (0 = none). */
static int64_t earlier(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* Writes a heartbeat. A transient failure (a busy database) is retried at
 * the next beat; a refused claim (the job was re-queued and claimed again)
 * stops the step, whose job is no longer this worker's. */
static int heartbeat(registry_store *s, const pipeline_forked *f, pid_t pid, zkml_error *err)
{
    zkml_error hb = {0};
    int rc = f->beat(s, f->job, &hb);
    if (rc == ZKML_EREJECTED) {
        kill(pid, SIGKILL);
        *err = hb;
        return rc;
    }
    if (rc)
        fprintf(stderr, "zkml-registry worker %d: heartbeat: %s (retrying)\n", (int)getpid(),
                hb.message);
    return 0;
}

/* Reads the child's result, writing heartbeats, killing it at the deadline:
 * the job's (ZKML_JOB_TIMEOUT_S) or the step's own (ZKML_STEP_TIMEOUT_S). */
static int wait_child(registry_store *s, const pipeline_config *cfg, const pipeline_forked *f,
                      int64_t job_deadline, pid_t pid, int fd, pipeline_result *r, zkml_error *err)
{
    int64_t step_deadline =
        cfg->step_timeout_s > 0 ? zkml_monotonic_ms() + cfg->step_timeout_s * 1000 : 0;
    int64_t deadline = earlier(job_deadline, step_deadline);
    size_t got = 0;
    int store_rc = 0, timed_out = 0;
    for (;;) {
        int64_t wait = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
        if (deadline) {
            int64_t left = deadline - zkml_monotonic_ms();
            if (left <= 0) {
                kill(pid, SIGKILL);
                timed_out = 1;
                break;
            }
            if (left < wait)
                wait = left;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)wait);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0) {
            ssize_t k = read(fd, (char *)r + got, sizeof *r - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break; /* EOF: the child is gone */
            got += (size_t)k;
            continue;
        }
        if (n == 0 && !store_rc)
            store_rc = heartbeat(s, f, pid, err);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    const char *memory_hint = cfg->memory_mb > 0 ? "; it may have exceeded ZKML_JOB_MEMORY_MB" : "";
    if (timed_out && deadline == job_deadline)
        r->rc = zkml_fail(&r->err, ZKML_EINVAL,
                          "the job ran over its time limit of %lld s "
                          "(ZKML_JOB_TIMEOUT_S) and was stopped",
                          (long long)cfg->timeout_s);
    else if (timed_out)
        r->rc = zkml_fail(&r->err, ZKML_EINVAL,
                          "ran over the step time limit of %lld s "
                          "(ZKML_STEP_TIMEOUT_S) and was stopped",
                          (long long)cfg->step_timeout_s);
    else if (got != sizeof *r && WIFSIGNALED(status))
        r->rc = zkml_fail(&r->err, ZKML_EINTERNAL, "killed by signal %d (%s)%s", WTERMSIG(status),
                          strsignal(WTERMSIG(status)), memory_hint);
    else if (got != sizeof *r)
        r->rc = zkml_fail(&r->err, ZKML_EINTERNAL, "exited (status %d) without a result%s",
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1, memory_hint);
    r->err.message[sizeof r->err.message - 1] = 0;
    return store_rc;
}

int pipeline_run_forked(registry_store *s, const pipeline_config *cfg, int64_t job_deadline,
                        const pipeline_forked *f, pipeline_result *r, zkml_error *err)
{
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        r->rc = zkml_fail(&r->err, ZKML_EIO, "%s: pipe: %s", f->name, strerror(errno));
        return 0;
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        r->rc = zkml_fail(&r->err, ZKML_ERETRY, "%s: fork: %s", f->name, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(f, cfg, parent, fds[1]);
    }
    close(fds[1]);
    int rc = wait_child(s, cfg, f, job_deadline, pid, fds[0], r, err);
    close(fds[0]);
    return rc;
}

/* ---- one job ------------------------------------------------------------- */

static int64_t retry_delay_ms(const pipeline_config *cfg, int attempts)
{
    int64_t d = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : DEFAULT_RETRY_BASE_MS;
    for (int i = 0; i < attempts && d < MAX_RETRY_DELAY_MS; i++)
        d *= 2;
    return d < MAX_RETRY_DELAY_MS ? d : MAX_RETRY_DELAY_MS;
}

const char *pipeline_step_note(const zkml_error *err)
{
    return err->code == ZKML_OK && err->message[0] ? err->message : NULL;
}

/* Records a step's outcome. Returns 1 if the job should stop here. */
static int record_outcome(registry_store *s, const pipeline_config *cfg, const store_job *job,
                          const pipeline_step *step, const pipeline_result *r, int64_t ms, int *stop,
                          zkml_error *err)
{
    char msg[700];
    *stop = 0;
    if (r->rc == 0 || r->rc == PIPELINE_STEP_SKIPPED) {
        int rc = store_step_finish(s, job, step->name, r->rc ? "skipped" : "done",
                                   pipeline_step_note(&r->err), ms, err);
        return rc ? rc : store_record_artifacts(s, cfg->data_dir, job, step->name, err);
    }
    *stop = 1;
    if (r->rc == ZKML_ERETRY && job->attempts + 1 < PIPELINE_MAX_ATTEMPTS) {
        int64_t delay = retry_delay_ms(cfg, job->attempts);
        snprintf(msg, sizeof msg, "step %s: %s (retrying in %lld s, attempt %d of %d)", step->name,
                 r->err.message, (long long)(delay / 1000), job->attempts + 2,
                 PIPELINE_MAX_ATTEMPTS);
        int rc = store_step_finish(s, job, step->name, "queued", msg, ms, err);
        return rc ? rc : store_job_retry_later(s, job, delay, msg, err);
    }
    snprintf(msg, sizeof msg, "step %s: %s%s", step->name, r->err.message,
             r->rc == ZKML_ERETRY ? " (gave up after the last retry)" : "");
    int rc = store_step_finish(s, job, step->name, "failed", r->err.message, ms, err);
    return rc ? rc : store_job_finish(s, job, "failed", msg, err);
}

/* After a step that ends the setup, a job whose ceremony is open waits for
 * contributions (also when it was re-queued after that step was done). */
static int awaits_contributions(const store_job *job, const pipeline_step *step)
{
    return job->ceremony_open && step->ends_setup;
}

static int await_contributions(registry_store *s, const store_job *job, zkml_error *err)
{
    return store_job_await_contributions(
        s, job,
        "awaiting contributions: the phase-2 ceremony is open (POST .../ceremony/contributions,"
        " then .../ceremony/finalize)",
        err);
}

typedef struct step_call {
    const pipeline_step *step;
    const pipeline_job_ctx *ctx;
} step_call;

static int call_step(const void *arg, zkml_error *err)
{
    const step_call *c = arg;
    return c->step->run(c->ctx, err);
}

static int beat_job(registry_store *s, const void *job, zkml_error *err)
{
    return store_job_heartbeat(s, job, err);
}

/* Runs the job's unfinished steps in order. */
static int run_job(registry_store *s, const pipeline_config *cfg, const store_job *job,
                   zkml_error *err)
{
    char dir[4096];
    int rc = store_version_dir(cfg->data_dir, job->task_id, job->version, dir, sizeof dir, err);
    if (rc)
        return store_job_finish(s, job, "failed", err->message, err);
    pipeline_job_ctx ctx = {cfg->data_dir,
                            job->task_id,
                            job->version,
                            dir,
                            {.sample = job->sample, .threads = cfg->threads, .target = job->target},
                            &cfg->chain};
    const pipeline_step_table *table = steps_of(cfg);
    int64_t deadline = cfg->timeout_s > 0 ? zkml_monotonic_ms() + cfg->timeout_s * 1000 : 0;
    for (size_t i = 0; i < table->count; i++) {
        const pipeline_step *step = &table->steps[i];
        if (!step->run)
            continue; /* a command only, not part of a job */
        char state[STORE_STATE_MAX];
        rc = store_step_state(s, job->id, step->name, state, err);
        if (rc && rc != ZKML_ENOTFOUND)
            return rc;
        if (!rc && (!strcmp(state, "done") || !strcmp(state, "skipped"))) {
            if (awaits_contributions(job, step))
                return await_contributions(s, job, err);
            continue;
        }
        if ((rc = store_step_begin(s, job, step->name, err)))
            return rc;
        pipeline_result r;
        step_call call = {step, &ctx};
        char name[64];
        snprintf(name, sizeof name, "step %s", step->name);
        pipeline_forked f = {name, call_step, &call, beat_job, job};
        int64_t t0 = zkml_monotonic_ms();
        if ((rc = pipeline_run_forked(s, cfg, deadline, &f, &r, err)))
            return rc;
        int stop;
        rc = record_outcome(s, cfg, job, step, &r, zkml_monotonic_ms() - t0, &stop, err);
        if (rc || stop)
            return rc;
        if (awaits_contributions(job, step))
            return await_contributions(s, job, err);
    }
    return store_job_finish(s, job, "done", "done", err);
}

int pipeline_run_next_job(registry_store *s, const pipeline_config *cfg, zkml_error *err)
{
    store_job job;
    int rc = store_job_claim_next(s, (int)getpid(), &job, err);
    if (rc <= 0)
        return rc;
    rc = run_job(s, cfg, &job, err);
    return rc ? rc : 1;
}

/* ---- workers and their supervisor ---------------------------------------- */

struct pipeline_workers {
    pid_t supervisor;
    int reaped; /* pipeline_workers_supervise saw it exit */
};

/* One version job or proof job, the kind that did not run last first, so
 * that neither kind starves the other. 1 if one ran, 0 if none waited. */
static int run_next(registry_store *s, const pipeline_config *cfg, pipeline_provers *provers,
                    int *proof_first, zkml_error *err)
{
    for (int i = 0; i < 2; i++) {
        int proof = (i == 0) == (*proof_first != 0);
        int rc = proof ? pipeline_run_next_proof(s, cfg, provers, err)
                       : pipeline_run_next_job(s, cfg, err);
        if (rc) {
            *proof_first = rc > 0 && !proof;
            return rc;
        }
    }
    return 0;
}

/* Sleeps until a proof is queued (a byte on the wake pipe) or poll_ms pass
 * (version jobs, and queued work found at start, are not announced). */
static void wait_for_work(const pipeline_config *cfg)
{
    if (!cfg->notify) {
        struct timespec ts = {cfg->poll_ms / 1000, (cfg->poll_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
        return;
    }
    struct pollfd p = {cfg->notify->wake_read, POLLIN, 0};
    char byte;
    if (poll(&p, 1, (int)cfg->poll_ms) <= 0)
        return;
    ssize_t n = read(p.fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EAGAIN)) { /* the service is gone: no busy loop */
        struct timespec ts = {cfg->poll_ms / 1000, (cfg->poll_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* A worker: claims and runs jobs until killed. Never returns. */
static void worker_main(const pipeline_config *cfg, pid_t supervisor)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0); /* so the supervisor can kill it together with its step child */
    die_with_parent(SIGKILL, supervisor);
    zkml_error err = {0};
    registry_store *s;
    if (store_open(cfg->data_dir, &s, &err)) {
        fprintf(stderr, "zkml-registry worker %d: %s\n", (int)getpid(), err.message);
        _exit(1);
    }
    pipeline_provers *provers = pipeline_provers_new();
    int proof_first = 1;
    for (;;) {
        int rc = provers ? run_next(s, cfg, provers, &proof_first, &err)
                         : zkml_fail(&err, ZKML_ENOMEM, "out of memory");
        if (rc < 0) {
            /* The supervisor re-queues this worker's job and starts another. */
            fprintf(stderr, "zkml-registry worker %d: %s\n", (int)getpid(), err.message);
            store_close(s);
            _exit(1);
        }
        if (rc == 0)
            wait_for_work(cfg);
    }
}

static pid_t fork_worker(const pipeline_config *cfg)
{
    fflush(NULL);
    pid_t supervisor = getpid();
    pid_t pid = fork();
    if (pid == 0)
        worker_main(cfg, supervisor);
    if (pid > 0)
        setpgid(pid, pid); /* also here, so a kill right after fork reaches the group */
    return pid;
}

static void report(const char *what, const zkml_error *err)
{
    fprintf(stderr, "zkml-registry supervisor: %s: %s\n", what, err->message);
}

/* Reaps dead workers, re-queuing their jobs; their slots become free. */
static void reap_workers(registry_store *s, pid_t *pids, int n)
{
    pid_t pid;
    int status;
    zkml_error err = {0};
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < n; i++)
            if (pids[i] == pid)
                pids[i] = 0;
        if (store_requeue_dead_jobs(s, (int)pid, 0, NULL, &err))
            report("re-queuing a dead worker's job", &err);
    }
}

/* The supervisor. Signals are blocked and taken with sigtimedwait, so no
 * handler and no global flag are needed. Never returns. */
static void supervisor_main(const pipeline_config *cfg, pid_t service)
{
    die_with_parent(SIGTERM, service); /* the service died: stop the workers */
    zkml_error err = {0};
    registry_store *s;
    if (store_open(cfg->data_dir, &s, &err)) {
        report("opening the store", &err);
        _exit(1);
    }
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGCHLD);
    pid_t pids[MAX_WORKERS] = {0};
    int n = cfg->workers < 1 ? 1 : cfg->workers > MAX_WORKERS ? MAX_WORKERS : cfg->workers;
    int64_t hb = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
    int64_t stale_ms = hb * 10 > 30000 ? hb * 10 : 30000;
    for (;;) {
        /* A crashed service leaves jobs running with no worker: a stale heartbeat. */
        if (store_requeue_dead_jobs(s, 0, stale_ms, NULL, &err))
            report("re-queuing stale jobs", &err);
        for (int i = 0; i < n; i++)
            if (!pids[i] && (pids[i] = fork_worker(cfg)) < 0)
                pids[i] = 0;
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&wanted, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        reap_workers(s, pids, n);
    }
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(-pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        if (pids[i] > 0) {
            while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
                ;
            if (store_requeue_dead_jobs(s, (int)pids[i], 0, NULL, &err))
                report("re-queuing a stopped worker's job", &err);
        }
    store_close(s);
    _exit(0);
}

int pipeline_workers_start(const pipeline_config *cfg, pipeline_workers **out, zkml_error *err)
{
    *out = NULL;
    if (!cfg->data_dir)
        return zkml_fail(err, ZKML_EINVAL, "workers: no data dir");
    pipeline_workers *w = calloc(1, sizeof *w);
    if (!w)
        return zkml_fail(err, ZKML_ENOMEM, "workers: out of memory");
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old); /* before fork: no signal is lost */
    fflush(NULL);
    pid_t service = getpid();
    pid_t pid = fork();
    if (pid == 0)
        supervisor_main(cfg, service);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        free(w);
        return zkml_fail(err, ZKML_EIO, "workers: fork: %s", strerror(errno));
    }
    w->supervisor = pid;
    *out = w;
    return 0;
}

int pipeline_workers_supervise(pipeline_workers *w, zkml_error *err)
{
    int status;
    pid_t r = waitpid(w->supervisor, &status, WNOHANG);
    if (r == 0)
        return 0;
    w->reaped = 1;
    return zkml_fail(err, ZKML_EINTERNAL, "the worker supervisor (pid %d) has exited%s",
                     (int)w->supervisor, r < 0 ? "" : ": see its messages above");
}

void pipeline_workers_stop(pipeline_workers *w)
{
    if (!w)
        return;
    if (!w->reaped && kill(w->supervisor, SIGTERM) == 0)
        while (waitpid(w->supervisor, NULL, 0) < 0 && errno == EINTR)
            ;
    free(w);
}
