/*
 * zkey_setup.c - the phase-2 commands over files (contracts in snark.h):
 * the initial key from a ptau, the verification key of a .zkey, and our
 * proving key from a .zkey and its circuit.
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/zkey.h"

#include <string.h>

int groth16_setup_ptau_files(const char *r1cs_path, const char *ptau_path,
                             const char *zkey_path, zkml_error *err)
{
    r1cs cs;
    ptau pt;
    groth16_pk pk;
    groth16_vk vk;
    zkey_mpc mpc;
    memset(&mpc, 0, sizeof mpc);
    if (r1cs_read(&cs, r1cs_path, err))
        return err->code;
    int rc = ptau_open(&pt, ptau_path, err);
    if (!rc) {
        rc = zkey_init_from_ptau(&cs, &pt, &pk, &vk, mpc.cs_hash, 0, err);
        ptau_close(&pt);
    }
    r1cs_free(&cs);
    if (rc)
        return zkml_error_prefix(err, "setup of %s", r1cs_path);
    rc = zkey_write(&pk, &vk, &mpc, zkey_path, err);
    groth16_pk_free(&pk);
    groth16_vk_free(&vk);
    return rc;
}

int zkey_export_vk_files(const char *zkey_path, const char *vk_json_path, zkml_error *err)
{
    zkey_file zk;
    groth16_vk vk;
    if (zkey_open(&zk, zkey_path, err))
        return err->code;
    int rc = zkey_vk(&zk, &vk, err);
    zkey_close(&zk);
    if (!rc) {
        rc = vk_json_write(&vk, vk_json_path, err);
        groth16_vk_free(&vk);
    }
    return rc;
}
