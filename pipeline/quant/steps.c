/* steps.c - the settings and calibrate pipeline steps. */
#include "pipeline/quant/quant.h"

int quant_settings_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step settings is not available in this build");
}

int quant_calibrate_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step calibrate is not available in this build");
}
