/* steps.c - the export pipeline step. */
#include "pipeline/evm/evm.h"

int evm_export_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step export is not available in this build");
}
