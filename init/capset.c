#include "capset.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "fmt.h"

/* The longest capability name is well under this ("cap_checkpoint_restore"). */
#define NAME_MAX_LEN 64

/* The kernel's names, in bit order, one after the other in one string (a
 * table of pointers would be 41 relocated words more). Our own table rather
 * than libcap's cap_to_name(), which allocates each name (and so pulls
 * malloc into the static binary); the unit tests check every entry against
 * libcap's cap_to_name() and cap_from_name(), and that there are exactly as
 * many as libcap's header knows. */
static const char cap_names[] =
	"cap_chown\0cap_dac_override\0cap_dac_read_search\0cap_fowner\0"
	"cap_fsetid\0cap_kill\0cap_setgid\0cap_setuid\0"
	"cap_setpcap\0cap_linux_immutable\0cap_net_bind_service\0cap_net_broadcast\0"
	"cap_net_admin\0cap_net_raw\0cap_ipc_lock\0cap_ipc_owner\0"
	"cap_sys_module\0cap_sys_rawio\0cap_sys_chroot\0cap_sys_ptrace\0"
	"cap_sys_pacct\0cap_sys_admin\0cap_sys_boot\0cap_sys_nice\0"
	"cap_sys_resource\0cap_sys_time\0cap_sys_tty_config\0cap_mknod\0"
	"cap_lease\0cap_audit_write\0cap_audit_control\0cap_setfcap\0"
	"cap_mac_override\0cap_mac_admin\0cap_syslog\0cap_wake_alarm\0"
	"cap_block_suspend\0cap_audit_read\0cap_perfmon\0cap_bpf\0"
	"cap_checkpoint_restore\0";

int capset_known_bits(void) { return CAP_LAST_CAP + 1; }

/* An empty string ends the list: a list shorter than libcap's header reads
 * as names missing, never past its end. */
const char *capset_lower_name(int bit)
{
	if (bit < 0 || bit > CAP_LAST_CAP)
		return NULL;
	const char *p = cap_names;
	for (; bit > 0 && *p; bit--)
		p += strlen(p) + 1;
	return *p ? p : NULL;
}

capmask capmask_first(int bits)
{
	if (bits <= 0)
		return 0;
	if (bits >= 64)
		return ~(capmask)0;
	return CAPMASK_BIT(bits) - 1;
}

/* Lower-cased name with "cap_" prefix into out; false when the token has a
 * character no capability name has, or is empty after the prefix. */
static bool canonical_name(const char *token, size_t len, char *out, size_t size)
{
	if (len >= 4 && strncasecmp(token, "cap_", 4) == 0) {
		token += 4;
		len -= 4;
	}
	if (len == 0 || len + 5 > size)
		return false;
	memcpy(out, "cap_", 4);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		/* Names are ASCII letters and '_' only: this rejects numbers,
		 * other separators and non-ASCII bytes before libcap sees them. */
		if (!(c == '_' || (c < 128 && isalpha(c))))
			return false;
		out[4 + i] = (char)tolower(c);
	}
	out[4 + len] = '\0';
	return true;
}

int capname_to_bit(const char *token, size_t len)
{
	char name[NAME_MAX_LEN];
	if (!canonical_name(token, len, name, sizeof name))
		return -1;
	/* An exact match only: libcap's cap_from_name() would also take
	 * numbers and trailing junk. */
	int bit = 0;
	for (const char *p = cap_names; *p && bit <= CAP_LAST_CAP; p += strlen(p) + 1, bit++)
		if (strcmp(p, name) == 0)
			return bit;
	return -1;
}

void capname_of_bit(int bit, char *buf, size_t size)
{
	const char *name = capset_lower_name(bit);
	if (name == NULL) {
		fmt_snprintf(buf, size, "CAP_%d", bit);
		return;
	}
	size_t i = 0;
	for (const char *p = name + 4; *p != '\0' && i + 1 < size; p++)
		buf[i++] = (char)toupper((unsigned char)*p);
	buf[i] = '\0';
}

/* Edit distance with adjacent transpositions (optimal string alignment),
 * for "did you mean" on a near miss. Inputs are short names. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la >= NAME_MAX_LEN || lb >= NAME_MAX_LEN)
		return (size_t)-1;
	size_t d[NAME_MAX_LEN + 1][NAME_MAX_LEN + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The nearest known name within a small distance, or -1. */
static int nearest_bit(const char *token, size_t len)
{
	char wanted[NAME_MAX_LEN];
	if (!canonical_name(token, len, wanted, sizeof wanted))
		return -1;
	int best_bit = -1;
	size_t best = (size_t)-1;
	int bit = 0;
	for (const char *p = cap_names; *p && bit <= CAP_LAST_CAP; p += strlen(p) + 1, bit++) {
		size_t dist = edit_distance(wanted, p);
		if (dist < best) {
			best = dist;
			best_bit = bit;
		}
	}
	/* Two edits catch typos and swapped letters without suggesting an
	 * unrelated capability for a short garbage token. */
	return best <= 2 ? best_bit : -1;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool is_name_char(char c) { return !is_space(c) && c != ','; }

/* Explain why one token is not a name. */
static void explain_bad_token(const char *source, const char *token, size_t len, char *err,
			      size_t errsize)
{
	int tlen = (int)(len > 80 ? 80 : len);
	bool digits = true, has_bad = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (!isdigit(c) || c >= 128)
			digits = false;
		if (!(c == '_' || (c < 128 && isalpha(c))))
			has_bad = true;
	}
	if (digits) {
		fmt_snprintf(err, errsize, "%s: '%.*s' is a number, not a capability name", source,
			 tlen, token);
	} else if (len == 4 && strncasecmp(token, "cap_", 4) == 0) {
		fmt_snprintf(err, errsize, "%s: '%.*s' has no name after the CAP_ prefix", source,
			 tlen, token);
	} else if (has_bad) {
		fmt_snprintf(err, errsize,
			 "%s: '%.*s' is not a capability name (names are letters and '_', "
			 "separated by commas or spaces)",
			 source, tlen, token);
	} else {
		int near = nearest_bit(token, len);
		if (near >= 0) {
			char name[NAME_MAX_LEN];
			capname_of_bit(near, name, sizeof name);
			fmt_snprintf(err, errsize, "%s: unknown capability '%.*s' (did you mean %s?)",
				 source, tlen, token, name);
		} else {
			fmt_snprintf(err, errsize, "%s: unknown capability '%.*s'", source, tlen,
				 token);
		}
	}
}

int caplist_parse(const char *list, const char *source, bool all_allowed, capmask *mask,
		  bool *all, char *err, size_t errsize)
{
	*mask = 0;
	*all = false;
	size_t count = 0;
	bool saw_all = false;
	const char *p = list;
	bool need_name = false; /* after a comma, a name must follow */

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0') {
			if (need_name) {
				fmt_snprintf(err, errsize, "%s: '%s' ends with a comma", source, list);
				return -1;
			}
			break;
		}
		if (*p == ',') {
			fmt_snprintf(err, errsize, "%s: empty name before a comma in '%s'", source, list);
			return -1;
		}
		const char *start = p;
		while (*p != '\0' && is_name_char(*p))
			p++;
		size_t len = (size_t)(p - start);
		count++;

		if (len == 3 && strncasecmp(start, "all", 3) == 0) {
			if (!all_allowed) {
				fmt_snprintf(err, errsize,
					 "%s: 'ALL' is not allowed here (capinit only narrows; to "
					 "keep every capability leave the drop list unset)",
					 source);
				return -1;
			}
			saw_all = true;
		} else {
			int bit = capname_to_bit(start, len);
			if (bit < 0) {
				explain_bad_token(source, start, len, err, errsize);
				return -1;
			}
			*mask |= CAPMASK_BIT(bit);
		}

		while (is_space(*p))
			p++;
		need_name = *p == ',';
		if (need_name)
			p++;
	}

	if (saw_all && count > 1) {
		fmt_snprintf(err, errsize, "%s: 'ALL' must stand alone, got '%s'", source, list);
		return -1;
	}
	*all = saw_all;
	return 0;
}

void capmask_format(capmask mask, const char *sep, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	if (mask == 0) {
		fmt_snprintf(buf, size, "none");
		return;
	}
	for (int bit = 0; bit < 64; bit++) {
		if (!(mask & CAPMASK_BIT(bit)))
			continue;
		char name[NAME_MAX_LEN];
		capname_of_bit(bit, name, sizeof name);
		int n = fmt_snprintf(buf + used, size - used, "%s%s", used ? sep : "", name);
		if (n < 0 || (size_t)n >= size - used) {
			/* Mark the truncation rather than print half a name. */
			if (size >= 4)
				fmt_snprintf(buf + (size - 4), 4, "...");
			return;
		}
		used += (size_t)n;
	}
}
