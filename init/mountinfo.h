/* One line of /proc/self/mountinfo, for the sandbox runner, which rebuilds
 * the mount tree of a trial with every writable filesystem replaced by a
 * throw-away copy-on-write view. Pure. */
#ifndef INIT_MOUNTINFO_H
#define INIT_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#define MOUNTINFO_PATH_MAX 512

struct mount_entry {
	unsigned id, parent;
	char point[MOUNTINFO_PATH_MAX]; /* the mount point, octal escapes (\040) undone */
	char fstype[32];
	bool ro, nosuid, nodev, noexec; /* the mount's own options (field 6) */
};

/* Parse one line (without its newline). False when it is malformed or a
 * field does not fit. */
bool mountinfo_parse(const char *line, size_t len, struct mount_entry *e);

/* The kernel's own filesystems, which stay the kernel's in a sandbox
 * (proc, sysfs, devtmpfs, devpts, cgroup, ...): nothing an app writes
 * there is a file that would outlive a container. */
bool mountinfo_is_kernel_fs(const char *fstype);

#endif
