/* The only code that changes credentials.
 *
 * In the child: apply a plan in the order the kernel requires, verify the
 * result against the plan, and only then may the caller execve. In the
 * parent: shrink the bounding set to the plan's before the fork (the child
 * inherits it, so each capability is dropped once), then drop capinit's own
 * privilege once the child exists and before it may execute. */
#ifndef INIT_PRIVILEGE_H
#define INIT_PRIVILEGE_H

#include "plan.h"

/* What the runtime handed over. Returns 0, or -1 with errno set. */
int privilege_read_runtime(struct runtime *rt);

/* Before the fork: reduce the bounding set to the plan's, updating
 * rt->bounding (and rt->effective if it had to be raised) to the new state.
 * Returns 0, or -1 after logging what failed. */
int privilege_shrink_bounding(const struct plan *plan, struct runtime *rt);

/* Child: apply, then verify. `rt` is the state the child starts in. Returns
 * 0 when the kernel's state equals the plan; otherwise logs one line saying
 * what failed and returns -1 (the caller must not exec). */
int privilege_apply(const struct plan *plan, const struct runtime *rt);

/* Parent, after the fork: no capability but plan->parent_keep (and
 * CAP_SETPCAP while the bounding set is still to be emptied), no inheritable
 * or ambient, no_new_privs. Returns 0, or -1 after logging (the child must
 * then not be released). */
int privilege_drop_self(const struct plan *plan, const struct runtime *rt);

/* Parent, once the child is released: empty bounding set, then CAP_SETPCAP
 * goes too. Best effort: logs what it could not do. */
void privilege_finish_drop(const struct plan *plan, const struct runtime *rt);

#endif
