/* The probe's runners: each runs one trial as a first start, one interface.
 *
 * A trial is COMMAND run as production would run it with DROP=ALL ADD=S
 * (and the user-namespace guard unless `userns`). Three ways, the first
 * that applies (probe.c chooses):
 *  - engine  (probe_engine.c): COMMAND is `docker run ...` / `podman run
 *            ...`; every trial is a fresh container of the user's own
 *            command line with the set injected;
 *  - sandbox (probe_sandbox.c): capinit holds CAP_SYS_ADMIN; every trial
 *            in new PID and mount namespaces under a trial init, every
 *            writable filesystem a throw-away copy-on-write view;
 *  - in place (probe_inplace.c): capinit is PID 1 of its container and
 *            alone in it; kill(-1) ends a trial. Files persist.
 *
 * The oracle loop (probe_oracle.c) is shared: it starts a trial with
 * start(), sleeps in poll() on the signalfd and the descriptors below,
 * calls collect() after every wake-up, asks port_bound() and runs checks
 * with start_check() on its own schedule, decides, and calls stop(). No
 * runner decides what a trial means. */
#ifndef INIT_PROBE_RUNNER_H
#define INIT_PROBE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "capset.h"
#include "config.h"
#include "ksig.h"
#include "plan.h"
#include "probe_facts.h"
#include "probe_trial.h"
#include "user.h"

struct probe_runner;

/* What is probed, and how it would be deployed: filled once, by probe.c
 * (in process) or by the engine runner's setup (from the user's command
 * line and the image). */
struct probe_target {
	const char *engine;          /* NULL: in process; else "docker" / "podman" */
	const char *image;           /* engine: the image as the user named it */
	capmask default_candidates;  /* what the app could be given here */
	/* The production spec, for --probe-verify without a SET: the
	 * CAPINIT_CAP_* environment (in process), or the image's ENV and the
	 * command line's --cap-add/--cap-drop (engine). */
	bool spec_given;
	capmask spec;
	/* capinit starts the app (in process: always; engine: the image's
	 * entrypoint is capinit), so its ENV lines and CAPINIT_USER apply. */
	bool capinit_in_image;
	/* Who the app runs as: capinit switches to it (CAPINIT_USER), or the
	 * container starts as it. */
	bool switch_user;
	bool app_root;
	uid_t uid;
	gid_t gid;
	char user_spec[2 * ID_NAME_MAX + 2]; /* as the user wrote it: "app", "1000:1000" */
	bool no_new_privs;
};

struct probe_ctx {
	const struct config *cfg;
	const struct user_ids *ids; /* NULL: no user switch (in process) */
	const struct runtime *rt;
	char **child_env;           /* COMMAND's environment: no CAPINIT_* */
	ksigmask original;          /* the mask capinit was started with */
	int sfd;                    /* non-blocking signalfd: SIGCHLD, INT, TERM, HUP, QUIT */
	long long timeout_us;
	struct probe_facts *facts;
	struct probe_target *target;
	const struct probe_runner *runner;
	void *state;                /* the runner's own, set by its setup */
};

/* What COMMAND's child reports through the close-on-exec exec_fd when it
 * fails before execve (nothing, EOF, when execve succeeded). */
struct probe_exec_report {
	int stage; /* 1: applying the plan, 2: execve */
	int err;
};

/* One trial in flight, as the oracle loop sees it. */
struct probe_live {
	capmask set;
	bool userns;                /* the guard off for this trial */
	long long started_us;
	/* capinit's child whose end ends the trial's COMMAND: the app (in
	 * place), the trial init (sandbox), the engine's client (engine). */
	pid_t main;
	int exec_fd;  /* -1, or see struct probe_exec_report */
	int out_fd;   /* -1, or the read end of COMMAND's stdout and stderr */
	int event_fd; /* -1, or the runner's own events (the sandbox's trial init) */

	/* Kept up to date by collect(). */
	bool execd;        /* COMMAND's execve succeeded: oracles look only after it */
	bool exec_failed;  /* it did not: exec_stage, exec_err */
	int exec_stage, exec_err;
	bool app_done;     /* COMMAND exited: app_status is its raw wait status */
	int app_status;
	bool others_left;  /* app_done: processes it started still ran when it exited */
	pid_t check;       /* the running check command, 0: none */
	bool check_done;   /* it ended: check_status (raw); the loop then clears both */
	int check_status;
	int stop_signal;   /* INT/TERM/HUP/QUIT arrived: stop the probe */

	char name[64];     /* engine: the trial's container */
	pid_t aux;         /* the runner's own */
	int aux_fd;
};

struct probe_runner {
	const char *name; /* "engine", "sandbox", "in place": printed and in the JSON */
	/* Once before trial 1: may refuse (-1, err: exit 125, or 2 for usage
	 * through *status). */
	int (*setup)(struct probe_ctx *ctx, int *status, char *err, size_t errsize);
	/* Start the trial in `live` (set, userns filled in). 0, or -1 with err:
	 * trials cannot be run here (exit 125). */
	int (*start)(struct probe_ctx *ctx, struct probe_live *live, char *err, size_t errsize);
	/* After every wake-up: reap, read events and descriptors, update live. */
	void (*collect)(struct probe_ctx *ctx, struct probe_live *live);
	/* Is the probed port (cfg->probe_port, probe_udp) bound by one of the
	 * trial's own processes? 1 yes, 0 no. */
	int (*port_bound)(struct probe_ctx *ctx, struct probe_live *live);
	/* Start one run of --probe-check without privilege (see probe_check.h);
	 * its pid, a child of capinit that collect() reaps, or -1. */
	pid_t (*start_check)(struct probe_ctx *ctx, struct probe_live *live);
	/* End every process of the trial and reap what is capinit's. 0, or -1
	 * with err (they would not go: trials cannot be run here). */
	int (*stop)(struct probe_ctx *ctx, struct probe_live *live, char *err, size_t errsize);
	/* Once on every way out (success, failure, a signal): nothing left. */
	void (*finish)(struct probe_ctx *ctx);
};

extern const struct probe_runner probe_runner_engine;
extern const struct probe_runner probe_runner_sandbox;
extern const struct probe_runner probe_runner_inplace;

/* Microseconds of CLOCK_MONOTONIC. */
long long probe_now_us(void);

#endif
