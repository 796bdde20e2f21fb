/*
 * stepdrv — the driver of bench/steps/steps.py:
 *
 *   stepdrv RUNS OUT -- CMD [ARG]...
 *
 * RUNS times: note the CLOCK_MONOTONIC time, fork, exec CMD (stdout and
 * stderr to /dev/null), wait, note the time again; appends "R <start ns>"
 * before and "E <end ns>" after each run to OUT, between which the
 * instrumented capinit appends its own lines (P: the parent, C: the child).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: stepdrv RUNS OUT -- CMD [ARG]...\n");
		return 2;
	}
	int runs = atoi(argv[1]);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (int r = 0; r < runs; r++) {
		char line[64];
		int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		/* Writable for the instrumented child after a switch to another
		 * user (--spec: nobody), whatever the umask. */
		(void)fchmod(fd, 0666);
		long long t0 = now_ns();
		int n = snprintf(line, sizeof line, "R\t%lld\n", t0);
		if (write(fd, line, (size_t)n) != n)
			return 1;
		t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
			execvp(argv[4], argv + 4);
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			;
		long long t1 = now_ns();
		n = snprintf(line, sizeof line, "E\t%lld\t%lld\t%d\n", t0, t1, st);
		if (write(fd, line, (size_t)n) != n)
			return 1;
		close(fd);
	}
	return 0;
}
