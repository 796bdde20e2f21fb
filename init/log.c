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

/* Callers may log and then inspect errno, so logging leaves it as it was;
 * but it is written back only when it changed. errno lives in the thread's
 * block, in a page the parent and the child share copy-on-write until the
 * child executes: writing the same value back costs each a page fault on
 * the start-up path (~10 us on a virtual machine) for nothing. */
static void restore_errno(int saved)
{
	/* The test is the point: it is the write that costs. */
	// cppcheck-suppress duplicateConditionalAssign
	if (errno != saved)
		errno = saved;
}

/* One line: the personality's prefix, the escaped text, on stderr, or for
 * LOG_INFO and above where the personality prints them (tini: stdout). */
static void emit(int level, const char *text)
{
	int saved_errno = errno;
	char prefix[64], line[LINE_SIZE];
	persona_log_prefix(personality, level, (int)getpid(), prefix, sizeof prefix);
	size_t len = append_escaped(line, 0, prefix);
	len = append_escaped(line, len, text);
	line[len++] = '\n';

	/* Best effort: if stderr is gone there is nobody to tell. */
	int fd = level >= LOG_INFO ? persona_get(personality)->info_fd : STDERR_FILENO;
	ssize_t w = write(fd, line, len);
	(void)w;
	restore_errno(saved_errno);
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
	restore_errno(saved_errno);
	emit(level, text);
}

void log_event_of(int kind, int pid, int sig, int to, int status)
{
	log_event(&(struct event){.kind = (enum event_kind)kind, .pid = pid, .sig = sig, .to = to,
				  .status = status});
}

void log_event(const struct event *ev)
{
	int saved_errno = errno;
	char text[512];
	int level = persona_event(personality, ev, text, sizeof text);
	restore_errno(saved_errno);
	if (level == PERSONA_SILENT || level > current_level)
		return;
	emit(level, text);
}
