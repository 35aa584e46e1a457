/*
 * anvil.c - the embedded development chain: start anvil on a free loopback
 * port with a state file (so registrations survive restarts), wait until it
 * answers, stop it with SIGTERM so it saves that state. chain_anvil_start also
 * provisions the well-known development key and deploys ModelRegistry once.
 */
#include "registry/chain/chain_internal.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { READY_TIMEOUT_MS = 30000, STOP_TIMEOUT_MS = 10000 };

int chain_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

/* $ZKML_ANVIL_BIN, else node_modules/.bin/anvil in a folder above the
 * executable, else "anvil" for a PATH lookup. */
static void find_anvil(char *out, size_t outlen)
{
    const char *env = getenv("ZKML_ANVIL_BIN");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return;
    }
    char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = '\0';
        for (int up = 0; up < 6; up++) {
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = '\0';
            char candidate[PATH_MAX + 32];
            snprintf(candidate, sizeof candidate, "%s/node_modules/.bin/anvil", dir);
            if (access(candidate, X_OK) == 0 && strlen(candidate) < outlen) {
                snprintf(out, outlen, "%s", candidate);
                return;
            }
        }
    }
    snprintf(out, outlen, "anvil");
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In the child: output to the log, die with the parent, become anvil. */
static void exec_anvil(const char *bin, char **argv, const char *log_path, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    if (strchr(bin, '/'))
        execv(bin, argv);
    else
        execvp(bin, argv);
    _exit(127);
}

static int wait_ready(chain_anvil *anvil, const char *bin, zkml_error *err)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", anvil->port);
    chain_rpc *rpc;
    int rc = chain_rpc_open(url, 2000, &rpc, err);
    if (rc)
        return rc;
    int64_t deadline = zkml_monotonic_ms() + READY_TIMEOUT_MS;
    for (;;) {
        int status;
        if (waitpid(anvil->pid, &status, WNOHANG) == anvil->pid) {
            anvil->pid = 0;
            rc = zkml_fail(err, ZKML_EIO,
                           "%s exited (status %d) before answering on port %d; is it "
                           "installed (scripts/bootstrap.sh) or set ZKML_ANVIL_BIN?",
                           bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1, anvil->port);
            break;
        }
        cJSON *result;
        zkml_error ignored;
        if (chain_rpc_call(rpc, "eth_chainId", "[]", &result, NULL, &ignored) == 0) {
            cJSON_Delete(result);
            break;
        }
        if (zkml_monotonic_ms() > deadline) {
            rc = zkml_fail(err, ZKML_EIO, "%s did not answer on port %d within %d s", bin,
                           anvil->port, READY_TIMEOUT_MS / 1000);
            break;
        }
        sleep_ms(100);
    }
    chain_rpc_close(rpc);
    return rc;
}

int chain_anvil_spawn(const chain_anvil_opts *opts, chain_anvil *anvil, zkml_error *err)
{
    memset(anvil, 0, sizeof *anvil);
    char bin[PATH_MAX];
    find_anvil(bin, sizeof bin);
    int port = opts->port ? opts->port : chain_free_port();
    if (port <= 0)
        return zkml_fail(err, ZKML_EIO, "no free loopback port for anvil");
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    char *argv[16];
    int argc = 0;
    argv[argc++] = bin;
    argv[argc++] = "--host";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--port";
    argv[argc++] = port_text;
    argv[argc++] = "--quiet"; /* anvil logs every request otherwise: the log would grow forever */
    if (opts->state_path) {
        argv[argc++] = "--state";
        argv[argc++] = (char *)opts->state_path;
        argv[argc++] = "--state-interval"; /* a crash loses at most this many seconds */
        argv[argc++] = "2";
    }
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return zkml_fail(err, ZKML_EIO, "fork for anvil failed: %s", strerror(errno));
    if (pid == 0)
        exec_anvil(bin, argv, opts->log_path, parent);
    anvil->pid = pid;
    anvil->owner = parent;
    anvil->port = port;
    int rc = wait_ready(anvil, bin, err);
    if (rc)
        chain_anvil_stop(anvil);
    return rc;
}

void chain_anvil_stop(chain_anvil *anvil)
{
    if (!anvil || anvil->pid <= 0 || anvil->owner != getpid())
        return;
    kill(anvil->pid, SIGTERM);
    int64_t deadline = zkml_monotonic_ms() + STOP_TIMEOUT_MS;
    for (;;) {
        pid_t done = waitpid(anvil->pid, NULL, WNOHANG);
        if (done == anvil->pid || (done < 0 && errno != EINTR))
            break;
        if (zkml_monotonic_ms() > deadline) {
            kill(anvil->pid, SIGKILL);
            waitpid(anvil->pid, NULL, 0);
            break;
        }
        sleep_ms(50);
    }
    anvil->pid = 0;
}

/* ---- the embedded chain of `serve` ---------------------------------------------- */

/* Writes anvil's public development key with mode 0600, as any key file must be. */
static int write_dev_key(const char *path, zkml_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        return zkml_fail(err, ZKML_EINVAL, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return zkml_fail(err, ZKML_EIO, "%s: %s", tmp, strerror(errno));
    static const char text[] = "0x" CHAIN_ANVIL_DEV_KEY "\n";
    int ok = write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1) &&
             fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return zkml_fail(err, ZKML_EIO, "%s: writing the development key failed", path);
    }
    return 0;
}

/* keccak-256 of this build's ModelRegistry creation code, as hex: a registry
 * deployed by a build with another contract is not reused (its ABI differs). */
static int registry_code_id(char out[67], zkml_error *err)
{
    uint8_t *code, hash[32];
    size_t len;
    int rc = evm_registry_creation_code(&code, &len, err);
    if (rc)
        return rc;
    evm_keccak256(hash, code, len);
    free(code);
    chain_hex(hash, 32, out);
    return 0;
}

/* Reuses the registry recorded in registry.json while its code is on chain
 * and was deployed from the same creation code. */
static int known_registry(const char *record, const chain_config *cfg, const char *code_id,
                          char address[43])
{
    uint8_t *text;
    size_t len;
    zkml_error ignored;
    address[0] = '\0';
    if (zkml_read_file(record, 1 << 16, &text, &len, &ignored))
        return 0;
    cJSON *o = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "registry_address");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "creation_code_keccak");
    uint8_t bytes[20];
    if (cJSON_IsString(a) && chain_parse_address(a->valuestring, bytes) == 0 &&
        cJSON_IsString(id) && !strcmp(id->valuestring, code_id)) {
        chain_client c;
        int has = 0;
        if (chain_client_open(cfg, 0, &c, &ignored) == 0) {
            if (chain_has_code(&c, bytes, &has, &ignored) == 0 && has)
                chain_hex(bytes, 20, address);
            chain_client_close(&c);
        }
    }
    cJSON_Delete(o);
    return address[0] != '\0';
}

static int ensure_registry(const char *chain_dir, chain_config *cfg, zkml_error *err)
{
    char record[PATH_MAX];
    int rc = zkml_path_join(record, sizeof record, chain_dir, "registry.json", err);
    if (rc)
        return rc;
    char address[43], code_id[67];
    if ((rc = registry_code_id(code_id, err)))
        return rc;
    if (known_registry(record, cfg, code_id, address)) {
        memcpy(cfg->registry_address, address, sizeof address);
        return 0;
    }
    if ((rc = chain_deploy_registry(cfg, address, err)))
        return rc;
    memcpy(cfg->registry_address, address, sizeof address);
    char text[200];
    int n = snprintf(text, sizeof text,
                     "{\"registry_address\": \"%s\", \"creation_code_keccak\": \"%s\"}\n", address,
                     code_id);
    return zkml_write_file_atomic(record, text, (size_t)n, err);
}

int chain_anvil_start(const char *data_dir, chain_anvil *anvil, chain_config *cfg, zkml_error *err)
{
    memset(anvil, 0, sizeof *anvil);
    char chain_dir[PATH_MAX], state[PATH_MAX], log[PATH_MAX], key[PATH_MAX];
    int rc;
    if ((rc = zkml_path_join(chain_dir, sizeof chain_dir, data_dir, "chain", err)) ||
        (rc = zkml_mkdir_p(chain_dir, 1, err)) ||
        (rc = zkml_path_join(state, sizeof state, chain_dir, "anvil-state.json", err)) ||
        (rc = zkml_path_join(log, sizeof log, chain_dir, "anvil.log", err)) ||
        (rc = zkml_path_join(key, sizeof key, chain_dir, "dev.key", err)) ||
        (rc = write_dev_key(key, err)))
        return zkml_error_prefix(err, "embedded chain");
    chain_anvil_opts opts = {.state_path = state, .log_path = log};
    if ((rc = chain_anvil_spawn(&opts, anvil, err)))
        return zkml_error_prefix(err, "embedded chain (log in %s)", log);
    cfg->mode = CHAIN_ANVIL;
    snprintf(cfg->rpc_url, sizeof cfg->rpc_url, "http://127.0.0.1:%d", anvil->port);
    if (strlen(key) >= sizeof cfg->key_file) {
        chain_anvil_stop(anvil);
        return zkml_fail(err, ZKML_EINVAL, "embedded chain: %s is too long a path", key);
    }
    memcpy(cfg->key_file, key, strlen(key) + 1);
    cfg->registry_address[0] = '\0';
    if ((rc = ensure_registry(chain_dir, cfg, err))) {
        chain_anvil_stop(anvil);
        return zkml_error_prefix(err, "embedded chain");
    }
    return 0;
}
