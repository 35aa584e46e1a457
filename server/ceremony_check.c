/*
 * ceremony_check.c - a contribution's checks (pipeline/snark's
 * snark_ceremony_check_next: parse the key, compare it with the latest one,
 * verify it against the circuit and the ptau) in a child process,
 * `zkml-registry zkey check-next`, under the job limits: a step's memory limit
 * (ZKML_JOB_MEMORY_MB, RLIMIT_AS) and the job's time limit (ZKML_JOB_TIMEOUT_S,
 * as CPU time in the child and as wall time here). Anyone may post a
 * contribution, and a hostile key (sections sized to make the verify allocate
 * or compute as much as it can) must cost no more than a job may, and none of
 * the server's own memory.
 */
#include "server/server.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* The child's answer: its exit status and its output's first line ("INVALID:
 * <the failed check>", or the parent hash), or why there is none. */
static int judge(const server_ctx *srv, int late, int status, char *out, char parent[129],
                 zkml_error *err)
{
    static const char invalid[] = "INVALID: ";
    long long mb = (long long)srv->job_memory_mb;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out[strcspn(out, "\n")] = '\0';
    if (late || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)) {
        zkml_fail(err, ZKML_EINVAL,
                  "checking the contribution ran over the job time limit of %lld s "
                  "(ZKML_JOB_TIMEOUT_S) and was stopped",
                  (long long)srv->check_timeout_s);
        return 413;
    }
    if (code == 0 && strlen(out) == 128) {
        memcpy(parent, out, 129);
        return 0;
    }
    if (code == 1 && !strncmp(out, invalid, sizeof invalid - 1)) {
        zkml_fail(err, ZKML_EREJECTED, "%s", out + sizeof invalid - 1);
        return 400;
    }
    if (code == 3)
        zkml_fail(err, ZKML_EINVAL,
                  "checking the contribution needs more memory than the job limit allows "
                  "(ZKML_JOB_MEMORY_MB=%lld): %s",
                  mb, out);
    else if (mb > 0) /* over RLIMIT_AS a sanitizer's allocator aborts rather than fail */
        zkml_fail(err, ZKML_EINVAL,
                  "checking the contribution stopped without an answer (%s %d): most likely "
                  "over the job memory limit (ZKML_JOB_MEMORY_MB=%lld)",
                  code < 0 ? "killed by signal" : "exit status",
                  code < 0 ? WTERMSIG(status) : code, mb);
    else {
        zkml_fail(err, ZKML_EINTERNAL, "checking the contribution failed (status %d): %s",
                  status, out);
        return 500;
    }
    return 413;
}

int ceremony_check_in_child(const server_ctx *srv, const char *dir, const char *staged,
                            char parent[129], zkml_error *err)
{
    char memory_s[24], cpu_s[24], out[sizeof err->message];
    snprintf(memory_s, sizeof memory_s, "%lld", (long long)srv->job_memory_mb);
    snprintf(cpu_s, sizeof cpu_s, "%lld", (long long)srv->check_timeout_s);
    const char *argv[] = {"zkml-registry",      "zkey",   "check-next", dir, srv->cfg.data_dir,
                          staged, memory_s, cpu_s, NULL};
    int status, late;
    if (spawn_self(srv, argv, srv->check_timeout_s, out, sizeof out, &status, &late, err)) {
        zkml_error_prefix(err, "checking the contribution");
        return 500;
    }
    return judge(srv, late, status, out, parent, err);
}
