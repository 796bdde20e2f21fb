#define _GNU_SOURCE
#include "privilege.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"

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

static capmask read_bounding(int max_bits)
{
	capmask m = 0;
	for (int bit = 0; bit < max_bits; bit++)
		if (prctl(PR_CAPBSET_READ, bit, 0, 0, 0) == 1)
			m |= CAPMASK_BIT(bit);
	return m;
}

static capmask read_ambient(int max_bits)
{
	capmask m = 0;
	for (int bit = 0; bit < max_bits; bit++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, bit, 0, 0) == 1)
			m |= CAPMASK_BIT(bit);
	return m;
}

int privilege_read_runtime(struct runtime *rt)
{
	memset(rt, 0, sizeof *rt);
	int max_bits = cap_max_bits();
	rt->max_bits = max_bits > 0 && max_bits <= 64 ? max_bits : 64;
	struct capstate s;
	if (get_caps(&s) != 0)
		return -1;
	rt->effective = s.effective;
	rt->permitted = s.permitted;
	rt->inheritable = s.inheritable;
	rt->bounding = read_bounding(rt->max_bits);
	rt->ambient = read_ambient(rt->max_bits);
	if (getresuid(&rt->ruid, &rt->euid, &rt->suid) != 0 ||
	    getresgid(&rt->rgid, &rt->egid, &rt->sgid) != 0)
		return -1;
	rt->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	return 0;
}

static int fail_step(const char *step)
{
	log_error("cannot apply the capability plan: %s: %s", step, strerror(errno));
	return -1;
}

static int drop_bounding(capmask keep, int max_bits)
{
	for (int bit = 0; bit < max_bits; bit++) {
		if (keep & CAPMASK_BIT(bit))
			continue;
		if (prctl(PR_CAPBSET_READ, bit, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, bit, 0, 0, 0) != 0)
			return -1;
	}
	return 0;
}

static int switch_user(const struct plan *p)
{
	/* Keep the permitted set across the uid change; the effective set is
	 * cleared by it and restored by the capset that follows. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return fail_step("PR_SET_KEEPCAPS");
	if (setgroups(p->ngroups, p->groups) != 0)
		return fail_step("setgroups");
	if (setresgid(p->gid, p->gid, p->gid) != 0)
		return fail_step("setresgid");
	if (setresuid(p->uid, p->uid, p->uid) != 0)
		return fail_step("setresuid");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		return fail_step("PR_SET_KEEPCAPS");
	return 0;
}

static bool same_groups(const struct plan *p)
{
	gid_t now[USER_MAX_GROUPS + 1];
	int n = getgroups(USER_MAX_GROUPS + 1, now);
	if (n < 0 || (size_t)n != p->ngroups)
		return false;
	for (size_t i = 0; i < p->ngroups; i++) {
		bool found = false;
		for (int j = 0; j < n; j++)
			found = found || now[j] == p->groups[i];
		if (!found)
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

/* Re-read everything from the kernel and compare with the plan. */
static int verify(const struct plan *p, const struct runtime *rt)
{
	struct runtime now;
	if (privilege_read_runtime(&now) != 0)
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
	if (ok && p->switch_user &&
	    (now.ruid != p->uid || now.euid != p->uid || now.suid != p->uid ||
	     now.rgid != p->gid || now.egid != p->gid || now.sgid != p->gid ||
	     !same_groups(p))) {
		log_error("refusing to run COMMAND: uid/gid/groups differ from the plan "
			  "(uid %u gid %u wanted)",
			  (unsigned)p->uid, (unsigned)p->gid);
		ok = false;
	}
	if (ok && !p->switch_user && now.euid != rt->euid) {
		log_error("refusing to run COMMAND: the uid changed unexpectedly");
		ok = false;
	}
	return ok ? 0 : -1;
}

int privilege_apply(const struct plan *p, const struct runtime *rt)
{
	bool touch_caps = p->spec_given || p->switch_user;
	if (touch_caps || p->reduce_bounding) {
		/* Make every permitted capability effective: PR_CAPBSET_DROP needs
		 * CAP_SETPCAP, setgroups/setresuid need CAP_SETGID/CAP_SETUID. */
		if (set_caps(rt->permitted, rt->permitted, rt->inheritable) != 0)
			return fail_step("capset (raise effective)");
	}
	/* The bounding set first, while CAP_SETPCAP is still held. */
	if (p->reduce_bounding && drop_bounding(p->bounding, rt->max_bits) != 0)
		return fail_step("PR_CAPBSET_DROP");
	if (touch_caps && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return fail_step("PR_CAP_AMBIENT_CLEAR_ALL");
	if (p->switch_user && switch_user(p) != 0)
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
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail_step("PR_SET_NO_NEW_PRIVS");
	return verify(p, rt);
}

void privilege_drop_self(const struct plan *p, const struct runtime *rt)
{
	/* Best effort on every step: the child already runs, and capinit
	 * itself never executes anything, so a failure here costs defence in
	 * depth, not the child's confinement. */
	if (rt->permitted & CAPMASK_BIT(CAP_SETPCAP)) {
		if (set_caps(rt->permitted, rt->permitted, rt->inheritable) != 0 ||
		    drop_bounding(0, rt->max_bits) != 0)
			log_error("could not empty capinit's own bounding set: %s",
				  strerror(errno));
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		log_debug("could not clear capinit's ambient set: %s", strerror(errno));
	if (set_caps(p->parent_keep, p->parent_keep, 0) != 0)
		log_error("could not drop capinit's own capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		log_error("could not set no_new_privs on capinit: %s", strerror(errno));
	log_debug("capinit now keeps %s", p->parent_keep ? "only CAP_KILL" : "no capability");
}
