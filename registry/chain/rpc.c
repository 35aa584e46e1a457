/*
 * rpc.c - JSON-RPC 2.0 over HTTP(S) with libcurl. Every request has a connect
 * and a total timeout; a transport failure (refused, timed out, HTTP 5xx) is
 * ZKML_ERETRY so the caller can try again later, while a JSON-RPC error object
 * (a revert, a bad nonce) is returned with its code, message and data. Messages
 * name the node by scheme, host and port only: URL paths often carry API keys.
 */
#include "registry/chain/chain_internal.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RPC_MAX_RESPONSE = 32 << 20 };

struct chain_rpc {
    CURL *curl;
    char url[512];
    char where[160];
    long timeout_ms;
    unsigned long next_id;
};

/* scheme://host[:port] of url, without user info, path or query. */
static void url_where(const char *url, char *out, size_t outlen)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *host_end = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(host_end - host));
    if (at)
        host = at + 1;
    int scheme_len = scheme_end ? (int)(scheme_end - url) : 0;
    snprintf(out, outlen, "%.*s%s%.*s", scheme_len, url, scheme_end ? "://" : "",
             (int)(host_end - host), host);
}

int chain_rpc_open(const char *url, int timeout_ms, chain_rpc **rpc, zkml_error *err)
{
    *rpc = NULL;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return zkml_fail(err, ZKML_EINVAL, "RPC URL must start with http:// or https://");
    if (strlen(url) >= sizeof((chain_rpc *)0)->url)
        return zkml_fail(err, ZKML_EINVAL, "RPC URL is longer than 511 characters");
    chain_rpc *r = calloc(1, sizeof *r);
    if (!r)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory opening the RPC client");
    r->curl = curl_easy_init();
    if (!r->curl) {
        free(r);
        return zkml_fail(err, ZKML_ENOMEM, "curl_easy_init failed");
    }
    snprintf(r->url, sizeof r->url, "%s", url);
    url_where(url, r->where, sizeof r->where);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    r->next_id = 1;
    *rpc = r;
    return 0;
}

void chain_rpc_close(chain_rpc *rpc)
{
    if (!rpc)
        return;
    curl_easy_cleanup(rpc->curl);
    free(rpc);
}

const char *chain_rpc_where(const chain_rpc *rpc)
{
    return rpc->where;
}

void chain_rpc_error_clear(chain_rpc_error *e)
{
    free(e->data);
    memset(e, 0, sizeof *e);
}

static size_t collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    zkml_buf *body = userdata;
    size_t n = size * nmemb;
    if (body->len + n > RPC_MAX_RESPONSE)
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    zkml_buf_put(body, ptr, n);
    return body->oom ? 0 : n;
}

static void fill_rpc_error(const cJSON *error, chain_rpc_error *rpc_err)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
    rpc_err->has_error = 1;
    rpc_err->code = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
    snprintf(rpc_err->message, sizeof rpc_err->message, "%s",
             cJSON_IsString(message) ? message->valuestring : "(no message)");
    /* Nodes put revert bytes in data, as a hex string or inside an object. */
    if (cJSON_IsObject(data))
        data = cJSON_GetObjectItemCaseSensitive(data, "data");
    if (cJSON_IsString(data) &&
        chain_unhex_alloc(data->valuestring, &rpc_err->data, &rpc_err->data_len) != 0) {
        rpc_err->data = NULL;
        rpc_err->data_len = 0;
    }
}

int chain_rpc_parse_response(const char *body, size_t len, cJSON **result, chain_rpc_error *rpc_err,
                             zkml_error *err)
{
    *result = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return zkml_fail(err, ZKML_ERETRY, "the RPC answered with something that is not JSON");
    int rc = 0;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(root)) {
        rc = zkml_fail(err, ZKML_ERETRY, "the RPC answer is not a JSON object");
    } else if (error && !cJSON_IsNull(error)) {
        chain_rpc_error local = {0};
        chain_rpc_error *e = rpc_err ? rpc_err : &local;
        chain_rpc_error_clear(e);
        if (cJSON_IsObject(error))
            fill_rpc_error(error, e);
        else
            snprintf(e->message, sizeof e->message, "(malformed error)");
        rc = zkml_fail(err, ZKML_EREJECTED, "%s (code %ld)", e->message, e->code);
        chain_rpc_error_clear(&local);
    } else {
        cJSON *value = cJSON_DetachItemFromObjectCaseSensitive(root, "result");
        if (!value)
            rc = zkml_fail(err, ZKML_ERETRY, "the RPC answer has neither result nor error");
        *result = value;
    }
    cJSON_Delete(root);
    return rc;
}

static int rpc_post(chain_rpc *rpc, const char *request, zkml_buf *body, zkml_error *err)
{
    CURL *c = rpc->curl;
    curl_easy_reset(c);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!headers)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building an RPC request");
    char curl_message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, rpc->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rpc->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     rpc->timeout_ms < 5000 ? rpc->timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_message);
    CURLcode res = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (body->oom)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory reading the RPC answer");
    if (res != CURLE_OK)
        return zkml_fail(err, ZKML_ERETRY, "RPC %s is unreachable: %s", rpc->where,
                         curl_message[0] ? curl_message : curl_easy_strerror(res));
    /* JSON-RPC errors often come with HTTP 4xx/5xx and a JSON body; only a body
     * that is not JSON makes the status itself the error. */
    if (status != 200 && (body->len == 0 || body->data[0] != '{'))
        return zkml_fail(err, ZKML_ERETRY, "RPC %s answered HTTP %ld", rpc->where, status);
    return 0;
}

int chain_rpc_call(chain_rpc *rpc, const char *method, const char *params, cJSON **result,
                   chain_rpc_error *rpc_err, zkml_error *err)
{
    *result = NULL;
    size_t request_len = strlen(method) + strlen(params) + 96;
    char *request = malloc(request_len);
    if (!request)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building an RPC request");
    snprintf(request, request_len,
             "{\"jsonrpc\":\"2.0\",\"id\":%lu,\"method\":\"%s\",\"params\":%s}", rpc->next_id++,
             method, params);
    zkml_buf body = {0};
    int rc = rpc_post(rpc, request, &body, err);
    free(request);
    if (rc == 0)
        rc = chain_rpc_parse_response((const char *)body.data, body.len, result, rpc_err, err);
    zkml_buf_free(&body);
    if (rc)
        return zkml_error_prefix(err, "%s", method);
    return 0;
}
