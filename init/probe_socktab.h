/* The port oracle's parser: one line of /proc/net/tcp, tcp6, udp or udp6
 * as the kernel writes it. Pure; probe_port.c reads the files and decides
 * whose socket a line is (its inode, held by a trial's process or not). */
#ifndef INIT_PROBE_SOCKTAB_H
#define INIT_PROBE_SOCKTAB_H

#include <stdbool.h>
#include <stddef.h>

#define SOCKTAB_TCP_LISTEN 0x0A

struct socktab_entry {
	unsigned port;            /* the local port */
	unsigned state;           /* TCP state (0x0A LISTEN); UDP: 0x07 unconnected */
	unsigned long long inode; /* the socket's inode: "socket:[N]" in /proc/PID/fd */
};

/* True when `line` (without its newline) is a well-formed table row; fills
 * *e. The header line and anything malformed are false, and nothing past
 * len is read. */
bool probe_socktab_line(const char *line, size_t len, struct socktab_entry *e);

#endif
