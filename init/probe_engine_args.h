/* The engine runner's analysis of the user's own command line and image
 * (`capinit --probe -- docker run [ARG]... IMAGE [COMMAND]...`, or `podman
 * run`), and the command line of each trial made from it.
 *
 * Pure: reads the arrays and text it is given, makes no system call, so
 * every rule below is unit-tested (tests/unit/test_probe_engine_args.c) and
 * fuzzed (tests/fuzz/fuzz_engine_args.c). probe_engine.c runs what it
 * decides. The rules, and why, are in docs/probe.md ("Through the engine"). */
#ifndef INIT_PROBE_ENGINE_ARGS_H
#define INIT_PROBE_ENGINE_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "capset.h"
#include "probe_runner.h"

/* What each engine gives a container without --cap-add/--cap-drop. */
#define ENGINE_DOCKER_DEFAULT ((capmask)0xa80425fbu)
#define ENGINE_PODMAN_DEFAULT ((capmask)0x800405fbu)

/* The most words of the engine's command line handled (far above any real
 * one; a longer one is refused). */
#define ENGINE_ARGS_MAX 512

enum engine_net {
	ENGINE_NET_DEFAULT,   /* the engine's bridge, or a network of its own: an address */
	ENGINE_NET_HOST,      /* --network=host: the host's stack, 127.0.0.1 */
	ENGINE_NET_NONE,      /* --network=none: no client can reach it */
	ENGINE_NET_CONTAINER, /* container:X: X's stack (net_value names X) */
	ENGINE_NET_SHARED,    /* ns:PATH, or a podman pod: a stack of another's */
};

struct engine_cmd {
	const char *engine;       /* "docker" / "podman" */
	size_t argc;
	size_t image;             /* argv index of IMAGE */
	/* The user's --cap-add/--cap-drop (left out of every trial: they
	 * define the candidates instead). */
	capmask add, drop;
	const char *user;         /* -u/--user, NULL: the image's USER */
	const char *entrypoint;   /* --entrypoint (its value may be "") */
	const char *net_value;    /* ENGINE_NET_CONTAINER: X */
	long sysctl_port;         /* --sysctl ip_unprivileged_port_start's value, -1: not a number */
	/* CAPINIT_* variables set by -e/--env, last one wins as in the
	 * engines; NULL: not set there. DROP/ADD/USERNS are left out of every
	 * trial (the trial's own are injected); USER and NO_NEW_PRIVS stay. */
	const char *env_drop, *env_add, *env_user, *env_nnp, *env_userns;
	enum engine_net net;
	bool podman;              /* else docker */
	bool cap_flags;
	bool add_all, drop_all;
	bool entrypoint_given;
	/* --sysctl for these two: the user decided, capinit forces nothing. */
	bool sysctl_port_given, sysctl_ping_given;
	bool no_new_privs;        /* --security-opt no-new-privileges */
	bool env_capinit;         /* any CAPINIT_ variable set by -e */
	bool env_file;            /* --env-file given: its variables are not read */
	unsigned char skip[ENGINE_ARGS_MAX]; /* 1: this word is left out of every trial */
};

/* argv: COMMAND, argv[0] the engine client (basename docker or podman),
 * argv[1] "run". Returns 0, or -1 with one line in err naming the flag and
 * why (exit 2): a flag that would make trials differ from each other or
 * hang (-d, --name, --privileged, -t, --cidfile, --restart, --pull=always,
 * --rmi, --rootfs, --help, a CAPINIT_PROBE variable), or no IMAGE. */
int engine_cmd_parse(struct engine_cmd *c, char *const *argv, size_t argc, char *err,
		     size_t errsize);

/* The container's capabilities from `base` (the engine's default, or
 * Podman's image label) and the command line's flags, as the engines
 * compute them: --cap-add=ALL gives `all` minus the drops; --cap-drop=ALL
 * gives the adds; otherwise base minus drops plus adds. */
capmask engine_cmd_caps(const struct engine_cmd *c, capmask base, capmask all);

/* The image as `ENGINE image inspect --format ENGINE_IMAGE_FORMAT` prints
 * it: one item per line, a letter and a JSON string. */
#define ENGINE_IMAGE_FORMAT                                                                     \
	"{{range .Config.Entrypoint}}E{{json .}}{{\"\\n\"}}{{end}}"                            \
	"{{range .Config.Cmd}}C{{json .}}{{\"\\n\"}}{{end}}"                                   \
	"{{range .Config.Env}}V{{json .}}{{\"\\n\"}}{{end}}"                                   \
	"U{{json .Config.User}}{{\"\\n\"}}"                                                    \
	"L{{json (index .Config.Labels \"io.containers.capabilities\")}}{{\"\\n\"}}"

#define ENGINE_VALUE_MAX 512

struct engine_image {
	bool has_entrypoint, has_cmd;
	char entrypoint0[ENGINE_VALUE_MAX]; /* the first word of each */
	char cmd0[ENGINE_VALUE_MAX];
	char user[ENGINE_VALUE_MAX];        /* USER, "" for root */
	char label_caps[ENGINE_VALUE_MAX];  /* io.containers.capabilities, "" none */
	/* The image's ENV for capinit's own variables. */
	bool env_capinit;
	bool has_drop, has_add, has_user, has_nnp;
	char drop[ENGINE_VALUE_MAX], add[ENGINE_VALUE_MAX], capuser[ENGINE_VALUE_MAX],
		nnp[ENGINE_VALUE_MAX];
};

/* Returns 0, or -1 with one line in err (the output was not the
 * template's: a line without its letter, a broken JSON string). */
int engine_image_parse(struct engine_image *img, const char *text, size_t len, char *err,
		       size_t errsize);

/* Everything the trials need, decided once. */
struct engine_plan {
	capmask engine_default;   /* the engine's, or Podman's image label */
	capmask container;        /* what the command line gives a container */
	/* capinit in the image: the trial's set goes to it too, and it is
	 * granted what it needs itself: SETUID, SETGID, SETPCAP and KILL when
	 * it switches to CAPINIT_USER, nothing more for a root app (its
	 * bounding set then equals the set, nothing to shrink). */
	bool capinit;
	capmask capinit_extra;
	bool force_sysctls;       /* the kernel's defaults for the two sysctls */
	bool nnp;
};

/* Decides the plan and fills `target` (engine, image, candidates, the
 * production spec, the user, no_new_privs). `all`: every capability the
 * engine could grant here. Returns 0, or -1 with one line in err (exit 2:
 * a CAPINIT_ variable of the image or the command line that capinit in the
 * container would refuse). */
int engine_plan_make(const struct engine_cmd *c, const struct engine_image *img,
		     char *const *argv, capmask all, struct engine_plan *p,
		     struct probe_target *target, char *err, size_t errsize);

/* What the trial of `set` grants the container. */
capmask engine_trial_grant(const struct engine_plan *p, capmask set);

/* The command line of one trial: argv[0] and `run`, then --rm, --name NAME,
 * --cap-drop=ALL, one --cap-add=X per capability of the grant, for capinit
 * in the image -e CAPINIT_CAP_DROP=ALL -e CAPINIT_CAP_ADD=SET (and
 * CAPINIT_USERNS), the forced sysctls, then the user's words but those
 * left out, IMAGE and COMMAND. `out` holds outmax pointers (NULL-terminated),
 * the strings made go to buf. Returns the number of words, or 0 when they
 * do not fit. */
size_t engine_trial_argv(const struct engine_cmd *c, const struct engine_plan *p,
			 char *const *argv, capmask set, bool userns, const char *name,
			 char **out, size_t outmax, char *buf, size_t bufsize);

/* The sysctl values trials force (the kernel's defaults). */
#define ENGINE_PORT_SYSCTL "net.ipv4.ip_unprivileged_port_start=1024"
#define ENGINE_PING_SYSCTL "net.ipv4.ping_group_range=1 0"

#endif
