#include "probe_tcp.h"

#define TCP_LISTEN 0x0A

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

/* The hex number in line[*i..] up to a non-hex byte; -1 if there is none or
 * it has more than `max_digits` digits. */
static long read_hex(const char *line, size_t len, size_t *i, size_t max_digits)
{
	long v = 0;
	size_t start = *i;
	while (*i < len && hexval(line[*i]) >= 0) {
		if (*i - start >= max_digits)
			return -1;
		v = v * 16 + hexval(line[*i]);
		(*i)++;
	}
	return *i == start ? -1 : v;
}

static void skip_spaces(const char *line, size_t len, size_t *i)
{
	while (*i < len && line[*i] == ' ')
		(*i)++;
}

bool probe_tcp_line_listens(const char *line, size_t len, unsigned port)
{
	size_t i = 0;
	skip_spaces(line, len, &i);
	/* "sl:" (the header line says "sl" without a colon) */
	if (read_hex(line, len, &i, 8) < 0 || i >= len || line[i] != ':')
		return false;
	i++;
	skip_spaces(line, len, &i);
	/* local address: 8 (IPv4) or 32 (IPv6) hex digits, ':', the port */
	size_t addr = i;
	while (i < len && hexval(line[i]) >= 0)
		i++;
	if ((i - addr != 8 && i - addr != 32) || i >= len || line[i] != ':')
		return false;
	i++;
	long local_port = read_hex(line, len, &i, 4);
	if (local_port < 0 || i >= len || line[i] != ' ')
		return false;
	skip_spaces(line, len, &i);
	/* remote address and port */
	while (i < len && (hexval(line[i]) >= 0 || line[i] == ':'))
		i++;
	if (i >= len || line[i] != ' ')
		return false;
	skip_spaces(line, len, &i);
	long state = read_hex(line, len, &i, 2);
	return state == TCP_LISTEN && (unsigned long)local_port == port;
}
