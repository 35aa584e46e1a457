/*
 * quant_json.h - internal: JSON helpers shared by settings, calibration and
 * the steps of pipeline/quant (cJSON based).
 */
#ifndef ZKML_QUANT_JSON_H
#define ZKML_QUANT_JSON_H

#include "pipeline/quant/quant.h"

#include <cJSON.h>

/* The settings object written to settings.json: the scales, bit widths,
 * visibility, the per-node scales and bit widths of m, and m's constraint
 * estimate. NULL on out of memory. */
cJSON *quant_settings_json(const quant_settings *s, const quant_model *m, int calibrated);
/* Prints j (formatted) to path atomically. */
int quant_json_write(const char *path, const cJSON *j, zkml_error *err);

#endif
