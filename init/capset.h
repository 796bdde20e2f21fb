/* Capability names and set arithmetic.
 *
 * Sets are plain 64-bit masks (bit N = capability N): the kernel's capability
 * space is 64 bits wide (two 32-bit words of capget v3), which makes the plan
 * and its comparison against the kernel simple integer logic.
 *
 * Names are the ones this libcap build knows (0..CAP_LAST_CAP of its bundled
 * header), matched exactly: libcap's own cap_from_name() accepts numbers and
 * trailing junk. */
#ifndef INIT_CAPSET_H
#define INIT_CAPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t capmask;

#define CAPMASK_BIT(n) ((capmask)1 << (n))

/* Number of capabilities this libcap build has names for. */
int capset_known_bits(void);

/* "cap_net_bind_service", or NULL for a bit without a name. */
const char *capset_lower_name(int bit);

/* Mask with the low `bits` bits set (bits may be 0..64). */
capmask capmask_first(int bits);

/* Bit number for one name token (case-insensitive, optional "cap_" prefix),
 * or -1 when it is not a capability name libcap knows. */
int capname_to_bit(const char *token, size_t len);

/* Canonical upper-case name without "CAP_" ("NET_BIND_SERVICE") into buf;
 * bits without a libcap name are written as "CAP_<n>". */
void capname_of_bit(int bit, char *buf, size_t size);

/* Parse a capability list. Returns 0, or -1 with a one-line reason in err
 * (which names `source`, the variable or flag, and the bad token).
 * *all is set when the list is exactly "ALL"; `all_allowed` says whether ALL
 * may appear. */
int caplist_parse(const char *list, const char *source, bool all_allowed,
		  capmask *mask, bool *all, char *err, size_t errsize);

/* "NET_BIND_SERVICE,KILL" or "none"; truncated with "..." if it does not fit. */
void capmask_format(capmask mask, const char *sep, char *buf, size_t size);

#endif
