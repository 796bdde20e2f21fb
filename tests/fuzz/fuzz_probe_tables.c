/* The probe's readers of kernel text: a line of /proc/self/mountinfo
 * (mountinfo_parse), of /proc/net/{tcp,udp}* (probe_socktab_line), and the
 * security.capability attribute (filecaps_parse), plus the escaping every
 * trial's output line goes through (escape_text, escape_json).
 *
 * Input: byte 0 picks the reader (its value mod 4), the rest is the text.
 * Invariants: nothing is read past the input (ASan), a parsed mount point
 * is absolute and NUL-free, a parsed socket line has a port below 65536,
 * parsed file capabilities re-format to a NUL-terminated string, and the
 * escaped text is printable ASCII (JSON: with no raw quote or backslash
 * that is not an escape). */
#include <stdint.h>
#include <string.h>

#include "escape.h"
#include "filecaps.h"
#include "fuzz_input.h"
#include "mountinfo.h"
#include "probe_socktab.h"

static void check_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0: {
		struct mount_entry e;
		if (mountinfo_parse(text, len, &e)) {
			FUZZ_ASSERT(e.point[0] == '/');
			FUZZ_ASSERT(strlen(e.point) < sizeof e.point);
			FUZZ_ASSERT(strlen(e.fstype) < sizeof e.fstype);
		}
		break;
	}
	case 1: {
		struct socktab_entry e;
		if (probe_socktab_line(text, len, &e))
			FUZZ_ASSERT(e.port <= 0xffff && e.state <= 0xff);
		break;
	}
	case 2: {
		struct filecaps fc;
		if (filecaps_parse((const unsigned char *)text, len, &fc)) {
			char buf[64];
			filecaps_format(&fc, buf, sizeof buf);
			FUZZ_ASSERT(memchr(buf, '\0', sizeof buf) != NULL);
			check_printable(buf);
		}
		break;
	}
	default: {
		char out[160];
		size_t used = 0;
		size_t took = escape_text(out, sizeof out, &used, text, len);
		FUZZ_ASSERT(took <= len && used < sizeof out && out[used] == '\0');
		check_printable(out);
		used = 0;
		took = escape_json(out, sizeof out, &used, text, len);
		FUZZ_ASSERT(took <= len && used < sizeof out && out[used] == '\0');
		check_printable(out);
		for (size_t i = 0; i < used; i++)
			if (out[i] == '\\')
				i++; /* the escaped byte */
			else
				FUZZ_ASSERT(out[i] != '"');
		break;
	}
	}
	return 0;
}
