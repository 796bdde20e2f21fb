/* One probe trial as every part of the probe sees it: a runner runs it and
 * fills the record, the search reads `works`, the output prints it (the
 * progress line, the evidence beside each capability, --probe-json). */
#ifndef INIT_PROBE_TRIAL_H
#define INIT_PROBE_TRIAL_H

#include <stdbool.h>

#include "capset.h"

/* Why a trial was run. The search's bound counts PROBE_KIND_SEARCH only. */
enum probe_kind {
	PROBE_KIND_SEARCH,  /* a step of the search (trial 1 included) */
	PROBE_KIND_CONFIRM, /* result − member, for a member not yet shown needed by it */
	PROBE_KIND_REPEAT,  /* the result (or the verified SET) run again */
	PROBE_KIND_VERIFY,  /* --probe-verify: SET itself, or SET − member */
	PROBE_KIND_USERNS,  /* the same set with user namespaces allowed (CAPINIT_USERNS=1) */
	PROBE_KIND_COUNT
};

/* What decided the verdict. The first three are "works". */
enum probe_reason {
	PROBE_R_EXITED_0,     /* no server oracle: COMMAND exited 0, nothing of it left */
	PROBE_R_LISTENING,    /* --probe-port: a socket of the trial's listens (TCP) / is bound (UDP) */
	PROBE_R_CHECK_PASSED, /* --probe-check exited 0 while COMMAND ran (after the port, if any) */
	PROBE_R_EXITED,       /* COMMAND exited with a non-zero status, or before a server oracle held */
	PROBE_R_SIGNALED,     /* COMMAND was killed by a signal */
	PROBE_R_TIMEOUT,      /* the oracle did not hold within --probe-timeout */
	PROBE_R_EXEC_FAILED,  /* COMMAND could not be executed (errno in `err`) */
	PROBE_R_FILE_CAPS,    /* execve EPERM: the file's capabilities lie outside the trial's bounding set */
	PROBE_R_DAEMONIZED,   /* COMMAND exited 0 while processes it started still ran */
	PROBE_R_COUNT
};

#define PROBE_LINE_MAX 160

struct probe_trial {
	capmask set;        /* DROP=ALL ADD=set */
	enum probe_kind kind;
	bool userns;        /* run with user namespaces allowed (the guard off) */
	bool works;
	enum probe_reason reason;
	int exit_code;      /* COMMAND's own exit status, -1: it did not exit (or never ran) */
	int signal;         /* the signal that killed COMMAND, 0: none */
	int err;            /* PROBE_R_EXEC_FAILED / FILE_CAPS: execve's errno */
	long long us;       /* wall time of the trial, start to every process gone */
	/* The human reason, one line: "exited with 1 before listening on 80/tcp". */
	char why[192];
	/* COMMAND's last non-empty line of output (stdout and stderr), with
	 * every byte outside printable ASCII escaped as \xHH and cut to fit:
	 * the evidence a reviewer reads. Empty when it printed nothing. */
	char last_line[PROBE_LINE_MAX];
};

/* "exited-0", "listening", ...: the stable names --probe-json uses. */
const char *probe_reason_name(enum probe_reason r);
/* "search", "confirm", "repeat", "verify", "userns". */
const char *probe_kind_name(enum probe_kind k);

#endif
