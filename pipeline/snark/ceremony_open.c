/*
 * ceremony_open.c - contributions from others to a version's phase 2, and
 * the beacon that closes it (contracts in snark.h).
 *
 * A contribution is accepted only if it is the latest key plus exactly one
 * ordinary contribution: the same circuit hash and the same earlier
 * contributions (so no one can drop or rewrite anyone's), then the whole
 * chain is verified against the circuit and the ceremony's own ptau, as
 * `snarkjs zkey verify` does. A beacon is refused here: its 2^iterations
 * hashes are the verifier's work, and only the operator ends a ceremony.
 */
#include "pipeline/snark/zkey.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir's network.r1cs, circuit.zkey and ceremony.json. */
typedef struct ceremony_paths {
    char r1cs[PATH_MAX], zkey[PATH_MAX], transcript[PATH_MAX];
} ceremony_paths;

static int paths_of(const char *dir, ceremony_paths *p, zkml_error *err)
{
    if (zkml_artifact_path(p->r1cs, PATH_MAX, dir, ZKML_A_R1CS, err) ||
        zkml_artifact_path(p->zkey, PATH_MAX, dir, ZKML_A_ZKEY, err) ||
        zkml_artifact_path(p->transcript, PATH_MAX, dir, ZKML_A_CEREMONY, err))
        return err->code;
    return 0;
}

/* The phase1 object of the current ceremony.json, detached (caller frees). */
static int read_phase1(const ceremony_paths *p, cJSON **phase1, zkml_error *err)
{
    uint8_t *text = NULL;
    size_t len;
    *phase1 = NULL;
    if (zkml_read_file(p->transcript, 1u << 20, &text, &len, err))
        return err->code;
    cJSON *doc = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    *phase1 = cJSON_DetachItemFromObjectCaseSensitive(doc, "phase1");
    cJSON_Delete(doc);
    if (!cJSON_IsObject(*phase1)) {
        cJSON_Delete(*phase1);
        *phase1 = NULL;
        return zkml_fail(err, ZKML_EINTERNAL, "%s has no phase1 object", p->transcript);
    }
    return 0;
}

static int last_hash(const zkey_mpc *mpc, char hash[129], zkml_error *err)
{
    uint8_t h[64];
    if (mpc->n == 0)
        return zkml_fail(err, ZKML_EINTERNAL, "the ceremony's key has no contribution");
    if (zkey_contribution_hash(&mpc->c[mpc->n - 1], h, err))
        return err->code;
    ceremony_hex(hash, h, 64);
    return 0;
}

int snark_ceremony_latest_hash(const char *dir, char hash[129], zkml_error *err)
{
    ceremony_paths p;
    zkey_file zk;
    if (paths_of(dir, &p, err) || zkey_open(&zk, p.zkey, err))
        return err->code;
    int rc = last_hash(&zk.mpc, hash, err);
    zkey_close(&zk);
    return rc;
}

static int same_contribution(const zkey_contribution *a, const zkey_contribution *b)
{
    uint8_t ha[64], hb[64];
    zkml_error ignored;
    return !zkey_contribution_hash(a, ha, &ignored) && !zkey_contribution_hash(b, hb, &ignored) &&
           !memcmp(ha, hb, 64) && !memcmp(a->transcript, b->transcript, 64) &&
           a->type == b->type && !strcmp(a->name, b->name) &&
           !memcmp(&a->delta_after.x, &b->delta_after.x, sizeof a->delta_after.x) &&
           !memcmp(&a->delta_after.y, &b->delta_after.y, sizeof a->delta_after.y);
}

/* next = latest + one ordinary contribution, as far as section 10 tells. */
/* next extends the key before the latest's last contribution: a contributor
 * who downloaded the key just before someone else's contribution landed. */
static int is_stale(const zkey_mpc *latest, const zkey_mpc *next)
{
    if (latest->n == 0)
        return 0;
    for (uint32_t i = 0; i + 1 < latest->n; i++)
        if (!same_contribution(&latest->c[i], &next->c[i]))
            return 0;
    return 1;
}

static int check_extends(const zkey_mpc *latest, const zkey_mpc *next, zkml_error *err)
{
    if (memcmp(latest->cs_hash, next->cs_hash, 64) != 0)
        return zkml_fail(err, ZKML_EREJECTED,
                         "circuit hash: the key is for another circuit or ptau than this "
                         "ceremony's");
    if (next->n == latest->n && is_stale(latest, next))
        return zkml_fail(err, ZKML_EREJECTED,
                         "contribution count: the key has %u contributions, the latest key "
                         "%u: it was made from the key before contribution #%u (\"%s\"), "
                         "accepted since; download the latest key (GET .../ceremony/zkey) "
                         "and contribute to it",
                         next->n, latest->n, latest->n, latest->c[latest->n - 1].name);
    if (next->n != latest->n + 1)
        return zkml_fail(err, ZKML_EREJECTED,
                         "contribution count: the key has %u contributions, the latest key "
                         "%u; contribute once to the latest key (GET .../ceremony/zkey)",
                         next->n, latest->n);
    for (uint32_t i = 0; i < latest->n; i++)
        if (!same_contribution(&latest->c[i], &next->c[i]))
            return zkml_fail(err, ZKML_EREJECTED,
                             "contribution #%u differs from the latest key's: the key does not "
                             "extend the latest one (broken or rewritten hash chain)",
                             i + 1);
    if (next->c[latest->n].type != 0)
        return zkml_fail(err, ZKML_EREJECTED,
                         "contribution #%u is a beacon: only the operator's finalize applies "
                         "one",
                         latest->n + 1);
    return 0;
}

/* The file is no .zkey at all: the contributor's input, said so. */
static int open_next(zkey_file *zk, const char *path, zkml_error *err)
{
    if (!zkey_open(zk, path, err))
        return 0;
    if (err->code == ZKML_EINVAL)
        zkml_error_prefix(err, "not a Groth16 .zkey");
    return err->code;
}

int snark_ceremony_check_next(const char *dir, const char *data_dir, const char *next_zkey,
                              char parent_hash[129], zkml_error *err)
{
    ceremony_paths p;
    zkey_file latest, next;
    char ptau_path[PATH_MAX];
    cJSON *phase1 = NULL;
    if (paths_of(dir, &p, err) || zkey_open(&latest, p.zkey, err))
        return err->code;
    int rc = open_next(&next, next_zkey, err);
    if (!rc) {
        rc = check_extends(&latest.mpc, &next.mpc, err);
        zkey_close(&next);
    }
    if (!rc)
        rc = last_hash(&latest.mpc, parent_hash, err);
    zkey_close(&latest);
    if (!rc && !(rc = read_phase1(&p, &phase1, err)))
        rc = ceremony_phase1_path(data_dir, phase1, ptau_path, err);
    cJSON_Delete(phase1);
    return rc ? rc : zkey_verify_files(p.r1cs, ptau_path, next_zkey, err);
}

/* ceremony.json for the key now at p->zkey, keeping its phase1 object. */
static int rewrite_transcript(const ceremony_paths *p, zkml_error *err)
{
    cJSON *phase1;
    return read_phase1(p, &phase1, err) ? err->code
                                        : ceremony_json_write(p->zkey, phase1, p->transcript, err);
}

int snark_ceremony_adopt(const char *dir, const char *next_zkey, zkml_error *err)
{
    ceremony_paths p;
    if (paths_of(dir, &p, err))
        return err->code;
    if (rename(next_zkey, p.zkey) != 0)
        return zkml_fail(err, ZKML_EIO, "%s -> %s: %s", next_zkey, p.zkey, strerror(errno));
    return rewrite_transcript(&p, err);
}

int snark_ceremony_finalize(const char *dir, const char *beacon_hex, int iterations_exp,
                            zkml_error *err)
{
    ceremony_paths p;
    char final[PATH_MAX], pk[PATH_MAX], vk[PATH_MAX];
    if (paths_of(dir, &p, err) || zkml_path_join(final, sizeof final, dir, "circuit_final.zkey", err) ||
        zkml_artifact_path(pk, sizeof pk, dir, ZKML_A_PROVING_KEY, err) ||
        zkml_artifact_path(vk, sizeof vk, dir, ZKML_A_VK, err))
        return err->code;
    int rc = zkey_beacon_files(p.zkey, final, beacon_hex, iterations_exp, "final beacon", err);
    /* The keys the prover uses come from the final key before it replaces the latest. */
    if (!rc)
        rc = zkey_export_pk_files(p.r1cs, final, pk, vk, err);
    if (!rc && rename(final, p.zkey) != 0)
        rc = zkml_fail(err, ZKML_EIO, "%s -> %s: %s", final, p.zkey, strerror(errno));
    if (rc) {
        unlink(final);
        return rc;
    }
    return rewrite_transcript(&p, err);
}
