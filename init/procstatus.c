#include "procstatus.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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

/* The fields in the order of enum field_bit (field i is bit 1 << i), as
 * one string; where each goes, for those read by one helper. */
static const char field_names[] = "Uid\0Gid\0Groups\0SigIgn\0CapInh\0CapPrm\0CapEff\0CapBnd\0"
				  "CapAmb\0NoNewPrivs\0Seccomp\0Seccomp_filters";
static const unsigned short field_at[] = {
	offsetof(struct procstatus, uid),     offsetof(struct procstatus, gid),     0,
	offsetof(struct procstatus, sig_ign), offsetof(struct procstatus, cap_inh),
	offsetof(struct procstatus, cap_prm), offsetof(struct procstatus, cap_eff),
	offsetof(struct procstatus, cap_bnd), offsetof(struct procstatus, cap_amb), 0,
	offsetof(struct procstatus, seccomp_mode), offsetof(struct procstatus, seccomp_filters),
};

static unsigned parse_line(const char *line, const char *end, struct procstatus *st)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	if (colon == NULL)
		return 0;
	size_t n = (size_t)(colon - line);
	const char *v = colon + 1;
	const char *name = field_names;
	unsigned i = 0;
	for (; i < sizeof field_at / sizeof field_at[0]; name += strlen(name) + 1, i++)
		if (strlen(name) == n && memcmp(line, name, n) == 0)
			break;
	if (i == sizeof field_at / sizeof field_at[0])
		return 0;
	void *to = (char *)st + field_at[i];
	uint64_t nnp;
	bool ok;
	if (i < 2) {
		ok = ids(v, end, to);
	} else if (i == 2) {
		ok = groups(v, end, st);
	} else if (i < 9) {
		ok = hex64(v, end, to);
	} else if (i == 9) {
		ok = number(&v, end, 10, 1, &nnp) && at_line_end(v, end);
		if (ok)
			st->no_new_privs = nnp == 1;
	} else {
		/* 0 disabled, 1 strict, 2 filter; the filter count is an int in
		 * the kernel. A malformed optional field is refused. */
		return small(v, end, i == 10 ? 2 : INT32_MAX, to) ? 1u << i : F_BAD;
	}
	return ok ? 1u << i : 0;
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
