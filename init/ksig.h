/* Signal masks and dispositions as the kernel sees them: one 64-bit word,
 * bit S-1 for signal S.
 *
 * Why not sigset_t and sigaction(): musl's sigaddset() and sigaction()
 * refuse signals 32-34, which it reserves for itself, yet a container's
 * processes may use them (glibc programs use 34 as SIGRTMIN), and an init
 * must forward every signal it is sent. capinit uses none of musl's
 * internal signals (no threads, no timers), so it talks to the kernel
 * directly: rt_sigprocmask, signalfd4 and rt_sigaction with an 8-byte mask,
 * which is the kernel's own sigset size on every Linux architecture we
 * build for. */
#ifndef INIT_KSIG_H
#define INIT_KSIG_H

#include <stdint.h>

typedef uint64_t ksigmask;

#define KSIG_BIT(sig) ((ksigmask)1 << ((sig) - 1))

/* Every signal but SIGKILL and SIGSTOP, which cannot be blocked or caught. */
ksigmask ksig_all_catchable(void);

/* rt_sigprocmask(SIG_BLOCK / SIG_SETMASK); old may be NULL. 0 or -1. */
int ksig_block(ksigmask add, ksigmask *old);
int ksig_setmask(ksigmask mask);

/* A blocking signalfd for `mask` (close-on-exec); the descriptor or -1. */
int ksig_signalfd(ksigmask mask);

/* Set every signal in `which` to its default disposition. Returns 0, or -1
 * if one of them could not be reset. */
int ksig_set_default(ksigmask which);

#endif
