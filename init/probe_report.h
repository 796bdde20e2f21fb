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
#include "probe_pss.h"
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

/* One line for stderr, without the "capinit: " prefix or the newline, at
 * most ~300 bytes (COMMAND's last line is cut with "..."):
 * "probe trial 7 (search) without CHOWN,SETUID: fails (nginx exited with
 * 1: [emerg] chown(...) failed) in 0.213 s". `base` is the set the trial's
 * set is shown against (what it removes from it), 0 for the whole set; a
 * trial that removes nothing from `base` is "with every candidate (N)" as
 * trial 1, else "with SET". `command`: COMMAND as the user named it (its
 * last path component is shown), NULL for none. */
void probe_report_progress(char *buf, size_t size, size_t number, const struct probe_trial *t,
			   capmask base, const char *command);

/* The result on stdout. The deployment lines are those of `portable`
 * (FOUND), of `verify_set | portable_added` (VERIFIED), of `smaller |
 * portable_added` (NOT_MINIMAL when smaller_works), none otherwise
 * (probe_deploy.h). Evidence is printed for every member kept, from
 * evidence[] (set it to -1 for every bit without a trial); a member not
 * needed is shown with the trial of SET without it that worked, found in
 * trials[]. `why` of each trial is a verb phrase whose subject is COMMAND
 * ("exited with 1 before listening on 80/tcp", "did not pass the check
 * within 2 s", "was killed by SIGSEGV"): lines read "nginx exited with 1:
 * LAST LINE". */
void probe_report_text(struct outbuf *out, const struct probe_result *r);
void probe_report_json(struct outbuf *out, const struct probe_result *r);

#endif
