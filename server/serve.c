/*
 * serve.c - `zkml-registry serve`: opens (and migrates) the store, starts the
 * local chain when ZKML_CHAIN=anvil, forks the pipeline workers, then serves
 * HTTP with CivetWeb until SIGINT or SIGTERM, and stops everything in reverse.
 *
 * Signals: the main thread blocks SIGINT/SIGTERM before CivetWeb starts its
 * threads (which inherit the mask) and waits for them with sigtimedwait,
 * supervising the workers between waits; no handler and no global state.
 * Workers and the chain are started before the mask, so they keep the
 * default dispositions.
 */
#include "server/commands.h"
#include "server/proof_jobs.h"
#include "pipeline/pipeline.h"

#include <civetweb.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SERVE_THREADS "64"
#define SERVE_REQUEST_TIMEOUT_MS "10000"

static void *thread_begin(const struct mg_context *ctx, int thread_type)
{
    (void)ctx;
    /* Type 1 is a request worker: it gets a companion with a large stack. */
    if (thread_type != 1)
        return NULL;
    server_thread *t = calloc(1, sizeof *t);
    zkml_error err = {0};
    if (t && big_stack_start(&t->runner, &err)) {
        fprintf(stderr, "zkml-registry: %s\n", err.message);
        free(t);
        t = NULL;
    }
    return t;
}

static void thread_end(const struct mg_context *ctx, int thread_type, void *p)
{
    (void)ctx, (void)thread_type;
    server_thread *t = p;
    if (!t)
        return;
    big_stack_stop(t->runner);
    if (t->store)
        store_close(t->store);
    free(t);
}

/* CivetWeb's handler: the request itself runs on the thread's companion. */
static int handle_request(struct mg_connection *conn, void *cbdata)
{
    server_thread *t = mg_get_thread_pointer(conn);
    if (!t) {
        mg_send_http_error(conn, 500, "request thread unavailable");
        return 500;
    }
    return big_stack_run(t->runner, route_request, conn, cbdata);
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    fprintf(stderr, "zkml-registry: http: %s\n", message);
    return 1;
}

/* Starts anvil when asked, and passes the chain it made to the workers
 * through the environment as an external (rpc) chain. */
static int start_chain(server_ctx *srv, chain_anvil *anvil, zkml_error *err)
{
    if (chain_config_from_env(&srv->chain, err))
        return err->code;
    if (strcmp(srv->cfg.chain, "anvil") != 0)
        return ZKML_OK;
    if (chain_anvil_start(srv->cfg.data_dir, anvil, &srv->chain, err))
        return zkml_error_prefix(err, "starting the local chain (ZKML_CHAIN=anvil)");
    if (setenv("ZKML_CHAIN", "rpc", 1) || setenv("ZKML_RPC_URL", srv->chain.rpc_url, 1) ||
        setenv("ZKML_PRIVATE_KEY_FILE", srv->chain.key_file, 1) ||
        setenv("ZKML_REGISTRY_ADDRESS", srv->chain.registry_address, 1))
        return zkml_fail(err, ZKML_EIO, "setting the chain environment: %s", strerror(errno));
    return ZKML_OK;
}

/* The workers, with the pipes of pipeline_notify: the service keeps the
 * write end of the wake pipe and the read end of the done pipe (done[0]). */
static int start_workers(server_ctx *srv, pipeline_workers **workers, int *done_read,
                         zkml_error *err)
{
    pipeline_config pcfg;
    int wake[2] = {-1, -1}, done[2] = {-1, -1};
    if (pipeline_config_from_env(&pcfg, srv->cfg.data_dir, err))
        return err->code;
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) || pipe2(done, O_CLOEXEC | O_NONBLOCK)) {
        int rc = zkml_fail(err, ZKML_EIO, "pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            if (wake[i] >= 0)
                close(wake[i]);
        return rc;
    }
    pipeline_notify notify = {wake[0], done[1]};
    pcfg.notify = &notify; /* copied into the forked processes */
    pcfg.workers = srv->cfg.workers;
    srv->job_memory_mb = pcfg.memory_mb;
    srv->check_timeout_s = pcfg.timeout_s;
    int rc = pipeline_workers_start(&pcfg, workers, err);
    close(wake[0]);
    close(done[1]);
    srv->proof_wake_fd = wake[1];
    *done_read = done[0];
    return rc;
}

static struct mg_context *start_http(server_ctx *srv, zkml_error *err)
{
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.init_thread = thread_begin;
    cb.exit_thread = thread_end;
    cb.log_message = log_message;
    const char *options[] = {
        "listening_ports",
        srv->cfg.listen,
        /* Capacity: a slow client holds a thread for one timeout at most, and
         * there are enough threads that a few dozen of them leave room. */
        "num_threads",
        SERVE_THREADS,
        "connection_queue",
        "64",
        /* The whole header must come within this; each body read waits at
         * most this long (upload.c adds a minimum body rate). */
        "request_timeout_ms",
        SERVE_REQUEST_TIMEOUT_MS,
        /* Answer absolute-form requests ("GET http://host:port/path") that name
         * this port, whatever the host: the Host rule is routes.c's. */
        "enable_auth_domain_check",
        "no",
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        "5000",
        /* Headers and body go out in separate writes: without this, Nagle's
         * algorithm and the client's delayed ACK add 40 ms to every answer. */
        "tcp_nodelay",
        "1",
        /* CORS is decided per route in routes.c, not by CivetWeb. */
        "access_control_allow_origin",
        "",
        "access_control_allow_methods",
        "",
        "access_control_allow_headers",
        "",
        NULL,
    };
    struct mg_init_data init = {&cb, srv, options};
    char text[256] = "";
    unsigned code = 0;
    struct mg_error_data error = {&code, text, sizeof text};
    struct mg_context *ctx = mg_start2(&init, &error);
    if (!ctx) {
        zkml_fail(err, ZKML_EIO, "cannot listen on %s: %s", srv->cfg.listen,
                  text[0] ? text : "CivetWeb failed to start");
        return NULL;
    }
    mg_set_request_handler(ctx, "/", handle_request, srv);
    return ctx;
}

/* Prints every bound address: port 0 resolves to the port the system picked,
 * and a listen list shows all of its entries, public ones included. */
static void announce(struct mg_context *ctx, const server_ctx *srv)
{
    struct mg_server_port ports[SERVER_LISTEN_MAX];
    int n = mg_get_server_ports(ctx, SERVER_LISTEN_MAX, ports);
    printf("zkml-registry: listening on");
    for (int i = 0; i < n && i < srv->cfg.n_listen; i++) {
        const char *host = srv->cfg.listen_host[i];
        printf("%s http://%s:%d", i ? "," : "", host[0] ? host : "0.0.0.0", ports[i].port);
    }
    printf(" (data dir %s, %d worker%s, chain %s)\n", srv->cfg.data_dir, srv->cfg.workers,
           srv->cfg.workers == 1 ? "" : "s", srv->cfg.chain);
    fflush(stdout);
}

/* Waits for SIGINT/SIGTERM, checking on the workers every second. */
static int wait_for_signal(const sigset_t *set, pipeline_workers *workers)
{
    struct timespec second = {1, 0};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &second);
        if (sig == SIGINT || sig == SIGTERM)
            return ZKML_OK;
        zkml_error err = {0};
        if (pipeline_workers_supervise(workers, &err)) {
            fprintf(stderr, "zkml-registry: workers: %s\n", err.message);
            return err.code;
        }
    }
}

static int prepare(server_ctx *srv, zkml_error *err)
{
    registry_store *s;
    ssize_t n = readlink("/proc/self/exe", srv->self_exe, sizeof srv->self_exe - 1);
    if (n <= 0)
        return zkml_fail(err, ZKML_EIO, "cannot find this binary (/proc/self/exe): %s",
                         strerror(errno));
    srv->self_exe[n] = '\0';
    if (store_open(srv->cfg.data_dir, &s, err))
        return err->code;
    store_close(s);
    int removed;
    if (store_clean_staging(srv->cfg.data_dir, &removed, err))
        return err->code;
    if (removed)
        fprintf(stderr, "zkml-registry: removed %d staged upload%s left by a crash\n", removed,
                removed == 1 ? "" : "s");
    return store_staging_dir(srv->cfg.data_dir, srv->staging_dir, sizeof srv->staging_dir, err);
}

int cmd_serve(int argc, char **argv)
{
    int help;
    zkml_error err = {0};
    server_ctx *srv = calloc(1, sizeof *srv);
    if (!srv) {
        fprintf(stderr, "zkml-registry serve: out of memory\n");
        return 2;
    }
    chain_anvil anvil = {0};
    pipeline_workers *workers = NULL;
    struct mg_context *http = NULL;
    int done_read = -1;
    int rc = server_config_load(argc, argv, &srv->cfg, &help, &err);
    if (!rc && help) {
        server_config_usage(stdout);
        free(srv);
        return 0;
    }
    if (!rc)
        rc = prepare(srv, &err);
    if (!rc)
        rc = start_chain(srv, &anvil, &err);
    if (!rc)
        rc = start_workers(srv, &workers, &done_read, &err);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (!rc)
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (!rc)
        rc = proof_notify_start(done_read, &srv->proofs, &err);
    if (!rc) {
        mg_init_library(0);
        http = start_http(srv, &err);
        rc = http ? ZKML_OK : err.code;
    }
    if (!rc) {
        announce(http, srv);
        rc = wait_for_signal(&set, workers);
        fprintf(stderr, "zkml-registry: shutting down\n");
    } else {
        fprintf(stderr, "zkml-registry serve: %s\n", err.message);
    }
    if (http)
        mg_stop(http);
    proof_notify_stop(srv->proofs);
    if (workers)
        pipeline_workers_stop(workers);
    if (srv->proof_wake_fd > 0)
        close(srv->proof_wake_fd);
    if (done_read >= 0)
        close(done_read);
    chain_anvil_stop(&anvil);
    mg_exit_library();
    free(srv);
    return rc ? 2 : 0;
}
