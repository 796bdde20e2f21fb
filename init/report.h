/* --print: a plan in words and hex masks, with the equivalent docker run
 * flags and Kubernetes securityContext. */
#ifndef CAPINIT_REPORT_H
#define CAPINIT_REPORT_H

#include <stdio.h>

#include "config.h"
#include "plan.h"

void report_plan(FILE *out, const struct config *cfg, const struct plan *plan,
		 const struct runtime *rt);

#endif
