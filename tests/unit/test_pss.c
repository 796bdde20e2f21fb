/* pss_check against the Pod Security Standards' own fixtures: each case is
 * the container (pod-level fields folded in) of one file of
 * k8s.io/pod-security-admission test/testdata/{baseline,restricted}/v1.37/
 * {pass,fail}/, named beside it, and asserts the level and the rule that the
 * reference implementation's check of that name decides. Fixtures whose
 * field capinit never prints (host namespaces, volumes, AppArmor, SELinux,
 * procMount, Windows) are not mirrored; capabilities_baseline2/3 (`chown`,
 * `CAP_CHOWN`) are about spelling, which a capmask cannot hold: the printed
 * YAML's spelling is asserted in test_probe_report.c. */
#include "probe_pss.h"

#include <linux/capability.h>

#include "check.h"

#define B(c) CAPMASK_BIT(c)

/* restricted/v1.37/pass/base.yaml: drop ALL, allowPrivilegeEscalation
 * false, pod runAsNonRoot true and seccompProfile RuntimeDefault. */
static struct pss_context restricted_base(void)
{
	struct pss_context c = {
		.run_as_non_root = 1,
		.run_as_user = -1,
		.allow_privilege_escalation = 0,
		.drop_all = true,
		.seccomp = PSS_SECCOMP_RUNTIME_DEFAULT,
	};
	return c;
}

/* baseline/v1.37/pass/base.yaml: no securityContext at all. */
static struct pss_context baseline_base(void)
{
	struct pss_context c = {
		.run_as_non_root = -1,
		.run_as_user = -1,
		.allow_privilege_escalation = -1,
	};
	return c;
}

static char rule[512];

static enum pss_level level(const struct pss_context *c)
{
	return pss_check(c, rule, sizeof rule);
}

static const capmask baseline_adds = B(CAP_AUDIT_WRITE) | B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) |
				     B(CAP_FOWNER) | B(CAP_FSETID) | B(CAP_KILL) | B(CAP_MKNOD) |
				     B(CAP_NET_BIND_SERVICE) | B(CAP_SETFCAP) | B(CAP_SETGID) |
				     B(CAP_SETPCAP) | B(CAP_SETUID) | B(CAP_SYS_CHROOT);

static void restricted_fixtures(void)
{
	struct pss_context c = restricted_base();
	/* pass/base.yaml, pass/runasnonroot0.yaml, pass/seccompprofile_restricted0.yaml,
	 * pass/sysctls0.yaml, pass/privileged0.yaml (privileged: false) */
	CHECK(level(&c) == PSS_RESTRICTED);
	CHECK(rule[0] == '\0');

	/* pass/capabilities_restricted0.yaml: add NET_BIND_SERVICE */
	c = restricted_base();
	c.add = B(CAP_NET_BIND_SERVICE);
	CHECK(level(&c) == PSS_RESTRICTED);

	/* fail/capabilities_restricted0.yaml, 1: capabilities: {} (no drop) */
	c = restricted_base();
	c.drop_all = false;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: capabilities_restricted (must drop ALL)");
	/* fail/capabilities_restricted2.yaml: every capability dropped by
	 * name, but not ALL: the rule asks for the string ALL. */
	CHECK(level(&c) == PSS_BASELINE);

	/* fail/capabilities_restricted3.yaml: all thirteen of baseline's adds */
	c = restricted_base();
	c.add = baseline_adds;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "capabilities_restricted (adds CHOWN,");
	CHECK_CONTAINS(rule, "only NET_BIND_SERVICE may be added)");
	CHECK(strstr(rule, "NET_BIND_SERVICE,") == NULL); /* NET_BIND_SERVICE is not among the faults */

	/* fail/capabilities_baseline0.yaml, 1: add NET_RAW fails baseline too */
	c = restricted_base();
	c.add = B(CAP_NET_RAW);
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "baseline: capabilities_baseline (adds NET_RAW, outside the default set)");

	/* fail/runasnonroot0.yaml: runAsNonRoot unset */
	c = restricted_base();
	c.run_as_non_root = -1;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: runAsNonRoot (must be true)");
	/* fail/runasnonroot1.yaml (pod), 2, 3 (containers): runAsNonRoot false */
	c.run_as_non_root = 0;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "runAsNonRoot");
	/* pass/runasnonroot1.yaml: set on the containers instead of the pod:
	 * folded in, the same context as base */

	/* fail/runasuser0.yaml (pod), 1, 2 (containers): runAsUser 0 with
	 * runAsNonRoot true */
	c = restricted_base();
	c.run_as_user = 0;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: runAsUser (must not be 0)");
	/* pass/runasuser0.yaml: runAsUser 1000 */
	c.run_as_user = 1000;
	CHECK(level(&c) == PSS_RESTRICTED);

	/* fail/allowprivilegeescalation0.yaml, 1: true */
	c = restricted_base();
	c.allow_privilege_escalation = 1;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: allowPrivilegeEscalation (must be false)");
	/* fail/allowprivilegeescalation2.yaml, 3: unset */
	c.allow_privilege_escalation = -1;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "allowPrivilegeEscalation");

	/* fail/seccompprofile_restricted0.yaml, 2, 3: unset (for some container) */
	c = restricted_base();
	c.seccomp = PSS_SECCOMP_UNSET;
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: seccompProfile_restricted (must be RuntimeDefault or Localhost)");
	/* fail/seccompprofile_restricted1.yaml, 4, fail/seccompprofile_baseline0.yaml:
	 * Unconfined fails baseline as well */
	c.seccomp = PSS_SECCOMP_UNCONFINED;
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "baseline: seccompProfile_baseline (Unconfined)");
	/* pass/seccompprofile_restricted1.yaml, 2: Localhost */
	c.seccomp = PSS_SECCOMP_LOCALHOST;
	CHECK(level(&c) == PSS_RESTRICTED);

	/* pass/sysctls1.yaml: tcp_slow_start_after_idle, tcp_notsent_lowat (new in the latest list) */
	c = restricted_base();
	c.sysctls[0] = "net.ipv4.tcp_slow_start_after_idle";
	c.sysctls[1] = "net.ipv4.tcp_notsent_lowat";
	c.nsysctls = 2;
	CHECK(level(&c) == PSS_RESTRICTED);
	/* fail/sysctls0.yaml: othersysctl */
	c.sysctls[1] = "othersysctl";
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "baseline: sysctls (othersysctl is not a safe sysctl)");

	/* fail/privileged0.yaml, 1: privileged true */
	c = restricted_base();
	c.privileged = true;
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "baseline: privileged (must be false)");
}

static void baseline_fixtures(void)
{
	/* pass/base.yaml, pass/privileged0.yaml: passes baseline; restricted
	 * fails on every one of its rules, each named */
	struct pss_context c = baseline_base();
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "restricted: capabilities_restricted (must drop ALL)");
	CHECK_CONTAINS(rule, "; runAsNonRoot (must be true)");
	CHECK_CONTAINS(rule, "; allowPrivilegeEscalation (must be false)");
	CHECK_CONTAINS(rule, "; seccompProfile_restricted");
	CHECK(strstr(rule, "runAsUser") == NULL); /* unset is fine */

	/* pass/capabilities_baseline0.yaml: all thirteen added, nothing dropped */
	c.add = baseline_adds;
	CHECK(level(&c) == PSS_BASELINE);
	/* fail/capabilities_baseline0.yaml, 1: NET_RAW */
	c.add = B(CAP_NET_RAW) | B(CAP_CHOWN);
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "(adds NET_RAW,");
	c.add = B(CAP_SYS_ADMIN) | B(CAP_NET_RAW);
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "adds NET_RAW,SYS_ADMIN");

	/* pass/seccompprofile_baseline0.yaml: RuntimeDefault; fail/seccompprofile_baseline0.yaml: Unconfined */
	c = baseline_base();
	c.seccomp = PSS_SECCOMP_RUNTIME_DEFAULT;
	CHECK(level(&c) == PSS_BASELINE);
	c.seccomp = PSS_SECCOMP_UNCONFINED;
	CHECK(level(&c) == PSS_PRIVILEGED);

	/* pass/sysctls1.yaml: tcp_rmem, tcp_wmem; fail/sysctls0.yaml: othersysctl */
	c = baseline_base();
	c.sysctls[0] = "net.ipv4.tcp_rmem";
	c.sysctls[1] = "net.ipv4.tcp_wmem";
	c.nsysctls = 2;
	CHECK(level(&c) == PSS_BASELINE);
	c.sysctls[0] = "othersysctl";
	CHECK(level(&c) == PSS_PRIVILEGED);

	/* fail/privileged0.yaml, 1 */
	c = baseline_base();
	c.privileged = true;
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "privileged (must be false)");
}

/* The forms capinit prints. */
static void capinit_forms(void)
{
	/* README's Kubernetes recipe: root start for capinit, which keeps
	 * NET_BIND_SERVICE for the app as CAPINIT_USER: baseline, and each
	 * restricted rule it fails named. */
	struct pss_context c = {
		.run_as_non_root = -1,
		.run_as_user = 0,
		.allow_privilege_escalation = 0,
		.drop_all = true,
		.add = B(CAP_NET_BIND_SERVICE) | B(CAP_SETUID) | B(CAP_SETGID) | B(CAP_SETPCAP) |
		       B(CAP_KILL),
		.seccomp = PSS_SECCOMP_UNSET,
	};
	CHECK(level(&c) == PSS_BASELINE);
	CHECK_CONTAINS(rule, "capabilities_restricted (adds KILL,SETGID,SETUID,SETPCAP;");
	CHECK_CONTAINS(rule, "runAsNonRoot (must be true)");
	CHECK_CONTAINS(rule, "runAsUser (must not be 0)");
	CHECK_CONTAINS(rule, "seccompProfile_restricted");
	/* The same with RuntimeDefault, as the probe prints it: still baseline. */
	c.seccomp = PSS_SECCOMP_RUNTIME_DEFAULT;
	CHECK(level(&c) == PSS_BASELINE);

	/* A non-root app run as its user with the port sysctl and no
	 * capability: restricted (the sysctl is on both levels' list). */
	struct pss_context s = restricted_base();
	s.run_as_user = 65534;
	s.sysctls[0] = "net.ipv4.ip_unprivileged_port_start";
	s.nsysctls = 1;
	CHECK(level(&s) == PSS_RESTRICTED);
	CHECK(rule[0] == '\0');
	/* ping_group_range is on the list too */
	s.sysctls[0] = "net.ipv4.ping_group_range";
	CHECK(level(&s) == PSS_RESTRICTED);

	/* A root app that needs SYS_ADMIN: privileged. */
	c = restricted_base();
	c.run_as_non_root = -1;
	c.add = B(CAP_SYS_ADMIN);
	CHECK(level(&c) == PSS_PRIVILEGED);
	CHECK_CONTAINS(rule, "adds SYS_ADMIN");

	/* A short buffer cuts the rule, never overflows. */
	char small[16];
	CHECK(pss_check(&c, small, sizeof small) == PSS_PRIVILEGED);
	CHECK(strlen(small) == sizeof small - 1);

	CHECK(strcmp(pss_level_name(PSS_RESTRICTED), "restricted") == 0);
	CHECK(strcmp(pss_level_name(PSS_BASELINE), "baseline") == 0);
	CHECK(strcmp(pss_level_name(PSS_PRIVILEGED), "privileged") == 0);
}

int main(void)
{
	restricted_fixtures();
	baseline_fixtures();
	capinit_forms();
	return check_report("test_pss");
}
