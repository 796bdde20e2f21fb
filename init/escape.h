/* Escaping for everything capinit writes that came from outside: one
 * place, so no path (a log line, --print, a usage error under any
 * personality, the probe's output) can let an image or an app drive the
 * reader's terminal or forge a line.
 *
 * Pure: writes into the caller's buffer, no system call. */
#ifndef INIT_ESCAPE_H
#define INIT_ESCAPE_H

#include <stddef.h>

/* Append src[0..len) to dst (which holds *used bytes of `size`), every byte
 * outside printable ASCII (0x20-0x7e) written as \xHH. Stops before a byte
 * that would not fit whole, keeping room for a terminating NUL, which it
 * writes. Returns the number of source bytes consumed. */
size_t escape_text(char *dst, size_t size, size_t *used, const char *src, size_t len);

/* The same as a JSON string body (no quotes): " and \ escaped, control
 * bytes as \uXXXX (\n \t as such), and bytes 0x7f-0xff, which need not be
 * UTF-8, as \u00XX, so the result is always valid JSON and pure ASCII. */
size_t escape_json(char *dst, size_t size, size_t *used, const char *src, size_t len);

#endif
