/*
 * timeit — start-up timing driver for bench/run.sh.
 *
 *   timeit RUNS WARMUP -- LABEL [VAR=VAL]... CMD [ARG]... [';' LABEL ...]...
 *
 * Runs every command RUNS times, round-robin (run r starts with command
 * r mod N), so that slow drifts of a noisy machine (other tenants, CPU
 * frequency) hit every command alike instead of whichever ran last.  Each
 * run is timed with CLOCK_MONOTONIC from just before fork() to just after
 * waitpid() returns: one fork+exec+wait, with no shell in between, which is
 * why this exists instead of bash `time` or hyperfine's shell spawning.
 *
 * VAR=VAL words between the label and the command are set in the child's
 * environment only (so `capinit with a cap spec` is not charged for an
 * extra `env` exec).  Output, one line per command:
 *
 *   LABEL n=RUNS median_us=.. p10_us=.. p90_us=.. mean_us=.. minflt=.. fails=..
 *
 * minflt is the median number of minor page faults of the run (wait4's
 * rusage: the command and every descendant it waited for), which says how
 * much of an image a start touches; fails counts runs whose exit status was
 * not 0; the caller decides.  With TIMEIT_SAMPLES=FILE in the environment,
 * every run is also written there, one "LABEL ROUND MICROSECONDS MINFLT"
 * line each, so that commands can be compared run by run (the runs of one
 * round are next to each other in time).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 32

struct cmd {
	const char *label;
	char **env;      /* VAR=VAL words, nenv of them */
	int nenv;
	char **argv;     /* NULL-terminated (we overwrite the ';' word) */
	double *t;       /* samples, microseconds */
	double *flt;     /* minor page faults of each run */
	int fails;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static double pct(const double *v, int n, double p)
{
	int i = (int)(p / 100.0 * (n - 1) + 0.5);
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* One fork/exec/wait; returns elapsed microseconds, *ok = exit status 0,
 * *flt = its minor page faults. */
static double run_once(struct cmd *c, int devnull, int *ok, double *flt)
{
	double t0 = now_us();
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(devnull, 1);
		dup2(devnull, 2);
		for (int i = 0; i < c->nenv; i++)
			putenv(c->env[i]);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		;
	double t1 = now_us();
	*ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	*flt = (double)ru.ru_minflt;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: timeit RUNS WARMUP -- LABEL [VAR=VAL]... CMD [ARG]... [';' ...]\n");
		return 2;
	}
	int runs = atoi(argv[1]), warm = atoi(argv[2]);
	if (runs < 1 || runs > 100000 || warm < 0 || warm > 10000) {
		fprintf(stderr, "timeit: bad RUNS/WARMUP\n");
		return 2;
	}

	/* Split the rest at ';' words into commands. */
	struct cmd cmds[MAX_CMDS];
	int n = 0;
	int i = 4;
	while (i < argc) {
		if (n == MAX_CMDS) {
			fprintf(stderr, "timeit: too many commands\n");
			return 2;
		}
		struct cmd *c = &cmds[n++];
		memset(c, 0, sizeof *c);
		c->label = argv[i++];
		c->env = &argv[i];
		while (i < argc && strchr(argv[i], '=') && argv[i][0] != '/') {
			c->nenv++;
			i++;
		}
		c->argv = &argv[i];
		while (i < argc && strcmp(argv[i], ";") != 0)
			i++;
		if (&argv[i] == c->argv) {
			fprintf(stderr, "timeit: no command for %s\n", c->label);
			return 2;
		}
		if (i < argc)
			argv[i++] = NULL;  /* terminate this argv at the ';' */
		c->t = calloc(runs, sizeof(double));
		c->flt = calloc(runs, sizeof(double));
		if (!c->t || !c->flt)
			return 1;
	}
	if (n == 0)
		return 2;

	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		perror("timeit: /dev/null");
		return 1;
	}

	int ok;
	double flt;
	for (int r = 0; r < warm; r++)
		for (int k = 0; k < n; k++)
			run_once(&cmds[(r + k) % n], devnull, &ok, &flt);

	FILE *samples = NULL;
	const char *samples_path = getenv("TIMEIT_SAMPLES");
	if (samples_path && !(samples = fopen(samples_path, "w"))) {
		perror(samples_path);
		return 1;
	}
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < n; k++) {
			struct cmd *c = &cmds[(r + k) % n];
			c->t[r] = run_once(c, devnull, &ok, &c->flt[r]);
			if (!ok)
				c->fails++;
			if (samples)
				fprintf(samples, "%s %d %.1f %.0f\n", c->label, r, c->t[r], c->flt[r]);
		}
	if (samples && fclose(samples) != 0) {
		perror(samples_path);
		return 1;
	}

	for (int k = 0; k < n; k++) {
		struct cmd *c = &cmds[k];
		double sum = 0;
		for (int r = 0; r < runs; r++)
			sum += c->t[r];
		qsort(c->t, runs, sizeof(double), cmp_double);
		qsort(c->flt, runs, sizeof(double), cmp_double);
		printf("%s n=%d median_us=%.1f p10_us=%.1f p90_us=%.1f mean_us=%.1f minflt=%.0f "
		       "fails=%d\n",
		       c->label, runs, pct(c->t, runs, 50), pct(c->t, runs, 10),
		       pct(c->t, runs, 90), sum / runs, pct(c->flt, runs, 50), c->fails);
	}
	return 0;
}
