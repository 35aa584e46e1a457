/* steps.c - the setup, prove and verify pipeline steps. */
#include "pipeline/snark/snark.h"

int snark_setup_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step setup is not available in this build");
}

int snark_prove_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step prove is not available in this build");
}

int snark_verify_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step verify is not available in this build");
}
