/*
 * ceremony.c - the pipeline's setup: phase 2 of a Groth16 ceremony on top
 * of a Powers of Tau file, and its transcript (contract in snark.h).
 *
 * Phase 1 is the file ZKML_PTAU names (a public ceremony's, e.g. Hermez's
 * powersOfTau28_hez_final_NN.ptau) or, without one, a phase 1 made here once
 * per power and cached as DATA_DIR/ptau/local_powerNN.ptau: that one is for
 * testing only (its maker could forge proofs), which ceremony.json and the
 * step's message say. Phase 2 starts from the circuit's initial key and
 * gets one contribution of the service; the key (circuit.zkey) is turned
 * into our proving key and verification key for the prover. ceremony.json
 * records the ptau (file name, power, blake2b-512 of the file, its own
 * contribution count), the circuit hash and every contribution (name, hash,
 * beacon) so that anyone can rerun `snarkjs zkey verify` against them.
 */
#include "pipeline/snark/zkey.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SERVICE_NAME "zkml-registry service"

typedef struct phase1 {
    char path[PATH_MAX];
    int local;
    snark_ptau_info info;
} phase1;

void ceremony_hex(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int ceremony_local_ptau_path(const char *data_dir, uint32_t power, char out[PATH_MAX],
                             zkml_error *err)
{
    char name[40];
    snprintf(name, sizeof name, "ptau/local_power%02u.ptau", power);
    return zkml_path_join(out, PATH_MAX, data_dir, name, err);
}

int ceremony_phase1_path(const char *data_dir, const cJSON *p1_json, char out[PATH_MAX],
                         zkml_error *err)
{
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(p1_json, "source");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(p1_json, "file");
    const cJSON *power = cJSON_GetObjectItemCaseSensitive(p1_json, "power");
    if (!cJSON_IsString(source) || !cJSON_IsString(file) || !cJSON_IsNumber(power))
        return zkml_fail(err, ZKML_EINTERNAL, "ceremony.json: phase1 lacks source, file or power");
    if (!strcmp(source->valuestring, "local"))
        return ceremony_local_ptau_path(data_dir, (uint32_t)power->valuedouble, out, err);
    const char *env = getenv("ZKML_PTAU"), *base = env ? strrchr(env, '/') : NULL;
    base = base ? base + 1 : env;
    if (!env || strcmp(base, file->valuestring) || strlen(env) >= PATH_MAX)
        return zkml_fail(err, ZKML_EINTERNAL,
                         "the ceremony's phase 1 is %s (from ZKML_PTAU), but ZKML_PTAU now "
                         "names %s: set it back to check contributions",
                         file->valuestring, env ? env : "nothing");
    strcpy(out, env);
    return 0;
}

/* ZKML_PTAU, or the cached local phase 1 of this power (made if missing). */
static int choose_phase1(phase1 *p1, const char *data_dir, uint32_t log_n, int threads,
                         zkml_error *err)
{
    const char *env = getenv("ZKML_PTAU");
    char dir[PATH_MAX];
    memset(p1, 0, sizeof *p1);
    /* the local files' and the remembered hashes' (describe_phase1) folder */
    if (zkml_path_join(dir, sizeof dir, data_dir, "ptau", err) || zkml_mkdir_p(dir, 1, err))
        return err->code;
    if (env && *env) {
        if (strlen(env) >= sizeof p1->path)
            return zkml_fail(err, ZKML_EINVAL, "ZKML_PTAU is too long");
        strcpy(p1->path, env);
        return 0;
    }
    p1->local = 1;
    if (ceremony_local_ptau_path(data_dir, log_n, p1->path, err))
        return err->code;
    if (zkml_file_exists(p1->path))
        return 0;
    return ptau_make_local(p1->path, log_n < 1 ? 1 : log_n, threads, 1, err);
}

/* The counts of an open ptau into info. */
static void header_info(const ptau *pt, snark_ptau_info *info)
{
    memset(info, 0, sizeof *info);
    info->power = pt->power;
    info->contributions = pt->n_contributions;
    info->prepared = pt->prepared;
}

/* The file's blake2b-512 into info, as hex. */
static int hash_file(const ptau *pt, snark_ptau_info *info, zkml_error *err)
{
    b2 h;
    uint8_t hash[64];
    if (b2_init(&h, err))
        return err->code;
    /* A window at a time, each window's pages dropped once hashed: the whole
     * file would otherwise stay in the process's memory until the unmap (a
     * power-19 file is 604 MB, the setup's peak). */
    enum { WINDOW = 64 << 20 };
    for (size_t at = 0; at < pt->map_len; at += WINDOW) {
        size_t n = pt->map_len - at < WINDOW ? pt->map_len - at : WINDOW;
        b2_update(&h, (const uint8_t *)pt->map + at, n);
        binfile_release((uint8_t *)pt->map + at, n);
    }
    b2_final(&h, hash);
    ceremony_hex(info->blake2b, hash, 64);
    return 0;
}

int snark_ptau_describe(const char *path, snark_ptau_info *info, zkml_error *err)
{
    ptau pt;
    memset(info, 0, sizeof *info);
    if (ptau_open(&pt, path, err))
        return err->code;
    header_info(&pt, info);
    int rc = hash_file(&pt, info, err);
    ptau_close(&pt);
    return rc;
}

/* ---- phase 1's hash, remembered ------------------------------------------------
 *
 * Every setup records the blake2b of its phase-1 file, and hashing it is
 * most of a small circuit's setup: 0.5 s for a power-19 file (604 MB), more
 * for a public one (powersOfTau28_hez_final_20.ptau is 1.2 GB). So the hash
 * is kept in DATA_DIR/ptau/blake2b-DEV-INODE with the key git's index uses
 * to tell a file unchanged: its size and its modification and change times
 * to the nanosecond. Writing to the file changes its change time, which no
 * one without the clock can set back; a file stat'ed differently after the
 * hash than before is not remembered. */

static void hash_key(const struct stat *st, char *key, size_t n)
{
    snprintf(key, n, "size %lld mtime %lld.%09ld ctime %lld.%09ld", (long long)st->st_size,
             (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
             st->st_ctim.tv_nsec);
}

static int same_stat(const struct stat *a, const struct stat *b)
{
    char ka[128], kb[128];
    hash_key(a, ka, sizeof ka);
    hash_key(b, kb, sizeof kb);
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && !strcmp(ka, kb);
}

/* 1 when the entry at cache holds a hash for key: info->blake2b gets it. */
static int hash_remembered(const char *cache, const char *key, snark_ptau_info *info)
{
    uint8_t *text;
    size_t len, klen = strlen(key);
    zkml_error ignored;
    if (zkml_read_file(cache, 512, &text, &len, &ignored))
        return 0;
    const char *hex = (const char *)text + klen + 1;
    int ok = len == klen + 1 + 128 + 1 && !memcmp(text, key, klen) && text[klen] == ' ' &&
             strspn(hex, "0123456789abcdef") == 128 && hex[128] == '\n';
    if (ok) {
        memcpy(info->blake2b, hex, 128);
        info->blake2b[128] = '\0';
    }
    free(text);
    return ok;
}

/* snark_ptau_describe, the hash remembered in data_dir/ptau (made by
 * choose_phase1). Failing to remember it is not an error: the next setup
 * hashes again. */
static int describe_phase1(phase1 *p1, const char *data_dir, zkml_error *err)
{
    struct stat before, after;
    char cache[PATH_MAX], name[64], key[128] = "";
    ptau pt;
    /* stat'ed before it is opened: a file put in its place meanwhile has
     * another key, or fails the check after the hash */
    int keyed = stat(p1->path, &before) == 0;
    if (ptau_open(&pt, p1->path, err))
        return err->code;
    header_info(&pt, &p1->info);
    snprintf(name, sizeof name, "ptau/blake2b-%llx-%llx", (unsigned long long)before.st_dev,
             (unsigned long long)before.st_ino);
    zkml_error no_path; /* no remembered hash then: not the setup's failure */
    keyed = keyed && zkml_path_join(cache, sizeof cache, data_dir, name, &no_path) == 0;
    if (keyed)
        hash_key(&before, key, sizeof key);
    int rc = 0;
    if (!keyed || !hash_remembered(cache, key, &p1->info)) {
        rc = hash_file(&pt, &p1->info, err);
        zkml_error ignored;
        char entry[512];
        snprintf(entry, sizeof entry, "%s %s\n", key, p1->info.blake2b);
        if (!rc && keyed && stat(p1->path, &after) == 0 && same_stat(&before, &after))
            zkml_write_file_unsynced(cache, entry, strlen(entry), &ignored);
    }
    ptau_close(&pt);
    return rc;
}

int snark_ptau_new_local(const char *path, uint32_t power, zkml_error *err)
{
    return ptau_make_local(path, power, 0, 0, err);
}

static cJSON *phase1_json(const phase1 *p1)
{
    const char *base = strrchr(p1->path, '/');
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", p1->local ? "local" : "ZKML_PTAU");
    cJSON_AddStringToObject(o, "file", base ? base + 1 : p1->path);
    cJSON_AddNumberToObject(o, "power", p1->info.power);
    cJSON_AddStringToObject(o, "blake2b", p1->info.blake2b);
    cJSON_AddNumberToObject(o, "contributions", p1->info.contributions);
    cJSON_AddBoolToObject(o, "testing_only", p1->local);
    if (p1->local)
        cJSON_AddStringToObject(o, "note",
                                "phase 1 was made locally by this service, which "
                                "could therefore forge proofs: for testing only. Set ZKML_PTAU "
                                "to a public ceremony's file (README: Trusted setup).");
    return o;
}

static cJSON *contribution_json(const zkey_contribution *c, uint32_t i, zkml_error *err)
{
    uint8_t hash[64];
    char h[129], b[511];
    if (zkey_contribution_hash(c, hash, err))
        return NULL;
    ceremony_hex(h, hash, 64);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", i + 1);
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "type", c->type == 1 ? "beacon" : "contribution");
    cJSON_AddStringToObject(o, "hash", h);
    if (c->type == 1) {
        ceremony_hex(b, c->beacon, c->beacon_len);
        cJSON_AddStringToObject(o, "beacon", b);
        cJSON_AddNumberToObject(o, "iterations_exp", c->iterations_exp);
    }
    return o;
}

int ceremony_json_write(const char *zkey_path, cJSON *p1_json, const char *out, zkml_error *err)
{
    zkey_file zk;
    char h[129];
    if (zkey_open(&zk, zkey_path, err)) {
        cJSON_Delete(p1_json);
        return err->code;
    }
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_CreateArray(), *beacon = NULL;
    ceremony_hex(h, zk.mpc.cs_hash, 64);
    cJSON_AddStringToObject(doc, "protocol", "groth16");
    cJSON_AddStringToObject(doc, "curve", "bn128");
    cJSON_AddItemToObject(doc, "phase1", p1_json);
    cJSON_AddStringToObject(doc, "circuit_hash", h);
    int rc = 0;
    for (uint32_t i = 0; !rc && i < zk.mpc.n; i++) {
        cJSON *c = contribution_json(&zk.mpc.c[i], i, err);
        rc = c ? 0 : err->code;
        if (c && zk.mpc.c[i].type == 1)
            beacon = cJSON_Duplicate(c, 1);
        cJSON_AddItemToArray(list, c);
    }
    cJSON_AddItemToObject(doc, "contributions", list);
    cJSON_AddItemToObject(doc, "beacon", beacon ? beacon : cJSON_CreateNull());
    char *text = rc ? NULL : cJSON_Print(doc);
    if (!rc && !text)
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory writing %s", out);
    if (!rc)
        rc = zkml_write_file_atomic(out, text, strlen(text), err);
    free(text);
    cJSON_Delete(doc);
    zkey_close(&zk);
    return rc;
}

static int circuit_domain(const char *r1cs_path, uint32_t *log_n, zkml_error *err)
{
    r1cs cs;
    if (r1cs_read_header(&cs, r1cs_path, err))
        return err->code;
    return groth16_domain_log(cs.n_constraints, cs.n_pub_out + cs.n_pub_in, log_n, err);
}

/* The initial key, the service's contribution, our key files, the transcript. */
static int phase2(const char *dir, const phase1 *p1, const char *r1cs_path, zkml_error *err)
{
    char zkey[PATH_MAX], pk[PATH_MAX], vk[PATH_MAX], cer[PATH_MAX];
    if (zkml_artifact_path(zkey, sizeof zkey, dir, ZKML_A_ZKEY, err) ||
        zkml_artifact_path(pk, sizeof pk, dir, ZKML_A_PROVING_KEY, err) ||
        zkml_artifact_path(vk, sizeof vk, dir, ZKML_A_VK, err) ||
        zkml_artifact_path(cer, sizeof cer, dir, ZKML_A_CEREMONY, err))
        return err->code;
    int rc = groth16_setup_contribute_files(r1cs_path, p1->path, SERVICE_NAME, zkey, pk, vk, err);
    if (!rc)
        rc = ceremony_json_write(zkey, phase1_json(p1), cer, err);
    return rc;
}

int snark_ceremony_setup(const char *dir, const char *data_dir, const zkml_step_opts *opts,
                         zkml_error *err)
{
    char r1cs_path[PATH_MAX];
    uint32_t log_n;
    phase1 p1;
    if (zkml_artifact_path(r1cs_path, sizeof r1cs_path, dir, ZKML_A_R1CS, err) ||
        circuit_domain(r1cs_path, &log_n, err) ||
        choose_phase1(&p1, data_dir, log_n, opts ? opts->threads : 0, err) ||
        describe_phase1(&p1, data_dir, err) || phase2(dir, &p1, r1cs_path, err))
        return err->code;
    if (p1.local)
        zkml_fail(err, 0,
                  "phase 1 made locally (power %u, %s): for testing only, its maker "
                  "could forge proofs; set ZKML_PTAU to a public ceremony's .ptau",
                  p1.info.power, p1.path);
    return 0;
}
