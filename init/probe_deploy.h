/* The least privileged way to run a probed set on each target: a
 * Dockerfile ENV line (capinit in the image), `docker run` flags,
 * Podman's image label and a Kubernetes container securityContext with
 * the Pod Security Standard level it passes; and for a non-root server
 * whose only need is a port below 1024, the same with no capability at
 * all through the net.ipv4.ip_unprivileged_port_start sysctl.
 *
 * Pure: computes lines into the struct; probe_report.c prints them as text
 * or JSON. The YAML is rendered from the very pss_context that pss_check
 * judges, so the level printed beside it is the level of what is printed. */
#ifndef INIT_PROBE_DEPLOY_H
#define INIT_PROBE_DEPLOY_H

#include <stdbool.h>

#include "capset.h"
#include "probe_pss.h"
#include "probe_runner.h"

/* Podman's default capability set (containers.conf): the image label only
 * narrows it, and a label naming anything else is ignored with an error. */
#define PODMAN_DEFAULT_CAPS ((capmask)0x800405fbULL)

/* Why a line looks as it does, printed beside the lines. */
enum probe_deploy_note {
	/* capinit starts as root, holding SETUID, SETGID, SETPCAP and KILL as
	 * well, to switch to the user and keep the set as ambient. */
	PROBE_NOTE_ROOT_START = 1u << 0,
	/* A non-root container without capinit: no ambient capabilities
	 * (Docker, Kubernetes #56374); the app keeps the set only through
	 * file capabilities. */
	PROBE_NOTE_NO_AMBIENT = 1u << 1,
	/* The runtime's default seccomp profile refuses user namespaces. */
	PROBE_NOTE_USERNS_SECCOMP = 1u << 2,
	/* The grant lies outside Podman's default set: the label is ignored. */
	PROBE_NOTE_PODMAN_OUTSIDE = 1u << 3,
};

struct probe_deploy_form {
	char dockerfile[192];   /* "" where capinit does not start the app */
	char docker_run[448];
	char podman_label[192]; /* "" where nothing is granted (an empty label is invalid) */
	char kubernetes[640];   /* YAML: a container securityContext, or a Pod spec fragment */
	struct pss_context pss; /* what the YAML says */
	enum pss_level level;
	char rule[320];         /* the rules of the next level up it fails, "" at restricted */
};

struct probe_deploy {
	capmask set;            /* the app's */
	capmask grant;          /* the container's: the set, plus capinit's own for a user switch */
	unsigned notes;         /* enum probe_deploy_note */
	struct probe_deploy_form main;
	/* A non-root app whose whole set is NET_BIND_SERVICE for a probed port
	 * below 1024: run as the user directly with no capability and the
	 * port sysctl at that port (a safe sysctl: restricted). */
	bool has_sysctl;
	unsigned sysctl_port;
	struct probe_deploy_form sysctl;
};

/* `set`: what the app needs (the portable set); `port`: the probed port,
 * 0 for none; `userns`: the app needs user namespaces (CAPINIT_USERNS=1).
 * `t` NULL reads as capinit in the image, the app run as root. */
void probe_deploy_make(struct probe_deploy *d, capmask set, const struct probe_target *t,
		       bool userns, unsigned port);

#endif
