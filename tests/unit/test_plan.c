/* The plan on made-up runtimes: Docker's default set, a full root, a
 * non-root runtime with nothing, no CAP_SETPCAP, and kernels with more or
 * fewer capabilities than the libcap headers. */
#include "plan.h"

#include <linux/capability.h>

#include "check.h"

#define B(c) CAPMASK_BIT(c)

static const capmask docker_default =
	B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) | B(CAP_MKNOD) |
	B(CAP_NET_RAW) | B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) |
	B(CAP_NET_BIND_SERVICE) | B(CAP_SYS_CHROOT) | B(CAP_KILL) | B(CAP_AUDIT_WRITE);

static struct runtime docker_root(void)
{
	struct runtime rt = {0};
	rt.max_bits = CAP_LAST_CAP + 1;
	rt.permitted = rt.effective = rt.bounding = docker_default;
	return rt;
}

static struct config spec(const char *drop, const char *add)
{
	struct config c;
	struct config_error e;
	char d[128], a[128];
	char *env[3] = {NULL, NULL, NULL};
	int n = 0;
	if (drop) {
		snprintf(d, sizeof d, "CAPINIT_CAP_DROP=%s", drop);
		env[n++] = d;
	}
	if (add) {
		snprintf(a, sizeof a, "CAPINIT_CAP_ADD=%s", add);
		env[n++] = a;
	}
	char *argv[] = {"capinit", "true", NULL};
	if (config_parse(&c, 2, argv, env, &e) != 0)
		fprintf(stderr, "config: %s\n", e.msg);
	c.command = NULL; /* argv is gone after this function */
	return c;
}

static struct user_ids app_user(void)
{
	struct user_ids ids = {.uid = 1000, .gid = 1000, .ngroups = 1, .groups = {1000}};
	return ids;
}

static void test_seed_as_root(void)
{
	struct runtime rt = docker_root();
	struct config c = spec("ALL", "NET_BIND_SERVICE");
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.handed, docker_default);
	CHECK_EQ_U64(p.bounding, B(CAP_NET_BIND_SERVICE));
	CHECK_EQ_U64(p.permitted, B(CAP_NET_BIND_SERVICE));
	CHECK_EQ_U64(p.effective, B(CAP_NET_BIND_SERVICE));
	CHECK_EQ_U64(p.inheritable, 0);
	CHECK_EQ_U64(p.ambient, 0);
	CHECK_EQ_U64(p.dropped, docker_default & ~B(CAP_NET_BIND_SERVICE));
	CHECK(p.reduce_bounding && !p.switch_user && p.no_new_privs);
	CHECK_EQ_U64(p.parent_keep, B(CAP_KILL));
}

static void test_seed_as_user(void)
{
	struct runtime rt = docker_root();
	struct config c = spec("ALL", "NET_BIND_SERVICE");
	struct user_ids ids = app_user();
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	capmask nbs = B(CAP_NET_BIND_SERVICE);
	CHECK_EQ_U64(p.bounding, nbs);
	CHECK_EQ_U64(p.permitted, nbs);
	CHECK_EQ_U64(p.effective, nbs);
	CHECK_EQ_U64(p.inheritable, nbs);
	CHECK_EQ_U64(p.ambient, nbs);
	CHECK(p.switch_user && p.uid == 1000 && p.gid == 1000 && p.ngroups == 1);
	CHECK(!p.cannot_signal_child);
	CHECK_EQ_U64(p.capinit_needs, nbs | B(CAP_SETUID) | B(CAP_SETGID) | B(CAP_KILL) |
					      B(CAP_SETPCAP));
	/* Without CAP_KILL capinit could not forward signals to uid 1000. */
	rt.permitted &= ~B(CAP_KILL);
	rt.bounding &= ~B(CAP_KILL);
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.cannot_signal_child);
}

static void test_drop_some_and_no_spec(void)
{
	struct runtime rt = docker_root();
	struct plan p;
	char err[512];
	struct config c = spec("chown, NET_RAW kill", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	capmask want = docker_default & ~(B(CAP_CHOWN) | B(CAP_NET_RAW) | B(CAP_KILL));
	CHECK_EQ_U64(p.bounding, want);
	CHECK_EQ_U64(p.permitted, want);
	/* Dropping what the runtime never gave changes nothing. */
	c = spec("SYS_ADMIN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.bounding, docker_default);
	CHECK(!p.reduce_bounding);

	/* No spec at all: everything stays as handed over. */
	c = spec(NULL, NULL);
	rt.inheritable = B(CAP_CHOWN);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.spec_given && !p.reduce_bounding);
	CHECK_EQ_U64(p.permitted, docker_default);
	CHECK_EQ_U64(p.inheritable, B(CAP_CHOWN));
	/* ... and a non-root user without ADD holds nothing, as under Docker. */
	struct user_ids ids = app_user();
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.permitted, 0);
	CHECK_EQ_U64(p.inheritable, 0);
	CHECK_EQ_U64(p.bounding, docker_default);
}

static void test_bounding_outside_permitted(void)
{
	/* A bit in the bounding set but not permitted is not in H and must
	 * leave the bounding set: a root child would get it back at execve. */
	struct runtime rt = docker_root();
	rt.bounding |= B(CAP_SYS_ADMIN);
	struct config c = spec("CHOWN", NULL);
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!(p.bounding & B(CAP_SYS_ADMIN)));
	CHECK(p.reduce_bounding);
}

static void test_add_outside_runtime(void)
{
	struct runtime rt = docker_root();
	struct config c = spec("ALL", "SYS_ADMIN");
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "CAPINIT_CAP_ADD: SYS_ADMIN not granted by the container runtime");
	CHECK_CONTAINS(err, "--cap-add=SYS_ADMIN");
	CHECK_CONTAINS(err, "securityContext.capabilities.add");

	/* Started as non-root with nothing (runAsNonRoot): say so. */
	struct runtime nonroot = {.max_bits = CAP_LAST_CAP + 1, .bounding = docker_default,
				  .ruid = 1000, .euid = 1000, .suid = 1000, .egid = 1000};
	c = spec(NULL, "NET_BIND_SERVICE");
	CHECK(plan_make(&c, NULL, &nonroot, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "runs as uid 1000 with no capabilities");
	/* ... while it still works as an init without a spec, */
	c = spec(NULL, NULL);
	CHECK(plan_make(&c, NULL, &nonroot, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.parent_keep, 0);
	/* and DROP=ALL is fine: bounding cannot shrink, but the child is
	 * non-root under no_new_privs. */
	c = spec("ALL", NULL);
	CHECK(plan_make(&c, NULL, &nonroot, &p, err, sizeof err) == 0);
	CHECK(p.bounding_kept_warning && !p.reduce_bounding);
	CHECK_EQ_U64(p.bounding, docker_default);
	CHECK_EQ_U64(p.permitted, 0);
}

static void test_no_setpcap(void)
{
	struct runtime rt = docker_root();
	rt.permitted &= ~B(CAP_SETPCAP);
	rt.bounding &= ~B(CAP_SETPCAP);
	struct config c = spec("ALL", "NET_BIND_SERVICE");
	struct plan p;
	char err[512];
	/* Root child: refuse. */
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "CAP_SETPCAP");
	CHECK_CONTAINS(err, "running as root");
	/* Non-root child under no_new_privs: allowed, bounding kept. */
	struct user_ids ids = app_user();
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.bounding_kept_warning);
	CHECK_EQ_U64(p.bounding, rt.bounding);
	CHECK_EQ_U64(p.ambient, B(CAP_NET_BIND_SERVICE));
	/* ... but not without no_new_privs. */
	c.no_new_privs = false;
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "without no_new_privs");
	/* Nothing to shrink: no CAP_SETPCAP needed. */
	c = spec(NULL, NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
}

static void test_user_switch_needs_setuid(void)
{
	struct runtime rt = docker_root();
	rt.permitted &= ~B(CAP_SETUID);
	struct config c = spec(NULL, NULL);
	struct user_ids ids = app_user();
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "CAP_SETUID");
}

static void test_kernel_newer_than_headers(void)
{
	/* Two capabilities libcap has no name for. */
	struct runtime rt = docker_root();
	rt.max_bits = CAP_LAST_CAP + 3;
	capmask newer = B(CAP_LAST_CAP + 1) | B(CAP_LAST_CAP + 2);
	rt.permitted |= newer;
	rt.bounding |= newer;
	struct plan p;
	char err[512];
	struct config c = spec("ALL", "KILL");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.bounding, B(CAP_KILL)); /* ALL reaches the unnamed ones */
	CHECK_EQ_U64(p.dropped & newer, newer);
	c = spec("CHOWN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.bounding & newer, newer); /* Docker semantics: H − DROP */
}

static void test_kernel_older_than_headers(void)
{
	struct runtime rt = docker_root();
	rt.max_bits = CAP_CHECKPOINT_RESTORE; /* lacks the newest one */
	struct plan p;
	char err[512];
	struct config c = spec("CHECKPOINT_RESTORE,CHOWN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK_EQ_U64(p.unsupported_drops, B(CAP_CHECKPOINT_RESTORE));
	CHECK(!(p.bounding & B(CAP_CHOWN)));
	c = spec("ALL", "CHECKPOINT_RESTORE");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "CHECKPOINT_RESTORE not supported by this kernel");
}

static void test_nnp(void)
{
	struct runtime rt = docker_root();
	struct config c = spec(NULL, NULL);
	struct plan p;
	char err[512];
	c.no_new_privs = false;
	c.userns = true; /* see test_userns_guard_without_nnp */
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.no_new_privs && !p.nnp_forced_by_runtime);
	rt.no_new_privs = true; /* allowPrivilegeEscalation: false */
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.no_new_privs && p.nnp_forced_by_runtime);
}

/* The user-namespace guard: on unless turned off or the app holds
 * CAP_SYS_ADMIN (in any set it keeps across execve). */
static void test_userns_guard(void)
{
	struct runtime rt = docker_root();
	struct config c = spec(NULL, NULL);
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard && !p.app_sys_admin);
	c.userns = true;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.userns_guard && !p.app_sys_admin);

	/* A root app handed everything keeps SYS_ADMIN: namespaces are its
	 * to make anyway. Dropped, the guard is back. */
	capmask all = capmask_first(CAP_LAST_CAP + 1);
	rt.permitted = rt.effective = rt.bounding = all;
	c = spec(NULL, NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.userns_guard && p.app_sys_admin);
	c = spec("SYS_ADMIN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard && !p.app_sys_admin);
	c = spec("ALL", "NET_BIND_SERVICE");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard);
	/* A non-root app given SYS_ADMIN holds it as an ambient capability. */
	struct user_ids ids = app_user();
	c = spec("ALL", "SYS_ADMIN");
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.userns_guard && p.app_sys_admin);
	CHECK(p.ambient & B(CAP_SYS_ADMIN));
	/* Switched to a non-root user without a spec: nothing kept, guarded. */
	c = spec(NULL, NULL);
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard);
}

/* Without no_new_privs the kernel takes a filter only from a holder of
 * CAP_SYS_ADMIN: capinit's child must have it, or the plan cannot hold. */
static void test_userns_guard_without_nnp(void)
{
	struct runtime rt = docker_root(); /* no SYS_ADMIN */
	struct config c = spec("ALL", "NET_BIND_SERVICE");
	struct plan p;
	char err[512];
	c.no_new_privs = false;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "CAPINIT_NO_NEW_PRIVS=0");
	CHECK_CONTAINS(err, "CAP_SYS_ADMIN");
	CHECK_CONTAINS(err, "CAPINIT_USERNS=1");
	c.userns = true;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.userns_guard);
	/* no_new_privs set by the runtime: the guard installs without it. */
	c.userns = false;
	rt.no_new_privs = true;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard && p.no_new_privs);
	/* capinit holds SYS_ADMIN, the app does not: installed first. */
	rt = docker_root();
	rt.permitted = rt.bounding = docker_default | B(CAP_SYS_ADMIN);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.userns_guard && !p.no_new_privs);
}

static void test_mixed_ids(void)
{
	struct runtime rt = docker_root();
	struct config c = spec("ALL", "KILL");
	struct plan p;
	char err[512];
	/* Real 0, effective 1000: root at execve by the real uid. */
	rt.euid = rt.suid = 1000;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "mixed user ids (real 0, effective 1000, saved 1000)");
	rt.ruid = 1000;
	rt.suid = 0; /* a saved root uid could be switched back to */
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == -1);
	/* Mixed without root: non-root rules whatever happens. */
	rt.ruid = 1000;
	rt.euid = rt.suid = 1001;
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.child_root);
	CHECK_EQ_U64(p.permitted, B(CAP_KILL));
	CHECK_EQ_U64(p.ambient, B(CAP_KILL));
	/* With CAPINIT_USER the ids are set explicitly: no ambiguity. */
	rt.ruid = 0;
	struct user_ids ids = app_user();
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.switch_user && !p.child_root);
}

static void test_securebits(void)
{
	struct runtime rt = docker_root();
	struct config seed = spec("ALL", "NET_BIND_SERVICE");
	struct user_ids ids = app_user();
	struct plan p;
	char err[512];
	rt.securebits = SB_NOROOT;
	CHECK(plan_make(&seed, NULL, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "SECBIT_NOROOT");
	/* Nothing to lose: a root app with an empty set, or a non-root one. */
	struct config none = spec("ALL", NULL);
	CHECK(plan_make(&none, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(plan_make(&seed, &ids, &rt, &p, err, sizeof err) == 0);
	/* No spec: the runtime's own result, not capinit's to change. */
	struct config nospec = spec(NULL, NULL);
	CHECK(plan_make(&nospec, NULL, &rt, &p, err, sizeof err) == 0);

	rt.securebits = SB_NO_CAP_AMBIENT_RAISE;
	CHECK(plan_make(&seed, &ids, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "SECBIT_NO_CAP_AMBIENT_RAISE");
	CHECK(plan_make(&seed, NULL, &rt, &p, err, sizeof err) == 0); /* root: no ambient */

	rt.securebits = SB_KEEP_CAPS_LOCKED;
	CHECK(plan_make(&seed, &ids, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "SECBIT_KEEP_CAPS is locked off");
	rt.securebits = SB_KEEP_CAPS_LOCKED | SB_NO_SETUID_FIXUP; /* caps kept anyway */
	CHECK(plan_make(&seed, &ids, &rt, &p, err, sizeof err) == 0);
}

static void test_already_the_user(void)
{
	/* An image with USER app and CAPINIT_USER=app: capinit runs as 1000
	 * with nothing, and nothing needs switching. */
	struct runtime rt = {0};
	rt.max_bits = CAP_LAST_CAP + 1;
	rt.ruid = rt.euid = rt.suid = 1000;
	rt.rgid = rt.egid = rt.sgid = 1000;
	rt.ngroups = 1;
	rt.groups[0] = 1000;
	struct config c = spec(NULL, NULL);
	struct user_ids ids = app_user();
	struct plan p;
	char err[512];
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.already_user && !p.switch_user && p.uid == 1000 && !p.child_root);
	/* Another group set: a real switch, which needs SETUID/SETGID. */
	rt.groups[0] = 50;
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "needs CAP_SETUID");
	rt.groups[0] = 1000;
	rt.egid = 0;
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == -1);
}

static void test_ptrace_flags(void)
{
	struct runtime rt = docker_root();
	rt.permitted |= B(CAP_SYS_PTRACE);
	rt.bounding |= B(CAP_SYS_PTRACE);
	struct plan p;
	char err[512];
	struct config c = spec("ALL", "SYS_PTRACE");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.app_can_ptrace_init && p.ptrace_added);
	c = spec("CHOWN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.app_can_ptrace_init && !p.ptrace_added);
	c = spec("ALL", "KILL");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.app_can_ptrace_init);
}

/* CAP_SYS_ADMIN reads the non-dumpable PID 1's /proc/1/environ: the same
 * two flags as SYS_PTRACE (issue 18). */
static void test_sys_admin_flags(void)
{
	struct runtime rt = docker_root();
	rt.permitted |= B(CAP_SYS_ADMIN);
	rt.bounding |= B(CAP_SYS_ADMIN);
	struct plan p;
	char err[512];
	struct config c = spec("ALL", "SYS_ADMIN");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.app_can_read_init && p.sys_admin_added);
	c = spec("CHOWN", NULL);
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(p.app_can_read_init && !p.sys_admin_added);
	c = spec("ALL", "KILL");
	CHECK(plan_make(&c, NULL, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.app_can_read_init && !p.sys_admin_added);
}

/* A named user that /etc/passwd maps to uid 0 (app:x:0:0) is flagged; a
 * number, or "root" itself, says what it is. */
static void test_named_user_is_root(void)
{
	struct runtime rt = docker_root();
	struct plan p;
	char err[512];
	struct user_ids ids = {.uid = 0, .gid = 0, .ngroups = 1, .groups = {0}};
	struct config c = spec(NULL, NULL);
	c.user = (struct id_spec){.set = true, .name = "app"};
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(p.named_user_is_root);
	c.user = (struct id_spec){.set = true, .name = "root"};
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.named_user_is_root);
	c.user = (struct id_spec){.set = true, .numeric = true, .id = 0};
	CHECK(plan_make(&c, &ids, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.named_user_is_root);
	struct user_ids app = app_user();
	c.user = (struct id_spec){.set = true, .name = "app"};
	CHECK(plan_make(&c, &app, &rt, &p, err, sizeof err) == 0);
	CHECK(!p.named_user_is_root);
}

int main(void)
{
	test_sys_admin_flags();
	test_named_user_is_root();
	test_mixed_ids();
	test_securebits();
	test_already_the_user();
	test_ptrace_flags();
	test_seed_as_root();
	test_seed_as_user();
	test_drop_some_and_no_spec();
	test_bounding_outside_permitted();
	test_add_outside_runtime();
	test_no_setpcap();
	test_user_switch_needs_setuid();
	test_kernel_newer_than_headers();
	test_kernel_older_than_headers();
	test_nnp();
	test_userns_guard();
	test_userns_guard_without_nnp();
	return check_report("test_plan");
}
