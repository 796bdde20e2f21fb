/* What the in-process runners run in their children: COMMAND as a trial,
 * and the check command, each through the same config -> plan ->
 * privilege_apply path as a real run, so a trial shows exactly what
 * `CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=S` gives in production. */
#ifndef INIT_PROBE_CHILD_H
#define INIT_PROBE_CHILD_H

#include "plan.h"
#include "probe_runner.h"

/* The plan of a trial: DROP=ALL ADD=set, the user switch asked for, the
 * user-namespace guard unless `userns`. Returns 0, or -1 with err. */
int probe_trial_plan(const struct probe_ctx *ctx, capmask set, bool userns, struct plan *p,
		     char *err, size_t errsize);

/* The check's plan: no capability, no_new_privs, the guard, and the
 * trial's user when it switches to a non-root one, else nobody (65534)
 * when capinit is root; an engine's check keeps capinit's uid (it runs on
 * the host, where the trial cannot reach its files). */
int probe_check_plan(const struct probe_ctx *ctx, bool keep_uid, struct plan *p, char *err,
		     size_t errsize);

/* In a child just forked: a session of its own without any terminal (it
 * runs with less privilege than the caller, so it must not reach the
 * caller's terminal: TIOCSTI), stdin /dev/null, stdout and stderr to out_w
 * (COMMAND's output is the evidence; -1: capinit's stderr), the plan
 * applied and verified, the original signal mask, then COMMAND. A failure
 * before execve is reported through exec_w (close-on-exec) as a struct
 * probe_exec_report. Never returns. */
__attribute__((noreturn)) void probe_exec_app(const struct probe_ctx *ctx, const struct plan *p,
					      int exec_w, int out_w);

/* The same for `/bin/sh -c CHECK`, in `/`, with `extra` (NULL, or two
 * strings, each NULL or "CAPINIT_PROBE_CONTAINER=...") added to the
 * environment; its output to out_w, or with out_w -1 discarded unless
 * capinit is verbose. Never returns. */
__attribute__((noreturn)) void probe_exec_check(const struct probe_ctx *ctx, const struct plan *p,
						const char *const *extra, int out_w);

/* In a child: stdin /dev/null, stdout and stderr to out (-1: /dev/null,
 * or capinit's stderr when it is verbose). */
void probe_stdio_to(int out);

/* Wait for one child to end, as a shell's status (N, 128+S). */
int probe_wait_code(pid_t pid);

#endif
