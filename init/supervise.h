/* Supervision: start the child, forward signals, reap zombies, drain at exit.
 *
 * One signalfd, one blocking poll(): no timer exists unless a grace period is
 * running, so an idle capinit is never woken. */
#ifndef INIT_SUPERVISE_H
#define INIT_SUPERVISE_H

#include "config.h"
#include "ksig.h"
#include "plan.h"

/* Runs COMMAND under supervision and returns capinit's exit status. Every
 * catchable signal must already be blocked; original_mask is the mask
 * capinit was started with, which the child gets back. */
int supervise_run(const struct config *cfg, const struct plan *plan, const struct runtime *rt,
		  char **child_env, ksigmask original_mask);

#endif
