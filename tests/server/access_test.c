/*
 * access_test.c - who may read a private artifact (server/access.c), with
 * the peer address as an argument, so a remote peer can be tried without a
 * second machine: with a token, only the right bearer token; without one,
 * only loopback peers (v4, v6 and v4-mapped v6).
 */
#include "server/server.h"
#include "tests/check.h"

#include <string.h>

int main(void)
{
    /* No token configured: the peer decides. */
    CHECK(access_private_read("", NULL, "127.0.0.1") == ACCESS_ALLOWED, "v4 loopback");
    CHECK(access_private_read("", NULL, "127.8.9.10") == ACCESS_ALLOWED, "127/8");
    CHECK(access_private_read("", NULL, "::1") == ACCESS_ALLOWED, "v6 loopback");
    CHECK(access_private_read("", NULL, "::ffff:127.0.0.1") == ACCESS_ALLOWED, "v4-mapped");
    const char *remote[] = {"10.0.0.7",        "192.168.1.2", "128.0.0.1", "::2",
                            "::ffff:10.0.0.1", "fe80::1",     "0.0.0.0",   "",
                            "localhost",       "127.0.0.1x",  NULL};
    for (int i = 0; remote[i]; i++)
        CHECK(access_private_read("", NULL, remote[i]) == ACCESS_LOOPBACK_ONLY, "remote peer %s",
              remote[i]);
    CHECK(access_private_read("", NULL, NULL) == ACCESS_LOOPBACK_ONLY, "unknown peer");
    /* A bearer header does not stand in for loopback when no token is configured. */
    CHECK(access_private_read("", "Bearer ", "10.0.0.7") == ACCESS_LOOPBACK_ONLY,
          "empty bearer from a remote peer");

    /* A token configured: only the token opens, from anywhere; loopback is not enough. */
    CHECK(access_private_read("s3cret", NULL, "127.0.0.1") == ACCESS_NEED_TOKEN, "no header");
    CHECK(access_private_read("s3cret", "Bearer s3cret", "10.0.0.7") == ACCESS_ALLOWED,
          "right token, remote");
    CHECK(access_private_read("s3cret", "Bearer s3cre", "127.0.0.1") == ACCESS_BAD_TOKEN,
          "prefix of the token");
    CHECK(access_private_read("s3cret", "Bearer s3cret2", "::1") == ACCESS_BAD_TOKEN,
          "token plus a byte");
    CHECK(access_private_read("s3cret", "Basic s3cret", "::1") == ACCESS_BAD_TOKEN,
          "another scheme");
    CHECK(access_private_read("s3cret", "s3cret", "::1") == ACCESS_BAD_TOKEN, "no scheme");
    CHECK(!access_bearer_ok("", "Bearer "), "an empty token never matches");
    return failures != 0;
}
