/*
 * proofs.c - proofs of new inputs (proof_jobs.h): the routes
 *
 *   POST /models/{task}/versions/{n}/proofs[?wait=1]   {"input_data": [[...]],
 *                                                       "output_data": [[...]]?}
 *   GET  /models/{task}/versions/{n}/proofs/{id}
 *
 * and what they stand on: the checks of an input against its version, the
 * queue (the store's proofs table, worked by the pipeline's workers), and the
 * notifier thread that wakes the requests waiting for a proof.
 */
#include "server/proof_jobs.h"
#include "pipeline/circuit/circuit.h"

#include <civetweb.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    PROOF_BODY_MAX = 1 << 20, /* 413 above: a 784-value input is about 16 KiB */
    CIRCUIT_JSON_MAX = 1 << 20,
    NOTIFY_POLL_MS = 200, /* how soon the notifier sees that it must stop */
};

/* ---- the notifier ------------------------------------------------------------ */

struct proof_notify {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ended; /* broadcast when any proof ended */
    uint64_t generation;  /* how many reports were read */
    int fd, stop;
};

static void *notify_main(void *arg)
{
    proof_notify *n = arg;
    char buf[4096];
    for (;;) {
        pthread_mutex_lock(&n->lock);
        int stop = n->stop;
        pthread_mutex_unlock(&n->lock);
        if (stop)
            return NULL;
        struct pollfd p = {n->fd, POLLIN, 0};
        if (poll(&p, 1, NOTIFY_POLL_MS) <= 0)
            continue;
        ssize_t got = read(n->fd, buf, sizeof buf);
        if (got == 0)
            return NULL; /* every worker is gone: waits end at their time limit */
        if (got < 0)
            continue; /* EAGAIN, EINTR */
        pthread_mutex_lock(&n->lock);
        n->generation++;
        pthread_cond_broadcast(&n->ended);
        pthread_mutex_unlock(&n->lock);
    }
}

int proof_notify_start(int done_read, proof_notify **out, zkml_error *err)
{
    proof_notify *n = calloc(1, sizeof *n);
    pthread_condattr_t attr;
    *out = NULL;
    if (!n)
        return zkml_fail(err, ZKML_ENOMEM, "proof notifier: out of memory");
    n->fd = done_read;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->ended, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&n->thread, NULL, notify_main, n);
    if (rc) {
        pthread_cond_destroy(&n->ended);
        pthread_mutex_destroy(&n->lock);
        free(n);
        return zkml_fail(err, ZKML_EIO, "proof notifier: %s", strerror(rc));
    }
    *out = n;
    return 0;
}

void proof_notify_stop(proof_notify *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    pthread_cond_destroy(&n->ended);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

static uint64_t notify_generation(proof_notify *n)
{
    pthread_mutex_lock(&n->lock);
    uint64_t g = n->generation;
    pthread_mutex_unlock(&n->lock);
    return g;
}

/* Sleeps until a report newer than seen arrives or deadline_ms (monotonic) passes. */
static void notify_wait(proof_notify *n, uint64_t seen, int64_t deadline_ms)
{
    struct timespec until = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000};
    pthread_mutex_lock(&n->lock);
    while (n->generation == seen && pthread_cond_timedwait(&n->ended, &n->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&n->lock);
}

/* ---- the jobs ----------------------------------------------------------------- */

int proof_job_input_spec(const server_ctx *srv, registry_store *s, const char *task, int *version,
                         circuit_input_spec *spec, zkml_error *err)
{
    char dir[4096], path[4200];
    uint8_t *text = NULL;
    size_t len;
    int rc = store_version_ready(s, task, version, err);
    if (!rc)
        rc = store_version_dir(srv->cfg.data_dir, task, *version, dir, sizeof dir, err);
    if (!rc)
        rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_CIRCUIT, err);
    if (!rc)
        rc = zkml_read_file(path, CIRCUIT_JSON_MAX, &text, &len, err);
    if (!rc)
        rc = circuit_input_spec_parse((const char *)text, len, spec, err);
    free(text);
    return rc;
}

/* output_data's values as a JSON array, once checked. */
static int expected_json(const circuit_input_spec *spec, const double *y, size_t n, char **json,
                         zkml_error *err)
{
    int rc = circuit_expected_check(spec, y, n, err);
    cJSON *a = rc ? NULL : cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(y[i]));
    *json = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return rc ? rc : *json ? 0 : zkml_fail(err, ZKML_ENOMEM, "output_data: out of memory");
}

int proof_job_submit(const server_ctx *srv, registry_store *s, const char *task, int *version,
                     const double *input, size_t n, const double *expected, size_t n_expected,
                     char id[STORE_PROOF_ID_LEN + 1], zkml_error *err)
{
    circuit_input_spec spec;
    char *canonical = NULL, *want = NULL;
    int rc = proof_job_input_spec(srv, s, task, version, &spec, err);
    if (!rc)
        rc = circuit_input_check(&spec, input, n, "input_data", err);
    if (!rc && expected)
        rc = expected_json(&spec, expected, n_expected, &want, err);
    if (!rc)
        rc = circuit_input_canonical_json(input, n, &canonical, err);
    if (!rc)
        rc = store_proof_create(s, task, *version, canonical, want, id, err);
    /* Wakes one idle worker; a full pipe already holds enough wake-ups. */
    if (!rc && srv->proof_wake_fd > 0 && write(srv->proof_wake_fd, "p", 1) < 0 && errno != EAGAIN)
        fprintf(stderr, "zkml-registry: waking a worker: %s\n", strerror(errno));
    free(canonical);
    free(want);
    return rc;
}

static int ended(const store_proof *p)
{
    return !strcmp(p->state, "done") || !strcmp(p->state, "failed");
}

int proof_job_wait(const server_ctx *srv, registry_store *s, const char *task, int version,
                   const char *id, int64_t ms, store_proof *p, zkml_error *err)
{
    int64_t deadline = zkml_monotonic_ms() + ms;
    for (;;) {
        uint64_t seen = srv->proofs ? notify_generation(srv->proofs) : 0;
        int rc = store_proof_get(s, task, version, id, p, err);
        if (rc || ended(p) || !srv->proofs || zkml_monotonic_ms() >= deadline)
            return rc;
        store_proof_free(p);
        notify_wait(srv->proofs, seen, deadline);
    }
}

static void add_ms(cJSON *o, const char *key, int64_t ms)
{
    if (ms)
        cJSON_AddNumberToObject(o, key, (double)ms);
    else
        cJSON_AddNullToObject(o, key);
}

int proof_job_json(const store_proof *p, char **json, zkml_error *err)
{
    char url[256];
    snprintf(url, sizeof url, "/models/%s/versions/%d/proofs/%s", p->task_id, p->version, p->id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "proof_id", p->id);
    cJSON_AddStringToObject(o, "task_id", p->task_id);
    cJSON_AddNumberToObject(o, "version", p->version);
    cJSON_AddStringToObject(o, "state", p->state);
    cJSON_AddStringToObject(o, "status_url", url);
    add_ms(o, "created_at_ms", p->created_at);
    add_ms(o, "started_at_ms", p->started_at);
    add_ms(o, "finished_at_ms", p->finished_at);
    if (p->error)
        cJSON_AddStringToObject(o, "error", p->error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON *result = p->result ? cJSON_Parse(p->result) : NULL;
    cJSON_AddItemToObject(o, "result", result ? result : cJSON_CreateNull());
    *json = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return *json ? 0 : zkml_fail(err, ZKML_ENOMEM, "proof: out of memory");
}

/* ---- the routes ------------------------------------------------------------------ */

/* The body, at most PROOF_BODY_MAX bytes: 0, or the status of the error sent. */
static int read_body(const http_request *rq, zkml_buf *body)
{
    body_limit limit = {PROOF_BODY_MAX, "the body", "1 MiB"};
    zkml_error err = {0};
    int status = body_read(rq, &limit, body, &err);
    if (status == 413)
        return http_send_error(rq, 413, "too_large", "the body is over %d bytes", PROOF_BODY_MAX);
    if (status)
        return http_send_error(rq, status, status == 500 ? "internal" : "invalid_input", "%s",
                               err.message);
    return 0;
}

/* Parses the body and queues the proof. */
static int submit_body(const http_request *rq, registry_store *s, const char *task, int *version,
                       const char *body, size_t len, char *id, zkml_error *err)
{
    circuit_input_spec spec;
    circuit_input_data d = {0};
    int rc = proof_job_input_spec(rq->srv, s, task, version, &spec, err);
    if (!rc)
        rc = circuit_input_parse(body, len, &spec, &d, err);
    if (!rc)
        rc = proof_job_submit(rq->srv, s, task, version, d.input, d.n_input, d.expected,
                              d.n_expected, id, err);
    circuit_input_data_free(&d);
    return rc;
}

/* 1 when the query asks to wait (?wait=1). */
static int wants_wait(const http_request *rq)
{
    char value[8];
    return rq->query && mg_get_var(rq->query, strlen(rq->query), "wait", value, sizeof value) > 0 &&
           !strcmp(value, "1");
}

static int send_proof(const http_request *rq, int status, const store_proof *p)
{
    zkml_error err = {0};
    char *json;
    if (proof_job_json(p, &json, &err))
        return http_send_zkml_error(rq, &err);
    http_send_json(rq, status, json);
    free(json);
    return status;
}

int proofs_post(const http_request *rq, const char *task, const char *version_text)
{
    zkml_error err = {0};
    registry_store *s;
    char id[STORE_PROOF_ID_LEN + 1];
    zkml_buf body = {0};
    int version = 0;
    int rc = http_path_version(rq, version_text, &version);
    if (rc || (rc = read_body(rq, &body)))
        return rc;
    rc = http_store(rq, &s, &err);
    if (!rc)
        rc = submit_body(rq, s, task, &version, (const char *)body.data, body.len, id, &err);
    zkml_buf_free(&body);
    if (rc)
        return http_send_zkml_error(rq, &err);
    store_proof p;
    int64_t wait = wants_wait(rq) ? rq->srv->cfg.sync_proof_ms : 0;
    if (proof_job_wait(rq->srv, s, task, version, id, wait, &p, &err))
        return http_send_zkml_error(rq, &err);
    rc = send_proof(rq, wait && ended(&p) ? 200 : 202, &p);
    store_proof_free(&p);
    return rc;
}

int proofs_get(const http_request *rq, const char *task, const char *version_text, const char *id)
{
    zkml_error err = {0};
    registry_store *s;
    store_proof p;
    int version = 0, status = http_path_version(rq, version_text, &version);
    if (status)
        return status;
    if (http_store(rq, &s, &err) || store_proof_get(s, task, version, id, &p, &err))
        return http_send_zkml_error(rq, &err);
    int rc = send_proof(rq, 200, &p);
    store_proof_free(&p);
    return rc;
}
