/* A throw-away copy of the mount tree, for one sandboxed probe trial.
 *
 * Called in a process that is alone in new mount and PID namespaces (the
 * trial init) and holds CAP_SYS_ADMIN. Afterwards its root is a new tree
 * in which every filesystem it could write (the root, volumes, tmpfs
 * mounts) is an overlay of the original with its upper layer in memory,
 * files mounted on their own (a container's /etc/hosts) are copies, the
 * read-only ones are read-only binds, and only the kernel's own
 * filesystems (/sys, /dev, cgroups, ...) are the originals; /proc is a
 * fresh one of the new PID namespace. Nothing written in the tree outlives
 * the namespace; the original files are seen and never changed. */
#ifndef INIT_SANDBOX_H
#define INIT_SANDBOX_H

#include <stddef.h>

/* Returns 0, or -1 with one line in why (the step, the mount, errno). */
int sandbox_enter(char *why, size_t size);

#endif
