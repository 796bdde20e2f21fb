/*
 * siglat — signal-forwarding latency driver for bench/run.sh.
 *
 *   siglat COUNT SPACING_US FIFO RAWFILE -- unshare -fp --mount-proc \
 *          --kill-child INIT -- sigchild FIFO
 *
 * Starts the given command (an init as PID 1 of a new PID namespace running
 * sigchild), finds the init's host pid as the child of the unshare process,
 * then COUNT times: reads CLOCK_MONOTONIC, kill(init, SIGUSR1), and waits
 * for sigchild's handler to report the CLOCK_MONOTONIC time at which it ran.
 * Latency = handler time - send time: the init's wake-up, its forwarding and
 * the child's wake-up.  One signal is in flight at a time and the next is
 * sent SPACING_US (plus up to 50% jitter) after the answer, so signals are
 * never coalesced and we do not phase-lock with any periodic timer.
 * The first WARMUP answers are discarded (page faults, cold caches).
 *
 * Output on stdout:
 *   n=.. median_us=.. p90_us=.. p99_us=.. max_us=.. lost=..
 * lost = signals with no answer within 1 s.  Each latency (µs) is also
 * appended to RAWFILE, one a line, so that several interleaved runs can be
 * pooled by the caller.  Exit status 0 when it ran.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define WARMUP 20

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, int n, double p)
{
	int i = (int)(p / 100.0 * (n - 1) + 0.5);
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Read one 8-byte stamp within timeout_ms; 1 = got it, 0 = timeout. */
static int read_stamp(int fd, uint64_t *v, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0)
		return 0;
	/* writes of 8 bytes to a pipe are atomic, so whole stamps arrive */
	return read(fd, v, sizeof *v) == (ssize_t)sizeof *v;
}

int main(int argc, char **argv)
{
	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "usage: siglat COUNT SPACING_US FIFO RAWFILE -- CMD...\n");
		return 2;
	}
	int count = atoi(argv[1]);
	long spacing = atol(argv[2]);
	const char *fifo = argv[3];
	if (count < 1 || count > 100000 || spacing < 0 || spacing > 1000000)
		return 2;

	int fd = make_fifo(fifo);  /* O_RDWR: never blocks, never EOF */
	if (fd < 0)
		return 1;

	pid_t ush = spawn_guarded(&argv[6]);
	if (ush < 0)
		return 1;

	int rc = 1;
	uint64_t stamp;
	pid_t init = -1;
	double *lat = calloc(count, sizeof(double));
	int n = 0, lost = 0;
	if (!lat || !read_stamp(fd, &stamp, 10000)) {
		fprintf(stderr, "siglat: child did not start\n");
		goto out;
	}
	init = child_of(ush);
	if (init <= 0) {
		fprintf(stderr, "siglat: cannot find the init under unshare %d\n", ush);
		goto out;
	}

	srand(12345);
	for (int i = 0; i < count + WARMUP; i++) {
		uint64_t t0 = now_ns();
		if (kill(init, SIGUSR1) < 0) {
			perror("siglat: kill");
			goto out;
		}
		int got = 0;
		/* skip stale answers (to a signal that earlier timed out) */
		while ((got = read_stamp(fd, &stamp, 1000)) && stamp < t0)
			;
		if (!got)
			lost++;
		else if (i >= WARMUP)
			lat[n++] = (stamp - t0) / 1e3;
		long us = spacing + (spacing ? rand() % (spacing / 2 + 1) : 0);
		struct timespec d = { us / 1000000, (us % 1000000) * 1000 };
		nanosleep(&d, NULL);
	}
	rc = 0;

out:
	/* end it: SIGTERM to the init (forwarded, kills sigchild); the unshare
	 * then exits.  If that does not happen within 5 s, SIGKILL the unshare:
	 * --kill-child makes the kernel kill the init and so the namespace. */
	if (init > 0)
		kill(init, SIGTERM);
	for (int t = 0; t < 500; t++) {
		if (waitpid(ush, NULL, WNOHANG) == ush)
			goto done;
		usleep(10000);
	}
	kill(ush, SIGKILL);
	waitpid(ush, NULL, 0);
done:
	unlink(fifo);
	if (rc == 0) {
		FILE *raw = fopen(argv[4], "a");
		if (!raw) {
			perror(argv[4]);
			return 1;
		}
		for (int i = 0; i < n; i++)
			fprintf(raw, "%.1f\n", lat[i]);
		if (fclose(raw) != 0) {
			perror(argv[4]);
			return 1;
		}
		if (n == 0) {
			printf("n=0 median_us=nan p90_us=nan p99_us=nan max_us=nan lost=%d\n", lost);
		} else {
			qsort(lat, n, sizeof(double), cmp_double);
			printf("n=%d median_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f lost=%d\n",
			       n, pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99),
			       lat[n - 1], lost);
		}
	}
	return rc;
}
