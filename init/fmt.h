/* A small printf subset: %s %c %d %u %x with flags '-' and '0', a width, a
 * precision ('.N' or '.*') and C's length modifiers hh h l ll z j t, each
 * reading the argument with its own type (on 32-bit targets size_t and long
 * are narrower than long long).
 *
 * Why not libc's: musl's printf core brings floating-point formatting along,
 * about 11 kB of a static binary that otherwise weighs ~55 kB, for
 * conversions capinit never uses. The format attribute keeps the compiler
 * checking every call as it would for printf. */
#ifndef INIT_FMT_H
#define INIT_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* As vsnprintf: always NUL-terminates when size > 0, returns the length the
 * whole output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Buffered output to a file descriptor (stdout for --print and --help). */
struct outbuf {
	int fd;
	bool failed;
	size_t len;
	char data[4096];
};

void out_printf(struct outbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_puts(struct outbuf *out, const char *s);
/* s with every byte outside printable ASCII written as \xHH (escape.h):
 * for text that came from outside (an image's /etc/passwd, argv), so it
 * cannot drive the reader's terminal or forge a line. */
void out_puts_escaped(struct outbuf *out, const char *s);
/* Returns 0 when everything written so far reached the descriptor. */
int out_flush(struct outbuf *out);

#endif
