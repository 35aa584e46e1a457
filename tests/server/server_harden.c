/*
 * server_harden.c - attacks on the running server, one case per argument:
 *   rules    a listen list with a public entry needs a token and the start-up
 *            line names every address; without a token only Host values
 *            naming this server are answered (DNS rebinding); absolute-form
 *            requests are answered; a 200-character task_id gets the pattern
 *            message; sample is checked without a CSV; staged uploads left by
 *            a crash are removed at start;
 *   slow     20 connections trickling headers and 20 trickling POST bodies (an
 *            upload, a proof of a new input, an Infernet request) do not keep
 *            /healthz from answering, and the server cuts each one;
 *   memory   4 concurrent uploads of a 40 MB CSV keep the server's peak RSS
 *            (VmHWM) under 64 MB + 1 MB per connection;
 *   refused  a 16 MiB body refused on its Content-Length alone (an upload
 *            over ZKML_MAX_UPLOAD_MB, a proof's body over 1 MiB), sent at once
 *            as a client that does not wait for 100-continue sends it: in each
 *            of 25 tries the whole body goes out (the server drains it rather
 *            than reset the connection) and the 413 is read; and a request
 *            answered before any handler reads its body (404, 405, a foreign
 *            origin's 403), declaring 1 GiB sent a byte at a time: the answer
 *            comes and the connection ends, the body unread.
 *
 * usage: server_harden rules|slow|memory|refused ZKML_REGISTRY MODEL.onnx
 */
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *bin, *model_path;
static test_server srv;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A loopback connection to the server with a receive timeout; -1 on failure. */
static int connect_server(int port, int recv_timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {recv_timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends request whole and reads the answer until EOF or the timeout. */
static int raw_request(const char *request, char *reply, size_t cap, int timeout_s)
{
    int fd = connect_server(srv.port, timeout_s);
    reply[0] = '\0';
    if (fd < 0)
        return -1;
    size_t len = strlen(request), got = 0;
    if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    ssize_t k;
    while (got + 1 < cap && (k = recv(fd, reply + got, cap - 1 - got, 0)) > 0)
        got += (size_t)k;
    reply[got] = '\0';
    close(fd);
    return 0;
}

/* ---- rules ------------------------------------------------------------------ */

static void test_listen_list(const char *dir)
{
    char err[4096];
    const char *mixed[] = {"--listen", "127.0.0.1:0,0.0.0.0:0", "--data-dir", dir, NULL};
    const char *no_token[] = {"ZKML_API_TOKEN=", "ZKML_CHAIN=none", NULL};
    int rc = test_server_run_to_exit(bin, mixed, no_token, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "ZKML_API_TOKEN"),
          "a public entry after a loopback one "
          "started without a token: exit %d, %s",
          rc, err);
    const char *named[] = {"--listen", "127.attacker.example:0", "--data-dir", dir, NULL};
    rc = test_server_run_to_exit(bin, named, no_token, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "ZKML_API_TOKEN"),
          "a name starting with 127. is no "
          "loopback address: exit %d, %s",
          rc, err);
    test_server pub;
    const char *token[] = {"ZKML_API_TOKEN=s3cret", "ZKML_CHAIN=none", NULL};
    if (test_server_start_listen(&pub, bin, dir, "127.0.0.1:0,0.0.0.0:0", token, NULL) != 0) {
        CHECK(0, "the listen list with a token did not start");
        return;
    }
    CHECK(strstr(pub.line, "http://127.0.0.1:") && strstr(pub.line, ", http://0.0.0.0:"),
          "the start-up line names every address: %s", pub.line);
    /* with a token the Host rule is off: holders of the token are trusted */
    char url[256];
    snprintf(url, sizeof url, "%s/healthz", pub.base);
    const char *other_host[] = {"Host: registry.example", NULL};
    http_response r;
    http_do("GET", url, other_host, NULL, 0, &r);
    CHECK(r.status == 200, "token server, other Host: %ld", r.status);
    http_response_free(&r);
    test_server_stop(&pub);
}

static void test_host_rule(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/models", srv.base);
    form_field f[] = {{"task_id", "rebound", NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    const char *rebinding[] = {"Host: attacker.example", "Origin: http://attacker.example", NULL};
    http_response r;
    http_post_form(url, f, 2, rebinding, &r);
    CHECK(r.status == 403 && strstr(r.body, "attacker.example"), "rebound POST: %ld %s", r.status,
          r.body);
    http_response_free(&r);
    snprintf(url, sizeof url, "%s/models/rebound", srv.base);
    http_do("GET", url, NULL, NULL, 0, &r);
    CHECK(r.status == 404, "the rebound upload must not exist: %ld %s", r.status, r.body);
    http_response_free(&r);
    char host[64];
    snprintf(host, sizeof host, "Host: localhost:%d", srv.port);
    const char *local[] = {host, NULL};
    snprintf(url, sizeof url, "%s/healthz", srv.base);
    http_do("GET", url, local, NULL, 0, &r);
    CHECK(r.status == 200, "Host localhost: %ld", r.status);
    http_response_free(&r);
}

static void test_absolute_form(void)
{
    char req[512], reply[4096];
    snprintf(req, sizeof req,
             "GET http://127.0.0.1:%d/healthz HTTP/1.1\r\nHost: 127.0.0.1:%d"
             "\r\nConnection: close\r\n\r\n",
             srv.port, srv.port);
    raw_request(req, reply, sizeof reply, 20);
    CHECK(!strncmp(reply, "HTTP/1.1 200", 12) && strstr(reply, "\"ok\""),
          "absolute-form GET: '%.200s'", reply);
    /* its host is checked like a Host header */
    snprintf(req, sizeof req,
             "GET http://attacker.example:%d/healthz HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
             srv.port);
    raw_request(req, reply, sizeof reply, 20);
    CHECK(!strncmp(reply, "HTTP/1.1 403", 12), "absolute form, other host: '%.200s'", reply);
}

static void test_upload_fields(void)
{
    char url[256], long_id[201];
    snprintf(url, sizeof url, "%s/models", srv.base);
    memset(long_id, 'a', 200);
    long_id[200] = '\0';
    form_field f[] = {{"task_id", long_id, NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    http_response r;
    http_post_form(url, f, 2, NULL, &r);
    CHECK(r.status == 400 && strstr(r.body, "task_id must match [A-Za-z0-9_-]{1,64}"),
          "200-character task_id: %ld %s", r.status, r.body);
    http_response_free(&r);
    form_field g[] = {{"task_id", "nocsv", NULL, NULL},
                      {"model", NULL, model_path, "m.onnx"},
                      {"sample", "3", NULL, NULL}};
    http_post_form(url, g, 3, NULL, &r);
    CHECK(r.status == 400 && strstr(r.body, "sample 3 needs a data CSV"),
          "sample without a CSV: %ld %s", r.status, r.body);
    http_response_free(&r);
}

static int case_rules(const char *dir)
{
    test_listen_list(dir);
    /* a crash's staged uploads are gone once the server is up */
    char staged[PATH_MAX + 32];
    snprintf(staged, sizeof staged, "%s/uploads", dir);
    mkdir(staged, 0700);
    snprintf(staged, sizeof staged, "%s/uploads/upload-CRASH1", dir);
    FILE *f = fopen(staged, "w");
    if (f)
        fclose(f);
    const char *env[] = {"ZKML_API_TOKEN=", "ZKML_CHAIN=none", NULL};
    if (test_server_start(&srv, bin, dir, env, NULL) != 0) {
        CHECK(0, "server did not start");
        return 1;
    }
    CHECK(access(staged, F_OK) != 0, "%s survived the restart", staged);
    test_host_rule();
    test_absolute_form();
    test_upload_fields();
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    return 0;
}

/* ---- slow clients ------------------------------------------------------------- */

enum { TRICKLERS = 20, TRICKLE_BUDGET_S = 45 };

typedef struct trickler {
    int body;        /* 0: trickle the headers; else send headers, trickle the body of route 1-3 */
    double cut_at_s; /* when the server ended it; < 0 if it never did */
} trickler;

/* Sends one byte every 500 ms until the server closes the connection or
 * answers, or the budget runs out: a bounded loop that stops by itself. */
static void *trickle(void *arg)
{
    trickler *t = arg;
    t->cut_at_s = -1;
    int fd = connect_server(srv.port, 1);
    if (fd < 0)
        return NULL;
    char head[512];
    if (t->body == 1)
        snprintf(head, sizeof head,
                 "POST /models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000"
                 "\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"task_id\"\r\n\r\n");
    else if (t->body) /* the JSON bodies: a proof of a new input, an Infernet request */
        snprintf(head, sizeof head,
                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100000\r\n\r\n{\"input_data\": [[",
                 t->body == 2 ? "/models/iris/versions/1/proofs"
                              : "/infernet/iris/1/service_output");
    else
        snprintf(head, sizeof head, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    double start = now_s();
    while (now_s() - start < TRICKLE_BUDGET_S) {
        char c;
        ssize_t k = recv(fd, &c, 1, MSG_DONTWAIT);
        int closed = k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        if (k > 0 || closed || send(fd, t->body ? "a" : "X", 1, MSG_NOSIGNAL) != 1) {
            t->cut_at_s = now_s() - start;
            break;
        }
        sleep_ms(500);
    }
    close(fd);
    return NULL;
}

/* GET /healthz on a fresh connection within patience_s; 1 if it answered 200. */
static int healthz_answers(int patience_s)
{
    char reply[1024];
    raw_request("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", reply,
                sizeof reply, patience_s);
    return !strncmp(reply, "HTTP/1.1 200", 12);
}

static int case_slow(const char *dir)
{
    const char *env[] = {"ZKML_CHAIN=none", NULL};
    if (test_server_start(&srv, bin, dir, env, NULL) != 0) {
        CHECK(0, "server did not start");
        return 1;
    }
    trickler t[2 * TRICKLERS];
    pthread_t th[2 * TRICKLERS];
    for (int i = 0; i < 2 * TRICKLERS; i++) {
        t[i].body = i < TRICKLERS ? 0 : 1 + i % 3; /* /models, .../proofs, Infernet */
        pthread_create(&th[i], NULL, trickle, &t[i]);
    }
    sleep_ms(2000); /* every trickler is connected and holding its request */
    int answered = healthz_answers(8);
    CHECK(answered, "/healthz did not answer within 8 s while %d clients trickle", 2 * TRICKLERS);
    double worst[2] = {0, 0};
    for (int i = 0; i < 2 * TRICKLERS; i++) {
        pthread_join(th[i], NULL);
        CHECK(t[i].cut_at_s >= 0, "a %s trickler was never cut off (%d s budget)",
              t[i].body ? "body" : "header", TRICKLE_BUDGET_S);
        if (t[i].cut_at_s > worst[t[i].body != 0])
            worst[t[i].body != 0] = t[i].cut_at_s;
    }
    printf("slow clients: /healthz %s; header tricklers cut within %.1f s, body tricklers "
           "within %.1f s\n",
           answered ? "answered" : "did NOT answer", worst[0], worst[1]);
    CHECK(healthz_answers(8), "/healthz after the tricklers");
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    return 0;
}

/* ---- memory ------------------------------------------------------------------------ */

enum { UPLOADS = 4, CSV_ROWS = 1000000 };

/* kB of a /proc/PID/status field (VmRSS, VmHWM); -1 if unreadable. */
static long proc_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            kb = atol(line + n + 1);
    if (f)
        fclose(f);
    return kb;
}

typedef struct big_upload {
    const char *csv;
    char task[32];
    long status;
} big_upload;

static void *upload_big(void *arg)
{
    big_upload *u = arg;
    char url[256];
    snprintf(url, sizeof url, "%s/models", srv.base);
    form_field f[] = {{"task_id", u->task, NULL, NULL},
                      {"model", NULL, model_path, "m.onnx"},
                      {"data", NULL, u->csv, "big.csv"},
                      {"sample", "999999", NULL, NULL}};
    http_response r;
    if (http_post_form(url, f, 4, NULL, &r) == 0)
        u->status = r.status;
    if (u->status != 202)
        fprintf(stderr, "%s: %ld %s\n", u->task, r.status, r.body ? r.body : "");
    http_response_free(&r);
    return NULL;
}

/* A CSV of CSV_ROWS rows of 4 features and a label (about 40 MB). */
static int write_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("f0,f1,f2,f3,label\n", f);
    for (long i = 0; i < CSV_ROWS; i++)
        fprintf(f, "%.5f,%.5f,%.5f,%.5f,%ld\n", (double)(i % 997) / 997, (double)(i % 13) / 13,
                (double)(i % 101) / 101, (double)(i % 7) / 7, i % 3);
    return fclose(f);
}

static int case_memory(const char *dir)
{
    char csv[PATH_MAX + 16];
    snprintf(csv, sizeof csv, "%s/big.csv", dir);
    if (write_csv(csv) != 0) {
        CHECK(0, "cannot write %s", csv);
        return 1;
    }
    char data_dir[PATH_MAX + 16];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    const char *env[] = {"ZKML_CHAIN=none", NULL};
    if (test_server_start(&srv, bin, data_dir, env, NULL) != 0) {
        CHECK(0, "server did not start");
        return 1;
    }
    long idle = proc_kb(srv.pid, "VmHWM"), peak_rss = 0;
    big_upload u[UPLOADS];
    pthread_t th[UPLOADS];
    for (int i = 0; i < UPLOADS; i++) {
        u[i] = (big_upload){csv, "", 0};
        snprintf(u[i].task, sizeof u[i].task, "big-%d", i);
        pthread_create(&th[i], NULL, upload_big, &u[i]);
    }
    /* Sample VmRSS while they run (VmHWM below catches any peak in between). */
    for (int running = UPLOADS; running > 0;) {
        long rss = proc_kb(srv.pid, "VmRSS");
        peak_rss = rss > peak_rss ? rss : peak_rss;
        sleep_ms(100);
        running = 0;
        for (int i = 0; i < UPLOADS; i++)
            running += u[i].status == 0;
    }
    for (int i = 0; i < UPLOADS; i++) {
        pthread_join(th[i], NULL);
        CHECK(u[i].status == 202, "%s: %ld", u[i].task, u[i].status);
    }
    long hwm = proc_kb(srv.pid, "VmHWM"), limit = (64 + UPLOADS) * 1024;
    printf("server memory: VmHWM %ld kB idle, %ld kB after %d concurrent %d-row CSV uploads "
           "(VmRSS sampled up to %ld kB); limit %ld kB\n",
           idle, hwm, UPLOADS, CSV_ROWS, peak_rss, limit);
    CHECK(hwm > 0 && hwm <= limit, "server peak RSS %ld kB is above %ld kB", hwm, limit);
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    return 0;
}

/* ---- refused ----------------------------------------------------------------------- */

enum { REFUSED_TRIES = 25, REFUSED_BODY = 16 << 20 };

/* Sends head and a body of REFUSED_BODY bytes without waiting for an answer,
 * as a client that does not wait for 100-continue does, then reads the
 * answer: 1 when the whole body went out and the answer is a 413. A client
 * whose send fails (reset by the server) reports an error, not the 413, as
 * Node's fetch does: so the body must be drained, not cut off. */
static int refused_with_413(const char *head, const char *body)
{
    int fd = connect_server(srv.port, 10);
    if (fd < 0)
        return 0;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    size_t sent = 0;
    if (send(fd, head, strlen(head), MSG_NOSIGNAL) > 0)
        for (ssize_t k; sent < REFUSED_BODY; sent += (size_t)k)
            if ((k = send(fd, body + sent, REFUSED_BODY - sent, MSG_NOSIGNAL)) <= 0)
                break;
    const char *send_error = sent < REFUSED_BODY ? strerror(errno) : NULL;
    char reply[512];
    ssize_t k = recv(fd, reply, sizeof reply - 1, 0);
    close(fd);
    reply[k > 0 ? k : 0] = '\0';
    if (!send_error && !strncmp(reply, "HTTP/1.1 413", 12))
        return 1;
    printf("sent %zu of %d bytes (%s); answer: %.*s\n", sent, REFUSED_BODY,
           send_error ? send_error : "all", (int)strcspn(reply, "\r\n"), reply);
    return 0;
}

/* A request refused before any handler reads its body (no route, a method
 * the route does not take, a foreign origin): head declares 1 GiB, then the
 * client sends a byte every 200 ms for up to 12 s. 1 when the answer begins
 * with status and the server ends the connection while the client is still
 * sending: kept alive, it would read the declared body first, at the
 * client's pace, one thread held all along. */
static int early_refusal_closes(const char *head, const char *status)
{
    int fd = connect_server(srv.port, 1);
    if (fd < 0 || send(fd, head, strlen(head), MSG_NOSIGNAL) <= 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char reply[2048];
    size_t got = 0;
    int ended = 0, ticks = 0;
    for (; ticks < 60 && !ended; ticks++) {
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
            ended = 1; /* reset after the end: it has closed */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (!ended && poll(&p, 1, 200) > 0) {
            ssize_t k = recv(fd, reply + got, sizeof reply - 1 - got, 0);
            if (k > 0)
                got += (size_t)k;
            else
                ended = 1;
        }
    }
    close(fd);
    reply[got] = '\0';
    int ok = ended && !strncmp(reply, status, strlen(status));
    if (!ok)
        printf("%.*s: answer '%.*s', connection %s after %d bytes of body\n",
               (int)strcspn(head, "\r\n"), head, (int)strcspn(reply, "\r\n"), reply,
               ended ? "ended" : "still open", ticks);
    return ok;
}

static int case_refused(const char *dir)
{
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_MAX_UPLOAD_MB=1", NULL};
    if (test_server_start(&srv, bin, dir, env, NULL) != 0) {
        CHECK(0, "server did not start");
        return 1;
    }
    char *body = malloc(REFUSED_BODY);
    memset(body, 'x', REFUSED_BODY);
    const char *route[2] = {"/models", "/models/tok/versions/1/proofs"};
    const char *type[2] = {"multipart/form-data; boundary=b", "application/json"};
    for (int r = 0; r < 2; r++) {
        char head[256];
        snprintf(head, sizeof head,
                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                 "Content-Length: %d\r\n\r\n",
                 route[r], type[r], REFUSED_BODY);
        int answered = 0;
        for (int i = 0; i < REFUSED_TRIES; i++)
            answered += refused_with_413(head, body);
        printf("POST %s with %d bytes sent at once: %d of %d tries read the 413\n", route[r],
               REFUSED_BODY, answered, REFUSED_TRIES);
        CHECK(answered == REFUSED_TRIES, "POST %s: %d of %d refusals reached the client", route[r],
              answered, REFUSED_TRIES);
    }
    free(body);
    static const char *early[][2] = {
        {"POST /models/tok/no/such/route HTTP/1.1\r\nHost: 127.0.0.1\r\n", "HTTP/1.1 404"},
        {"POST /models/tok HTTP/1.1\r\nHost: 127.0.0.1\r\n", "HTTP/1.1 405"},
        {"POST /models HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n",
         "HTTP/1.1 403"},
        {"PUT /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", "HTTP/1.1 405"},
    };
    for (size_t i = 0; i < sizeof early / sizeof early[0]; i++) {
        char head[512];
        snprintf(head, sizeof head,
                 "%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", early[i][0],
                 1 << 30);
        CHECK(early_refusal_closes(head, early[i][1]),
              "%.*s (1 GiB declared, sent slowly): %s and the connection ended",
              (int)strcspn(early[i][0], "\r"), early[i][0], early[i][1]);
    }
    CHECK(healthz_answers(8), "/healthz after the refusals");
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s rules|slow|memory|refused ZKML_REGISTRY MODEL.onnx\n", argv[0]);
        return 2;
    }
    bin = argv[2];
    model_path = argv[3];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[PATH_MAX];
    test_tmpdir(dir, sizeof dir, "server");
    int rc = !strcmp(argv[1], "rules")     ? case_rules(dir)
             : !strcmp(argv[1], "slow")    ? case_slow(dir)
             : !strcmp(argv[1], "memory")  ? case_memory(dir)
             : !strcmp(argv[1], "refused") ? case_refused(dir)
                                           : 2;
    test_rm_rf(dir);
    curl_global_cleanup();
    int checks = check_exit("server_harden");
    return rc ? rc : checks;
}
