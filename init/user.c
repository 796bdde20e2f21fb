#define _GNU_SOURCE /* mremap */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "decimal.h"
#include "fmt.h"
#include "rawsys.h"

#define LINE_MAX_LEN 4096
#define FIELDS_MAX 8

struct passwd_entry {
	bool found;
	char name[ID_NAME_MAX];
	uint32_t uid, gid;
	char home[4096];
};

/* Split line at ':' into at most FIELDS_MAX fields; returns the count. */
static size_t split_fields(char *line, char **fields)
{
	size_t n = 0;
	fields[n++] = line;
	for (char *p = line; *p && n < FIELDS_MAX; p++) {
		if (*p == ':') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	return n;
}

static bool parse_id_field(const char *s, uint32_t *out)
{
	unsigned long long v;
	/* (uid_t)-1 is not an id: setresuid reads it as "unchanged". */
	if (!parse_decimal(s, strlen(s), 4294967294ull, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

typedef bool (*visit_fn)(char **fields, size_t n, void *ctx);

/* One line of a colon file: skip comments and blanks, split, visit. */
static bool visit_line(char *line, visit_fn visit, void *ctx)
{
	if (line[0] == '#' || line[0] == '\0')
		return false;
	char *fields[FIELDS_MAX];
	size_t n = split_fields(line, fields);
	return visit(fields, n, ctx);
}

/* Visit each line of an in-memory colon file until `visit` returns true. A
 * line is copied out first (visitors cut it into fields); one longer than
 * the buffer cannot be an entry we could use and is skipped whole. */
static void scan_text(const char *text, size_t len, visit_fn visit, void *ctx)
{
	char line[LINE_MAX_LEN];
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n < sizeof line) {
			memcpy(line, p, n);
			line[n] = '\0';
			/* A NUL inside a line would hide the rest of it. */
			if (strlen(line) == n && visit_line(line, visit, ctx))
				return;
		}
		p = nl ? nl + 1 : end;
	}
}

/* Is fd the same open file as one of the standard descriptors? A symlink
 * such as /etc/passwd -> /proc/self/fd/0 would otherwise read the database
 * from whoever feeds capinit's stdin. */
static bool same_as_stdio(const struct stat *st)
{
	for (int fd = 0; fd <= 2; fd++) {
		struct stat other;
		if (fstat(fd, &other) == 0 && other.st_dev == st->st_dev &&
		    other.st_ino == st->st_ino)
			return true;
	}
	return false;
}

/* Room for a file of `size` bytes and one more: a read that fills the
 * buffer shows that the file grew. Whole pages, since mmap hands out pages. */
static size_t room_for(size_t size)
{
	size_t page = 4096;
	return (size + 1 + page - 1) / page * page;
}

void user_db_release(struct user_db *db)
{
	if (db->map_size)
		(void)munmap((void *)db->text, db->map_size);
	db->text = NULL;
	db->len = 0;
	db->map_size = 0;
}

int user_db_load(const char *path, size_t max, struct user_db *db, char *err, size_t errsize)
{
	*db = (struct user_db){.path = path, .text = ""};
	/* Non-blocking: a FIFO must not hang capinit before it handles signals
	 * for the app; it is refused below anyway. */
	int fd = raw_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0; /* an image built FROM scratch: no entries */
		fmt_snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (same_as_stdio(&st))
		why = "the same file as capinit's standard input or output";
	else if ((unsigned long long)st.st_size > max)
		why = "larger than the limit of 1 MiB";
	/* Memory sized by what the file holds, mapped only while the names are
	 * looked up: a static buffer for the largest file allowed would sit in
	 * every start's image. Not the file itself mapped: one truncated while
	 * mapped would kill PID 1 with SIGBUS. */
	char *buf = NULL;
	size_t cap = 0, len = 0;
	if (why == NULL) {
		cap = room_for((size_t)st.st_size);
		buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			buf = NULL;
			why = strerror(errno);
		}
	}
	while (why == NULL) {
		if (len == cap) {
			/* It grew since fstat: more room, up to the limit. */
			size_t more = room_for(cap * 2 > max ? max : cap * 2);
			char *moved = cap > max ? MAP_FAILED : mremap(buf, cap, more, MREMAP_MAYMOVE);
			if (moved == MAP_FAILED) {
				why = cap > max ? "larger than the limit of 1 MiB" : strerror(errno);
				break;
			}
			buf = moved;
			cap = more;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			why = strerror(errno);
		else if (n == 0)
			break;
		else if ((len += (size_t)n) > max)
			why = "larger than the limit of 1 MiB"; /* it grew while we read */
	}
	close(fd);
	if (buf) {
		db->text = buf;
		db->len = len;
		db->map_size = cap;
	}
	if (why) {
		user_db_release(db);
		fmt_snprintf(err, errsize, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

struct passwd_query {
	const struct id_spec *want;
	struct passwd_entry *out;
};

static bool visit_passwd(char **f, size_t n, void *ctx)
{
	struct passwd_query *q = ctx;
	uint32_t uid, gid;
	if (n < 7 || !parse_id_field(f[2], &uid) || !parse_id_field(f[3], &gid))
		return false;
	bool match = q->want->numeric ? uid == q->want->id : strcmp(f[0], q->want->name) == 0;
	size_t name_len = strlen(f[0]), home_len = strlen(f[5]);
	if (!match || name_len >= sizeof q->out->name || home_len >= sizeof q->out->home)
		return false;
	q->out->found = true;
	memcpy(q->out->name, f[0], name_len + 1);
	q->out->uid = uid;
	q->out->gid = gid;
	memcpy(q->out->home, f[5], home_len + 1);
	return true;
}

struct group_query {
	const struct id_spec *want; /* find this group's gid, or */
	const char *member;         /* collect every group listing this user */
	bool found;
	uint32_t gid;
	struct user_ids *ids;
	bool overflow;
};

static bool has_member(char *list, const char *name)
{
	/* strtok's fields, without strtok (and the strspn it brings) for
	 * one loop; an empty name matches no field, as with strtok. */
	size_t n = strlen(name);
	for (char *tok = list;; tok++) {
		size_t len = strcspn(tok, ",");
		if (len == n && n > 0 && strncmp(tok, name, n) == 0)
			return true;
		tok += len;
		if (*tok == '\0')
			return false;
	}
}

static void add_group(struct user_ids *ids, gid_t gid, bool *overflow)
{
	for (size_t i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return;
	if (ids->ngroups == USER_MAX_GROUPS) {
		*overflow = true;
		return;
	}
	ids->groups[ids->ngroups++] = gid;
}

static bool visit_group(char **f, size_t n, void *ctx)
{
	struct group_query *q = ctx;
	uint32_t gid;
	if (n < 3 || !parse_id_field(f[2], &gid))
		return false;
	if (q->want) {
		if (strcmp(f[0], q->want->name) != 0)
			return false;
		q->found = true;
		q->gid = gid;
		return true;
	}
	if (n >= 4 && has_member(f[3], q->member))
		add_group(q->ids, gid, &q->overflow);
	return false;
}

int user_resolve_text(const struct id_spec *user, const struct id_spec *group, const char *source,
		      const struct user_db *passwd, const struct user_db *groups,
		      struct user_ids *out, char *err, size_t errsize)
{
	memset(out, 0, sizeof *out);
	const char *passwd_path = passwd->path, *group_path = groups->path;
	struct passwd_entry pw = {0};
	struct passwd_query pq = {user, &pw};
	scan_text(passwd->text, passwd->len, visit_passwd, &pq);

	if (!pw.found && !user->numeric) {
		fmt_snprintf(err, errsize, "%s: unknown user '%s' (not in %s)", source, user->name,
			 passwd_path);
		return -1;
	}
	if (!pw.found && !group->set) {
		/* Never fall back silently to gid 0. */
		fmt_snprintf(err, errsize,
			 "%s: uid %u has no entry in %s, so its group is unknown: give one "
			 "explicitly (%u:GID)",
			 source, user->id, passwd_path, user->id);
		return -1;
	}
	out->uid = pw.found ? pw.uid : user->id;

	if (group->set) {
		if (group->numeric) {
			out->gid = group->id;
		} else {
			struct group_query gq = {.want = group};
			scan_text(groups->text, groups->len, visit_group, &gq);
			if (!gq.found) {
				fmt_snprintf(err, errsize, "%s: unknown group '%s' (not in %s)", source,
					 group->name, group_path);
				return -1;
			}
			out->gid = gq.gid;
		}
		/* An explicit group is the only group. */
		out->groups[0] = out->gid;
		out->ngroups = 1;
	} else {
		out->gid = pw.gid;
		bool overflow = false;
		add_group(out, out->gid, &overflow);
		struct group_query gq = {.member = pw.name, .ids = out};
		scan_text(groups->text, groups->len, visit_group, &gq);
		if (gq.overflow) {
			fmt_snprintf(err, errsize, "%s: user '%s' is in more than %d groups", source,
				 pw.name, USER_MAX_GROUPS);
			return -1;
		}
	}

	if (pw.found && pw.home[0] != '\0') {
		out->has_home = true;
		fmt_snprintf(out->home_env, sizeof out->home_env, "HOME=%s", pw.home);
	}
	return 0;
}

int user_resolve(const struct id_spec *user, const struct id_spec *group, const char *source,
		 const char *passwd_path, const char *group_path, struct user_ids *out,
		 char *err, size_t errsize)
{
	struct user_db passwd, groups = {.map_size = 0};
	char why[400];
	int rc = -1;
	if (user_db_load(passwd_path, USER_DB_MAX, &passwd, why, sizeof why) != 0 ||
	    user_db_load(group_path, USER_DB_MAX, &groups, why, sizeof why) != 0)
		fmt_snprintf(err, errsize, "%s: cannot read the user database: %s", source, why);
	else
		rc = user_resolve_text(user, group, source, &passwd, &groups, out, err, errsize);
	/* Nothing points into the texts any more: ids holds copies. */
	user_db_release(&passwd);
	user_db_release(&groups);
	return rc;
}

static bool all_in(const gid_t *a, size_t na, const gid_t *b, size_t nb)
{
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = a[i] == b[j];
		if (!found)
			return false;
	}
	return true;
}

bool user_groups_equal(const gid_t *a, size_t na, const gid_t *b, size_t nb)
{
	return all_in(a, na, b, nb) && all_in(b, nb, a, na);
}
