/* capinit: glue only. environment + argv -> config -> plan -> fork ->
 * (child: apply, verify, execve | parent: drop own privilege, supervise). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "fmt.h"
#include "ksig.h"
#include "log.h"
#include "plan.h"
#include "privilege.h"
#include "probe.h"
#include "report.h"
#include "supervise.h"
#include "user.h"

#ifndef PROGRAM_VERSION
#define PROGRAM_VERSION "0.2.0"
#endif
#ifndef PROGRAM_COMMIT
#define PROGRAM_COMMIT "unknown"
#endif

static const char usage_text[] =
	"Usage: capinit [OPTION]... [--] COMMAND [ARG]...\n"
	"Drop capabilities, optionally switch user, set no_new_privs, then run COMMAND\n"
	"as PID 1: forward signals to it, reap zombies, pass its exit status on.\n"
	"\n"
	"Capability spec (each flag wins over its variable):\n"
	"  --cap-drop=LIST      CAPINIT_CAP_DROP      capabilities to remove; ALL = every one\n"
	"  --cap-add=LIST       CAPINIT_CAP_ADD       capabilities to keep or add back\n"
	"  --user=USER[:GROUP]  CAPINIT_USER          run COMMAND as this user (name or id)\n"
	"  --no-new-privs=BOOL  CAPINIT_NO_NEW_PRIVS  set no_new_privs (default 1)\n"
	"Supervision:\n"
	"  --grace=SECONDS      CAPINIT_GRACE         PID 1: wait for the rest after the child\n"
	"                                             exits (default 5; 0 = leave at once)\n"
	"  -g, --kill-group     CAPINIT_KILL_GROUP=1  forward signals to the child's group\n"
	"  -v, --verbose        CAPINIT_VERBOSE=N     more messages (0-3, repeatable flag)\n"
	"  --print              CAPINIT_PRINT=1       print the plan and exit\n"
	"Finding the smallest set (see the README, \"Find what your app needs\"):\n"
	"  --probe              CAPINIT_PROBE=1       run COMMAND in trials, print what it needs\n"
	"  --probe-port=PORT    CAPINIT_PROBE_PORT    works = listens on TCP PORT\n"
	"  --probe-check=CMD    CAPINIT_PROBE_CHECK   works = sh -c CMD exits 0 while it runs\n"
	"  --probe-timeout=S    CAPINIT_PROBE_TIMEOUT per trial (default 10)\n"
	"  --probe-repeat=N     CAPINIT_PROBE_REPEAT  re-runs of the result (default 2)\n"
	"  --probe-json         CAPINIT_PROBE_JSON=1  the result as one JSON object\n"
	"  -h, --help                                 this text\n"
	"  --version, -V                              the version\n"
	"tini compatibility: -s (subreaper, TINI_SUBREAPER), -p SIGNAL (parent-death\n"
	"  signal), -w (warn on reaping), -e CODE (map exit code to 0), -l (license),\n"
	"  TINI_VERBOSITY, TINI_KILL_PROCESS_GROUP.\n"
	"dumb-init compatibility: -c/--single-child (no setsid), -r/--rewrite S:R\n"
	"  (R=0 drops S), DUMB_INIT_SETSID, DUMB_INIT_DEBUG.\n"
	"LIST: names separated by commas and/or spaces, any case, CAP_ optional.\n"
	"Exit status: the child's, 128+S if killed by signal S, 2 invalid spec or\n"
	"command line, 125 spec cannot be applied or child not started, 126 COMMAND\n"
	"not executable, 127 COMMAND not found.\n";

static const char license_text[] =
	"capinit is free software under the MIT license.\n"
	"Copyright (c) 2026 the capinit authors.\n";

/* Zero-initialised so its 4 kB buffer costs nothing in the binary; the
 * descriptor is set first thing in main. */
static struct outbuf out;

static int informational(const struct config *cfg)
{
	switch (cfg->action) {
	case ACTION_HELP:
		out_puts(&out, usage_text);
		break;
	case ACTION_VERSION:
		out_puts(&out, "capinit " PROGRAM_VERSION " (commit " PROGRAM_COMMIT ")\n");
		break;
	case ACTION_LICENSE:
		out_puts(&out, license_text);
		break;
	case ACTION_RUN:
		break;
	}
	return out_flush(&out) == 0 ? 0 : 125;
}

static void warn_about_plan(const struct plan *plan)
{
	if (plan->unsupported_drops) {
		char names[256];
		capmask_format(plan->unsupported_drops, ",", names, sizeof names);
		log_warn("warning: CAPINIT_CAP_DROP: %s not supported by this kernel, nothing to "
			  "drop",
			  names);
	}
	if (plan->bounding_kept_warning)
		log_info("no CAP_SETPCAP: bounding set left as handed over (the child is "
			 "non-root under no_new_privs, so it cannot regain anything)");
	if (plan->cannot_signal_child)
		log_warn("warning: the runtime did not grant CAP_KILL, so signals (docker stop, "
			 "Ctrl-C) cannot reach the app running as uid %u: grant KILL (Docker's "
			 "default; securityContext.capabilities.add: [KILL])",
			 (unsigned)plan->uid);
	if (plan->nnp_forced_by_runtime)
		log_info("no_new_privs was already set by the runtime and stays set");
	/* Where the spec adds it; an app that merely keeps what the runtime
	 * gave is shown by --print. */
	if (plan->ptrace_added)
		log_warn("warning: the app gets CAP_SYS_PTRACE, which overrides capinit's "
			 "non-dumpable flag: it can attach to capinit (PID 1) and read its "
			 "memory, /proc/1/environ and /proc/1/fd");
}

int main(int argc, char **argv, char **envp)
{
	/* First of all, so that a signal sent during start-up neither kills
	 * capinit nor is lost: it waits, blocked, until the child exists. */
	ksigmask original_mask = 0;
	(void)ksig_block(ksig_all_catchable(), &original_mask);

	/* Set-uid, set-gid or file capabilities: whoever runs capinit controls
	 * its environment, which is its configuration. */
	if (getauxval(AT_SECURE)) {
		log_error("refusing to run set-uid, set-gid or with file capabilities: capinit is "
			  "configured by its environment, which its caller controls");
		return 125;
	}
	/* Non-dumpable: an app whose capabilities include capinit's cannot
	 * ptrace it or read /proc/1/environ and /proc/1/fd (CAP_SYS_PTRACE
	 * overrides this; the plan warns about it). */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	struct runtime rt;
	if (privilege_read_runtime(&rt) != 0) {
		log_error("cannot read capinit's own credentials: %s", strerror(errno));
		return 125;
	}
	/* A signal the caller ignored would be discarded instead of waiting
	 * in the signalfd (an ignored SIGCHLD would even make the kernel reap
	 * the child behind capinit's back), and the child is to start with
	 * every disposition at its default, as runc gives a first process. */
	if (rt.sig_ign && ksig_set_default(rt.sig_ign) != 0)
		log_debug("could not reset every ignored signal: %s", strerror(errno));

	struct config cfg;
	struct config_error cerr;
	if (config_parse(&cfg, argc, argv, envp, &cerr) != 0) {
		log_error("%s", cerr.msg);
		return cerr.status;
	}
	log_set_level(cfg.verbose);
	/* Where the originals print: tini its info and debug lines on stdout,
	 * dumb-init its help and version on stderr. */
	if (cfg.personality == PERSONALITY_TINI)
		log_set_info_fd(STDOUT_FILENO);
	out.fd = cfg.personality == PERSONALITY_DUMB_INIT && cfg.action != ACTION_LICENSE
			 ? STDERR_FILENO
			 : STDOUT_FILENO;
	if (cfg.action != ACTION_RUN)
		return informational(&cfg);

	static struct user_ids ids; /* large: keep it off the stack */
	char err[512];
	if (cfg.user.set) {
		if (user_resolve(&cfg.user, &cfg.group, cfg.user_source, "/etc/passwd", "/etc/group", &ids,
				 err, sizeof err) != 0) {
			log_error("%s", err);
			return 2;
		}
	}

	static struct plan plan;
	if (plan_make(&cfg, cfg.user.set ? &ids : NULL, &rt, &plan, err, sizeof err) != 0) {
		log_error("%s", err);
		return 125;
	}
	warn_about_plan(&plan);
	if (cfg.print) {
		report_plan(&out, &cfg, &plan, &rt);
		return out_flush(&out) == 0 ? 0 : 125;
	}

	size_t count = 0;
	for (char **e = envp; *e; e++)
		count++;
	/* On the stack: the environment is bounded by the kernel's argument
	 * limit, and no allocator is linked in for this one array. */
	char *child_env[count + 2];
	config_child_env(envp, plan.home_env, child_env);
	if (cfg.probe)
		return probe_main(&cfg, cfg.user.set ? &ids : NULL, &rt, &plan, child_env,
				  original_mask);
	return supervise_run(&cfg, &plan, &rt, child_env, original_mask);
}
