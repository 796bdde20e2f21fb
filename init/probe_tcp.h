/* The --probe-port oracle's parser: does a line of /proc/net/tcp or tcp6
 * show a socket listening on a port? Pure; probe_run.c reads the files. */
#ifndef INIT_PROBE_TCP_H
#define INIT_PROBE_TCP_H

#include <stdbool.h>
#include <stddef.h>

/* One line of the table ("  0: 00000000:0050 00000000:0000 0A ..."): true
 * when its local port is `port` and its state is LISTEN (0A). The header
 * line and anything malformed are false. */
bool probe_tcp_line_listens(const char *line, size_t len, unsigned port);

#endif
