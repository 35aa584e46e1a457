/* steps.c - the compile and witness pipeline steps. */
#include "pipeline/circuit/circuit.h"

int circuit_compile_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step compile is not available in this build");
}

int circuit_witness_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step witness is not available in this build");
}
