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
#include <stdint.h>
#include <sys/types.h>

#include "capset.h"
#include "config.h"
#include "user.h"

/* Securebits (linux/securebits.h, which musl-gcc does not see): bit
 * numbers are kernel ABI. */
#define SB_NOROOT (1u << 0)
#define SB_NO_SETUID_FIXUP (1u << 2)
#define SB_KEEP_CAPS (1u << 4)
#define SB_KEEP_CAPS_LOCKED (1u << 5)
#define SB_NO_CAP_AMBIENT_RAISE (1u << 6)

/* What the container runtime handed over, read once at start. */
struct runtime {
	capmask permitted, effective, inheritable, bounding, ambient;
	int max_bits; /* capabilities the running kernel knows */
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	size_t ngroups; /* supplementary groups; more than USER_MAX_GROUPS: overflow */
	bool groups_overflow;
	gid_t groups[USER_MAX_GROUPS];
	bool no_new_privs;
	unsigned securebits; /* PR_GET_SECUREBITS */
	uint64_t sig_ign; /* signals the caller left ignored (all ones: unknown) */
	bool sig_ign_known;
	/* Seccomp mode (0 none, 2 filter) and the number of filters, as
	 * /proc/self/status shows them; -1 where not known (no /proc, a
	 * kernel before 5.9 for the count). */
	int seccomp_mode, seccomp_filters;
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
	/* CAPINIT_USER named the ids capinit already runs with: nothing to
	 * switch (an image with both USER app and CAPINIT_USER=app). */
	bool already_user;
	bool child_root; /* root rules apply to the child at execve */
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
	/* The app holds CAP_SYS_PTRACE, which overrides capinit's
	 * PR_SET_DUMPABLE 0: it can attach to PID 1 (--print says so), and
	 * the spec's ADD asked for it (a warning at start says so). */
	bool app_can_ptrace_init, ptrace_added;
	/* The user-namespace guard (userns_guard.h), installed by the child
	 * after no_new_privs and verified with the rest: on unless the config
	 * turns it off (CAPINIT_USERNS=1) or the app holds CAP_SYS_ADMIN, with
	 * which it can create namespaces anyway (Docker's profile allows it
	 * then too). */
	bool userns_guard;
	bool app_sys_admin;
	/* The same for CAP_SYS_ADMIN, with which the kernel (6.18 measured)
	 * lets the app read /proc/1/maps of the non-dumpable PID 1, and a
	 * root app /proc/1/environ. */
	bool app_can_read_init, sys_admin_added;
	/* CAPINIT_USER named a user (not a number, not "root") that the
	 * image's /etc/passwd maps to uid 0: the app runs as root. */
	bool named_user_is_root;
};

/* Returns 0, or -1 with a one-line reason in err: a valid spec that cannot be
 * applied here (exit 125). `ids` is NULL when no user switch was asked. */
int plan_make(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	      struct plan *plan, char *err, size_t errsize);

#endif
