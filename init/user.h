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

/* The most of /etc/passwd or /etc/group capinit reads: far above any real
 * image's, and a bound on what a hostile one can make it do. */
#define USER_DB_MAX ((size_t)1024 * 1024)

/* One database's text, as read from `path` (named in messages). */
struct user_db {
	const char *path;
	const char *text;
	size_t len;
	size_t map_size; /* of the mapping text lies in (user_db_load), or 0 */
};

/* Read a user database into memory mapped for it and sized by the file
 * (user_db_release gives it back): a missing file is an empty one; anything
 * but a regular file of at most max bytes, or one that is capinit's
 * stdin/stdout/stderr, is an error. Never blocks on a FIFO or device.
 * Returns 0, or -1 with the path and the reason in err (nothing mapped). */
int user_db_load(const char *path, size_t max, struct user_db *db, char *err, size_t errsize);
void user_db_release(struct user_db *db);

/* USER[:GROUP] resolved against databases in memory. Pure. Returns 0, or
 * -1 with one line in err naming `source` and the token. */
int user_resolve_text(const struct id_spec *user, const struct id_spec *group, const char *source,
		      const struct user_db *passwd, const struct user_db *groups,
		      struct user_ids *out, char *err, size_t errsize);

/* Two group lists hold the same groups (as sets: order and repeats do not
 * matter, as for the kernel's supplementary groups). */
bool user_groups_equal(const gid_t *a, size_t na, const gid_t *b, size_t nb);

/* Both steps with the files at these paths. Returns 0, or -1 with one line
 * in err naming `source` and the token (or the file and what is wrong). */
int user_resolve(const struct id_spec *user, const struct id_spec *group, const char *source,
		 const char *passwd_path, const char *group_path, struct user_ids *out,
		 char *err, size_t errsize);

#endif
