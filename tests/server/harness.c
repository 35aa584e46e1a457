/* harness.c - server processes, libcurl requests and JSON fields for the server_ tests. */
#include "harness.h"

#include "common/common.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Forks bin serve with args, env added, stdout into out_fd (or inherited). */
static pid_t spawn(const char *bin, const char *const *args, const char *const *env, int out_fd,
                   int err_fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (out_fd >= 0)
        dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        dup2(err_fd, STDERR_FILENO);
    for (const char *const *e = env; e && *e; e++)
        putenv((char *)*e);
    const char *argv[16] = {bin, "serve"};
    int n = 2;
    for (const char *const *a = args; a && *a && n < 15; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    execv(bin, (char *const *)argv);
    _exit(127);
}

int test_server_start(test_server *s, const char *bin, const char *data_dir, const char *const *env,
                      int *exit_status)
{
    return test_server_start_listen(s, bin, data_dir, "127.0.0.1:0", env, exit_status);
}

int test_server_start_listen(test_server *s, const char *bin, const char *data_dir,
                             const char *listen, const char *const *env, int *exit_status)
{
    memset(s, 0, sizeof *s);
    snprintf(s->data_dir, sizeof s->data_dir, "%s", data_dir);
    int fds[2];
    if (pipe(fds))
        return -1;
    const char *args[] = {"--listen", listen, "--data-dir", data_dir, NULL};
    s->pid = spawn(bin, args, env, fds[1], -1);
    close(fds[1]);
    if (s->pid < 0) {
        close(fds[0]);
        return -1;
    }
    /* Read the "listening on http://127.0.0.1:PORT" line. */
    char line[512];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    snprintf(s->line, sizeof s->line, "%s", line);
    close(fds[0]);
    const char *p = strstr(line, "listening on http://127.0.0.1:");
    if (!p) {
        int status = 0;
        waitpid(s->pid, &status, 0);
        if (exit_status)
            *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        s->pid = 0;
        return -1;
    }
    s->port = atoi(p + strlen("listening on http://127.0.0.1:"));
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    return 0;
}

int test_server_stop(test_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int status = -1;
    for (int i = 0; i < 400; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    return -1;
}

int test_server_run_to_exit(const char *bin, const char *const *args, const char *const *env,
                            char *errbuf, size_t errlen)
{
    char path[] = "/tmp/zkml-server-stderr-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    pid_t pid = spawn(bin, args, env, -1, fd);
    int status = -1;
    for (int i = 0; pid > 0 && i < 400; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        sleep_ms(50);
        if (i == 399) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
        }
    }
    ssize_t n = pread(fd, errbuf, errlen - 1, 0);
    errbuf[n > 0 ? n : 0] = '\0';
    close(fd);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- HTTP ------------------------------------------------------------------- */

void http_response_free(http_response *r)
{
    free(r->body);
    r->body = NULL;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    zkml_buf *body = ctx;
    zkml_buf_put(body, data, size * n);
    return body->oom ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    http_response *r = ctx;
    size_t len = size * n, have = strlen(r->headers);
    if (have + len < sizeof r->headers) {
        memcpy(r->headers + have, data, len);
        r->headers[have + len] = '\0';
    }
    return len;
}

int http_header(const http_response *r, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r\n");
            if (k >= outlen)
                k = outlen - 1;
            memcpy(out, v, k);
            out[k] = '\0';
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

static int perform(CURL *c, const char *url, const char *const *headers, http_response *r)
{
    memset(r, 0, sizeof *r);
    zkml_buf body = {0};
    struct curl_slist *list = NULL;
    for (const char *const *h = headers; h && *h; h++)
        list = curl_slist_append(list, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    r->len = body.len;
    zkml_error err;
    if (zkml_buf_detach(&body, &r->body, &err))
        return -1;
    if (rc != CURLE_OK)
        fprintf(stderr, "curl %s: %s (status %ld)\n", url, curl_easy_strerror(rc), r->status);
    return rc == CURLE_OK || r->status > 0 ? 0 : -1;
}

int http_do(const char *method, const char *url, const char *const *headers, const void *body,
            size_t len, http_response *r)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    int rc = perform(c, url, headers, r);
    curl_easy_cleanup(c);
    return rc;
}

int http_post_form(const char *url, const form_field *fields, size_t n, const char *const *headers,
                   http_response *r)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    curl_mime *mime = curl_mime_init(c);
    for (size_t i = 0; i < n; i++) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, fields[i].name);
        if (fields[i].file) {
            curl_mime_filedata(part, fields[i].file);
            if (fields[i].filename)
                curl_mime_filename(part, fields[i].filename);
        } else {
            curl_mime_data(part, fields[i].value, CURL_ZERO_TERMINATED);
        }
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    int rc = perform(c, url, headers, r);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    return rc;
}

int json_field(const char *json, const char *name, char *out, size_t outlen)
{
    cJSON *root = cJSON_Parse(json ? json : "");
    cJSON *v = root ? cJSON_GetObjectItemCaseSensitive(root, name) : NULL;
    int rc = -1;
    if (cJSON_IsString(v)) {
        snprintf(out, outlen, "%s", v->valuestring);
        rc = 0;
    } else if (cJSON_IsNumber(v)) {
        snprintf(out, outlen, "%.0f", v->valuedouble);
        rc = 0;
    } else if (cJSON_IsBool(v)) {
        snprintf(out, outlen, "%s", cJSON_IsTrue(v) ? "true" : "false");
        rc = 0;
    } else if (cJSON_IsNull(v)) {
        snprintf(out, outlen, "null");
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

int wait_for_job(const test_server *s, const char *task, int version, int timeout_s,
                 http_response *r)
{
    char url[512], state[32];
    snprintf(url, sizeof url, "%s/models/%s/status?version=%d", s->base, task, version);
    memset(r, 0, sizeof *r);
    for (int i = 0; i < timeout_s * 5; i++) {
        http_response_free(r);
        if (http_do("GET", url, NULL, NULL, 0, r))
            return -1;
        if (r->status == 200 && json_field(r->body, "state", state, sizeof state) == 0 &&
            (!strcmp(state, "done") || !strcmp(state, "failed")))
            return 0;
        sleep_ms(200);
    }
    return -1;
}
