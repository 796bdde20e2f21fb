/* A test driver for the probe's engine runner alone (init/probe_engine.c):
 * it calls the runner's operations in the order the oracle loop does, with
 * a minimal loop of its own, so that tests/engine can check the runner
 * against real engines: the rewritten command line, the port and check
 * oracles, and that no container is left on any way out.
 *
 *   engine-driver [--trial=LIST|none]... [CAPINIT FLAG]... -- docker run ... IMAGE ...
 *   engine-driver --search [CAPINIT FLAG]... -- docker run ... IMAGE ...
 *
 * --search runs the probe's own search (probe_search.c) over the target's
 * candidates (or --probe-candidates) with these trials, as the probe will
 * once its loop picks the engine runner, and prints
 *   result needed=LIST|- search=N confirm=N repeat=N step=found|none|unstable
 * The capinit flags go through config_parse() as capinit's own would
 * (--probe is implied). Output on stdout, one line each:
 *   setup status=N ...target and facts...      (or: setup-failed status=N err=...)
 *   started N NAME                             (when a trial's client runs)
 *   trial N name=NAME set=LIST works=0|1 why=... exit=N last=...
 * A SIGINT, SIGTERM or SIGHUP stops the trial and exits 128+S after
 * stop() and finish(), as the probe does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ksig.h"
#include "log.h"
#include "privilege.h"
#include "probe_runner.h"
#include "probe_search.h"

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void names(capmask m, char *buf, size_t size)
{
	capmask_format(m, ",", buf, size);
}

/* The last non-empty line of the client's output. */
static char last[512], cur[512];
static size_t curlen;

static void feed(int fd)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if (curlen) {
					memcpy(last, cur, curlen);
					last[curlen] = '\0';
				}
				curlen = 0;
			} else if (curlen + 1 < sizeof cur && buf[i] != '\r') {
				cur[curlen++] = buf[i];
			}
		}
	}
}

static bool last_works;

static int run_trial(struct probe_ctx *ctx, unsigned number, capmask set, bool userns,
		     char *err, size_t errsize)
{
	const struct config *cfg = ctx->cfg;
	struct probe_live live;
	memset(&live, 0, sizeof live);
	live.set = set;
	live.userns = userns;
	live.exec_fd = live.out_fd = live.event_fd = live.aux_fd = -1;
	live.started_us = now();
	last[0] = '\0';
	curlen = 0;
	if (ctx->runner->start(ctx, &live, err, errsize) != 0)
		return -1;
	printf("started %u %s\n", number, live.name);
	fflush(stdout);
	long long deadline = live.started_us + ctx->timeout_us;
	bool port_ok = cfg->probe_port == 0, works = false;
	char why[128] = "";
	long long next_check = 0;
	for (;;) {
		struct signalfd_siginfo si[8];
		ssize_t n;
		while ((n = read(ctx->sfd, si, sizeof si)) > 0)
			for (ssize_t i = 0; i < n / (ssize_t)sizeof si[0]; i++)
				if (si[i].ssi_signo != SIGCHLD)
					live.stop_signal = (int)si[i].ssi_signo;
		if (live.out_fd >= 0)
			feed(live.out_fd);
		ctx->runner->collect(ctx, &live);
		if (live.stop_signal)
			break;
		if (live.app_done) {
			int st = live.app_status;
			int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			works = code == 0 && !cfg->probe_port && !cfg->probe_check;
			snprintf(why, sizeof why, "exited-%d", code);
			break;
		}
		if (now() >= deadline) {
			snprintf(why, sizeof why, "timeout");
			break;
		}
		if (!port_ok) {
			port_ok = ctx->runner->port_bound(ctx, &live) > 0;
			if (port_ok && !cfg->probe_check) {
				works = true;
				snprintf(why, sizeof why, "listening");
				break;
			}
		}
		if (port_ok && cfg->probe_check) {
			if (live.check_done) {
				bool passed = WIFEXITED(live.check_status) &&
					      WEXITSTATUS(live.check_status) == 0;
				live.check_done = false;
				live.check = 0;
				if (passed) {
					works = true;
					snprintf(why, sizeof why, "check-passed");
					break;
				}
				next_check = now() + 200000;
			}
			if (live.check == 0 && now() >= next_check)
				live.check = ctx->runner->start_check(ctx, &live);
		}
		struct pollfd pfd[2] = {{.fd = ctx->sfd, .events = POLLIN},
					{.fd = live.out_fd, .events = POLLIN}};
		(void)poll(pfd, live.out_fd >= 0 ? 2 : 1, 50);
	}
	if (live.check > 0) {
		(void)kill(-live.check, SIGKILL);
		(void)waitpid(live.check, NULL, 0);
	}
	int stopped = ctx->runner->stop(ctx, &live, err, errsize);
	if (live.out_fd >= 0) {
		feed(live.out_fd);
		close(live.out_fd);
	}
	if (curlen) {
		memcpy(last, cur, curlen);
		last[curlen] = '\0';
	}
	char list[1024];
	names(set, list, sizeof list);
	int code = live.app_done ? (WIFEXITED(live.app_status) ? WEXITSTATUS(live.app_status)
							       : 128 + WTERMSIG(live.app_status))
				 : -1;
	last_works = works;
	printf("trial %u name=%s set=%s works=%d why=%s exit=%d last=%s\n", number, live.name, list,
	       works, live.stop_signal ? "stopped" : why, code, last);
	fflush(stdout);
	if (stopped != 0)
		return -1;
	return live.stop_signal;
}

int main(int argc, char **argv, char **envp)
{
	ksigmask original = 0;
	(void)ksig_block(ksig_all_catchable(), &original);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	static capmask sets[64];
	static bool userns[64];
	size_t nsets = 0;
	int first = 1;
	bool search = argc > 1 && strcmp(argv[1], "--search") == 0;
	first += search;
	for (; first < argc && strncmp(argv[first], "--trial", 7) == 0 && nsets < 64; first++) {
		const char *v = strchr(argv[first], '=');
		userns[nsets] = strncmp(argv[first], "--trial-userns", 14) == 0;
		capmask m = 0;
		bool all;
		char e[256];
		if (v && strcmp(v + 1, "none") != 0 &&
		    caplist_parse(v + 1, "--trial", false, &m, &all, e, sizeof e) != 0) {
			fprintf(stderr, "%s\n", e);
			return 2;
		}
		sets[nsets++] = m;
	}
	/* capinit --probe FLAGS... -- COMMAND */
	static char *cargv[1024];
	int cargc = 0;
	cargv[cargc++] = "capinit";
	cargv[cargc++] = "--probe";
	for (int i = first; i < argc && cargc < 1023; i++)
		cargv[cargc++] = argv[i];
	cargv[cargc] = NULL;

	static struct runtime rt;
	if (privilege_read_runtime(&rt) != 0)
		return 125;
	static struct config cfg;
	struct config_error cerr;
	if (config_parse(&cfg, cargc, cargv, envp, &cerr) != 0) {
		printf("setup-failed status=%d err=%s\n", cerr.status, cerr.msg);
		return cerr.status;
	}
	log_set_level(cfg.verbose);
	size_t count = 0;
	for (char **e = envp; *e; e++)
		count++;
	char **child_env = calloc(count + 2, sizeof *child_env);
	config_child_env(envp, NULL, child_env);

	ksigmask want = KSIG_BIT(SIGCHLD) | KSIG_BIT(SIGINT) | KSIG_BIT(SIGTERM) |
			KSIG_BIT(SIGHUP) | KSIG_BIT(SIGQUIT);
	int sfd = ksig_signalfd(want);
	(void)fcntl(sfd, F_SETFL, O_NONBLOCK);

	static struct probe_facts facts;
	static struct probe_target target;
	facts.port_start = -1;
	struct probe_ctx ctx = {.cfg = &cfg, .rt = &rt, .child_env = child_env,
				.original = original, .sfd = sfd,
				.timeout_us = (long long)cfg.probe_timeout_ms * 1000,
				.facts = &facts, .target = &target,
				.runner = &probe_runner_engine};
	char err[512];
	int status = 0;
	if (ctx.runner->setup(&ctx, &status, err, sizeof err) != 0) {
		printf("setup-failed status=%d err=%s\n", status, err);
		ctx.runner->finish(&ctx);
		return status;
	}
	char cand[1024], spec[1024];
	names(target.default_candidates, cand, sizeof cand);
	names(target.spec, spec, sizeof spec);
	printf("setup status=0 engine=%s image=%s capinit=%d switch=%d app_root=%d user=%s "
	       "candidates=%s spec_given=%d spec=%s nnp=%d runtime=%s sysctls_forced=%d "
	       "port_start=%d\n",
	       target.engine, target.image, target.capinit_in_image, target.switch_user,
	       target.app_root, target.user_spec, cand, target.spec_given, spec,
	       target.no_new_privs, facts.runtime, facts.sysctls_forced, facts.port_start);
	fflush(stdout);
	int rc = 0;
	if (search) {
		static struct probe_search ps;
		probe_search_init(&ps, cfg.probe_candidates_given && !cfg.probe_candidates_all
					       ? cfg.probe_candidates
					       : target.default_candidates,
				  cfg.probe_repeat);
		capmask set;
		enum probe_kind kind;
		enum probe_step step;
		unsigned number = 0;
		while ((step = probe_search_next(&ps, &set, &kind)) == PROBE_TRY) {
			int r = run_trial(&ctx, ++number, set, false, err, sizeof err);
			if (r != 0) {
				rc = r < 0 ? 125 : 128 + r;
				break;
			}
			probe_search_record(&ps, last_works);
		}
		if (rc == 0) {
			char list[1024];
			names(ps.result, list, sizeof list);
			printf("result needed=%s search=%u confirm=%u repeat=%u step=%s\n",
			       step == PROBE_FOUND ? list : "-", ps.trials[PROBE_KIND_SEARCH],
			       ps.trials[PROBE_KIND_CONFIRM], ps.trials[PROBE_KIND_REPEAT],
			       step == PROBE_FOUND ? "found" : step == PROBE_NONE ? "none" : "unstable");
		}
		nsets = 0;
	}
	for (size_t i = 0; i < nsets; i++) {
		int r = run_trial(&ctx, (unsigned)i + 1, sets[i], userns[i], err, sizeof err);
		if (r < 0) {
			printf("error %s\n", err);
			rc = 125;
			break;
		}
		if (r > 0) {
			rc = 128 + r;
			break;
		}
	}
	ctx.runner->finish(&ctx);
	ctx.runner->finish(&ctx); /* idempotent */
	printf("finished\n");
	return rc;
}
