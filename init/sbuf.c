#include "sbuf.h"

#include <stdarg.h>
#include <string.h>

#include "escape.h"
#include "fmt.h"

void sb_init(struct sbuf *s, char *buf, size_t size)
{
	s->buf = buf;
	s->size = size;
	s->len = 0;
	s->cut = false;
	buf[0] = '\0';
}

static size_t room(const struct sbuf *s)
{
	return s->size - s->len; /* includes the NUL's byte */
}

void sb_puts(struct sbuf *s, const char *str)
{
	size_t n = strlen(str);
	if (n >= room(s)) {
		n = room(s) - 1;
		s->cut = true;
	}
	memcpy(s->buf + s->len, str, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(s->buf + s->len, room(s), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room(s)) {
		s->cut = true;
		s->len = s->size - 1;
	} else {
		s->len += (size_t)n;
	}
}

void sb_escaped(struct sbuf *s, const char *src, size_t max)
{
	size_t len = strlen(src);
	/* Room for the output and its NUL, bounded by `max`. */
	size_t limit = room(s);
	if (max < limit - 1)
		limit = max + 1;
	size_t used = 0;
	if (escape_text(s->buf + s->len, limit, &used, src, len) == len) {
		s->len += used;
		return;
	}
	/* Cut: give back whole escapes until "..." fits after them. An escape
	 * is 4 bytes (\xHH) and never split by escape_text, so backing up
	 * byte by byte could leave half of one: back up over what escape_text
	 * wrote for whole source bytes instead. */
	size_t keep = 0, out = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t w = c < 0x20 || c > 0x7e ? 4 : 1;
		if (out + w + 3 >= limit)
			break;
		out += w;
		keep = i + 1;
	}
	used = 0;
	escape_text(s->buf + s->len, limit, &used, src, keep);
	s->len += used;
	s->cut = true;
	if (limit >= 4) {
		memcpy(s->buf + s->len, "...", 4);
		s->len += 3;
	}
}

void sb_caps(struct sbuf *s, capmask m, const char *sep)
{
	char names[1024];
	size_t left = room(s);
	capmask_format(m, sep, names, left < sizeof names ? left : sizeof names);
	sb_puts(s, names);
	size_t n = strlen(names);
	if (n >= 3 && memcmp(names + n - 3, "...", 3) == 0)
		s->cut = true;
}
