/* The plan: the exact credential state the child must end in.
 *
 * A pure function of the config, the resolved user and what the runtime
 * handed over. --print prints it, the child applies it, and the child's
 * verification compares the kernel's view against it, so all three agree by
 * construction. */
#ifndef INIT_PLAN_H
#define INIT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "capset.h"
#include "config.h"
#include "user.h"

/* What the container runtime handed over, read once at start. */
struct runtime {
	capmask permitted, effective, inheritable, bounding, ambient;
	int max_bits; /* capabilities the running kernel knows */
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	bool no_new_privs;
};

struct plan {
	capmask kernel;  /* every capability of this kernel */
	capmask handed;  /* H: permitted ∩ bounding */
	capmask dropped; /* H − B' */
	capmask bounding, permitted, effective, inheritable, ambient;
	capmask unsupported_drops; /* named in DROP, unknown to this kernel */
	bool spec_given;
	bool reduce_bounding; /* false: bounding left as handed over */
	bool bounding_kept_warning; /* could not shrink it, allowed as non-root + NNP */

	bool switch_user;
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[USER_MAX_GROUPS];
	const char *home_env; /* "HOME=..." or NULL */

	bool no_new_privs;
	bool nnp_forced_by_runtime; /* asked 0, but it was already set */
	capmask parent_keep; /* what capinit itself keeps after the fork */
	/* The child runs under another uid and capinit will not hold CAP_KILL:
	 * forwarded signals cannot reach it. */
	bool cannot_signal_child;
	/* What the runtime must grant capinit for this plan (for --print). */
	capmask capinit_needs;
};

/* Returns 0, or -1 with a one-line reason in err: a valid spec that cannot be
 * applied here (exit 125). `ids` is NULL when no user switch was asked. */
int plan_make(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	      struct plan *plan, char *err, size_t errsize);

#endif
