#define _GNU_SOURCE
#include "privilege.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "procstatus.h"
#include "userns_guard.h"

/* capget/capset v3: two 32-bit words per set. */
struct capstate {
	capmask effective, permitted, inheritable;
};

static int get_caps(struct capstate *s)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (capget(&hdr, data) != 0)
		return -1;
	s->effective = data[0].effective | (capmask)data[1].effective << 32;
	s->permitted = data[0].permitted | (capmask)data[1].permitted << 32;
	s->inheritable = data[0].inheritable | (capmask)data[1].inheritable << 32;
	return 0;
}

static int set_caps(capmask effective, capmask permitted, capmask inheritable)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {
		{(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
		{(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32),
		 (uint32_t)(inheritable >> 32)},
	};
	return capset(&hdr, data);
}

/* The slow path, one prctl per capability: only where /proc/self/status
 * cannot be trusted or read. The kernel keeps ambient within permitted ∩
 * inheritable, so only those bits are asked about. */
static int read_by_syscalls(struct runtime *rt)
{
	struct capstate s;
	if (get_caps(&s) != 0)
		return -1;
	rt->effective = s.effective;
	rt->permitted = s.permitted;
	rt->inheritable = s.inheritable;
	for (int bit = 0; bit < rt->max_bits; bit++) {
		if (prctl(PR_CAPBSET_READ, bit, 0, 0, 0) == 1)
			rt->bounding |= CAPMASK_BIT(bit);
		if ((s.permitted & s.inheritable & CAPMASK_BIT(bit)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, bit, 0, 0) == 1)
			rt->ambient |= CAPMASK_BIT(bit);
	}
	if (getresuid(&rt->ruid, &rt->euid, &rt->suid) != 0 ||
	    getresgid(&rt->rgid, &rt->egid, &rt->sgid) != 0)
		return -1;
	gid_t groups[USER_MAX_GROUPS + 1];
	int n = getgroups(USER_MAX_GROUPS + 1, groups);
	if (n < 0 && errno != EINVAL)
		return -1;
	/* EINVAL: more groups than the buffer holds, and none was written.
	 * An overflowing list is never compared, so none is kept. */
	rt->groups_overflow = n < 0 || n > USER_MAX_GROUPS;
	rt->ngroups = rt->groups_overflow ? 0 : (size_t)n;
	memcpy(rt->groups, groups, rt->ngroups * sizeof groups[0]);
	rt->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	rt->sig_ign = ~(uint64_t)0; /* not known without /proc: reset them all */
	/* The mode, but not how many filters: only /proc says that. */
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	rt->seccomp_mode = mode < 0 ? -1 : mode;
	rt->seccomp_filters = -1;
	return 0;
}

static void from_status(const struct procstatus *st, struct runtime *rt)
{
	capmask kernel = capmask_first(rt->max_bits);
	rt->inheritable = st->cap_inh & kernel;
	rt->permitted = st->cap_prm & kernel;
	rt->effective = st->cap_eff & kernel;
	rt->bounding = st->cap_bnd & kernel;
	rt->ambient = st->cap_amb & kernel;
	rt->ruid = st->uid[0];
	rt->euid = st->uid[1];
	rt->suid = st->uid[2];
	rt->rgid = st->gid[0];
	rt->egid = st->gid[1];
	rt->sgid = st->gid[2];
	rt->groups_overflow = st->ngroups > USER_MAX_GROUPS;
	rt->ngroups = rt->groups_overflow ? USER_MAX_GROUPS : st->ngroups;
	memcpy(rt->groups, st->groups, rt->ngroups * sizeof st->groups[0]);
	rt->no_new_privs = st->no_new_privs;
	rt->sig_ign = st->sig_ign;
	rt->sig_ign_known = true;
	rt->seccomp_mode = st->seccomp_mode;
	rt->seccomp_filters = st->seccomp_filters;
}

/* How many capabilities the running kernel has: PR_CAPBSET_READ answers
 * EINVAL past the last one. The usual case, a kernel that matches our
 * headers, takes two calls; otherwise a binary search (libcap's
 * cap_max_bits() always searches, six calls at start-up). */
static int kernel_cap_bits(void)
{
	int known = CAP_LAST_CAP + 1;
	bool last_ok = prctl(PR_CAPBSET_READ, known - 1, 0, 0, 0) >= 0;
	bool next_ok = prctl(PR_CAPBSET_READ, known, 0, 0, 0) >= 0;
	if (last_ok && !next_ok)
		return known;
	int lo = last_ok ? known + 1 : 0, hi = last_ok ? 64 : known - 1; /* answer in [lo, hi] */
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2; /* is bit mid-1 valid? */
		if (prctl(PR_CAPBSET_READ, mid - 1, 0, 0, 0) >= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* max_bits: the kernel's capability count when the caller knows it already
 * (the kernel does not change under us), 0 to ask. Not cached in a static:
 * its first read and write would fault in a BSS page on every start. */
static int read_runtime(struct runtime *rt, int max_bits)
{
	memset(rt, 0, sizeof *rt);
	if (max_bits == 0)
		max_bits = kernel_cap_bits();
	rt->max_bits = max_bits > 0 && max_bits <= 64 ? max_bits : 64;
	struct procstatus st;
	if (procstatus_read(&st) == 0)
		from_status(&st, rt);
	else if (read_by_syscalls(rt) != 0)
		return -1;
	int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (sb < 0)
		return -1;
	rt->securebits = (unsigned)sb;
	return 0;
}

int privilege_read_runtime(struct runtime *rt) { return read_runtime(rt, 0); }

static int fail_step(const char *step)
{
	log_error("cannot apply the capability plan: %s: %s", step, strerror(errno));
	return -1;
}

/* Drop the bits of `have` that are not in `keep`: one prctl each, and none
 * for a bit that is already gone. Needs CAP_SETPCAP in the effective set. */
static int drop_bounding(capmask have, capmask keep, int max_bits)
{
	for (int bit = 0; bit < max_bits; bit++)
		if ((have & ~keep & CAPMASK_BIT(bit)) && prctl(PR_CAPBSET_DROP, bit, 0, 0, 0) != 0)
			return -1;
	return 0;
}

int privilege_shrink_bounding(const struct plan *p, struct runtime *rt)
{
	if (!p->reduce_bounding || (rt->bounding & ~p->bounding) == 0)
		return 0;
	if (!(rt->effective & CAPMASK_BIT(CAP_SETPCAP))) {
		if (set_caps(rt->permitted, rt->permitted, rt->inheritable) != 0)
			return fail_step("capset (raise effective)");
		rt->effective = rt->permitted;
	}
	if (drop_bounding(rt->bounding, p->bounding, rt->max_bits) != 0)
		return fail_step("PR_CAPBSET_DROP");
	rt->bounding &= p->bounding;
	return 0;
}

/* The id changes as direct system calls. musl's wrappers run them on every
 * thread of the process (POSIX wants all threads' ids to change), which
 * costs nine extra signal-mask calls in a process that has one thread.
 * 32-bit ARM keeps the old 16-bit calls under the plain names. */
#ifdef SYS_setresuid32
#define SETRESUID SYS_setresuid32
#define SETRESGID SYS_setresgid32
#define SETGROUPS SYS_setgroups32
#else
#define SETRESUID SYS_setresuid
#define SETRESGID SYS_setresgid
#define SETGROUPS SYS_setgroups
#endif

static int switch_user(const struct plan *p, const struct runtime *rt)
{
	/* Keep the permitted set across the uid change; the effective set is
	 * cleared by it and restored by the capset that follows. Not needed
	 * where the runtime's securebits keep capabilities already, and the
	 * flag goes back to what the runtime had (the verification checks). */
	bool need_keepcaps = !(rt->securebits & (SB_KEEP_CAPS | SB_NO_SETUID_FIXUP));
	if (need_keepcaps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return fail_step("PR_SET_KEEPCAPS");
	if (syscall(SETGROUPS, p->ngroups, p->groups) != 0)
		return fail_step("setgroups");
	if (syscall(SETRESGID, p->gid, p->gid, p->gid) != 0)
		return fail_step("setresgid");
	if (syscall(SETRESUID, p->uid, p->uid, p->uid) != 0)
		return fail_step("setresuid");
	if (need_keepcaps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		return fail_step("PR_SET_KEEPCAPS");
	return 0;
}

/* The user-namespace guard: one prctl. The kernel takes a filter from a
 * process under no_new_privs, or from one holding CAP_SYS_ADMIN. Nearly
 * all of its cost is the kernel's, and the same for a program of one
 * instruction: a page of vmalloc for the program, the JIT writing it into
 * executable memory (text_poke), per-CPU statistics (docs/userns.md). */
static int install_userns_guard(void)
{
	struct userns_insn prog[USERNS_GUARD_MAX_INSNS];
	const struct userns_arch *arch = userns_guard_native();
	size_t len = arch ? userns_guard_build(arch, prog, USERNS_GUARD_MAX_INSNS) : 0;
	struct userns_fprog fprog = {(unsigned short)len, prog};
	if (len == 0)
		errno = ENOSYS; /* no table for this build: plan_make refuses first */
	else if (prctl(PR_SET_SECCOMP, USERNS_SECCOMP_MODE_FILTER, (unsigned long)&fprog, 0, 0) == 0)
		return 0;
	int err = errno;
	/* EINVAL: no CONFIG_SECCOMP_FILTER, or qemu-user, which refuses a
	 * guest's filters (they would apply to the emulator's own calls). */
	log_error("cannot install the user-namespace guard (a seccomp filter): %s%s; set "
		  "CAPINIT_USERNS=1 to run without it",
		  strerror(err),
		  err == EINVAL ? " (a kernel without seccomp filters, or an emulator such as "
				  "qemu-user)"
				: "");
	return -1;
}

/* The kernel's view of the guard: filter mode, and exactly one filter more
 * than the runtime left (a kernel before 5.9 shows no count). */
static bool guard_in_place(const struct runtime *now, const struct runtime *rt)
{
	if (now->seccomp_mode != USERNS_SECCOMP_MODE_FILTER) {
		log_error("refusing to run COMMAND: Seccomp is %d with the user-namespace guard, "
			  "the plan says %d",
			  now->seccomp_mode, USERNS_SECCOMP_MODE_FILTER);
		return false;
	}
	if (rt->seccomp_filters >= 0 && now->seccomp_filters != rt->seccomp_filters + 1) {
		log_error("refusing to run COMMAND: Seccomp_filters is %d, the plan says %d",
			  now->seccomp_filters, rt->seccomp_filters + 1);
		return false;
	}
	return true;
}

static bool check_mask(const char *what, capmask have, capmask want)
{
	if (have == want)
		return true;
	log_error("refusing to run COMMAND: %s is %016llx after the transition, the plan says "
		  "%016llx",
		  what, (unsigned long long)have, (unsigned long long)want);
	return false;
}

static bool ids_are(const struct runtime *now, uid_t uid, gid_t gid)
{
	return now->ruid == uid && now->euid == uid && now->suid == uid && now->rgid == gid &&
	       now->egid == gid && now->sgid == gid;
}

/* Re-read everything from the kernel and compare with the plan. */
static int verify(const struct plan *p, const struct runtime *rt)
{
	struct runtime now;
	if (read_runtime(&now, rt->max_bits) != 0)
		return fail_step("reading credentials back");
	bool ok = check_mask("the bounding set", now.bounding, p->bounding) &&
		  check_mask("the permitted set", now.permitted, p->permitted) &&
		  check_mask("the effective set", now.effective, p->effective) &&
		  check_mask("the inheritable set", now.inheritable, p->inheritable) &&
		  check_mask("the ambient set", now.ambient, p->ambient);
	if (ok && now.no_new_privs != p->no_new_privs) {
		log_error("refusing to run COMMAND: no_new_privs is %d, the plan says %d",
			  now.no_new_privs, p->no_new_privs);
		ok = false;
	}
	if (ok && now.securebits != rt->securebits) {
		log_error("refusing to run COMMAND: securebits are 0x%x, the runtime's were 0x%x",
			  now.securebits, rt->securebits);
		ok = false;
	}
	bool ids_ok = p->switch_user
			      ? ids_are(&now, p->uid, p->gid) && !now.groups_overflow &&
					user_groups_equal(now.groups, now.ngroups, p->groups, p->ngroups)
			      : now.ruid == rt->ruid && now.euid == rt->euid && now.suid == rt->suid &&
					now.rgid == rt->rgid && now.egid == rt->egid &&
					now.sgid == rt->sgid;
	if (ok && !ids_ok) {
		log_error("refusing to run COMMAND: uid/gid/groups differ from the plan "
			  "(uid %u gid %u wanted)",
			  (unsigned)p->uid, (unsigned)p->gid);
		ok = false;
	}
	if (ok && p->userns_guard && !guard_in_place(&now, rt))
		ok = false;
	return ok ? 0 : -1;
}

int privilege_apply(const struct plan *p, const struct runtime *rt)
{
	bool touch_caps = p->spec_given || p->switch_user;
	bool drop_bnd = p->reduce_bounding && (rt->bounding & ~p->bounding) != 0;
	bool set_nnp = p->no_new_privs && !rt->no_new_privs;
	/* The guard without no_new_privs needs CAP_SYS_ADMIN, which the child
	 * still holds here (the plan made sure; and since the app is not to
	 * hold it, the plan touches the capabilities, so the capset below puts
	 * the effective set right again). */
	bool guard_by_admin = p->userns_guard && !p->no_new_privs;
	if ((touch_caps || drop_bnd || guard_by_admin) && rt->effective != rt->permitted) {
		/* Make every permitted capability effective: PR_CAPBSET_DROP needs
		 * CAP_SETPCAP, setgroups/setresuid need CAP_SETGID/CAP_SETUID. */
		if (set_caps(rt->permitted, rt->permitted, rt->inheritable) != 0)
			return fail_step("capset (raise effective)");
	}
	/* The user-namespace guard first of all: the kernel takes it from a
	 * process under no_new_privs (set here, where the plan sets it) or
	 * from a holder of CAP_SYS_ADMIN. First rather than last because a
	 * start measured 3-4% faster so on the shared VMs (the filter costs
	 * the same wherever it goes; docs/userns.md), and the result is the
	 * same: the verification checks it with the rest. */
	if (p->userns_guard) {
		if (set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			return fail_step("PR_SET_NO_NEW_PRIVS");
		set_nnp = false;
		if (install_userns_guard() != 0)
			return -1;
	}
	/* The bounding set first, while CAP_SETPCAP is still held (the parent
	 * has usually shrunk it already, and then this is nothing). */
	if (drop_bnd && drop_bounding(rt->bounding, p->bounding, rt->max_bits) != 0)
		return fail_step("PR_CAPBSET_DROP");
	if (touch_caps && rt->ambient != 0 &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return fail_step("PR_CAP_AMBIENT_CLEAR_ALL");
	if (p->switch_user && switch_user(p, rt) != 0)
		return -1;
	if (touch_caps) {
		if (set_caps(p->effective, p->permitted, p->inheritable) != 0)
			return fail_step("capset");
		/* Ambient raises must follow the uid change, which clears the
		 * ambient set, and need the bit in permitted and inheritable. */
		for (int bit = 0; bit < rt->max_bits; bit++)
			if ((p->ambient & CAPMASK_BIT(bit)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit, 0, 0) != 0)
				return fail_step("PR_CAP_AMBIENT_RAISE");
	}
	if (set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail_step("PR_SET_NO_NEW_PRIVS");
	return verify(p, rt);
}

int privilege_drop_self(const struct plan *p, const struct runtime *rt)
{
	/* What the app must never run beside: a PID 1 holding capabilities.
	 * CAP_SETPCAP stays a moment longer where the bounding set is still to
	 * be emptied (it gives no power over files or other processes), and
	 * privilege_finish_drop() lets it go. */
	capmask keep = p->parent_keep;
	if ((rt->permitted & CAPMASK_BIT(CAP_SETPCAP)) && rt->bounding != 0)
		keep |= CAPMASK_BIT(CAP_SETPCAP);
	if (set_caps(keep, keep, 0) != 0) {
		log_error("could not drop capinit's own capabilities: %s", strerror(errno));
		return -1;
	}
	if (!rt->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error("could not set no_new_privs on capinit: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void privilege_finish_drop(const struct plan *p, const struct runtime *rt)
{
	/* Best effort: capinit never executes anything, so its bounding set
	 * only matters as defence in depth. */
	if (!(rt->permitted & CAPMASK_BIT(CAP_SETPCAP)) || rt->bounding == 0)
		return;
	if (drop_bounding(rt->bounding, 0, rt->max_bits) != 0)
		log_error("could not empty capinit's own bounding set: %s", strerror(errno));
	if (set_caps(p->parent_keep, p->parent_keep, 0) != 0)
		log_error("could not drop CAP_SETPCAP: %s", strerror(errno));
	log_debug("capinit now keeps %s", p->parent_keep ? "only CAP_KILL" : "no capability");
}
