/* Signal names for flags (tini -p) and messages. */
#ifndef INIT_SIGNAME_H
#define INIT_SIGNAME_H

/* "TERM", "SIGTERM" (any case) or "RTMIN+3"; returns the number or -1. */
int signal_from_name(const char *name);

/* "SIGTERM", or NULL for a number without a standard name. */
const char *signal_name(int sig);

#endif
