#include "probe_socktab.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The number in line[*i..] in `base` (10 or 16) up to the first byte that
 * is not a digit; false if there is none or it has more than `max_digits`. */
static bool read_num(const char *line, size_t len, size_t *i, unsigned base, size_t max_digits,
		     unsigned long long *out)
{
	unsigned long long v = 0;
	size_t start = *i;
	for (; *i < len; (*i)++) {
		int d = hexval(line[*i]);
		if (d < 0 || (unsigned)d >= base)
			break;
		if (*i - start >= max_digits)
			return false;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return *i > start;
}

static bool skip_spaces(const char *line, size_t len, size_t *i)
{
	size_t start = *i;
	while (*i < len && line[*i] == ' ')
		(*i)++;
	return *i > start && *i < len;
}

/* A field of hex digits and ':' (an address, "tx:rx", "tr:when"). */
static bool skip_field(const char *line, size_t len, size_t *i)
{
	size_t start = *i;
	while (*i < len && (hexval(line[*i]) >= 0 || line[*i] == ':'))
		(*i)++;
	return *i > start;
}

bool probe_socktab_line(const char *line, size_t len, struct socktab_entry *e)
{
	size_t i = 0;
	unsigned long long v;
	while (i < len && line[i] == ' ')
		i++;
	/* "sl:" (the header line says "sl" without a colon) */
	if (!read_num(line, len, &i, 16, 8, &v) || i >= len || line[i] != ':')
		return false;
	i++;
	if (!skip_spaces(line, len, &i))
		return false;
	/* local address: 8 (IPv4) or 32 (IPv6) hex digits, ':', the port */
	size_t addr = i;
	while (i < len && hexval(line[i]) >= 0)
		i++;
	if ((i - addr != 8 && i - addr != 32) || i >= len || line[i] != ':')
		return false;
	i++;
	if (!read_num(line, len, &i, 16, 4, &v))
		return false;
	e->port = (unsigned)v;
	/* remote address, then the state */
	if (!skip_spaces(line, len, &i) || !skip_field(line, len, &i) ||
	    !skip_spaces(line, len, &i) || !read_num(line, len, &i, 16, 2, &v))
		return false;
	e->state = (unsigned)v;
	/* tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout, inode */
	for (int f = 0; f < 3; f++)
		if (!skip_spaces(line, len, &i) || !skip_field(line, len, &i))
			return false;
	for (int f = 0; f < 3; f++)
		if (!skip_spaces(line, len, &i) || !read_num(line, len, &i, 10, 20, &v))
			return false;
	e->inode = v;
	return i == len || line[i] == ' ';
}
