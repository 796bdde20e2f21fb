/* USER[:GROUP] resolved against the image's /etc/passwd and /etc/group.
 *
 * Our own reader rather than getpwnam(): a static binary must not depend on
 * NSS, the files are the only source in a container image, and the paths can
 * be pointed at test fixtures. */
#ifndef INIT_USER_H
#define INIT_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define USER_MAX_GROUPS 64

struct user_ids {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[USER_MAX_GROUPS]; /* supplementary groups, always reset */
	bool has_home;
	char home_env[4096 + 6]; /* "HOME=/home/app" */
};

/* Returns 0, or -1 with one line in err naming `source` and the token. */
int user_resolve(const struct id_spec *user, const struct id_spec *group, const char *source,
		 const char *passwd_path, const char *group_path, struct user_ids *out,
		 char *err, size_t errsize);

#endif
