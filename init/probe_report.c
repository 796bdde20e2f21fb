#include "probe_report.h"

#include <linux/capability.h>
#include <string.h>

#include "escape.h"
#include "probe_deploy.h"
#include "sbuf.h"
#include "signame.h"

/* The JSON object's version: bumped only by an incompatible change
 * (docs/probe.md, docs/probe-schema.json). */
#define PROBE_SCHEMA_VERSION 1

/* A line's budget: COMMAND's last line is cut (with "...") to keep an
 * evidence or progress line within it, but never below LAST_MIN bytes. */
#define LINE_MAX_BYTES 300
#define LAST_MIN 32
/* The runner's reason, at most. */
#define WHY_MAX 128

static int count_bits(capmask m)
{
	int n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

static void seconds(struct sbuf *s, long long us)
{
	long long ms = us < 0 ? 0 : us / 1000;
	sb_printf(s, "%lld.%03lld", ms / 1000, ms % 1000);
}

/* COMMAND's name as shown: the last component of its first word. */
static void command_name(struct sbuf *s, const char *command)
{
	if (!command || !command[0]) {
		sb_puts(s, "COMMAND");
		return;
	}
	char word[96];
	size_t n = strcspn(command, " ");
	const char *start = command;
	for (size_t i = 0; i < n; i++)
		if (command[i] == '/' && i + 1 < n)
			start = command + i + 1;
	n -= (size_t)(start - command);
	if (n >= sizeof word)
		n = sizeof word - 1;
	memcpy(word, start, n);
	word[n] = '\0';
	sb_escaped(s, word, 64);
}

/* "cap_net_raw=ep" as libcap writes a file's capabilities. */
static void file_caps_text(struct sbuf *s, const struct probe_facts *f)
{
	capmask p = f->file_permitted, i = f->file_inheritable;
	const struct {
		capmask m;
		const char *flags;
	} groups[] = {{p & i, "ip"}, {p & ~i, "p"}, {i & ~p, "i"}};
	bool first = true;
	for (size_t g = 0; g < 3; g++) {
		if (!groups[g].m)
			continue;
		bool one = true;
		for (int bit = 0; bit < 64; bit++) {
			if (!(groups[g].m & CAPMASK_BIT(bit)))
				continue;
			const char *name = capset_lower_name(bit);
			sb_puts(s, one ? (first ? "" : " ") : ",");
			if (name)
				sb_puts(s, name);
			else
				sb_printf(s, "%d", bit);
			one = false;
		}
		sb_printf(s, "=%s%s", f->file_effective ? "e" : "", groups[g].flags);
		first = false;
	}
	if (first)
		sb_puts(s, "=");
}

/* What the trial's verdict rests on when the runner left no words. */
static void reason_words(struct sbuf *s, const struct probe_trial *t)
{
	const char *sig;
	switch (t->reason) {
	case PROBE_R_EXITED:
		sb_printf(s, "exited with %d", t->exit_code);
		break;
	case PROBE_R_SIGNALED:
		sig = signal_name(t->signal);
		if (sig)
			sb_printf(s, "was killed by %s", sig);
		else
			sb_printf(s, "was killed by signal %d", t->signal);
		break;
	case PROBE_R_EXEC_FAILED:
		sb_printf(s, "could not be executed (errno %d)", t->err);
		break;
	case PROBE_R_DAEMONIZED:
		sb_puts(s, "exited 0 while processes it started still ran: it daemonized");
		break;
	default:
		sb_puts(s, probe_reason_name(t->reason));
		break;
	}
}

/* How a trial failed, one line: "nginx exited with 1: [emerg] ...". */
static void trial_failure(struct sbuf *s, const struct probe_trial *t, const char *command,
			  const struct probe_facts *f, size_t line_max)
{
	if (t->reason == PROBE_R_FILE_CAPS) {
		/* Not a capability the app asks for: the kernel refuses the
		 * execve of a file whose permitted capabilities are not all
		 * in the bounding set, before the app runs at all. */
		if (f && f->file_caps) {
			sb_puts(s, "execve of ");
			sb_escaped(s, f->command_path, 128);
			sb_puts(s, " failed (EPERM): the file carries ");
			file_caps_text(s, f);
			sb_puts(s, " (security.capability), which must stay in the bounding set");
		} else {
			sb_puts(s, "execve failed (EPERM): the file's capabilities "
				   "(security.capability) must stay in the bounding set");
		}
		return;
	}
	command_name(s, command);
	sb_puts(s, " ");
	if (t->why[0])
		sb_escaped(s, t->why, WHY_MAX);
	else
		reason_words(s, t);
	if (t->last_line[0]) {
		sb_puts(s, ": ");
		size_t last = s->len + LAST_MIN < line_max ? line_max - s->len : LAST_MIN;
		sb_escaped(s, t->last_line, last);
	}
}

/* ---- the progress line ----------------------------------------------------- */

/* What a trial ran with, against `base`: "without CHOWN,SETUID", "with
 * every candidate (41)" (trial 1), or "with SET"; long lists are cut, with
 * their count. */
static void trial_set(struct sbuf *s, const struct probe_trial *t, capmask base, size_t number)
{
	capmask removed = base & ~t->set;
	bool added = (t->set & ~base) != 0;
	if (base && !removed && !added && number == 1 && t->kind == PROBE_KIND_SEARCH) {
		sb_printf(s, "with every candidate (%d)", count_bits(base));
		return;
	}
	/* The names, bounded: a trial of the search may remove dozens. */
	char names[96];
	struct sbuf n;
	sb_init(&n, names, sizeof names);
	bool without = base && removed && !added;
	capmask shown = without ? removed : t->set;
	sb_caps(&n, shown, ",");
	sb_puts(s, without ? "without " : "with ");
	if (n.cut)
		sb_printf(s, "%d: ", count_bits(shown));
	sb_puts(s, names);
}

void probe_report_progress(char *buf, size_t size, size_t number, const struct probe_trial *t,
			   capmask base, const char *command)
{
	struct sbuf s;
	sb_init(&s, buf, size);
	sb_printf(&s, "probe trial %zu (%s) ", number, probe_kind_name(t->kind));
	trial_set(&s, t, base, number);
	if (t->userns)
		sb_puts(&s, ", user namespaces allowed");
	sb_printf(&s, ": %s (", t->works ? "works" : "fails");
	if (t->works) {
		if (t->why[0])
			sb_escaped(&s, t->why, WHY_MAX);
		else
			reason_words(&s, t);
	} else {
		/* Room kept for ") in 0.213 s". */
		trial_failure(&s, t, command, NULL, LINE_MAX_BYTES - 20);
	}
	sb_puts(&s, ") in ");
	seconds(&s, t->us);
	sb_puts(&s, " s");
}

/* ---- shared by text and JSON ------------------------------------------------- */

static bool verify_mode(const struct probe_result *r)
{
	return r->outcome == PROBE_OUT_VERIFIED || r->outcome == PROBE_OUT_NOT_MINIMAL ||
	       r->outcome == PROBE_OUT_INSUFFICIENT;
}

static const struct probe_trial *trial_at(const struct probe_result *r, int index)
{
	return index >= 0 && (size_t)index < r->ntrials && r->trials ? &r->trials[index] : NULL;
}

/* The first trial, from `kind` (PROBE_KIND_COUNT: any), with exactly `set`
 * whose verdict was `works`; -1 if none. */
static int find_trial(const struct probe_result *r, enum probe_kind kind, capmask set, bool works)
{
	for (size_t i = 0; r->trials && i < r->ntrials; i++) {
		const struct probe_trial *t = &r->trials[i];
		if ((kind == PROBE_KIND_COUNT || t->kind == kind) && t->set == set &&
		    t->works == works)
			return (int)i;
	}
	return -1;
}

/* The trial that still worked without `bit` (a member of SET not needed). */
static int not_needed_trial(const struct probe_result *r, int bit)
{
	int i = find_trial(r, PROBE_KIND_VERIFY, r->verify_set & ~CAPMASK_BIT(bit), true);
	return i >= 0 ? i : find_trial(r, PROBE_KIND_COUNT, r->verify_set & ~CAPMASK_BIT(bit), true);
}

/* The trial whose failure is the answer of NONE, UNSTABLE, INSUFFICIENT. */
static int failed_trial(const struct probe_result *r)
{
	if (!r->trials || r->ntrials == 0)
		return -1;
	if (r->outcome == PROBE_OUT_NONE)
		return r->trials[0].works ? -1 : 0;
	if (r->outcome == PROBE_OUT_INSUFFICIENT) {
		int i = find_trial(r, PROBE_KIND_COUNT, r->verify_set, false);
		if (i >= 0)
			return i;
	}
	if (r->outcome == PROBE_OUT_UNSTABLE || r->outcome == PROBE_OUT_INSUFFICIENT)
		for (size_t i = r->ntrials; i-- > 0;)
			if (!r->trials[i].works)
				return (int)i;
	return -1;
}

/* Capabilities a standard node needs that this place did not show: the
 * fact that made it so. */
static void portable_fact(struct sbuf *s, const struct probe_result *r, int bit)
{
	const struct probe_facts *f = r->facts;
	if (bit == CAP_NET_BIND_SERVICE && r->port && r->port < 1024 && f && f->port_start >= 0) {
		sb_printf(s, "port %u < 1024; here net.ipv4.ip_unprivileged_port_start=%d "
			     "(as Docker sets it), 1024 on a standard node",
			  r->port, f->port_start);
		return;
	}
	sb_puts(s, "needed on a standard node; the trials here could not show it");
}

/* The set deployed, and whether there is one. */
static bool deploy_set(const struct probe_result *r, capmask *set)
{
	switch (r->outcome) {
	case PROBE_OUT_FOUND:
	case PROBE_OUT_VERIFIED:
		*set = r->portable;
		return true;
	case PROBE_OUT_NOT_MINIMAL:
		*set = r->smaller | r->portable_added;
		return r->smaller_works;
	default:
		return false;
	}
}

/* The members whose evidence is printed: what is kept. */
static capmask members(const struct probe_result *r)
{
	if (r->outcome == PROBE_OUT_INSUFFICIENT)
		return 0; /* SET failed: its failing trial is the evidence */
	if (verify_mode(r))
		return (r->verify_set & ~r->not_needed) | r->portable_added;
	return r->outcome == PROBE_OUT_FOUND ? r->portable : 0;
}

static const char *outcome_name(enum probe_outcome o)
{
	static const char *const names[] = {
		[PROBE_OUT_FOUND] = "found",         [PROBE_OUT_NONE] = "none",
		[PROBE_OUT_UNSTABLE] = "unstable",   [PROBE_OUT_VERIFIED] = "verified",
		[PROBE_OUT_NOT_MINIMAL] = "not-minimal", [PROBE_OUT_INSUFFICIENT] = "insufficient",
	};
	return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

static const char *const note_text[] = {
	"capinit starts as root with SETUID, SETGID, SETPCAP and KILL to switch to the user, "
	"and keeps only the set for the app (Kubernetes gives a non-root container no ambient "
	"capabilities: kubernetes/kubernetes#56374)",
	"a non-root container gets no ambient capabilities (Docker; Kubernetes: "
	"kubernetes/kubernetes#56374): the app keeps the set only through file capabilities; "
	"with capinit as the entrypoint it gets exactly the set",
	"the runtime's default seccomp profile refuses user namespaces: SECCOMP_PROFILE.json "
	"must allow them",
	"not within Podman's default set (800405fb): Podman ignores the label and runs with its "
	"defaults; use the run flags",
};

/* ---- text -------------------------------------------------------------------- */

static void text_line(struct outbuf *out, const char *prefix, const char *s)
{
	out_puts(out, prefix);
	out_puts(out, s);
	out_puts(out, "\n");
}

/* Each line of a multi-line string, indented. */
static void text_block(struct outbuf *out, const char *indent, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		out_puts(out, indent);
		char line[256];
		size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
		memcpy(line, s, k);
		line[k] = '\0';
		out_puts(out, line);
		out_puts(out, "\n");
		s += n;
		if (*s == '\n')
			s++;
	}
}

static void text_evidence(struct outbuf *out, const struct probe_result *r, int bit)
{
	char name[32], buf[512];
	capname_of_bit(bit, name, sizeof name);
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	const struct probe_trial *t = trial_at(r, r->evidence[bit]);
	if (r->portable_added & CAPMASK_BIT(bit)) {
		sb_puts(&s, "portable: ");
		portable_fact(&s, r, bit);
	} else if (t) {
		sb_printf(&s, "without it (trial %d): ", r->evidence[bit] + 1);
		trial_failure(&s, t, r->command, r->facts, LINE_MAX_BYTES);
	} else {
		sb_puts(&s, "no trial recorded");
	}
	out_printf(out, "  %-17s %s\n", name, buf);
}

static void text_not_needed(struct outbuf *out, const struct probe_result *r, int bit)
{
	char name[32], buf[320];
	capname_of_bit(bit, name, sizeof name);
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	int i = not_needed_trial(r, bit);
	const struct probe_trial *t = trial_at(r, i);
	if (t) {
		sb_printf(&s, "not needed: trial %d worked without it (", i + 1);
		if (t->why[0])
			sb_escaped(&s, t->why, sizeof t->why);
		else
			reason_words(&s, t);
		sb_puts(&s, ")");
	} else {
		sb_puts(&s, "not needed");
	}
	out_printf(out, "  %-17s %s\n", name, buf);
}

static void text_caps_line(struct outbuf *out, const char *label, capmask m)
{
	char buf[1024];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	sb_caps(&s, m, ",");
	out_printf(out, "%s%s\n", label, buf);
}

static void text_counts(struct outbuf *out, const struct probe_result *r)
{
	char buf[256];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	unsigned total = 0;
	for (int k = 0; k < PROBE_KIND_COUNT; k++) {
		if (!r->counts[k])
			continue;
		sb_printf(&s, "%s%u %s", total ? ", " : "", r->counts[k],
			  probe_kind_name((enum probe_kind)k));
		total += r->counts[k];
	}
	sb_printf(&s, "%s (%u in all) in ", total ? "" : "none", total);
	seconds(&s, r->us);
	sb_printf(&s, " s; runner: %s", r->runner ? r->runner : "unknown");
	out_printf(out, "trials: %s\n", buf);
	out_printf(out, "candidates (%d): ", count_bits(r->candidates));
	text_caps_line(out, "", r->candidates);
}

static void text_facts(struct outbuf *out, const struct probe_result *r)
{
	const struct probe_facts *f = r->facts;
	if (!f)
		return;
	char buf[512];
	struct sbuf s;
	out_puts(out, "facts:\n");
	if (r->port) {
		const char *proto = r->udp ? "udp" : "tcp";
		if (f->port_start < 0)
			out_printf(out, "  port %u/%s: net.ipv4.ip_unprivileged_port_start unknown\n",
				   r->port, proto);
		else if (r->port >= 1024)
			out_printf(out, "  port %u/%s: needs no capability anywhere (>= 1024)\n",
				   r->port, proto);
		else
			out_printf(out, "  port %u/%s: net.ipv4.ip_unprivileged_port_start=%d here: %s\n",
				   r->port, proto, f->port_start,
				   f->port_start <= (int)r->port
					   ? "anyone may bind it here, not on a standard node (1024)"
					   : "NET_BIND_SERVICE needed, as on a standard node");
	}
	if (f->sysctls_forced)
		out_puts(out, "  the trials ran with the kernel's defaults of both sysctls forced: "
			      "the answer holds on any node\n");
	if (f->ping_known)
		out_printf(out, "  net.ipv4.ping_group_range=%lu %lu: %s may open ICMP sockets without "
				"NET_RAW (the kernel's default \"1 0\": none)\n",
			   f->ping_lo, f->ping_hi,
			   f->ping_lo > f->ping_hi                        ? "no group"
			   : f->ping_lo == 0 && f->ping_hi >= 2147483647ul ? "every group"
									   : "these groups");
	if (f->command_path[0]) {
		sb_init(&s, buf, sizeof buf);
		sb_puts(&s, "  ");
		sb_escaped(&s, f->command_path, 200);
		if (f->file_caps) {
			sb_puts(&s, ": file capabilities ");
			file_caps_text(&s, f);
			sb_puts(&s, " (security.capability)");
		} else {
			sb_puts(&s, ": no file capabilities");
		}
		text_line(out, "", buf);
	}
	out_printf(out, "  handed over: no_new_privs %d, securebits 0x%x\n", f->no_new_privs ? 1 : 0,
		   f->securebits);
	sb_init(&s, buf, sizeof buf);
	sb_escaped(&s, f->runtime ? f->runtime : "unknown", 64);
	out_printf(out, "  runtime: %s%s\n", buf, f->pid1 ? ", capinit PID 1" : "");
}

/* The command that checks a result on a fresh container, when files
 * persisted between trials in place. */
static void recheck_command(struct sbuf *s, const struct probe_result *r, capmask set)
{
	sb_puts(s, "docker run --rm ");
	if (set) {
		sb_puts(s, "-e CAPINIT_PROBE_VERIFY=");
		sb_caps(s, set, ",");
	} else {
		sb_puts(s, "-e CAPINIT_CAP_DROP=ALL -e CAPINIT_PROBE_VERIFY=1");
	}
	if (r->port)
		sb_printf(s, " -e CAPINIT_PROBE_PORT=%u%s", r->port, r->udp ? "/udp" : "");
	if (r->check) {
		/* Single-quoted for the shell: ' as '\''. */
		sb_puts(s, " -e 'CAPINIT_PROBE_CHECK=");
		for (const char *c = r->check; *c && !s->cut; c++) {
			if (*c == '\'') {
				sb_puts(s, "'\\''");
			} else {
				char one[2] = {*c, 0};
				sb_escaped(s, one, 4);
			}
		}
		sb_puts(s, "'");
	}
	sb_puts(s, " ");
	if (r->target && r->target->image)
		sb_escaped(s, r->target->image, 256);
	else
		sb_puts(s, "IMAGE");
}

static void text_form(struct outbuf *out, const struct probe_deploy_form *f, bool label)
{
	if (f->dockerfile[0]) {
		out_puts(out, "Dockerfile (capinit in the image):\n");
		text_block(out, "  ", f->dockerfile);
	}
	out_puts(out, "run (Docker; Podman takes the same flags):\n");
	text_line(out, "  ", f->docker_run);
	if (label && f->podman_label[0]) {
		out_puts(out, "Podman (image label):\n");
		text_line(out, "  ", f->podman_label);
	}
	out_printf(out, "Kubernetes, Pod Security Standard %s%s%s%s:\n", pss_level_name(f->level),
		   f->rule[0] ? " (fails " : "", f->rule, f->rule[0] ? ")" : "");
	text_block(out, "  ", f->kubernetes);
}

static void text_deploy(struct outbuf *out, const struct probe_result *r, capmask set)
{
	static struct probe_deploy d;
	probe_deploy_make(&d, set, r->target, r->userns_needed, r->port);
	out_puts(out, "\n");
	text_form(out, &d.main, true);
	for (size_t i = 0; i < sizeof note_text / sizeof note_text[0]; i++)
		if (d.notes & (1u << i))
			out_printf(out, "note: %s\n", note_text[i]);
	if (d.has_sysctl) {
		out_printf(out, "\nor with no capability at all, the port sysctl at %u "
				"(a safe sysctl since Kubernetes 1.22):\n",
			   d.sysctl_port);
		text_form(out, &d.sysctl, false);
	}
}

static void text_headline(struct outbuf *out, const struct probe_result *r)
{
	char set[1024], buf[640];
	struct sbuf s;
	sb_init(&s, set, sizeof set);
	switch (r->outcome) {
	case PROBE_OUT_FOUND:
		sb_caps(&s, r->portable, ",");
		out_printf(out, "needed: %s\n", set);
		break;
	case PROBE_OUT_VERIFIED:
		sb_caps(&s, r->verify_set, ",");
		out_printf(out, "verified: %s works, and every member is needed\n", set);
		break;
	case PROBE_OUT_NOT_MINIMAL:
		sb_caps(&s, r->not_needed, ",");
		sb_init(&s, buf, sizeof buf);
		sb_caps(&s, r->verify_set, ",");
		out_printf(out, "not minimal: %s of %s not needed\n", set, buf);
		break;
	case PROBE_OUT_INSUFFICIENT:
		sb_caps(&s, r->verify_set, ",");
		out_printf(out, "insufficient: %s does not work\n", set);
		break;
	default:
		sb_escaped(&s, r->why ? r->why
				      : r->outcome == PROBE_OUT_NONE
						? "COMMAND does not work even with every candidate"
						: "a set that worked once failed later",
			   512);
		out_printf(out, "no result: %s\n", set);
		break;
	}
}

void probe_report_text(struct outbuf *out, const struct probe_result *r)
{
	text_headline(out, r);
	capmask kept = members(r);
	for (int bit = 0; bit < 64; bit++)
		if (kept & CAPMASK_BIT(bit))
			text_evidence(out, r, bit);
	if (r->outcome == PROBE_OUT_NOT_MINIMAL)
		for (int bit = 0; bit < 64; bit++)
			if (r->not_needed & CAPMASK_BIT(bit))
				text_not_needed(out, r, bit);

	char buf[1024];
	struct sbuf s;
	int fi = failed_trial(r);
	const struct probe_trial *ft = trial_at(r, fi);
	if (ft) {
		sb_init(&s, buf, sizeof buf);
		sb_printf(&s, "  trial %d (%s) ", fi + 1, probe_kind_name(ft->kind));
		trial_set(&s, ft, r->outcome == PROBE_OUT_NONE ? r->candidates : 0, (size_t)fi + 1);
		sb_puts(&s, ": ");
		trial_failure(&s, ft, r->command, r->facts, LINE_MAX_BYTES);
		text_line(out, "", buf);
		if (ft->reason == PROBE_R_DAEMONIZED)
			out_puts(out, "note: run the app in the foreground (nginx: -g 'daemon off;'); "
				      "a probe sees only what a trial's own processes do\n");
	}
	if (r->outcome == PROBE_OUT_INSUFFICIENT && r->why && !ft) {
		sb_init(&s, buf, sizeof buf);
		sb_escaped(&s, r->why, 512);
		text_line(out, "  ", buf);
	}

	capmask set = 0;
	bool deploy = deploy_set(r, &set);
	if (r->outcome == PROBE_OUT_NOT_MINIMAL) {
		sb_init(&s, buf, sizeof buf);
		sb_caps(&s, r->smaller, ",");
		int si = find_trial(r, PROBE_KIND_COUNT, r->smaller, true);
		if (r->smaller_works && si >= 0)
			out_printf(out, "smaller: %s (trial %d worked with it)\n", buf, si + 1);
		else if (r->smaller_works)
			out_printf(out, "smaller: %s\n", buf);
		else
			out_printf(out, "smaller: %s was not shown to work (members may stand in "
					"for each other): search within SET with --probe "
					"--probe-candidates=",
				   buf);
		if (!r->smaller_works)
			text_caps_line(out, "", r->verify_set);
	}
	if (r->userns_needed) {
		int ui = -1;
		for (size_t i = 0; r->trials && i < r->ntrials && ui < 0; i++)
			if (r->trials[i].kind == PROBE_KIND_USERNS && r->trials[i].works)
				ui = (int)i;
		out_printf(out, "the app works only with user namespaces allowed: CAPINIT_USERNS=1");
		if (ui >= 0)
			out_printf(out, " (trial %d)", ui + 1);
		out_puts(out, "\n");
	}
	text_counts(out, r);
	if (r->redone)
		out_puts(out, "note: a repeat of the result failed, so the search was redone with "
			      "every passing trial confirmed (a flaky app, or files that persist "
			      "between trials)\n");
	if (r->files_persist) {
		sb_init(&s, buf, sizeof buf);
		recheck_command(&s, r, deploy ? set : r->verify_set);
		out_printf(out, "note: in place, files a trial wrote were seen by the next; check the "
				"result on a fresh container:\n  %s\n",
			   buf);
	}
	text_facts(out, r);
	if (deploy)
		text_deploy(out, r, set);
}

/* ---- JSON -------------------------------------------------------------------- */

static void json_str(struct outbuf *out, const char *s)
{
	if (!s) {
		out_puts(out, "null");
		return;
	}
	out_puts(out, "\"");
	size_t len = strlen(s);
	while (len > 0) {
		char chunk[512];
		size_t used = 0;
		size_t n = escape_json(chunk, sizeof chunk, &used, s, len);
		out_puts(out, chunk);
		if (n == 0)
			break;
		s += n;
		len -= n;
	}
	out_puts(out, "\"");
}

/* A string, or null when it is empty. */
static void json_opt(struct outbuf *out, const char *s)
{
	json_str(out, s && s[0] ? s : NULL);
}

static void json_caps(struct outbuf *out, capmask m)
{
	out_puts(out, "[");
	bool first = true;
	for (int bit = 0; bit < 64; bit++) {
		if (!(m & CAPMASK_BIT(bit)))
			continue;
		char name[32];
		capname_of_bit(bit, name, sizeof name);
		out_printf(out, "%s\"%s\"", first ? "" : ", ", name);
		first = false;
	}
	out_puts(out, "]");
}

static void json_caps_or_null(struct outbuf *out, bool present, capmask m)
{
	if (present)
		json_caps(out, m);
	else
		out_puts(out, "null");
}

static void json_int_or_null(struct outbuf *out, bool present, long long v)
{
	if (present)
		out_printf(out, "%lld", v);
	else
		out_puts(out, "null");
}

static void json_seconds(struct outbuf *out, long long us)
{
	char buf[32];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	seconds(&s, us);
	out_puts(out, buf);
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

/* {"trial", "reason", "exit", "signal", "last_line", "text", "portable"}. */
static void json_evidence(struct outbuf *out, const struct probe_result *r, int index,
			  bool failed, const char *portable)
{
	const struct probe_trial *t = trial_at(r, index);
	char buf[512];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	if (t && failed)
		trial_failure(&s, t, r->command, r->facts, LINE_MAX_BYTES);
	else if (t && t->why[0])
		sb_escaped(&s, t->why, sizeof t->why);
	else if (t)
		reason_words(&s, t);
	out_puts(out, "{\"trial\": ");
	json_int_or_null(out, t != NULL, index + 1);
	out_puts(out, ", \"reason\": ");
	json_str(out, t ? probe_reason_name(t->reason) : NULL);
	out_puts(out, ", \"exit\": ");
	json_int_or_null(out, t && t->exit_code >= 0, t ? t->exit_code : 0);
	out_puts(out, ", \"signal\": ");
	json_int_or_null(out, t && t->signal > 0, t ? t->signal : 0);
	out_puts(out, ", \"last_line\": ");
	json_str(out, t ? t->last_line : NULL);
	out_puts(out, ", \"text\": ");
	json_str(out, t ? buf : NULL);
	out_puts(out, ", \"portable\": ");
	json_str(out, portable);
	out_puts(out, "}");
}

static void json_evidence_map(struct outbuf *out, const struct probe_result *r, capmask kept)
{
	out_puts(out, "{");
	bool first = true;
	for (int bit = 0; bit < 64; bit++) {
		if (!(kept & CAPMASK_BIT(bit)))
			continue;
		char name[32];
		capname_of_bit(bit, name, sizeof name);
		out_printf(out, "%s\"%s\": ", first ? "" : ", ", name);
		first = false;
		if (r->portable_added & CAPMASK_BIT(bit)) {
			char fact[256];
			struct sbuf s;
			sb_init(&s, fact, sizeof fact);
			portable_fact(&s, r, bit);
			json_evidence(out, r, -1, true, fact);
		} else {
			json_evidence(out, r, r->evidence[bit], true, NULL);
		}
	}
	out_puts(out, "}");
}

static void json_trial(struct outbuf *out, const struct probe_result *r, size_t i, capmask ref)
{
	const struct probe_trial *t = &r->trials[i];
	out_printf(out, "{\"index\": %zu, \"kind\": \"%s\", \"set\": ", i + 1,
		   probe_kind_name(t->kind));
	json_caps(out, t->set);
	out_puts(out, ", \"removed\": ");
	json_caps(out, ref & ~t->set);
	out_printf(out, ", \"userns\": %s, \"works\": %s, \"reason\": \"%s\", \"why\": ",
		   json_bool(t->userns), json_bool(t->works), probe_reason_name(t->reason));
	json_str(out, t->why);
	out_puts(out, ", \"exit\": ");
	json_int_or_null(out, t->exit_code >= 0, t->exit_code);
	out_puts(out, ", \"signal\": ");
	json_int_or_null(out, t->signal > 0, t->signal);
	out_puts(out, ", \"errno\": ");
	json_int_or_null(out, t->err > 0, t->err);
	out_puts(out, ", \"seconds\": ");
	json_seconds(out, t->us);
	out_puts(out, ", \"last_line\": ");
	json_str(out, t->last_line);
	out_puts(out, "}");
}

static void json_facts(struct outbuf *out, const struct probe_result *r)
{
	const struct probe_facts *f = r->facts;
	if (!f) {
		out_puts(out, "null");
		return;
	}
	out_puts(out, "{\"port_start\": ");
	json_int_or_null(out, f->port_start >= 0, f->port_start);
	out_printf(out, ", \"port_free_here\": %s, \"sysctls_forced\": %s, \"ping_group_range\": ",
		   json_bool(r->port && r->port < 1024 && f->port_start >= 0 &&
			     f->port_start <= (int)r->port),
		   json_bool(f->sysctls_forced));
	if (f->ping_known)
		out_printf(out, "[%lu, %lu]", f->ping_lo, f->ping_hi);
	else
		out_puts(out, "null");
	out_puts(out, ", \"command_path\": ");
	json_opt(out, f->command_path);
	out_puts(out, ", \"file_caps\": ");
	if (f->file_caps) {
		char text[512];
		struct sbuf s;
		sb_init(&s, text, sizeof text);
		file_caps_text(&s, f);
		out_puts(out, "{\"permitted\": ");
		json_caps(out, f->file_permitted);
		out_puts(out, ", \"inheritable\": ");
		json_caps(out, f->file_inheritable);
		out_printf(out, ", \"effective\": %s, \"text\": ", json_bool(f->file_effective));
		json_str(out, text);
		out_puts(out, "}");
	} else {
		out_puts(out, "null");
	}
	out_printf(out, ", \"no_new_privs\": %s, \"securebits\": %u, \"runtime\": ",
		   json_bool(f->no_new_privs), f->securebits);
	json_str(out, f->runtime);
	out_printf(out, ", \"pid1\": %s}", json_bool(f->pid1));
}

static void json_form(struct outbuf *out, const struct probe_deploy_form *f)
{
	out_puts(out, "{\"dockerfile\": ");
	json_opt(out, f->dockerfile);
	out_puts(out, ", \"docker_run\": ");
	json_str(out, f->docker_run);
	out_puts(out, ", \"podman_label\": ");
	json_opt(out, f->podman_label);
	out_puts(out, ", \"kubernetes\": {\"yaml\": ");
	json_str(out, f->kubernetes);
	out_printf(out, ", \"pss\": \"%s\", \"rule\": ", pss_level_name(f->level));
	json_opt(out, f->rule);
	out_puts(out, "}}");
}

static void json_deploy(struct outbuf *out, const struct probe_result *r)
{
	capmask set;
	if (!deploy_set(r, &set)) {
		out_puts(out, "null");
		return;
	}
	static struct probe_deploy d;
	probe_deploy_make(&d, set, r->target, r->userns_needed, r->port);
	out_puts(out, "{\"set\": ");
	json_caps(out, d.set);
	out_puts(out, ", \"grant\": ");
	json_caps(out, d.grant);
	out_puts(out, ", \"notes\": [");
	bool first = true;
	for (size_t i = 0; i < sizeof note_text / sizeof note_text[0]; i++) {
		if (!(d.notes & (1u << i)))
			continue;
		out_puts(out, first ? "" : ", ");
		json_str(out, note_text[i]);
		first = false;
	}
	out_puts(out, "], \"main\": ");
	json_form(out, &d.main);
	out_puts(out, ", \"sysctl\": ");
	if (d.has_sysctl) {
		out_printf(out, "{\"port\": %u, \"form\": ", d.sysctl_port);
		json_form(out, &d.sysctl);
		out_puts(out, "}");
	} else {
		out_puts(out, "null");
	}
	out_puts(out, "}");
}

void probe_report_json(struct outbuf *out, const struct probe_result *r)
{
	bool verify = verify_mode(r);
	bool has_set = r->outcome == PROBE_OUT_FOUND || r->outcome == PROBE_OUT_VERIFIED;
	out_printf(out, "{\"schema_version\": %d, \"mode\": \"%s\", \"outcome\": \"%s\", \"runner\": ",
		   PROBE_SCHEMA_VERSION, verify ? "verify" : "probe", outcome_name(r->outcome));
	json_str(out, r->runner);
	out_puts(out, ", \"needed\": ");
	json_caps_or_null(out, has_set, r->needed);
	out_puts(out, ", \"portable\": ");
	json_caps_or_null(out, has_set, r->portable);
	out_puts(out, ", \"portable_added\": ");
	json_caps(out, r->portable_added);
	out_puts(out, ", \"verify_set\": ");
	json_caps_or_null(out, verify, r->verify_set);
	out_puts(out, ", \"not_needed\": ");
	json_caps_or_null(out, verify && r->outcome != PROBE_OUT_INSUFFICIENT, r->not_needed);
	out_puts(out, ", \"smaller\": ");
	json_caps_or_null(out, r->outcome == PROBE_OUT_NOT_MINIMAL, r->smaller);
	out_puts(out, ", \"smaller_works\": ");
	out_puts(out, r->outcome == PROBE_OUT_NOT_MINIMAL ? json_bool(r->smaller_works) : "null");
	out_puts(out, ", \"evidence\": ");
	json_evidence_map(out, r, members(r));
	out_puts(out, ", \"not_needed_evidence\": {");
	bool first = true;
	for (int bit = 0; r->outcome == PROBE_OUT_NOT_MINIMAL && bit < 64; bit++) {
		if (!(r->not_needed & CAPMASK_BIT(bit)))
			continue;
		char name[32];
		capname_of_bit(bit, name, sizeof name);
		out_printf(out, "%s\"%s\": ", first ? "" : ", ", name);
		json_evidence(out, r, not_needed_trial(r, bit), false, NULL);
		first = false;
	}
	int fi = failed_trial(r);
	out_puts(out, "}, \"failed_trial\": ");
	json_int_or_null(out, fi >= 0, fi + 1);
	out_puts(out, ", \"why\": ");
	json_str(out, r->outcome == PROBE_OUT_FOUND || r->outcome == PROBE_OUT_VERIFIED ? NULL
											 : r->why);
	out_printf(out, ", \"userns_needed\": %s, \"redone\": %s, \"files_persist\": %s, "
			"\"candidates\": ",
		   json_bool(r->userns_needed), json_bool(r->redone), json_bool(r->files_persist));
	json_caps(out, r->candidates);
	out_puts(out, ", \"counts\": {");
	for (int k = 0; k < PROBE_KIND_COUNT; k++)
		out_printf(out, "%s\"%s\": %u", k ? ", " : "", probe_kind_name((enum probe_kind)k),
			   r->counts[k]);
	out_puts(out, "}, \"seconds\": ");
	json_seconds(out, r->us);
	out_puts(out, ", \"oracle\": {\"command\": ");
	json_str(out, r->command);
	out_puts(out, ", \"port\": ");
	json_int_or_null(out, r->port > 0, r->port);
	out_printf(out, ", \"udp\": %s, \"check\": ", json_bool(r->udp));
	json_str(out, r->check);
	out_puts(out, "}, \"trials\": [");
	capmask ref = verify ? r->verify_set : r->candidates;
	for (size_t i = 0; r->trials && i < r->ntrials; i++) {
		out_puts(out, i ? ", " : "");
		json_trial(out, r, i, ref);
	}
	out_puts(out, "], \"facts\": ");
	json_facts(out, r);
	out_puts(out, ", \"deployment\": ");
	json_deploy(out, r);
	out_puts(out, "}\n");
}
