/*
 * stepclock.h — force-included (-include) into the throw-away build that
 * bench/steps/steps.py makes of init/: STEP("label") notes the
 * CLOCK_MONOTONIC time (vDSO, ~30 ns, no system call) at the end of the step
 * it names; STEP_DUMP('P' or 'C') appends the notes of this process to the
 * file named by $STEPS_OUT (one line: role, then label=ns pairs; not a
 * CAPINIT_ variable, which capinit would refuse).  The notes are weak
 * definitions, so every file of the build shares one copy; a forked child
 * has its own from the fork on.  Never part of build/capinit.
 */
#ifndef BENCH_STEPCLOCK_H
#define BENCH_STEPCLOCK_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define STEP_MAX 64

struct step_mark {
	const char *label;
	long long ns;
};
__attribute__((weak)) struct step_mark step_marks[STEP_MAX];
__attribute__((weak)) int step_count;

static inline __attribute__((unused)) void STEP(const char *label)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (step_count < STEP_MAX) {
		step_marks[step_count].label = label;
		step_marks[step_count].ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		step_count++;
	}
}

static inline __attribute__((unused)) void STEP_DUMP(char role)
{
	const char *path = getenv("STEPS_OUT");
	if (!path)
		return;
	char line[STEP_MAX * 96];
	size_t n = 0;
	line[n++] = role;
	for (int i = 0; i < step_count && n + 96 < sizeof line; i++) {
		const char *l = step_marks[i].label;
		line[n++] = '\t';
		size_t ll = strlen(l);
		memcpy(line + n, l, ll);
		n += ll;
		line[n++] = '=';
		char num[24];
		int k = 0;
		long long v = step_marks[i].ns;
		do
			num[k++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		while (k)
			line[n++] = num[--k];
	}
	/* the page faults of this process so far, as a last "label" */
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		memcpy(line + n, "\tminflt=", 8);
		n += 8;
		char num[24];
		int k = 0;
		long v = ru.ru_minflt;
		do
			num[k++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		while (k)
			line[n++] = num[--k];
	}
	line[n++] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, line, n);
		(void)w;
		close(fd);
	}
}

#endif
