/* System calls made directly, where musl's wrappers add calls capinit
 * does not need on its start-up path (each ~2 us on a virtual machine with
 * the usual mitigations), or code it does not need: each wrapper below
 * replaces one of a few hundred bytes (fallbacks for kernels before 2.6.27,
 * the vDSO lookup) in a binary whose size is a target.
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
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int raw_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);
}

/* With a mode, for O_CREAT. */
static inline int raw_open_mode(const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

static inline int raw_pipe2(int fd[2], int flags)
{
	return (int)syscall(SYS_pipe2, fd, flags);
}

static inline int raw_socketpair(int domain, int type, int protocol, int fd[2])
{
	return (int)syscall(SYS_socketpair, domain, type, protocol, fd);
}

/* musl's socket() retries without SOCK_CLOEXEC and SOCK_NONBLOCK for
 * kernels before 2.6.27. */
static inline int raw_socket(int domain, int type, int protocol)
{
	return (int)syscall(SYS_socket, domain, type, protocol);
}

static inline int raw_set_nonblock(int fd)
{
	return (int)syscall(SYS_fcntl, fd, F_SETFL, O_NONBLOCK);
}

/* CLOCK_MONOTONIC in microseconds, by the system call rather than the
 * vDSO (whose lookup is ~1 kB of code): the probe and the grace period
 * read it a few times per trial or second, never on the start-up path.
 * 32-bit ABIs with a 64-bit time_t take the 64-bit call. */
static inline long long raw_monotonic_us(void)
{
#ifdef SYS_clock_gettime64
	long long ts[2] = {0, 0};
	(void)syscall(SYS_clock_gettime64, CLOCK_MONOTONIC, ts);
#else
	long ts[2] = {0, 0};
	(void)syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts);
#endif
	return (long long)ts[0] * 1000000 + (long long)ts[1] / 1000;
}

/* A pause without musl's usleep/nanosleep chain: poll, already linked. */
static inline void raw_sleep_ms(int ms) { (void)poll(NULL, 0, ms); }

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
