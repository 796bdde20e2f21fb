/* The facts of the place a probe runs in that change its answer, read once
 * before trial 1 and printed with the result (text and JSON): a result is a
 * promise about production, and production may be another kind of node. */
#ifndef INIT_PROBE_FACTS_H
#define INIT_PROBE_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"

struct probe_facts {
	/* net.ipv4.ip_unprivileged_port_start where the trials ran (-1: not
	 * known). Docker and containerd 2 set 0 in every container; the
	 * kernel's default, and CRI-O's, is 1024. */
	int port_start;
	/* The trials ran with the kernel's defaults for both sysctls forced
	 * (an engine's --sysctl), so their answer holds on any node. */
	bool sysctls_forced;
	/* net.ipv4.ping_group_range: groups allowed ICMP sockets without
	 * NET_RAW (the kernel's default "1 0" allows none). */
	bool ping_known;
	unsigned long ping_lo, ping_hi;
	/* COMMAND's file as found through PATH, and its security.capability
	 * extended attribute (Debian's ping: cap_net_raw=ep). */
	char command_path[256];
	bool file_caps;
	capmask file_permitted, file_inheritable;
	bool file_effective;
	/* Handed over by the runtime. */
	bool no_new_privs;
	unsigned securebits;
	/* Where this is, as far as capinit can tell: "docker", "podman", "a
	 * container", "a host"; for the engine runner the engine's name. */
	const char *runtime;
	bool pid1;
};

/* Read them (in process: /proc/sys, the xattr of COMMAND found through
 * PATH in child_env, capinit's own runtime state). Never fails: what cannot
 * be read stays unknown. */
struct runtime;
struct config;
void probe_facts_read(struct probe_facts *f, const struct config *cfg, const struct runtime *rt,
		      char **child_env);

/* `port` needs NET_BIND_SERVICE on a node with the kernel's default
 * (below 1024), but anyone may bind it here (the sysctl is at or below
 * it), so a trial here cannot show that need. */
bool probe_facts_port_free_here(const struct probe_facts *f, unsigned port);

#endif
