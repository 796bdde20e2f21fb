/* capinit --probe: find the smallest capability set COMMAND works with.
 *
 * The top of the program for this mode: the candidates (H, or B' when a
 * spec is given too), the search (probe_search.c) fed by trials
 * (probe_run.c), one progress line per trial on stderr, and the result on
 * stdout as lines to paste or one JSON object. Exit: 0 a set was found,
 * 1 none works or the result did not hold, 125 trials cannot be run. */
#ifndef INIT_PROBE_H
#define INIT_PROBE_H

#include "config.h"
#include "ksig.h"
#include "plan.h"
#include "user.h"

/* user_plan: the plan of the configuration as given (its B' bounds the
 * candidates); ids NULL when no user switch was asked. */
int probe_main(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	       const struct plan *user_plan, char **child_env, ksigmask original_mask);

#endif
