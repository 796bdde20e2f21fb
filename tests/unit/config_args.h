/* Calling config_parse() with argv and the environment written inline, for
 * the unit tests of the configuration. */
#ifndef CAPINIT_CONFIG_ARGS_H
#define CAPINIT_CONFIG_ARGS_H

#include "config.h"

/* Parse with argv given as a NULL-terminated list. */
static inline int parse_with(struct config *cfg, struct config_error *err, char **env,
			     char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return config_parse(cfg, argc, argv, env, err);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ENV(...) ((char *[]){__VA_ARGS__, NULL})
static char *no_env[] = {NULL};

#endif
