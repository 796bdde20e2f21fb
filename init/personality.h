/* Personalities: what tini and dumb-init users see when capinit runs under
 * their names, in one place.
 *
 * Invoked as `tini`, `tini-static`, `docker-init` or `dumb-init`, capinit
 * takes that tool's defaults, prints its usage, error, help and version
 * texts where people and tools read them, and writes its log lines in that
 * tool's format. Everything that differs between the three lives here, as
 * data (struct persona) and as formatting functions, so config.c stays about
 * parsing and supervise.c about supervising.
 *
 * Pure: formats into caller buffers, makes no system call. */
#ifndef INIT_PERSONALITY_H
#define INIT_PERSONALITY_H

#include <stdbool.h>
#include <stddef.h>

/* Which tool's defaults apply, chosen by the name capinit is invoked as. */
enum personality { PERSONALITY_CAPINIT, PERSONALITY_TINI, PERSONALITY_DUMB_INIT };

/* A personality's defaults and where it prints. */
struct persona {
	const char *name;
	int usage_status;   /* a bad command line: capinit's contract says 2, the others 1 */
	int startup_status; /* -p or -s cannot be set up: 125, the others 1 */
	unsigned grace_seconds; /* tini and dumb-init leave as soon as the child exits */
	/* dumb-init: the child leads a new session, signals go to its group,
	 * and the init stops with it on TSTP/TTIN/TTOU. */
	bool setsid;
	bool suspend_on_tty_signals;
	/* Not PID 1: become a subreaper unasked (tini only does with -s). */
	bool subreaper_unasked;
	/* dumb-init: when the child exits, SIGTERM goes to what is left of its
	 * session (and the step is logged even in single-child mode). */
	bool term_on_exit;
	int rewrite_max; /* highest signal -r accepts (dumb-init: 31) */
	/* tini leaves the dispositions it was given to its child: signals the
	 * caller ignored stay ignored there (tini's own suite checks it).
	 * capinit and dumb-init start the child with every one at its default,
	 * as runc does. capinit itself resets them under every name, so they
	 * still reach it to be forwarded. */
	bool child_keeps_ignored;
	int info_fd;     /* where LOG_INFO and above go (tini: stdout) */
	int text_fd;     /* where help and version go (dumb-init: stderr) */
	/* -v and DUMB_INIT_DEBUG=1 turn on dumb-init's single debug level. */
	bool verbose_is_debug;
	/* The log level DUMB_INIT_DEBUG=1 (and, under dumb-init, -v) sets:
	 * dumb-init's lines show at LOG_INFO, so that capinit's own debug
	 * lines stay out of a log its users parse. */
	int debug_level;
};

const struct persona *persona_get(enum personality p);
enum personality personality_from_argv0(const char *argv0);

/* Command-line errors a personality words in its own way. */
enum usage_error {
	USAGE_MISSING_COMMAND,
	USAGE_UNKNOWN_LONG,  /* arg: the option's name without "--" */
	USAGE_UNKNOWN_SHORT, /* arg: the option letter */
	USAGE_NEEDS_VALUE,   /* arg: the option as spelled, "-r" / "--rewrite" */
	USAGE_BAD_REWRITE,   /* arg: the value */
};

/* Fills buf with the complete text (final newline included) and returns
 * true when personality p prints this error in its own words, unprefixed;
 * false: capinit's own "capinit: ..." message applies. */
bool persona_usage_error(enum personality p, enum usage_error e, const char *arg, char *buf,
			 size_t size);

/* Help and version texts; version and commit are capinit's. Return the
 * length written (truncated to size - 1). */
size_t persona_help(enum personality p, const char *version, const char *commit, char *buf,
		    size_t size);
size_t persona_version(enum personality p, const char *version, const char *commit, char *buf,
		       size_t size);
const char *persona_license(void);

/* The prefix of a log line at level (log.h's values): "capinit: ",
 * "[WARN  tini (PID)] ", "[dumb-init] ". Returns its length. */
size_t persona_log_prefix(enum personality p, int level, int pid, char *buf, size_t size);

/* What the supervisor reports; each personality words it (or not). */
enum event_kind {
	EV_CHILD_SPAWNED,  /* pid, text = command */
	EV_SETSID_DONE,    /* in the child */
	EV_SIGNAL_RECEIVED, /* sig */
	EV_CHILD_REAPED,   /* pid, status (raw wait status), main_child */
	EV_SIGNAL_REWRITTEN, /* sig -> to */
	EV_SIGNAL_DROPPED, /* sig (0 after a rewrite to 0) */
	EV_SIGNAL_FORWARDED, /* sig, pid = target */
	EV_SUSPENDING,     /* TSTP/TTIN/TTOU: the init stops itself */
	EV_TTY_HANDOFF_IGNORED, /* sig: the SIGHUP/SIGCONT of giving up the terminal */
	EV_GOODBYE,        /* status = the exit status */
	EV_EXEC_FAILED,    /* in the child: text = command, detail = strerror */
};

struct event {
	enum event_kind kind;
	int pid, sig, to, status;
	bool main_child;
	bool warn_on_reap; /* tini -w */
	const char *text;
	const char *detail;
};

/* Formats ev into buf as personality p words it; returns the log level
 * (log.h) to show it at, or PERSONA_SILENT when p does not report it. */
#define PERSONA_SILENT (-100)
int persona_event(enum personality p, const struct event *ev, char *buf, size_t size);

/* Not PID 1 and no subreaper: the warning (tini's says zombie reaping
 * won't work, the words tini's users and tests look for). */
const char *persona_no_subreaper_warning(enum personality p);

#endif
