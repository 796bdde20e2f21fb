/* One trial, start to verdict, whatever the runner: the oracles.
 *
 * A trial works when every oracle given holds, judged only by what the
 * trial's own processes do and only after COMMAND's execve:
 *  - none given: COMMAND exits 0 within the timeout and nothing it started
 *    still runs (an app that daemonizes fails, saying so);
 *  - --probe-port: a socket of the trial's own processes listens on PORT
 *    (TCP) or is bound to it (UDP) while COMMAND runs;
 *  - --probe-check: the check command exits 0 while COMMAND runs (after
 *    the port, when both are given), retried until the timeout.
 * A trial fails as soon as its verdict is certain (COMMAND ended), not at
 * the timeout. COMMAND's last line of output is kept as the evidence. */
#ifndef INIT_PROBE_ORACLE_H
#define INIT_PROBE_ORACLE_H

#include "probe_runner.h"

/* Runs the trial t->set (t->kind, t->userns given) with ctx->runner and
 * fills t. Returns 0; -1 with err when trials cannot be run here (exit
 * 125); or the number of a signal (INT, TERM, HUP, QUIT) that asked the
 * probe to stop. Every process of the trial is gone when it returns. */
int probe_oracle_run(struct probe_ctx *ctx, struct probe_trial *t, char *err, size_t errsize);

#endif
