#include "procstatus.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "rawsys.h"

#define PROC_SUPER_MAGIC_VALUE 0x9fa0

enum field_bit {
	F_UID = 1, F_GID = 2, F_GROUPS = 4, F_SIGIGN = 8, F_CAPINH = 16, F_CAPPRM = 32,
	F_CAPEFF = 64, F_CAPBND = 128, F_CAPAMB = 256, F_NNP = 512,
	F_ALL = 1023,
	/* Optional, not in F_ALL; seen twice is still refused. */
	F_SECCOMP = 1024, F_SECCOMP_FILTERS = 2048,
	F_BAD = 4096, /* an optional field that is malformed */
};

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* An unsigned number in base 10 or 16 up to `end`; advances *pp. */
static bool number(const char **pp, const char *end, unsigned base, uint64_t max, uint64_t *out)
{
	const char *p = skip_blanks(*pp, end);
	uint64_t v = 0;
	const char *start = p;
	for (; p < end; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			break;
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	if (p == start)
		return false;
	*pp = p;
	*out = v;
	return true;
}

static bool at_line_end(const char *p, const char *end)
{
	return skip_blanks(p, end) == end;
}

/* "Uid:\t0\t0\t0\t0": real, effective, saved, filesystem. */
static bool ids(const char *p, const char *end, uint32_t *out)
{
	uint64_t v;
	for (int i = 0; i < 4; i++) {
		if (!number(&p, end, 10, UINT32_MAX, &v))
			return false;
		if (i < 3)
			out[i] = (uint32_t)v;
	}
	return at_line_end(p, end);
}

static bool groups(const char *p, const char *end, struct procstatus *st)
{
	st->ngroups = 0;
	uint64_t v;
	while (!at_line_end(p, end)) {
		if (!number(&p, end, 10, UINT32_MAX, &v))
			return false;
		if (st->ngroups < PROCSTATUS_MAX_GROUPS)
			st->groups[st->ngroups] = (gid_t)v;
		st->ngroups++;
	}
	return true;
}

static bool hex64(const char *p, const char *end, uint64_t *out)
{
	return number(&p, end, 16, UINT64_MAX, out) && at_line_end(p, end);
}

/* A decimal number up to max, alone on its line. */
static bool small(const char *p, const char *end, uint64_t max, int *out)
{
	uint64_t v;
	if (!number(&p, end, 10, max, &v) || !at_line_end(p, end))
		return false;
	*out = (int)v;
	return true;
}

static unsigned parse_line(const char *line, const char *end, struct procstatus *st)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	if (colon == NULL)
		return 0;
	size_t n = (size_t)(colon - line);
	const char *v = colon + 1;
	uint64_t nnp;
#define IS(name) (n == sizeof(name) - 1 && memcmp(line, name, n) == 0)
	if (IS("Uid"))
		return ids(v, end, st->uid) ? F_UID : 0;
	if (IS("Gid"))
		return ids(v, end, st->gid) ? F_GID : 0;
	if (IS("Groups"))
		return groups(v, end, st) ? F_GROUPS : 0;
	if (IS("SigIgn"))
		return hex64(v, end, &st->sig_ign) ? F_SIGIGN : 0;
	if (IS("CapInh"))
		return hex64(v, end, &st->cap_inh) ? F_CAPINH : 0;
	if (IS("CapPrm"))
		return hex64(v, end, &st->cap_prm) ? F_CAPPRM : 0;
	if (IS("CapEff"))
		return hex64(v, end, &st->cap_eff) ? F_CAPEFF : 0;
	if (IS("CapBnd"))
		return hex64(v, end, &st->cap_bnd) ? F_CAPBND : 0;
	if (IS("CapAmb"))
		return hex64(v, end, &st->cap_amb) ? F_CAPAMB : 0;
	if (IS("NoNewPrivs")) {
		if (!number(&v, end, 10, 1, &nnp) || !at_line_end(v, end))
			return 0;
		st->no_new_privs = nnp == 1;
		return F_NNP;
	}
	/* 0 disabled, 1 strict, 2 filter; the filter count is an int in the
	 * kernel. */
	if (IS("Seccomp"))
		return small(v, end, 2, &st->seccomp_mode) ? F_SECCOMP : F_BAD;
	if (IS("Seccomp_filters"))
		return small(v, end, INT32_MAX, &st->seccomp_filters) ? F_SECCOMP_FILTERS : F_BAD;
#undef IS
	return 0;
}

int procstatus_parse(const char *text, size_t len, struct procstatus *out)
{
	memset(out, 0, sizeof *out);
	out->seccomp_mode = out->seccomp_filters = -1;
	unsigned seen = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		unsigned bit = parse_line(p, line_end, out);
		/* A field twice would make the file ambiguous: refuse it. */
		if ((bit & seen) || bit == F_BAD)
			return -1;
		seen |= bit;
		p = nl ? nl + 1 : end;
	}
	return (seen & F_ALL) == F_ALL ? 0 : -1;
}

int procstatus_read(struct procstatus *out)
{
	int fd = raw_open("/proc/self/status", O_RDONLY | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct statfs fs;
	/* About 1.4 kB on a usual machine; the fields that grow with it (the
	 * CPU and memory-node masks, 64 groups) stay well under 4 kB even with
	 * thousands of CPUs, and a file that does not fit is refused (the
	 * caller then asks by system calls). Not larger: this runs in both
	 * processes on the start-up path, and every 4 kB of stack it reaches
	 * is a page fault in each. */
	char buf[4096];
	ssize_t n = -1;
	if (fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC_VALUE)
		n = read(fd, buf, sizeof buf);
	if (n < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* errno is left alone on success: it lives in a page the child
	 * shares copy-on-write with the parent until it executes. */
	close(fd);
	if (n == 0 || (size_t)n >= sizeof buf)
		return -1;
	return procstatus_parse(buf, (size_t)n, out);
}
