/*
 * config.c - serve's configuration: ZKML_* environment variables, overridden
 * by flags; the README's serving table is the one this follows.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_value(char *out, size_t outlen, const char *value, const char *what,
                      zkml_error *err)
{
    size_t n = strlen(value);
    if (n >= outlen)
        return zkml_fail(err, ZKML_EINVAL, "%s is too long (%zu bytes, at most %zu)", what, n,
                         outlen - 1);
    memcpy(out, value, n + 1);
    return ZKML_OK;
}

static int parse_positive(const char *value, long max, const char *what, long *out, zkml_error *err)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < 1 || v > max)
        return zkml_fail(err, ZKML_EINVAL, "%s must be an integer from 1 to %ld (got '%s')", what,
                         max, value);
    *out = v;
    return ZKML_OK;
}

/* Splits the listen list ("a:P,b:Q", CivetWeb's syntax) into the host of
 * each entry: "127.0.0.1", "[::1]", "localhost"; "" for a bare port, which
 * binds every interface. */
static int parse_listen(server_config *cfg, zkml_error *err)
{
    cfg->n_listen = 0;
    const char *p = cfg->listen;
    while (*p) {
        size_t n = strcspn(p, ",");
        char entry[sizeof cfg->listen];
        memcpy(entry, p, n);
        entry[n] = '\0';
        p += n + (p[n] == ',');
        char *colon = strrchr(entry, ':');
        if (n == 0 || cfg->n_listen == SERVER_LISTEN_MAX)
            return zkml_fail(err, ZKML_EINVAL, "listen list '%s': %s", cfg->listen,
                             n ? "too many addresses" : "an empty entry");
        if (colon)
            *colon = '\0';
        else
            entry[0] = '\0';
        if (strlen(entry) >= sizeof cfg->listen_host[0])
            return zkml_fail(err, ZKML_EINVAL, "listen address '%s' is too long", entry);
        strcpy(cfg->listen_host[cfg->n_listen++], entry);
    }
    if (cfg->n_listen == 0)
        return zkml_fail(err, ZKML_EINVAL, "listen address is empty");
    return ZKML_OK;
}

/* A host that only this machine can reach: an IPv4 literal in 127/8,
 * [::1] or localhost (not a name that merely starts with "127."). */
static int host_is_loopback(const char *host)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return !strcmp(host, "localhost") || !strcmp(host, "[::1]");
}

/* 1 when every entry of the listen list is loopback: a bare port, 0.0.0.0,
 * [::] or a routable address anywhere in the list makes it public. */
static int listen_is_loopback(const server_config *cfg)
{
    for (int i = 0; i < cfg->n_listen; i++)
        if (!host_is_loopback(cfg->listen_host[i]))
            return 0;
    return 1;
}

/* ZKML_INFERNET_MODEL = task[@version]: the version the Infernet container's
 * root paths serve (README "Infernet container"); no @version is the latest. */
static int parse_infernet_model(server_config *cfg, const char *value, zkml_error *err)
{
    size_t n = strcspn(value, "@");
    char task[ZKML_TASK_ID_MAX + 2];
    zkml_error bad;
    if (n >= sizeof task)
        n = sizeof task - 1; /* too long: the task id check says so */
    memcpy(task, value, n);
    task[n] = '\0';
    if (zkml_task_id_check(task, &bad))
        return zkml_fail(err, ZKML_EINVAL, "ZKML_INFERNET_MODEL '%s': %s", value, bad.message);
    long v = 0;
    if (value[n] == '@' && parse_positive(value + n + 1, INT32_MAX, "ZKML_INFERNET_MODEL's version",
                                          &v, err))
        return err->code;
    strcpy(cfg->infernet_task, task);
    cfg->infernet_version = (int)v;
    return ZKML_OK;
}

static int apply(server_config *cfg, const char *key, const char *value, zkml_error *err)
{
    long v = 0;
    if (!strcmp(key, "data-dir"))
        return copy_value(cfg->data_dir, sizeof cfg->data_dir, value, "data dir", err);
    if (!strcmp(key, "listen"))
        return copy_value(cfg->listen, sizeof cfg->listen, value, "listen address", err);
    if (!strcmp(key, "workers")) {
        if (parse_positive(value, 64, "ZKML_WORKERS", &v, err))
            return err->code;
        cfg->workers = (int)v;
        return ZKML_OK;
    }
    if (!strcmp(key, "max-upload-mb")) {
        if (parse_positive(value, 1L << 20, "ZKML_MAX_UPLOAD_MB", &v, err))
            return err->code;
        cfg->max_upload = (uint64_t)v << 20;
        return ZKML_OK;
    }
    if (!strcmp(key, "sync-proof-ms")) {
        if (parse_positive(value, 600000, "ZKML_SYNC_PROOF_MS", &v, err))
            return err->code;
        cfg->sync_proof_ms = v;
        return ZKML_OK;
    }
    if (!strcmp(key, "api-token"))
        return copy_value(cfg->api_token, sizeof cfg->api_token, value, "ZKML_API_TOKEN", err);
    if (!strcmp(key, "cors-origins"))
        return copy_value(cfg->cors_origins, sizeof cfg->cors_origins, value, "ZKML_CORS_ORIGINS",
                          err);
    if (!strcmp(key, "chain")) {
        if (strcmp(value, "none") && strcmp(value, "anvil") && strcmp(value, "rpc"))
            return zkml_fail(err, ZKML_EINVAL, "ZKML_CHAIN must be none, anvil or rpc (got '%s')",
                             value);
        return copy_value(cfg->chain, sizeof cfg->chain, value, "ZKML_CHAIN", err);
    }
    if (!strcmp(key, "infernet-model"))
        return parse_infernet_model(cfg, value, err);
    return zkml_fail(err, ZKML_EINTERNAL, "unknown setting %s", key);
}

/* Environment variable and flag for each setting. */
static const struct {
    const char *env;
    const char *flag;
} settings[] = {
    {"ZKML_DATA_DIR", "data-dir"},   {"ZKML_LISTEN", "listen"},
    {"ZKML_WORKERS", "workers"},     {"ZKML_MAX_UPLOAD_MB", "max-upload-mb"},
    {"ZKML_API_TOKEN", "api-token"}, {"ZKML_CORS_ORIGINS", "cors-origins"},
    {"ZKML_CHAIN", "chain"},         {"ZKML_INFERNET_MODEL", "infernet-model"},
    {"ZKML_SYNC_PROOF_MS", "sync-proof-ms"},
};

void server_config_usage(FILE *f)
{
    fprintf(
        f,
        "usage: zkml-registry serve [--listen ADDR] [--data-dir DIR] [--workers N]\n"
        "                           [--max-upload-mb N] [--help]\n"
        "\n"
        "Serves the HTTP API and the upload page, and forks the pipeline workers.\n"
        "Flags override the environment variables:\n"
        "  --data-dir DIR       ZKML_DATA_DIR       database, artifacts, versions repo (./data)\n"
        "  --listen ADDR        ZKML_LISTEN         HTTP address host:port, or a comma-separated\n"
        "                                           list of them (127.0.0.1:8080)\n"
        "  --workers N          ZKML_WORKERS        forked pipeline workers (1)\n"
        "  --max-upload-mb N    ZKML_MAX_UPLOAD_MB  upload limit in MiB (256)\n"
        "                       ZKML_API_TOKEN      bearer token for POST; required unless every\n"
        "                                           address of ADDR is loopback (without it,\n"
        "                                           only Host: localhost or ADDR's hosts)\n"
        "                       ZKML_CORS_ORIGINS   origins allowed to POST (comma-separated)\n"
        "                       ZKML_CHAIN          none | anvil (started here) | rpc (none)\n"
        "                       ZKML_RPC_URL, ZKML_PRIVATE_KEY_FILE, ZKML_REGISTRY_ADDRESS\n"
        "                                           an external chain (ZKML_CHAIN=rpc)\n"
        "                       ZKML_INFERNET_MODEL task[@version] the Infernet routes at the root\n"
        "                                           serve (none: only /infernet/{task}/{n}/...)\n"
        "                       ZKML_THREADS        threads a proof may use (all cores)\n"
        "                       ZKML_PTAU           the Powers of Tau file of the setup (none:\n"
        "                                           a local phase 1, for testing only)\n"
        "                       ZKML_JOB_MEMORY_MB  memory of each step (and upload check)\n"
        "                       ZKML_JOB_TIMEOUT_S  time of one run of a job (7200)\n"
        "                       ZKML_STEP_TIMEOUT_S time of each step (none)\n"
        "                       ZKML_SYNC_PROOF_MS  longest wait of POST .../proofs?wait=1 (2000)\n"
        "\n"
        "With ADDR port 0 the system picks a free port. On start the service prints\n"
        "  zkml-registry: listening on http://HOST:PORT\n"
        "SIGINT or SIGTERM stop it gracefully (workers and the local chain too).\n");
}

int server_config_load(int argc, char **argv, server_config *cfg, int *help, zkml_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    *help = 0;
    strcpy(cfg->data_dir, "./data");
    strcpy(cfg->listen, "127.0.0.1:8080");
    strcpy(cfg->chain, "none");
    cfg->workers = 1;
    cfg->max_upload = (uint64_t)256 << 20;
    cfg->sync_proof_ms = 2000;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const char *v = getenv(settings[i].env);
        if (v && *v && apply(cfg, settings[i].flag, v, err))
            return err->code;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            *help = 1;
            return ZKML_OK;
        }
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            return zkml_fail(err, ZKML_EINVAL, "serve: unexpected argument '%s'", arg);
        const char *key = arg + 2, *eq = strchr(key, '=');
        char name[32];
        size_t klen = eq ? (size_t)(eq - key) : strlen(key);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (klen >= sizeof name)
            return zkml_fail(err, ZKML_EINVAL, "serve: unknown option '%s'", arg);
        memcpy(name, key, klen);
        name[klen] = '\0';
        int known = strcmp(name, "data-dir") == 0 || strcmp(name, "listen") == 0 ||
                    strcmp(name, "workers") == 0 || strcmp(name, "max-upload-mb") == 0;
        if (!known)
            return zkml_fail(err, ZKML_EINVAL, "serve: unknown option '%s' (see --help)", arg);
        if (!value)
            return zkml_fail(err, ZKML_EINVAL, "serve: option --%s needs a value", name);
        if (apply(cfg, name, value, err))
            return err->code;
    }
    if (parse_listen(cfg, err))
        return err->code;
    cfg->loopback = listen_is_loopback(cfg);
    if (!cfg->loopback && cfg->api_token[0] == '\0')
        return zkml_fail(err, ZKML_EINVAL,
                         "listening on %s (not only loopback addresses) needs ZKML_API_TOKEN, "
                         "so that only its holders can upload",
                         cfg->listen);
    return ZKML_OK;
}

int server_config_host_allowed(const server_config *cfg, const char *host)
{
    /* No Host at all is no browser's request (HTTP/1.0 tools): not a rebinding. */
    if (cfg->api_token[0] || !host)
        return 1;
    /* The name without port or path: "[::1]:8080" -> "[::1]", "localhost/x" -> "localhost". */
    size_t n = host[0] == '[' ? strcspn(host, "]") : strcspn(host, ":/");
    if (host[0] == '[' && host[n++] != ']')
        return 0; /* "[::1" without its bracket */
    char name[sizeof cfg->listen_host[0]];
    if (n >= sizeof name || (host[n] && host[n] != ':' && host[n] != '/'))
        return 0;
    memcpy(name, host, n);
    name[n] = '\0';
    if (!strcmp(name, "localhost") || !strcmp(name, "127.0.0.1") || !strcmp(name, "[::1]"))
        return 1;
    for (int i = 0; i < cfg->n_listen; i++)
        if (!strcmp(name, cfg->listen_host[i]))
            return 1;
    return 0;
}

int server_config_origin_allowed(const server_config *cfg, const char *origin)
{
    size_t olen = strlen(origin);
    const char *p = cfg->cors_origins;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        if (n > 0 && n == olen && !memcmp(start, origin, n))
            return 1;
    }
    return 0;
}

/* What the web app checks before sending (GET /config): nothing secret, so the
 * token itself never appears, only whether one is needed. The targets are
 * upload.c's accepted values of the "target" field. */
void server_config_public_json(const server_config *cfg, char *json, size_t size)
{
    snprintf(json, size,
             "{\"max_upload_bytes\":%llu,\"task_id_max\":%d,"
             "\"targets\":[\"resources\",\"accuracy\"],\"token_required\":%s}",
             (unsigned long long)cfg->max_upload, ZKML_TASK_ID_MAX,
             cfg->api_token[0] ? "true" : "false");
}
