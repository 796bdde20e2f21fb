#include "filecaps.h"

#include <string.h>

#include "fmt.h"

/* vfs_cap_data: magic_etc, then {permitted, inheritable} per 32 bits. */
#define VFS_CAP_REVISION_MASK 0xFF000000u
#define VFS_CAP_REVISION_1 0x01000000u /* one word pair */
#define VFS_CAP_REVISION_2 0x02000000u /* two */
#define VFS_CAP_REVISION_3 0x03000000u /* two, then the namespace's root uid */
#define VFS_CAP_FLAGS_EFFECTIVE 0x000001u

static unsigned long le32(const unsigned char *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
	       (unsigned long)p[3] << 24;
}

bool filecaps_parse(const unsigned char *value, size_t len, struct filecaps *out)
{
	memset(out, 0, sizeof *out);
	if (len < 4)
		return false;
	unsigned long magic = le32(value);
	size_t words, want;
	switch (magic & VFS_CAP_REVISION_MASK) {
	case VFS_CAP_REVISION_1:
		words = 1;
		want = 4 + 8;
		break;
	case VFS_CAP_REVISION_2:
		words = 2;
		want = 4 + 16;
		break;
	case VFS_CAP_REVISION_3:
		words = 2;
		want = 4 + 16 + 4;
		break;
	default:
		return false;
	}
	if (len != want || (magic & ~(VFS_CAP_REVISION_MASK | VFS_CAP_FLAGS_EFFECTIVE)) != 0)
		return false;
	for (size_t w = 0; w < words; w++) {
		out->permitted |= (capmask)le32(value + 4 + 8 * w) << (32 * w);
		out->inheritable |= (capmask)le32(value + 8 + 8 * w) << (32 * w);
	}
	out->effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0;
	return true;
}

void filecaps_format(const struct filecaps *fc, char *buf, size_t size)
{
	size_t len = 0;
	capmask all = fc->permitted | fc->inheritable;
	buf[0] = '\0';
	for (int bit = 0; bit < 64 && len < size; bit++) {
		if (!(all & CAPMASK_BIT(bit)))
			continue;
		const char *name = capset_lower_name(bit);
		int n = name ? fmt_snprintf(buf + len, size - len, "%s%s", len ? "," : "", name)
			     : fmt_snprintf(buf + len, size - len, "%scap_%d", len ? "," : "", bit);
		len += (size_t)n;
	}
	if (len >= size)
		return;
	/* One group when every capability has the same flags, as is usual. */
	bool p = fc->permitted != 0, i = fc->inheritable != 0;
	fmt_snprintf(buf + len, size - len, "=%s%s%s", fc->effective ? "e" : "", i ? "i" : "",
		     p ? "p" : "");
}
