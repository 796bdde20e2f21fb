/*
 * seccomp_cost — what installing the user-namespace guard costs, and where
 * (docs/userns.md, "What the guard costs"). Built and run by hand:
 *
 *   musl-gcc -static -O2 -Iinit -o build/bench/seccomp_cost \
 *       bench/seccomp_cost.c init/userns_guard.c
 *   build/bench/seccomp_cost [RUNS]
 *
 * Each case runs RUNS times in a freshly forked process (as capinit's
 * child is), interleaved round-robin with the others, and reports the
 * median of the time the case's system call took (CLOCK_MONOTONIC around
 * it, vDSO) and of the whole fork-to-wait round:
 *
 *   guard         PR_SET_SECCOMP with capinit's program (x86: 3 ABIs)
 *   one-insn      PR_SET_SECCOMP with a one-instruction program (RET ALLOW)
 *   guard-spec    seccomp(SECCOMP_SET_MODE_FILTER, SPEC_ALLOW) with the guard
 *   guard-warm    the guard's second install in the same process
 *   nnp           PR_SET_NO_NEW_PRIVS alone (a cheap prctl, for scale)
 *   fork-inherit  no install in the child: the parent holds the guard, so
 *                 the fork copies a reference to it (round time only)
 *   fork-plain    the same fork from a parent without a filter
 *
 * The inherit/plain pair runs in two forked "parents" so that the
 * measuring process itself stays unfiltered.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "userns_guard.h"

/* linux/seccomp.h, which a musl build does not see. */
#define SECCOMP_MODE_FILTER 2
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1u << 2)

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct userns_insn guard[USERNS_GUARD_MAX_INSNS];
static struct userns_fprog guard_prog;
static struct userns_insn allow[1] = {{USERNS_BPF_RET_K, 0, 0, USERNS_RET_ALLOW}};
static struct userns_fprog allow_prog = {1, allow};

enum { C_GUARD, C_ONE, C_SPEC, C_WARM, C_NNP, C_NCASES };
static const char *const names[] = {"guard", "one-insn", "guard-spec", "guard-warm", "nnp"};

/* In the child: the case's call, timed. Returns ns, or -1. */
static long long run_case(int c)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (c == C_WARM && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &guard_prog, 0, 0) != 0)
		return -1;
	long long t0 = now_ns();
	long r = 0;
	switch (c) {
	case C_GUARD:
	case C_WARM:
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &guard_prog, 0, 0);
		break;
	case C_ONE:
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &allow_prog, 0, 0);
		break;
	case C_SPEC:
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
			    &guard_prog);
		break;
	case C_NNP:
		r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		break;
	}
	long long t1 = now_ns();
	return r == 0 ? t1 - t0 : -1;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_ll);
	return v[n / 2];
}

/* One forked round: the child runs case c (or nothing, c < 0) and sends its
 * time through the pipe. Returns the round's ns, *call the call's. */
static long long round_trip(int c, long long *call)
{
	int fd[2];
	if (pipe(fd) != 0)
		exit(1);
	long long t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		long long t = c >= 0 ? run_case(c) : 0;
		(void)!write(fd[1], &t, sizeof t);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	long long t1 = now_ns();
	if (read(fd[0], call, sizeof *call) != sizeof *call || *call < 0) {
		fprintf(stderr, "case %d failed\n", c);
		exit(1);
	}
	close(fd[0]);
	close(fd[1]);
	return t1 - t0;
}

/* The fork pair: a parent with the guard (or not) forks RUNS empty
 * children; its median round comes back through a pipe. */
static long long fork_parent(int filtered, int runs)
{
	int fd[2];
	if (pipe(fd) != 0)
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			_exit(1);
		if (filtered && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &guard_prog, 0, 0) != 0)
			_exit(1);
		long long *v = calloc((size_t)runs, sizeof *v), call;
		for (int i = 0; i < runs; i++)
			v[i] = round_trip(-1, &call);
		long long m = median(v, runs);
		(void)!write(fd[1], &m, sizeof m);
		_exit(0);
	}
	long long m = -1;
	waitpid(pid, NULL, 0);
	if (read(fd[0], &m, sizeof m) != sizeof m)
		exit(1);
	close(fd[0]);
	close(fd[1]);
	return m;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 300;
	if (runs < 5)
		runs = 5;
	guard_prog.filter = guard;
	guard_prog.len = (unsigned short)userns_guard_build(userns_guard_native(), guard,
							     USERNS_GUARD_MAX_INSNS);
	printf("guard: %u instructions\n", guard_prog.len);
	long long *call[C_NCASES], *rt[C_NCASES];
	for (int c = 0; c < C_NCASES; c++) {
		call[c] = calloc((size_t)runs, sizeof(long long));
		rt[c] = calloc((size_t)runs, sizeof(long long));
	}
	for (int i = 0; i < runs; i++)
		for (int k = 0; k < C_NCASES; k++) {
			int c = (i + k) % C_NCASES;
			rt[c][i] = round_trip(c, &call[c][i]);
		}
	for (int c = 0; c < C_NCASES; c++)
		printf("%-12s call %7.1f us   round %7.1f us\n", names[c], median(call[c], runs) / 1e3,
		       median(rt[c], runs) / 1e3);
	long long fi = 0, fp = 0;
	for (int k = 0; k < 4; k++) {
		fi += fork_parent(1, runs / 4 + 1);
		fp += fork_parent(0, runs / 4 + 1);
	}
	printf("%-12s round %7.1f us (sum of 4 medians / 4)\n", "fork-inherit", fi / 4e3);
	printf("%-12s round %7.1f us\n", "fork-plain", fp / 4e3);
	return 0;
}
