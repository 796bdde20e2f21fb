/* The Kubernetes Pod Security Standards, as a pure function of the one
 * container's securityContext capinit prints: which level it passes
 * (restricted, baseline, privileged) and the rule of the next level up
 * that it fails.
 *
 * The rules are the standard's own, policy version "latest", as the
 * reference implementation k8s.io/pod-security-admission (policy/check_*.go)
 * states them; its check IDs name the rules in the verdict
 * ("runAsUser", "capabilities_restricted"), so a reader can look each one
 * up. Only the fields capinit prints are modelled: host namespaces, host
 * ports, volumes, AppArmor, SELinux, procMount and Windows fields are
 * never set by capinit and pass both levels when unset. */
#ifndef INIT_PROBE_PSS_H
#define INIT_PROBE_PSS_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"

enum pss_level { PSS_RESTRICTED, PSS_BASELINE, PSS_PRIVILEGED };

enum pss_seccomp {
	PSS_SECCOMP_UNSET,           /* baseline: allowed; restricted: not */
	PSS_SECCOMP_RUNTIME_DEFAULT, /* both */
	PSS_SECCOMP_LOCALHOST,       /* both */
	PSS_SECCOMP_UNCONFINED,      /* neither */
};

#define PSS_SYSCTLS_MAX 4

/* A container's securityContext (pod-level fields folded in: capinit
 * prints one container; pod-level sysctls are the Pod's own). Capability
 * names are a mask: capinit prints them as the standard compares them,
 * bare upper-case names and ALL (`CAP_CHOWN`, `chown`, `all` would fail
 * the capability rules although runtimes accept them). */
struct pss_context {
	int run_as_non_root;            /* -1 unset, 0 false, 1 true */
	long long run_as_user;          /* -1 unset */
	int allow_privilege_escalation; /* -1 unset, 0 false, 1 true */
	bool privileged;
	bool drop_all;                  /* capabilities.drop: [ALL] */
	capmask add;                    /* capabilities.add */
	enum pss_seccomp seccomp;       /* seccompProfile.type */
	/* The Pod's securityContext.sysctls, by name. */
	const char *sysctls[PSS_SYSCTLS_MAX];
	size_t nsysctls;
};

/* The most restrictive level the context passes, and in rule the rules
 * of the next level up that it fails ("restricted: runAsUser (must not be
 * 0); capabilities_restricted (adds SETUID; only NET_BIND_SERVICE may be
 * added)"), "" at restricted. */
enum pss_level pss_check(const struct pss_context *c, char *rule, size_t size);
/* "restricted", "baseline", "privileged". */
const char *pss_level_name(enum pss_level l);

#endif
