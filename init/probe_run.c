#define _GNU_SOURCE
#include "probe_run.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "decimal.h"
#include "fmt.h"
#include "log.h"
#include "privilege.h"
#include "probe_tcp.h"

/* Poll intervals while a trial runs (the init's own supervision never
 * polls): the port table from 10 ms doubling to 200 ms, the check command
 * retried from 100 ms doubling to 1 s. Fast enough that a trial of a quick
 * app costs milliseconds, slow enough to stay off the CPU. */
#define PORT_POLL_FIRST_MS 10
#define PORT_POLL_MAX_MS 200
#define CHECK_RETRY_FIRST_MS 100
#define CHECK_RETRY_MAX_MS 1000
/* SIGKILL takes effect at once; a trial still not gone after this much is
 * one capinit cannot end. */
#define KILL_GIVE_UP_MS 10000

long long probe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

int probe_run_setup(struct probe_env *env, char *err, size_t errsize)
{
	/* main blocked every signal first thing; these are read here, the
	 * rest wait blocked (the probe forwards nothing: no app outlives a
	 * trial). Non-blocking: collect() drains it after each wake-up. */
	ksigmask set = KSIG_BIT(SIGCHLD) | KSIG_BIT(SIGINT) | KSIG_BIT(SIGTERM) | KSIG_BIT(SIGHUP);
	env->sfd = ksig_signalfd(set);
	if (env->sfd < 0 || fcntl(env->sfd, F_SETFL, O_NONBLOCK) != 0) {
		fmt_snprintf(err, errsize, "--probe: cannot set up signal handling: %s",
			     strerror(errno));
		return -1;
	}
	/* Trials of another uid can be ended only with CAP_KILL. */
	bool other_uid = env->ids && env->ids->uid != env->rt->euid && env->ids->uid != env->rt->ruid;
	if (other_uid && !(env->rt->effective & CAPMASK_BIT(CAP_KILL))) {
		fmt_snprintf(err, errsize,
			     "--probe: trials run as uid %u, and without CAP_KILL capinit could not "
			     "end them: grant KILL (docker run --cap-add=KILL)",
			     (unsigned)env->ids->uid);
		return -1;
	}
	/* As PID 1 everything in the namespace is ours to kill; otherwise
	 * orphans of a trial must come back to capinit to be found. */
	if (!env->is_pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		fmt_snprintf(err, errsize,
			     "--probe: cannot become a child subreaper (%s), so a trial's daemons "
			     "could outlive it",
			     strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- killing a trial ------------------------------------------------------ */

/* The pids in a /proc/.../children file, appended to pids[*n..max). */
static void read_children_file(const char *file, pid_t *pids, size_t *n, size_t max)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[1024];
	ssize_t len = read(fd, buf, sizeof buf);
	close(fd);
	const char *p = buf, *end = buf + (len > 0 ? len : 0);
	while (p < end && *n < max) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t k = (size_t)((sp ? sp : end) - p);
		unsigned long long c;
		if (parse_decimal(p, k, 0x7fffffff, &c) && c > 0)
			pids[(*n)++] = (pid_t)c;
		p += k + 1;
	}
}

/* The children of `pid` (of all its threads) appended to pids[*n..max).
 * The task directory is read with getdents64 directly: opendir() would
 * bring malloc into the static binary for this one loop. */
static void children_of(pid_t pid, pid_t *pids, size_t *n, size_t max)
{
	char path[64];
	fmt_snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	char buf[4096];
	long got;
	while ((got = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; off < got;) {
			/* struct linux_dirent64: ino (8), off (8), reclen (2),
			 * type (1), then the NUL-terminated name. */
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof reclen);
			const char *name = buf + off + 19;
			off += reclen;
			if (name[0] == '.')
				continue;
			char file[96];
			fmt_snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, name);
			read_children_file(file, pids, n, max);
		}
	}
	close(dir);
}

/* SIGKILL every descendant of capinit found via /proc/PID/task/TID/children,
 * breadth first. What does not fit, or is forked meanwhile, is re-parented
 * to capinit (a subreaper) as its parents die, and found on the next pass. */
static void kill_descendants(void)
{
	static pid_t pids[4096];
	size_t n = 0;
	children_of(getpid(), pids, &n, sizeof pids / sizeof pids[0]);
	for (size_t i = 0; i < n; i++) {
		(void)kill(pids[i], SIGKILL);
		children_of(pids[i], pids, &n, sizeof pids / sizeof pids[0]);
	}
}

/* Until no child is left: as PID 1 kill(-1, SIGKILL), which reaches every
 * process of the namespace but capinit; otherwise every descendant found
 * through /proc (orphans come back to the subreaper and are found on the
 * next pass), and the trial's process group. */
static int kill_trial(const struct probe_env *env, pid_t group)
{
	/* Bounded: a process capinit may not signal would otherwise keep it
	 * here for ever (probe_run_setup checks CAP_KILL for that case). */
	long long give_up = probe_now_ms() + KILL_GIVE_UP_MS;
	for (;;) {
		if (env->is_pid1) {
			(void)kill(-1, SIGKILL);
		} else {
			if (group > 0)
				(void)kill(-group, SIGKILL);
			kill_descendants();
		}
		bool reaped = false;
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			reaped = true;
		if (r < 0 && errno == ECHILD)
			break;
		if (probe_now_ms() > give_up)
			return -1;
		if (!reaped)
			sleep_ms(1);
	}
	/* The SIGCHLDs of what was just reaped are stale. */
	struct signalfd_siginfo info[16];
	while (read(env->sfd, info, sizeof info) > 0)
		;
	return 0;
}

/* ---- starting processes --------------------------------------------------- */

/* What the child reports through the close-on-exec pipe when it fails
 * before execve; nothing (EOF) when execve succeeded. */
struct child_report {
	int stage; /* 1: applying the plan, 2: execve */
	int err;
};

static void child_stdio(void)
{
	/* stdout carries the probe's result, so the app's output goes to
	 * stderr; a trial must not eat the input of the next one. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
}

/* The trial's child: its own process group, the plan applied and verified
 * by privilege_apply (as supervise.c's child does), the original mask, then
 * COMMAND. Never returns. */
static void run_app(const struct probe_env *env, const struct plan *plan, int report_fd)
{
	struct child_report rep = {1, 0};
	close(env->sfd);
	(void)setpgid(0, 0);
	child_stdio();
	if (privilege_apply(plan, env->rt) != 0) {
		(void)write(report_fd, &rep, sizeof rep);
		_exit(125);
	}
	(void)ksig_setmask(env->original);
	execvpe(env->cfg->command[0], env->cfg->command, env->child_env);
	rep.stage = 2;
	rep.err = errno;
	(void)write(report_fd, &rep, sizeof rep);
	_exit(rep.err == ENOENT ? 127 : 126);
}

/* `/bin/sh -c CMD` with capinit's own credentials. Returns its pid or -1. */
static pid_t start_check(const struct probe_env *env)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	close(env->sfd);
	child_stdio();
	(void)ksig_setmask(env->original);
	char *argv[] = {"sh", "-c", (char *)env->cfg->probe_check, NULL};
	execve("/bin/sh", argv, env->child_env);
	_exit(127);
}

static bool port_listening(unsigned port)
{
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	for (size_t t = 0; t < 2; t++) {
		int fd = open(tables[t], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Line by line across reads; a line longer than the buffer is
		 * not one of the kernel's (about 150 bytes) and is skipped. */
		char buf[4096];
		size_t have = 0;
		bool found = false, skipping = false;
		for (;;) {
			ssize_t n = read(fd, buf + have, sizeof buf - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			size_t start = 0;
			for (size_t i = 0; i < have && !found; i++) {
				if (buf[i] != '\n')
					continue;
				if (!skipping)
					found = probe_tcp_line_listens(buf + start, i - start, port);
				skipping = false;
				start = i + 1;
			}
			if (found)
				break;
			if (start == 0 && have == sizeof buf) {
				skipping = true;
				have = 0;
			} else {
				memmove(buf, buf + start, have - start);
				have -= start;
			}
		}
		close(fd);
		if (found)
			return true;
	}
	return false;
}

/* ---- one trial ------------------------------------------------------------ */

struct trial_state {
	pid_t app, check;
	bool app_done, check_done;
	int app_status, check_status;
	int stop_signal;
};

static void collect(const struct probe_env *env, struct trial_state *ts)
{
	struct signalfd_siginfo info[16];
	ssize_t n;
	while ((n = read(env->sfd, info, sizeof info)) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++)
			if (info[i].ssi_signo != SIGCHLD)
				ts->stop_signal = (int)info[i].ssi_signo;
	int st;
	pid_t r;
	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (r == ts->app) {
			ts->app_done = true;
			ts->app_status = st;
		} else if (r == ts->check) {
			ts->check_done = true;
			ts->check_status = st;
		}
	}
}

static void wait_until(const struct probe_env *env, long long when)
{
	long long left = when - probe_now_ms();
	struct pollfd pfd = {.fd = env->sfd, .events = POLLIN};
	(void)poll(&pfd, 1, left > 0 ? (int)left : 0);
}

/* Judge the running trial. Sets t->works and t->why. */
static void observe(const struct probe_env *env, struct trial_state *ts, long long start,
		    struct probe_trial *t)
{
	const struct config *cfg = env->cfg;
	long long deadline = start + (long long)cfg->probe_timeout_ms;
	bool servers = cfg->probe_port || cfg->probe_check;
	bool port_ok = cfg->probe_port == 0;
	long port_poll = PORT_POLL_FIRST_MS, check_retry = CHECK_RETRY_FIRST_MS;
	long long next_port = start, next_check = start;
	for (;;) {
		collect(env, ts);
		long long now = probe_now_ms();
		if (ts->stop_signal)
			return;
		if (ts->app_done) {
			int code = status_code(ts->app_status);
			t->works = !servers && code == 0;
			if (servers)
				fmt_snprintf(t->why, sizeof t->why, "exited with %d before %s", code,
					     port_ok ? "the check passed" : "listening");
			else
				fmt_snprintf(t->why, sizeof t->why, "exited with %d", code);
			return;
		}
		if (now >= deadline) {
			fmt_snprintf(t->why, sizeof t->why, "%s after %u ms",
				     !servers  ? "still running"
				     : port_ok ? "check not passed"
					       : "not listening",
				     cfg->probe_timeout_ms);
			return;
		}
		long long wake = deadline;
		if (!port_ok && now >= next_port) {
			port_ok = port_listening(cfg->probe_port);
			next_port = now + port_poll;
			port_poll = port_poll * 2 > PORT_POLL_MAX_MS ? PORT_POLL_MAX_MS : port_poll * 2;
		}
		if (cfg->probe_port && port_ok && !cfg->probe_check) {
			collect(env, ts); /* still running at this moment? */
			if (!ts->app_done) {
				t->works = true;
				fmt_snprintf(t->why, sizeof t->why, "listening on port %u",
					     cfg->probe_port);
				return;
			}
			continue;
		}
		if (!port_ok && next_port < wake)
			wake = next_port;
		if (port_ok && cfg->probe_check) {
			if (ts->check_done) {
				ts->check_done = false;
				ts->check = 0;
				if (status_code(ts->check_status) == 0) {
					collect(env, ts);
					if (!ts->app_done) {
						t->works = true;
						fmt_snprintf(t->why, sizeof t->why, "%scheck passed",
							     cfg->probe_port ? "listening, " : "");
						return;
					}
					continue;
				}
				next_check = now + check_retry;
				check_retry = check_retry * 2 > CHECK_RETRY_MAX_MS ? CHECK_RETRY_MAX_MS
										     : check_retry * 2;
			}
			if (ts->check == 0 && now >= next_check) {
				ts->check = start_check(env);
				if (ts->check < 0)
					ts->check = 0;
				next_check = now + check_retry;
			}
			if (ts->check == 0 && next_check < wake)
				wake = next_check;
		}
		wait_until(env, wake);
	}
}

int probe_run_trial(struct probe_env *env, capmask set, struct probe_trial *t, char *err,
		    size_t errsize)
{
	memset(t, 0, sizeof *t);
	t->set = set;
	t->exit_code = -1;

	/* An ordinary run with DROP=ALL ADD=set: the same plan code. */
	struct config tc = *env->cfg;
	tc.drop_set = tc.drop_all = tc.add_set = true;
	tc.drop = 0;
	tc.add = set;
	tc.drop_source = tc.add_source = "--probe";
	static struct plan plan;
	if (plan_make(&tc, env->ids, env->rt, &plan, err, errsize) != 0)
		return -1;

	int rp[2];
	if (pipe2(rp, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		return -1;
	}
	long long start = probe_now_ms();
	struct trial_state ts = {0};
	ts.app = fork();
	if (ts.app < 0) {
		fmt_snprintf(err, errsize, "--probe: cannot start a trial: fork: %s",
			     strerror(errno));
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	if (ts.app == 0)
		run_app(env, &plan, rp[1]);
	close(rp[1]);
	(void)setpgid(ts.app, ts.app);
	struct child_report rep;
	ssize_t n;
	while ((n = read(rp[0], &rep, sizeof rep)) < 0 && errno == EINTR)
		;
	close(rp[0]);
	int result = 0;
	if (n == (ssize_t)sizeof rep && rep.stage == 1) {
		fmt_snprintf(err, errsize,
			     "--probe: the trial's child could not apply the plan (see above)");
		result = -1;
	} else if (n == (ssize_t)sizeof rep) {
		fmt_snprintf(t->why, sizeof t->why, "cannot execute '%s': %s", tc.command[0],
			     strerror(rep.err));
		t->exit_code = rep.err == ENOENT ? 127 : 126;
	} else {
		observe(env, &ts, start, t);
		if (ts.app_done)
			t->exit_code = status_code(ts.app_status);
		if (ts.stop_signal)
			result = ts.stop_signal;
	}
	if (kill_trial(env, ts.app) != 0) {
		fmt_snprintf(err, errsize,
			     "--probe: the trial's processes did not go away after SIGKILL within "
			     "%d s; trials cannot be run here",
			     KILL_GIVE_UP_MS / 1000);
		return -1;
	}
	t->us = (probe_now_ms() - start) * 1000;
	return result;
}
