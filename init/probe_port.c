#define _GNU_SOURCE
#include "probe_port.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "decimal.h"
#include "fmt.h"
#include "probe_socktab.h"
#include "rawsys.h"

/* At most this many sockets on the port are looked for (a server has one
 * or two: IPv4 and IPv6). */
#define MAX_INODES 16

/* Collect the inodes of the sockets on `port` from one table; -1 when it
 * cannot be opened. Lines span reads; one longer than the buffer is not
 * the kernel's (about 150 bytes) and is skipped. */
static int scan_table(const char *path, unsigned port, bool udp, unsigned long long *inodes,
		      int *n)
{
	int fd = raw_open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	char buf[4096];
	size_t have = 0;
	bool skipping = false;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof buf - have);
		if (got <= 0)
			break;
		have += (size_t)got;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			struct socktab_entry e;
			if (!skipping && probe_socktab_line(buf + start, i - start, &e) &&
			    e.port == port && (udp || e.state == SOCKTAB_TCP_LISTEN) &&
			    *n < MAX_INODES)
				inodes[(*n)++] = e.inode;
			skipping = false;
			start = i + 1;
		}
		if (start == 0 && have == sizeof buf) {
			skipping = true;
			have = 0;
		} else {
			memmove(buf, buf + start, have - start);
			have -= start;
		}
	}
	close(fd);
	return 0;
}

/* The names in a directory, by getdents64 (opendir would bring malloc into
 * the static binary), each passed to fn until it returns true. */
static bool each_entry(const char *dir, bool (*fn)(const char *name, void *arg), void *arg,
		       bool *denied)
{
	int fd = raw_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (errno == EACCES && denied)
			*denied = true;
		return false;
	}
	char buf[4096];
	long got;
	bool found = false;
	while (!found && (got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < got && !found;) {
			/* struct linux_dirent64: ino (8), off (8), reclen (2),
			 * type (1), then the NUL-terminated name. */
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof reclen);
			const char *name = buf + off + 19;
			off += reclen;
			if (name[0] >= '0' && name[0] <= '9')
				found = fn(name, arg);
		}
	}
	close(fd);
	return found;
}

struct search {
	const struct probe_owner *owner;
	const unsigned long long *inodes;
	int n;
	const char *pid; /* the process being looked at */
	bool denied;     /* a process whose descriptors capinit may not read */
};

static bool fd_matches(const char *fdname, void *arg)
{
	struct search *s = arg;
	char path[96], target[64];
	fmt_snprintf(path, sizeof path, "/proc/%s/fd/%s", s->pid, fdname);
	ssize_t len = readlink(path, target, sizeof target - 1);
	if (len < 0 && errno == EACCES)
		s->denied = true;
	if (len < 9 || memcmp(target, "socket:[", 8) != 0 || target[len - 1] != ']')
		return false;
	unsigned long long inode;
	if (!parse_decimal(target + 8, (size_t)len - 9, ~0ull, &inode))
		return false;
	for (int i = 0; i < s->n; i++)
		if (s->inodes[i] == inode)
			return true;
	return false;
}

static bool process_holds(const char *pid, void *arg)
{
	struct search *s = arg;
	unsigned long long v;
	if (!parse_decimal(pid, strlen(pid), 0x7fffffff, &v))
		return false;
	if (s->owner->pidns) {
		char path[64], ns[64];
		fmt_snprintf(path, sizeof path, "/proc/%s/ns/pid", pid);
		ssize_t len = readlink(path, ns, sizeof ns - 1);
		if (len <= 0) {
			s->denied = s->denied || errno == EACCES;
			return false;
		}
		ns[len] = '\0';
		if (strcmp(ns, s->owner->pidns) != 0)
			return false;
	} else if ((pid_t)v == s->owner->except) {
		return false;
	}
	char dir[64];
	fmt_snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
	s->pid = pid;
	bool found = each_entry(dir, fd_matches, s, &s->denied);
	s->pid = NULL;
	return found;
}

int probe_port_bound(unsigned port, bool udp, const struct probe_owner *owner)
{
	static const char *const tcp[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	static const char *const udps[] = {"/proc/net/udp", "/proc/net/udp6"};
	const char *const *tables = udp ? udps : tcp;
	unsigned long long inodes[MAX_INODES];
	int n = 0, readable = 0;
	for (int t = 0; t < 2; t++)
		if (scan_table(tables[t], port, udp, inodes, &n) == 0)
			readable++;
	if (readable == 0)
		return -1;
	if (n == 0)
		return 0;
	if (owner == NULL)
		return 1;
	struct search s = {owner, inodes, n, NULL, false};
	if (each_entry("/proc", process_holds, &s, NULL))
		return 1;
	/* A process of another uid whose descriptors only CAP_SYS_PTRACE
	 * would let capinit read (a trial of a non-root user, where capinit
	 * does not hold it, as under Docker's default set): the socket on the
	 * port, which was free before trial 1, cannot be told apart from one
	 * of another container of this network namespace, and is taken as
	 * the trial's (docs/probe-runners.md). */
	return s.denied ? 1 : 0;
}
