/*
 * orphans — reaping workload for bench/run.sh, driven by reapdrv.c.  Runs as
 * the command of the init under test, inside `unshare -fp --mount-proc`, so
 * that "PID 1" is the init and /proc is the namespace's:
 *
 *   unshare -fp --mount-proc --kill-child INIT -- orphans N OUTFILE FIFO
 *
 * Phase 1, stream (the init runs normally): two workers each make N/2
 * orphans, one after another, as fast as they can: fork a middle process
 * that forks a grandchild and exits at once, so the grandchild goes to
 * PID 1.  We sample how many orphans PID 1 has not reaped yet
 * (/proc/1/task/1/children minus ourselves: zombies, bar the odd orphan in
 * its last microseconds) and keep the peak, and PID 1's CPU time
 * (/proc/1/schedstat) for the whole stream.
 *
 * Phase 2, burst (measures only the init's reaping): N orphans are made and
 * block on a "go" pipe; we write 'R' to FIFO, and reapdrv SIGSTOPs the init
 * from the host (only an ancestor namespace can stop a PID 1).  Once
 * /proc/1/stat says stopped, we close the pipe, all N exit and, the init
 * being stopped, stay zombies.  When every one is 'Z' we write 'Z'; reapdrv
 * notes the time and SIGCONTs the init, which now has N zombies and nothing
 * else to do.  We note the CLOCK_MONOTONIC time at which the last is gone
 * (kill(pid, 0) fails with ESRCH once reaped; we check them in the order PID 1
 * reaps them, so each is asked about about once; no pid is reused meanwhile
 * since nothing forks).  Doing it this way, rather than letting N orphans
 * exit under a running init, keeps the kernel's O(live children) waitpid
 * scans and the scheduler's handling of N runnable exits out of the number.
 *
 * OUTFILE gets one line of key=value pairs (see the fprintf at the end; the
 * *_wall_us and setup times only say where the benchmark's time goes); on
 * an error we write 'E' to FIFO and exit non-zero.  All waits are bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define LIMIT_S 60  /* bound on every wait */

static char buf[1 << 20];  /* /proc/1/task/1/children: ~6 bytes per child */
static int fifo = -1;

struct shared {
	long ready;    /* burst grandchildren blocked on the go pipe */
	long exited;   /* burst grandchildren about to _exit */
	pid_t pid[];   /* burst grandchildren, in creation order */
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void tell(char c)
{
	if (write(fifo, &c, 1) != 1)
		perror("orphans: fifo");
}

static int fail(const char *what)
{
	fprintf(stderr, "orphans: %s\n", what);
	tell('E');
	return 1;
}

/* Children of PID 1 other than us (orphans still to reap), or -1. */
static long unreaped(pid_t self)
{
	int fd = open("/proc/1/task/1/children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t r;
	while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = 0;
	long count = 0;
	char *p = buf, *end;
	for (;;) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid != self)
			count++;
		p = end;
	}
	return count;
}

/* State letter of /proc/PID/stat ('Z', 'T', ...), or 0. */
static char state_of(pid_t pid)
{
	char path[64], b[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, b, sizeof b) < 0)
		return 0;
	char *p = strrchr(b, ')');  /* comm may contain spaces and ')' */
	return p && p[1] == ' ' ? p[2] : 0;
}

/* PID 1's CPU time so far, microseconds (first field of schedstat). */
static double init_cpu_us(void)
{
	char b[128];
	if (read_small("/proc/1/schedstat", b, sizeof b) < 0)
		return -1;
	return strtod(b, NULL) / 1e3;
}

/* Wait for our own children (middles) while *alive > 0: with WNOHANG only
 * those already gone; counts the ones that did not exit 0 in *failed. */
static void reap_middles(long *alive, long *failed, int flags)
{
	int st;
	pid_t p;
	while (*alive > 0 && (p = waitpid(-1, &st, flags)) != 0) {
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		(*alive)--;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			(*failed)++;
	}
}

/* fork, retrying a transient EAGAIN a few times */
static pid_t fork_retry(void)
{
	for (int t = 0; t < 50; t++) {
		pid_t p = fork();
		if (p >= 0 || errno != EAGAIN)
			return p;
		usleep(10000);
	}
	return -1;
}

/* A stream worker: n orphans, one at a time.  Exit status = failures. */
static void stream_worker(long n)
{
	long errors = 0;
	for (long i = 0; i < n; i++) {
		pid_t mid = fork_retry();
		if (mid < 0) {
			errors++;
			break;
		}
		if (mid == 0)
			_exit(fork() < 0);  /* the grandchild _exits at once */
		int st;
		while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			errors++;
	}
	_exit(errors > 255 ? 255 : errors);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: orphans N OUTFILE FIFO\n");
		return 2;
	}
	long n = atol(argv[1]);
	if (n < 2 || n > 20000) {
		fprintf(stderr, "orphans: N must be 2..20000\n");
		return 2;
	}
	fifo = open_fifo(argv[3], O_WRONLY);
	if (fifo < 0)
		return 1;
	pid_t self = getpid();
	if (getppid() != 1)
		return fail("parent is not PID 1");
	if (unreaped(self) < 0 || init_cpu_us() < 0)
		return fail("cannot read /proc/1 (no /proc of our own namespace?)");
	long errors = 0;

	/* ---- phase 1: stream ---- */
	double t_start = now_us();
	double cpu0 = init_cpu_us();
	pid_t w[2];
	for (int k = 0; k < 2; k++) {
		w[k] = fork_retry();
		if (w[k] < 0)
			return fail("fork");
		if (w[k] == 0)
			stream_worker(k ? n / 2 : n - n / 2);
	}
	long peak = 0;
	int running = 2;
	double t = now_us();
	while (running > 0) {
		long c = unreaped(self);
		if (c > peak)
			peak = c;
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p > 0) {
			running--;
			errors += WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
		if (now_us() - t > LIMIT_S * 1e6)
			return fail("stream: workers did not finish");
		usleep(200);
	}
	long stream_left;
	while ((stream_left = unreaped(self)) > 0 && now_us() - t < LIMIT_S * 1e6)
		usleep(1000);
	double stream_cpu = init_cpu_us() - cpu0;

	/* ---- phase 2: burst ---- */
	double t_burst = now_us();
	struct shared *sh = mmap(NULL, sizeof *sh + n * sizeof(pid_t), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2];
	if (sh == MAP_FAILED || pipe2(go, O_CLOEXEC) < 0)
		return fail("mmap/pipe");
	long alive = 0, failed = 0;  /* middles not yet waited for; failures */
	for (long i = 0; i < n; i++) {
		pid_t mid = fork_retry();
		if (mid < 0)
			return fail("fork");
		if (mid == 0) {
			pid_t g = fork();
			if (g == 0) {
				char ch;
				close(go[1]);
				__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
				/* EOF when we close the only writer: "go" */
				while (read(go[0], &ch, 1) < 0 && errno == EINTR)
					;
				__atomic_add_fetch(&sh->exited, 1, __ATOMIC_SEQ_CST);
				_exit(0);
			}
			sh->pid[i] = g;
			_exit(g < 0);  /* the grandchild is now PID 1's */
		}
		/* wait for the middles in batches, not one by one: this set-up
		 * is most of the benchmark's run time */
		if (++alive >= 256)
			reap_middles(&alive, &failed, WNOHANG);
	}
	reap_middles(&alive, &failed, 0);
	if (failed)
		return fail("burst: a middle process failed");
	t = now_us();
	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < n)
		if (now_us() - t > LIMIT_S * 1e6)
			return fail("burst: orphans did not start");
		else
			usleep(1000);

	tell('R');  /* reapdrv: SIGSTOP the init */
	while (state_of(1) != 'T')
		if (now_us() - t > LIMIT_S * 1e6)
			return fail("burst: PID 1 was not stopped");
		else
			usleep(1000);
	close(go[1]);
	for (long i = 0; i < n; i++)
		while (state_of(sh->pid[i]) != 'Z')
			if (now_us() - t > LIMIT_S * 1e6)
				return fail("burst: orphans did not exit");
			else
				usleep(1000);
	double bcpu0 = init_cpu_us();
	double t_zombies = now_us();
	tell('Z');  /* reapdrv: note the time, SIGCONT the init */

	long j = 0;
	t = now_us();
	for (;;) {
		while (j < n && kill(sh->pid[j], 0) < 0 && errno == ESRCH)
			j++;
		if (j == n || now_us() - t > LIMIT_S * 1e6)
			break;
		usleep(50);
	}
	struct timespec done;
	clock_gettime(CLOCK_MONOTONIC, &done);
	double bcpu = init_cpu_us() - bcpu0;

	FILE *f = fopen(argv[2], "w");
	if (!f)
		return fail("cannot write OUTFILE");
	fprintf(f, "stream_peak=%ld stream_cpu_us=%.0f stream_left=%ld "
		"burst_done_ns=%lld burst_cpu_us=%.0f burst_left=%ld orphans=%ld errors=%ld "
		"stream_wall_us=%.0f burst_setup_us=%.0f\n",
		peak, stream_cpu, stream_left,
		(long long)done.tv_sec * 1000000000LL + done.tv_nsec, bcpu, n - j, n, errors,
		t_burst - t_start, t_zombies - t_burst);
	fclose(f);
	return j == n && stream_left == 0 ? 0 : 3;
}
