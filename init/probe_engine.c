/* The engine runner: `capinit --probe -- docker run [ARG]... IMAGE ...`
 * (or podman). Every trial is a fresh container of the user's own command
 * line with the trial's set injected (probe_engine_args.c decides the
 * words), run by the user's own engine client found through PATH; capinit
 * needs no privilege for it, and the image needs no capinit.
 *
 * Every trial's container is removed on every way out:
 *  - stop() removes it (`ENGINE rm -f NAME`) until the client has ended and
 *    the engine knows the name no more, then reaps the client; finish()
 *    removes whatever stop() could not confirm;
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
#include "privilege.h"
#include "probe_child.h"
#include "probe_engine_args.h"
#include "probe_runner.h"
#include "rawsys.h"

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
	struct sockaddr_in addr;
	char addr_text[16];
	unsigned udp_tries;
	long long udp_last;
	pid_t client;     /* the running trial's client, 0: reaped */
	bool client_done; /* it ended by itself */
} eng; /* zero-initialised: no bytes in the binary */

static long long now_us(void) { return raw_monotonic_us(); }

/* poll() as the pause (already linked; musl's nanosleep brings its
 * clock_nanosleep along). Every caller sleeps in a loop that looks at the
 * clock or the engine again, so a pause cut short does no harm. */
static void sleep_us(long long us) { raw_sleep_ms((int)(us / 1000)); }

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* ---- running the engine's client ------------------------------------- */

/* In a child just forked: a session of its own (no terminal, no Ctrl-C),
 * stdin /dev/null, stdout and stderr to out_fd (a pipe), capinit's
 * original signal mask, then the client through PATH. */
__attribute__((noreturn)) static void exec_client(const struct probe_ctx *ctx, char *const *argv,
						   int out_fd)
{
	(void)setsid();
	probe_stdio_to(out_fd);
	(void)ksig_setmask(ctx->original);
	if (argv[0] != NULL)
		execvpe(argv[0], argv, ctx->child_env);
	char msg[300];
	size_t n = (size_t)fmt_snprintf(msg, sizeof msg, "capinit: cannot execute %s: %s\n",
					argv[0], strerror(errno));
	(void)!write(STDERR_FILENO, msg, n < sizeof msg ? n : sizeof msg - 1);
	_exit(127);
}

/* Runs an engine command to its end, bounded: its output (stdout and
 * stderr: the inspect parsers skip what is not theirs) into out[0..cap),
 * *len (cap: it did not fit). Returns its exit status as a shell's (N,
 * 128+S), or -1 (it could not run, or did not end in time). */
static int run_helper(const struct probe_ctx *ctx, char *const *argv, char *out, size_t cap,
		      size_t *len)
{
	int p[2];
	if (len != NULL)
		*len = 0;
	if (raw_pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = raw_fork();
	if (pid == 0)
		exec_client(ctx, argv, p[1]);
	close(p[1]);
	size_t n = 0;
	bool ok = pid > 0;
	long long deadline = now_us() + HELPER_TIMEOUT_US;
	while (ok) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		long long left = deadline - now_us();
		char chunk[512];
		ssize_t got = 0;
		if (left <= 0 || poll(&pfd, 1, (int)(left / 1000) + 1) == 0)
			ok = false;
		else if ((got = read(p[0], chunk, sizeof chunk)) == 0)
			break;
		if (got > 0 && n < cap) {
			size_t take = (size_t)got < cap - n ? (size_t)got : cap - n;
			memcpy(out + n, chunk, take);
			n += take;
		}
	}
	close(p[0]);
	int st = 0;
	if (pid > 0) {
		if (!ok)
			(void)kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (len != NULL)
		*len = n;
	return ok ? status_code(st) : -1;
}

/* The container is known to the engine (an inspect that fails for any
 * other reason than its absence counts as "there"). */
static bool container_exists(const struct probe_ctx *ctx, const char *name)
{
	char *argv[] = {ctx->cfg->command[0], "container", "inspect", "--format", "{{.Id}}",
			(char *)name, NULL};
	char out[512];
	size_t len;
	int rc = run_helper(ctx, argv, out, sizeof out - 1, &len);
	out[len] = '\0';
	/* "No such container" / "no such container": a plain scan, not
	 * memmem or strstr, which bring 1.2 kB of musl's two-way search. */
	for (size_t i = 0; i + 6 <= len; i++)
		if (memcmp(out + i, "o such", 6) == 0)
			return rc == 0;
	return true;
}

/* `ENGINE rm -f NAME` (Podman: -t 0, or it waits 10 s for the stop
 * signal first). Its status says nothing: both engines exit 0 for a name
 * they do not know when forced, so container_exists() is the truth. */
static void remove_container(const struct probe_ctx *ctx, const char *name)
{
	char *argv[] = {ctx->cfg->command[0], "rm", "-f", "-t", "0", (char *)name, NULL};
	if (!eng.cmd.podman) {
		argv[3] = (char *)name;
		argv[4] = NULL;
	}
	(void)run_helper(ctx, argv, NULL, 0, NULL);
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

/* rm -f until the name is unknown to the engine, and at least over about
 * 3.5 s: a client that was still creating the container when capinit died
 * makes it a moment later (the engine finishes a create it was asked for).
 * At most about 30 s. */
static void remove_retrying(const struct probe_ctx *ctx, const char *name)
{
	long long gap = 500000;
	for (int i = 0; i < 16; i++) {
		remove_container(ctx, name);
		if (i >= 3 && !container_exists(ctx, name))
			return;
		sleep_us(gap);
		gap = gap * 2 > 2000000 ? 2000000 : gap * 2;
	}
}

/* The watchdog's life: names in, and at EOF every listed one removed. */
__attribute__((noreturn)) static void watchdog_main(const struct probe_ctx *ctx, int fd)
{
	(void)setsid();
	int null = raw_open("/dev/null", O_RDWR);
	if (null >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
	}
	(void)chdir("/");
	/* eng.pending, empty when the watchdog is forked (before trial 1),
	 * is its own copy from then on. */
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
			pending_set(buf + 1, buf[0] == '+');
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (have == sizeof buf)
			have = 0; /* not capinit's: a line this long is never written */
	}
	for (size_t i = 0; i < PENDING_MAX; i++)
		if (eng.pending[i][0] != '\0')
			remove_retrying(ctx, eng.pending[i]);
	_exit(0);
}

static int start_watchdog(const struct probe_ctx *ctx, char *err, size_t errsize)
{
	int p[2];
	if (raw_pipe2(p, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = raw_fork();
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

/* A dotted IPv4 address (the engines' bridges and networks give one; an
 * IPv6-only network is not supported by the port oracle). */
static bool set_addr(const char *text, size_t len)
{
	uint32_t a = 0;
	unsigned parts = 0, v = 0, digits = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] >= '0' && text[i] <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(text[i] - '0');
			digits++;
		} else if ((i == len || text[i] == '.') && digits && v < 256 && parts < 4) {
			a = a << 8 | v;
			parts++;
			v = digits = 0;
		} else {
			return false;
		}
	}
	if (parts != 4)
		return false;
	memset(&eng.addr, 0, sizeof eng.addr);
	eng.addr.sin_family = AF_INET;
	eng.addr.sin_addr.s_addr = htonl(a);
	fmt_snprintf(eng.addr_text, sizeof eng.addr_text, "%.*s", (int)len, text);
	eng.addr_known = true;
	return true;
}

/* The container's IPv4 address on its networks, as a client on this host
 * reaches it; false while it has none (not started yet). */
static bool inspect_address(const struct probe_ctx *ctx, const char *container)
{
	static char format[] = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
	char *argv[] = {ctx->cfg->command[0], "container", "inspect", "--format", format,
			(char *)container, NULL};
	char out[512];
	size_t len;
	if (run_helper(ctx, argv, out, sizeof out, &len) != 0)
		return false;
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		while (i + n < len && out[i + n] != ' ' && out[i + n] != '\n')
			n++;
		if (n > 0 && set_addr(out + i, n))
			return true;
		i += n + 1;
	}
	return false;
}

/* ---- the runner ----------------------------------------------------- */

/* The image once: its entrypoint, ENV and USER. One that is not here is
 * not pulled: every trial must run the same image. */
static int inspect_image(const struct probe_ctx *ctx, char *err, size_t errsize)
{
	static char text[65536];
	char *const *argv = ctx->cfg->command;
	char *image = argv[eng.cmd.image];
	char *inspect[] = {argv[0], "image", "inspect", "--format", ENGINE_IMAGE_FORMAT, image,
			   NULL};
	size_t len;
	int rc = run_helper(ctx, inspect, text, sizeof text - 1, &len);
	text[len] = '\0';
	if (rc != 0 || len == sizeof text - 1) {
		/* The client's last line says why. */
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
			text[--len] = '\0';
		const char *why = strrchr(text, '\n');
		fmt_snprintf(err, errsize, "--probe: cannot inspect the image %s: %.200s (pull or "
					   "build it first)",
			     image, rc == 0 ? "output too long" : why ? why + 1 : text);
		return -1;
	}
	return engine_image_parse(&eng.img, text, len, err, errsize);
}

/* The port oracle's address where it is known before trial 1 (the host's
 * stack, another container's), and that nothing answers there yet. */
static int port_setup(const struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	const struct config *cfg = ctx->cfg;
	*status = 2;
	if (eng.cmd.net == ENGINE_NET_NONE || eng.cmd.net == ENGINE_NET_SHARED) {
		fmt_snprintf(err, errsize, "--probe-port: the container's network has no address "
					   "here: use --probe-check");
		return -1;
	}
	if (eng.cmd.net == ENGINE_NET_HOST)
		eng.fixed_addr = set_addr("127.0.0.1", 9);
	else if (eng.cmd.net == ENGINE_NET_CONTAINER)
		eng.fixed_addr = inspect_address(ctx, eng.cmd.net_value);
	if (eng.cmd.net == ENGINE_NET_CONTAINER && !eng.fixed_addr) {
		fmt_snprintf(err, errsize, "--probe-port: container %s has no address here",
			     eng.cmd.net_value);
		return -1;
	}
	if (eng.fixed_addr && !cfg->probe_udp) {
		int fd = raw_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		eng.addr.sin_port = htons((uint16_t)cfg->probe_port);
		bool taken = fd >= 0 &&
			     connect(fd, (struct sockaddr *)&eng.addr, sizeof eng.addr) == 0;
		if (fd >= 0)
			close(fd);
		if (taken) {
			fmt_snprintf(err, errsize, "--probe-port: %s:%u answers before trial 1",
				     eng.addr_text, cfg->probe_port);
			return -1;
		}
	}
	return 0;
}

/* What the output says of where trials ran: the engine, and the two
 * sysctls as forced (or as the user set them). */
static void fill_facts(struct probe_facts *f)
{
	bool port_forced = eng.plan.force_sysctls && !eng.cmd.sysctl_port_given;
	bool ping_forced = eng.plan.force_sysctls && !eng.cmd.sysctl_ping_given;
	f->runtime = eng.cmd.engine;
	f->pid1 = f->file_caps = false;
	f->command_path[0] = '\0';
	f->no_new_privs = eng.plan.nnp;
	f->securebits = 0;
	f->sysctls_forced = port_forced && ping_forced;
	f->port_start = port_forced ? 1024 : eng.cmd.sysctl_port_given ? (int)eng.cmd.sysctl_port : -1;
	f->ping_known = ping_forced;
	f->ping_lo = 1;
	f->ping_hi = 0;
}

static int engine_setup(struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	const struct config *cfg = ctx->cfg;
	char *const *argv = cfg->command;
	*status = 2;
	memset(&eng, 0, sizeof eng);
	eng.watchdog_fd = -1;
	/* capinit's own spec and user are for a command it runs itself. */
	if (cfg->user.set || cfg->drop_set || cfg->add_set) {
		fmt_snprintf(err, errsize, "%s: not for trials through an engine (give the run "
					   "command's --user, --cap-add, --cap-drop)",
			     cfg->user.set ? cfg->user_source
			     : cfg->drop_set ? cfg->drop_source : cfg->add_source);
		return -1;
	}
	size_t argc = 0;
	while (argv[argc] != NULL)
		argc++;
	if (engine_cmd_parse(&eng.cmd, argv, argc, err, errsize) != 0)
		return -1;
	*status = 125;
	if (inspect_image(ctx, err, errsize) != 0)
		return -1;
	/* What the engine can grant: the kernel's capabilities, within this
	 * host's bounding set (runc fails on one outside it). */
	capmask all = capmask_first(ctx->rt->max_bits) & ctx->rt->bounding;
	*status = 2;
	if (engine_plan_make(&eng.cmd, &eng.img, argv, all, &eng.plan, ctx->target, err,
			     errsize) != 0)
		return -1;
	if (cfg->probe_port && port_setup(ctx, status, err, errsize) != 0)
		return -1;
	if (ctx->facts != NULL)
		fill_facts(ctx->facts);
	*status = 125;
	/* The check's credentials: capinit's uid, no capability (the bounding
	 * set emptied too, so a root uid gains nothing at execve),
	 * no_new_privs. */
	if (cfg->probe_check && probe_check_plan(ctx, true, &eng.check_plan, err, errsize) != 0)
		return -1;
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
	int out[2];
	if (raw_pipe2(out, O_CLOEXEC) != 0) {
		fmt_snprintf(err, errsize, "--probe: pipe: %s", strerror(errno));
		return -1;
	}
	/* The loop reads what is there after each wake-up. */
	(void)raw_set_nonblock(out[0]);
	/* Named to the watchdog before the container can exist. */
	watchdog_say('+', live->name);
	pending_set(live->name, true);
	pid_t pid = raw_fork();
	if (pid == 0)
		exec_client(ctx, words, out[1]);
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
	int fd = raw_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int bound = 0;
	if (connect(fd, (struct sockaddr *)&eng.addr, sizeof eng.addr) == 0) {
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
	int fd = raw_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int bound = 0;
	if (connect(fd, (struct sockaddr *)&eng.addr, sizeof eng.addr) == 0 &&
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
	eng.addr.sin_port = htons((uint16_t)cfg->probe_port);
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
	pid_t pid = raw_fork();
	if (pid != 0)
		return pid;
	/* The environment has no CAPINIT_* variable (config_child_env) but
	 * these two; the check's output goes to capinit's stderr. */
	char name_var[96], addr_var[96];
	fmt_snprintf(name_var, sizeof name_var, "CAPINIT_PROBE_CONTAINER=%s", live->name);
	fmt_snprintf(addr_var, sizeof addr_var, "CAPINIT_PROBE_ADDRESS=%s", eng.addr_text);
	const char *extra[] = {name_var, eng.addr_known ? addr_var : NULL};
	probe_exec_check(ctx, &eng.check_plan, extra, STDERR_FILENO);
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
	 * container: the engine would finish the creation after an rm -f that
	 * found nothing. rm -f, then a moment for the client to end (it does
	 * once its container is gone, or its creation failed), until the
	 * client has ended and the engine knows no container of that name (a
	 * client whose start failed can leave one created). */
	bool gone = false;
	long long give_up = now_us() + REMOVE_GIVE_UP_US;
	long long gap = 200000;
	for (;;) {
		remove_container(ctx, live->name);
		long long until = now_us() + gap;
		for (engine_collect(ctx, live); !eng.client_done && now_us() < until;
		     engine_collect(ctx, live))
			sleep_us(5000);
		if (eng.client_done && !container_exists(ctx, live->name)) {
			gone = true;
			break;
		}
		if (now_us() >= give_up)
			break;
		gap = gap * 2 > 1000000 ? 1000000 : gap * 2;
	}
	reap_client();
	live->main = 0;
	if (!gone) {
		fmt_snprintf(err, errsize,
			     "--probe: %s did not remove the trial's container %s within %lld s",
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
