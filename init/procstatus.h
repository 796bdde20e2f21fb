/* The kernel's view of a process's credentials from /proc/self/status.
 *
 * Why: reading the bounding and ambient sets through prctl() costs one
 * system call per capability and set (82 on a 41-capability kernel, ~2 us
 * each on a virtual machine with the usual mitigations), while one read of
 * /proc/self/status gives every set, the ids, the groups, no_new_privs and
 * the ignored signals at once. The file is trusted only when it sits on a
 * real procfs (fstatfs): an image without /proc mounted could otherwise ship
 * a forged one. When it cannot be used, callers fall back to the syscalls. */
#ifndef INIT_PROCSTATUS_H
#define INIT_PROCSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCSTATUS_MAX_GROUPS 65 /* one more than capinit supports: detects "too many" */

struct procstatus {
	uint32_t uid[3], gid[3]; /* real, effective, saved */
	size_t ngroups;          /* may exceed PROCSTATUS_MAX_GROUPS: only the first are kept */
	gid_t groups[PROCSTATUS_MAX_GROUPS];
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint64_t sig_ign;
	bool no_new_privs;
	/* Optional: "Seccomp:" is there when the kernel has seccomp (3.8+),
	 * "Seccomp_filters:" from 5.9; -1 where a line is absent. */
	int seccomp_mode;
	int seccomp_filters;
};

/* Parse the text of a status file. Returns 0 when every field above but
 * the optional ones was present and well formed (an optional one present
 * must be well formed too), -1 otherwise. Pure. */
int procstatus_parse(const char *text, size_t len, struct procstatus *out);

/* Read and parse /proc/self/status from a real procfs: 0, or -1 (errno set
 * where a call failed) when it is missing, not procfs, or incomplete. */
int procstatus_read(struct procstatus *out);

#endif
