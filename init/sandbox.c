#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt.h"
#include "mountinfo.h"
#include "rawsys.h"

#define MAX_MOUNTS 256
#define MOUNTINFO_MAX ((size_t)256 * 1024)
/* A file mounted on its own is copied up to this size, else bound
 * read-only (a container's /etc/hosts, resolv.conf, a secret). */
#define COPY_MAX ((size_t)1024 * 1024)

/* The directories the staging tmpfs may be mounted on: any existing one
 * will do (after the first pivot_root the original shows again under
 * /old), the first of these that exists. */
static const char *const stages[] = {"/tmp", "/run", "/mnt", "/dev", "/proc", "/etc", "/var"};

static int fail(char *why, size_t size, const char *step, const char *what)
{
	fmt_snprintf(why, size, "--probe sandbox: %s%s%s: %s", step, what ? " " : "",
		     what ? what : "", strerror(errno));
	return -1;
}

/* Parse what is in `text` into entries; returns their number. */
static size_t parse_all(char *text, size_t len, struct mount_entry *e, size_t max)
{
	size_t n = 0;
	for (char *p = text; p < text + len && n < max;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		if (mountinfo_parse(p, l, &e[n]))
			n++;
		p += l + 1;
	}
	return n;
}

static size_t read_all(const char *path, char *buf, size_t size)
{
	int fd = raw_open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	size_t len = 0;
	ssize_t got;
	while (len < size && (got = read(fd, buf + len, size - len)) > 0)
		len += (size_t)got;
	close(fd);
	return len;
}

/* Copy a small file to dst; false if it is larger than COPY_MAX. */
static bool copy_file(const char *src, const char *dst, char *buf)
{
	int in = raw_open(src, O_RDONLY);
	if (in < 0)
		return false;
	struct stat st;
	bool ok = fstat(in, &st) == 0 && (size_t)st.st_size <= COPY_MAX;
	int out = ok ? raw_open_mode(dst, O_WRONLY | O_CREAT | O_EXCL, st.st_mode & 07777) : -1;
	ssize_t n;
	while (out >= 0 && (n = read(in, buf, COPY_MAX)) > 0)
		ok = ok && write(out, buf, (size_t)n) == n;
	if (out >= 0) {
		ok = ok && fchown(out, st.st_uid, st.st_gid) == 0;
		close(out);
	}
	close(in);
	return ok && out >= 0;
}

/* overlayfs splits its options at ',' and its layers at ':': escape them. */
static void opt_path(char *out, size_t size, const char *path)
{
	size_t o = 0;
	for (const char *p = path; *p && o + 2 < size; p++) {
		if (*p == ',' || *p == ':' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

static unsigned long flags_of(const struct mount_entry *m)
{
	return (m->nosuid ? MS_NOSUID : 0) | (m->nodev ? MS_NODEV : 0) |
	       (m->noexec ? MS_NOEXEC : 0) | (m->ro ? MS_RDONLY : 0);
}

/* The original at src, bound at dst with its own flags. */
static int bind(const char *src, const char *dst, const struct mount_entry *m)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
		return -1;
	unsigned long f = flags_of(m);
	return f ? mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | f, NULL) : 0;
}

/* One mount of the original tree into the new one (under /new). */
static int place(const struct mount_entry *m, size_t index, char *buf, char *why, size_t size)
{
	bool root = strcmp(m->point, "/") == 0;
	char src[MOUNTINFO_PATH_MAX + 8], dst[MOUNTINFO_PATH_MAX + 8];
	fmt_snprintf(src, sizeof src, "/old%s", root ? "" : m->point);
	fmt_snprintf(dst, sizeof dst, "/new%s", root ? "" : m->point);
	struct stat st;
	if (stat(src, &st) != 0)
		return 0; /* gone, or hidden below another mount: nothing to show */
	if (strcmp(m->fstype, "proc") == 0 && strcmp(m->point, "/proc") == 0) {
		/* A /proc of the trial's own PID namespace: it sees its own
		 * processes, and nothing of capinit's. */
		if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			return fail(why, size, "mounting a new /proc", NULL);
		return 0;
	}
	if (mountinfo_is_kernel_fs(m->fstype) || m->ro) {
		if (bind(src, dst, m) != 0)
			return fail(why, size, "binding", m->point);
		return 0;
	}
	char up[64];
	fmt_snprintf(up, sizeof up, "/up/%zu", index);
	if (!S_ISDIR(st.st_mode)) {
		/* A file of its own: a copy, so writes reach only the copy. */
		if (copy_file(src, up, buf)) {
			if (mount(up, dst, NULL, MS_BIND, NULL) != 0)
				return fail(why, size, "binding a copy of", m->point);
			return 0;
		}
		struct mount_entry ro = *m;
		ro.ro = true;
		return bind(src, dst, &ro) == 0 ? 0 : fail(why, size, "binding", m->point);
	}
	char upper[80], work[80], lower[2 * sizeof src], opts[sizeof lower + 200];
	fmt_snprintf(upper, sizeof upper, "%s/u", up);
	fmt_snprintf(work, sizeof work, "%s/w", up);
	if (mkdir(up, 0700) != 0 || mkdir(upper, 0755) != 0 || mkdir(work, 0700) != 0)
		return fail(why, size, "making the upper layer of", m->point);
	/* The upper layer's root takes the original's owner and mode, as
	 * overlayfs shows them. */
	(void)chown(upper, st.st_uid, st.st_gid);
	(void)chmod(upper, st.st_mode & 07777);
	opt_path(lower, sizeof lower, src);
	fmt_snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (mount("overlay", dst, "overlay", flags_of(m), opts) != 0)
		return fail(why, size, "overlaying", m->point);
	return 0;
}

/* True when a later entry is mounted at the same point: only the top one
 * of a stack is visible, and only it is placed. */
static bool covered(const struct mount_entry *e, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (strcmp(e[j].point, e[i].point) == 0)
			return true;
	return false;
}

static int build(struct mount_entry *e, size_t n, char *buf, char *why, size_t size)
{
	if (mkdir("old", 0700) != 0 || mkdir("new", 0755) != 0 || mkdir("up", 0700) != 0)
		return fail(why, size, "making the staging directories", NULL);
	if (syscall(SYS_pivot_root, ".", "old") != 0)
		return fail(why, size, "pivot_root into the staging tmpfs", NULL);
	if (chdir("/") != 0)
		return fail(why, size, "chdir", NULL);
	/* The list is in mount order: a parent comes before what is mounted
	 * inside it. The root first, then the rest. */
	for (size_t i = 0; i < n; i++)
		if (!covered(e, n, i) && strcmp(e[i].point, "/") == 0 &&
		    place(&e[i], i, buf, why, size) != 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (!covered(e, n, i) && strcmp(e[i].point, "/") != 0 &&
		    place(&e[i], i, buf, why, size) != 0)
			return -1;
	/* The new tree becomes the root; the staging tmpfs and the original
	 * tree under it are detached (the overlays keep what they use). */
	if (chdir("/new") != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		return fail(why, size, "pivot_root into the new tree", NULL);
	return 0;
}

int sandbox_enter(char *why, size_t size)
{
	/* The system call, not musl's getcwd(), which links malloc in. */
	char cwd[1024];
	if (syscall(SYS_getcwd, cwd, sizeof cwd) <= 0 || cwd[0] != '/')
		fmt_snprintf(cwd, sizeof cwd, "/");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail(why, size, "making the mounts private", NULL);
	const char *stage = NULL;
	struct stat st;
	for (size_t i = 0; i < sizeof stages / sizeof stages[0] && !stage; i++)
		if (stat(stages[i], &st) == 0 && S_ISDIR(st.st_mode))
			stage = stages[i];
	if (stage == NULL) {
		errno = ENOENT;
		return fail(why, size, "finding a directory to stage in", NULL);
	}
	if (mount("capinit-probe", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
		return fail(why, size, "mounting a tmpfs on", stage);
	if (chdir(stage) != 0)
		return fail(why, size, "chdir", stage);
	/* The mount table as this namespace sees it, through a /proc of our
	 * own: capinit's may be missing. Its last two entries are the staging
	 * tmpfs and that /proc. */
	if (mkdir("proc", 0500) != 0 || mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV, NULL) != 0)
		return fail(why, size, "mounting /proc to read the mount table", NULL);
	size_t entries_size = MAX_MOUNTS * sizeof(struct mount_entry);
	char *mem = mmap(NULL, MOUNTINFO_MAX + COPY_MAX + entries_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail(why, size, "memory for the mount table", NULL);
	struct mount_entry *e = (struct mount_entry *)(mem + MOUNTINFO_MAX + COPY_MAX);
	size_t len = read_all("proc/self/mountinfo", mem, MOUNTINFO_MAX);
	size_t n = parse_all(mem, len, e, MAX_MOUNTS);
	if (n < 3 || len >= MOUNTINFO_MAX) {
		errno = n < 3 ? EINVAL : E2BIG;
		return fail(why, size, "reading the mount table", NULL);
	}
	if (build(e, n - 2, mem + MOUNTINFO_MAX, why, size) != 0)
		return -1;
	if (chdir(cwd) != 0 && chdir("/") != 0)
		return fail(why, size, "chdir", cwd);
	return 0;
}
