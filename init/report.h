/* --print: a plan in words and hex masks, with the equivalent docker run
 * flags and Kubernetes securityContext. */
#ifndef INIT_REPORT_H
#define INIT_REPORT_H

#include "config.h"
#include "fmt.h"
#include "plan.h"

void report_plan(struct outbuf *out, const struct config *cfg, const struct plan *plan,
		 const struct runtime *rt);

#endif
