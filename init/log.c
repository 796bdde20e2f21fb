#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "fmt.h"
#include "personality.h"

static int current_level = LOG_WARN;
static enum personality personality = PERSONALITY_CAPINIT;

void log_set_level(int level) { current_level = level; }

void log_set_personality(int p) { personality = (enum personality)p; }

int log_get_level(void) { return current_level; }

#define LINE_SIZE 1024

/* Append text to line (size LINE_SIZE, leaving room for the newline) with
 * every byte outside printable ASCII escaped (escape.h): messages echo
 * tokens from the environment and the command line, and a newline or an
 * escape sequence there must not forge a log line or drive the terminal.
 * What no longer fits is cut. Returns the new length. */
static size_t append_escaped(char *line, size_t len, const char *text)
{
	(void)escape_text(line, LINE_SIZE - 1, &len, text, strlen(text));
	return len;
}

/* One line: the personality's prefix, the escaped text, on stderr, or for
 * LOG_INFO and above where the personality prints them (tini: stdout). */
static void emit(int level, const char *text)
{
	int saved_errno = errno; /* callers may log then inspect errno */
	char prefix[64], line[LINE_SIZE];
	persona_log_prefix(personality, level, (int)getpid(), prefix, sizeof prefix);
	size_t len = append_escaped(line, 0, prefix);
	len = append_escaped(line, len, text);
	line[len++] = '\n';

	/* Best effort: if stderr is gone there is nobody to tell. */
	int fd = level >= LOG_INFO ? persona_get(personality)->info_fd : STDERR_FILENO;
	ssize_t w = write(fd, line, len);
	(void)w;
	errno = saved_errno;
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	int saved_errno = errno;
	char text[LINE_SIZE];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	errno = saved_errno;
	emit(level, text);
}

void log_event(const struct event *ev)
{
	int saved_errno = errno;
	char text[512];
	int level = persona_event(personality, ev, text, sizeof text);
	errno = saved_errno;
	if (level == PERSONA_SILENT || level > current_level)
		return;
	emit(level, text);
}
