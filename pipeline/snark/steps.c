/*
 * steps.c - the setup and prove pipeline steps over an artifact directory
 * (files named in snark.h); each output is written atomically. setup is the
 * ceremony of ceremony.c.
 */
#include "pipeline/snark/snark.h"

#include <limits.h>
#include <stdlib.h>

static int join(char out[PATH_MAX], const char *dir, zkml_artifact_id id, zkml_error *err)
{
    return zkml_artifact_path(out, PATH_MAX, dir, id, err);
}

/* Outside the service the phase-1 cache is the default data dir's. */
int snark_setup_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    const char *data_dir = getenv("ZKML_DATA_DIR");
    return snark_ceremony_setup(dir, data_dir && *data_dir ? data_dir : "./data", opts, err);
}

int snark_prove_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char pk[PATH_MAX], wtns[PATH_MAX], proof[PATH_MAX], pub[PATH_MAX];
    if (join(pk, dir, ZKML_A_PROVING_KEY, err) || join(wtns, dir, ZKML_A_WITNESS, err) ||
        join(proof, dir, ZKML_A_PROOF, err) || join(pub, dir, ZKML_A_PUBLIC, err))
        return err->code;
    return groth16_prove_files(pk, wtns, proof, pub, opts ? opts->threads : 0, err);
}
