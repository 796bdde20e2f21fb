/* security.capability as the kernel stores it (what `setcap` writes). */
#include "filecaps.h"

#include <linux/capability.h>

#include "check.h"

int main(void)
{
	/* setcap cap_net_raw=ep: revision 2, effective, permitted bit 13. */
	static const unsigned char ping[] = {0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 0, 0, 0, 0, 0};
	struct filecaps fc;
	char text[128];
	CHECK(filecaps_parse(ping, sizeof ping, &fc));
	CHECK(fc.effective && fc.permitted == CAPMASK_BIT(CAP_NET_RAW) && fc.inheritable == 0);
	filecaps_format(&fc, text, sizeof text);
	CHECK(strcmp(text, "cap_net_raw=ep") == 0);
	/* Revision 3 (a namespaced root uid) with bit 38 (PERFMON) in the high
	 * word, inheritable CHOWN, no effective flag. */
	static const unsigned char v3[] = {0, 0, 0, 0x03, 0, 0, 0, 0, 0x01, 0, 0, 0,
					   0x40, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0, 0};
	CHECK(filecaps_parse(v3, sizeof v3, &fc));
	CHECK(!fc.effective && fc.permitted == CAPMASK_BIT(38) &&
	      fc.inheritable == CAPMASK_BIT(CAP_CHOWN));
	/* Revision 1: one word. */
	static const unsigned char v1[] = {0x01, 0, 0, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0};
	CHECK(filecaps_parse(v1, sizeof v1, &fc) && fc.permitted == 1 && fc.effective);
	/* Wrong lengths, unknown revisions, unknown flag bits. */
	CHECK(!filecaps_parse(ping, sizeof ping - 1, &fc));
	CHECK(!filecaps_parse(v3, sizeof v3 - 4, &fc));
	CHECK(!filecaps_parse(ping, 3, &fc));
	static const unsigned char rev4[] = {0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 0, 0, 0, 0, 0};
	CHECK(!filecaps_parse(rev4, sizeof rev4, &fc));
	static const unsigned char flag2[] = {0x02, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 0};
	CHECK(!filecaps_parse(flag2, sizeof flag2, &fc));
	return check_report("filecaps");
}
