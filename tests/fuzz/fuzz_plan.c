/* plan_make() on a fuzzed config and a made-up runtime.
 *
 * Input: a 54-byte header, then a command line and environment as
 * fuzz_config reads them (byte 51 picks argv[0]). The header is the
 * runtime: permitted, effective, inheritable, bounding, ambient (8 bytes
 * each), the kernel's capability count (1..64), flags (no_new_privs; real,
 * effective, saved uid and the gids 0 or 1000), the resolved user's uid,
 * gid and group count when the config asks for a user, the securebits and
 * capinit's own supplementary groups. The runtime is made kernel-consistent (effective
 * within permitted, ambient within permitted and inheritable, everything
 * within the kernel's capabilities): the plan is only defined for a state
 * the kernel can hand over.
 *
 * Invariants: nothing in a child set the runtime did not hand over; with a
 * spec, bounding within H = permitted ∩ bounding (unless it is kept as
 * handed, which is allowed only for a non-root child under no_new_privs),
 * every child set within the bounding set and H, dropped capabilities in no
 * child set, ambient within permitted ∩ inheritable, a non-root child's
 * permitted and ambient exactly ADD, a root child with empty inheritable
 * and ambient; no_new_privs unless disabled; the user-namespace guard
 * unless disabled or the app keeps SYS_ADMIN, and only where the child can
 * install it; no plan that the securebits
 * or mixed uids would make the kernel break; an error leaves a message that
 * logs as one printable line. */
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>

#include "capset.h"
#include "config.h"
#include "fuzz_input.h"
#include "plan.h"
#include "user.h"

#define HEADER 54

static capmask mask_at(const uint8_t *p)
{
	capmask m;
	memcpy(&m, p, sizeof m);
	return m;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static bool within(capmask a, capmask b) { return (a & ~b) == 0; }

static void check_plan(const struct config *cfg, const struct user_ids *ids,
		       const struct runtime *rt, const struct plan *p)
{
	capmask kernel = capmask_first(rt->max_bits);
	capmask handed = rt->permitted & rt->bounding & kernel;
	capmask children = p->permitted | p->effective | p->inheritable | p->ambient;
	FUZZ_ASSERT(p->kernel == kernel);
	FUZZ_ASSERT(p->handed == handed);
	/* Nothing new: no set wider than what the runtime has. */
	FUZZ_ASSERT(within(p->bounding, rt->bounding & kernel));
	FUZZ_ASSERT(within(p->permitted | p->effective, rt->permitted));
	FUZZ_ASSERT(within(p->ambient, p->permitted & p->inheritable));
	FUZZ_ASSERT(within(p->effective, p->permitted));
	FUZZ_ASSERT(p->no_new_privs == (cfg->no_new_privs || rt->no_new_privs));
	FUZZ_ASSERT(within(p->parent_keep, rt->permitted));
	/* The user-namespace guard: on unless turned off or the app keeps
	 * SYS_ADMIN; without no_new_privs only where the child can install it
	 * (holding SYS_ADMIN). */
	capmask holds = p->permitted | p->effective | p->ambient;
	FUZZ_ASSERT(p->userns_guard == (!cfg->userns && !(holds & CAPMASK_BIT(CAP_SYS_ADMIN))));
	FUZZ_ASSERT(!p->userns_guard || p->no_new_privs ||
		    (rt->permitted & CAPMASK_BIT(CAP_SYS_ADMIN)));

	/* Who the child is: root rules at execve follow the real and the
	 * effective uid, so mixed ids with a 0 among them need a user. */
	if (ids != NULL) {
		FUZZ_ASSERT(p->switch_user != p->already_user);
		FUZZ_ASSERT(p->uid == ids->uid && p->gid == ids->gid);
		FUZZ_ASSERT(p->child_root == (ids->uid == 0));
		if (p->switch_user)
			FUZZ_ASSERT(p->ngroups == ids->ngroups);
		else
			FUZZ_ASSERT(rt->ruid == ids->uid && rt->euid == ids->uid && rt->suid == ids->uid);
	} else {
		FUZZ_ASSERT(!p->switch_user && !p->already_user);
		bool mixed = rt->ruid != rt->euid || rt->euid != rt->suid;
		FUZZ_ASSERT(!mixed || (rt->ruid != 0 && rt->euid != 0 && rt->suid != 0));
		FUZZ_ASSERT(p->child_root == (rt->euid == 0));
	}
	if (p->switch_user && !p->child_root)
		FUZZ_ASSERT(within(CAPMASK_BIT(6) | CAPMASK_BIT(7), rt->permitted)); /* SETGID, SETUID */

	/* No plan the runtime's securebits would make the kernel break. */
	if (p->spec_given && p->child_root && p->permitted != 0)
		FUZZ_ASSERT(!(rt->securebits & SB_NOROOT));
	if (p->spec_given && p->ambient != 0)
		FUZZ_ASSERT(!(rt->securebits & SB_NO_CAP_AMBIENT_RAISE));

	if (!p->spec_given) {
		FUZZ_ASSERT(!cfg->drop_set && !cfg->add_set);
		if (p->switch_user && !p->child_root)
			FUZZ_ASSERT(children == 0);
		return;
	}
	FUZZ_ASSERT(within(children, handed));
	FUZZ_ASSERT(within(children, p->bounding));
	if (p->bounding_kept_warning) {
		/* Allowed only for a non-root child under no_new_privs. */
		FUZZ_ASSERT(!p->child_root && p->no_new_privs && !p->reduce_bounding);
		FUZZ_ASSERT(p->bounding == (rt->bounding & kernel));
	} else {
		FUZZ_ASSERT(within(p->bounding, handed));
		FUZZ_ASSERT((p->dropped & p->bounding) == 0);
		if (!cfg->drop_all)
			FUZZ_ASSERT((cfg->drop & p->bounding) == 0);
		else
			FUZZ_ASSERT(p->bounding == cfg->add);
		FUZZ_ASSERT(p->reduce_bounding == (p->bounding != (rt->bounding & kernel)));
	}
	FUZZ_ASSERT(p->dropped == (handed & ~(cfg->drop_all ? 0 : handed & ~cfg->drop) & ~cfg->add));
	FUZZ_ASSERT((p->dropped & children) == 0);
	FUZZ_ASSERT((cfg->drop & children) == 0);
	FUZZ_ASSERT(within(cfg->add, p->permitted));
	if (cfg->drop_all)
		FUZZ_ASSERT(within(children, cfg->add));
	if (p->child_root) {
		/* An inheritable capability would come back at execve. */
		FUZZ_ASSERT(p->inheritable == 0 && p->ambient == 0);
	} else {
		/* A non-root child keeps across execve exactly its ambient set. */
		FUZZ_ASSERT(p->permitted == cfg->add && p->ambient == cfg->add);
		FUZZ_ASSERT(p->inheritable == cfg->add && p->effective == cfg->add);
	}
	if (p->reduce_bounding)
		FUZZ_ASSERT(rt->permitted & CAPMASK_BIT(8)); /* CAP_SETPCAP */
	FUZZ_ASSERT(p->ptrace_added == ((cfg->add & CAPMASK_BIT(19)) != 0)); /* SYS_PTRACE */
	FUZZ_ASSERT(p->app_can_ptrace_init == (((p->permitted | p->ambient) & CAPMASK_BIT(19)) != 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	struct runtime rt = {0};
	rt.max_bits = 1 + data[40] % 64;
	capmask kernel = capmask_first(rt.max_bits);
	rt.permitted = mask_at(data) & kernel;
	rt.effective = mask_at(data + 8) & rt.permitted;
	rt.inheritable = mask_at(data + 16) & kernel;
	rt.bounding = mask_at(data + 24) & kernel;
	rt.ambient = mask_at(data + 32) & rt.permitted & rt.inheritable;
	uint8_t flags = data[41];
	rt.no_new_privs = flags & 1;
	uint8_t more = data[53];
	rt.ruid = flags & 2 ? 1000 : 0;
	rt.euid = flags & 4 ? 1000 : 0;
	rt.suid = more & 1 ? 1000 : 0;
	rt.rgid = rt.egid = rt.sgid = flags & 8 ? 1000 : 0;
	rt.securebits = data[52] & 0x7f;
	rt.groups_overflow = more & 2;
	rt.ngroups = (size_t)(more >> 2); /* 0..63 */
	for (size_t i = 0; i < rt.ngroups; i++)
		rt.groups[i] = rt.rgid + (gid_t)i;
	rt.sig_ign = 0;

	struct fuzz_words w;
	fuzz_words_split(&w, data[51], data + HEADER, size - HEADER);
	struct config cfg;
	struct config_error cerr;
	if (config_parse(&cfg, w.argc, w.argv, w.envp, &cerr) != 0) {
		fuzz_words_free(&w);
		return 0;
	}

	/* A resolved user when one is asked for: the spec's numbers, else
	 * made-up ones (what the passwd file would say). */
	struct user_ids ids = {0};
	if (cfg.user.set) {
		/* 0, 1000 (perhaps capinit's own ids) or another. */
		static const uint32_t uids[] = {0, 1000, 1, 65534};
		ids.uid = cfg.user.numeric ? cfg.user.id : uids[u32_at(data + 42) % 4];
		ids.gid = cfg.group.set && cfg.group.numeric ? cfg.group.id
			  : data[46] & 1 ? 1000 : u32_at(data + 46);
		ids.ngroups = 1 + data[50] % USER_MAX_GROUPS;
		for (size_t i = 0; i < ids.ngroups; i++)
			ids.groups[i] = ids.gid + (gid_t)i;
		ids.has_home = flags & 16;
		if (ids.has_home)
			memcpy(ids.home_env, "HOME=/home/app", 15);
	}

	struct plan plan;
	char err[512] = "";
	const struct user_ids *idp = cfg.user.set ? &ids : NULL;
	int rc = plan_make(&cfg, idp, &rt, &plan, err, sizeof err);
	if (rc == 0)
		check_plan(&cfg, idp, &rt, &plan);
	else
		fuzz_check_message(err, sizeof err);
	fuzz_words_free(&w);
	return 0;
}
