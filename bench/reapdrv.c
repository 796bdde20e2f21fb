/*
 * reapdrv — host side of the reaping benchmark (see orphans.c).
 *
 *   reapdrv FIFO OUTFILE -- unshare -fp --mount-proc --kill-child \
 *           INIT -- orphans N OUTFILE FIFO
 *
 * Starts the command, finds the init's host pid (the unshare process's
 * child), and answers orphans' requests on FIFO: on 'R' it SIGSTOPs the init
 * (a PID 1 can only be stopped from an ancestor namespace), on 'Z' it reads
 * CLOCK_MONOTONIC and SIGCONTs it.  When the command has exited it prints
 * orphans' OUTFILE line plus burst_reap_us = (time the last zombie was gone,
 * from orphans) - (time of the SIGCONT).  Whatever goes wrong, the init is
 * continued and the unshare SIGKILLed (--kill-child then takes the init and
 * its whole namespace), so nothing is left stopped or running.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char expect(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 0;
	if (poll(&p, 1, timeout_ms) == 1 && read(fd, &c, 1) == 1)
		return c;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: reapdrv FIFO OUTFILE -- CMD...\n");
		return 2;
	}
	const char *fifo = argv[1], *out = argv[2];
	unlink(out);
	int fd = make_fifo(fifo);  /* never blocks, never EOF */
	if (fd < 0)
		return 1;
	pid_t ush = spawn_guarded(&argv[4]);
	if (ush < 0)
		return 1;

	int ok = 0;
	pid_t init = -1;
	struct timespec t0 = { 0, 0 };
	char c = expect(fd, 120000);  /* set-up: the stream phase and N forks */
	if (c != 'R') {
		fprintf(stderr, "reapdrv: orphans did not get ready (%c)\n", c ? c : '-');
		goto end;
	}
	init = child_of(ush);
	if (init <= 0 || kill(init, SIGSTOP) < 0) {
		perror("reapdrv: stopping the init");
		goto end;
	}
	c = expect(fd, 60000);
	if (c != 'Z') {
		fprintf(stderr, "reapdrv: orphans did not make the zombies (%c)\n", c ? c : '-');
		goto end;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(init, SIGCONT);
	ok = 1;

end:
	if (init > 0)
		kill(init, SIGCONT);  /* never leave it stopped */
	int st = 0;
	for (int t = 0; t < 6000; t++) {  /* up to 60 s */
		if (waitpid(ush, &st, WNOHANG) == ush)
			goto reaped;
		usleep(10000);
	}
	fprintf(stderr, "reapdrv: the init did not exit; killing its namespace\n");
	kill(ush, SIGKILL);
	waitpid(ush, &st, 0);
	ok = 0;
reaped:
	unlink(fifo);
	if (!ok)
		return 1;

	char line[512] = "";
	FILE *f = fopen(out, "r");
	if (!f || !fgets(line, sizeof line, f)) {
		fprintf(stderr, "reapdrv: no result in %s\n", out);
		return 1;
	}
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	char *d = strstr(line, "burst_done_ns=");
	if (!d)
		return 1;
	long long done = atoll(d + strlen("burst_done_ns="));
	long long start = (long long)t0.tv_sec * 1000000000LL + t0.tv_nsec;
	printf("%s burst_reap_us=%.0f\n", line, (done - start) / 1e3);
	return 0;
}
