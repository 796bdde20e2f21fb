/* Diagnostics on stderr, every line prefixed as the personality words it
 * ("capinit: ", tini's "[WARN  tini (PID)] ", "[dumb-init] ").
 *
 * One global level, set once from the config. Formatting goes through a stack
 * buffer and one write(2) per line, so a line from the parent and one from the
 * child never interleave mid-line and nothing allocates. */
#ifndef INIT_LOG_H
#define INIT_LOG_H

/* Errors always show; warnings unless silenced (tini's TINI_VERBOSITY=0);
 * the rest with -v / CAPINIT_VERBOSE. */
enum log_level { LOG_ERROR = -1, LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2, LOG_TRACE = 3 };

void log_set_level(int level);
int log_get_level(void);
/* The personality whose prefixes and info stream (tini: stdout) apply. */
void log_set_personality(int personality);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct event;
/* A supervisor event, worded (or left out) by the personality. */
void log_event(const struct event *ev);
/* One with only these fields (personality.h): the event is made here, not
 * on each caller's stack (whose address would cost it a stack canary). */
void log_event_of(int kind, int pid, int sig, int to, int status);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
