#include "escape.h"

static const char hex[] = "0123456789abcdef";

/* Copy `n` bytes of `rep` to dst if they fit with the NUL after them. */
static int put(char *dst, size_t size, size_t *used, const char *rep, size_t n)
{
	if (size == 0 || *used + n + 1 > size)
		return 0;
	for (size_t i = 0; i < n; i++)
		dst[(*used)++] = rep[i];
	return 1;
}

static void terminate(char *dst, size_t size, size_t used)
{
	if (size > 0)
		dst[used < size ? used : size - 1] = '\0';
}

size_t escape_text(char *dst, size_t size, size_t *used, const char *src, size_t len)
{
	size_t i = 0;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char rep[4] = {(char)c, 0, 0, 0};
		size_t n = 1;
		if (c < 0x20 || c > 0x7e) {
			rep[0] = '\\';
			rep[1] = 'x';
			rep[2] = hex[c >> 4];
			rep[3] = hex[c & 15];
			n = 4;
		}
		if (!put(dst, size, used, rep, n))
			break;
	}
	terminate(dst, size, *used);
	return i;
}

size_t escape_json(char *dst, size_t size, size_t *used, const char *src, size_t len)
{
	size_t i = 0;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char rep[6] = {(char)c, 0, 0, 0, 0, 0};
		size_t n = 1;
		if (c == '"' || c == '\\') {
			rep[0] = '\\';
			rep[1] = (char)c;
			n = 2;
		} else if (c == '\n' || c == '\t') {
			rep[0] = '\\';
			rep[1] = c == '\n' ? 'n' : 't';
			n = 2;
		} else if (c < 0x20 || c > 0x7e) {
			rep[0] = '\\';
			rep[1] = 'u';
			rep[2] = '0';
			rep[3] = '0';
			rep[4] = hex[c >> 4];
			rep[5] = hex[c & 15];
			n = 6;
		}
		if (!put(dst, size, used, rep, n))
			break;
	}
	terminate(dst, size, *used);
	return i;
}
