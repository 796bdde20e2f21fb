#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "fmt.h"
#include "personality.h"

static int current_level = LOG_WARN;
static enum personality personality = PERSONALITY_CAPINIT;

void log_set_level(int level) { current_level = level; }

void log_set_personality(int p) { personality = (enum personality)p; }

int log_get_level(void) { return current_level; }

static void emit(int level, const char *fmt, va_list ap)
{
	int saved_errno = errno; /* callers may log then inspect errno */
	char line[1024];
	size_t len = persona_log_prefix(personality, level, (int)getpid(), line, 64);
	int n = fmt_vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	if (n < 0)
		n = 0;
	len += (size_t)n < sizeof line - len - 1 ? (size_t)n : sizeof line - len - 2;
	line[len++] = '\n';

	/* Best effort: if stderr is gone there is nobody to tell. */
	int fd = level >= LOG_INFO ? persona_get(personality)->info_fd : STDERR_FILENO;
	ssize_t w = write(fd, line, len);
	(void)w;
	errno = saved_errno;
}

__attribute__((format(printf, 2, 3))) static void emit_fmt(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, fmt, ap);
	va_end(ap);
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(level, fmt, ap);
	va_end(ap);
}

void log_event(const struct event *ev)
{
	char text[512];
	int level = persona_event(personality, ev, text, sizeof text);
	if (level == PERSONA_SILENT || level > current_level)
		return;
	emit_fmt(level, "%s", text);
}
