/* sigrec: record every signal this process receives, one number a line.
 *
 *   sigrec [-x SIG]... [-c CODE] [-s STATEFILE] OUTFILE
 *
 * Before touching anything, -s copies /proc/self/stat and /proc/self/status
 * (as inherited across execve) into STATEFILE, written atomically.
 * Then every disposition is reset to the default, every signal is blocked and
 * "ready" is appended to OUTFILE (through raw system calls: the C library
 * refuses the real-time signals it reserves, 32-34, which an init must
 * forward all the same); from then on each signal taken with
 * sigtimedwait is appended as its number. sigrec exits with CODE (default 0)
 * when it takes a signal given with -x, or when OUTFILE.stop exists.
 * Each line is one write(2) on an O_APPEND descriptor, so a reader never sees
 * half a line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sigrec: %s: %s\n", what, strerror(errno));
	exit(99);
}

static void put(int fd, const char *s)
{
	size_t len = strlen(s);
	if (write(fd, s, len) != (ssize_t)len)
		die("write");
}

static void copy_file(int out, const char *path)
{
	char buf[8192];
	int in = open(path, O_RDONLY);
	if (in < 0)
		die(path);
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("write state");
	close(in);
}

static void save_state(const char *statefile)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", statefile);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(tmp);
	put(fd, "Stat:\t");
	copy_file(fd, "/proc/self/stat");
	copy_file(fd, "/proc/self/status");
	close(fd);
	if (rename(tmp, statefile) != 0)
		die("rename");
}

/* The kernel's 64-bit signal mask, bit S-1 for signal S. */
typedef unsigned long long kmask;

int main(int argc, char **argv)
{
	kmask exit_on = 0;
	int code = 0;
	const char *statefile = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "x:c:s:")) != -1) {
		switch (opt) {
		case 'x':
			exit_on |= 1ull << (atoi(optarg) - 1);
			break;
		case 'c':
			code = atoi(optarg);
			break;
		case 's':
			statefile = optarg;
			break;
		default:
			return 98;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: sigrec [-x SIG]... [-c CODE] [-s STATEFILE] OUTFILE\n");
		return 98;
	}
	const char *outfile = argv[optind];
	if (statefile)
		save_state(statefile);

	char stopfile[4096];
	snprintf(stopfile, sizeof stopfile, "%s.stop", outfile);
	int out = open(outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0)
		die(outfile);

	/* All-zero: SIG_DFL whatever the architecture's sigaction layout. */
	static const unsigned long zero[8];
	for (int sig = 1; sig <= 64; sig++)
		(void)syscall(SYS_rt_sigaction, sig, zero, NULL, 8); /* fails for KILL, STOP */
	kmask all = ~0ull;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8) != 0)
		die("sigprocmask");
	put(out, "ready\n");

	struct timespec tick = {0, 20 * 1000 * 1000};
	for (;;) {
		siginfo_t info;
		int sig = (int)syscall(SYS_rt_sigtimedwait, &all, &info, &tick, 8);
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR)
				die("sigtimedwait");
			if (access(stopfile, F_OK) == 0)
				return code;
			continue;
		}
		char line[32];
		snprintf(line, sizeof line, "%d\n", sig);
		put(out, line);
		if (exit_on & (1ull << (sig - 1)))
			return code;
	}
}
