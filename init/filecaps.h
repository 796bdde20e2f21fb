/* A file's capabilities: the security.capability extended attribute
 * (struct vfs_cap_data, linux/capability.h), as execve reads it. Pure:
 * probe_facts.c reads the attribute of COMMAND's file. */
#ifndef INIT_FILECAPS_H
#define INIT_FILECAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"

struct filecaps {
	capmask permitted, inheritable;
	bool effective; /* the "e" flag: raised at execve, and execve fails
			 * with EPERM when a permitted one is outside the
			 * bounding set (a program that cannot tell it lacks one) */
};

/* Parse the attribute's value (little-endian, revisions 1-3). Returns
 * false for anything else. */
bool filecaps_parse(const unsigned char *value, size_t len, struct filecaps *out);

/* "cap_net_raw=ep", "cap_chown,cap_fowner+ip"-style text, as getcap
 * prints it (names lower case, one group), into buf. */
void filecaps_format(const struct filecaps *fc, char *buf, size_t size);

#endif
