#include "plan.h"

#include <linux/capability.h>
#include <string.h>

#include "fmt.h"
#include "userns_guard.h"

static void explain_not_granted(const char *source, capmask missing, const struct runtime *rt,
				char *err, size_t errsize)
{
	char names[256];
	capmask_format(missing, ",", names, sizeof names);
	if (rt->euid != 0 && (rt->permitted & rt->bounding) == 0) {
		fmt_snprintf(err, errsize,
			 "%s: cannot add %s: capinit runs as uid %u with no capabilities; run it "
			 "as root with the capability granted, and set CAPINIT_USER for the app",
			 source, names, (unsigned)rt->euid);
		return;
	}
	fmt_snprintf(err, errsize,
		 "%s: %s not granted by the container runtime, and capinit can "
		 "only narrow: grant it there (docker run --cap-add=%s, or Kubernetes "
		 "securityContext.capabilities.add: [%s])",
		 source, names, names, names);
}

static int plan_capabilities(const struct config *cfg, const struct runtime *rt, bool child_root,
			     struct plan *p, char *err, size_t errsize)
{
	capmask add = cfg->add;

	capmask unsupported = add & ~p->kernel;
	if (unsupported) {
		char names[256];
		capmask_format(unsupported, ",", names, sizeof names);
		fmt_snprintf(err, errsize, "%s: %s not supported by this kernel (it has %d capabilities)",
			     cfg->add_source, names, rt->max_bits);
		return -1;
	}
	if (add & ~p->handed) {
		explain_not_granted(cfg->add_source, add & ~p->handed, rt, err, errsize);
		return -1;
	}
	p->unsupported_drops = cfg->drop_all ? 0 : cfg->drop & ~p->kernel;

	/* B' = (DROP is ALL ? ∅ : H − DROP) ∪ ADD */
	capmask bprime = (cfg->drop_all ? 0 : p->handed & ~cfg->drop) | add;
	p->bounding = bprime;
	p->dropped = p->handed & ~bprime;
	if (child_root) {
		/* An inheritable capability would come back at execve even
		 * outside B', so it is emptied along with ambient. */
		p->permitted = p->effective = bprime;
		p->inheritable = p->ambient = 0;
	} else {
		/* A non-root child keeps across execve exactly its ambient set. */
		p->permitted = p->effective = p->inheritable = p->ambient = add;
	}
	return 0;
}

/* Shrinking the bounding set needs CAP_SETPCAP. Without it the set stays as
 * handed over, which is safe only when nothing the child runs can gain
 * privilege at execve: a non-root child under no_new_privs. */
static int plan_bounding(const struct runtime *rt, bool child_root, struct plan *p, char *err,
			 size_t errsize)
{
	capmask current = rt->bounding & p->kernel;
	p->reduce_bounding = current != p->bounding;
	if (!p->reduce_bounding || (rt->permitted & CAPMASK_BIT(CAP_SETPCAP)))
		return 0;
	if (child_root || !p->no_new_privs) {
		fmt_snprintf(err, errsize,
			 "cannot shrink the bounding set: no CAP_SETPCAP, and a child %s could "
			 "regain dropped capabilities through a setuid or file-capability "
			 "program; grant SETPCAP (Docker's default) or run the app as non-root "
			 "(CAPINIT_USER) with no_new_privs",
			 child_root ? "running as root" : "without no_new_privs");
		return -1;
	}
	p->reduce_bounding = false;
	p->bounding = current;
	p->bounding_kept_warning = true;
	return 0;
}

/* The ids capinit runs with equal the requested ones, groups as sets. */
static bool already_running_as(const struct user_ids *ids, const struct runtime *rt)
{
	return rt->ruid == ids->uid && rt->euid == ids->uid && rt->suid == ids->uid &&
	       rt->rgid == ids->gid && rt->egid == ids->gid && rt->sgid == ids->gid &&
	       !rt->groups_overflow &&
	       user_groups_equal(rt->groups, rt->ngroups, ids->groups, ids->ngroups);
}

static int plan_user(const struct config *cfg, const struct user_ids *ids,
		     const struct runtime *rt, struct plan *p, char *err, size_t errsize)
{
	p->uid = rt->euid;
	p->gid = rt->egid;
	if (ids == NULL) {
		/* The kernel applies root rules at execve when the real or the
		 * effective uid is 0; with mixed ids the plan could not say
		 * whether the child would end as root. */
		bool mixed = rt->ruid != rt->euid || rt->euid != rt->suid;
		if (mixed && (rt->ruid == 0 || rt->euid == 0 || rt->suid == 0)) {
			fmt_snprintf(err, errsize,
				 "capinit runs with mixed user ids (real %u, effective %u, saved "
				 "%u): set CAPINIT_USER to choose the command's user",
				 (unsigned)rt->ruid, (unsigned)rt->euid, (unsigned)rt->suid);
			return -1;
		}
		p->child_root = rt->euid == 0;
		return 0;
	}
	p->uid = ids->uid;
	p->gid = ids->gid;
	p->child_root = ids->uid == 0;
	p->named_user_is_root = ids->uid == 0 && !cfg->user.numeric &&
				strcmp(cfg->user.name, "root") != 0;
	p->home_env = ids->has_home ? ids->home_env : NULL;
	if (already_running_as(ids, rt)) {
		p->already_user = true;
		return 0;
	}
	capmask need = CAPMASK_BIT(CAP_SETUID) | CAPMASK_BIT(CAP_SETGID);
	if ((rt->permitted & need) != need) {
		fmt_snprintf(err, errsize,
			 "%s: switching to uid %u needs CAP_SETUID and CAP_SETGID, not granted "
			 "to capinit (docker run --cap-add, or capabilities.add)",
			 cfg->user_source, (unsigned)ids->uid);
		return -1;
	}
	p->switch_user = true;
	p->ngroups = ids->ngroups;
	memcpy(p->groups, ids->groups, ids->ngroups * sizeof ids->groups[0]);
	return 0;
}

/* Securebits the runtime set change what execve and setuid do to
 * capabilities. capinit leaves them as they are and refuses a plan whose
 * result they would change, rather than promise sets the kernel will not
 * give. */
static int plan_securebits(const struct runtime *rt, struct plan *p, char *err, size_t errsize)
{
	unsigned sb = rt->securebits;
	const char *why = NULL;
	if ((sb & SB_NOROOT) && p->spec_given && p->child_root && p->permitted != 0)
		why = "SECBIT_NOROOT is set, so a root command would not get the capabilities "
		      "the plan gives it at execve";
	else if ((sb & SB_NO_CAP_AMBIENT_RAISE) && p->spec_given && p->ambient != 0)
		why = "SECBIT_NO_CAP_AMBIENT_RAISE is set, so the non-root command's ambient "
		      "capabilities cannot be raised";
	else if (p->switch_user && !p->child_root && p->permitted != 0 &&
		 (sb & SB_KEEP_CAPS_LOCKED) && !(sb & SB_KEEP_CAPS) &&
		 !(sb & SB_NO_SETUID_FIXUP))
		why = "SECBIT_KEEP_CAPS is locked off, so capabilities cannot be kept across the "
		      "switch to a non-root user";
	if (why == NULL)
		return 0;
	fmt_snprintf(err, errsize, "securebits 0x%x from the runtime: %s; remove them in the "
				   "runtime or change the spec",
		     sb, why);
	return -1;
}

/* The user-namespace guard, and whether the child can install it: the
 * kernel takes a seccomp filter from a process under no_new_privs, or from
 * one holding CAP_SYS_ADMIN, which capinit's child then must have. */
static int plan_userns(const struct config *cfg, const struct runtime *rt, struct plan *p,
		       char *err, size_t errsize)
{
	capmask admin = CAPMASK_BIT(CAP_SYS_ADMIN);
	p->app_sys_admin = ((p->permitted | p->effective | p->ambient) & admin) != 0;
	p->userns_guard = !cfg->userns && !p->app_sys_admin;
	if (!p->userns_guard)
		return 0;
	if (userns_guard_native() == NULL) {
		fmt_snprintf(err, errsize,
			 "CAPINIT_USERNS: this build has no user-namespace guard for its "
			 "architecture; set CAPINIT_USERNS=1");
		return -1;
	}
	if (!p->no_new_privs && !(rt->permitted & admin)) {
		fmt_snprintf(err, errsize,
			 "CAPINIT_NO_NEW_PRIVS=0: the user-namespace guard then needs "
			 "CAP_SYS_ADMIN, not granted; keep CAPINIT_NO_NEW_PRIVS=1, or set "
			 "CAPINIT_USERNS=1");
		return -1;
	}
	return 0;
}

int plan_make(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	      struct plan *p, char *err, size_t errsize)
{
	memset(p, 0, sizeof *p);
	p->kernel = capmask_first(rt->max_bits);
	p->handed = rt->permitted & rt->bounding & p->kernel;
	p->spec_given = cfg->drop_set || cfg->add_set;
	/* The runtime may have set no_new_privs already (Kubernetes
	 * allowPrivilegeEscalation: false); it cannot be unset. */
	p->no_new_privs = cfg->no_new_privs || rt->no_new_privs;
	p->nnp_forced_by_runtime = !cfg->no_new_privs && rt->no_new_privs;

	if (plan_user(cfg, ids, rt, p, err, errsize) != 0)
		return -1;
	bool child_root = p->child_root;

	if (p->spec_given) {
		if (plan_capabilities(cfg, rt, child_root, p, err, errsize) != 0)
			return -1;
	} else {
		/* No spec: the sets stay as handed over, except what a uid change
		 * takes away by itself (as under Docker's --user). */
		p->bounding = rt->bounding & p->kernel;
		if (p->switch_user && !child_root) {
			p->permitted = p->effective = p->inheritable = p->ambient = 0;
		} else {
			p->permitted = rt->permitted;
			p->effective = rt->effective;
			p->inheritable = rt->inheritable;
			p->ambient = rt->ambient;
		}
	}
	/* Securebits first: under SECBIT_NOROOT the runtime hands capabilities
	 * over as ambient ones, often without SETPCAP, and the bits are then
	 * the real reason a plan cannot hold. */
	if (plan_securebits(rt, p, err, errsize) != 0)
		return -1;
	if (plan_bounding(rt, child_root, p, err, errsize) != 0)
		return -1;
	p->app_can_ptrace_init = ((p->permitted | p->ambient) & CAPMASK_BIT(CAP_SYS_PTRACE)) != 0;
	p->ptrace_added = p->spec_given && (cfg->add & CAPMASK_BIT(CAP_SYS_PTRACE)) != 0;
	if (plan_userns(cfg, rt, p, err, errsize) != 0)
		return -1;
	p->app_can_read_init = ((p->permitted | p->ambient) & CAPMASK_BIT(CAP_SYS_ADMIN)) != 0;
	p->sys_admin_added = p->spec_given && (cfg->add & CAPMASK_BIT(CAP_SYS_ADMIN)) != 0;

	/* Forwarding and the grace drain must reach processes of any uid. */
	p->parent_keep = rt->permitted & CAPMASK_BIT(CAP_KILL);
	p->cannot_signal_child = p->switch_user && p->uid != rt->euid && p->uid != rt->ruid &&
				 p->parent_keep == 0;
	p->capinit_needs = (p->spec_given ? cfg->add : 0) |
			   (p->switch_user ? CAPMASK_BIT(CAP_SETUID) | CAPMASK_BIT(CAP_SETGID) |
						     CAPMASK_BIT(CAP_KILL)
					   : 0) |
			   (p->reduce_bounding ? CAPMASK_BIT(CAP_SETPCAP) : 0);
	return 0;
}
