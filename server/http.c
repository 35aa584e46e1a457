/*
 * http.c - response helpers shared by the handlers: JSON bodies and errors,
 * the CORS headers, the per-thread store connection and query parsing.
 *
 * CORS: any origin may GET (a separate frontend polls the API), so GET and
 * HEAD answers carry "Access-Control-Allow-Origin: *". A POST's answer names
 * its origin only when routes.c allowed that origin.
 */
#include "server/server.h"

#include <civetweb.h>
#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void http_add_cors_headers(const http_request *rq)
{
    if (!rq->origin)
        return;
    if (!strcmp(rq->method, "POST")) {
        if (rq->post_origin_allowed) {
            mg_response_header_add(rq->conn, "Access-Control-Allow-Origin", rq->origin, -1);
            mg_response_header_add(rq->conn, "Vary", "Origin", -1);
        }
        return;
    }
    mg_response_header_add(rq->conn, "Access-Control-Allow-Origin", "*", -1);
}

int http_send(const http_request *rq, int status, const char *content_type, const void *body,
              size_t len)
{
    char length[32];
    snprintf(length, sizeof length, "%zu", len);
    mg_response_header_start(rq->conn, status);
    mg_response_header_add(rq->conn, "Content-Type", content_type, -1);
    mg_response_header_add(rq->conn, "Content-Length", length, -1);
    mg_response_header_add(rq->conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(rq->conn, "X-Content-Type-Options", "nosniff", -1);
    if (rq->extra_header[0])
        mg_response_header_add(rq->conn, rq->extra_header[0], rq->extra_header[1], -1);
    http_add_cors_headers(rq);
    mg_response_header_send(rq->conn);
    if (!rq->head && len > 0)
        mg_write(rq->conn, body, len);
    return status;
}

int http_send_json(const http_request *rq, int status, const char *json)
{
    return http_send(rq, status, "application/json", json, strlen(json));
}

int http_send_error(const http_request *rq, int status, const char *code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    char *json = NULL;
    if (o && cJSON_AddStringToObject(o, "error", message) &&
        cJSON_AddStringToObject(o, "code", code))
        json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!json)
        return http_send_json(rq, 500, "{\"error\":\"out of memory\",\"code\":\"internal\"}");
    http_send_json(rq, status, json);
    cJSON_free(json);
    return status;
}

int http_send_zkml_error(const http_request *rq, const zkml_error *err)
{
    int status;
    switch (err->code) {
    case ZKML_EINVAL: status = 400; break;
    case ZKML_ENOTFOUND: status = 404; break;
    case ZKML_EUNAVAILABLE: status = 501; break;
    case ZKML_ERETRY: status = 503; break;    /* e.g. the chain's RPC is down */
    case ZKML_EREJECTED: status = 502; break; /* e.g. the chain refused a call */
    case ZKML_ECONFLICT: status = 409; break; /* e.g. a proof of a version not done */
    default: status = 500; break;
    }
    return http_send_error(rq, status, zkml_error_code_name(err->code), "%s", err->message);
}

int http_store(const http_request *rq, registry_store **out, zkml_error *err)
{
    if (!rq->thread)
        return zkml_fail(err, ZKML_EINTERNAL, "request outside a server thread");
    if (!rq->thread->store && store_open(rq->srv->cfg.data_dir, &rq->thread->store, err))
        return err->code;
    *out = rq->thread->store;
    return ZKML_OK;
}

/* A version as paths and queries write it: digits from 1 to 10^9, no sign or blank. */
static int version_value(const char *text, int *version)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text < '1' || *text > '9' || *end || v > 1000000000)
        return -1;
    *version = (int)v;
    return 0;
}

static int send_bad_version(const http_request *rq, const char *text)
{
    return http_send_error(rq, 400, "invalid_input", "version must be a positive integer (got '%s')",
                           text);
}

int http_path_version(const http_request *rq, const char *text, int *version)
{
    return version_value(text, version) ? send_bad_version(rq, text) : 0;
}

int http_query_version(const http_request *rq)
{
    char value[32];
    if (!rq->query)
        return 0;
    int got = mg_get_var(rq->query, strlen(rq->query), "version", value, sizeof value);
    if (got == -1)
        return 0;
    if (got < 0)
        strcpy(value, "(too long)");
    int v;
    if (got < 0 || version_value(value, &v)) {
        send_bad_version(rq, value);
        return -1;
    }
    return v;
}

int http_wants_html(const http_request *rq)
{
    const char *accept = mg_get_header(rq->conn, "Accept");
    return accept && strstr(accept, "text/html") && !strstr(accept, "application/json");
}

void http_html_escape(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    for (; *s && n + 7 < outlen; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        }
        if (rep) {
            size_t r = strlen(rep);
            memcpy(out + n, rep, r);
            n += r;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
}

/* The port of an IPv4 or IPv6 socket address, and its address as text. */
static int sockaddr_port(const struct sockaddr_storage *a, char *text, size_t len)
{
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)len);
        return ntohs(in->sin_port);
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t)len);
        return ntohs(in6->sin6_port);
    }
    return -1;
}

int http_socket_fd(const http_request *rq)
{
    const struct mg_request_info *ri = mg_get_request_info(rq->conn);
    DIR *d = opendir("/proc/self/fd"); /* only the open descriptors */
    int found = -1;
    for (struct dirent *e; d && found < 0 && (e = readdir(d));) {
        int fd = atoi(e->d_name);
        struct sockaddr_storage peer, local;
        socklen_t plen = sizeof peer, llen = sizeof local;
        char peer_text[64], local_text[64];
        if (fd < 3 || getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 ||
            getsockname(fd, (struct sockaddr *)&local, &llen) != 0)
            continue;
        if (sockaddr_port(&peer, peer_text, sizeof peer_text) == ri->remote_port &&
            sockaddr_port(&local, local_text, sizeof local_text) == ri->server_port &&
            !strcmp(peer_text, ri->remote_addr))
            found = fd;
    }
    if (d)
        closedir(d);
    return found;
}
