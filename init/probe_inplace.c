/* The in-place runner: capinit is PID 1 of its container (no engine to
 * start fresh containers, no CAP_SYS_ADMIN for a sandbox), the image probed
 * as it is (`docker run -e CAPINIT_PROBE=1 IMAGE`).
 *
 * Every process in a PID namespace is a descendant of its PID 1, and orphans
 * come back to it, so when capinit has no child before trial 1 every other
 * process of the namespace belongs to a trial, and kill(-1, SIGKILL) ends a
 * trial completely without walking /proc. A process that predates the probe
 * (a helper the entrypoint started) would be killed too: then the probe is
 * refused instead. Files persist between trials here; the result says so. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "probe_child.h"
#include "probe_port.h"
#include "probe_runner.h"
#include "rawsys.h"

/* SIGKILL takes effect at once; a trial still not gone after this long is
 * one capinit cannot end. */
#define KILL_GIVE_UP_US 10000000

static struct plan app_plan, check_plan;

static int inplace_setup(struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	*status = 125;
	if (getpid() != 1) {
		fmt_snprintf(err, errsize,
			     "--probe: no fresh start for each trial here: run capinit as a "
			     "container's PID 1 (docker run -e CAPINIT_PROBE=1 IMAGE), as root with "
			     "CAP_SYS_ADMIN, or through the engine (capinit --probe -- docker run ... "
			     "IMAGE)");
		return -1;
	}
	/* Alone? waitid without reaping: ECHILD means no child at all. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	for (;;) {
		int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
		if (r < 0 && errno == ECHILD)
			break;
		if (r == 0 && si.si_pid != 0) {
			(void)waitpid(si.si_pid, NULL, 0); /* a zombie: reap it, look again */
			continue;
		}
		fmt_snprintf(err, errsize,
			     "--probe: processes started before the probe run here, and ending a "
			     "trial ends all but PID 1: start the probe as the container's first "
			     "process, or through the engine (capinit --probe -- docker run ... "
			     "IMAGE)");
		return -1;
	}
	/* Trials of another uid can be ended only with CAP_KILL. */
	bool other_uid = ctx->ids && ctx->ids->uid != ctx->rt->euid;
	if (other_uid && !(ctx->rt->effective & CAPMASK_BIT(CAP_KILL))) {
		fmt_snprintf(err, errsize,
			     "--probe: trials run as uid %u: without CAP_KILL capinit could not end "
			     "them: grant KILL",
			     (unsigned)ctx->ids->uid);
		return -1;
	}
	return probe_check_plan(ctx, false, &check_plan, err, errsize);
}

static int inplace_start(struct probe_ctx *ctx, struct probe_live *live, char *err,
			 size_t errsize)
{
	if (probe_trial_plan(ctx, live->set, live->userns, &app_plan, err, errsize) != 0)
		return -1;
	int ex[2], out[2];
	if (raw_pipe2(ex, O_CLOEXEC) != 0)
		goto fail;
	if (raw_pipe2(out, O_CLOEXEC) != 0) {
		close(ex[0]);
		close(ex[1]);
		goto fail;
	}
	live->main = raw_fork();
	if (live->main == 0) {
		close(ex[0]);
		close(out[0]);
		probe_exec_app(ctx, &app_plan, ex[1], out[1]);
	}
	close(ex[1]);
	close(out[1]);
	if (live->main < 0) {
		close(ex[0]);
		close(out[0]);
		goto fail;
	}
	live->exec_fd = ex[0];
	live->out_fd = out[0];
	(void)raw_set_nonblock(ex[0]);
	(void)raw_set_nonblock(out[0]);
	return 0;
fail:
	fmt_snprintf(err, errsize, "--probe: cannot start a trial: %s", strerror(errno));
	return -1;
}

/* After COMMAND exited 0: do processes it started still run? Everything
 * left is capinit's child now (orphans come back to PID 1); short-lived
 * ones get a moment to finish. */
static bool others_remain(void)
{
	for (int i = 0; i < 20; i++) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r < 0 && errno == ECHILD)
			return false;
		if (r == 0)
			raw_sleep_ms(10);
	}
	return true;
}

static void inplace_collect(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)ctx;
	int st;
	pid_t r;
	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (r == live->main && !live->app_done) {
			live->app_done = true;
			live->app_status = st;
		} else if (r == live->check) {
			live->check_done = true;
			live->check_status = st;
		}
	}
	if (live->app_done && !live->others_left && WIFEXITED(live->app_status) &&
	    WEXITSTATUS(live->app_status) == 0 && live->aux == 0) {
		/* Asked once: a running check would count as one of them. */
		if (live->check > 0 && !live->check_done) {
			(void)kill(-live->check, SIGKILL);
			(void)kill(live->check, SIGKILL);
			(void)waitpid(live->check, NULL, 0);
			live->check = 0;
		}
		live->others_left = others_remain();
		live->aux = 1;
	}
}

static int inplace_port(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)live;
	struct probe_owner owner = {NULL, 1};
	return probe_port_bound(ctx->cfg->probe_port, ctx->cfg->probe_udp, &owner);
}

static pid_t inplace_check(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)live;
	pid_t pid = raw_fork();
	if (pid == 0)
		probe_exec_check(ctx, &check_plan, NULL, -1);
	return pid;
}

/* kill(-1) reaches every process of the namespace but capinit, until no
 * child is left: a fork racing the kill is a child too, and is found by
 * the next pass. */
static int kill_all(char *err, size_t errsize)
{
	long long give_up = probe_now_us() + KILL_GIVE_UP_US;
	for (;;) {
		(void)kill(-1, SIGKILL);
		pid_t r;
		bool reaped = false;
		while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
			reaped = true;
		if (r < 0 && errno == ECHILD)
			return 0;
		if (probe_now_us() > give_up) {
			fmt_snprintf(err, errsize,
				     "--probe: the trial's processes outlived SIGKILL by %d s",
				     KILL_GIVE_UP_US / 1000000);
			return -1;
		}
		if (!reaped)
			raw_sleep_ms(1);
	}
}

static int inplace_stop(struct probe_ctx *ctx, struct probe_live *live, char *err,
			size_t errsize)
{
	(void)ctx;
	(void)live;
	return kill_all(err, errsize);
}

static void inplace_finish(struct probe_ctx *ctx)
{
	(void)ctx;
	char err[16];
	(void)kill_all(err, sizeof err);
}

const struct probe_runner probe_runner_inplace = {
	.name = "in place",
	.setup = inplace_setup,
	.start = inplace_start,
	.collect = inplace_collect,
	.port_bound = inplace_port,
	.start_check = inplace_check,
	.stop = inplace_stop,
	.finish = inplace_finish,
};
