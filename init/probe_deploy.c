#include "probe_deploy.h"

#include <linux/capability.h>
#include <string.h>

#include "sbuf.h"

#define B(c) CAPMASK_BIT(c)

/* What capinit itself needs to start as root and hand a non-root app its
 * set: SETUID and SETGID to switch, SETPCAP to shrink the bounding set,
 * KILL to forward signals to the app's uid. The app gets none of them. */
static const capmask switch_caps = B(CAP_SETUID) | B(CAP_SETGID) | B(CAP_SETPCAP) | B(CAP_KILL);

static const char port_sysctl[] = "net.ipv4.ip_unprivileged_port_start";

/* How the app is started, the decision every line follows. */
enum shape {
	AS_USER,     /* non-root, no capability: the container runs as the user */
	ROOT_START,  /* non-root with capabilities: capinit starts as root and switches */
	USER_CAPS,   /* non-root with capabilities, no capinit: the user's own way */
	AS_ROOT,     /* the app runs as root with exactly the set */
};

struct plan_in {
	const struct probe_target *t;
	enum shape shape;
	capmask set, grant;
	bool userns;
	unsigned sysctl_port; /* 0: none */
};

static const char *engine_of(const struct probe_target *t)
{
	return t->engine && strcmp(t->engine, "podman") == 0 ? "podman" : "docker";
}

static void dockerfile(struct sbuf *s, const struct plan_in *p)
{
	const struct probe_target *t = p->t;
	if (!t->capinit_in_image)
		return;
	if (p->shape == AS_USER)
		sb_printf(s, "USER %u:%u\n", (unsigned)t->uid, (unsigned)t->gid);
	sb_puts(s, "ENV CAPINIT_CAP_DROP=ALL");
	if (p->set) {
		sb_puts(s, " CAPINIT_CAP_ADD=");
		sb_caps(s, p->set, ",");
	}
	if (p->shape == ROOT_START) {
		sb_puts(s, " CAPINIT_USER=");
		if (t->user_spec[0])
			sb_escaped(s, t->user_spec, sizeof t->user_spec * 4);
		else
			sb_printf(s, "%u:%u", (unsigned)t->uid, (unsigned)t->gid);
	}
	if (p->userns)
		sb_puts(s, " CAPINIT_USERNS=1");
}

static void docker_run(struct sbuf *s, const struct plan_in *p)
{
	const struct probe_target *t = p->t;
	sb_printf(s, "%s run --cap-drop=ALL", engine_of(t));
	for (int bit = 0; bit < 64; bit++) {
		if (!(p->grant & B(bit)))
			continue;
		char name[32];
		capname_of_bit(bit, name, sizeof name);
		sb_printf(s, " --cap-add=%s", name);
	}
	if (p->shape == AS_USER || p->shape == USER_CAPS)
		sb_printf(s, " --user=%u:%u", (unsigned)t->uid, (unsigned)t->gid);
	if (p->sysctl_port)
		sb_printf(s, " --sysctl %s=%u", port_sysctl, p->sysctl_port);
	if (p->userns)
		sb_puts(s, " --security-opt=seccomp=SECCOMP_PROFILE.json");
	if (t->no_new_privs)
		sb_puts(s, " --security-opt=no-new-privileges");
	sb_puts(s, " ");
	if (t->image)
		sb_escaped(s, t->image, 256);
	else
		sb_puts(s, "IMAGE");
}

static void podman_label(struct sbuf *s, capmask grant)
{
	if (!grant)
		return;
	sb_puts(s, "LABEL io.containers.capabilities=\"");
	sb_caps(s, grant, ",");
	sb_puts(s, "\"");
}

/* The securityContext as pss_check will judge it. */
static void context_of(struct pss_context *c, const struct plan_in *p)
{
	memset(c, 0, sizeof *c);
	c->run_as_non_root = -1;
	c->run_as_user = -1;
	c->allow_privilege_escalation = p->t->no_new_privs ? 0 : 1;
	c->drop_all = true;
	c->add = p->grant;
	/* The runtime's default profile refuses user namespaces to an app
	 * without SYS_ADMIN, as capinit's guard does: one that needs them
	 * needs a profile of its own, which Localhost names. */
	c->seccomp = p->userns ? PSS_SECCOMP_LOCALHOST : PSS_SECCOMP_RUNTIME_DEFAULT;
	if (p->shape == AS_USER || p->shape == USER_CAPS) {
		c->run_as_non_root = 1;
		c->run_as_user = p->t->uid;
	} else if (p->shape == ROOT_START) {
		c->run_as_user = 0;
	}
	if (p->sysctl_port) {
		c->sysctls[0] = port_sysctl;
		c->nsysctls = 1;
	}
}

/* YAML from the context: the container's securityContext, inside a Pod
 * spec fragment when there is a sysctl (sysctls are the Pod's). Only what
 * context_of() sets is rendered (never privileged; seccomp RuntimeDefault
 * or Localhost; at most the one sysctl), which the unit tests hold to the
 * level pss_check gives and tests/unit/probe_schema.py judges again from
 * the text. */
static void kubernetes(struct sbuf *s, const struct pss_context *c, const struct plan_in *p)
{
	char body[512];
	struct sbuf b;
	sb_init(&b, body, sizeof body);
	if (c->run_as_non_root >= 0)
		sb_printf(&b, "runAsNonRoot: %s\n", c->run_as_non_root ? "true" : "false");
	if (c->run_as_user >= 0)
		sb_printf(&b, "runAsUser: %lld%s\n", c->run_as_user,
			  p->shape == ROOT_START ? "  # capinit, which switches to CAPINIT_USER" : "");
	if (c->run_as_user > 0)
		sb_printf(&b, "runAsGroup: %u\n", (unsigned)p->t->gid);
	if (c->allow_privilege_escalation >= 0)
		sb_printf(&b, "allowPrivilegeEscalation: %s\n",
			  c->allow_privilege_escalation ? "true" : "false");
	sb_printf(&b, "capabilities:\n  drop: [%s]\n", c->drop_all ? "ALL" : "");
	if (c->add) {
		sb_puts(&b, "  add: [");
		sb_caps(&b, c->add, ", ");
		sb_puts(&b, "]\n");
	}
	sb_printf(&b, "seccompProfile: {type: %s}\n",
		  c->seccomp == PSS_SECCOMP_LOCALHOST
			  ? "Localhost, localhostProfile: SECCOMP_PROFILE.json"
			  : "RuntimeDefault");
	const char *in = "  ";
	if (c->nsysctls) {
		sb_printf(s, "spec:\n  securityContext:\n    sysctls:\n      - {name: %s, value: "
			     "\"%u\"}\n  containers:\n    - securityContext:\n",
			  c->sysctls[0], p->sysctl_port);
		in = "        ";
	} else {
		sb_puts(s, "securityContext:\n");
	}
	for (const char *line = body; *line;) {
		size_t n = strcspn(line, "\n");
		sb_printf(s, "%s%.*s\n", in, (int)n, line);
		line += n + (line[n] == '\n');
	}
}

static void form(struct probe_deploy_form *f, const struct plan_in *p)
{
	struct sbuf s;
	sb_init(&s, f->dockerfile, sizeof f->dockerfile);
	dockerfile(&s, p);
	sb_init(&s, f->docker_run, sizeof f->docker_run);
	docker_run(&s, p);
	sb_init(&s, f->podman_label, sizeof f->podman_label);
	podman_label(&s, p->grant);
	context_of(&f->pss, p);
	sb_init(&s, f->kubernetes, sizeof f->kubernetes);
	kubernetes(&s, &f->pss, p);
	f->level = pss_check(&f->pss, f->rule, sizeof f->rule);
}

void probe_deploy_make(struct probe_deploy *d, capmask set, const struct probe_target *t,
		       bool userns, unsigned port)
{
	/* Zeroed, then the two fields set: as an initialised constant it would
	 * be ~570 bytes of the file, mostly zeros. */
	static struct probe_target in_image_root;
	if (!t) {
		in_image_root.capinit_in_image = in_image_root.app_root = true;
		t = &in_image_root;
	}
	memset(d, 0, sizeof *d);
	struct plan_in p = {.t = t, .set = set, .grant = set, .userns = userns};
	if (t->app_root)
		p.shape = AS_ROOT;
	else if (!set)
		p.shape = AS_USER;
	else if (t->capinit_in_image)
		p.shape = ROOT_START;
	else
		p.shape = USER_CAPS;
	if (p.shape == ROOT_START) {
		p.grant |= switch_caps;
		d->notes |= PROBE_NOTE_ROOT_START;
	}
	if (p.shape == USER_CAPS)
		d->notes |= PROBE_NOTE_NO_AMBIENT;
	if (userns)
		d->notes |= PROBE_NOTE_USERNS_SECCOMP;
	if (p.grant & ~PODMAN_DEFAULT_CAPS)
		d->notes |= PROBE_NOTE_PODMAN_OUTSIDE;
	d->set = set;
	d->grant = p.grant;
	form(&d->main, &p);

	/* Binding below ip_unprivileged_port_start is what NET_BIND_SERVICE
	 * grants; with the sysctl at the port, anyone may, so the user needs
	 * no capability and capinit no root start. The value is the probed
	 * port: a lower one the app also binds would need a lower value. */
	if (!t->app_root && set == B(CAP_NET_BIND_SERVICE) && port > 0 && port < 1024) {
		struct plan_in q = {.t = t, .shape = AS_USER, .userns = userns, .sysctl_port = port};
		d->has_sysctl = true;
		d->sysctl_port = port;
		form(&d->sysctl, &q);
	}
}
