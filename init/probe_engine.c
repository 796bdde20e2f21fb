/* The engine runner: `capinit --probe -- docker run [ARG]... IMAGE ...`
 * (or podman). Every trial is a fresh container of the user's own command
 * line with the trial's set injected (probe_engine_args.c decides the
 * words), run by the user's own engine client found through PATH; capinit
 * needs no privilege for it, and the image needs no capinit.
 *
 * Every trial's container is removed on every way out:
 *  - stop() removes it (`ENGINE rm -f NAME`) and reaps the client, and
 *    finish() removes whatever stop() could not confirm;
 *  - a watchdog, a child of capinit in a session of its own, holds the read
 *    end of a pipe on which capinit writes "+NAME" before a trial's client
 *    starts and "-NAME" once its container is known gone. At EOF (finish(),
 *    or capinit killed by SIGKILL) it removes what is still listed, then
 *    exits. Its own session keeps the terminal's Ctrl-C away from it, and
 *    from the clients, so that the removal is capinit's to do, in order.
 *
 * The oracles see only what a client of the container sees: the client's
 * exit status (the container's, or the engine's own 125/126/127), the
 * probed port at the container's address, and the check command on the
 * host with the container's name in CAPINIT_PROBE_CONTAINER. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "privilege.h"
#include "probe_engine_args.h"
#include "probe_runner.h"

/* How long capinit waits for the engine's own commands (inspect, rm): far
 * above what they take (~0.1 s), low enough that a hung daemon ends the
 * probe with a reason. */
#define HELPER_TIMEOUT_US 60000000LL
/* stop(): `rm -f` is retried while the client still creates the container
 * (a name unknown to the engine yet), at most this long. */
#define REMOVE_GIVE_UP_US 20000000LL
/* port_bound(): one connect, or one UDP datagram's answer, waits this long. */
#define PORT_WAIT_MS 100
/* The kernel rate-limits ICMP errors per peer (a burst of 6, then one a
 * second): after this many UDP tries in a trial, one a second at most, so
 * that silence is never a suppressed "port unreachable". */
#define UDP_BURST 5
#define UDP_GAP_US 1100000LL
/* The names the watchdog holds at once: the running trial's, and any whose
 * removal stop() could not confirm. */
#define PENDING_MAX 16

static struct engine {
	bool ready;
	struct engine_cmd cmd;
	struct engine_image img;
	struct engine_plan plan;
	struct plan check_plan;
	unsigned trials;
	pid_t watchdog;
	int watchdog_fd;
	char pending[PENDING_MAX][64];
	/* The trial's address for the port oracle; for --network=host and
	 * container:X known from the start. */
	bool fixed_addr, addr_known;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[64];
	unsigned udp_tries;
	long long udp_last;
	pid_t client;     /* the running trial's client, 0: reaped */
	bool client_done; /* it ended by itself */
} eng = {.watchdog_fd = -1};

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(long long us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* ---- running the engine's client ------------------------------------- */

/* In a child just forked: a session of its own (no terminal, no Ctrl-C),
 * stdin /dev/null, stdout to out_fd and stderr to err_fd (-1: /dev/null),
 * capinit's original signal mask, then the client through PATH. */
__attribute__((noreturn)) static void exec_client(const struct probe_ctx *ctx, char *const *argv,
						   int out_fd, int err_fd)
{
	(void)setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		(void)dup2(null, STDIN_FILENO);
	(void)dup2(out_fd >= 0 ? out_fd : null, STDOUT_FILENO);
	(void)dup2(err_fd >= 0 ? err_fd : null, STDERR_FILENO);
	(void)ksig_setmask(ctx->original);
	if (argv[0] == NULL)
		_exit(127);
	execvpe(argv[0], argv, ctx->child_env);
	char msg[300];
	int n = fmt_snprintf(msg, sizeof msg, "capinit: cannot execute '%s': %s\n", argv[0],
			     strerror(errno));
	(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
	_exit(127);
}

/* The last non-empty line of text[0..len), cut to fit `size`. */
static void last_line(const char *text, size_t len, char *out, size_t size)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	fmt_snprintf(out, size, "%.*s", (int)(len - start), text + start);
}

/* Runs an engine command to its end (bounded): its stdout into out[0..cap)
 * (*len; cap when it did not fit), the last line of its stderr into errline.
 * Returns its exit status as a shell's (N, 128+S), or -1 (err). */
static int run_helper(const struct probe_ctx *ctx, char *const *argv, char *out, size_t cap,
		      size_t *len, char *errline, size_t errsize)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	if ((out != NULL && pipe2(po, O_CLOEXEC) != 0) || pipe2(pe, O_CLOEXEC) != 0) {
		fmt_snprintf(errline, errsize, "pipe: %s", strerror(errno));
		if (po[0] >= 0) {
			close(po[0]);
			close(po[1]);
		}
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		exec_client(ctx, argv, po[1], pe[1]);
	if (po[1] >= 0)
		close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		fmt_snprintf(errline, errsize, "fork: %s", strerror(errno));
		if (po[0] >= 0)
			close(po[0]);
		close(pe[0]);
		return -1;
	}
	char errbuf[1024];
	size_t errlen = 0, outlen = 0;
	long long deadline = now_us() + HELPER_TIMEOUT_US;
	int fds[2] = {po[0], pe[0]};
	bool timed_out = false;
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		long long left = deadline - now_us();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(pfd, n, (int)((left + 999) / 1000)) < 0 && errno != EINTR)
			break;
		for (nfds_t k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			bool is_out = pfd[k].fd == fds[0];
			char chunk[4096];
			ssize_t got = read(pfd[k].fd, chunk, sizeof chunk);
			if (got <= 0) {
				close(pfd[k].fd);
				fds[is_out ? 0 : 1] = -1;
				continue;
			}
			if (is_out && out != NULL) {
				size_t room = cap - outlen;
				size_t take = (size_t)got < room ? (size_t)got : room;
				memcpy(out + outlen, chunk, take);
				outlen += take;
			} else if (!is_out) {
				/* Keep the tail: the last line explains. */
				if ((size_t)got >= sizeof errbuf) {
					memcpy(errbuf, chunk + got - sizeof errbuf, sizeof errbuf);
					errlen = sizeof errbuf;
				} else {
					if (errlen + (size_t)got > sizeof errbuf) {
						size_t drop = errlen + (size_t)got - sizeof errbuf;
						memmove(errbuf, errbuf + drop, errlen - drop);
						errlen -= drop;
					}
					memcpy(errbuf + errlen, chunk, (size_t)got);
					errlen += (size_t)got;
				}
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, timed_out ? 0 : WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (r == 0 && now_us() >= deadline) {
			timed_out = true;
			(void)kill(pid, SIGKILL);
		} else if (r == 0) {
			sleep_us(2000);
		}
	}
	if (len != NULL)
		*len = outlen;
	if (timed_out) {
		(void)kill(pid, SIGKILL);
		fmt_snprintf(errline, errsize, "'%s %s' did not end within %lld s", argv[0], argv[1],
			     HELPER_TIMEOUT_US / 1000000);
		return -1;
	}
	last_line(errbuf, errlen, errline, errsize);
	return status_code(st);
}

/* `ENGINE rm -f NAME` (Podman: -t 0, or it waits 10 s for the stop
 * signal first). Its exit status: 0 removed, else not there (yet). */
static int remove_container(const struct probe_ctx *ctx, const char *name)
{
	char *argv[] = {ctx->cfg->command[0], "rm", "-f", NULL, NULL, NULL, NULL};
	size_t n = 3;
	if (eng.cmd.podman) {
		argv[n++] = "-t";
		argv[n++] = "0";
	}
	argv[n] = (char *)name;
	char line[256];
	return run_helper(ctx, argv, NULL, 0, NULL, line, sizeof line);
}

/* ---- the watchdog --------------------------------------------------- */

static void watchdog_say(char op, const char *name)
{
	if (eng.watchdog_fd < 0)
		return;
	char line[80];
	int n = fmt_snprintf(line, sizeof line, "%c%s\n", op, name);
	/* Every signal is blocked in capinit, SIGPIPE too: a dead watchdog
	 * is EPIPE here, never capinit's end. */
	(void)!write(eng.watchdog_fd, line, (size_t)n);
}

static void pending_set(const char *name, bool on)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (on && eng.pending[i][0] == '\0') {
			fmt_snprintf(eng.pending[i], sizeof eng.pending[i], "%s", name);
			return;
		}
		if (!on && strcmp(eng.pending[i], name) == 0)
			eng.pending[i][0] = '\0';
	}
}

/* rm -f until it removed something, over about 3.5 s: a client that was
 * still creating the container when capinit died makes it a moment later
 * (the engine finishes a create it was asked for). */
static void remove_retrying(const struct probe_ctx *ctx, const char *name)
{
	static const long long gaps[] = {0, 500000, 1000000, 2000000};
	for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
		sleep_us(gaps[i]);
		if (remove_container(ctx, name) == 0)
			return;
	}
}

/* The watchdog's life: names in, and at EOF every listed one removed. */
__attribute__((noreturn)) static void watchdog_main(const struct probe_ctx *ctx, int fd)
{
	(void)setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
	}
	(void)chdir("/");
	static char names[PENDING_MAX][64];
	char buf[512];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		char *nl;
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			*nl = '\0';
			bool add = buf[0] == '+';
			for (size_t i = 0; i < PENDING_MAX; i++) {
				if (add && names[i][0] == '\0') {
					fmt_snprintf(names[i], sizeof names[i], "%s", buf + 1);
					break;
				}
				if (!add && strcmp(names[i], buf + 1) == 0)
					names[i][0] = '\0';
			}
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (have == sizeof buf)
			have = 0; /* not capinit's: a line this long is never written */
	}
	for (size_t i = 0; i < PENDING_MAX; i++)
		if (names[i][0] != '\0')
			remove_retrying(ctx, names[i]);
	_exit(0);
}

static int start_watchdog(const struct probe_ctx *ctx, char *err, size_t errsize)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (ctx->sfd >= 0)
			close(ctx->sfd);
		watchdog_main(ctx, p[0]);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		fmt_snprintf(err, errsize, "--probe: cannot start the clean-up watchdog: fork: %s",
			     strerror(errno));
		return -1;
	}
	eng.watchdog = pid;
	eng.watchdog_fd = p[1];
	return 0;
}

/* ---- addresses ------------------------------------------------------ */

static bool set_addr(const char *text)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&eng.addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&eng.addr;
	memset(&eng.addr, 0, sizeof eng.addr);
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		eng.addr_len = sizeof *v4;
	} else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		eng.addr_len = sizeof *v6;
	} else {
		return false;
	}
	fmt_snprintf(eng.addr_text, sizeof eng.addr_text, "%s", text);
	eng.addr_known = true;
	return true;
}

/* The container's address on its networks (IPv4 first), as a client on
 * this host reaches it; false while it has none (not started yet). */
static bool inspect_address(const struct probe_ctx *ctx, const char *container)
{
	static char format[] = "{{range .NetworkSettings.Networks}}{{.IPAddress}} "
			       "{{.GlobalIPv6Address}}\n{{end}}";
	char *argv[] = {ctx->cfg->command[0], "container", "inspect", "--format", format,
			(char *)container, NULL};
	char out[1024], line[256];
	size_t len;
	if (run_helper(ctx, argv, out, sizeof out - 1, &len, line, sizeof line) != 0)
		return false;
	out[len] = '\0';
	char v6[64] = "";
	for (char *tok = out; *tok;) {
		size_t n = strcspn(tok, " \n");
		char word[64];
		if (n > 0 && n < sizeof word) {
			memcpy(word, tok, n);
			word[n] = '\0';
			struct in_addr a4;
			struct in6_addr a6;
			if (inet_pton(AF_INET, word, &a4) == 1)
				return set_addr(word);
			if (v6[0] == '\0' && inet_pton(AF_INET6, word, &a6) == 1)
				memcpy(v6, word, n + 1);
		}
		tok += n;
		if (*tok)
			tok++;
	}
	return v6[0] != '\0' && set_addr(v6);
}

/* ---- the runner ----------------------------------------------------- */

static int engine_setup(struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	const struct config *cfg = ctx->cfg;
	*status = 2;
	/* capinit's own spec and user are for a command it runs itself. */
	if (cfg->user.set) {
		fmt_snprintf(err, errsize,
			     "%s: trials through an engine run as the container does: use %s run "
			     "--user, or the image's CAPINIT_USER",
			     cfg->user_source, cfg->command[0]);
		return -1;
	}
	if (cfg->drop_set || cfg->add_set) {
		fmt_snprintf(err, errsize,
			     "%s: through an engine the candidates come from the command line's "
			     "--cap-add/--cap-drop (or --probe-candidates), not capinit's own spec",
			     cfg->drop_set ? cfg->drop_source : cfg->add_source);
		return -1;
	}
	char *const *argv = cfg->command;
	size_t argc = 0;
	while (argv[argc] != NULL)
		argc++;
	if (engine_cmd_parse(&eng.cmd, argv, argc, err, errsize) != 0)
		return -1;
	if (cfg->probe_port &&
	    (eng.cmd.net == ENGINE_NET_NONE || eng.cmd.net == ENGINE_NET_SHARED)) {
		fmt_snprintf(err, errsize,
			     "--probe-port: the container's network (%s) has no address a client "
			     "on this host reaches: probe it on the engine's network, or with "
			     "--probe-check",
			     eng.cmd.net == ENGINE_NET_NONE ? "none" : "another's");
		return -1;
	}

	/* The image once: its entrypoint, ENV and USER. Not found here is
	 * not pulled: every trial must run the same image. */
	*status = 125;
	static char text[65536];
	size_t len;
	char line[256];
	char *inspect[] = {argv[0], "image", "inspect", "--format", ENGINE_IMAGE_FORMAT,
			   argv[eng.cmd.image], NULL};
	int rc = run_helper(ctx, inspect, text, sizeof text, &len, line, sizeof line);
	if (rc != 0) {
		fmt_snprintf(err, errsize,
			     "--probe: cannot inspect the image '%s' (%s %s): %s (pull or build "
			     "it first: trials never pull)",
			     argv[eng.cmd.image], argv[0], rc < 0 ? "failed" : "image inspect",
			     line[0] ? line : "no reason given");
		return -1;
	}
	if (len == sizeof text) {
		fmt_snprintf(err, errsize, "--probe: the image's inspect output is over %zu bytes",
			     sizeof text);
		return -1;
	}
	if (engine_image_parse(&eng.img, text, len, err, errsize) != 0)
		return -1;
	/* What the engine can grant: the kernel's capabilities, within this
	 * host's bounding set (runc fails on one outside it). */
	capmask all = capmask_first(ctx->rt ? ctx->rt->max_bits : capset_known_bits());
	if (ctx->rt && ctx->rt->bounding)
		all &= ctx->rt->bounding;
	*status = 2;
	if (engine_plan_make(&eng.cmd, &eng.img, argv, all, &eng.plan, ctx->target, err,
			     errsize) != 0)
		return -1;

	*status = 125;
	if (cfg->probe_port && eng.cmd.net == ENGINE_NET_HOST) {
		eng.fixed_addr = set_addr("127.0.0.1");
	} else if (cfg->probe_port && eng.cmd.net == ENGINE_NET_CONTAINER) {
		eng.fixed_addr = inspect_address(ctx, eng.cmd.net_value);
		if (!eng.fixed_addr) {
			fmt_snprintf(err, errsize,
				     "--probe-port: container '%s' (--network=container:%s) has no "
				     "address here",
				     eng.cmd.net_value, eng.cmd.net_value);
			return -1;
		}
	}
	if (eng.fixed_addr && !cfg->probe_udp) {
		/* The host's stack: the port must be free before trial 1. */
		int fd = socket(eng.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool taken = fd >= 0 && connect(fd, (struct sockaddr *)&eng.addr, eng.addr_len) ==
						   0;
		if (fd >= 0)
			close(fd);
		if (taken) {
			*status = 2;
			fmt_snprintf(err, errsize,
				     "--probe-port: %s port %u already answers before trial 1, so "
				     "it could not tell a trial that listens from one that does not",
				     eng.addr_text, cfg->probe_port);
			return -1;
		}
	}

	struct probe_facts *f = ctx->facts;
	if (f != NULL) {
		f->runtime = eng.cmd.engine;
		f->pid1 = false;
		f->file_caps = false;
		f->command_path[0] = '\0';
		f->no_new_privs = eng.plan.nnp;
		f->securebits = 0;
		bool port_forced = eng.plan.force_sysctls && !eng.cmd.sysctl_port_given;
		bool ping_forced = eng.plan.force_sysctls && !eng.cmd.sysctl_ping_given;
		f->sysctls_forced = port_forced && ping_forced;
		f->port_start = port_forced ? 1024 : eng.cmd.sysctl_port_given ? (int)eng.cmd.sysctl_port
					     : -1;
		f->ping_known = ping_forced;
		f->ping_lo = 1;
		f->ping_hi = 0;
	}

	if (cfg->probe_check) {
		/* The check's credentials: capinit's uid, no capability (the
		 * bounding set emptied too, so a root uid gains nothing at
		 * execve), no_new_privs. */
		struct config tc = *cfg;
		tc.drop_set = tc.drop_all = tc.add_set = true;
		tc.drop = tc.add = 0;
		tc.drop_source = tc.add_source = "--probe-check";
		tc.no_new_privs = true;
		tc.user.set = tc.group.set = false;
		if (plan_make(&tc, NULL, ctx->rt, &eng.check_plan, err, errsize) != 0)
			return -1;
	}
	if (start_watchdog(ctx, err, errsize) != 0)
		return -1;
	eng.ready = true;
	ctx->state = &eng;
	return 0;
}

static int engine_start(struct probe_ctx *ctx, struct probe_live *live, char *err,
			size_t errsize)
{
	static char *words[ENGINE_ARGS_MAX + 80];
	static char strings[4096];
	eng.trials++;
	fmt_snprintf(live->name, sizeof live->name, "capinit-probe-%d-%u", (int)getpid(),
		     eng.trials);
	if (engine_trial_argv(&eng.cmd, &eng.plan, ctx->cfg->command, live->set, live->userns,
			      live->name, words, sizeof words / sizeof words[0], strings,
			      sizeof strings) == 0) {
		fmt_snprintf(err, errsize, "--probe: the trial's command line is too long");
		return -1;
	}
	if (log_get_level() >= LOG_DEBUG) {
		char line[1024];
		size_t used = 0;
		for (size_t i = 0; words[i] && used + 1 < sizeof line; i++)
			used += (size_t)fmt_snprintf(line + used, sizeof line - used, "%s%s",
						     i ? " " : "", words[i]);
		log_debug("probe: trial %u: %s", eng.trials, line);
	}
	int out[2];
	if (pipe2(out, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		return -1;
	}
	/* The loop reads what is there after each wake-up. */
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* Named to the watchdog before the container can exist. */
	watchdog_say('+', live->name);
	pending_set(live->name, true);
	pid_t pid = fork();
	if (pid == 0)
		exec_client(ctx, words, out[1], out[1]);
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		watchdog_say('-', live->name);
		pending_set(live->name, false);
		fmt_snprintf(err, errsize, "--probe: cannot start a trial: fork: %s",
			     strerror(errno));
		return -1;
	}
	eng.client = pid;
	eng.client_done = false;
	eng.addr_known = eng.fixed_addr;
	eng.udp_tries = 0;
	eng.udp_last = 0;
	live->main = pid;
	live->out_fd = out[0];
	live->exec_fd = -1;
	live->event_fd = -1;
	/* The client runs at once; what runs in the container is seen only
	 * through it. */
	live->execd = true;
	return 0;
}

static void engine_collect(struct probe_ctx *ctx, struct probe_live *live)
{
	(void)ctx;
	int st;
	if (eng.client > 0 && !eng.client_done && waitpid(eng.client, &st, WNOHANG) == eng.client) {
		eng.client_done = true;
		live->app_done = true;
		live->app_status = st;
	}
	if (live->check > 0 && !live->check_done && waitpid(live->check, &st, WNOHANG) == live->check) {
		live->check_done = true;
		live->check_status = st;
	}
}

static int tcp_bound(void)
{
	int fd = socket(eng.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int bound = 0;
	if (connect(fd, (struct sockaddr *)&eng.addr, eng.addr_len) == 0) {
		bound = 1;
	} else if (errno == EINPROGRESS) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int err = 0;
		socklen_t len = sizeof err;
		if (poll(&pfd, 1, PORT_WAIT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			bound = 1;
	}
	close(fd);
	return bound;
}

/* A datagram to the port: "port unreachable" (ECONNREFUSED on a connected
 * socket) means nothing is bound; an answer, or silence for PORT_WAIT_MS,
 * means something is. */
static int udp_bound(void)
{
	long long now = now_us();
	if (eng.udp_tries >= UDP_BURST && now - eng.udp_last < UDP_GAP_US)
		return 0;
	eng.udp_tries++;
	eng.udp_last = now;
	int fd = socket(eng.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int bound = 0;
	if (connect(fd, (struct sockaddr *)&eng.addr, eng.addr_len) == 0 &&
	    send(fd, "", 0, 0) == 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, PORT_WAIT_MS);
		char b;
		/* Silence, an answer, or an error other than "refused". */
		bound = r == 0 ||
			(r == 1 && (recv(fd, &b, 1, MSG_DONTWAIT) >= 0 || errno != ECONNREFUSED));
	}
	close(fd);
	return bound;
}

static int engine_port_bound(struct probe_ctx *ctx, struct probe_live *live)
{
	const struct config *cfg = ctx->cfg;
	if (cfg->probe_port == 0 || live->app_done)
		return 0;
	/* The container's address is known once it started; a published
	 * host port proves nothing (the engine's proxy accepts whatever the
	 * container does). */
	if (!eng.addr_known && !inspect_address(ctx, live->name))
		return 0;
	if (eng.addr.ss_family == AF_INET)
		((struct sockaddr_in *)&eng.addr)->sin_port = htons((uint16_t)cfg->probe_port);
	else
		((struct sockaddr_in6 *)&eng.addr)->sin6_port = htons((uint16_t)cfg->probe_port);
	return cfg->probe_udp ? udp_bound() : tcp_bound();
}

/* The check: `/bin/sh -c CMD` on the host, as capinit's uid with no
 * capability and no_new_privs, in a session of its own, in `/`, stdin
 * /dev/null, its output on capinit's stderr; CAPINIT_PROBE_CONTAINER names
 * the trial's container, CAPINIT_PROBE_ADDRESS its address when known. */
static pid_t engine_start_check(struct probe_ctx *ctx, struct probe_live *live)
{
	bool reachable = eng.cmd.net != ENGINE_NET_NONE && eng.cmd.net != ENGINE_NET_SHARED;
	if (!eng.addr_known && !eng.client_done && reachable)
		(void)inspect_address(ctx, live->name);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	(void)setsid();
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0)
		(void)dup2(null, STDIN_FILENO);
	(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	if (chdir("/") != 0)
		_exit(126);
	static char *env[1024];
	static char name_var[96], addr_var[96];
	size_t n = 0;
	for (char **e = ctx->child_env; *e != NULL && n + 3 < sizeof env / sizeof env[0]; e++)
		if (strncmp(*e, "CAPINIT_PROBE_CONTAINER=", 24) != 0 &&
		    strncmp(*e, "CAPINIT_PROBE_ADDRESS=", 22) != 0)
			env[n++] = *e;
	fmt_snprintf(name_var, sizeof name_var, "CAPINIT_PROBE_CONTAINER=%s", live->name);
	env[n++] = name_var;
	if (eng.addr_known) {
		fmt_snprintf(addr_var, sizeof addr_var, "CAPINIT_PROBE_ADDRESS=%s", eng.addr_text);
		env[n++] = addr_var;
	}
	env[n] = NULL;
	if (privilege_apply(&eng.check_plan, ctx->rt) != 0)
		_exit(126);
	(void)ksig_setmask(ctx->original);
	char *argv[] = {"sh", "-c", (char *)ctx->cfg->probe_check, NULL};
	execve("/bin/sh", argv, env);
	_exit(127);
}

static void reap_client(void)
{
	if (eng.client <= 0)
		return;
	if (!eng.client_done) {
		(void)kill(eng.client, SIGKILL);
		while (waitpid(eng.client, NULL, 0) < 0 && errno == EINTR)
			;
	}
	eng.client = 0;
}

static int engine_stop(struct probe_ctx *ctx, struct probe_live *live, char *err,
		       size_t errsize)
{
	if (live->name[0] == '\0' || eng.client == 0)
		return 0;
	/* The client is not killed while it may still be creating the
	 * container: the engine would finish the creation after rm -f found
	 * nothing. rm -f is retried until it removes the container, or the
	 * client ends by itself (then the container ran and was removed by
	 * --rm, or was never made). */
	bool removed = false;
	long long give_up = now_us() + REMOVE_GIVE_UP_US;
	long long gap = 20000;
	for (;;) {
		if (remove_container(ctx, live->name) == 0) {
			removed = true;
			break;
		}
		engine_collect(ctx, live);
		if (eng.client_done || now_us() >= give_up)
			break;
		sleep_us(gap);
		gap = gap * 2 > 500000 ? 500000 : gap * 2;
	}
	bool gone = removed || eng.client_done;
	reap_client();
	live->main = 0;
	if (!gone) {
		fmt_snprintf(err, errsize,
			     "--probe: %s did not remove the trial's container %s within %lld s "
			     "(its client was killed; the watchdog tries again at the end)",
			     eng.cmd.engine, live->name, REMOVE_GIVE_UP_US / 1000000);
		return -1;
	}
	watchdog_say('-', live->name);
	pending_set(live->name, false);
	return 0;
}

static void engine_finish(struct probe_ctx *ctx)
{
	if (!eng.ready)
		return;
	reap_client();
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (eng.pending[i][0] == '\0')
			continue;
		remove_retrying(ctx, eng.pending[i]);
		watchdog_say('-', eng.pending[i]);
		eng.pending[i][0] = '\0';
	}
	/* EOF: the watchdog finds nothing listed and exits. */
	if (eng.watchdog_fd >= 0) {
		close(eng.watchdog_fd);
		eng.watchdog_fd = -1;
	}
	if (eng.watchdog > 0) {
		while (waitpid(eng.watchdog, NULL, 0) < 0 && errno == EINTR)
			;
		eng.watchdog = 0;
	}
	eng.ready = false;
}

const struct probe_runner probe_runner_engine = {
	.name = "engine",
	.setup = engine_setup,
	.start = engine_start,
	.collect = engine_collect,
	.port_bound = engine_port_bound,
	.start_check = engine_start_check,
	.stop = engine_stop,
	.finish = engine_finish,
};
