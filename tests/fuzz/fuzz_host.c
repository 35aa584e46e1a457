/*
 * fuzz_host.c - the server's two parsers of address text: the listen list
 * (serve --listen) and the Host rule's reading of a Host header or an
 * absolute-form target. The first byte picks which. Besides not crashing:
 * a listen list accepted without a token binds only loopback hosts, and a
 * Host accepted without a token names localhost, 127.0.0.1, [::1] or a listen
 * host, followed by nothing, a port or a path.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int names_allowed_host(const server_config *cfg, const char *host)
{
    const char *names[3 + SERVER_LISTEN_MAX] = {"localhost", "127.0.0.1", "[::1]"};
    for (int i = 0; i < cfg->n_listen; i++)
        names[3 + i] = cfg->listen_host[i];
    for (int i = 0; i < 3 + cfg->n_listen; i++) {
        size_t n = strlen(names[i]);
        if (!strncmp(host, names[i], n) && strchr(":/", host[n]))
            return 1;
    }
    return 0;
}

static void fuzz_listen(const char *text)
{
    char *argv[] = {"serve", "--listen", (char *)text, NULL};
    server_config *cfg = malloc(sizeof *cfg);
    int help = 0;
    zkml_error err = {0};
    unsetenv("ZKML_API_TOKEN");
    if (cfg && server_config_load(3, argv, cfg, &help, &err) == 0)
        for (int i = 0; i < cfg->n_listen; i++) {
            const char *h = cfg->listen_host[i];
            struct in_addr a;
            int v4 = inet_pton(AF_INET, h, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
            if (!v4 && strcmp(h, "localhost") && strcmp(h, "[::1]"))
                abort(); /* a public address accepted without a token */
        }
    free(cfg);
}

static void fuzz_host_header(const char *text)
{
    char *argv[] = {"serve", "--listen", "127.0.0.2:0,[::1]:0", NULL};
    server_config *cfg = malloc(sizeof *cfg);
    int help = 0;
    zkml_error err = {0};
    unsetenv("ZKML_API_TOKEN");
    if (cfg && server_config_load(3, argv, cfg, &help, &err) == 0 &&
        server_config_host_allowed(cfg, text) && !names_allowed_host(cfg, text))
        abort(); /* a Host naming someone else was accepted */
    free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 1)
        fuzz_listen(text);
    else
        fuzz_host_header(text);
    free(text);
    return 0;
}
