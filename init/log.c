#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "fmt.h"

static int current_level = LOG_WARN;
static int info_fd = STDERR_FILENO;

void log_set_level(int level) { current_level = level; }

void log_set_info_fd(int fd) { info_fd = fd; }

int log_get_level(void) { return current_level; }

void log_msg(int level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	int saved_errno = errno; /* callers may log then inspect errno */
	char line[1024];
	static const char prefix[] = "capinit: ";
	size_t len = sizeof prefix - 1;
	for (size_t i = 0; i < len; i++)
		line[i] = prefix[i];

	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len += (size_t)n < sizeof line - len - 1 ? (size_t)n : sizeof line - len - 2;
	line[len++] = '\n';

	/* Best effort: if stderr is gone there is nobody to tell. */
	ssize_t w = write(level >= LOG_INFO ? info_fd : STDERR_FILENO, line, len);
	(void)w;
	errno = saved_errno;
}
