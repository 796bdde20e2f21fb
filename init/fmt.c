#include "fmt.h"

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"

/* Where formatted characters go: a bounded buffer that counts what did not
 * fit, so the return value matches snprintf's. */
struct sink {
	char *buf;
	size_t size, len;
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

/* A string or a character: the '0' flag does not apply (C leaves it
 * undefined), so the field is always filled with spaces. */
static void put_padded(struct sink *s, const char *str, size_t n, size_t width, bool left)
{
	size_t fill = width > n ? width - n : 0;
	if (!left)
		for (size_t i = 0; i < fill; i++)
			put(s, ' ');
	for (size_t i = 0; i < n; i++)
		put(s, str[i]);
	if (left)
		for (size_t i = 0; i < fill; i++)
			put(s, ' ');
}

/* An integer: sign, then the precision's leading zeros, then the digits, in
 * a field of `width`. As C says, a precision turns the '0' flag off, and
 * precision 0 prints no digit for the value 0; the '0' flag's zeros go after
 * the sign ("-0042"), never before it. */
static void put_number(struct sink *s, bool negative, const char *digs, size_t n,
		       size_t precision, size_t width, bool left, bool zero)
{
	if (precision != (size_t)-1) {
		zero = false;
		if (precision == 0 && n == 1 && digs[0] == '0')
			n = 0;
	}
	size_t zeros = precision != (size_t)-1 && precision > n ? precision - n : 0;
	size_t body = (negative ? 1 : 0) + zeros + n;
	if (zero && !left && width > body) {
		zeros += width - body;
		body = width;
	}
	size_t fill = width > body ? width - body : 0;
	if (!left)
		for (size_t i = 0; i < fill; i++)
			put(s, ' ');
	if (negative)
		put(s, '-');
	for (size_t i = 0; i < zeros; i++)
		put(s, '0');
	for (size_t i = 0; i < n; i++)
		put(s, digs[i]);
	if (left)
		for (size_t i = 0; i < fill; i++)
			put(s, ' ');
}

/* Digits of v in base into the end of tmp; returns the first digit. */
static char *digits(unsigned long long v, unsigned base, char *end)
{
	char *p = end;
	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return p;
}

/* The length modifiers of C's printf, each naming the argument's type. */
enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

/* Each length's argument size in bytes. Values are handled in 64 bits. */
static const unsigned char length_bytes[] = {
	[LEN_NONE] = sizeof(int),
	[LEN_HH] = sizeof(char),
	[LEN_H] = sizeof(short),
	[LEN_L] = sizeof(long),
	[LEN_LL] = sizeof(long long),
	[LEN_Z] = sizeof(size_t),
	[LEN_J] = sizeof(intmax_t),
	[LEN_T] = sizeof(ptrdiff_t),
};
_Static_assert(sizeof(long long) == 8 && sizeof(intmax_t) == 8, "64-bit widest integers");

/* Reads a length modifier at *f, leaving *f on the conversion. */
static enum length read_length(const char **f)
{
	const char *p = *f;
	enum length len = LEN_NONE;
	switch (*p) {
	case 'h':
		len = p[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		len = p[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'z':
		len = LEN_Z;
		break;
	case 'j':
		len = LEN_J;
		break;
	case 't':
		len = LEN_T;
		break;
	default:
		return LEN_NONE;
	}
	*f = p + (len == LEN_HH || len == LEN_LL ? 2 : 1);
	return len;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size, 0};
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&s, *f);
			continue;
		}
		f++;
		bool left = false, zero = false;
		for (;; f++) {
			if (*f == '-')
				left = true;
			else if (*f == '0')
				zero = true;
			else
				break;
		}
		size_t width = 0;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (size_t)(*f++ - '0');
		size_t precision = (size_t)-1;
		if (*f == '.') {
			f++;
			if (*f == '*') {
				int p = va_arg(ap, int);
				precision = p < 0 ? (size_t)-1 : (size_t)p;
				f++;
			} else {
				precision = 0;
				while (*f >= '0' && *f <= '9')
					precision = precision * 10 + (size_t)(*f++ - '0');
			}
		}
		enum length len = read_length(&f);
		char tmp[24];
		char *end = tmp + sizeof tmp;
		switch (*f) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (str == NULL)
				str = "(null)";
			size_t n = strnlen(str, precision);
			put_padded(&s, str, n, width, left);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(&s, &c, 1, width, left);
			break;
		}
		case 'd':
		case 'u':
		case 'x': {
			/* The argument's own size (hh and h arrive promoted to
			 * int): reading a wider type, as 'z' once was read as
			 * long long, misreads every later argument on a 32-bit
			 * target. Then its value, cut to that size. */
			unsigned bytes = length_bytes[len];
			unsigned long long v = bytes > sizeof(long)  ? va_arg(ap, unsigned long long)
					       : bytes > sizeof(int) ? va_arg(ap, unsigned long)
								     : va_arg(ap, unsigned);
			unsigned shift = 64 - 8 * bytes;
			bool negative = false;
			if (*f == 'd') {
				long long sv = (long long)(v << shift) >> shift;
				negative = sv < 0;
				v = negative ? 0ull - (unsigned long long)sv : (unsigned long long)sv;
			} else {
				v = v << shift >> shift;
			}
			char *p = digits(v, *f == 'x' ? 16 : 10, end);
			put_number(&s, negative, p, (size_t)(end - p), precision, width, left, zero);
			break;
		}
		case '%':
			put(&s, '%');
			break;
		default: /* not in the subset: show it rather than guess */
			put(&s, '%');
			if (*f == '\0')
				f--;
			else
				put(&s, *f);
			break;
		}
	}
	if (size > 0)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return s.len > 0x7fffffff ? 0x7fffffff : (int)s.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return n;
}

int out_flush(struct outbuf *out)
{
	size_t done = 0;
	while (done < out->len) {
		ssize_t w = write(out->fd, out->data + done, out->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			out->failed = true;
			break;
		}
		done += (size_t)w;
	}
	out->len = 0;
	return out->failed ? -1 : 0;
}

static void out_write(struct outbuf *out, const char *s, size_t n)
{
	while (n > 0) {
		if (out->len == sizeof out->data)
			out_flush(out);
		size_t room = sizeof out->data - out->len;
		size_t chunk = n < room ? n : room;
		memcpy(out->data + out->len, s, chunk);
		out->len += chunk;
		s += chunk;
		n -= chunk;
	}
}

void out_puts(struct outbuf *out, const char *s) { out_write(out, s, strlen(s)); }

void out_puts_escaped(struct outbuf *out, const char *s)
{
	size_t left = strlen(s);
	while (left > 0) {
		char chunk[256];
		size_t used = 0;
		size_t n = escape_text(chunk, sizeof chunk, &used, s, left);
		out_write(out, chunk, used);
		s += n;
		left -= n;
	}
}

void out_printf(struct outbuf *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(line, sizeof line, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	out_write(out, line, len);
}
