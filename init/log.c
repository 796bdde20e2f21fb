#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "fmt.h"

static int current_level = LOG_WARN;
static int info_fd = STDERR_FILENO;

void log_set_level(int level) { current_level = level; }

void log_set_info_fd(int fd) { info_fd = fd; }

int log_get_level(void) { return current_level; }

#define LINE_SIZE 1024

/* Append text to line (size LINE_SIZE, leaving room for the newline) with
 * every byte outside printable ASCII written as \xHH: messages echo tokens
 * from the environment and the command line, and a newline or an escape
 * sequence there must not forge a log line or drive the terminal. What no
 * longer fits is cut. Returns the new length. */
static size_t append_escaped(char *line, size_t len, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const size_t room = LINE_SIZE - 1;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f;
		if (len + (plain ? 1 : 4) > room)
			break;
		if (plain) {
			line[len++] = (char)*p;
			continue;
		}
		line[len++] = '\\';
		line[len++] = 'x';
		line[len++] = hex[*p >> 4];
		line[len++] = hex[*p & 15];
	}
	return len;
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	int saved_errno = errno; /* callers may log then inspect errno */
	char text[LINE_SIZE], line[LINE_SIZE];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	size_t len = append_escaped(line, 0, "capinit: ");
	len = append_escaped(line, len, text);
	line[len++] = '\n';

	/* Best effort: if stderr is gone there is nobody to tell. */
	ssize_t w = write(level >= LOG_INFO ? info_fd : STDERR_FILENO, line, len);
	(void)w;
	errno = saved_errno;
}
