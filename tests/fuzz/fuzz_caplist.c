/* caplist_parse() and capmask_format().
 *
 * Input: byte 0 — bit 0: ALL allowed, bits 1..7: a buffer size for
 * capmask_format; the rest is the list (up to its first NUL).
 * Invariants: a mask within the known capabilities; ALL only when allowed
 * and only alone; an error is one line; a non-empty mask formats to a list
 * that parses back to the same mask (with "," and " " separators), and a
 * short buffer holds a NUL-terminated prefix, marked "..." if it fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capset.h"
#include "fuzz_input.h"

static void check_round_trip(capmask mask, const char *sep)
{
	char buf[2048];
	capmask_format(mask, sep, buf, sizeof buf);
	if (mask == 0) {
		FUZZ_ASSERT(strcmp(buf, "none") == 0);
		return;
	}
	FUZZ_ASSERT(strstr(buf, "...") == NULL); /* every name fits in 2 kB */
	capmask back;
	bool all;
	char err[512];
	FUZZ_ASSERT(caplist_parse(buf, "round trip", false, &back, &all, err, sizeof err) == 0);
	FUZZ_ASSERT(back == mask && !all);
}

static void check_short_buffer(capmask mask, size_t size)
{
	char full[2048], part[130];
	capmask_format(mask, ",", full, sizeof full);
	memset(part, 'X', sizeof part);
	capmask_format(mask, ",", part, size);
	size_t len = strnlen(part, size);
	FUZZ_ASSERT(len < size);
	FUZZ_ASSERT(part[size] == 'X'); /* nothing written past the buffer */
	if (strcmp(part, full) == 0)
		return;
	/* Truncated: the buffer is full, with a prefix of the whole list; a
	 * list of names (not "none") is marked with "..." when there is room. */
	FUZZ_ASSERT(len == size - 1);
	bool marked = mask != 0 && size >= 4;
	if (marked)
		FUZZ_ASSERT(strcmp(part + len - 3, "...") == 0);
	FUZZ_ASSERT(strncmp(part, full, marked ? len - 3 : len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool all_allowed = data[0] & 1;
	size_t bufsize = (size_t)(data[0] >> 1) + 1; /* 1..128 */
	char *list = malloc(size);
	memcpy(list, data + 1, size - 1);
	list[size - 1] = '\0';

	capmask mask = ~(capmask)0;
	bool all = true;
	char err[400];
	int rc = caplist_parse(list, "CAPINIT_CAP_DROP", all_allowed, &mask, &all, err, sizeof err);
	if (rc == 0) {
		FUZZ_ASSERT((mask & ~capmask_first(capset_known_bits())) == 0);
		FUZZ_ASSERT(!all || all_allowed);
		FUZZ_ASSERT(!all || mask == 0); /* ALL stands alone */
		check_round_trip(mask, ",");
		check_round_trip(mask, " ");
		check_short_buffer(mask, bufsize);
	} else {
		FUZZ_ASSERT(rc == -1);
		fuzz_check_message(err, sizeof err);
	}
	/* The same bytes as a mask: every bit pattern formats safely. */
	if (size - 1 >= sizeof(capmask)) {
		capmask raw;
		memcpy(&raw, data + 1, sizeof raw);
		check_short_buffer(raw, bufsize);
		check_round_trip(raw & capmask_first(capset_known_bits()), ",");
	}
	free(list);
	return 0;
}
