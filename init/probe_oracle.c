#define _GNU_SOURCE
#include "probe_oracle.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "filecaps.h"
#include "fmt.h"
#include "log.h"
#include "rawsys.h"

/* Poll intervals while a trial runs (the init's own supervision never
 * polls): the port tables from 10 ms doubling to 200 ms, the check command
 * retried from 100 ms doubling to 1 s. A trial of a quick app costs
 * milliseconds, and the oracles stay off the CPU. */
#define PORT_FIRST_US 10000
#define PORT_MAX_US 200000
#define CHECK_FIRST_US 100000
#define CHECK_MAX_US 1000000
/* A port alone is believed only once it has stayed bound, with COMMAND
 * running, this long (or until the timeout, if that comes first): a server
 * binds as root and drops its privileges after, and a failed drop ends it
 * milliseconds later (dnsmasq without SETGID exits 5 after binding 53/udp).
 * Seen at once, that trial "worked" and the search went wrong or was
 * redone. With a check command the check decides instead. */
#define PORT_HOLD_US 300000

long long probe_now_us(void)
{
	return raw_monotonic_us();
}

/* COMMAND's last non-empty line of output, escaped: the evidence. */
struct lastline {
	char cur[PROBE_LINE_MAX];
	size_t len;
	bool cut;
	char *last; /* the trial's last_line */
};

static void line_end(struct lastline *l)
{
	size_t n = l->len;
	while (n > 0 && (l->cur[n - 1] == ' ' || l->cur[n - 1] == '\r' || l->cur[n - 1] == '\t'))
		n--;
	if (n > 0) {
		size_t used = 0;
		size_t took = escape_text(l->last, PROBE_LINE_MAX - 3, &used, l->cur, n);
		if (took < n || l->cut)
			memcpy(l->last + used, "...", 4);
		log_info("probe: app: %s", l->last);
	}
	l->len = 0;
	l->cut = false;
}

static void line_feed(struct lastline *l, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			line_end(l);
		} else if (l->len < sizeof l->cur) {
			l->cur[l->len++] = buf[i];
		} else {
			l->cut = true;
		}
	}
}

/* Read what is there without blocking; false at end of file. */
static bool drain_output(int fd, struct lastline *l)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			line_feed(l, buf, (size_t)n);
			continue;
		}
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

static void read_signals(const struct probe_ctx *ctx, struct probe_live *live)
{
	struct signalfd_siginfo info[8];
	ssize_t n;
	while ((n = read(ctx->sfd, info, sizeof info)) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++)
			if (info[i].ssi_signo != SIGCHLD)
				live->stop_signal = (int)info[i].ssi_signo;
}

/* The exec report: EOF once COMMAND exec'd (the descriptor is
 * close-on-exec), a struct probe_exec_report when it failed before. */
static void read_exec(struct probe_live *live)
{
	if (live->exec_fd < 0)
		return;
	struct probe_exec_report rep;
	ssize_t n = read(live->exec_fd, &rep, sizeof rep);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)sizeof rep) {
		live->exec_failed = true;
		live->exec_stage = rep.stage;
		live->exec_err = rep.err;
	} else {
		live->execd = true;
	}
	close(live->exec_fd);
	live->exec_fd = -1;
}

static void secs(char *buf, size_t size, long long us)
{
	fmt_snprintf(buf, size, "%lld.%03lld", us / 1000000, us / 1000 % 1000);
}

static const char *proto(const struct config *cfg) { return cfg->probe_udp ? "udp" : "tcp"; }

/* The verdict once COMMAND ended. */
static void judge_exit(const struct probe_ctx *ctx, const struct probe_live *live,
		       struct probe_trial *t)
{
	const struct config *cfg = ctx->cfg;
	int st = live->app_status;
	char before[64] = "";
	if (cfg->probe_port)
		fmt_snprintf(before, sizeof before, " before listening on %u/%s", cfg->probe_port,
			     proto(cfg));
	else if (cfg->probe_check)
		fmt_snprintf(before, sizeof before, " before the check passed");
	if (WIFSIGNALED(st)) {
		t->signal = WTERMSIG(st);
		t->exit_code = 128 + t->signal;
		t->reason = PROBE_R_SIGNALED;
		fmt_snprintf(t->why, sizeof t->why, "was killed by signal %d%s", t->signal, before);
		return;
	}
	t->exit_code = WEXITSTATUS(st);
	if (t->exit_code == 0 && live->others_left) {
		t->reason = PROBE_R_DAEMONIZED;
		fmt_snprintf(t->why, sizeof t->why,
			     "exited 0 while processes it started still ran: it daemonizes (run "
			     "it in the foreground)");
		return;
	}
	t->works = t->exit_code == 0 && before[0] == '\0';
	t->reason = t->works ? PROBE_R_EXITED_0 : PROBE_R_EXITED;
	fmt_snprintf(t->why, sizeof t->why, "exited with %d%s", t->exit_code, before);
}

static void judge_exec_failure(const struct probe_ctx *ctx, const struct probe_live *live,
			       struct probe_trial *t)
{
	const struct probe_facts *f = ctx->facts;
	t->err = live->exec_err;
	t->exit_code = live->exec_err == ENOENT ? 127 : 126;
	/* execve refuses a file whose forced ("=ep") capabilities lie outside
	 * the bounding set: the program would run without what it cannot
	 * tell it lacks. The trial's bounding set is its set. */
	capmask outside = f->file_permitted & ~t->set;
	if (live->exec_err == EPERM && f->file_caps && f->file_effective && outside) {
		struct filecaps fc = {f->file_permitted, f->file_inheritable, f->file_effective};
		char text[128];
		filecaps_format(&fc, text, sizeof text);
		t->reason = PROBE_R_FILE_CAPS;
		fmt_snprintf(t->why, sizeof t->why,
			     "could not be executed (EPERM): %s carries %s (security.capability), "
			     "which must stay in the bounding set",
			     f->command_path, text);
		return;
	}
	t->reason = PROBE_R_EXEC_FAILED;
	fmt_snprintf(t->why, sizeof t->why, "could not be executed: %s", strerror(live->exec_err));
}

static void judge_timeout(const struct probe_ctx *ctx, bool port_ok, struct probe_trial *t)
{
	const struct config *cfg = ctx->cfg;
	char s[32];
	secs(s, sizeof s, ctx->timeout_us);
	t->reason = PROBE_R_TIMEOUT;
	if (cfg->probe_port && !port_ok)
		fmt_snprintf(t->why, sizeof t->why, "did not listen on %u/%s within %s s",
			     cfg->probe_port, proto(cfg), s);
	else if (cfg->probe_check)
		fmt_snprintf(t->why, sizeof t->why, "did not pass the check within %s s", s);
	else
		fmt_snprintf(t->why, sizeof t->why, "was still running after %s s", s);
}

static void wait_for(const struct probe_ctx *ctx, const struct probe_live *live, long long until)
{
	struct pollfd pfd[4];
	nfds_t n = 0;
	const int fds[4] = {ctx->sfd, live->exec_fd, live->out_fd, live->event_fd};
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	long long left = until - probe_now_us();
	(void)poll(pfd, n, left > 0 ? (int)((left + 999) / 1000) : 0);
}

static void end_check(struct probe_live *live)
{
	if (live->check <= 0)
		return;
	/* Its own session: the group holds what it started too. */
	(void)kill(-live->check, SIGKILL);
	(void)kill(live->check, SIGKILL);
	(void)waitpid(live->check, NULL, 0);
	live->check = 0;
}

/* Watch the running trial until its verdict; returns a signal number that
 * asked the probe to stop, -1 (err) when the trial could not be set up,
 * or 0. */
static int observe(struct probe_ctx *ctx, struct probe_live *live, struct lastline *out,
		   struct probe_trial *t, char *err, size_t errsize)
{
	const struct config *cfg = ctx->cfg;
	long long deadline = live->started_us + ctx->timeout_us;
	bool port_ok = cfg->probe_port == 0;
	long long next_port = 0, port_gap = PORT_FIRST_US;
	long long next_check = 0, check_gap = CHECK_FIRST_US;
	long long held_from = 0, hold_end = 0; /* the port alone: PORT_HOLD_US */
	for (;;) {
		read_signals(ctx, live);
		read_exec(live);
		if (live->out_fd >= 0 && !drain_output(live->out_fd, out)) {
			close(live->out_fd);
			live->out_fd = -1;
		}
		ctx->runner->collect(ctx, live);
		if (live->stop_signal)
			return live->stop_signal;
		if (live->app_done)
			read_exec(live); /* every writer is gone: EOF or a report now */
		if (live->exec_failed && live->exec_stage == 1) {
			fmt_snprintf(err, errsize, "--probe: the trial's child could not apply the "
						   "plan (see above)");
			return -1;
		}
		if (live->exec_failed) {
			judge_exec_failure(ctx, live, t);
			return 0;
		}
		if (live->app_done) {
			judge_exit(ctx, live, t);
			return 0;
		}
		long long now = probe_now_us();
		if (held_from && now >= hold_end) {
			/* COMMAND ran through the hold (collected above); is the
			 * port still its own? */
			if (ctx->runner->port_bound(ctx, live) > 0) {
				t->works = true;
				t->reason = PROBE_R_LISTENING;
				fmt_snprintf(t->why, sizeof t->why, "listened on %u/%s",
					     cfg->probe_port, proto(cfg));
				return 0;
			}
			port_ok = false;
			held_from = 0;
		}
		if (now >= deadline) {
			judge_timeout(ctx, port_ok, t);
			return 0;
		}
		long long wake = deadline;
		if (live->execd && !port_ok) {
			if (now >= next_port) {
				port_ok = ctx->runner->port_bound(ctx, live) > 0;
				next_port = now + port_gap;
				port_gap = port_gap * 2 > PORT_MAX_US ? PORT_MAX_US : port_gap * 2;
			}
			if (port_ok && !cfg->probe_check) {
				held_from = now;
				hold_end = now + PORT_HOLD_US < deadline ? now + PORT_HOLD_US : deadline;
				continue;
			}
			if (!port_ok && next_port < wake)
				wake = next_port;
		}
		if (held_from && hold_end < wake)
			wake = hold_end;
		if (live->execd && port_ok && cfg->probe_check) {
			if (live->check_done) {
				bool passed = WIFEXITED(live->check_status) &&
					      WEXITSTATUS(live->check_status) == 0;
				live->check_done = false;
				live->check = 0;
				ctx->runner->collect(ctx, live);
				if (passed && !live->app_done) {
					t->works = true;
					t->reason = PROBE_R_CHECK_PASSED;
					if (cfg->probe_port)
						fmt_snprintf(t->why, sizeof t->why,
							     "listened on %u/%s and passed the check",
							     cfg->probe_port, proto(cfg));
					else
						fmt_snprintf(t->why, sizeof t->why,
							     "passed the check");
					return 0;
				}
				next_check = now + check_gap;
				check_gap = check_gap * 2 > CHECK_MAX_US ? CHECK_MAX_US : check_gap * 2;
			}
			if (live->check == 0 && now >= next_check) {
				pid_t c = ctx->runner->start_check(ctx, live);
				live->check = c > 0 ? c : 0;
				next_check = now + check_gap;
			}
			if (live->check == 0 && next_check < wake)
				wake = next_check;
		}
		wait_for(ctx, live, wake);
	}
}

int probe_oracle_run(struct probe_ctx *ctx, struct probe_trial *t, char *err, size_t errsize)
{
	struct probe_live live;
	memset(&live, 0, sizeof live);
	live.set = t->set;
	live.userns = t->userns;
	live.exec_fd = live.out_fd = live.event_fd = live.aux_fd = -1;
	t->works = false;
	t->exit_code = -1;
	t->signal = t->err = 0;
	t->why[0] = t->last_line[0] = '\0';
	struct lastline out = {.last = t->last_line};

	live.started_us = probe_now_us();
	if (ctx->runner->start(ctx, &live, err, errsize) != 0)
		return -1;
	int result = observe(ctx, &live, &out, t, err, errsize);
	end_check(&live);
	int stopped = ctx->runner->stop(ctx, &live, err, errsize);
	/* Every process of the trial is gone: what is left in the pipe is
	 * all there will be. */
	if (live.out_fd >= 0) {
		(void)drain_output(live.out_fd, &out);
		close(live.out_fd);
	}
	if (out.len > 0)
		line_end(&out);
	if (live.exec_fd >= 0)
		close(live.exec_fd);
	if (live.event_fd >= 0)
		close(live.event_fd);
	t->us = probe_now_us() - live.started_us;
	return stopped != 0 ? -1 : result;
}
