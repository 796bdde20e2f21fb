/* Running one probe trial: COMMAND with DROP=ALL ADD=S through the same
 * config -> plan -> privilege_apply path as a real run, judged by the
 * oracles (exit 0, --probe-port, --probe-check) within --probe-timeout, and
 * every process the trial started killed and reaped before it returns. */
#ifndef INIT_PROBE_RUN_H
#define INIT_PROBE_RUN_H

#include <stdbool.h>

#include "capset.h"
#include "config.h"
#include "ksig.h"
#include "plan.h"
#include "probe_trial.h"
#include "user.h"

struct probe_env {
	const struct config *cfg;
	const struct user_ids *ids; /* NULL: no user switch */
	const struct runtime *rt;
	char **child_env;
	bool is_pid1;
	int sfd;           /* signalfd: SIGCHLD and the signals that stop the probe */
	ksigmask original; /* the mask capinit was started with, for children */
};

/* Signals, subreaper (when not PID 1), the port oracle's precondition.
 * Returns 0, or -1 with err (exit 125). */
int probe_run_setup(struct probe_env *env, char *err, size_t errsize);

/* Returns 0 when the trial ran (t filled), -1 when it cannot be run here
 * (err says why: exit 125), or a signal number when one asked the probe to
 * stop (the trial's processes are gone in every case). */
int probe_run_trial(struct probe_env *env, capmask set, struct probe_trial *t, char *err,
		    size_t errsize);

long long probe_now_ms(void);

#endif
