/* The port oracle of the in-process runners: is PORT (TCP: listening; UDP:
 * bound) held by a socket of one of the TRIAL's own processes? An
 * unrelated listener in the same network namespace (another container of a
 * pod, a daemon of the host) never makes a trial work.
 *
 * The tables are this network namespace's /proc/net/{tcp,tcp6,udp,udp6};
 * a socket belongs to the trial when its inode is one of the descriptors
 * ("socket:[N]") of a process of the trial: every process of the trial's
 * PID namespace (sandbox), or every process of capinit's own but capinit
 * (in place, where capinit is PID 1 and alone before trial 1). This only
 * reads /proc; it never decides what to kill. */
#ifndef INIT_PROBE_PORT_H
#define INIT_PROBE_PORT_H

#include <stdbool.h>
#include <sys/types.h>

/* Whose sockets count: the processes whose /proc/PID/ns/pid link reads
 * `pidns` ("pid:[4026532...]"), or, when pidns is NULL, every process but
 * `except`. */
struct probe_owner {
	const char *pidns;
	pid_t except;
};

/* 1: bound by the owner's processes; 0: not. owner NULL: by anyone (the
 * check before trial 1 that the port is free). -1: the tables cannot be
 * read (no /proc). */
int probe_port_bound(unsigned port, bool udp, const struct probe_owner *owner);

#endif
