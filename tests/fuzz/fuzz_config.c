/* config_parse() on a fuzzed command line and environment, under each
 * personality name.
 *
 * Input: byte 0 picks argv[0] (capinit, tini, dumb-init and their other
 * names); the rest is NUL-separated words, argv until an empty word, then
 * the environment. Invariants: 0, or -1 with a message that logs as one
 * printable line and status 2 (capinit) or 1/2 (tini, dumb-init); a parsed
 * config within its ranges, from an environment whose CAPINIT_ entries
 * each have a '=' and a name of their own; the child's environment without
 * any CAPINIT_ variable. */
#include <stdint.h>
#include <string.h>

#include "capset.h"
#include "config.h"
#include "fuzz_input.h"

static void check_config(const struct config *cfg, const struct fuzz_words *w)
{
	capmask known = capmask_first(capset_known_bits());
	FUZZ_ASSERT(cfg->personality == personality_from_argv0(w->argv[0]));
	FUZZ_ASSERT((cfg->drop & ~known) == 0 && (cfg->add & ~known) == 0);
	FUZZ_ASSERT((cfg->add & cfg->drop) == 0);
	FUZZ_ASSERT(!cfg->drop_all || cfg->drop == 0);
	FUZZ_ASSERT(!cfg->drop_set || cfg->drop_source != NULL);
	FUZZ_ASSERT(!cfg->add_set || cfg->add_source != NULL);
	FUZZ_ASSERT(cfg->drop_set || (cfg->drop == 0 && !cfg->drop_all));
	FUZZ_ASSERT(cfg->add_set || cfg->add == 0);
	FUZZ_ASSERT(!cfg->group.set || cfg->user.set);
	FUZZ_ASSERT(!cfg->user.set || cfg->user_source != NULL);
	const struct id_spec *ids[] = {&cfg->user, &cfg->group};
	for (int i = 0; i < 2; i++) {
		if (!ids[i]->set)
			continue;
		if (ids[i]->numeric)
			FUZZ_ASSERT(ids[i]->id != 0xffffffffu);
		else
			FUZZ_ASSERT(ids[i]->name[0] != '\0' && ids[i]->name[0] != '-' &&
				    strnlen(ids[i]->name, ID_NAME_MAX) < ID_NAME_MAX);
	}
	FUZZ_ASSERT(cfg->grace_seconds <= 86400);
	FUZZ_ASSERT(cfg->verbose >= -1 && cfg->verbose <= 3);
	FUZZ_ASSERT(cfg->pdeath_signal >= 0 && cfg->pdeath_signal < SIGNAL_SLOTS);
	for (int i = 0; i < SIGNAL_SLOTS; i++)
		FUZZ_ASSERT(cfg->rewrite[i] >= -1 && cfg->rewrite[i] < SIGNAL_SLOTS);
	FUZZ_ASSERT(cfg->rewrite[0] == -1);
	FUZZ_ASSERT(!cfg->setsid || cfg->kill_group);
	if (cfg->command != NULL) {
		/* COMMAND points into argv, after argv[0], and runs to its end. */
		FUZZ_ASSERT(cfg->command > w->argv && cfg->command < w->argv + w->argc);
		FUZZ_ASSERT(cfg->command[0] != NULL);
	} else {
		FUZZ_ASSERT(cfg->action != ACTION_RUN || cfg->print);
	}
}

/* Accepted only when every CAPINIT_ entry has a value and a name no other
 * entry has: which of two values applies would be a guess. */
static void check_own_entries(const struct fuzz_words *w)
{
	for (size_t i = 0; i < w->envc; i++) {
		if (strncmp(w->envp[i], "CAPINIT_", 8) != 0)
			continue;
		const char *eq = strchr(w->envp[i], '=');
		FUZZ_ASSERT(eq != NULL);
		size_t len = (size_t)(eq - w->envp[i]) + 1; /* with the '=' */
		for (size_t j = 0; j < w->envc; j++)
			FUZZ_ASSERT(j == i || strncmp(w->envp[j], w->envp[i], len) != 0);
	}
}

static void check_child_env(const struct fuzz_words *w)
{
	char *out[FUZZ_MAX_WORDS + 2];
	static char home[] = "HOME=/fuzz";
	for (int with_home = 0; with_home < 2; with_home++) {
		size_t n = config_child_env((char **)w->envp, with_home ? home : NULL, out);
		FUZZ_ASSERT(n <= w->envc + 1);
		FUZZ_ASSERT(out[n] == NULL);
		size_t homes = 0;
		for (size_t i = 0; i < n; i++) {
			FUZZ_ASSERT(strncmp(out[i], "CAPINIT_", 8) != 0);
			if (strncmp(out[i], "HOME=", 5) == 0)
				homes++;
		}
		if (with_home)
			FUZZ_ASSERT(homes == 1 && out[n - 1] == home);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_words w;
	fuzz_words_split(&w, data[0], data + 1, size - 1);

	struct config cfg;
	struct config_error err;
	int rc = config_parse(&cfg, w.argc, w.argv, w.envp, &err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		check_config(&cfg, &w);
		check_own_entries(&w);
	} else {
		fuzz_check_message(err.msg, sizeof err.msg);
		if (personality_from_argv0(w.argv[0]) == PERSONALITY_CAPINIT)
			FUZZ_ASSERT(err.status == 2);
		else
			FUZZ_ASSERT(err.status == 1 || err.status == 2);
	}
	check_child_env(&w);
	fuzz_words_free(&w);
	return 0;
}
