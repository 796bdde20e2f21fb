#define _GNU_SOURCE
#include "probe.h"

#include <linux/capability.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "probe_run.h"
#include "probe_search.h"

/* Zero-initialised (STDOUT_FILENO is 1: set in probe_main) so its 4 kB
 * buffer costs nothing in the binary. */
static struct outbuf out;

/* Every run, repeats included, for the progress lines and --probe-json. */
static struct probe_trial trials[PROBE_MAX_TRIALS];
static size_t ntrials;


static int count_bits(capmask m)
{
	int n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

static void seconds(char *buf, size_t size, long long ms)
{
	fmt_snprintf(buf, size, "%lld.%03lld", ms / 1000, ms % 1000);
}

static void progress(size_t number, enum probe_kind kind, const struct probe_trial *t)
{
	char names[1024], secs[32];
	capmask_format(t->set, ",", names, sizeof names);
	seconds(secs, sizeof secs, t->us / 1000);
	log_warn("probe trial %zu (%s): %s: %s (%s) in %s s", number, probe_kind_name(kind), names,
		 t->works ? "works" : "fails", t->why, secs);
}

/* ---- output --------------------------------------------------------------- */

static void json_names(capmask m)
{
	out_puts(&out, "[");
	bool first = true;
	for (int bit = 0; bit < 64; bit++) {
		if (!(m & CAPMASK_BIT(bit)))
			continue;
		char name[64];
		capname_of_bit(bit, name, sizeof name);
		out_printf(&out, "%s\"%s\"", first ? "" : ", ", name);
		first = false;
	}
	out_puts(&out, "]");
}

static void print_json(bool found, capmask needed, capmask candidates)
{
	out_puts(&out, "{\"needed\": ");
	if (found)
		json_names(needed);
	else
		out_puts(&out, "null");
	out_puts(&out, ", \"candidates\": ");
	json_names(candidates);
	out_puts(&out, ", \"trials\": [");
	for (size_t i = 0; i < ntrials; i++) {
		char secs[32];
		seconds(secs, sizeof secs, trials[i].us / 1000);
		out_puts(&out, i ? ", {\"caps\": " : "{\"caps\": ");
		json_names(trials[i].set);
		out_printf(&out, ", \"works\": %s, \"exit\": ", trials[i].works ? "true" : "false");
		if (trials[i].exit_code >= 0)
			out_printf(&out, "%d", trials[i].exit_code);
		else
			out_puts(&out, "null");
		out_printf(&out, ", \"seconds\": %s}", secs);
	}
	out_puts(&out, "]}\n");
}

/* USER[:GROUP] as it was given, for CAPINIT_USER. */
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

static void flag_list(const char *flag, capmask m)
{
	for (int bit = 0; bit < 64; bit++) {
		if (!(m & CAPMASK_BIT(bit)))
			continue;
		char name[64];
		capname_of_bit(bit, name, sizeof name);
		out_printf(&out, " %s=%s", flag, name);
	}
}

static void print_result(const struct config *cfg, const struct plan *user_plan,
			 const struct probe_search *s, long long ms)
{
	char names[1024], cands[1024], secs[32], user[2 * ID_NAME_MAX + 32];
	capmask needed = s->result;
	capmask_format(needed, ",", names, sizeof names);
	capmask_format(s->candidates, ",", cands, sizeof cands);
	seconds(secs, sizeof secs, ms);
	/* The app runs as another user: capinit, as root, switches to it and
	 * keeps `needed` as ambient capabilities, so the runtime must grant
	 * capinit what the switch takes as well. */
	bool switching = user_plan->switch_user && user_plan->uid != 0;
	capmask runtime_grant =
		needed | (switching ? CAPMASK_BIT(CAP_SETUID) | CAPMASK_BIT(CAP_SETGID) |
					      CAPMASK_BIT(CAP_SETPCAP) | CAPMASK_BIT(CAP_KILL)
				    : 0);
	if (switching)
		format_user(cfg, user, sizeof user);

	out_printf(&out, "needed: %s\n", needed ? names : "none");
	out_printf(&out, "found in %u search trials (one at a time: %d), %u confirming, %u repeats of "
			 "the result; %s s\n",
		   s->trials[PROBE_KIND_SEARCH], count_bits(s->candidates) + 1,
		   s->trials[PROBE_KIND_CONFIRM], s->trials[PROBE_KIND_REPEAT], secs);
	if (s->redone)
		out_printf(&out, "note: a set that worked once failed later, so the search was "
				 "redone with every pass confirmed (a flaky app, or files it "
				 "changed persist across trials)\n");
	out_printf(&out, "candidates (%d): %s\n", count_bits(s->candidates), cands);

	out_printf(&out, "\nDockerfile:\n  ENV CAPINIT_CAP_DROP=ALL");
	if (needed)
		out_printf(&out, " CAPINIT_CAP_ADD=%s", names);
	if (switching)
		out_printf(&out, " CAPINIT_USER=%s", user);
	out_printf(&out, "\ndocker run:\n  docker run --cap-drop=ALL");
	flag_list("--cap-add", runtime_grant);
	if (user_plan->no_new_privs)
		out_printf(&out, " --security-opt=no-new-privileges");
	out_printf(&out, " IMAGE\n");
	out_printf(&out, "Kubernetes (container securityContext):\n  securityContext:\n");
	if (switching)
		out_printf(&out, "    runAsUser: 0  # capinit switches to %s (CAPINIT_USER) and "
				 "keeps only %s for the app\n",
			   user, needed ? names : "nothing");
	out_printf(&out, "    allowPrivilegeEscalation: %s\n",
		   user_plan->no_new_privs ? "false" : "true");
	out_printf(&out, "    capabilities:\n      drop: [ALL]\n");
	if (runtime_grant) {
		capmask_format(runtime_grant, ", ", cands, sizeof cands);
		out_printf(&out, "      add: [%s]\n", cands);
	}
	if (switching)
		out_printf(&out, "  # SETUID, SETGID, SETPCAP and KILL are capinit's own, for the "
				 "user switch and signals; the app does not get them\n");
}

/* ---- the loop ------------------------------------------------------------- */

static capmask candidates_of(const struct config *cfg, const struct plan *p)
{
	if (!p->spec_given)
		return p->handed;
	/* B' = (DROP is ALL ? ∅ : H − DROP) ∪ ADD: probing within a narrower set. */
	return (cfg->drop_all ? 0 : p->handed & ~cfg->drop) | cfg->add;
}

int probe_main(const struct config *cfg, const struct user_ids *ids, const struct runtime *rt,
	       const struct plan *user_plan, char **child_env, ksigmask original_mask)
{
	out.fd = STDOUT_FILENO;
	/* capinit keeps every capability while the probe runs, to start each
	 * trial afresh (main made it non-dumpable, so no trial without
	 * SYS_PTRACE can attach to it or read its memory). */
	struct probe_env env = {.cfg = cfg, .ids = ids, .rt = rt, .child_env = child_env,
				.is_pid1 = getpid() == 1, .sfd = -1, .original = original_mask};
	char err[512];
	if (probe_run_setup(&env, err, sizeof err) != 0) {
		log_error("%s", err);
		return 125;
	}
	static struct probe_search s;
	probe_search_init(&s, candidates_of(cfg, user_plan), cfg->probe_repeat);

	long long start = probe_now_ms();
	enum probe_step step;
	capmask set;
	enum probe_kind kind;
	while ((step = probe_search_next(&s, &set, &kind)) == PROBE_TRY) {
		struct probe_trial *t = &trials[ntrials < PROBE_MAX_TRIALS ? ntrials : 0];
		int r = probe_run_trial(&env, set, t, err, sizeof err);
		if (r < 0) {
			log_error("%s", err);
			return 125;
		}
		if (r > 0) {
			log_error("probe stopped by signal %d; no result", r);
			return 128 + r;
		}
		ntrials++;
		progress(ntrials, kind, t);
		probe_search_record(&s, t->works);
	}
	long long ms = probe_now_ms() - start;

	bool found = step == PROBE_FOUND;
	if (cfg->probe_json)
		print_json(found, s.result, s.candidates);
	else if (found)
		print_result(cfg, user_plan, &s, ms);
	if (!found) {
		char cands[1024];
		capmask_format(s.candidates, ",", cands, sizeof cands);
		log_error("probe: no result: %s%s%s%s (candidates: %s; %zu trials)", s.why,
			  step == PROBE_NONE && ntrials ? " (" : "",
			  step == PROBE_NONE && ntrials ? trials[ntrials - 1].why : "",
			  step == PROBE_NONE && ntrials ? ")" : "", cands, ntrials);
		if (step == PROBE_UNSTABLE)
			log_error("probe: a set that worked once failed later: the app is flaky, or "
				  "files it changed persist across trials");
	}
	if (out_flush(&out) != 0)
		return 125;
	return found ? 0 : 1;
}
