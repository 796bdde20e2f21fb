/* Tries the ways a process can create a user namespace (and the ordinary
 * process creation that must keep working), one line each:
 *
 *   userns_try status clone-newuser clone3-newuser int80-unshare fork ...
 *
 * prints "MODE ok" when the call succeeded, "MODE errno NAME" when it
 * failed, "MODE unsupported" where the machine has no such call. `status`
 * prints the kernel's view of this process: Seccomp, Seccomp_filters and
 * NoNewPrivs from /proc/self/status. Raw system calls, so no C library
 * fallback hides what the kernel (and the filter) answered. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case EUSERS: return "EUSERS";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

static void report(const char *mode, long ret, int err)
{
	if (ret < 0)
		printf("%s errno %s\n", mode, errname(err));
	else
		printf("%s ok\n", mode);
	fflush(stdout);
}

/* A child made by a raw clone: it only exits. */
static long wait_child(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		int st;
		if (waitpid((pid_t)pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return errno = ECHILD, -1;
	}
	return pid;
}

static long raw_clone(unsigned long flags)
{
	fflush(stdout);
#if defined(__s390x__) || defined(__s390__)
	return syscall(SYS_clone, 0, flags, 0, 0, 0);
#else
	return syscall(SYS_clone, flags, 0, 0, 0, 0);
#endif
}

static long raw_clone3(unsigned long flags)
{
#ifdef SYS_clone3
	/* struct clone_args, version 0: flags, pidfd, child_tid, parent_tid,
	 * exit_signal, stack, stack_size, tls. */
	uint64_t args[8] = {flags, 0, 0, 0, SIGCHLD, 0, 0, 0};
	fflush(stdout);
	return syscall(SYS_clone3, args, sizeof args);
#else
	(void)flags;
	return errno = ENOSYS, -1;
#endif
}

static sigjmp_buf no_int80;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(no_int80, 1);
}

/* i386's unshare (310) through `int $0x80` from a 64-bit program: the
 * kernel runs it as a 32-bit system call, under AUDIT_ARCH_I386. A kernel
 * without the i386 ABI (IA32_EMULATION off, or ia32_emulation=false)
 * answers with a general protection fault: -1, nothing was called. */
static int int80_unshare(unsigned long flags, long *ret)
{
#if defined(__x86_64__)
	long r;
	struct sigaction sa = {.sa_handler = on_fault}, old;
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(no_int80, 1) != 0) {
		sigaction(SIGSEGV, &old, NULL);
		return -1;
	}
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(310L), "b"(flags)
			 : "memory", "r8", "r9", "r10", "r11");
	sigaction(SIGSEGV, &old, NULL);
	*ret = r;
	return 0;
#else
	(void)flags;
	(void)ret;
	return -1;
#endif
}

static void *thread_main(void *arg) { return arg; }

/* 0 in a child to run one mode in, the parent's pid after that child
 * ended. */
static pid_t in_child(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid > 0)
		waitpid(pid, NULL, 0);
	else if (pid < 0)
		printf("fork for isolation failed: %s\n", strerror(errno));
	return pid;
}

static void status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Seccomp", 7) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0)
			fputs(line, stdout);
	if (f)
		fclose(f);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *m = argv[i];
		long r;
		if (strcmp(m, "status") == 0) {
			status();
		} else if (strcmp(m, "clone-newuser") == 0) {
			r = wait_child(raw_clone(CLONE_NEWUSER | SIGCHLD));
			report(m, r, errno);
		} else if (strcmp(m, "clone3-newuser") == 0) {
			r = wait_child(raw_clone3(CLONE_NEWUSER));
			report(m, r, errno);
		} else if (strcmp(m, "clone3-plain") == 0) {
			r = wait_child(raw_clone3(0));
			report(m, r, errno);
		} else if (strcmp(m, "clone-plain") == 0) {
			r = wait_child(raw_clone(SIGCHLD));
			report(m, r, errno);
		} else if (strcmp(m, "fork") == 0) {
			pid_t pid = fork();
			r = wait_child(pid);
			report(m, r, errno);
		} else if (strcmp(m, "thread") == 0) {
			/* glibc tries clone3 first and falls back to clone on ENOSYS. */
			pthread_t t;
			int e = pthread_create(&t, NULL, thread_main, NULL);
			if (e == 0)
				pthread_join(t, NULL);
			report(m, e ? -1 : 0, e);
		} else if (strcmp(m, "unshare-none") == 0) {
			r = syscall(SYS_unshare, 0);
			report(m, r, errno);
		} else if (strcmp(m, "unshare-newuser") == 0) {
			/* In a child: a successful unshare moves the caller into
			 * the new namespace, where the next modes would run with
			 * unmapped ids. */
			if (in_child() == 0) {
				r = syscall(SYS_unshare, CLONE_NEWUSER);
				report(m, r, errno);
				_exit(0);
			}
		} else if (strcmp(m, "int80-unshare") == 0) {
			if (in_child() == 0) {
				if (int80_unshare(CLONE_NEWUSER, &r) != 0)
					printf("%s unsupported\n", m);
				else
					report(m, r < 0 ? -1 : r, r < 0 ? (int)-r : 0);
				fflush(stdout);
				_exit(0);
			}
		} else {
			fprintf(stderr, "userns_try: unknown mode %s\n", m);
			return 2;
		}
	}
	return 0;
}
