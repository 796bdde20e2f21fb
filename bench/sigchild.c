/*
 * sigchild — the far end of the signal-forwarding benchmark (see siglat.c).
 *
 *   INIT -- sigchild FIFO
 *
 * Installs a SIGUSR1 handler that writes the CLOCK_MONOTONIC time at which
 * it runs (8 bytes, nanoseconds) to FIFO, announces itself by writing 0, and
 * then sleeps in pause().  CLOCK_MONOTONIC is shared with the host (a PID
 * namespace is not a time namespace), so the driver can subtract its send
 * time.  SIGTERM keeps its default action: that is how the driver ends us.
 * alarm() bounds our life in case everything else went wrong.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int fd = -1;

static void on_usr1(int sig)
{
	struct timespec ts;
	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (write(fd, &ns, sizeof ns) < 0)
		_exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sigchild FIFO\n");
		return 2;
	}
	fd = open_fifo(argv[1], O_WRONLY);
	if (fd < 0)
		return 1;
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* inits may start us with signals blocked or ignored: undo that */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);

	alarm(600);
	uint64_t ready = 0;
	if (write(fd, &ready, sizeof ready) < 0)
		return 1;
	for (;;)
		pause();
}
