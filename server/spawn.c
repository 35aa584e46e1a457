/*
 * spawn.c - runs this binary as a child for work the server must not do in
 * its own process (the upload checks, a contribution's checks): the child
 * sets its own job limits (--memory-mb, RLIMIT_AS; CPU time), so a hostile
 * input costs what a job may and none of the server's memory. A fresh process
 * (posix_spawn, not a bare fork of this threaded server) starts with one
 * thread and nothing the server's other threads were in the middle of.
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's output until EOF or the deadline; 1 if it ran over. */
static int read_child_message(int fd, int64_t deadline, char *msg, size_t cap)
{
    size_t got = 0;
    for (;;) {
        int64_t left = deadline - zkml_monotonic_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0)
            return 1;
        int n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (n < 0 && errno != EINTR)
            return 0;
        if (n <= 0)
            continue;
        char buf[512];
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        size_t take = got + (size_t)k < cap - 1 ? (size_t)k : cap - 1 - got;
        memcpy(msg + got, buf, take);
        got += take;
        msg[got] = '\0';
    }
}

int spawn_self(const server_ctx *srv, const char *const *argv, int64_t timeout_s, char *out,
               size_t cap, int *status, int *late, zkml_error *err)
{
    int fds[2];
    out[0] = '\0';
    *status = 0;
    *late = 0;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return zkml_fail(err, ZKML_EIO, "pipe: %s", strerror(errno));
    /* The server's threads block SIGINT/SIGTERM; the child must not. */
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, srv->self_exe, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return zkml_fail(err, ZKML_EIO, "cannot run %s: %s", srv->self_exe, strerror(rc));
    }
    int64_t wall = timeout_s > 0 ? timeout_s : INT32_MAX;
    *late = read_child_message(fds[0], zkml_monotonic_ms() + wall * 1000, out, cap);
    close(fds[0]);
    if (*late)
        kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return ZKML_OK;
}
