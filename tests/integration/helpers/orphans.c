/* orphans: make N orphaned grandchildren, let them exit on request.
 *
 *   orphans [-c CODE] N OUTFILE
 *
 * Forks N children, each of which forks a grandchild and exits at once, so
 * every grandchild is re-parented (to PID 1, or to the nearest subreaper).
 * The grandchildren block reading a pipe. When all exist, "spawned N PID" is
 * appended to OUTFILE (PID: this process, as its own namespace sees it). When OUTFILE.release appears, the pipe is closed, so
 * all grandchildren exit together ("released" is appended); when OUTFILE.stop
 * appears, orphans exits with CODE (default 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "orphans: %s: %s\n", what, strerror(errno));
	exit(99);
}

static void wait_for_file(const char *path)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	while (access(path, F_OK) != 0)
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	int code = 0;
	int opt;
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return 98;
		code = atoi(optarg);
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "usage: orphans [-c CODE] N OUTFILE\n");
		return 98;
	}
	int n = atoi(argv[optind]);
	const char *outfile = argv[optind + 1];
	char path[4096];
	int out = open(outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0)
		die(outfile);

	int gate[2];
	if (pipe(gate) != 0)
		die("pipe");
	for (int i = 0; i < n; i++) {
		pid_t kid = fork();
		if (kid < 0)
			die("fork");
		if (kid == 0) {
			pid_t grandkid = fork();
			if (grandkid < 0)
				_exit(97);
			if (grandkid == 0) {
				char c;
				close(gate[1]);
				close(out);
				while (read(gate[0], &c, 1) < 0 && errno == EINTR)
					;
				_exit(0);
			}
			_exit(0);
		}
		int st;
		if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("intermediate child");
	}
	char line[64];
	int len = snprintf(line, sizeof line, "spawned %d %d\n", n, (int)getpid());
	if (write(out, line, (size_t)len) != len)
		die("write");

	snprintf(path, sizeof path, "%s.release", outfile);
	wait_for_file(path);
	close(gate[1]);
	if (write(out, "released\n", 9) != 9)
		die("write");

	snprintf(path, sizeof path, "%s.stop", outfile);
	wait_for_file(path);
	return code;
}
