/* Every table's guard program (init/userns_guard.c) handed to the real
 * kernel, one child each: the kernel's own checker must accept it, and on
 * this machine a foreign kernel's program must kill the process at its next
 * system call (its AUDIT_ARCH is not this kernel's), while the native one
 * refuses unshare(CLONE_NEWUSER) and lets the rest through. One line per
 * table:
 *
 *   NAME loaded killed-by-SIGSYS | NAME loaded native unshare=EPERM getpid=ok
 *   | NAME refused errno N
 *
 * Built with -Iinit init/userns_guard.c by tests/integration/test_userns.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userns_guard.h"

/* Child exit codes (a foreign program never gets to exit). */
enum { LOAD_FAILED = 10, NATIVE_OK = 20, NATIVE_WRONG = 21 };

static void child(const struct userns_arch *arch, int report_fd)
{
	struct userns_insn prog[USERNS_GUARD_MAX_INSNS];
	size_t len = userns_guard_build(arch, prog, USERNS_GUARD_MAX_INSNS);
	struct userns_fprog fprog = {(unsigned short)len, prog};
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core); /* the kill must not leave a core file */
	if (len == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, USERNS_SECCOMP_MODE_FILTER, (unsigned long)&fprog, 0, 0) != 0) {
		int err = len == 0 ? 0 : errno;
		(void)!write(report_fd, &err, sizeof err);
		_exit(LOAD_FAILED);
	}
	/* Raw calls: the C library's wrappers may make others first. */
	long r = syscall(SYS_unshare, CLONE_NEWUSER);
	int unshare_errno = r < 0 ? errno : 0;
	long pid = syscall(SYS_getpid);
	_exit(unshare_errno == EPERM && pid > 0 ? NATIVE_OK : NATIVE_WRONG);
}

int main(void)
{
	const struct userns_arch *native = userns_guard_native();
	for (size_t k = 0; k < userns_nkernels; k++) {
		const struct userns_arch *arch = userns_all_kernels[k];
		int fds[2];
		if (pipe(fds) != 0)
			return 1;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			child(arch, fds[1]);
		}
		close(fds[1]);
		int st, err = 0;
		waitpid(pid, &st, 0);
		if (read(fds[0], &err, sizeof err) != (ssize_t)sizeof err)
			err = 0;
		close(fds[0]);
		printf("%s ", arch->name);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
			printf("loaded killed-by-SIGSYS%s\n", arch == native ? " (native!)" : "");
		else if (WIFEXITED(st) && WEXITSTATUS(st) == LOAD_FAILED)
			printf("refused errno %d\n", err);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == NATIVE_OK)
			printf("loaded native unshare=EPERM getpid=ok%s\n",
			       arch == native ? "" : " (foreign!)");
		else
			printf("unexpected status %#x\n", st);
	}
	return 0;
}
