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
#include "personality.h"
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

/* Where the originals print help, version and --print (dumb-init: stderr). */
static int text_fd(const struct config *cfg)
{
	return cfg->action == ACTION_LICENSE ? STDOUT_FILENO
					     : persona_get(cfg->personality)->text_fd;
}

/* --help, --version, -l: the personality's texts. Cold and never inlined,
 * like print_plan: their 8 kB of buffers then live on their own frames, not
 * on main's, which every start touches (a page fault per 4 kB of stack). */
static __attribute__((noinline, cold)) int informational(const struct config *cfg)
{
	struct outbuf out = {.fd = text_fd(cfg)};
	char text[4096];
	switch (cfg->action) {
	case ACTION_HELP:
		persona_help(cfg->personality, PROGRAM_VERSION, PROGRAM_COMMIT, text, sizeof text);
		out_puts(&out, text);
		break;
	case ACTION_VERSION:
		persona_version(cfg->personality, PROGRAM_VERSION, PROGRAM_COMMIT, text,
				sizeof text);
		out_puts(&out, text);
		break;
	case ACTION_LICENSE:
		out_puts(&out, persona_license());
		break;
	case ACTION_RUN:
		break;
	}
	return out_flush(&out) == 0 ? 0 : 125;
}

/* --print: the plan, instead of running it. */
static __attribute__((noinline, cold)) int print_plan(const struct config *cfg,
						       const struct plan *plan,
						       const struct runtime *rt)
{
	struct outbuf out = {.fd = text_fd(cfg)};
	report_plan(&out, cfg, plan, rt);
	return out_flush(&out) == 0 ? 0 : 125;
}

static void warn_about_plan(const struct config *cfg, const struct plan *plan)
{
	if (plan->unsupported_drops) {
		char names[256];
		capmask_format(plan->unsupported_drops, ",", names, sizeof names);
		log_warn("warning: CAPINIT_CAP_DROP: %s not supported by this kernel, nothing to "
			  "drop",
			  names);
	}
	if (plan->bounding_kept_warning)
		log_info("no CAP_SETPCAP: bounding set left as handed over (safe: the child is "
			 "non-root under no_new_privs)");
	if (plan->cannot_signal_child)
		log_warn("warning: no CAP_KILL: signals cannot reach the app running as uid %u; "
			 "grant KILL (Docker's default)",
			 (unsigned)plan->uid);
	if (plan->nnp_forced_by_runtime)
		log_info("no_new_privs was already set by the runtime and stays set");
	/* Where the spec adds it; an app that merely keeps what the runtime
	 * gave is shown by --print. */
	if (plan->ptrace_added)
		log_warn("warning: the app gets CAP_SYS_PTRACE: it can attach to capinit (PID 1) "
			 "and read its memory");
	/* Measured on Linux 6.18: the non-dumpable flag does not keep an app
	 * with CAP_SYS_ADMIN from capinit's /proc/1/maps, nor a root one from
	 * /proc/1/environ. */
	if (plan->sys_admin_added)
		log_warn("warning: the app gets CAP_SYS_ADMIN: it can read capinit's "
			 "/proc/1/environ (as root) and /proc/1/maps");
	if (plan->named_user_is_root)
		log_warn("warning: %s: '%s' is uid 0 in the image's /etc/passwd: the app runs as "
			 "root",
			 cfg->user_source, cfg->user.name);
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
		log_error("refusing to run set-uid, set-gid or with file capabilities: its "
			  "configuration is its caller's environment");
		return 125;
	}
	/* Non-dumpable: an app whose capabilities include capinit's cannot
	 * ptrace it or read /proc/1/environ and /proc/1/fd (CAP_SYS_PTRACE
	 * overrides this, and CAP_SYS_ADMIN for /proc/1/environ; the plan
	 * warns about both). */
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
	log_set_personality(personality_from_argv0(argc > 0 ? argv[0] : NULL));
	if (config_parse(&cfg, argc, argv, envp, &cerr) != 0) {
		if (cerr.raw) {
			ssize_t w = write(STDERR_FILENO, cerr.msg, strlen(cerr.msg));
			(void)w; /* nobody to tell if stderr is gone */
		} else
			log_error("%s", cerr.msg);
		return cerr.status;
	}
	log_set_level(cfg.verbose);
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
	warn_about_plan(&cfg, &plan);
	if (cfg.print)
		return print_plan(&cfg, &plan, &rt);

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
