#include "probe_report.h"

#include <linux/capability.h>
#include <stdarg.h>
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
	const capmask groups[3] = {p & i, p & ~i, i & ~p};
	static const char flags[3][3] = {"ip", "p", "i"};
	const char *sep = "";
	for (int g = 0; g < 3; g++) {
		if (!groups[g])
			continue;
		char names[512];
		capmask_format(groups[g], ",cap_", names, sizeof names);
		for (char *c = names; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		sb_printf(s, "%scap_%s=%s%s", sep, names, f->file_effective ? "e" : "", flags[g]);
		sep = " ";
	}
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
		sb_puts(s, "execve of ");
		sb_escaped(s, f && f->file_caps ? f->command_path : "COMMAND", 128);
		sb_puts(s, " failed (EPERM): the file carries ");
		if (f && f->file_caps)
			file_caps_text(s, f);
		else
			sb_puts(s, "capabilities");
		sb_puts(s, " (security.capability), which must stay in the bounding set");
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
	/* Whichever is shorter to read: what the trial removes, or what it
	 * keeps ("with NET_BIND_SERVICE", not 39 names removed). */
	int keeps = count_bits(t->set);
	bool without = base && removed && !added && count_bits(removed) <= (keeps > 3 ? keeps : 3);
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
	sb_puts(s, "needed on a standard node, not here");
}

/* The set deployed, and whether there is one. */
static bool deploy_set(const struct probe_result *r, capmask *set)
{
	switch (r->outcome) {
	case PROBE_OUT_FOUND:
		*set = r->portable;
		return true;
	case PROBE_OUT_VERIFIED:
		*set = r->verify_set | r->portable_added;
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
	"capinit starts as root with SETUID, SETGID, SETPCAP and KILL to switch users; the "
	"app keeps only its set (no ambient capabilities for a non-root container: "
	"kubernetes/kubernetes#56374)",
	"no ambient capabilities for a non-root container (kubernetes/kubernetes#56374): "
	"the app keeps its set through file capabilities only",
	"the default seccomp profiles refuse user namespaces: SECCOMP_PROFILE.json must allow "
	"them",
	"outside Podman's default set (800405fb): Podman ignores the label; use the run flags",
};

/* ---- emit: one printf for the text and the JSON -------------------------------- */

/* A capmask that is JSON null (no real set has every bit). */
#define CAPS_NULL (~(capmask)0)

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

static void json_caps(struct outbuf *out, capmask m)
{
	char names[1024];
	capmask_format(m, "\", \"", names, sizeof names);
	out_puts(out, m == CAPS_NULL ? "null" : m ? "[\"" : "[]");
	if (m && m != CAPS_NULL) {
		out_puts(out, names);
		out_puts(out, "\"]");
	}
}

/* printf with the output's own conversions, so that each line or JSON
 * object is one call (the binary pays per call, not per byte of format):
 *   %s  capinit's own string, as is (NULL: nothing)
 *   %e  a string from outside, escaped as text (\xHH)
 *   %j  a JSON string, escaped; null for NULL
 *   %c  a capmask as names, "A,B" ("none" when empty)
 *   %C  a capmask as a JSON array; null for CAPS_NULL
 *   %N  a capability number as its name, padded to 18 columns
 *   %d  an int; %x an unsigned int as 0x...
 *   %n  a long long, as JSON: null when negative
 *   %b  an int as JSON true / false
 *   %t  a long long of microseconds as seconds, "0.213" */
static void emit(struct outbuf *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[1024];
	while (*fmt) {
		size_t n = strcspn(fmt, "%");
		if (n >= sizeof buf)
			n = sizeof buf - 1;
		memcpy(buf, fmt, n);
		buf[n] = '\0';
		out_puts(out, buf);
		fmt += n;
		if (*fmt != '%')
			continue;
		char c = fmt[1];
		fmt += c ? 2 : 1;
		struct sbuf s;
		sb_init(&s, buf, sizeof buf);
		/* One va_arg per argument type: each costs code. */
		if (c == 's' || c == 'e' || c == 'j') {
			const char *str = va_arg(ap, const char *); // NOLINT(clang-analyzer-valist.Uninitialized)
			if (c == 'j')
				json_str(out, str);
			else if (c == 'e')
				sb_escaped(&s, str ? str : "", 512);
			else
				sb_puts(&s, str ? str : "");
		} else if (c == 'c' || c == 'C') {
			capmask m = va_arg(ap, capmask); // NOLINT(clang-analyzer-valist.Uninitialized)
			if (c == 'C')
				json_caps(out, m);
			else
				sb_caps(&s, m, ",");
		} else if (c == 'n' || c == 't') {
			long long v = va_arg(ap, long long); // NOLINT(clang-analyzer-valist.Uninitialized)
			if (c == 't')
				seconds(&s, v);
			else if (v < 0)
				sb_puts(&s, "null");
			else
				sb_printf(&s, "%lld", v);
		} else if (c == 'd' || c == 'x' || c == 'b' || c == 'N') {
			int v = va_arg(ap, int); // NOLINT(clang-analyzer-valist.Uninitialized)
			if (c == 'N') {
				char name[32];
				capname_of_bit(v, name, sizeof name);
				sb_printf(&s, "%-18s", name);
			} else if (c == 'b') {
				sb_puts(&s, v ? "true" : "false");
			} else {
				sb_printf(&s, c == 'x' ? "0x%x" : "%d", v);
			}
		} else {
			sb_puts(&s, "%");
		}
		out_puts(out, buf);
	}
	va_end(ap);
}

/* ---- text -------------------------------------------------------------------- */

/* Each line of a multi-line string, indented by two. */
static void text_block(struct outbuf *out, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		char line[256];
		size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
		memcpy(line, s, k);
		line[k] = '\0';
		emit(out, "  %s\n", line);
		s += n;
		if (*s == '\n')
			s++;
	}
}

/* A member's evidence, as text (`failed`: the trial failed without it) or
 * the trial's reason (a member not needed: the trial worked without it). */
static void evidence(struct sbuf *s, const struct probe_result *r, int bit, int index,
		     bool failed)
{
	const struct probe_trial *t = trial_at(r, index);
	if (index < 0 && (r->portable_added & CAPMASK_BIT(bit)))
		portable_fact(s, r, bit);
	else if (t && failed)
		trial_failure(s, t, r->command, r->facts, LINE_MAX_BYTES);
	else if (t && t->why[0])
		sb_escaped(s, t->why, WHY_MAX);
	else if (t)
		reason_words(s, t);
}

static void text_members(struct outbuf *out, const struct probe_result *r)
{
	char buf[512];
	struct sbuf s;
	for (int bit = 0; bit < 64; bit++) {
		bool kept = (members(r) & CAPMASK_BIT(bit)) != 0;
		bool dead = r->outcome == PROBE_OUT_NOT_MINIMAL && (r->not_needed & CAPMASK_BIT(bit));
		if (!kept && !dead)
			continue;
		bool portable = kept && (r->portable_added & CAPMASK_BIT(bit));
		int i = portable ? -1 : kept ? r->evidence[bit] : not_needed_trial(r, bit);
		sb_init(&s, buf, sizeof buf);
		evidence(&s, r, bit, i, kept);
		if (portable)
			emit(out, "  %Nportable: %s\n", bit, buf);
		else if (!trial_at(r, i))
			emit(out, "  %N%s\n", bit, kept ? "no trial recorded" : "not needed");
		else if (kept)
			emit(out, "  %Nwithout it (trial %d): %s\n", bit, i + 1, buf);
		else
			emit(out, "  %Nnot needed: trial %d worked without it (%s)\n", bit, i + 1, buf);
	}
}

static void text_counts(struct outbuf *out, const struct probe_result *r)
{
	unsigned total = 0;
	emit(out, "trials: ");
	for (int k = 0; k < PROBE_KIND_COUNT; k++) {
		if (!r->counts[k])
			continue;
		emit(out, "%s%d %s", total ? ", " : "", (int)r->counts[k],
		     probe_kind_name((enum probe_kind)k));
		total += r->counts[k];
	}
	emit(out, "%s (%d in all) in %t s; runner: %s\ncandidates (%d): %c\n", total ? "" : "none",
	     (int)total, r->us, r->runner ? r->runner : "unknown", count_bits(r->candidates),
	     r->candidates);
}

static void text_facts(struct outbuf *out, const struct probe_result *r)
{
	const struct probe_facts *f = r->facts;
	if (!f)
		return;
	emit(out, "facts:\n");
	if (r->port) {
		const char *what = f->port_start < 0         ? "unknown"
				   : r->port >= 1024             ? "no capability needed (>= 1024)"
				   : f->port_start <= (int)r->port ? "free here, not on a standard node (1024)"
								   : "NET_BIND_SERVICE needed, as on a "
								     "standard node";
		emit(out, "  port %d/%s: net.ipv4.ip_unprivileged_port_start=%n: %s\n", (int)r->port,
		     r->udp ? "udp" : "tcp", (long long)f->port_start, what);
	}
	if (f->sysctls_forced)
		emit(out, "  both sysctls forced to the kernel's defaults: the answer holds on any "
			  "node\n");
	if (f->ping_known)
		emit(out, "  net.ipv4.ping_group_range=%n %n: %s may open ICMP sockets without "
			  "NET_RAW\n",
		     (long long)f->ping_lo, (long long)f->ping_hi,
		     f->ping_lo > f->ping_hi                         ? "no group"
		     : f->ping_lo == 0 && f->ping_hi >= 2147483647ul ? "every group"
								       : "these groups");
	if (f->command_path[0]) {
		char caps[256];
		struct sbuf s;
		sb_init(&s, caps, sizeof caps);
		if (f->file_caps) {
			sb_puts(&s, "file capabilities ");
			file_caps_text(&s, f);
			sb_puts(&s, " (security.capability)");
		} else {
			sb_puts(&s, "no file capabilities");
		}
		emit(out, "  %e: %s\n", f->command_path, caps);
	}
	emit(out, "  handed over: no_new_privs %d, securebits %x\n  runtime: %e%s\n",
	     f->no_new_privs ? 1 : 0, f->securebits, f->runtime ? f->runtime : "unknown",
	     f->pid1 ? ", capinit PID 1" : "");
}

/* The command that checks a result on a fresh container, when files
 * persisted between trials in place. */
static void recheck(struct outbuf *out, const struct probe_result *r, capmask set)
{
	if (set)
		emit(out, "  docker run --rm -e CAPINIT_PROBE_VERIFY=%c", set);
	else
		emit(out, "  docker run --rm -e CAPINIT_CAP_DROP=ALL -e CAPINIT_PROBE_VERIFY=1");
	if (r->port)
		emit(out, " -e CAPINIT_PROBE_PORT=%d%s", (int)r->port, r->udp ? "/udp" : "");
	if (r->check) {
		/* Single-quoted for the shell: ' as '\''. */
		char q[512];
		struct sbuf s;
		sb_init(&s, q, sizeof q);
		for (const char *c = r->check; *c && !s.cut; c++) {
			if (*c == '\'') {
				sb_puts(&s, "'\\''");
			} else {
				char one[2] = {*c, 0};
				sb_escaped(&s, one, 4);
			}
		}
		emit(out, " -e 'CAPINIT_PROBE_CHECK=%s'", q);
	}
	emit(out, " %e\n", r->target && r->target->image ? r->target->image : "IMAGE");
}

static void text_form(struct outbuf *out, const struct probe_deploy_form *f)
{
	if (f->dockerfile[0]) {
		emit(out, "Dockerfile (capinit in the image):\n");
		text_block(out, f->dockerfile);
	}
	emit(out, "run (Docker; Podman takes the same flags):\n  %s\n", f->docker_run);
	if (f->podman_label[0])
		emit(out, "Podman (image label):\n  %s\n", f->podman_label);
	emit(out, "Kubernetes, Pod Security Standard %s%s%s%s:\n", pss_level_name(f->level),
	     f->rule[0] ? " (fails " : "", f->rule, f->rule[0] ? ")" : "");
	text_block(out, f->kubernetes);
}

/* Static: ~4 kB, and the output runs once. */
static struct probe_deploy d;

static void text_deploy(struct outbuf *out, const struct probe_result *r, capmask set)
{
	probe_deploy_make(&d, set, r->target, r->userns_needed, r->port);
	emit(out, "\n");
	text_form(out, &d.main);
	for (size_t i = 0; i < sizeof note_text / sizeof note_text[0]; i++)
		if (d.notes & (1u << i))
			emit(out, "note: %s\n", note_text[i]);
	if (d.has_sysctl) {
		emit(out, "\nor with no capability at all, the port sysctl at %d (a safe sysctl since "
			  "Kubernetes 1.22):\n",
		     (int)d.sysctl_port);
		text_form(out, &d.sysctl);
	}
}

void probe_report_text(struct outbuf *out, const struct probe_result *r)
{
	switch (r->outcome) {
	case PROBE_OUT_FOUND:
		emit(out, "needed: %c\n", r->portable);
		break;
	case PROBE_OUT_VERIFIED:
		emit(out, "verified: %c works, and every member is needed\n", r->verify_set);
		break;
	case PROBE_OUT_NOT_MINIMAL:
		emit(out, "not minimal: %c of ", r->not_needed);
		emit(out, "%c not needed\n", r->verify_set);
		break;
	case PROBE_OUT_INSUFFICIENT:
		emit(out, "insufficient: %c does not work\n", r->verify_set);
		break;
	default:
		emit(out, "no result: %e\n",
		     r->why ? r->why
		     : r->outcome == PROBE_OUT_NONE
			     ? "COMMAND does not work even with every candidate"
			     : "a set that worked once failed later");
		break;
	}
	text_members(out, r);

	int fi = failed_trial(r);
	const struct probe_trial *ft = trial_at(r, fi);
	if (ft) {
		char buf[640];
		struct sbuf s;
		sb_init(&s, buf, sizeof buf);
		trial_set(&s, ft, r->outcome == PROBE_OUT_NONE ? r->candidates : 0, (size_t)fi + 1);
		sb_puts(&s, ": ");
		trial_failure(&s, ft, r->command, r->facts, LINE_MAX_BYTES + 100);
		emit(out, "  trial %d (%s) %s\n", fi + 1, probe_kind_name(ft->kind), buf);
		if (ft->reason == PROBE_R_DAEMONIZED)
			emit(out, "note: run the app in the foreground (nginx: -g 'daemon off;')\n");
	} else if (r->outcome == PROBE_OUT_INSUFFICIENT && r->why) {
		emit(out, "  %e\n", r->why);
	}

	capmask set = 0;
	bool deploy = deploy_set(r, &set);
	if (r->outcome == PROBE_OUT_NOT_MINIMAL) {
		int si = find_trial(r, PROBE_KIND_COUNT, r->smaller, true);
		if (!r->smaller_works)
			emit(out, "smaller: %c was not shown to work (members may stand in for each "
				  "other): search within SET with --probe --probe-candidates=",
			     r->smaller);
		else if (si >= 0)
			emit(out, "smaller: %c (trial %d worked with it)", r->smaller, si + 1);
		else
			emit(out, "smaller: %c", r->smaller);
		if (r->smaller_works)
			emit(out, "\n");
		else
			emit(out, "%c\n", r->verify_set);
	}
	if (r->userns_needed) {
		int ui = -1;
		for (size_t i = 0; r->trials && i < r->ntrials && ui < 0; i++)
			if (r->trials[i].kind == PROBE_KIND_USERNS && r->trials[i].works)
				ui = (int)i;
		emit(out, "the app works only with user namespaces allowed: CAPINIT_USERNS=1");
		if (ui >= 0)
			emit(out, " (trial %d)", ui + 1);
		emit(out, "\n");
	}
	text_counts(out, r);
	if (r->redone)
		emit(out, "note: a repeat failed, so the search was redone with every pass confirmed "
			  "(a flaky app, or files that persist between trials)\n");
	if (r->files_persist) {
		emit(out, "note: in place, files a trial wrote were seen by the next; check the result "
			  "on a fresh container:\n");
		recheck(out, r, deploy ? set : r->verify_set);
	}
	text_facts(out, r);
	if (deploy)
		text_deploy(out, r, set);
}

/* ---- JSON -------------------------------------------------------------------- */

/* {"trial", "reason", "exit", "signal", "last_line", "text", "portable"}. */
static void json_evidence(struct outbuf *out, const struct probe_result *r, int bit, int index,
			  bool failed)
{
	const struct probe_trial *t = trial_at(r, index);
	char buf[512], name[32];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	evidence(&s, r, bit, index, failed);
	capname_of_bit(bit, name, sizeof name);
	emit(out, "\"%s\": {\"trial\": %n, \"reason\": %j, \"exit\": %n, \"signal\": %n, "
		  "\"last_line\": %j, \"text\": %j, \"portable\": %j}",
	     name, t ? (long long)index + 1 : -1LL,
	     t ? probe_reason_name(t->reason) : NULL, t ? (long long)t->exit_code : -1LL,
	     t && t->signal > 0 ? (long long)t->signal : -1LL, t ? t->last_line : NULL,
	     t ? buf : NULL, t ? NULL : buf);
}

static void json_trial(struct outbuf *out, const struct probe_trial *t, size_t i, capmask ref)
{
	emit(out, "%s{\"index\": %d, \"kind\": \"%s\", \"set\": %C, \"removed\": %C, \"userns\": %b, "
		  "\"works\": %b, \"reason\": \"%s\", \"why\": %j, \"exit\": %n, \"signal\": %n, "
		  "\"errno\": %n, \"seconds\": %t, \"last_line\": %j}",
	     i ? ", " : "", (int)i + 1, probe_kind_name(t->kind), t->set, ref & ~t->set,
	     (int)t->userns, (int)t->works, probe_reason_name(t->reason), t->why,
	     (long long)t->exit_code, t->signal > 0 ? (long long)t->signal : -1LL,
	     t->err > 0 ? (long long)t->err : -1LL, t->us, t->last_line);
}

static void json_facts(struct outbuf *out, const struct probe_result *r)
{
	const struct probe_facts *f = r->facts;
	if (!f) {
		emit(out, "null");
		return;
	}
	char caps[256];
	struct sbuf s;
	sb_init(&s, caps, sizeof caps);
	file_caps_text(&s, f);
	emit(out, "{\"port_start\": %n, \"port_free_here\": %b, \"sysctls_forced\": %b, "
		  "\"ping_group_range\": ",
	     (long long)f->port_start,
	     r->port && r->port < 1024 && f->port_start >= 0 && f->port_start <= (int)r->port,
	     (int)f->sysctls_forced);
	if (f->ping_known)
		emit(out, "[%n, %n]", (long long)f->ping_lo, (long long)f->ping_hi);
	else
		emit(out, "null");
	emit(out, ", \"command_path\": %j, \"file_caps\": ",
	     f->command_path[0] ? f->command_path : NULL);
	if (f->file_caps)
		emit(out, "{\"permitted\": %C, \"inheritable\": %C, \"effective\": %b, \"text\": %j}",
		     f->file_permitted, f->file_inheritable, (int)f->file_effective, caps);
	else
		emit(out, "null");
	emit(out, ", \"no_new_privs\": %b, \"securebits\": %d, \"runtime\": %j, \"pid1\": %b}",
	     (int)f->no_new_privs, (int)f->securebits, f->runtime, (int)f->pid1);
}

static void json_form(struct outbuf *out, const struct probe_deploy_form *f)
{
	emit(out, "{\"dockerfile\": %j, \"docker_run\": %j, \"podman_label\": %j, \"kubernetes\": "
		  "{\"yaml\": %j, \"pss\": \"%s\", \"rule\": %j}}",
	     f->dockerfile[0] ? f->dockerfile : NULL, f->docker_run,
	     f->podman_label[0] ? f->podman_label : NULL, f->kubernetes, pss_level_name(f->level),
	     f->rule[0] ? f->rule : NULL);
}

static void json_deploy(struct outbuf *out, const struct probe_result *r)
{
	capmask set;
	if (!deploy_set(r, &set)) {
		emit(out, "null");
		return;
	}
	probe_deploy_make(&d, set, r->target, r->userns_needed, r->port);
	emit(out, "{\"set\": %C, \"grant\": %C, \"notes\": [", d.set, d.grant);
	const char *sep = "";
	for (size_t i = 0; i < sizeof note_text / sizeof note_text[0]; i++) {
		if (d.notes & (1u << i)) {
			emit(out, "%s%j", sep, note_text[i]);
			sep = ", ";
		}
	}
	emit(out, "], \"main\": ");
	json_form(out, &d.main);
	if (d.has_sysctl) {
		emit(out, ", \"sysctl\": {\"port\": %d, \"form\": ", (int)d.sysctl_port);
		json_form(out, &d.sysctl);
		emit(out, "}}");
	} else {
		emit(out, ", \"sysctl\": null}");
	}
}

void probe_report_json(struct outbuf *out, const struct probe_result *r)
{
	bool verify = verify_mode(r);
	bool has_set = r->outcome == PROBE_OUT_FOUND || r->outcome == PROBE_OUT_VERIFIED;
	bool not_minimal = r->outcome == PROBE_OUT_NOT_MINIMAL;
	int fi = failed_trial(r);
	emit(out, "{\"schema_version\": %d, \"mode\": \"%s\", \"outcome\": \"%s\", \"runner\": %j, "
		  "\"needed\": %C, \"portable\": %C, \"portable_added\": %C, \"verify_set\": %C, "
		  "\"not_needed\": %C, \"smaller\": %C, \"smaller_works\": %s, \"evidence\": {",
	     PROBE_SCHEMA_VERSION, verify ? "verify" : "probe", outcome_name(r->outcome), r->runner,
	     has_set ? r->needed : CAPS_NULL, has_set ? r->portable : CAPS_NULL, r->portable_added,
	     verify ? r->verify_set : CAPS_NULL,
	     verify && r->outcome != PROBE_OUT_INSUFFICIENT ? r->not_needed : CAPS_NULL,
	     not_minimal ? r->smaller : CAPS_NULL,
	     not_minimal ? (r->smaller_works ? "true" : "false") : "null");
	/* Both maps: what is kept, then (not minimal) what is not needed. */
	for (int pass = 0; pass < 2; pass++) {
		const char *sep = "";
		capmask m = pass ? (not_minimal ? r->not_needed : 0) : members(r);
		for (int bit = 0; bit < 64; bit++) {
			if (!(m & CAPMASK_BIT(bit)))
				continue;
			bool portable = !pass && (r->portable_added & CAPMASK_BIT(bit));
			emit(out, "%s", sep);
			json_evidence(out, r, bit,
				      portable ? -1 : pass ? not_needed_trial(r, bit) : r->evidence[bit],
				      !pass);
			sep = ", ";
		}
		emit(out, pass ? "}" : "}, \"not_needed_evidence\": {");
	}
	emit(out, ", \"failed_trial\": %n, \"why\": %j, \"userns_needed\": %b, \"redone\": %b, "
		  "\"files_persist\": %b, \"candidates\": %C, \"counts\": {",
	     fi >= 0 ? (long long)fi + 1 : -1LL, has_set ? NULL : r->why, (int)r->userns_needed,
	     (int)r->redone, (int)r->files_persist, r->candidates);
	for (int k = 0; k < PROBE_KIND_COUNT; k++)
		emit(out, "%s\"%s\": %d", k ? ", " : "", probe_kind_name((enum probe_kind)k),
		     (int)r->counts[k]);
	emit(out, "}, \"seconds\": %t, \"oracle\": {\"command\": %j, \"port\": %n, \"udp\": %b, "
		  "\"check\": %j}, \"trials\": [",
	     r->us, r->command, r->port ? (long long)r->port : -1LL, (int)r->udp, r->check);
	capmask ref = verify ? r->verify_set : r->candidates;
	for (size_t i = 0; r->trials && i < r->ntrials; i++)
		json_trial(out, &r->trials[i], i, ref);
	emit(out, "], \"facts\": ");
	json_facts(out, r);
	emit(out, ", \"deployment\": ");
	json_deploy(out, r);
	emit(out, "}\n");
}
