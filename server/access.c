/*
 * access.c - who may do what: the bearer token, and who may read a private
 * artifact (common.h's table). Kept apart from the request plumbing so the
 * decisions can be tested with plain strings for the header and the peer.
 */
#include "server/server.h"

#include <civetweb.h>

#include <arpa/inet.h>
#include <string.h>

/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static int token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && lb > 0;
}

int access_bearer_ok(const char *token, const char *authorization)
{
    return authorization && !strncmp(authorization, "Bearer ", 7) &&
           token_equal(authorization + 7, token);
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (a v4 client on a dual-stack socket). */
int access_peer_is_loopback(const char *peer)
{
    unsigned char a[16];
    if (peer && inet_pton(AF_INET, peer, a) == 1)
        return a[0] == 127;
    if (!peer || inet_pton(AF_INET6, peer, a) != 1)
        return 0;
    static const unsigned char v6_loopback[16] = {[15] = 1};
    static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
    return !memcmp(a, v6_loopback, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

access_decision access_private_read(const char *token, const char *authorization, const char *peer)
{
    if (token && token[0]) {
        if (access_bearer_ok(token, authorization))
            return ACCESS_ALLOWED;
        return authorization ? ACCESS_BAD_TOKEN : ACCESS_NEED_TOKEN;
    }
    return access_peer_is_loopback(peer) ? ACCESS_ALLOWED : ACCESS_LOOPBACK_ONLY;
}

int access_check_private(http_request *rq, const char *what)
{
    const char *auth = mg_get_header(rq->conn, "Authorization");
    switch (access_private_read(rq->srv->cfg.api_token, auth,
                                mg_get_request_info(rq->conn)->remote_addr)) {
    case ACCESS_ALLOWED: return 0;
    case ACCESS_LOOPBACK_ONLY:
        return http_send_error(rq, 403, "forbidden",
                               "%s: with no ZKML_API_TOKEN configured only loopback clients "
                               "may",
                               what);
    case ACCESS_BAD_TOKEN:
    case ACCESS_NEED_TOKEN: break;
    }
    rq->extra_header[0] = "WWW-Authenticate";
    rq->extra_header[1] = "Bearer";
    return http_send_error(rq, 401, "unauthorized",
                           "%s: it needs 'Authorization: Bearer <ZKML_API_TOKEN>'%s", what,
                           auth ? " (the token sent is not valid)" : "");
}
