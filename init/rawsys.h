/* Two system calls made directly, where musl's wrappers add calls capinit
 * does not need on its start-up path (each ~2 us on a virtual machine with
 * the usual mitigations).
 *
 * raw_open: musl's open() follows O_CLOEXEC with an fcntl(FD_CLOEXEC) for
 * kernels older than 2.6.23; every kernel capinit runs on honours the flag.
 *
 * raw_fork: musl's fork() blocks and restores every signal around the
 * clone in both processes and asks the child's tid again (five calls), for
 * the sake of threads, atfork handlers and its own locks. capinit has one
 * thread, no atfork handler, and keeps every signal blocked anyway. The
 * one thing musl's fork would have refreshed is the child's cached thread
 * id, which only pthread functions and raise() read: the child calls
 * neither (it logs with write(2), exits with _exit, and executes). */
#ifndef INIT_RAWSYS_H
#define INIT_RAWSYS_H

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int raw_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);
}

static inline pid_t raw_fork(void)
{
#if defined(__s390x__) || defined(__s390__)
	/* s390 takes the new stack first and the flags second. */
	return (pid_t)syscall(SYS_clone, 0, SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

#endif
