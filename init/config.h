/* Configuration: argv and the environment into one struct.
 *
 * Pure: reads only the arrays it is given, makes no system call. Every
 * validation error of the command line and the CAPINIT_* variables is found
 * here, before anything changes, so a bad spec never starts the command. */
#ifndef INIT_CONFIG_H
#define INIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capset.h"
#include "personality.h"

#define SIGNAL_SLOTS 65 /* signals 1..64 */
#define ID_NAME_MAX 256

enum action { ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_LICENSE };

/* One side of USER[:GROUP]: a name or a number. */
struct id_spec {
	bool set;
	bool numeric;
	uint32_t id;
	char name[ID_NAME_MAX];
};

struct config {
	enum personality personality;
	enum action action;

	/* The capability spec. */
	bool drop_set, drop_all, add_set;
	capmask drop, add;
	struct id_spec user, group;
	/* The variable or flag each setting came from, for messages; a
	 * variable's name is kept in var_names (drop, add, user). */
	const char *drop_source, *add_source, *user_source;
	char var_names[3][20];
	bool no_new_privs;

	/* Supervision. */
	unsigned grace_seconds;
	bool kill_group;   /* signals go to the child's process group */
	bool setsid;       /* dumb-init: child leads its own session */
	bool subreaper;    /* tini -s: asked for explicitly */
	bool warn_on_reap; /* tini -w */
	int pdeath_signal; /* tini -p, 0 = none */
	/* dumb-init: the init stops itself when it receives TSTP/TTIN/TTOU. */
	bool suspend_on_tty_signals;
	int verbose; /* -1 (errors only) to 3 */
	bool print;

	/* The user-namespace guard (CAPINIT_USERNS, --userns): false (the
	 * default) refuses creating user namespaces to an app without
	 * CAP_SYS_ADMIN; true leaves them to the kernel and the runtime. */
	bool userns;

	/* --probe: search for the smallest capability set (probe.c). */
	bool probe, probe_json;
	bool probe_from_env;     /* CAPINIT_PROBE=1 started it: say so at once */
	/* --probe-verify[=SET]: prove SET instead of searching. Without a SET
	 * the production spec is verified (the CAPINIT_CAP_* environment, or
	 * through an engine the image's own). */
	bool probe_verify, probe_verify_given;
	capmask probe_verify_set;
	/* --probe-candidates=LIST|ALL: what the search may grant (default: what
	 * the app could be given here, or the engine's default set). */
	bool probe_candidates_given, probe_candidates_all;
	capmask probe_candidates;
	unsigned probe_port;     /* 0: no port oracle */
	bool probe_udp;          /* PORT/udp: a bound UDP socket, not a TCP listener */
	const char *probe_check; /* NULL: no check command; points into argv/envp */
	unsigned probe_timeout_ms; /* per trial (--probe-timeout takes seconds, fractions allowed) */
	unsigned probe_repeat;   /* re-runs of the result before it is printed */

	/* tini -e: exit codes mapped to 0 (bitmap over 0..255). */
	uint8_t exit_zero[32];
	/* dumb-init -r: signal rewrites; 0 = drop, -1 = unchanged. */
	int rewrite[SIGNAL_SLOTS];

	char **command; /* NULL-terminated, points into argv */
};

/* status: the exit status to use (2 for capinit, 1 for tini/dumb-init usage
 * errors, as those tools do); msg: one line naming the variable or flag and
 * the offending token, or, when raw, the personality's complete text to
 * print as is (dumb-init's usage errors). */
struct config_error {
	int status;
	bool raw;
	char msg[512];
};

/* Returns 0, or -1 with err filled. */
int config_parse(struct config *cfg, int argc, char **argv, char **envp,
		 struct config_error *err);

/* The child's environment: envp without CAPINIT_* variables, with `home`
 * ("HOME=/x") replacing HOME when not NULL. out must hold count(envp) + 2
 * pointers; returns the number of entries written (NULL-terminated). */
size_t config_child_env(char **envp, const char *home, char **out);

bool config_exit_maps_to_zero(const struct config *cfg, int status);

#endif
