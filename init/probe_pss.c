#include "probe_pss.h"

#include <linux/capability.h>
#include <string.h>

#include "sbuf.h"

#define B(c) CAPMASK_BIT(c)

/* policy/check_capabilities_baseline.go: what baseline allows adding
 * (Docker's default set less NET_RAW). */
static const capmask baseline_adds = B(CAP_AUDIT_WRITE) | B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) |
				     B(CAP_FOWNER) | B(CAP_FSETID) | B(CAP_KILL) | B(CAP_MKNOD) |
				     B(CAP_NET_BIND_SERVICE) | B(CAP_SETFCAP) | B(CAP_SETGID) |
				     B(CAP_SETPCAP) | B(CAP_SETUID) | B(CAP_SYS_CHROOT);

/* policy/check_sysctls.go, the latest version's list: namespaced sysctls
 * isolated from other Pods. Both levels allow these and no other. */
static const char *const safe_sysctls[] = {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
};

static bool safe_sysctl(const char *name)
{
	for (size_t i = 0; i < sizeof safe_sysctls / sizeof safe_sysctls[0]; i++)
		if (strcmp(name, safe_sysctls[i]) == 0)
			return true;
	return false;
}

/* One failed rule: "; " between rules, the level's name before the first. */
static void fail(struct sbuf *s, const char *level, const char *id)
{
	sb_printf(s, "%s%s (", s->len ? "; " : level, id);
}

static bool baseline_fails(const struct pss_context *c, struct sbuf *s)
{
	const char *lv = "baseline: ";
	if (c->privileged) {
		fail(s, lv, "privileged");
		sb_puts(s, "must be false)");
	}
	if (c->add & ~baseline_adds) {
		fail(s, lv, "capabilities_baseline");
		sb_puts(s, "adds ");
		sb_caps(s, c->add & ~baseline_adds, ",");
		sb_puts(s, ", outside the default set)");
	}
	for (size_t i = 0; i < c->nsysctls && i < PSS_SYSCTLS_MAX; i++) {
		if (c->sysctls[i] && safe_sysctl(c->sysctls[i]))
			continue;
		fail(s, lv, "sysctls");
		sb_escaped(s, c->sysctls[i] ? c->sysctls[i] : "(null)", 64);
		sb_puts(s, " is not a safe sysctl)");
	}
	if (c->seccomp == PSS_SECCOMP_UNCONFINED) {
		fail(s, lv, "seccompProfile_baseline");
		sb_puts(s, "Unconfined)");
	}
	return s->len > 0;
}

static bool restricted_fails(const struct pss_context *c, struct sbuf *s)
{
	const char *lv = "restricted: ";
	capmask extra = c->add & ~B(CAP_NET_BIND_SERVICE);
	if (!c->drop_all || extra) {
		fail(s, lv, "capabilities_restricted");
		if (!c->drop_all)
			sb_printf(s, "must drop ALL%s", extra ? "; " : "");
		if (extra) {
			sb_puts(s, "adds ");
			sb_caps(s, extra, ",");
			sb_puts(s, "; only NET_BIND_SERVICE may be added");
		}
		sb_puts(s, ")");
	}
	if (c->run_as_non_root != 1) {
		fail(s, lv, "runAsNonRoot");
		sb_puts(s, "must be true)");
	}
	if (c->run_as_user == 0) {
		fail(s, lv, "runAsUser");
		sb_puts(s, "must not be 0)");
	}
	if (c->allow_privilege_escalation != 0) {
		fail(s, lv, "allowPrivilegeEscalation");
		sb_puts(s, "must be false)");
	}
	if (c->seccomp != PSS_SECCOMP_RUNTIME_DEFAULT && c->seccomp != PSS_SECCOMP_LOCALHOST) {
		fail(s, lv, "seccompProfile_restricted");
		sb_puts(s, "must be RuntimeDefault or Localhost)");
	}
	return s->len > 0;
}

enum pss_level pss_check(const struct pss_context *c, char *rule, size_t size)
{
	struct sbuf s;
	sb_init(&s, rule, size);
	if (baseline_fails(c, &s))
		return PSS_PRIVILEGED;
	if (restricted_fails(c, &s))
		return PSS_BASELINE;
	return PSS_RESTRICTED;
}

const char *pss_level_name(enum pss_level l)
{
	switch (l) {
	case PSS_RESTRICTED:
		return "restricted";
	case PSS_BASELINE:
		return "baseline";
	case PSS_PRIVILEGED:
		return "privileged";
	}
	return "unknown";
}
