#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "callertty.h"
#include "ksig.h"
#include "log.h"
#include "personality.h"
#include "rawsys.h"
#include "privilege.h"

/* How the child relates to the caller's terminal, decided before the fork. */
enum tty_mode {
	/* Its own process group, in the terminal's foreground when there is
	 * one: Ctrl-C and job control reach it directly (docker run -it). */
	TTY_FOREGROUND,
	/* dumb-init's mode: a session of its own, taking the terminal as its
	 * controlling terminal when capinit handed it over. */
	TTY_SESSION,
	/* A session of its own without the caller's terminal: the child runs
	 * with less privilege than the interactive shell that started capinit,
	 * and must not push input into that shell (TIOCSTI needs the terminal
	 * to be the caller's controlling one). Terminal signals reach capinit,
	 * which stays in the foreground, and are forwarded. */
	TTY_DETACHED,
};

struct supervisor {
	const struct config *cfg;
	pid_t self;
	pid_t child;
	bool child_done;
	int child_status; /* raw wait status */
	bool is_pid1;
	int sfd;
	ksigmask original; /* the mask capinit was started with */
	enum tty_mode tty;
	bool stdin_tty; /* asked once, before the fork */
	/* The parent's end of the handshake socket. The child writes one
	 * byte on it when it gives up before execve (its exit status is then
	 * capinit's, not the app's); execve closes the child's end. */
	int report;
	/* Signals that arrived before the child existed, forwarded once it does
	 * (dumb-init's hand-off drains them early). */
	int early[2];
	size_t nearly;
};

static int setup_signals(struct supervisor *s)
{
	/* Every signal was blocked first thing in main(); this reads them. The
	 * fault signals are among them: one sent with kill(2) is forwarded like
	 * any other, while a real fault in capinit itself still kills it,
	 * because the kernel unblocks a synchronously raised fault signal.
	 * Blocking costs no safety, and forwarding is what dumb-init users
	 * rely on. Blocking: the idle loop is one read(2) and nothing else. */
	s->sfd = ksig_signalfd(ksig_all_catchable());
	return s->sfd < 0 ? -1 : 0;
}

static int exec_failure_status(int err) { return err == ENOENT ? 127 : 126; }

/* Returns -1 only where going on would break the terminal rule. */
static int enter_tty_mode(enum tty_mode mode, bool stdin_tty)
{
	switch (mode) {
	case TTY_SESSION:
		if (setsid() < 0) {
			log_debug("setsid: %s", strerror(errno));
			break;
		}
		if (stdin_tty && ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0)
			log_debug("TIOCSCTTY: %s", strerror(errno));
		log_event_of(EV_SETSID_DONE, 0, 0, 0, 0);
		break;
	case TTY_DETACHED:
		/* Cannot fail in a fresh child (it leads no group yet); if it
		 * did, the app would keep the caller's terminal: never exec. */
		if (setsid() < 0) {
			log_error("cannot leave the caller's terminal: setsid: %s", strerror(errno));
			return -1;
		}
		break;
	case TTY_FOREGROUND:
		/* Its own process group, so group forwarding has a target and a
		 * terminal's Ctrl-C reaches it through the foreground group. */
		if (setpgid(0, 0) != 0)
			log_debug("setpgid: %s", strerror(errno));
		/* SIGTTOU is still blocked here, so this works from the
		 * background group. */
		if (stdin_tty && tcsetpgrp(STDIN_FILENO, getpid()) != 0)
			log_debug("tcsetpgrp: %s", strerror(errno));
		break;
	}
	return 0;
}

/* The child gives up before execve with a status of capinit's own (125,
 * 126, 127): it says so on the handshake socket first, so that the parent
 * never mistakes it for the app's (tini's -e maps only the app's). */
static _Noreturn void child_gives_up(int sock, int status)
{
	char byte = (char)status;
	(void)send(sock, &byte, 1, MSG_NOSIGNAL);
	_exit(status);
}

/* In the child, between fork and execve. Never returns. `go` is the
 * child's end of the handshake socket: the parent writes one byte once it
 * has dropped its own privilege, and closes its end without writing if it
 * could not. */
static void run_child(struct supervisor *s, const struct plan *plan, const struct runtime *rt,
		      char **child_env, int go)
{
	const struct config *cfg = s->cfg;
	close(s->sfd);
	if (enter_tty_mode(s->tty, s->stdin_tty) != 0 || privilege_apply(plan, rt) != 0)
		child_gives_up(go, 125);
	char byte;
	ssize_t n;
	do
		n = read(go, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) /* the parent kept its privilege or is gone: never exec */
		child_gives_up(go, 125);
	/* Every disposition is the default already (main reset the ones the
	 * caller ignored); under tini's name the classic signals (1-31) go
	 * back to what the caller gave, as tini leaves them (its suite checks
	 * this). Not 32 and up: in that suite's full run the child then showed
	 * an ignored 32 that real tini's child does not, for a reason not
	 * found yet (a caller ignoring 32 directly passes through both alike);
	 * no C library lets a program ignore 32-34 anyway. Then the mask
	 * capinit was started with. */
	if (persona_get(cfg->personality)->child_keeps_ignored && rt->sig_ign_known &&
	    ksig_set_ignored(rt->sig_ign & 0x7fffffffu) != 0)
		log_debug("could not restore the caller's ignored signals: %s", strerror(errno));
	ksig_setmask(s->original);
	execvpe(cfg->command[0], cfg->command, child_env);
	int err = errno;
	log_event(&(struct event){.kind = EV_EXEC_FAILED, .text = cfg->command[0],
				  .detail = strerror(err)});
	child_gives_up(go, exec_failure_status(err));
}

/* A wait status as a shell reports it: N, or 128+S for a signal. */
static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* Did the child give up before execve (child_gives_up)? Asked only when
 * -e would map the status: a read that never waits, after the reaping. */
static bool status_is_capinits_own(const struct supervisor *s)
{
	char byte;
	return WIFEXITED(s->child_status) &&
	       recv(s->report, &byte, 1, MSG_DONTWAIT) == 1;
}

static int exit_status_of(const struct supervisor *s)
{
	int code = status_code(s->child_status);
	if (config_exit_maps_to_zero(s->cfg, code)) {
		/* A refused plan or a command that never ran must not read as
		 * success to the runtime or to CI. */
		if (status_is_capinits_own(s)) {
			log_debug("exit status %d is capinit's own (COMMAND never ran): not "
				  "mapped by -e",
				  code);
			return code;
		}
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
		log_event_of(EV_SIGNAL_REWRITTEN, 0, sig, out, 0);
	if (out == 0) {
		log_event_of(EV_SIGNAL_DROPPED, 0, out, 0, 0);
		return;
	}
	int rc = kill(target, out);
	/* The child's group exists only once the child has made it (setsid in
	 * dumb-init's mode): a signal that comes that early goes to the child
	 * itself, the group's only member yet. */
	if (rc != 0 && errno == ESRCH && target == -s->child && !s->child_done)
		rc = kill(s->child, out);
	if (rc != 0 && errno != ESRCH)
		log_error("forwarding signal %d to %d: %s", out, target, strerror(errno));
	else
		log_event_of(EV_SIGNAL_FORWARDED, target, out, 0, 0);
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
		log_event_of(EV_SUSPENDING, 0, 0, 0, 0);
		kill(getpid(), SIGSTOP);
	}
}

static long long now_ms(void)
{
	return raw_monotonic_us() / 1000;
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
		log_event_of(EV_SIGNAL_RECEIVED, 0, sig, 0, 0);
		if (sig == SIGCHLD)
			child_changed = true; /* reaped below, whoever sent it */
		else if (sig == SIGPIPE && info[i].ssi_code == SI_USER &&
			 (pid_t)info[i].ssi_pid == s->self)
			/* capinit's own write to a closed stderr: nobody sent it
			 * to the app. */
			log_debug("SIGPIPE raised by capinit itself, not forwarded");
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

/* Less privilege than the caller: another uid, or capabilities taken away. */
static bool child_less_privileged(const struct plan *p, const struct runtime *rt)
{
	return (p->switch_user && p->uid != rt->euid) || p->permitted != rt->permitted ||
	       p->effective != rt->effective || p->bounding != (rt->bounding & p->kernel);
}

static enum tty_mode decide_tty_mode(const struct config *cfg, const struct plan *plan,
				     const struct runtime *rt)
{
	/* The caller's terminal is reachable from the child whatever fd 0, 1
	 * and 2 are (it opens /dev/tty), so the question is whether capinit
	 * has a controlling terminal it does not own: started from a shell,
	 * not as the session leader a runtime makes a container's PID 1 with
	 * a terminal. Asked only for a less privileged child, which keeps
	 * the system calls off every other start. */
	if (child_less_privileged(plan, rt) && callertty_foreign())
		return TTY_DETACHED;
	return cfg->setsid ? TTY_SESSION : TTY_FOREGROUND;
}

/* dumb-init's hand-off: a session leader gives up its controlling terminal
 * so that the child's new session can take it. The kernel then sends SIGHUP
 * and SIGCONT to capinit's foreground group, in capinit's own name (SI_USER
 * from capinit's pid), before the ioctl returns; they are still blocked, so
 * they are drained here and discarded, while one another process sent in
 * the meantime is kept for the child. */
static void hand_over_terminal(struct supervisor *s)
{
	if (!s->stdin_tty || getsid(0) != s->self)
		return;
	if (ioctl(STDIN_FILENO, TIOCNOTTY) != 0) {
		log_debug("TIOCNOTTY: %s", strerror(errno));
		return;
	}
	sigset_t hupcont;
	sigemptyset(&hupcont);
	sigaddset(&hupcont, SIGHUP);
	sigaddset(&hupcont, SIGCONT);
	const struct timespec now = {0, 0};
	siginfo_t info;
	int sig;
	while ((sig = sigtimedwait(&hupcont, &info, &now)) > 0) {
		bool own = info.si_code == SI_KERNEL ||
			   (info.si_code == SI_USER && info.si_pid == s->self);
		if (own)
			log_event_of(EV_TTY_HANDOFF_IGNORED, 0, sig, 0, 0);
		else if (s->nearly < sizeof s->early / sizeof s->early[0])
			s->early[s->nearly++] = sig;
	}
}

int supervise_run(const struct config *cfg, const struct plan *plan, const struct runtime *given,
		  char **child_env, ksigmask original_mask)
{
	struct supervisor s = {.cfg = cfg, .self = getpid(), .sfd = -1, .report = -1,
			       .original = original_mask};
	s.is_pid1 = s.self == 1;
	/* rt follows capinit's own state as it changes below. */
	struct runtime rt = *given;
	if (cfg->pdeath_signal && prctl(PR_SET_PDEATHSIG, cfg->pdeath_signal, 0, 0, 0) != 0) {
		log_error("cannot set the parent-death signal: %s", strerror(errno));
		return startup_failure_status(cfg);
	}
	check_reaping(&s);
	if (setup_signals(&s) != 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return 125;
	}
	s.stdin_tty = isatty(STDIN_FILENO);
	s.tty = decide_tty_mode(cfg, plan, &rt);
	if (s.tty == TTY_SESSION)
		hand_over_terminal(&s);
	/* The child inherits the bounding set: shrinking it here drops each
	 * capability once instead of once in each process. */
	if (privilege_shrink_bounding(plan, &rt) != 0)
		return 125;
	/* A socket pair rather than a pipe: the same one system call, and it
	 * carries the child's word back as well (child_gives_up). Close on
	 * exec, so the app never holds either end. */
	int go[2];
	if (raw_socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) {
		log_error("cannot start the child: socketpair: %s", strerror(errno));
		return 125;
	}

	s.child = raw_fork();
	if (s.child < 0) {
		log_error("cannot start the child: fork: %s", strerror(errno));
		return 125;
	}
	if (s.child == 0) {
		close(go[1]);
		run_child(&s, plan, &rt, child_env, go[0]);
	}
	close(go[0]);
	s.report = go[1];

	/* The child waits for this before it may execute: nothing else comes
	 * first (the group and the directory below are capinit's own affairs,
	 * needed before it forwards a signal, not before the app starts). */
	if (privilege_drop_self(plan, &rt) != 0) {
		/* The app must not run beside a privileged PID 1: closing the
		 * socket unwritten makes the child exit 125 without executing. */
		close(go[1]);
		kill(s.child, SIGKILL);
		(void)waitpid(s.child, NULL, 0);
		return 125;
	}
	/* MSG_NOSIGNAL: a child that already gave up has closed its end. */
	if (send(go[1], "x", 1, MSG_NOSIGNAL) != 1)
		log_error("cannot release the child: %s", strerror(errno));
	/* Also from this side, so forwarding to the group never races the
	 * child's own setpgid (a session leader's own setsid makes it one).
	 * Once the child has executed this fails (EACCES), its own having
	 * made the group already. */
	if (s.tty == TTY_FOREGROUND)
		(void)setpgid(s.child, s.child);
	/* The child keeps the caller's directory; the init, which lives as
	 * long as the container, must not keep a mount busy (as dumb-init). */
	if (chdir("/") != 0)
		log_debug("chdir /: %s", strerror(errno));
	log_event(&(struct event){.kind = EV_CHILD_SPAWNED, .pid = s.child,
				  .text = cfg->command[0]});
	privilege_finish_drop(plan, &rt);
	for (size_t i = 0; i < s.nearly; i++)
		forward(&s, s.early[i]);
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
		log_event_of(EV_SIGNAL_FORWARDED, s.child, SIGTERM, 0, 0);
	}
	if (s.is_pid1)
		grace_drain(&s);
	int code = exit_status_of(&s);
	log_event_of(EV_GOODBYE, 0, 0, 0, code);
	return code;
}
