/* The --probe-port parser on lines as the kernel writes them. */
#include "probe_tcp.h"

#include <string.h>

#include "check.h"

static bool listens(const char *line, unsigned port)
{
	return probe_tcp_line_listens(line, strlen(line), port);
}

int main(void)
{
	static const char v4_listen[] =
		"   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
		"     0        0 1529 1 0000000030b505db 100 0 0 10 0";
	static const char v4_established[] =
		"   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000"
		"     0        0 1530 1 0000000030b505db 100 0 0 10 0";
	static const char v6_listen[] =
		"   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000"
		" 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000"
		" 100 0 0 10 0";
	static const char header[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid";
	CHECK(listens(v4_listen, 80));
	CHECK(!listens(v4_listen, 8080));
	CHECK(!listens(v4_established, 80)); /* a connection, not a listener */
	CHECK(listens(v6_listen, 8080));
	CHECK(!listens(v6_listen, 80));
	CHECK(!listens(header, 80));
	CHECK(!listens("", 80));
	CHECK(!listens("   0: 0000:0050 00000000:0000 0A", 80)); /* short address */
	CHECK(!listens("   0: 00000000:00050 00000000:0000 0A", 80)); /* 5-digit port */
	CHECK(!listens("   0: 00000000:0050 00000000:0000", 80)); /* no state */
	/* Truncated anywhere: never true, never reads past len. */
	for (size_t n = 0; n < sizeof v4_listen - 1; n++)
		CHECK(!probe_tcp_line_listens(v4_listen, n, 80) || n >= 35);
	return check_report("probe_tcp");
}
