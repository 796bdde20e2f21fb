#define _GNU_SOURCE
#include "ksig.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

ksigmask ksig_all_catchable(void)
{
	return ~(ksigmask)0 & ~KSIG_BIT(SIGKILL) & ~KSIG_BIT(SIGSTOP);
}

static int sigprocmask_raw(int how, const ksigmask *set, ksigmask *old)
{
	return (int)syscall(SYS_rt_sigprocmask, how, set, old, sizeof(ksigmask));
}

int ksig_block(ksigmask add, ksigmask *old) { return sigprocmask_raw(SIG_BLOCK, &add, old); }

int ksig_setmask(ksigmask mask) { return sigprocmask_raw(SIG_SETMASK, &mask, NULL); }

int ksig_signalfd(ksigmask mask)
{
	return (int)syscall(SYS_signalfd4, -1, &mask, sizeof mask, SFD_CLOEXEC);
}

static int set_all(ksigmask which, const unsigned long *action)
{
	int rc = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (!(which & KSIG_BIT(sig)) || sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, action, NULL, sizeof(ksigmask)) != 0)
			rc = -1;
	}
	return rc;
}

/* The kernel's struct sigaction starts with the handler on every
 * architecture we build for (only MIPS puts the flags first), and with no
 * flags, no restorer and an empty mask the rest is zero: a buffer larger
 * than any layout, zero but for its first word, serves everywhere. */
int ksig_set_default(ksigmask which)
{
	static const unsigned long dfl[8]; /* SIG_DFL is 0 */
	return set_all(which, dfl);
}

int ksig_set_ignored(ksigmask which)
{
	static const unsigned long ign[8] = {1}; /* SIG_IGN is 1 */
	return set_all(which, ign);
}
