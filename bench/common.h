/*
 * common.h — helpers shared by the benchmark programs in bench/.
 *
 * Each program is compiled on its own by bench/run.sh (one .c, no objects
 * to link), so the helpers are static inline: every program gets its own
 * copy and one that uses only some of them does not warn about the rest.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Read a small file (a one-line /proc file) into b, NUL-terminated; its
 * length, or -1 when it cannot be opened or read or is empty.  The drivers
 * and the workload all parse such files, and all want the same care. */
static inline ssize_t read_small(const char *path, char *b, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	return n;
}

/* First pid listed in /proc/P/task/P/children, or -1.  Both drivers (reapdrv,
 * siglat) find the init's host pid this way, as the child of the unshare
 * process they started. */
static inline pid_t child_of(pid_t p)
{
	char path[64], b[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", p, p);
	if (read_small(path, b, sizeof b) < 0)
		return -1;
	return (pid_t)atoi(b);
}

/* open(path, flags | O_CLOEXEC), saying why with perror when it fails; the fd
 * or -1.  Both ends of a driver's FIFO are opened this way. */
static inline int open_fifo(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		perror(path);
	return fd;
}

/* Driver side: make a fresh FIFO at path and open it; the fd or -1 (after
 * perror).  O_RDWR: the open does not block waiting for a writer, and reads
 * never see EOF when the workload closes its end. */
static inline int make_fifo(const char *path)
{
	unlink(path);
	if (mkfifo(path, 0600) < 0) {
		perror(path);
		return -1;
	}
	return open_fifo(path, O_RDWR);
}

/* Driver side: fork and run argv (the unshare ... INIT -- workload command)
 * in the child; its pid, or -1.  The child is SIGKILLed when we die, so that
 * no init is left behind stopped or running. */
static inline pid_t spawn_guarded(char **argv)
{
	pid_t me = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* if we die (timeout, ^C), the unshare dies, and with it
		 * (--kill-child) the init and its namespace, even if stopped */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(1);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

#endif
