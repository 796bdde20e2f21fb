/* Placeholder output until probe_report.c lands: the bare facts. */
#include "probe_report.h"

void probe_report_progress(char *buf, size_t size, size_t number, const struct probe_trial *t,
			   capmask base)
{
	char names[600];
	capmask_format(base & ~t->set, ",", names, sizeof names);
	fmt_snprintf(buf, size, "probe trial %zu (%s) without %s: %s (%s) [%s] in %lld.%03lld s",
		     number, probe_kind_name(t->kind), names, t->works ? "works" : "fails", t->why,
		     t->last_line, t->us / 1000000, t->us / 1000 % 1000);
}

static void json_names(struct outbuf *out, capmask m)
{
	out_puts(out, "[");
	for (int bit = 0, first = 1; bit < 64; bit++) {
		if (!(m & CAPMASK_BIT(bit)))
			continue;
		char n[64];
		capname_of_bit(bit, n, sizeof n);
		out_printf(out, "%s\"%s\"", first ? "" : ", ", n);
		first = 0;
	}
	out_puts(out, "]");
}

void probe_report_json(struct outbuf *out, const struct probe_result *r)
{
	out_printf(out, "{\"outcome\": %d, \"runner\": \"%s\", \"needed\": ", (int)r->outcome,
		   r->runner);
	json_names(out, r->portable);
	out_puts(out, ", \"not_needed\": ");
	json_names(out, r->not_needed);
	out_puts(out, ", \"candidates\": ");
	json_names(out, r->candidates);
	out_printf(out, ", \"userns_needed\": %s, \"trials\": [", r->userns_needed ? "true" : "false");
	for (size_t i = 0; i < r->ntrials; i++) {
		const struct probe_trial *t = &r->trials[i];
		out_printf(out, "%s{\"kind\": \"%s\", \"caps\": ", i ? ", " : "",
			   probe_kind_name(t->kind));
		json_names(out, t->set);
		out_printf(out, ", \"works\": %s, \"reason\": \"%s\", \"exit\": %d}",
			   t->works ? "true" : "false", probe_reason_name(t->reason), t->exit_code);
	}
	out_puts(out, "]}\n");
}

void probe_report_text(struct outbuf *out, const struct probe_result *r)
{
	char n[600];
	capmask_format(r->portable, ",", n, sizeof n);
	out_printf(out, "outcome %d needed: %s\n", (int)r->outcome, n);
	for (int bit = 0; bit < 64; bit++)
		if (r->evidence[bit] >= 0 && (r->portable & CAPMASK_BIT(bit))) {
			const struct probe_trial *t = &r->trials[r->evidence[bit]];
			capname_of_bit(bit, n, sizeof n);
			out_printf(out, "  %-18s without it: %s: %s\n", n, t->why, t->last_line);
		}
}
