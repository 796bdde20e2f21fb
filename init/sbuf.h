/* A string built up in a caller's fixed buffer: appends that do not fit
 * are cut (and remembered), never overflow. For the probe's output, whose
 * lines are assembled from pieces before they are printed or escaped as
 * JSON.
 *
 * Pure: no system call, no allocation. */
#ifndef INIT_SBUF_H
#define INIT_SBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"

struct sbuf {
	char *buf;
	size_t size, len;
	bool cut; /* something did not fit */
};

/* size must be at least 1: the buffer always holds a NUL-terminated string. */
void sb_init(struct sbuf *s, char *buf, size_t size);
void sb_puts(struct sbuf *s, const char *str);
void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `src`, every byte outside printable ASCII as \xHH (escape_text), at most
 * `max` bytes of output; when it does not all fit, it ends in "...". */
void sb_escaped(struct sbuf *s, const char *src, size_t max);
/* The names of m's bits ("CHOWN,SETUID"), `sep` between them, "none" for
 * the empty set; cut with "..." when they do not fit. */
void sb_caps(struct sbuf *s, capmask m, const char *sep);

#endif
