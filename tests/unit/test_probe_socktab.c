/* The port oracle's parser on lines as the kernel writes them. */
#include "probe_socktab.h"

#include <string.h>

#include "check.h"

static bool parse(const char *line, struct socktab_entry *e)
{
	return probe_socktab_line(line, strlen(line), e);
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
	/* /proc/net/udp: an unconnected socket bound to 53 (state 07 CLOSE),
	 * with the drops column at the end. */
	static const char udp_bound[] =
		"  125: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000"
		"   101        0 98765432 2 0000000000000000 0";
	static const char header[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
		"  timeout inode";
	struct socktab_entry e;
	CHECK(parse(v4_listen, &e) && e.port == 80 && e.state == SOCKTAB_TCP_LISTEN &&
	      e.inode == 1529);
	CHECK(parse(v4_established, &e) && e.port == 80 && e.state == 1 && e.inode == 1530);
	CHECK(parse(v6_listen, &e) && e.port == 8080 && e.state == SOCKTAB_TCP_LISTEN &&
	      e.inode == 2001);
	CHECK(parse(udp_bound, &e) && e.port == 53 && e.state == 7 && e.inode == 98765432);
	CHECK(!parse(header, &e));
	CHECK(!parse("", &e));
	CHECK(!parse("   0: 0000:0050 00000000:0000 0A", &e));   /* short address */
	CHECK(!parse("   0: 00000000:00050 00000000:0000 0A", &e)); /* 5-digit port */
	CHECK(!parse("   0: 00000000:0050 00000000:0000", &e));  /* no state */
	CHECK(!parse("   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 "
		     "00000000     0        0 12x4",
		     &e)); /* a broken inode */
	/* Truncated anywhere before the inode: never true, never reads past
	 * len (ASan would see it); within it, a shorter number. */
	size_t inode_start = (size_t)(strstr(v4_listen, " 1529") - v4_listen) + 1;
	for (size_t n = 0; n < sizeof v4_listen - 1; n++)
		CHECK(!probe_socktab_line(v4_listen, n, &e) || n > inode_start);
	return check_report("probe_socktab");
}
