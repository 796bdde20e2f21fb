#include "mountinfo.h"

#include <string.h>

#include "decimal.h"

/* The next space-separated field of line[*i..len): its start and length. */
static bool field(const char *line, size_t len, size_t *i, const char **start, size_t *n)
{
	while (*i < len && line[*i] == ' ')
		(*i)++;
	if (*i >= len)
		return false;
	*start = line + *i;
	while (*i < len && line[*i] != ' ')
		(*i)++;
	*n = (size_t)(line + *i - *start);
	return true;
}

static bool number(const char *s, size_t n, unsigned *out)
{
	unsigned long long v;
	if (!parse_decimal(s, n, 0xffffffffull, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* The kernel writes space, tab, newline and backslash in paths as \ooo. */
static bool unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
		    s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (c == '\0' || o + 1 >= size)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0;
}

static bool has_option(const char *opts, size_t n, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && opts[j] != ',')
			j++;
		if (j - i == len && memcmp(opts + i, name, len) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

bool mountinfo_parse(const char *line, size_t len, struct mount_entry *e)
{
	memset(e, 0, sizeof *e);
	size_t i = 0, n, optn = 0;
	const char *f, *opts = NULL;
	for (int k = 0; k < 6; k++) {
		if (!field(line, len, &i, &f, &n))
			return false;
		if ((k == 0 && !number(f, n, &e->id)) || (k == 1 && !number(f, n, &e->parent)))
			return false;
		if (k == 4 && !unescape(f, n, e->point, sizeof e->point))
			return false;
		if (k == 5) {
			opts = f;
			optn = n;
		}
	}
	/* Optional fields up to the lone "-", then the filesystem type. */
	do {
		if (!field(line, len, &i, &f, &n))
			return false;
	} while (!(n == 1 && f[0] == '-'));
	if (!field(line, len, &i, &f, &n) || n >= sizeof e->fstype)
		return false;
	memcpy(e->fstype, f, n);
	e->ro = has_option(opts, optn, "ro");
	e->nosuid = has_option(opts, optn, "nosuid");
	e->nodev = has_option(opts, optn, "nodev");
	e->noexec = has_option(opts, optn, "noexec");
	return e->point[0] == '/';
}

bool mountinfo_is_kernel_fs(const char *fstype)
{
	static const char *const kernel[] = {
		"proc",	      "sysfs",	   "devtmpfs",	  "devpts",    "mqueue",   "cgroup",
		"cgroup2",    "securityfs", "debugfs",	  "tracefs",   "bpf",	   "configfs",
		"fusectl",    "pstore",	   "hugetlbfs",	  "binfmt_misc", "autofs", "efivarfs",
		"nsfs",	      "rpc_pipefs", "selinuxfs",	  "nfsd",
	};
	for (size_t i = 0; i < sizeof kernel / sizeof kernel[0]; i++)
		if (strcmp(fstype, kernel[i]) == 0)
			return true;
	return false;
}
