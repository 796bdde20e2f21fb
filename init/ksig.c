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

int ksig_set_default(ksigmask which)
{
	/* An all-zero kernel sigaction is SIG_DFL with no flags and an empty
	 * mask whatever the architecture's field order, so one zeroed buffer
	 * larger than any layout serves everywhere. */
	static const unsigned long zero[8];
	int rc = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (!(which & KSIG_BIT(sig)) || sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, zero, NULL, sizeof(ksigmask)) != 0)
			rc = -1;
	}
	return rc;
}
