/*
 * anvil_diff.c - differential test of bn254_ecadd/bn254_ecmul/bn254_ecpairing
 * against a real EVM: starts anvil on a free loopback port, sends the same
 * inputs to precompiles 0x06/0x07/0x08 with eth_call (JSON-RPC batches over
 * libcurl), and compares byte for byte. Inputs: random points and scalars,
 * edge cases (infinity, P + P, P + (-P), short inputs, scalars 0, r, 2^256-1),
 * pairing products that are true and false by construction, and invalid
 * points (off the curve, coordinate >= p, G2 outside the subgroup, bad
 * lengths) that both sides must refuse. anvil is killed on every exit path
 * (and gets SIGKILL if this process dies first).
 * Usage: snark_math_anvil_diff PATH_TO_ANVIL
 */
#include "tests/snark_math/test_support.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_CALL_INPUT = 6 * 192 + 32, RPC_BATCH = 64 };

typedef struct call_case {
    int precompile; /* 6, 7 or 8 */
    uint8_t input[MAX_CALL_INPUT];
    size_t len;
    int ours_ok; /* 0 = our call failed */
    uint8_t ours[64];
    size_t out_len;
    const char *what;
} call_case;

typedef struct rpc {
    CURL *curl;
    char url[64];
} rpc;

/* ---- anvil process ----------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t start_anvil(const char *anvil, int port)
{
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setpgid(0, 0); /* anvil's launcher may spawn a child: kill the group */
        execl(anvil, anvil, "--port", port_s, "--host", "127.0.0.1", "--silent", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_anvil(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            kill(-pid, SIGKILL);
            return;
        }
        usleep(100000);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- JSON-RPC ---------------------------------------------------------- */

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    zkml_buf *b = user;
    zkml_buf_put(b, p, size * n);
    return b->oom ? 0 : size * n;
}

static cJSON *rpc_post(rpc *r, const char *body)
{
    zkml_buf b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(r->curl);
    curl_slist_free_all(h);
    cJSON *json = rc == CURLE_OK && b.data ? cJSON_Parse((const char *)b.data) : NULL;
    zkml_buf_free(&b);
    return json;
}

static int wait_ready(rpc *r)
{
    for (int i = 0; i < 300; i++) {
        cJSON *j =
            rpc_post(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}");
        int ok = j && cJSON_GetObjectItem(j, "result");
        cJSON_Delete(j);
        if (ok)
            return 0;
        usleep(100000);
    }
    return -1;
}

static void hex_append(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Sends cases[0..n) as one batch; returns the number of mismatches, -1 on RPC failure. */
static int run_batch(rpc *r, call_case *cases, size_t n)
{
    size_t cap = n * (2 * MAX_CALL_INPUT + 256) + 16;
    char *body = malloc(cap), *hex = malloc(2 * MAX_CALL_INPUT + 1);
    if (!body || !hex) {
        free(body);
        free(hex);
        return -1;
    }
    size_t off = 0;
    off += (size_t)snprintf(body + off, cap - off, "[");
    for (size_t i = 0; i < n; i++) {
        hex_append(hex, cases[i].input, cases[i].len);
        off += (size_t)snprintf(
            body + off, cap - off,
            "%s{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"eth_call\",\"params\":[{\"to\":"
            "\"0x%040d\",\"data\":\"0x%s\",\"gas\":\"0x1000000\"},\"latest\"]}",
            i ? "," : "", i, cases[i].precompile, hex);
    }
    snprintf(body + off, cap - off, "]");
    cJSON *resp = rpc_post(r, body);
    free(body);
    free(hex);
    if (!cJSON_IsArray(resp)) {
        cJSON_Delete(resp);
        return -1;
    }
    int mismatches = 0;
    cJSON *item;
    cJSON_ArrayForEach(item, resp)
    {
        cJSON *id = cJSON_GetObjectItem(item, "id");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || (size_t)id->valuedouble >= n)
            continue;
        call_case *c = &cases[(size_t)id->valuedouble];
        const char *res = cJSON_GetStringValue(cJSON_GetObjectItem(item, "result"));
        int evm_ok = res != NULL && !cJSON_GetObjectItem(item, "error");
        char ours_hex[2 * 64 + 3] = "0x";
        hex_append(ours_hex + 2, c->ours, c->out_len);
        if (evm_ok != c->ours_ok) {
            fprintf(stderr, "0x%02d %s: anvil %s, ours %s\n", c->precompile, c->what,
                    evm_ok ? "succeeded" : "failed", c->ours_ok ? "succeeded" : "failed");
            mismatches++;
        } else if (evm_ok && strcmp(res, ours_hex) != 0) {
            fprintf(stderr, "0x%02d %s: anvil %s, ours %s\n", c->precompile, c->what, res,
                    ours_hex);
            mismatches++;
        }
        c->precompile = 0; /* answered */
    }
    cJSON_Delete(resp);
    for (size_t i = 0; i < n; i++) {
        if (cases[i].precompile != 0) {
            fprintf(stderr, "case %s got no answer\n", cases[i].what);
            mismatches++;
        }
    }
    return mismatches;
}

/* ---- inputs ------------------------------------------------------------ */

static void random_g1(g1_affine *p, fr_t *k)
{
    g1_affine g;
    g1_jac j;
    random_fr(k);
    g1_generator(&g);
    g1_to_jac(&j, &g);
    g1_mul(&j, &j, k);
    g1_to_affine(p, &j);
}

static void g1_mul_affine(g1_affine *r, const g1_affine *p, const fr_t *k)
{
    g1_jac j;
    g1_to_jac(&j, p);
    g1_mul(&j, &j, k);
    g1_to_affine(r, &j);
}

/* Makes a G1 encoding invalid in one of three ways. */
static void spoil_g1(uint8_t enc[64], int how)
{
    static const uint8_t p_be[32] = {
        0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45,
        0xb6, 0x81, 0x81, 0x58, 0x5d, 0x97, 0x81, 0x6a, 0x91, 0x68, 0x71,
        0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c, 0xfd, 0x47,
    };
    if (how == 0) {
        enc[63] ^= 1; /* off the curve */
    } else if (how == 1) {
        memcpy(enc, p_be, 32); /* x = p (x = 0 mod p would be on no point) */
    } else {
        /* y + p: same point mod p, but the coordinate is >= p */
        fp_t y;
        uint8_t yb[32];
        memcpy(yb, enc + 32, 32);
        fp_from_bytes_be(&y, yb);
        unsigned carry = 0;
        for (int i = 31; i >= 0; i--) {
            unsigned s = enc[32 + i] + p_be[i] + carry;
            enc[32 + i] = (uint8_t)s;
            carry = s >> 8;
        }
        if (carry) /* y + p overflowed 256 bits: use off-curve */
            enc[63] ^= 1;
    }
}

static void add_cases(call_case *cases, size_t *n, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        call_case *c = &cases[(*n)++];
        g1_affine a, b;
        fr_t ka, kb;
        random_g1(&a, &ka);
        random_g1(&b, &kb);
        int kind = (int)(i % 10);
        c->what = "random sum";
        if (kind == 1) {
            b = a;
            c->what = "P + P";
        }
        if (kind == 2) {
            b = a;
            fp_neg(&b.y, &b.y);
            c->what = "P + (-P)";
        }
        if (kind == 3) {
            a.infinity = 1;
            fp_zero(&a.x);
            fp_zero(&a.y);
            c->what = "O + Q";
        }
        c->precompile = 6;
        c->len = 128;
        g1_to_evm(c->input, &a);
        g1_to_evm(c->input + 64, &b);
        if (kind == 4) {
            c->len = (size_t)(rng_next() % 128);
            c->what = "short input";
        }
        if (kind == 5) {
            c->len = 128 + 32;
            c->input[150] = 0xab;
            c->what = "extra input";
        }
        if (kind >= 7) {
            spoil_g1(c->input + (kind == 8 ? 64 : 0), (int)(i / 10) % 3);
            c->what = "invalid point";
        }
        c->out_len = 64;
        c->ours_ok = bn254_ecadd(c->ours, c->input, c->len) == 0;
    }
}

static void mul_cases(call_case *cases, size_t *n, size_t count)
{
    static const uint8_t r_be[32] = {
        0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45,
        0xb6, 0x81, 0x81, 0x58, 0x5d, 0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9,
        0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
    };
    for (size_t i = 0; i < count; i++) {
        call_case *c = &cases[(*n)++];
        g1_affine a;
        fr_t k;
        random_g1(&a, &k);
        c->precompile = 7;
        c->len = 96;
        g1_to_evm(c->input, &a);
        for (int j = 0; j < 32; j++)
            c->input[64 + j] = (uint8_t)rng_next();
        int kind = (int)(i % 10);
        c->what = "random scalar";
        if (kind == 1) {
            memset(c->input + 64, 0, 32);
            c->what = "scalar 0";
        }
        if (kind == 2) {
            memcpy(c->input + 64, r_be, 32);
            c->what = "scalar r";
        }
        if (kind == 3) {
            memset(c->input + 64, 0xff, 32);
            c->what = "scalar 2^256-1";
        }
        if (kind == 4) {
            memset(c->input, 0, 64);
            c->what = "infinity times k";
        }
        if (kind == 5) {
            c->len = 64 + (size_t)(rng_next() % 32);
            c->what = "short scalar";
        }
        if (kind == 6) {
            memset(c->input + 64, 0, 24);
            c->what = "small scalar";
        }
        if (kind >= 8) {
            spoil_g1(c->input, (int)(i / 10) % 3);
            c->what = "invalid point";
        }
        c->out_len = 64;
        c->ours_ok = bn254_ecmul(c->ours, c->input, c->len) == 0;
    }
}

/* k pairs (a_i G, b_i H) with sum a_i b_i = 0 (true) or = 1 (false). */
static void pairing_cases(call_case *cases, size_t *n, size_t count)
{
    g1_affine g;
    g2_affine h;
    g1_generator(&g);
    g2_generator(&h);
    for (size_t i = 0; i < count; i++) {
        call_case *c = &cases[(*n)++];
        size_t k = 1 + i % 5;
        int truth = (i / 5) % 2 == 0;
        fr_t acc;
        fr_zero(&acc);
        c->precompile = 8;
        c->len = k * 192;
        c->what = truth ? "true product" : "false product";
        for (size_t j = 0; j < k; j++) {
            fr_t a, b, ab;
            g1_affine pa;
            g2_affine qb;
            g2_jac hj;
            random_fr(&a);
            random_fr(&b);
            if (j == k - 1) { /* last pair closes the sum */
                fr_one(&b);
                fr_neg(&a, &acc);
                if (!truth) {
                    fr_t one;
                    fr_one(&one);
                    fr_add(&a, &a, &one);
                }
            }
            fr_mul(&ab, &a, &b);
            fr_add(&acc, &acc, &ab);
            g1_mul_affine(&pa, &g, &a);
            g2_to_jac(&hj, &h);
            g2_mul(&hj, &hj, &b);
            g2_to_affine(&qb, &hj);
            g1_to_evm(c->input + j * 192, &pa);
            g2_to_evm(c->input + j * 192 + 64, &qb);
        }
        int kind = (int)(i % 8);
        if (i >= count / 2 && kind == 0) {
            g2_affine bad;
            if (twist_point_outside_subgroup(&bad) == 0)
                g2_to_evm(c->input + 64, &bad);
            c->what = "G2 outside the subgroup";
        } else if (i >= count / 2 && kind == 1) {
            c->input[64 + 127] ^= 1;
            c->what = "G2 off the twist";
        } else if (i >= count / 2 && kind == 2) {
            memset(c->input + 64, 0xff, 32);
            c->what = "G2 coordinate >= p";
        } else if (i >= count / 2 && kind == 3) {
            spoil_g1(c->input, (int)i % 3);
            c->what = "G1 invalid";
        } else if (i >= count / 2 && kind == 4) {
            c->len -= 1 + rng_next() % 100;
            c->what = "length not a multiple of 192";
        } else if (i >= count / 2 && kind == 5) {
            memset(c->input + 64, 0, 128);
            c->what = "G2 infinity";
        }
        c->out_len = 32;
        c->ours_ok = bn254_ecpairing(c->ours, c->input, c->len) == 0;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ANVIL\n", argv[0]);
        return 2;
    }
    enum { ADDS = 300, MULS = 300, PAIRINGS = 48 };
    call_case *cases = calloc(ADDS + MULS + PAIRINGS, sizeof *cases);
    if (!cases)
        return 2;
    size_t n = 0;
    add_cases(cases, &n, ADDS);
    mul_cases(cases, &n, MULS);
    pairing_cases(cases, &n, PAIRINGS);

    int port = free_port();
    if (port < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "no free port or curl init failed\n");
        free(cases);
        return 2;
    }
    pid_t anvil = start_anvil(argv[1], port);
    rpc r = {.curl = curl_easy_init()};
    snprintf(r.url, sizeof r.url, "http://127.0.0.1:%d", port);
    int status = 0;
    if (anvil < 0 || !r.curl || wait_ready(&r) != 0) {
        fprintf(stderr, "anvil did not start on port %d\n", port);
        status = 2;
    }
    int mismatches = 0, refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += !cases[i].ours_ok;
    for (size_t off = 0; status == 0 && off < n; off += RPC_BATCH) {
        int m = run_batch(&r, cases + off, n - off < RPC_BATCH ? n - off : RPC_BATCH);
        if (m < 0) {
            fprintf(stderr, "JSON-RPC batch at case %zu failed\n", off);
            status = 2;
        } else {
            mismatches += m;
        }
    }
    if (r.curl)
        curl_easy_cleanup(r.curl);
    curl_global_cleanup();
    stop_anvil(anvil);
    free(cases);
    if (status)
        return status;
    printf("%zu precompile calls (%d refused by both sides): %d mismatches with anvil\n", n,
           refused, mismatches);
    return mismatches ? 1 : 0;
}
