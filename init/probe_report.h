/* The probe's output: progress lines, the result as text or as one JSON
 * object, the evidence beside every capability, and the least privileged
 * way to deploy the result on each target (Dockerfile ENV, docker run,
 * podman's image label, a Kubernetes securityContext with the Pod Security
 * Standard level it passes).
 *
 * Pure: formats what probe.c found into an outbuf; no system call. Every
 * byte that came from outside (COMMAND's output, names, paths) is escaped:
 * as \xHH in text, as JSON escapes in JSON. The JSON schema is in
 * docs/probe.md and stays stable. */
#ifndef INIT_PROBE_REPORT_H
#define INIT_PROBE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"
#include "fmt.h"
#include "probe_facts.h"
#include "probe_runner.h"
#include "probe_trial.h"

enum probe_outcome {
	PROBE_OUT_FOUND,        /* --probe: a set (exit 0) */
	PROBE_OUT_NONE,         /* COMMAND does not work even with every candidate (exit 1) */
	PROBE_OUT_UNSTABLE,     /* a set that worked failed again: no result (exit 1) */
	PROBE_OUT_VERIFIED,     /* --probe-verify: SET works, every member needed (exit 0) */
	PROBE_OUT_NOT_MINIMAL,  /* SET works, but members are not needed (exit 1) */
	PROBE_OUT_INSUFFICIENT, /* SET does not work (exit 1) */
};

struct probe_result {
	enum probe_outcome outcome;
	const char *runner;        /* "engine", "sandbox", "in place" */
	capmask candidates;
	/* FOUND: the set the trials showed; VERIFIED: SET. */
	capmask needed;
	/* What is printed and deployed: `needed` plus what a standard node
	 * needs that this place did not (portable_added, with the fact that
	 * made it so: a port below 1024 under ip_unprivileged_port_start=0). */
	capmask portable;
	capmask portable_added;
	/* --probe-verify */
	capmask verify_set;        /* SET */
	capmask not_needed;        /* members whose removal still worked */
	capmask smaller;           /* NOT_MINIMAL: SET − not_needed ... */
	bool smaller_works;        /* ... shown to work by a trial (else: search with --probe) */
	/* The user-namespace guard: the app works only with user namespaces
	 * allowed (CAPINIT_USERNS=1), shown by a trial. */
	bool userns_needed;
	/* Per capability bit: the index in trials[] of the trial that failed
	 * without it (the evidence), -1 where there is none (a portable
	 * addition, whose evidence is the fact). */
	int evidence[64];
	const struct probe_trial *trials;
	size_t ntrials;
	unsigned counts[PROBE_KIND_COUNT];
	bool redone;               /* a repeat failed: the search was redone strictly */
	bool files_persist;        /* in place: files written by a trial were seen by the next */
	/* NONE / UNSTABLE: what happened, one line. */
	const char *why;
	long long us;              /* the whole probe */
	const struct probe_facts *facts;
	const struct probe_target *target;
	const char *command;       /* COMMAND as the user named it, for evidence lines */
	unsigned port;             /* the port oracle, 0: none */
	bool udp;
	const char *check;         /* the check command, NULL: none */
};

/* One line for stderr, without the "capinit: " prefix or the newline:
 * "probe trial 7 (search) without CHOWN,SETUID: fails (nginx exited with
 * 1: [emerg] chown(...) failed) in 0.213 s". `base` is the set the trial's
 * set is shown against (what it removes from it), 0 for the whole set. */
void probe_report_progress(char *buf, size_t size, size_t number, const struct probe_trial *t,
			   capmask base);

/* The result on stdout. */
void probe_report_text(struct outbuf *out, const struct probe_result *r);
void probe_report_json(struct outbuf *out, const struct probe_result *r);

/* ---- the Pod Security Standards (pure, unit-tested) --------------------- */

enum pss_level { PSS_RESTRICTED, PSS_BASELINE, PSS_PRIVILEGED };

/* A container's securityContext as capinit prints it (pod-level fields
 * folded in: capinit prints one container). */
struct pss_context {
	int run_as_non_root;      /* -1 unset, 0 false, 1 true */
	long long run_as_user;    /* -1 unset */
	int allow_privilege_escalation; /* -1 unset, 0 false, 1 true */
	bool privileged;
	bool drop_all;            /* capabilities.drop: [ALL] */
	capmask add;              /* capabilities.add */
	bool seccomp_runtime_default; /* seccompProfile.type RuntimeDefault (or Localhost) */
	bool sysctl_port_start;   /* pod securityContext.sysctls: net.ipv4.ip_unprivileged_port_start */
};

/* The most restrictive level the context passes, and in *rule the rule of
 * the next level up that it fails ("restricted: capabilities.add may only
 * contain NET_BIND_SERVICE (adds SETUID)"), or NULL at restricted. The
 * rules are the standard's own (k8s.io/pod-security-admission, policy
 * version latest). */
enum pss_level pss_check(const struct pss_context *c, char *rule, size_t size);
const char *pss_level_name(enum pss_level l);

#endif
