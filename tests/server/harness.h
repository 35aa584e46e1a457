/*
 * harness.h - what the server_ tests share: starting the real zkml-registry
 * binary on a free loopback port with a temporary data dir, speaking HTTP
 * through libcurl (checks and temporary folders: tests/check.h, tests/test_util.h).
 */
#ifndef ZKML_TESTS_SERVER_HARNESS_H
#define ZKML_TESTS_SERVER_HARNESS_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "tests/check.h"
#include "tests/test_util.h"

typedef struct test_server {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
    char data_dir[PATH_MAX];
    char line[512]; /* its "listening on ..." line */
} test_server;

/* Starts `bin serve --listen 127.0.0.1:0 --data-dir DIR` with env (NAME=VALUE
 * strings, NULL-terminated, may be NULL) added, and reads the port from its
 * "listening on" line. Returns 0, or -1 if it did not start (exit status in
 * *exit_status when not NULL; its stderr goes to the test's). */
int test_server_start(test_server *s, const char *bin, const char *data_dir, const char *const *env,
                      int *exit_status);
/* The same with --listen LISTEN (its first entry must be 127.0.0.1). */
int test_server_start_listen(test_server *s, const char *bin, const char *data_dir,
                             const char *listen, const char *const *env, int *exit_status);
/* SIGTERM, then SIGKILL after 20 s; returns the exit status (or -1). */
int test_server_stop(test_server *s);
/* Runs `bin serve ARGS...` expecting it to exit; returns its exit status and
 * its stderr in errbuf. */
int test_server_run_to_exit(const char *bin, const char *const *args, const char *const *env,
                            char *errbuf, size_t errlen);

typedef struct http_response {
    long status;
    char *body; /* NUL-terminated, malloc'ed */
    size_t len;
    char headers[8192];
} http_response;

void http_response_free(http_response *r);
/* The value of a response header (case-insensitive name) into out; 0 found. */
int http_header(const http_response *r, const char *name, char *out, size_t outlen);

typedef struct form_field {
    const char *name;
    const char *value;    /* a text field, or NULL */
    const char *file;     /* a file to upload, or NULL */
    const char *filename; /* the name sent for file (default: its base name) */
} form_field;

/* method and url; headers NULL-terminated (may be NULL); body/len raw (may be NULL). */
int http_do(const char *method, const char *url, const char *const *headers, const void *body,
            size_t len, http_response *r);
/* POST a multipart form of n fields. */
int http_post_form(const char *url, const form_field *fields, size_t n, const char *const *headers,
                   http_response *r);

/* A JSON string field of a flat or nested JSON body ("state", "steps[0].name" not
 * supported: top-level only) into out; 0 found. Numbers are returned as text. */
int json_field(const char *json, const char *name, char *out, size_t outlen);

/* Polls GET base/models/task/status?version=N until state is done or failed
 * (at most timeout_s); the last body into r. Returns 0 when it ended. */
int wait_for_job(const test_server *s, const char *task, int version, int timeout_s,
                 http_response *r);

#endif
