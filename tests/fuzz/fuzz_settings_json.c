/* fuzz_settings_json.c - settings.json parsing must refuse junk without crashing. */
#include "pipeline/quant/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quant_settings s;
    zkml_error err;
    if (quant_settings_parse((const char *)data, size, &s, &err) == 0)
        (void)quant_settings_validate(&s, &err);
    return 0;
}
