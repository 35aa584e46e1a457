/*
 * quant.h - public face of pipeline/quant: CSV splits, settings, calibration,
 * and the fixed-point evaluator.
 */
#ifndef ZKML_QUANT_H
#define ZKML_QUANT_H

#include "common/common.h"

/* settings:  model.onnx -> settings.json */
int quant_settings_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
/* calibrate: model.onnx, settings.json, data.csv -> calibration.json, settings.json */
int quant_calibrate_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
