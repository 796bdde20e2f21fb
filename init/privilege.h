/* The only code that changes credentials.
 *
 * In the child: apply a plan in the order the kernel requires, verify the
 * result against the plan, and only then may the caller execve. In the
 * parent: drop capinit's own privilege once the child exists. */
#ifndef INIT_PRIVILEGE_H
#define INIT_PRIVILEGE_H

#include "plan.h"

/* What the runtime handed over. Returns 0, or -1 with errno set. */
int privilege_read_runtime(struct runtime *rt);

/* Child: apply, then verify. Returns 0 when the kernel's state equals the
 * plan; otherwise logs one line saying what failed and returns -1 (the
 * caller must not exec). */
int privilege_apply(const struct plan *plan, const struct runtime *rt);

/* Parent, after the fork: empty bounding set, no_new_privs, and no
 * capability but plan->parent_keep. Best effort: logs what it could not do. */
void privilege_drop_self(const struct plan *plan, const struct runtime *rt);

#endif
