/* User resolution against fixture passwd/group files. */
#include "user.h"

#include "check.h"
#include <stdlib.h>

static const char *dir;
static char passwd[512], group[512];

static int resolve(const char *user, const char *grp, struct user_ids *out, char *err)
{
	struct id_spec u = {0}, g = {0};
	unsigned long v;
	char *end;
	v = strtoul(user, &end, 10);
	if (*end == '\0') {
		u.numeric = true;
		u.id = (uint32_t)v;
	} else {
		snprintf(u.name, sizeof u.name, "%s", user);
	}
	u.set = true;
	if (grp) {
		g.set = true;
		v = strtoul(grp, &end, 10);
		if (*end == '\0') {
			g.numeric = true;
			g.id = (uint32_t)v;
		} else {
			snprintf(g.name, sizeof g.name, "%s", grp);
		}
	}
	err[0] = '\0';
	return user_resolve(&u, &g, "CAPINIT_USER", passwd, group, out, err, 300);
}

static bool has_group(const struct user_ids *ids, gid_t gid)
{
	for (size_t i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return true;
	return false;
}

static void test_named_user(void)
{
	struct user_ids ids;
	char err[300];
	CHECK(resolve("app", NULL, &ids, err) == 0);
	CHECK(ids.uid == 1000 && ids.gid == 1000);
	/* Primary group plus every group listing the user, nothing else. */
	CHECK(ids.ngroups == 3 && has_group(&ids, 1000) && has_group(&ids, 50) &&
	      has_group(&ids, 29) && !has_group(&ids, 44));
	CHECK(ids.has_home && strcmp(ids.home_env, "HOME=/home/app") == 0);

	/* NAME:GROUP: that group alone. */
	CHECK(resolve("app", "staff", &ids, err) == 0);
	CHECK(ids.uid == 1000 && ids.gid == 50 && ids.ngroups == 1 && ids.groups[0] == 50);
	CHECK(resolve("app", "4242", &ids, err) == 0);
	CHECK(ids.gid == 4242 && ids.ngroups == 1);
	CHECK(resolve("emptyhome", NULL, &ids, err) == 0);
	CHECK(!ids.has_home && ids.ngroups == 1);
}

static void test_numeric_user(void)
{
	struct user_ids ids;
	char err[300];
	/* A uid with a passwd entry gets that entry's group and home. */
	CHECK(resolve("1000", NULL, &ids, err) == 0);
	CHECK(ids.uid == 1000 && ids.gid == 1000 && ids.ngroups == 3 && ids.has_home);
	/* Without an entry it needs a group: never a silent gid 0. */
	CHECK(resolve("4242", NULL, &ids, err) == -1);
	CHECK_CONTAINS(err, "CAPINIT_USER: uid 4242 has no entry");
	CHECK_CONTAINS(err, "4242:GID");
	CHECK(resolve("4242", "4243", &ids, err) == 0);
	CHECK(ids.uid == 4242 && ids.gid == 4243 && ids.ngroups == 1 && !ids.has_home);
	CHECK(resolve("0", NULL, &ids, err) == 0);
	CHECK(ids.uid == 0 && ids.gid == 0 && strcmp(ids.home_env, "HOME=/root") == 0);
}

static void test_unknown(void)
{
	struct user_ids ids;
	char err[300];
	CHECK(resolve("nosuch", NULL, &ids, err) == -1);
	CHECK_CONTAINS(err, "unknown user 'nosuch'");
	CHECK(resolve("app", "nosuch", &ids, err) == -1);
	CHECK_CONTAINS(err, "unknown group 'nosuch'");
	CHECK(resolve("broken", NULL, &ids, err) == -1); /* malformed line skipped */
	/* The last line counts even without a final newline. */
	snprintf(passwd, sizeof passwd, "%s/fixtures/passwd-no-final-newline", dir);
	CHECK(resolve("last", NULL, &ids, err) == 0);
	CHECK(ids.uid == 7 && strcmp(ids.home_env, "HOME=/var/last") == 0);
	/* FROM scratch: no files at all. */
	snprintf(passwd, sizeof passwd, "%s/fixtures/missing", dir);
	CHECK(resolve("app", NULL, &ids, err) == -1);
	CHECK_CONTAINS(err, "unknown user 'app'");
	CHECK(resolve("1000", "1000", &ids, err) == 0);
	CHECK(ids.uid == 1000 && ids.gid == 1000);
}

static void test_text_and_loading(void)
{
	/* Parsing from memory: NUL bytes and overlong lines never match. */
	static const char pw_text[] = "a:x:1:1::/a:/bin/sh\nb\0x:x:2:2::/b:/bin/sh\nc:x:3:3::/c:\n";
	static const char gr_text[] = "g:x:9:a,c\n";
	struct user_db pw = {"/etc/passwd", pw_text, sizeof pw_text - 1, 0};
	struct user_db gr = {"/etc/group", gr_text, sizeof gr_text - 1, 0};
	struct id_spec u = {.set = true}, g = {0};
	struct user_ids ids;
	char err[300];
	snprintf(u.name, sizeof u.name, "c");
	CHECK(user_resolve_text(&u, &g, "CAPINIT_USER", &pw, &gr, &ids, err, sizeof err) == 0);
	CHECK(ids.uid == 3 && ids.ngroups == 2);
	snprintf(u.name, sizeof u.name, "b");
	CHECK(user_resolve_text(&u, &g, "CAPINIT_USER", &pw, &gr, &ids, err, sizeof err) == -1);

	/* Loading: a missing file is empty, anything but a bounded regular
	 * file is an error that names it. */
	struct user_db db = {.len = 99};
	CHECK(user_db_load("/nonexistent/passwd", 64, &db, err, sizeof err) == 0);
	CHECK(db.len == 0 && db.text != NULL && db.map_size == 0);
	user_db_release(&db);
	CHECK(user_db_load("/dev/null", 64, &db, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "/dev/null: not a regular file");
	CHECK(db.len == 0 && db.map_size == 0);
	CHECK(user_db_load("/", 64, &db, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "not a regular file");
	char fixture[512];
	snprintf(fixture, sizeof fixture, "%s/fixtures/passwd", dir);
	CHECK(user_db_load(fixture, 64, &db, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "larger than the limit");
	CHECK(db.map_size == 0);
	CHECK(user_db_load(fixture, USER_DB_MAX, &db, err, sizeof err) == 0);
	CHECK(db.len > 64 && memchr(db.text, '\n', db.len) != NULL);
	/* Sized by the file: whole pages, with room to see it grow. */
	CHECK(db.map_size > db.len && db.map_size % 4096 == 0 && db.map_size - db.len <= 4096);
	user_db_release(&db);
	CHECK(db.map_size == 0 && db.len == 0);
}

/* A file that is not a passwd file, but whose size the loader must not
 * trust (it reports 0 bytes and holds more): the buffer grows to hold it,
 * up to the limit. */
static void test_load_grows(void)
{
	char err[300];
	struct user_db db;
	CHECK(user_db_load("/proc/self/maps", USER_DB_MAX, &db, err, sizeof err) == 0);
	CHECK(db.len > 0 && memchr(db.text, '\n', db.len) != NULL);
	user_db_release(&db);
	/* ... and past the limit it is refused, whatever fstat said. */
	CHECK(user_db_load("/proc/self/maps", 16, &db, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "larger than the limit");
	CHECK(db.map_size == 0);
}

int main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "tests/unit";
	snprintf(passwd, sizeof passwd, "%s/fixtures/passwd", dir);
	snprintf(group, sizeof group, "%s/fixtures/group", dir);
	test_named_user();
	test_numeric_user();
	test_unknown();
	test_text_and_loading();
	test_load_grows();
	return check_report("test_user");
}
