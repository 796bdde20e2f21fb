/* The sandbox runner: where capinit holds CAP_SYS_ADMIN (root on a host or
 * in CI, or a container started for probing with it), every trial runs in
 * new PID and mount namespaces under a trial init of its own, with every
 * filesystem it can write a throw-away copy-on-write view (sandbox.c).
 *
 * The trial init is capinit's child and PID 1 of the trial's namespace;
 * COMMAND is its first child, PID 2, as in production under capinit. When
 * the trial init dies the kernel kills every process of the namespace, so
 * SIGKILL to one pid ends the whole trial, daemons and all, without walking
 * /proc; no trial can see, signal or outlive capinit or another trial. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "probe_child.h"
#include "probe_port.h"
#include "probe_runner.h"
#include "rawsys.h"
#include "sandbox.h"

/* What the trial init tells capinit. */
struct sandbox_event {
	int type; /* EV_EXITED: COMMAND ended; EV_FAILED: no sandbox (msg) */
	int status;
	int others;
	char msg[240];
};
enum { EV_EXITED = 1, EV_FAILED = 2 };

static struct plan app_plan, check_plan;
static char trial_pidns[64]; /* "pid:[N]" of the running trial */

static pid_t clone_trial_init(void)
{
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
#if defined(__s390x__) || defined(__s390__)
	return (pid_t)syscall(SYS_clone, 0, flags, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
#endif
}

static void send_event(int fd, int type, int status, int others, const char *msg)
{
	struct sandbox_event ev = {.type = type, .status = status, .others = others};
	if (msg)
		fmt_snprintf(ev.msg, sizeof ev.msg, "%s", msg);
	ssize_t w = write(fd, &ev, sizeof ev);
	(void)w; /* capinit sees the trial init's exit either way */
}

/* PID 1 of the trial: build the sandbox, start COMMAND, reap everything,
 * and report COMMAND's end. Its own exit ends the namespace. ex_w < 0:
 * only try the sandbox (setup's dry run). */
__attribute__((noreturn)) static void trial_init(const struct probe_ctx *ctx, int ex_w, int out_w,
						  int ev_w)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	char why[200];
	if (sandbox_enter(why, sizeof why) != 0) {
		send_event(ev_w, EV_FAILED, 0, 0, why);
		_exit(125);
	}
	if (ex_w < 0)
		_exit(0);
	pid_t app = raw_fork();
	if (app == 0) {
		close(ev_w);
		probe_exec_app(ctx, &app_plan, ex_w, out_w);
	}
	close(ex_w);
	close(out_w);
	int st = 0;
	pid_t r;
	while ((r = waitpid(-1, &st, 0)) != app)
		if (r < 0 && errno != EINTR)
			_exit(125);
	/* COMMAND ended. Still anything of it left (every orphan is ours)? A
	 * short-lived helper gets a moment to finish. */
	int others = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		others = 1;
		for (int i = 0; i < 20 && others; i++) {
			r = waitpid(-1, NULL, WNOHANG);
			if (r < 0 && errno == ECHILD)
				others = 0;
			else if (r == 0)
				raw_sleep_ms(10);
		}
	}
	send_event(ev_w, EV_EXITED, st, others, NULL);
	_exit(0);
}

/* Start a trial init; ex/out/ev are pipes whose read ends capinit keeps
 * (ex and out may be NULL for the dry run). */
static pid_t spawn(const struct probe_ctx *ctx, int *ex, int *out, int *ev)
{
	pid_t pid = clone_trial_init();
	if (pid == 0) {
		close(ctx->sfd);
		close(ev[0]);
		if (ex)
			close(ex[0]);
		if (out)
			close(out[0]);
		trial_init(ctx, ex ? ex[1] : -1, out ? out[1] : -1, ev[1]);
	}
	close(ev[1]);
	if (ex)
		close(ex[1]);
	if (out)
		close(out[1]);
	return pid;
}

static int sandbox_setup(struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	*status = 125;
	if (!(ctx->rt->effective & CAPMASK_BIT(CAP_SYS_ADMIN))) {
		fmt_snprintf(err, errsize, "--probe: the sandbox needs CAP_SYS_ADMIN");
		return -1;
	}
	/* A dry run: a sandbox that cannot be built is found now, with why. */
	int ev[2];
	if (raw_pipe2(ev, O_CLOEXEC) != 0)
		return fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno)), -1;
	pid_t pid = spawn(ctx, NULL, NULL, ev);
	if (pid < 0) {
		fmt_snprintf(err, errsize, "--probe: cannot make new PID and mount namespaces: %s",
			     strerror(errno));
		close(ev[0]);
		return -1;
	}
	struct sandbox_event e = {0};
	ssize_t n = read(ev[0], &e, sizeof e);
	close(ev[0]);
	int code = probe_wait_code(pid);
	if (n == (ssize_t)sizeof e && e.type == EV_FAILED) {
		fmt_snprintf(err, errsize, "%s", e.msg);
		return -1;
	}
	if (code != 0) {
		fmt_snprintf(err, errsize, "--probe: the sandbox's trial init exited with %d", code);
		return -1;
	}
	return probe_check_plan(ctx, false, &check_plan, err, errsize);
}

static int sandbox_start(struct probe_ctx *ctx, struct probe_live *live, char *err,
			 size_t errsize)
{
	if (probe_trial_plan(ctx, live->set, live->userns, &app_plan, err, errsize) != 0)
		return -1;
	int ex[2] = {-1, -1}, out[2] = {-1, -1}, ev[2] = {-1, -1};
	if (raw_pipe2(ex, O_CLOEXEC) != 0 || raw_pipe2(out, O_CLOEXEC) != 0 ||
	    raw_pipe2(ev, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (ex[i] >= 0)
				close(ex[i]);
			if (out[i] >= 0)
				close(out[i]);
		}
		return -1;
	}
	live->main = spawn(ctx, ex, out, ev);
	if (live->main < 0) {
		fmt_snprintf(err, errsize, "--probe: cannot start a trial: %s", strerror(errno));
		close(ex[0]);
		close(out[0]);
		close(ev[0]);
		return -1;
	}
	live->exec_fd = ex[0];
	live->out_fd = out[0];
	live->event_fd = ev[0];
	for (int i = 0; i < 3; i++)
		(void)raw_set_nonblock(i == 0 ? ex[0] : i == 1 ? out[0] : ev[0]);
	char path[64];
	fmt_snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)live->main);
	ssize_t len = readlink(path, trial_pidns, sizeof trial_pidns - 1);
	trial_pidns[len > 0 ? len : 0] = '\0';
	return 0;
}

static void read_events(struct probe_live *live)
{
	struct sandbox_event e;
	while (live->event_fd >= 0 && read(live->event_fd, &e, sizeof e) == (ssize_t)sizeof e) {
		if (e.type == EV_EXITED && !live->app_done) {
			live->app_done = true;
			live->app_status = e.status;
			live->others_left = e.others != 0;
		} else if (e.type == EV_FAILED) {
			log_error("%s", e.msg);
			live->exec_failed = true;
			live->exec_stage = 1;
		}
	}
}

static void sandbox_collect(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)ctx;
	read_events(live);
	int st;
	pid_t r;
	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (r == live->main) {
			live->aux = 1; /* reaped */
			read_events(live);
			if (!live->app_done && !live->exec_failed) {
				/* It died without a word: say how. */
				live->app_done = true;
				live->app_status = st;
			}
		} else if (r == live->check) {
			live->check_done = true;
			live->check_status = st;
		}
	}
}

static int sandbox_port(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)live;
	struct probe_owner owner = {trial_pidns, 0};
	return probe_port_bound(ctx->cfg->probe_port, ctx->cfg->probe_udp, &owner);
}

/* The check runs inside the trial's namespaces, so it sees the trial's
 * files and processes (pgrep -u www-data nginx), through a go-between
 * that joins them and reports the check's status as its own. */
static pid_t sandbox_check(struct probe_ctx *ctx, struct probe_live *live)
{
	pid_t pid = raw_fork();
	if (pid != 0)
		return pid;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	char path[64];
	fmt_snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)live->main);
	int mnt = raw_open(path, O_RDONLY);
	fmt_snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)live->main);
	int pidns = raw_open(path, O_RDONLY);
	if (mnt < 0 || pidns < 0 || setns(mnt, CLONE_NEWNS) != 0 || setns(pidns, CLONE_NEWPID) != 0)
		_exit(125);
	pid_t c = raw_fork();
	if (c == 0)
		probe_exec_check(ctx, &check_plan, NULL, -1);
	_exit(c < 0 ? 125 : probe_wait_code(c));
}

static int sandbox_stop(struct probe_ctx *ctx, struct probe_live *live, char *err,
			size_t errsize)
{
	(void)ctx;
	(void)err;
	(void)errsize;
	if (live->main > 0 && live->aux == 0) {
		/* The namespace's end: every process of the trial goes with it.
		 * The trial init's own end waits until every process of its
		 * namespace is reaped, and one of them can be capinit's child
		 * (a check whose go-between died, re-parented to capinit as
		 * PID 1): so reap whatever ends, not the trial init alone. */
		(void)kill(live->main, SIGKILL);
		pid_t r;
		while ((r = waitpid(-1, NULL, 0)) != live->main)
			if (r < 0 && errno != EINTR)
				break;
		live->aux = 1;
	}
	return 0;
}

static void sandbox_finish(struct probe_ctx *ctx) { (void)ctx; }

const struct probe_runner probe_runner_sandbox = {
	.name = "sandbox",
	.setup = sandbox_setup,
	.start = sandbox_start,
	.collect = sandbox_collect,
	.port_bound = sandbox_port,
	.start_check = sandbox_check,
	.stop = sandbox_stop,
	.finish = sandbox_finish,
};
