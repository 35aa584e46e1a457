/*
 * steps.c - the settings pipeline step (calibrate is in calibrate.c).
 *
 * settings writes default scales and bit widths for the model (validated by
 * lowering it, so an unsupported op fails here, naming the node), keeping the
 * visibility of an existing settings.json unless opts choose another, and
 * its rmse_threshold (the upload's).
 */
#include "pipeline/quant/quant_json.h"

#include <string.h>

static int choose_visibility(const zkml_step_opts *o, quant_settings *s, zkml_error *err)
{
    int rc = 0;
    if (o && o->input_visibility)
        rc = quant_visibility_parse("input_visibility", o->input_visibility, &s->input_visibility,
                                    err);
    if (!rc && o && o->output_visibility)
        rc = quant_visibility_parse("output_visibility", o->output_visibility,
                                    &s->output_visibility, err);
    if (!rc && o && o->param_visibility)
        rc = quant_visibility_parse("param_visibility", o->param_visibility, &s->param_visibility,
                                    err);
    if (!rc && o && o->rmse_threshold)
        rc = quant_rmse_threshold_parse(o->rmse_threshold, &s->rmse_threshold, err);
    return rc;
}

int quant_settings_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char path[4096];
    onnx_model *g;
    quant_settings s;
    quant_model m;
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_MODEL, err);
    if (rc || (rc = onnx_load_file(path, &g, err)))
        return rc;
    quant_settings_default(&s);
    if (!(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_SETTINGS, err)) &&
        zkml_file_exists(path)) {
        quant_settings old;
        if (quant_settings_read(path, &old, NULL) == 0) {
            s.input_visibility = old.input_visibility;
            s.output_visibility = old.output_visibility;
            s.param_visibility = old.param_visibility;
            s.rmse_threshold = old.rmse_threshold;
        }
    }
    if (!rc)
        rc = choose_visibility(opts, &s, err);
    if (!rc)
        rc = quant_model_build(g, &s, &m, err);
    if (!rc) {
        cJSON *j = quant_settings_json(&s, &m, 0);
        rc = j ? quant_json_write(path, j, err)
               : zkml_fail(err, ZKML_ENOMEM, "settings: out of memory");
        cJSON_Delete(j);
        quant_model_free(&m);
    }
    onnx_free(g);
    return rc;
}
