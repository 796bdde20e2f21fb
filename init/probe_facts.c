#define _GNU_SOURCE
#include "probe_facts.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "decimal.h"
#include "filecaps.h"
#include "fmt.h"
#include "plan.h"
#include "rawsys.h"

/* The first line of a small file (a sysctl), without its newline. */
static bool read_line(const char *path, char *buf, size_t size)
{
	int fd = raw_open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return true;
}

/* "1\t0" (two numbers and white space) */
static bool two_numbers(const char *s, unsigned long *a, unsigned long *b)
{
	size_t i = 0;
	unsigned long long v[2];
	for (int k = 0; k < 2; k++) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		size_t start = i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (!parse_decimal(s + start, i - start, 0xffffffffull, &v[k]))
			return false;
	}
	*a = (unsigned long)v[0];
	*b = (unsigned long)v[1];
	return true;
}

static bool executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* COMMAND found as execvp finds it, through PATH in the child's environment. */
static bool resolve(const char *cmd, char **env, char *out, size_t size)
{
	if (strchr(cmd, '/')) {
		fmt_snprintf(out, size, "%s", cmd);
		return true;
	}
	const char *path = "/usr/local/bin:/bin:/usr/bin";
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		fmt_snprintf(out, size, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
		if (executable_file(out))
			return true;
		if (end == NULL)
			return false;
		p = end;
	}
}

static const char *where(void)
{
	if (access("/.dockerenv", F_OK) == 0)
		return "docker";
	if (access("/run/.containerenv", F_OK) == 0)
		return "podman";
	return getpid() == 1 ? "a container" : "a host";
}

void probe_facts_read(struct probe_facts *f, const struct config *cfg, const struct runtime *rt,
		      char **child_env)
{
	memset(f, 0, sizeof *f);
	char line[64];
	unsigned long long v;
	f->port_start = -1;
	if (read_line("/proc/sys/net/ipv4/ip_unprivileged_port_start", line, sizeof line) &&
	    parse_decimal(line, strlen(line), 65536, &v))
		f->port_start = (int)v;
	if (read_line("/proc/sys/net/ipv4/ping_group_range", line, sizeof line))
		f->ping_known = two_numbers(line, &f->ping_lo, &f->ping_hi);
	f->no_new_privs = rt->no_new_privs;
	f->securebits = rt->securebits;
	f->runtime = where();
	f->pid1 = getpid() == 1;
	if (cfg->command == NULL ||
	    !resolve(cfg->command[0], child_env, f->command_path, sizeof f->command_path))
		return;
	unsigned char value[32];
	ssize_t n = getxattr(f->command_path, "security.capability", value, sizeof value);
	struct filecaps fc;
	if (n > 0 && filecaps_parse(value, (size_t)n, &fc)) {
		f->file_caps = true;
		f->file_permitted = fc.permitted;
		f->file_inheritable = fc.inheritable;
		f->file_effective = fc.effective;
	}
}

bool probe_facts_port_free_here(const struct probe_facts *f, unsigned port)
{
	return port > 0 && port < 1024 && f->port_start >= 0 && (unsigned)f->port_start <= port;
}
