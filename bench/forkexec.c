/*
 * forkexec — the bare minimum of an init, as the start-up baseline:
 *
 *   forkexec CMD [ARG]...
 *
 * fork, exec CMD in the child, wait for it, exit with its status.  No
 * signal handling, no reaping of others, no configuration: what any init
 * must at least do to run one command, so "start-up ÷ forkexec" is the
 * overhead of everything else an init does.  Built static with musl-gcc,
 * as capinit is, so neither pays for a dynamic loader the other skips.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: forkexec CMD [ARG]...\n", stderr);
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
