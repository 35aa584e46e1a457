/*
 * server_soak.c - crash consistency under load: 200 uploads (one task each)
 * from 8 clients while the server and its workers are killed with SIGKILL at
 * 5 random moments and restarted. A client retries an upload until it is
 * accepted (202, or 200 when a killed attempt had already committed it).
 * Afterwards: PRAGMA integrity_check is ok, git fsck of the history is clean,
 * every upload has exactly one version (with its job and its directory), no
 * version directory lacks its row, no staged upload is left, and no process
 * of a killed service (supervisor, worker, step child) outlives it.
 *
 * Bounded: each upload has at most MAX_TRIES attempts, and the whole run
 * stops at DEADLINE_S. usage: server_soak ZKML_REGISTRY MODEL.onnx [SEED]
 */
#include "harness.h"

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { UPLOADS = 200, CLIENTS = 8, KILLS = 5, MAX_TRIES = 200, DEADLINE_S = 240 };

static const char *bin, *model_path;
static char data_dir[PATH_MAX];
static test_server srv;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int next_upload, accepted, gave_up;
static time_t started;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One attempt at upload i against the current server; its status (0: none). */
static long try_upload(int i)
{
    char url[128], task[32];
    pthread_mutex_lock(&mu);
    snprintf(url, sizeof url, "%s/models", srv.base);
    pthread_mutex_unlock(&mu);
    snprintf(task, sizeof task, "soak-%03d", i);
    form_field f[] = {{"task_id", task, NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    http_response r;
    long status = http_post_form(url, f, 2, NULL, &r) == 0 ? r.status : 0;
    http_response_free(&r);
    return status;
}

static void *client(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        int i = next_upload < UPLOADS ? next_upload++ : -1;
        pthread_mutex_unlock(&mu);
        if (i < 0)
            return NULL;
        long status = 0;
        for (int t = 0; t < MAX_TRIES && time(NULL) - started < DEADLINE_S; t++) {
            status = try_upload(i);
            if (status == 202 || status == 200)
                break;
            sleep_ms(100); /* the server is down or restarting */
        }
        pthread_mutex_lock(&mu);
        if (status == 202 || status == 200)
            accepted++;
        else
            gave_up++;
        pthread_mutex_unlock(&mu);
    }
}

/* The parent pid of pid from /proc/pid/stat; 0 if unknown. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    int ppid = 0;
    if (!close_paren || sscanf(close_paren + 2, "%*c %d", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* SIGKILLs pid's descendants (supervisor, workers, step children), then pid. */
static void kill_tree(pid_t pid)
{
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        pid_t p = (pid_t)atoi(e->d_name);
        if (p > 0 && parent_of(p) == pid)
            kill_tree(p);
    }
    if (d)
        closedir(d);
    kill(pid, SIGKILL);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Kills the whole service when the accepted count passes each of KILLS random
 * points, and starts it again on the same data dir. */
static void *killer(void *arg)
{
    int *points = arg;
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_WORKERS=2", NULL};
    for (int k = 0; k < KILLS; k++) {
        for (;;) {
            pthread_mutex_lock(&mu);
            int done = accepted + gave_up;
            pthread_mutex_unlock(&mu);
            if (done >= points[k] || time(NULL) - started >= DEADLINE_S)
                break;
            sleep_ms(20);
        }
        pid_t old = srv.pid;
        kill_tree(old);
        waitpid(old, NULL, 0);
        test_server fresh;
        if (test_server_start(&fresh, bin, data_dir, env, NULL) != 0) {
            CHECK(0, "restart %d failed", k + 1);
            return NULL;
        }
        pthread_mutex_lock(&mu);
        srv = fresh;
        pthread_mutex_unlock(&mu);
        printf("kill %d at %d finished uploads: restarted on port %d\n", k + 1, points[k],
               fresh.port);
        fflush(stdout);
    }
    return NULL;
}

/* Processes still serving data_dir (forks of `serve --data-dir DIR` keep its
 * command line) after the last stop: each is an orphan of a killed service.
 * They are killed here so that they cannot hold the test's output open. */
static void check_no_survivors(void)
{
    int survivors = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        pid_t p = (pid_t)atoi(e->d_name);
        char path[64], cmd[4096];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p);
        FILE *f = p > 0 ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            cmd[i] = cmd[i] ? cmd[i] : ' ';
        cmd[n] = '\0';
        if (strstr(cmd, data_dir) && strstr(cmd, " serve ")) {
            survivors++;
            kill(p, SIGKILL);
        }
    }
    if (d)
        closedir(d);
    CHECK(survivors == 0, "%d processes of killed services still ran", survivors);
}

static long long sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static void check_database(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/registry.db", data_dir);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        CHECK(0, "cannot open %s", path);
        return;
    }
    sqlite3_stmt *st;
    const unsigned char *ok = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = sqlite3_column_text(st, 0);
    CHECK(ok && !strcmp((const char *)ok, "ok"), "integrity_check: %s", ok ? (char *)ok : "?");
    sqlite3_finalize(st);
    long long versions = sql_int(db, "SELECT COUNT(*) FROM versions");
    long long tasks = sql_int(db, "SELECT COUNT(DISTINCT task_id) FROM versions");
    long long max_version = sql_int(db, "SELECT MAX(version) FROM versions");
    long long jobs = sql_int(db, "SELECT COUNT(*) FROM jobs");
    CHECK(versions == UPLOADS && tasks == UPLOADS && max_version == 1 && jobs == UPLOADS,
          "%lld versions of %lld tasks (max version %lld), %lld jobs: expected one each for "
          "%d uploads",
          versions, tasks, max_version, jobs, UPLOADS);
    printf("database: %lld versions, %lld jobs (%lld done, %lld running or queued)\n", versions,
           jobs, sql_int(db, "SELECT COUNT(*) FROM jobs WHERE state = 'done'"),
           sql_int(db, "SELECT COUNT(*) FROM jobs WHERE state IN ('running', 'queued')"));
    sqlite3_close(db);
}

/* Every version dir has its row (and model.onnx); no staged upload remains. */
static void check_files(void)
{
    char path[PATH_MAX + 64];
    int dirs = 0;
    for (int i = 0; i < UPLOADS; i++) {
        snprintf(path, sizeof path, "%s/artifacts/soak-%03d", data_dir, i);
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            dirs++;
            CHECK(!strcmp(e->d_name, "v1"), "soak-%03d/%s has no version row", i, e->d_name);
        }
        if (d)
            closedir(d);
        snprintf(path, sizeof path, "%s/artifacts/soak-%03d/v1/model.onnx", data_dir, i);
        CHECK(access(path, F_OK) == 0, "%s is missing", path);
    }
    CHECK(dirs == UPLOADS, "%d version dirs for %d versions", dirs, UPLOADS);
    snprintf(path, sizeof path, "%s/uploads", data_dir);
    DIR *d = opendir(path);
    int staged = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        staged += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECK(staged == 0, "%d staged uploads left in %s", staged, path);
}

static void check_history(void)
{
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "%s/versions.git", data_dir);
    if (access(cmd, F_OK) != 0) {
        printf("history: no version committed yet\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "git --git-dir=%s/versions.git fsck --strict --no-dangling 2>&1",
             data_dir);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    int rc = p ? pclose(p) : -1;
    CHECK(rc == 0, "git fsck exited %d: %s", rc, out);
    snprintf(cmd, sizeof cmd, "git --git-dir=%s/versions.git tag -l | wc -l", data_dir);
    p = popen(cmd, "r");
    int tags = 0;
    if (p && fscanf(p, "%d", &tags) != 1)
        tags = -1;
    if (p)
        pclose(p);
    printf("history: git fsck clean, %d versions tagged\n", tags);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZKML_REGISTRY MODEL.onnx [SEED]\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    model_path = argv[2];
    unsigned seed = argc > 3 ? (unsigned)atoi(argv[3]) : (unsigned)time(NULL);
    srand(seed);
    int points[KILLS];
    for (int k = 0; k < KILLS; k++)
        points[k] = 10 + rand() % (UPLOADS - 20);
    qsort(points, KILLS, sizeof points[0], cmp_int);
    printf("seed %u: kills after %d, %d, %d, %d, %d finished uploads\n", seed, points[0], points[1],
           points[2], points[3], points[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_tmpdir(data_dir, sizeof data_dir, "server");
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_WORKERS=2", NULL};
    if (test_server_start(&srv, bin, data_dir, env, NULL) != 0) {
        fprintf(stderr, "server did not start\n");
        return 1;
    }
    started = time(NULL);
    pthread_t clients[CLIENTS], kill_thread;
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&clients[i], NULL, client, NULL);
    pthread_create(&kill_thread, NULL, killer, points);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(clients[i], NULL);
    pthread_join(kill_thread, NULL);
    printf("%d uploads accepted, %d given up, in %ld s\n", accepted, gave_up,
           (long)(time(NULL) - started));
    CHECK(accepted == UPLOADS, "%d of %d uploads accepted", accepted, UPLOADS);
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    sleep_ms(500); /* a supervisor told by PR_SET_PDEATHSIG stops its workers */
    check_no_survivors();
    check_database();
    check_files();
    check_history();
    test_rm_rf(data_dir);
    curl_global_cleanup();
    return check_exit("server_soak");
}
