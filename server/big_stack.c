/*
 * big_stack.c - runs each request on a companion thread with a large stack.
 *
 * CivetWeb's request threads have 100 KiB stacks (a compile-time setting of
 * the Debian library), too small for the library code a request reaches
 * (sqlite, the ONNX parser, hashing with stack buffers), above all under
 * AddressSanitizer. Each CivetWeb thread gets one companion thread with an
 * 8 MiB stack; the CivetWeb thread hands it the connection and waits, so a
 * request still runs on exactly one thread at a time.
 */
#include "server/server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { BIG_STACK_BYTES = 8 << 20 };

struct big_stack {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int (*fn)(struct mg_connection *conn, void *cbdata);
    struct mg_connection *conn;
    void *cbdata;
    int pending, result, stop;
};

static void *companion(void *arg)
{
    big_stack *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->pending && !b->stop)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->mu);
        int result = b->fn(b->conn, b->cbdata);
        pthread_mutex_lock(&b->mu);
        b->result = result;
        b->pending = 0;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int big_stack_start(big_stack **out, zkml_error *err)
{
    big_stack *b = calloc(1, sizeof *b);
    if (!b)
        return zkml_fail(err, ZKML_ENOMEM, "request thread: out of memory");
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (!rc)
        rc = pthread_attr_setstacksize(&attr, BIG_STACK_BYTES);
    if (!rc) {
        pthread_mutex_init(&b->mu, NULL);
        pthread_cond_init(&b->cv, NULL);
        rc = pthread_create(&b->thread, &attr, companion, b);
        if (rc) {
            pthread_mutex_destroy(&b->mu);
            pthread_cond_destroy(&b->cv);
        }
    }
    pthread_attr_destroy(&attr);
    if (rc) {
        free(b);
        return zkml_fail(err, ZKML_EIO, "cannot start a request thread: %s", strerror(rc));
    }
    *out = b;
    return ZKML_OK;
}

int big_stack_run(big_stack *b, int (*fn)(struct mg_connection *, void *),
                  struct mg_connection *conn, void *cbdata)
{
    pthread_mutex_lock(&b->mu);
    b->fn = fn;
    b->conn = conn;
    b->cbdata = cbdata;
    b->pending = 1;
    pthread_cond_broadcast(&b->cv);
    while (b->pending)
        pthread_cond_wait(&b->cv, &b->mu);
    int result = b->result;
    pthread_mutex_unlock(&b->mu);
    return result;
}

void big_stack_stop(big_stack *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}
