#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "personality.h"
#include "privilege.h"

struct supervisor {
	const struct config *cfg;
	pid_t child;
	bool child_done;
	int child_status; /* raw wait status */
	bool is_pid1;
	int sfd;
	sigset_t handled; /* blocked in capinit, read from the signalfd */
	sigset_t original; /* the mask capinit was started with */
};

/* Signals the kernel raises in capinit itself on a fault: left unblocked so a
 * real fault kills capinit instead of looping. */
static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;
}

static void build_handled_set(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < SIGNAL_SLOTS; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || is_fault_signal(sig))
			continue;
		/* libc refuses the few real-time signals it reserves for itself
		 * (32-34 in musl); those cannot be forwarded. */
		(void)sigaddset(set, sig);
	}
}

static int setup_signals(struct supervisor *s)
{
	build_handled_set(&s->handled);
	if (sigprocmask(SIG_BLOCK, &s->handled, &s->original) != 0)
		return -1;
	/* Blocking: the idle loop is one read(2) and nothing else. */
	s->sfd = signalfd(-1, &s->handled, SFD_CLOEXEC);
	return s->sfd < 0 ? -1 : 0;
}

static int exec_failure_status(int err) { return err == ENOENT ? 127 : 126; }

/* In the child, between fork and execve. Never returns. */
static void run_child(struct supervisor *s, const struct plan *plan, const struct runtime *rt,
		      char **child_env)
{
	const struct config *cfg = s->cfg;
	close(s->sfd);
	if (cfg->setsid) {
		/* dumb-init's mode: a new session, and the terminal (if any)
		 * becomes its controlling terminal. */
		if (setsid() < 0) {
			log_debug("setsid: %s", strerror(errno));
		} else {
			if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0)
				log_debug("TIOCSCTTY: %s", strerror(errno));
			log_event(&(struct event){.kind = EV_SETSID_DONE});
		}
	} else {
		/* Its own process group, so group forwarding has a target and a
		 * terminal's Ctrl-C reaches it through the foreground group. */
		if (setpgid(0, 0) != 0)
			log_debug("setpgid: %s", strerror(errno));
		/* SIGTTOU is still blocked here, so this works from the
		 * background group. */
		if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpid()) != 0)
			log_debug("tcsetpgrp: %s", strerror(errno));
	}
	if (privilege_apply(plan, rt) != 0)
		_exit(125);
	/* The mask capinit was started with; dispositions were never changed. */
	sigprocmask(SIG_SETMASK, &s->original, NULL);
	execvpe(cfg->command[0], cfg->command, child_env);
	int err = errno;
	log_event(&(struct event){.kind = EV_EXEC_FAILED, .text = cfg->command[0],
				  .detail = strerror(err)});
	_exit(exec_failure_status(err));
}

/* A wait status as a shell reports it: N, or 128+S for a signal. */
static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static int exit_status_of(const struct supervisor *s)
{
	int code = status_code(s->child_status);
	if (config_exit_maps_to_zero(s->cfg, code)) {
		log_debug("exit status %d mapped to 0 (-e)", code);
		return 0;
	}
	return code;
}

/* Reap every zombie that is ready; returns false when no child is left. */
static bool reap(struct supervisor *s)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid == 0)
			return true;
		if (pid < 0)
			return errno != ECHILD;
		if (pid == s->child) {
			s->child_done = true;
			s->child_status = st;
		}
		/* tini -w makes the other reapings a warning. */
		log_event(&(struct event){.kind = EV_CHILD_REAPED, .pid = pid, .status = st,
					  .main_child = pid == s->child,
					  .warn_on_reap = s->cfg->warn_on_reap});
	}
}

/* Send sig to target after dumb-init's rewrites (0 drops it). */
static void send_rewritten(const struct supervisor *s, pid_t target, int sig)
{
	int out = s->cfg->rewrite[sig] >= 0 ? s->cfg->rewrite[sig] : sig;
	if (out != sig)
		log_event(&(struct event){.kind = EV_SIGNAL_REWRITTEN, .sig = sig, .to = out});
	if (out == 0) {
		log_event(&(struct event){.kind = EV_SIGNAL_DROPPED, .sig = out});
		return;
	}
	if (kill(target, out) != 0 && errno != ESRCH)
		log_error("forwarding signal %d to %d: %s", out, target, strerror(errno));
	else
		log_event(&(struct event){.kind = EV_SIGNAL_FORWARDED, .sig = out, .pid = target});
}

static void forward(const struct supervisor *s, int sig)
{
	/* Once the main child is gone (grace drain), signals go to everyone
	 * left in the namespace. */
	pid_t target = s->child_done ? -1 : s->cfg->kill_group ? -s->child : s->child;
	send_rewritten(s, target, sig);
	/* dumb-init stops along with its child on a terminal stop signal,
	 * whatever it was rewritten to (as PID 1 the kernel ignores this). */
	if (s->cfg->suspend_on_tty_signals &&
	    (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
		log_event(&(struct event){.kind = EV_SUSPENDING});
		kill(getpid(), SIGSTOP);
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for signals (timeout_ms < 0: no time limit), forward them, and reap
 * when a SIGCHLD came. Returns false when no child is left.
 *
 * Without a time limit this is a single blocking read(2) on the signalfd;
 * per forwarded signal the cost is that read and one kill(2). poll(2) is
 * only needed while a grace period runs. */
static bool wait_events(struct supervisor *s, int timeout_ms)
{
	if (timeout_ms >= 0) {
		struct pollfd pfd = {.fd = s->sfd, .events = POLLIN};
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			exit(125);
		}
		if (r <= 0)
			return true; /* time is up or interrupted: the caller decides */
	}
	struct signalfd_siginfo info[16];
	ssize_t n = read(s->sfd, info, sizeof info);
	if (n < 0) {
		if (errno == EINTR)
			return true;
		log_error("reading signals: %s", strerror(errno));
		exit(125);
	}
	bool child_changed = false;
	for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++) {
		int sig = (int)info[i].ssi_signo;
		log_event(&(struct event){.kind = EV_SIGNAL_RECEIVED, .sig = sig});
		if (sig == SIGCHLD)
			child_changed = true; /* reaped below, whoever sent it */
		else
			forward(s, sig);
	}
	/* SIGCHLD is not queued per child: one read of it may stand for many
	 * exits, and reap() collects them all. */
	return child_changed ? reap(s) : true;
}

/* PID 1 only: SIGTERM everything left, wait up to the grace period. When
 * capinit exits the kernel SIGKILLs whatever remains. */
static void grace_drain(struct supervisor *s)
{
	if (!reap(s))
		return; /* nothing left: leave at once */
	if (s->cfg->grace_seconds == 0)
		return;
	log_info("sending SIGTERM to the processes left, waiting up to %u s",
		 s->cfg->grace_seconds);
	if (kill(-1, SIGTERM) != 0 && errno != ESRCH)
		log_error("kill(-1, SIGTERM): %s", strerror(errno));
	long long deadline = now_ms() + (long long)s->cfg->grace_seconds * 1000;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			log_info("grace period over, leaving the rest to the kernel");
			return;
		}
		if (!wait_events(s, (int)left))
			return;
	}
}

/* A start-up failure: capinit's contract says 125, tini and dumb-init exit 1. */
static int startup_failure_status(const struct config *cfg)
{
	return persona_get(cfg->personality)->startup_status;
}

/* The caller (a proxy that sets the flag and execs us) may already have
 * made us a subreaper: then orphans do come back, as tini checks too. */
static bool already_subreaper(void)
{
	int bit = 0;
	return prctl(PR_GET_CHILD_SUBREAPER, &bit, 0, 0, 0) == 0 && bit == 1;
}

static void check_reaping(const struct supervisor *s)
{
	if (s->is_pid1)
		return;
	/* tini registers as a subreaper only when asked (-s), and says so when
	 * orphans will not come back to it; capinit and dumb-init do it
	 * unasked, since it costs nothing and only helps. */
	bool want = s->cfg->subreaper || persona_get(s->cfg->personality)->subreaper_unasked;
	if (!want) {
		if (!already_subreaper())
			log_warn("%s", persona_no_subreaper_warning(s->cfg->personality));
		return;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		log_error("cannot become a child subreaper: %s", strerror(errno));
		if (s->cfg->subreaper)
			exit(startup_failure_status(s->cfg));
	}
}

int supervise_run(const struct config *cfg, const struct plan *plan, const struct runtime *rt,
		  char **child_env)
{
	struct supervisor s = {.cfg = cfg, .is_pid1 = getpid() == 1, .sfd = -1};
	if (cfg->pdeath_signal && prctl(PR_SET_PDEATHSIG, cfg->pdeath_signal, 0, 0, 0) != 0) {
		log_error("cannot set the parent-death signal: %s", strerror(errno));
		return startup_failure_status(cfg);
	}
	check_reaping(&s);
	if (setup_signals(&s) != 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return 125;
	}

	s.child = fork();
	if (s.child < 0) {
		log_error("cannot start the child: fork: %s", strerror(errno));
		return 125;
	}
	if (s.child == 0)
		run_child(&s, plan, rt, child_env);

	/* Also from this side, so forwarding to the group never races the
	 * child's own setpgid. */
	if (!cfg->setsid)
		(void)setpgid(s.child, s.child);
	log_event(&(struct event){.kind = EV_CHILD_SPAWNED, .pid = s.child,
				  .text = cfg->command[0]});
	/* The child keeps the caller's directory; the init, which lives as
	 * long as the container, must not keep a mount busy (as dumb-init). */
	if (chdir("/") != 0)
		log_debug("chdir /: %s", strerror(errno));
	privilege_drop_self(plan, rt);
	while (!s.child_done) {
		if (!wait_events(&s, -1))
			break;
	}

	if (cfg->setsid) {
		/* dumb-init: the child's session is told to go when it exits,
		 * with its rewrite of SIGTERM applied. */
		send_rewritten(&s, -s.child, SIGTERM);
	} else if (persona_get(cfg->personality)->term_on_exit) {
		/* dumb-init -c logs the same step; its only target, the direct
		 * child, is already reaped, so nothing is sent (a reaped pid
		 * may belong to someone else by now). */
		log_event(&(struct event){.kind = EV_SIGNAL_FORWARDED, .sig = SIGTERM,
					  .pid = s.child});
	}
	if (s.is_pid1)
		grace_drain(&s);
	int code = exit_status_of(&s);
	log_event(&(struct event){.kind = EV_GOODBYE, .status = code});
	return code;
}
