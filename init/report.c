#include "report.h"

#include "fmt.h"

static void print_set(struct outbuf *out, const char *label, capmask mask)
{
	char names[1024];
	capmask_format(mask, ",", names, sizeof names);
	out_printf(out, "  %-12s %016llx  %s\n", label, (unsigned long long)mask, names);
}

/* "--cap-drop=A --cap-drop=B" style flags for each bit of mask. */
static void print_flag_list(struct outbuf *out, const char *flag, capmask mask)
{
	for (int bit = 0; bit < 64; bit++) {
		if (!(mask & CAPMASK_BIT(bit)))
			continue;
		char name[64];
		capname_of_bit(bit, name, sizeof name);
		out_printf(out, " %s=%s", flag, name);
	}
}

/* "A, B, C": the names of mask's bits, for YAML flow lists. */
static void print_names(struct outbuf *out, capmask mask)
{
	char names[1024];
	capmask_format(mask, ", ", names, sizeof names);
	out_puts(out, names);
}

static void print_yaml_list(struct outbuf *out, const char *key, capmask mask)
{
	out_printf(out, "    %s: [", key);
	print_names(out, mask);
	out_printf(out, "]\n");
}

static void print_docker(struct outbuf *out, const struct config *cfg, const struct plan *p)
{
	out_printf(out, "docker run");
	if (cfg->drop_all)
		out_printf(out, " --cap-drop=ALL");
	else
		print_flag_list(out, "--cap-drop", cfg->drop & p->kernel);
	print_flag_list(out, "--cap-add", cfg->add);
	if (p->switch_user)
		out_printf(out, " --user=%u:%u", (unsigned)p->uid, (unsigned)p->gid);
	if (p->no_new_privs)
		out_printf(out, " --security-opt=no-new-privileges");
	out_printf(out, " IMAGE\n");
	if (p->userns_guard)
		out_printf(out, "  (user namespaces: Docker's default seccomp profile refuses them "
			     "to an app without SYS_ADMIN too; capinit's guard also holds under "
			     "--security-opt seccomp=unconfined)\n");
	if (p->switch_user && p->uid != 0 && p->ambient)
		out_printf(out, "  (Docker does not raise ambient capabilities for --user: the "
			     "non-root app gets them only through capinit)\n");
}

static void print_kubernetes(struct outbuf *out, const struct config *cfg, const struct plan *p)
{
	out_printf(out, "securityContext:\n");
	if (p->switch_user)
		out_printf(out, "  runAsUser: %u\n  runAsGroup: %u\n", (unsigned)p->uid,
			(unsigned)p->gid);
	out_printf(out, "  allowPrivilegeEscalation: %s\n", p->no_new_privs ? "false" : "true");
	if (p->spec_given) {
		out_printf(out, "  capabilities:\n");
		if (cfg->drop_all)
			out_printf(out, "    drop: [ALL]\n");
		else
			print_yaml_list(out, "drop", cfg->drop & p->kernel);
		if (cfg->add)
			print_yaml_list(out, "add", cfg->add);
	}
	/* The runtime's profile refuses user namespaces as capinit's guard
	 * does, and much more; Kubernetes runs a pod Unconfined without it. */
	if (p->userns_guard)
		out_printf(out, "  seccompProfile:\n    type: RuntimeDefault\n");
	if (p->switch_user && p->uid != 0 && p->ambient) {
		out_printf(out, "  # Kubernetes gives a non-root container no ambient capabilities "
			     "(kubernetes/kubernetes#56374). With capinit instead: run the "
			     "container as root with\n");
		out_printf(out, "  #   runAsUser: 0, capabilities: {drop: [ALL], add: [");
		print_names(out, p->capinit_needs);
		out_printf(out, "]}\n  #   and CAPINIT_USER=%u:%u for the app.\n", (unsigned)p->uid,
			   (unsigned)p->gid);
	}
}

void report_plan(struct outbuf *out, const struct config *cfg, const struct plan *p,
		 const struct runtime *rt)
{
	out_printf(out, "capinit plan\n");
	out_printf(out, "runtime gave (uid %u, kernel has %d capabilities):\n", (unsigned)rt->euid,
		rt->max_bits);
	print_set(out, "handed (H)", p->handed);
	print_set(out, "bounding", rt->bounding & p->kernel);
	print_set(out, "permitted", rt->permitted);
	print_set(out, "effective", rt->effective);
	out_printf(out, "dropped:\n");
	print_set(out, "H - B'", p->dropped);
	if (p->unsupported_drops)
		print_set(out, "not in kernel", p->unsupported_drops);
	out_printf(out, "child gets:\n");
	print_set(out, "bounding", p->bounding);
	print_set(out, "permitted", p->permitted);
	print_set(out, "effective", p->effective);
	print_set(out, "inheritable", p->inheritable);
	print_set(out, "ambient", p->ambient);
	if (p->bounding_kept_warning)
		out_printf(out, "  (bounding set left as handed over: no CAP_SETPCAP; safe because "
			     "the child is non-root under no_new_privs)\n");
	if (p->app_can_ptrace_init)
		out_printf(out, "  (CAP_SYS_PTRACE: the app can attach to capinit despite its "
			     "non-dumpable flag and read its memory, /proc/1/environ, /proc/1/fd)\n");
	if (p->app_can_read_init)
		out_printf(out, "  (CAP_SYS_ADMIN: the app can read capinit's /proc/1/environ (as root) "
			     "and /proc/1/maps despite its non-dumpable flag)\n");
	if (p->named_user_is_root)
		out_printf(out, "  (%s: this user is uid 0 in the image's /etc/passwd: the app runs as "
			     "root)\n",
			   cfg->user_source);
	if (p->cannot_signal_child)
		out_printf(out, "  (no CAP_KILL: capinit cannot forward signals to the app's uid)\n");
	if (p->switch_user) {
		out_printf(out, "  user         uid %u gid %u groups", (unsigned)p->uid,
			(unsigned)p->gid);
		for (size_t i = 0; i < p->ngroups; i++)
			out_printf(out, "%s%u", i ? "," : " ", (unsigned)p->groups[i]);
		/* HOME comes from the image's /etc/passwd: escaped, so an
		 * image cannot put escape sequences or forged lines into what
		 * an auditor reads. */
		if (p->home_env) {
			out_puts(out, " ");
			out_puts_escaped(out, p->home_env);
		}
		out_puts(out, "\n");
	} else {
		out_printf(out, "  user         unchanged (uid %u)\n", (unsigned)p->uid);
	}
	out_printf(out, "  securebits   0x%x%s\n", rt->securebits,
		   rt->securebits ? " (set by the runtime; kept, and the plan allows for them)" : "");
	if (p->already_user)
		out_printf(out, "  (already running as uid %u gid %u with these groups: no switch)\n",
			   (unsigned)p->uid, (unsigned)p->gid);
	out_printf(out, "  no_new_privs %d%s\n", p->no_new_privs,
		p->nnp_forced_by_runtime ? " (already set by the runtime)" : "");
	if (p->userns_guard)
		out_printf(out, "  userns       refused: seccomp guard (unshare/clone with "
			     "CLONE_NEWUSER: EPERM, clone3: ENOSYS), the app has no CAP_SYS_ADMIN\n");
	else if (cfg->userns)
		out_printf(out, "  userns       allowed: CAPINIT_USERNS=1 (left to the kernel and the "
			     "runtime's seccomp profile)\n");
	else
		out_printf(out, "  userns       allowed: the app holds CAP_SYS_ADMIN and can create "
			     "namespaces anyway\n");
	out_printf(out, "equivalent:\n");
	print_docker(out, cfg, p);
	print_kubernetes(out, cfg, p);
}
