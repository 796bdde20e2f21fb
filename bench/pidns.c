/*
 * pidns — run a command as PID 1 of a new PID namespace, and nothing else:
 *
 *   pidns CMD [ARG]...
 *
 * clone(CLONE_NEWPID), exec CMD in the child, wait, exit with its status.
 * The start-up benchmark's PID 1 arm runs every init (and the bare
 * fork-exec-wait) under this instead of `unshare -fp --mount-proc`, whose
 * own fork, mount of /proc and dynamic loading cost more than the inits
 * being compared and would dilute their difference.  No /proc is mounted:
 * /proc/self still names the process (through the host's PID namespace),
 * which is all an init reads there.  Static (musl), as capinit is.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: pidns CMD [ARG]...\n", stderr);
		return 2;
	}
	/* A plain clone(2) with no new stack: fork semantics in a new PID
	 * namespace (musl has no wrapper for that shape). */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		perror("pidns: clone(CLONE_NEWPID)");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
