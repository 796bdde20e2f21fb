#include "personality.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h" /* the level values only: nothing here logs */

static const struct persona personas[] = {
	[PERSONALITY_CAPINIT] = {
		.name = "capinit",
		.usage_status = 2,
		.startup_status = 125,
		.grace_seconds = 5,
		.subreaper_unasked = true,
		.rewrite_max = 64,
		.info_fd = STDERR_FILENO,
		.text_fd = STDOUT_FILENO,
		.debug_level = LOG_DEBUG,
	},
	[PERSONALITY_TINI] = {
		.name = "tini",
		.usage_status = 1,
		.startup_status = 1,
		.rewrite_max = 64,
		.child_keeps_ignored = true,
		/* tini prints its info, debug and trace lines on stdout. */
		.info_fd = STDOUT_FILENO,
		.text_fd = STDOUT_FILENO,
		.debug_level = LOG_DEBUG,
	},
	[PERSONALITY_DUMB_INIT] = {
		.name = "dumb-init",
		.usage_status = 1,
		.startup_status = 1,
		.setsid = true,
		.suspend_on_tty_signals = true,
		.subreaper_unasked = true,
		.term_on_exit = true,
		/* dumb-init keeps one table entry per classic signal. */
		.rewrite_max = 31,
		.info_fd = STDERR_FILENO,
		/* dumb-init prints its help and version on stderr. */
		.text_fd = STDERR_FILENO,
		.verbose_is_debug = true,
		.debug_level = LOG_INFO,
	},
};

const struct persona *persona_get(enum personality p) { return &personas[p]; }

enum personality personality_from_argv0(const char *argv0)
{
	if (argv0 == NULL)
		return PERSONALITY_CAPINIT;
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	if (strcmp(base, "tini") == 0 || strcmp(base, "tini-static") == 0 ||
	    strcmp(base, "docker-init") == 0)
		return PERSONALITY_TINI;
	if (strcmp(base, "dumb-init") == 0)
		return PERSONALITY_DUMB_INIT;
	return PERSONALITY_CAPINIT;
}

/* ---- log lines -------------------------------------------------------------- */

size_t persona_log_prefix(enum personality p, int level, int pid, char *buf, size_t size)
{
	int n = 0;
	switch (p) {
	case PERSONALITY_CAPINIT:
		n = fmt_snprintf(buf, size, "capinit: ");
		break;
	case PERSONALITY_TINI: {
		/* tini's tags, padded to one width, and its pid. */
		static const char *const tags[] = {"FATAL", "WARN ", "INFO ", "DEBUG", "TRACE"};
		int i = level < LOG_ERROR ? 0 : level > LOG_TRACE ? 4 : level + 1;
		n = fmt_snprintf(buf, size, "[%s tini (%d)] ", tags[i], pid);
		break;
	}
	case PERSONALITY_DUMB_INIT:
		n = fmt_snprintf(buf, size, "[dumb-init] ");
		break;
	}
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* The exit code a shell would show for a raw wait status. */
static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* dumb-init's debug lines, word for word: its test suite matches them. */
static int dumb_init_event(const struct event *ev, char *buf, size_t size)
{
	switch (ev->kind) {
	case EV_CHILD_SPAWNED:
		fmt_snprintf(buf, size, "Child spawned with PID %d.", ev->pid);
		break;
	case EV_SETSID_DONE:
		fmt_snprintf(buf, size, "setsid complete.");
		break;
	case EV_SIGNAL_RECEIVED:
		fmt_snprintf(buf, size, "Received signal %d.", ev->sig);
		break;
	case EV_CHILD_REAPED:
		if (WIFSIGNALED(ev->status))
			fmt_snprintf(buf, size, "A child with PID %d was terminated by signal %d.",
				     ev->pid, WTERMSIG(ev->status));
		else
			fmt_snprintf(buf, size, "A child with PID %d exited with exit status %d.",
				     ev->pid, status_code(ev->status));
		break;
	case EV_SIGNAL_REWRITTEN:
		fmt_snprintf(buf, size, "Translating signal %d to %d.", ev->sig, ev->to);
		break;
	case EV_SIGNAL_DROPPED:
		fmt_snprintf(buf, size, "Not forwarding signal %d to children (ignored).", ev->sig);
		break;
	case EV_SIGNAL_FORWARDED:
		fmt_snprintf(buf, size, "Forwarded signal %d to children.", ev->sig);
		break;
	case EV_SUSPENDING:
		fmt_snprintf(buf, size, "Suspending self due to TTY signal.");
		break;
	case EV_TTY_HANDOFF_IGNORED:
		fmt_snprintf(buf, size, "Ignoring tty hand-off signal %d.", ev->sig);
		break;
	case EV_GOODBYE:
		fmt_snprintf(buf, size, "Child exited with status %d. Goodbye.", ev->status);
		break;
	case EV_EXEC_FAILED:
		fmt_snprintf(buf, size, "%s: %s", ev->text, ev->detail);
		return LOG_ERROR;
	}
	return LOG_INFO;
}

/* capinit's own lines; tini's personality uses them too, except for the
 * reaping warning of -w, which tini's users grep for. */
static int capinit_event(enum personality p, const struct event *ev, char *buf, size_t size)
{
	switch (ev->kind) {
	case EV_CHILD_SPAWNED:
		fmt_snprintf(buf, size, "started child %d: %s", ev->pid, ev->text ? ev->text : "");
		return LOG_INFO;
	case EV_CHILD_REAPED:
		if (ev->main_child) {
			fmt_snprintf(buf, size, "child %d exited with status %d", ev->pid,
				     status_code(ev->status));
			return LOG_INFO;
		}
		if (ev->warn_on_reap) {
			fmt_snprintf(buf, size,
				     p == PERSONALITY_TINI ? "Reaped zombie process with pid=%d"
							   : "reaped zombie process with pid=%d",
				     ev->pid);
			return LOG_WARN;
		}
		fmt_snprintf(buf, size, "reaped %d", ev->pid);
		return LOG_TRACE;
	case EV_SIGNAL_RECEIVED:
		fmt_snprintf(buf, size, "received signal %d", ev->sig);
		return LOG_TRACE;
	case EV_SIGNAL_DROPPED:
		fmt_snprintf(buf, size, "signal %d dropped (rewrite)", ev->sig);
		return LOG_DEBUG;
	case EV_SIGNAL_FORWARDED:
		fmt_snprintf(buf, size, "forwarded signal %d to %d", ev->sig, ev->pid);
		return LOG_DEBUG;
	case EV_EXEC_FAILED:
		fmt_snprintf(buf, size, "cannot execute '%s': %s", ev->text, ev->detail);
		return LOG_ERROR;
	case EV_SIGNAL_REWRITTEN:
	case EV_SETSID_DONE:
	case EV_SUSPENDING:
	case EV_TTY_HANDOFF_IGNORED:
	case EV_GOODBYE:
		break;
	}
	return PERSONA_SILENT;
}

int persona_event(enum personality p, const struct event *ev, char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return p == PERSONALITY_DUMB_INIT ? dumb_init_event(ev, buf, size)
					  : capinit_event(p, ev, buf, size);
}

const char *persona_no_subreaper_warning(enum personality p)
{
	(void)p;
	return "not running as PID 1 and not registered as a child subreaper: orphaned "
	       "processes are not re-parented to this init, so zombie reaping won't work "
	       "(use -s or TINI_SUBREAPER, or run it as PID 1)";
}
