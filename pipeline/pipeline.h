/*
 * pipeline.h - public face of pipeline/: the step table and the job runner
 * (fork, claim, heartbeat, resume).
 */
#ifndef ZKML_PIPELINE_H
#define ZKML_PIPELINE_H

#include "common/common.h"

#endif
