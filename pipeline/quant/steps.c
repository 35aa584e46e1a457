/*
 * steps.c - the settings pipeline step (calibrate is in calibrate.c).
 *
 * settings writes default scales and bit widths for the model (validated by
 * lowering it, so an unsupported op fails here, naming the node), keeping the
 * visibility of an existing settings.json.
 */
#include "pipeline/quant/quant_json.h"

#include <string.h>

int quant_settings_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)opts;
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
        if (quant_settings_read(path, &old, NULL) == 0)
            s.inputs_public = old.inputs_public;
    }
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
