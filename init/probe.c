/* --probe and --probe-verify: which runner, which trials, what they mean.
 *
 * The search (probe_search.c) or the verification asks for sets; every set
 * is one trial, run by the runner chosen here (probe_runner.h) and judged
 * by the shared oracles (probe_oracle.c); what the trials showed goes to
 * the output (probe_report.c). This file decides what a result is: the set
 * that the trials showed, made portable where a fact of this place hid a
 * need, with the trial that is the evidence for each member. */
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "probe_oracle.h"
#include "probe_port.h"
#include "probe_report.h"
#include "probe_search.h"
#include "rawsys.h"

/* Zero-initialised (fd 1 is set in probe_main) so its buffer costs nothing
 * in the binary. */
static struct outbuf out;

struct probe_run {
	struct probe_ctx ctx;
	struct probe_trial *trials; /* mmap'd: a normal start never pays for it */
	size_t ntrials;
	unsigned counts[PROBE_KIND_COUNT];
	capmask base;    /* what progress lines show removals from */
	int stopped_by;  /* a signal asked the probe to stop */
	bool failed;     /* trials cannot be run here (exit 125) */
};

static bool is_engine(char *const *command)
{
	if (command == NULL || command[0] == NULL || command[1] == NULL)
		return false;
	const char *slash = strrchr(command[0], '/');
	const char *name = slash ? slash + 1 : command[0];
	return (strcmp(name, "docker") == 0 || strcmp(name, "podman") == 0) &&
	       strcmp(command[1], "run") == 0;
}

/* One trial; NULL when the probe must stop (r->stopped_by, r->failed). */
static struct probe_trial *trial(struct probe_run *r, capmask set, enum probe_kind kind,
				 bool userns)
{
	if (r->ntrials >= PROBE_MAX_TRIALS) {
		log_error("probe: more than %d trials; stopping", PROBE_MAX_TRIALS);
		r->failed = true;
		return NULL;
	}
	struct probe_trial *t = &r->trials[r->ntrials];
	memset(t, 0, sizeof *t);
	t->set = set;
	t->kind = kind;
	t->userns = userns;
	char err[512];
	int rc = probe_oracle_run(&r->ctx, t, err, sizeof err);
	if (rc < 0) {
		log_error("%s", err);
		r->failed = true;
		return NULL;
	}
	r->ntrials++;
	r->counts[kind]++;
	char line[512];
	probe_report_progress(line, sizeof line, r->ntrials, t, r->base, r->ctx.cfg->command[0]);
	log_warn("%s", line);
	if (rc > 0) {
		r->stopped_by = rc;
		return NULL;
	}
	return t;
}

/* The trial that shows `bit` needed in `set`: set − bit, run, failed. */
static int evidence_of(const struct probe_run *r, capmask set, int bit, bool userns)
{
	for (size_t i = r->ntrials; i-- > 0;)
		if (r->trials[i].set == (set & ~CAPMASK_BIT(bit)) && !r->trials[i].works &&
		    r->trials[i].userns == userns)
			return (int)i;
	return -1;
}

static void fill_evidence(const struct probe_run *r, struct probe_result *res, capmask set,
			  bool userns)
{
	for (int bit = 0; bit < 64; bit++)
		res->evidence[bit] = (set & CAPMASK_BIT(bit)) ? evidence_of(r, set, bit, userns) : -1;
}

/* A port below 1024 that anyone may bind here (Docker's and containerd's
 * ip_unprivileged_port_start=0) needs NET_BIND_SERVICE on a node that
 * keeps the kernel's default, which no trial here can show. */
static capmask portability(const struct probe_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	return probe_facts_port_free_here(ctx->facts, cfg->probe_port)
		       ? CAPMASK_BIT(CAP_NET_BIND_SERVICE)
		       : 0;
}

/* ---- --probe --------------------------------------------------------------- */

static bool guard_on(const struct config *cfg, capmask set)
{
	return !cfg->userns && !(set & CAPMASK_BIT(CAP_SYS_ADMIN));
}

/* One search; false when the probe must stop, else *step is how it ended. */
static bool search(struct probe_run *r, struct probe_search *s, capmask candidates, bool *userns,
		   enum probe_step *step)
{
	const struct config *cfg = r->ctx.cfg;
	probe_search_init(s, candidates, cfg->probe_repeat);
	capmask set;
	enum probe_kind kind;
	while ((*step = probe_search_next(s, &set, &kind)) == PROBE_TRY) {
		bool first = s->total == 0;
		struct probe_trial *t = trial(r, set, kind, *userns);
		if (t == NULL)
			return false;
		bool works = t->works;
		/* Trial 1 failed under the user-namespace guard: does the app
		 * need user namespaces rather than capabilities? (Not asked of
		 * an app that could not start or left daemons behind.) */
		bool may_be_userns = t->reason == PROBE_R_EXITED || t->reason == PROBE_R_SIGNALED ||
				     t->reason == PROBE_R_TIMEOUT;
		if (first && !works && may_be_userns && !*userns && guard_on(cfg, set)) {
			t = trial(r, set, PROBE_KIND_USERNS, true);
			if (t == NULL)
				return false;
			if (t->works)
				*userns = works = true;
		}
		probe_search_record(s, works);
	}
	return true;
}

static int run_search(struct probe_run *r, struct probe_result *res, capmask candidates)
{
	const struct config *cfg = r->ctx.cfg;
	static struct probe_search s;
	/* CAPINIT_USERNS=1 given: every trial as production would run then. */
	bool userns = cfg->userns;
	enum probe_step step;
	r->base = candidates;
	if (!search(r, &s, candidates, &userns, &step))
		return -1;
	/* SYS_ADMIN found needed where the guard was off because of it: maybe
	 * the app needs user namespaces, not SYS_ADMIN. */
	if (step == PROBE_FOUND && (s.result & CAPMASK_BIT(CAP_SYS_ADMIN)) && !userns &&
	    !cfg->userns) {
		capmask without = s.result & ~CAPMASK_BIT(CAP_SYS_ADMIN);
		struct probe_trial *t = trial(r, without, PROBE_KIND_USERNS, true);
		if (t == NULL)
			return -1;
		if (t->works) {
			userns = true;
			r->base = candidates & ~CAPMASK_BIT(CAP_SYS_ADMIN);
			if (!search(r, &s, r->base, &userns, &step))
				return -1;
		}
	}
	res->candidates = candidates;
	res->redone = s.redone;
	res->userns_needed = userns && !cfg->userns;
	if (step != PROBE_FOUND) {
		res->outcome = step == PROBE_UNSTABLE ? PROBE_OUT_UNSTABLE : PROBE_OUT_NONE;
		res->why = s.why;
		res->needed = res->portable = 0;
		return 0;
	}
	res->outcome = PROBE_OUT_FOUND;
	res->needed = s.result;
	res->portable_added = portability(&r->ctx) & ~s.result;
	res->portable = s.result | res->portable_added;
	fill_evidence(r, res, s.result, userns);
	return 0;
}

/* ---- --probe-verify ---------------------------------------------------------- */

static int run_verify(struct probe_run *r, struct probe_result *res, capmask set)
{
	const struct config *cfg = r->ctx.cfg;
	r->base = set;
	res->verify_set = set;
	res->needed = set;
	/* The production spec as it is, the user-namespace guard as
	 * CAPINIT_USERNS says: a gate runs exactly 1 + |SET| + repeats trials,
	 * so no trial with user namespaces allowed is added to explain a
	 * failure (--probe does that). */
	bool userns = cfg->userns;
	struct probe_trial *t = trial(r, set, PROBE_KIND_VERIFY, userns);
	if (t == NULL)
		return -1;
	capmask portable_need = portability(&r->ctx);
	res->portable_added = portable_need & ~set;
	if (!t->works || res->portable_added) {
		res->outcome = PROBE_OUT_INSUFFICIENT;
		res->why = !t->works ? t->why : "a standard node needs more than this place";
		res->portable = set | res->portable_added;
		fill_evidence(r, res, 0, false);
		return 0;
	}
	for (int bit = 0; bit < 64; bit++) {
		if (!(set & CAPMASK_BIT(bit)))
			continue;
		t = trial(r, set & ~CAPMASK_BIT(bit), PROBE_KIND_VERIFY, userns);
		if (t == NULL)
			return -1;
		/* Needed for portability although a trial here cannot show it. */
		if (t->works && !(portable_need & CAPMASK_BIT(bit)))
			res->not_needed |= CAPMASK_BIT(bit);
	}
	for (unsigned i = 0; i < cfg->probe_repeat; i++) {
		t = trial(r, set, PROBE_KIND_REPEAT, userns);
		if (t == NULL)
			return -1;
		if (!t->works) {
			res->outcome = PROBE_OUT_INSUFFICIENT;
			res->why = "SET failed when run again (a flaky app, or files that persist)";
			res->portable = set;
			fill_evidence(r, res, 0, false);
			return 0;
		}
	}
	res->portable = set;
	fill_evidence(r, res, set, userns);
	if (res->not_needed == 0) {
		res->outcome = PROBE_OUT_VERIFIED;
		return 0;
	}
	res->outcome = PROBE_OUT_NOT_MINIMAL;
	res->smaller = set & ~res->not_needed;
	capmask one = res->not_needed & (res->not_needed - 1);
	if (one == 0) {
		res->smaller_works = true; /* that very trial worked */
		return 0;
	}
	t = trial(r, res->smaller, PROBE_KIND_VERIFY, userns);
	if (t == NULL)
		return -1;
	res->smaller_works = t->works;
	return 0;
}

/* ---- setting up ---------------------------------------------------------- */

static void format_user(const struct config *cfg, char *buf, size_t size)
{
	char u[ID_NAME_MAX + 12], g[ID_NAME_MAX + 12];
	if (cfg->user.numeric)
		fmt_snprintf(u, sizeof u, "%u", (unsigned)cfg->user.id);
	else
		fmt_snprintf(u, sizeof u, "%s", cfg->user.name);
	if (!cfg->group.set)
		g[0] = '\0';
	else if (cfg->group.numeric)
		fmt_snprintf(g, sizeof g, ":%u", (unsigned)cfg->group.id);
	else
		fmt_snprintf(g, sizeof g, ":%s", cfg->group.name);
	fmt_snprintf(buf, size, "%s%s", u, g);
}

/* In process: capinit in the image runs the app, as the user plan says. */
static void target_in_process(struct probe_target *tg, const struct config *cfg,
			      const struct plan *p)
{
	memset(tg, 0, sizeof *tg);
	/* B' = (DROP is ALL ? ∅ : H − DROP) ∪ ADD: probing within a narrower set. */
	tg->default_candidates = p->spec_given ? (cfg->drop_all ? 0 : p->handed & ~cfg->drop) | cfg->add
					       : p->handed;
	tg->spec_given = p->spec_given;
	tg->spec = p->permitted;
	tg->capinit_in_image = true;
	tg->switch_user = p->switch_user || p->already_user;
	tg->app_root = p->child_root;
	tg->uid = p->uid;
	tg->gid = p->gid;
	if (cfg->user.set)
		format_user(cfg, tg->user_spec, sizeof tg->user_spec);
	tg->no_new_privs = p->no_new_privs;
}

static int candidates_for(const struct probe_run *r, capmask *result)
{
	const struct config *cfg = r->ctx.cfg;
	capmask avail = r->ctx.target->default_candidates;
	if (!cfg->probe_candidates_given || cfg->probe_candidates_all) {
		*result = avail;
		return 0;
	}
	capmask extra = cfg->probe_candidates & ~avail;
	if (extra && !r->ctx.target->engine) {
		char names[512];
		capmask_format(extra, ",", names, sizeof names);
		log_error("--probe-candidates: %s not granted by the container runtime: grant it "
			  "there (docker run --cap-add=...)",
			  names);
		return -1;
	}
	*result = cfg->probe_candidates;
	return 0;
}

/* Checks before trial 1 that would make every trial meaningless. */
static int preflight(struct probe_run *r, capmask candidates, int *status)
{
	const struct config *cfg = r->ctx.cfg;
	const struct probe_facts *f = r->ctx.facts;
	if (cfg->probe_port && !r->ctx.target->engine) {
		int taken = probe_port_bound(cfg->probe_port, cfg->probe_udp, NULL);
		if (taken != 0) {
			*status = 2;
			if (taken < 0)
				log_error("--probe-port: no /proc/net to read: mount /proc, or use "
					  "--probe-check");
			else
				log_error("--probe-port: %u/%s is already taken by a process outside the "
					  "probe: free it or probe another port",
					  cfg->probe_port, cfg->probe_udp ? "udp" : "tcp");
			return -1;
		}
	}
	capmask outside = f->file_permitted & ~candidates;
	if (f->file_caps && f->file_effective && outside) {
		char names[256];
		capmask_format(outside, ",", names, sizeof names);
		*status = 125;
		log_error("probe: %s carries file capabilities %s (security.capability) that no "
			  "trial may hold: its execve fails (EPERM) without them; grant them (docker "
			  "run --cap-add=%s) or remove them (setcap -r %s)",
			  f->command_path, names, names, f->command_path);
		return -1;
	}
	return 0;
}

static void setup_signals(struct probe_ctx *ctx)
{
	ksigmask set = KSIG_BIT(SIGCHLD) | KSIG_BIT(SIGINT) | KSIG_BIT(SIGTERM) |
		       KSIG_BIT(SIGHUP) | KSIG_BIT(SIGQUIT);
	ctx->sfd = ksig_signalfd(set);
	if (ctx->sfd >= 0)
		(void)raw_set_nonblock(ctx->sfd);
}

static int exit_status(const struct probe_result *res)
{
	return res->outcome == PROBE_OUT_FOUND || res->outcome == PROBE_OUT_VERIFIED ? 0 : 1;
}

int probe_main(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	       const struct plan *user_plan, char **child_env, ksigmask original_mask)
{
	out.fd = STDOUT_FILENO;
	if (cfg->probe_from_env)
		log_warn("probe: started by a CAPINIT_PROBE variable: not a normal run, COMMAND "
			 "runs in trials while capinit keeps its own capabilities");
	static struct probe_run r;
	static struct probe_facts facts;
	static struct probe_target target;
	static struct probe_result res;
	r.ctx = (struct probe_ctx){.cfg = cfg, .ids = ids, .rt = rt, .child_env = child_env,
				   .original = original_mask, .sfd = -1,
				   .timeout_us = (long long)cfg->probe_timeout_ms * 1000,
				   .facts = &facts, .target = &target};
	setup_signals(&r.ctx);
	if (r.ctx.sfd < 0) {
		log_error("--probe: cannot set up signal handling: %s", strerror(errno));
		return 125;
	}
	bool engine = is_engine(cfg->command);
	if (engine) {
		r.ctx.runner = &probe_runner_engine;
	} else {
		probe_facts_read(&facts, cfg, rt, child_env);
		target_in_process(&target, cfg, user_plan);
		r.ctx.runner = (rt->effective & CAPMASK_BIT(CAP_SYS_ADMIN)) ? &probe_runner_sandbox
									   : &probe_runner_inplace;
	}
	int status = 125;
	char err[512];
	if (r.ctx.runner->setup(&r.ctx, &status, err, sizeof err) != 0) {
		log_error("%s", err);
		return status;
	}
	size_t bytes = PROBE_MAX_TRIALS * sizeof(struct probe_trial);
	r.trials = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.trials == MAP_FAILED) {
		log_error("--probe: no memory for the trials: %s", strerror(errno));
		r.ctx.runner->finish(&r.ctx);
		return 125;
	}
	capmask candidates = 0;
	status = 125;
	if (candidates_for(&r, &candidates) != 0 || preflight(&r, candidates, &status) != 0) {
		r.ctx.runner->finish(&r.ctx);
		return status;
	}
	long long start = probe_now_us();
	int rc;
	if (cfg->probe_verify) {
		bool given = cfg->probe_verify_given;
		if (!given && !target.spec_given) {
			log_error("--probe-verify: nothing to verify: give --probe-verify=SET or "
				  "CAPINIT_CAP_DROP/CAPINIT_CAP_ADD");
			r.ctx.runner->finish(&r.ctx);
			return 2;
		}
		capmask set = given ? cfg->probe_verify_set : target.spec;
		if (set & ~target.default_candidates && !engine) {
			char names[512];
			capmask_format(set & ~target.default_candidates, ",", names, sizeof names);
			log_error("--probe-verify: %s not granted by the container runtime",
				  names);
			r.ctx.runner->finish(&r.ctx);
			return 125;
		}
		res.candidates = candidates;
		rc = run_verify(&r, &res, set);
	} else {
		rc = run_search(&r, &res, candidates);
	}
	r.ctx.runner->finish(&r.ctx);
	if (r.stopped_by) {
		log_error("probe stopped by signal %d; no result", r.stopped_by);
		return 128 + r.stopped_by;
	}
	if (rc != 0 || r.failed)
		return 125;
	res.runner = r.ctx.runner->name;
	res.trials = r.trials;
	res.ntrials = r.ntrials;
	memcpy(res.counts, r.counts, sizeof res.counts);
	res.files_persist = r.ctx.runner == &probe_runner_inplace;
	res.us = probe_now_us() - start;
	res.facts = &facts;
	res.target = &target;
	res.command = cfg->command[0];
	res.port = cfg->probe_port;
	res.udp = cfg->probe_udp;
	res.check = cfg->probe_check;
	if (cfg->probe_json) {
		probe_report_json(&out, &res);
		/* A machine reads stdout; a person running it reads stderr. */
		char names[512];
		capmask_format(res.not_needed, ",", names, sizeof names);
		if (res.outcome == PROBE_OUT_NONE || res.outcome == PROBE_OUT_UNSTABLE)
			log_error("probe: no result: %s", res.why);
		else if (res.outcome == PROBE_OUT_INSUFFICIENT)
			log_error("probe: the set does not work: %s", res.why);
		else if (res.outcome == PROBE_OUT_NOT_MINIMAL)
			log_error("probe: not needed: %s", names);
	} else {
		probe_report_text(&out, &res);
	}
	if (out_flush(&out) != 0)
		return 125;
	return exit_status(&res);
}
