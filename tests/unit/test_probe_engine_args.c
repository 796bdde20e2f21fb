/* The engine runner's analysis of `docker run ...` / `podman run ...`:
 * where IMAGE is, the flags that take no value, the user's --cap-add and
 * --cap-drop becoming the candidates, what is refused (exit 2, naming the
 * flag), the image inspect output, what capinit in the image is granted,
 * and each trial's command line, word for word. */
#include "probe_engine_args.h"

#include <linux/capability.h>
#include <string.h>

#include "check.h"
#include "plan.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define BIT(c) CAPMASK_BIT(CAP_##c)

static size_t count(char **argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	return n;
}

static struct engine_cmd cmd;
static char err[512];

static int parse(char **argv)
{
	err[0] = '\0';
	return engine_cmd_parse(&cmd, argv, count(argv), err, sizeof err);
}

/* The words of argv that every trial keeps, joined by spaces. */
static const char *kept(char **argv)
{
	static char buf[1024];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 2; i < cmd.argc; i++) {
		if (i < cmd.image && cmd.skip[i])
			continue;
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? " " : "",
					 argv[i]);
	}
	return buf;
}

static void test_image_found(void)
{
	char **a = ARGV("docker", "run", "img");
	CHECK(parse(a) == 0 && cmd.image == 2 && !cmd.podman && strcmp(cmd.engine, "docker") == 0);
	a = ARGV("/usr/bin/podman", "run", "-i", "--rm", "-p", "80:80", "-e", "A=1", "img", "nginx",
		 "-g", "daemon off;");
	CHECK(parse(a) == 0 && cmd.image == 8 && cmd.podman);
	/* --rm is every trial's own: the user's goes, whatever its value. */
	CHECK(strcmp(kept(a), "-i -p 80:80 -e A=1 img nginx -g daemon off;") == 0);
	/* Booleans with a value, in a cluster, and unknown flags taking one. */
	a = ARGV("docker", "run", "-iP", "--init", "--read-only=true", "--sig-proxy=false",
		 "--new-flag", "v", "-p8080:80", "-x", "y", "img", "-d");
	CHECK(parse(a) == 0 && cmd.image == 11);
	a = ARGV("docker", "run", "--", "img");
	CHECK(parse(a) == 0 && cmd.image == 3);
	a = ARGV("docker", "run", "-", "x");
	CHECK(parse(a) == 0 && cmd.image == 2); /* "-" is a word, not a flag */
	a = ARGV("docker", "run", "-d=false", "--detach=false", "-t=0", "--privileged=f", "img");
	CHECK(parse(a) == 0 && cmd.image == 6);
	/* --rm=false goes too: every trial is --rm. */
	a = ARGV("docker", "run", "--rm=false", "img");
	CHECK(parse(a) == 0 && strcmp(kept(a), "img") == 0);
}

static void test_no_image(void)
{
	CHECK(parse(ARGV("docker", "run")) != 0);
	CHECK_CONTAINS(err, "no IMAGE");
	CHECK(parse(ARGV("docker", "run", "-i", "--memory")) != 0);
	CHECK_CONTAINS(err, "--memory: needs a value");
	CHECK(parse(ARGV("docker", "run", "-p")) != 0);
	CHECK(parse(ARGV("docker", "run", "--", "")) == 0); /* an empty IMAGE: the engine says */
	CHECK(parse(ARGV("docker", "create", "img")) != 0);
	CHECK(parse(ARGV("nerdctl", "run", "img")) != 0);
	CHECK(parse(ARGV("docker", "run", "--env")) != 0);
	CHECK(parse(ARGV("docker", "run", "--detach=maybe", "img")) != 0);
	CHECK_CONTAINS(err, "not a boolean");
}

static void test_refused(void)
{
	const struct {
		char **argv;
		const char *flag;
	} cases[] = {
		{ARGV("docker", "run", "-d", "img"), "run -d:"},
		{ARGV("docker", "run", "-itd", "img"), "run -itd:"},
		{ARGV("docker", "run", "--detach", "img"), "--detach:"},
		{ARGV("docker", "run", "-it", "img"), "run -it:"},
		{ARGV("docker", "run", "--tty=true", "img"), "--tty=true:"},
		{ARGV("docker", "run", "--name", "web", "img"), "--name:"},
		{ARGV("docker", "run", "--name=web", "img"), "--name=web:"},
		{ARGV("docker", "run", "--privileged", "img"), "--privileged:"},
		{ARGV("docker", "run", "--cidfile", "/tmp/x", "img"), "--cidfile:"},
		{ARGV("docker", "run", "--restart=always", "img"), "--restart=always:"},
		{ARGV("docker", "run", "--pull", "always", "img"), "--pull:"},
		{ARGV("podman", "run", "--rmi", "img"), "--rmi:"},
		{ARGV("podman", "run", "--rootfs", "/srv/root"), "--rootfs:"},
		{ARGV("docker", "run", "--help", "img"), "--help:"},
		{ARGV("docker", "run", "-e", "CAPINIT_PROBE=1", "img"), "run -e:"},
		{ARGV("docker", "run", "--env=CAPINIT_PROBE_PORT=80", "img"), "--env=CAPINIT_PROBE_PORT=80:"},
		/* The trials replace these: a word of their own, with a value. */
		{ARGV("docker", "run", "-ie", "CAPINIT_CAP_ADD=CHOWN", "img"), "run -ie:"},
		{ARGV("docker", "run", "-e", "CAPINIT_CAP_DROP", "img"), "run -e:"},
		{ARGV("docker", "run", "--cap-add", "NOPE", "img"), "--cap-add"},
		{ARGV("docker", "run", "--cap-drop=ALL,CHOWN", "img"), "--cap-drop"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(parse(cases[i].argv) != 0);
		CHECK_CONTAINS(err, cases[i].flag);
		CHECK(strchr(err, '\n') == NULL);
	}
	/* Allowed: values that change nothing between trials. */
	CHECK(parse(ARGV("docker", "run", "--restart=no", "--pull=never", "img")) == 0);
	CHECK(parse(ARGV("docker", "run", "--pull", "missing", "img")) == 0);
}

static void test_caps(void)
{
	capmask all = capmask_first(41);
	char **a = ARGV("docker", "run", "--cap-drop", "NET_RAW", "--cap-add=cap_sys_ptrace",
			"-i", "img");
	CHECK(parse(a) == 0 && cmd.cap_flags);
	CHECK_EQ_U64(engine_cmd_caps(&cmd, ENGINE_DOCKER_DEFAULT, all),
		     (ENGINE_DOCKER_DEFAULT & ~BIT(NET_RAW)) | BIT(SYS_PTRACE));
	CHECK(strcmp(kept(a), "-i img") == 0);
	a = ARGV("docker", "run", "--cap-drop=ALL", "--cap-add", "CHOWN", "--cap-add=SETUID", "img");
	CHECK(parse(a) == 0);
	CHECK_EQ_U64(engine_cmd_caps(&cmd, ENGINE_DOCKER_DEFAULT, all), BIT(CHOWN) | BIT(SETUID));
	a = ARGV("podman", "run", "--cap-add=all", "--cap-drop=SYS_ADMIN,NET_ADMIN", "img");
	CHECK(parse(a) == 0);
	CHECK_EQ_U64(engine_cmd_caps(&cmd, ENGINE_PODMAN_DEFAULT, all),
		     all & ~(BIT(SYS_ADMIN) | BIT(NET_ADMIN)));
	CHECK(strcmp(kept(a), "img") == 0);
	a = ARGV("podman", "run", "img");
	CHECK(parse(a) == 0 && !cmd.cap_flags);
	CHECK_EQ_U64(engine_cmd_caps(&cmd, ENGINE_PODMAN_DEFAULT, all), ENGINE_PODMAN_DEFAULT);
	/* A --cap-add after IMAGE is COMMAND's. */
	a = ARGV("docker", "run", "img", "--cap-add=ALL");
	CHECK(parse(a) == 0 && !cmd.cap_flags && strcmp(kept(a), "img --cap-add=ALL") == 0);
}

static void test_settings(void)
{
	char **a = ARGV("docker", "run", "-u", "1000:1000", "--net=host", "--sysctl",
			"net.ipv4.ip_unprivileged_port_start=0", "--security-opt",
			"no-new-privileges:true", "--entrypoint=", "img");
	CHECK(parse(a) == 0);
	CHECK(cmd.user && strcmp(cmd.user, "1000:1000") == 0);
	CHECK(cmd.net == ENGINE_NET_HOST && cmd.sysctl_port_given && cmd.sysctl_port == 0);
	CHECK(!cmd.sysctl_ping_given && cmd.no_new_privs);
	CHECK(cmd.entrypoint_given && cmd.entrypoint[0] == '\0');
	a = ARGV("docker", "run", "--network", "container:db", "--security-opt=no-new-privileges=false",
		 "--sysctl=net.ipv4.ping_group_range=0 0", "img");
	CHECK(parse(a) == 0 && cmd.net == ENGINE_NET_CONTAINER && strcmp(cmd.net_value, "db") == 0);
	CHECK(!cmd.no_new_privs && cmd.sysctl_ping_given && !cmd.sysctl_port_given);
	CHECK(parse(ARGV("docker", "run", "--network=none", "img")) == 0 &&
	      cmd.net == ENGINE_NET_NONE);
	CHECK(parse(ARGV("podman", "run", "--pod", "p1", "--network=mynet", "img")) == 0 &&
	      cmd.net == ENGINE_NET_SHARED);
	CHECK(parse(ARGV("podman", "run", "--network=mynet", "img")) == 0 &&
	      cmd.net == ENGINE_NET_DEFAULT);
	/* CAPINIT_ variables: DROP/ADD/USERNS replaced, USER and NNP kept. */
	a = ARGV("docker", "run", "-e", "CAPINIT_CAP_ADD=CHOWN", "-eCAPINIT_CAP_DROP=ALL",
		 "--env=CAPINIT_USER=app", "-e", "CAPINIT_NO_NEW_PRIVS=1", "--env",
		 "CAPINIT_USERNS=1", "-e", "CAPINIT_VERBOSE", "img");
	CHECK(parse(a) == 0 && cmd.env_capinit);
	CHECK(strcmp(cmd.env_add, "CHOWN") == 0 && strcmp(cmd.env_drop, "ALL") == 0);
	CHECK(strcmp(cmd.env_user, "app") == 0 && strcmp(cmd.env_nnp, "1") == 0);
	CHECK(strcmp(cmd.env_userns, "1") == 0);
	CHECK(strcmp(kept(a), "--env=CAPINIT_USER=app -e CAPINIT_NO_NEW_PRIVS=1 -e "
			      "CAPINIT_VERBOSE img") == 0);
	CHECK(parse(ARGV("docker", "run", "--env-file", "f", "-e", "A=1", "img")) == 0 &&
	      cmd.env_file && !cmd.env_capinit);
}

static const char inspect_output[] =
	"E\"/capinit\"\n"
	"E\"--\"\n"
	"C\"/usr/sbin/nginx\"\n"
	"C\"-g\"\n"
	"V\"PATH=/usr/local/sbin:/usr/local/bin\"\n"
	"V\"CAPINIT_CAP_DROP=ALL\"\n"
	"V\"CAPINIT_CAP_ADD=CHOWN,SETUID\"\n"
	"V\"CAPINIT_USER=www-data\"\n"
	"V\"X=a\\\"b\\\\c\\n\\u003cd\\u00e9\"\n"
	"U\"\"\n"
	"L\"\"\n"
	"\n";

static struct engine_image img;

static void test_image_parse(void)
{
	CHECK(engine_image_parse(&img, inspect_output, sizeof inspect_output - 1, err,
				 sizeof err) == 0);
	CHECK(img.has_entrypoint && strcmp(img.entrypoint0, "/capinit") == 0);
	CHECK(img.has_cmd && strcmp(img.cmd0, "/usr/sbin/nginx") == 0);
	CHECK(img.env_capinit && img.has_drop && img.has_add && img.has_user && !img.has_nnp);
	CHECK(strcmp(img.add, "CHOWN,SETUID") == 0 && strcmp(img.capuser, "www-data") == 0);
	CHECK(img.user[0] == '\0' && img.label_caps[0] == '\0');

	static const char plain[] = "C\"nginx\"\nU\"101:101\"\nL\"CHOWN\"\r\nV\"CAPINITX=1\"";
	CHECK(engine_image_parse(&img, plain, sizeof plain - 1, err, sizeof err) == 0);
	CHECK(!img.has_entrypoint && !img.env_capinit && strcmp(img.user, "101:101") == 0);
	CHECK(strcmp(img.label_caps, "CHOWN") == 0);
	/* No Entrypoint or Labels at all: null. */
	static const char nulls[] = "U\"\"\nLnull\n";
	CHECK(engine_image_parse(&img, nulls, sizeof nulls - 1, err, sizeof err) == 0);
	/* \u0000 ends an environment string, as in the kernel's. */
	static const char nul[] = "V\"CAPINIT_CAP_ADD=CHOWN\\u0000SYS_ADMIN\"\n";
	CHECK(engine_image_parse(&img, nul, sizeof nul - 1, err, sizeof err) == 0);
	CHECK(strcmp(img.add, "CHOWN") == 0);

	static const char *const bad[] = {
		"E\"unterminated\n", "E\"bad \\x escape\"\n", "E\"\\u12\"\n",
		"U\"a\"b\"\n",        "E\"\n",                "L\"\\\"\n",
		"E\"tab\there\"\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(engine_image_parse(&img, bad[i], strlen(bad[i]), err, sizeof err) != 0);
		CHECK_CONTAINS(err, "image inspect");
	}
	/* The client's own lines (its stderr shares the pipe) are skipped. */
	static const char noise[] = "WARN[0000] Using cgroups-v1\nX\"a\"\nE/capinit\n"
				    "time=\"x\" level=warning\nE\"/capinit\"\n";
	CHECK(engine_image_parse(&img, noise, sizeof noise - 1, err, sizeof err) == 0);
	CHECK(img.has_entrypoint && strcmp(img.entrypoint0, "/capinit") == 0);
	/* A CAPINIT_ value too long to keep whole is refused, others skipped. */
	static char big[6000];
	size_t n = (size_t)snprintf(big, sizeof big, "V\"OTHER=");
	memset(big + n, 'x', 5000);
	n += 5000;
	n += (size_t)snprintf(big + n, sizeof big - n, "\"\n");
	CHECK(engine_image_parse(&img, big, n, err, sizeof err) == 0);
	n = (size_t)snprintf(big, sizeof big, "V\"CAPINIT_CAP_ADD=");
	memset(big + n, 'x', 600);
	n += 600;
	n += (size_t)snprintf(big + n, sizeof big - n, "\"\n");
	CHECK(engine_image_parse(&img, big, n, err, sizeof err) != 0);
	CHECK_CONTAINS(err, "is over 511 bytes");
}

static struct engine_plan plan;
static struct probe_target target;

static int make_plan(char **argv, const char *inspect)
{
	err[0] = '\0';
	if (parse(argv) != 0)
		return -2;
	if (engine_image_parse(&img, inspect, strlen(inspect), err, sizeof err) != 0)
		return -3;
	return engine_plan_make(&cmd, &img, argv, capmask_first(41), &plan, &target, err,
				sizeof err);
}

static const capmask SWITCH = BIT(SETUID) | BIT(SETGID) | BIT(SETPCAP) | BIT(KILL);

static void test_plan_without_capinit(void)
{
	char **a = ARGV("docker", "run", "--cap-drop=NET_RAW", "img");
	CHECK(make_plan(a, "C\"nginx\"\nU\"\"\nL\"\"\n") == 0);
	CHECK(!plan.capinit && !target.capinit_in_image && plan.force_sysctls);
	CHECK(strcmp(target.engine, "docker") == 0 && strcmp(target.image, "img") == 0);
	CHECK_EQ_U64(target.default_candidates, ENGINE_DOCKER_DEFAULT & ~BIT(NET_RAW));
	CHECK(target.spec_given && target.spec == target.default_candidates);
	CHECK(target.app_root && !target.switch_user && target.uid == 0);
	CHECK_EQ_U64(engine_trial_grant(&plan, BIT(CHOWN)), BIT(CHOWN));
	/* No flags: the spec is the engine's default, but nobody wrote it. */
	a = ARGV("podman", "run", "-u", "1000:50", "--network=host", "img");
	CHECK(make_plan(a, "U\"app\"\nL\"\"\n") == 0);
	CHECK(!target.spec_given && target.default_candidates == ENGINE_PODMAN_DEFAULT);
	CHECK(!target.app_root && target.uid == 1000 && target.gid == 50);
	CHECK(strcmp(target.user_spec, "1000:50") == 0 && !plan.force_sysctls);
	/* The image's USER, by name. */
	a = ARGV("docker", "run", "img");
	CHECK(make_plan(a, "U\"www-data\"\n") == 0);
	CHECK(!target.app_root && target.uid == (uid_t)-1 && strcmp(target.user_spec, "www-data") == 0);
	CHECK(make_plan(a, "U\"root:root\"\n") == 0 && target.app_root && target.uid == 0);
	/* Podman's capabilities label: the image's own set, and a spec. */
	a = ARGV("podman", "run", "img");
	CHECK(make_plan(a, "L\"CHOWN,SETUID\"\n") == 0);
	CHECK_EQ_U64(target.default_candidates, BIT(CHOWN) | BIT(SETUID));
	CHECK(target.spec_given && target.spec == (BIT(CHOWN) | BIT(SETUID)));
	/* ... unless outside Podman's default, or flags are given. */
	CHECK(make_plan(a, "L\"SYS_ADMIN\"\n") == 0 && !target.spec_given);
	CHECK(make_plan(ARGV("podman", "run", "--cap-add=KILL", "img"), "L\"CHOWN\"\n") == 0);
	CHECK_EQ_U64(target.default_candidates, ENGINE_PODMAN_DEFAULT);
	CHECK(make_plan(ARGV("docker", "run", "img"), "L\"CHOWN\"\n") == 0 && !target.spec_given);
	/* --security-opt no-new-privileges. */
	CHECK(make_plan(ARGV("docker", "run", "--security-opt", "no-new-privileges", "img"), "") ==
		      0 &&
	      target.no_new_privs && plan.nnp);
	/* A program named capinit elsewhere than in the image: not capinit. */
	CHECK(make_plan(ARGV("docker", "run", "img", "/bin/sh"), "E\"/bin/capinit-not\"\n") == 0 &&
	      !plan.capinit);
}

static void test_plan_with_capinit(void)
{
	/* capinit as ENTRYPOINT, CAPINIT_USER: capinit switches, and is
	 * granted what it needs for that on top of the app's set. */
	char **a = ARGV("docker", "run", "img");
	const char *userapp = "E\"/capinit\"\nE\"--\"\nC\"/app\"\nV\"CAPINIT_USER=app\"\nU\"\"\n";
	CHECK(make_plan(a, userapp) == 0);
	CHECK(plan.capinit && target.capinit_in_image && target.switch_user && !target.app_root);
	CHECK(!target.spec_given && target.spec == ENGINE_DOCKER_DEFAULT);
	CHECK(strcmp(target.user_spec, "app") == 0);
	CHECK_EQ_U64(engine_trial_grant(&plan, BIT(NET_BIND_SERVICE)), BIT(NET_BIND_SERVICE) | SWITCH);
	CHECK_EQ_U64(engine_trial_grant(&plan, 0), SWITCH);
	/* A root app under capinit: its bounding set is the grant itself. */
	const char *rootapp = "E\"/usr/local/bin/capinit\"\nV\"CAPINIT_CAP_DROP=ALL\"\n"
			      "V\"CAPINIT_CAP_ADD=CHOWN,NET_BIND_SERVICE\"\n";
	CHECK(make_plan(a, rootapp) == 0);
	CHECK(plan.capinit && !target.switch_user && target.app_root);
	CHECK(target.spec_given && target.spec == (BIT(CHOWN) | BIT(NET_BIND_SERVICE)));
	CHECK_EQ_U64(engine_trial_grant(&plan, BIT(CHOWN)), BIT(CHOWN));
	/* DROP without ALL narrows the container's set. */
	CHECK(make_plan(ARGV("docker", "run", "--cap-add=SYS_ADMIN", "img"),
			"E\"capinit\"\nV\"CAPINIT_CAP_DROP=NET_RAW,SYS_ADMIN\"\n") == 0);
	CHECK_EQ_U64(target.spec, ENGINE_DOCKER_DEFAULT & ~BIT(NET_RAW));
	/* The command line's -e wins over the image's ENV. */
	CHECK(make_plan(ARGV("docker", "run", "-e", "CAPINIT_CAP_ADD=KILL", "-e",
			     "CAPINIT_USER=0", "img"),
			userapp) == 0);
	/* (ADD without DROP keeps the container's set: B' = H ∪ ADD.) */
	CHECK(!target.switch_user && target.app_root && target.spec == ENGINE_DOCKER_DEFAULT &&
	      target.spec_given);
	/* Already the user the container starts as: nothing to switch. */
	CHECK(make_plan(a, "E\"/capinit\"\nV\"CAPINIT_USER=app\"\nU\"app\"\n") == 0);
	CHECK(!target.switch_user && !target.app_root);
	CHECK_EQ_U64(engine_trial_grant(&plan, BIT(CHOWN)), BIT(CHOWN));
	CHECK(make_plan(ARGV("docker", "run", "-u", "1000", "img"),
			"E\"/capinit\"\nV\"CAPINIT_USER=app\"\nU\"app\"\n") == 0);
	CHECK(target.switch_user);
	/* A CAPINIT_ variable says capinit runs there even behind a script. */
	CHECK(make_plan(a, "E\"/docker-entrypoint.sh\"\nV\"CAPINIT_NO_NEW_PRIVS=yes\"\n") == 0);
	CHECK(plan.capinit && target.no_new_privs);
	CHECK(make_plan(ARGV("docker", "run", "-e", "CAPINIT_VERBOSE=1", "img"), "C\"app\"\n") ==
		      0 &&
	      plan.capinit);
	/* --entrypoint and COMMAND decide the program. */
	CHECK(make_plan(ARGV("docker", "run", "--entrypoint=/capinit", "img"), "E\"/app\"\n") == 0 &&
	      plan.capinit);
	CHECK(make_plan(ARGV("docker", "run", "--entrypoint", "/app", "img"), "E\"/capinit\"\n") ==
		      0 &&
	      !plan.capinit);
	CHECK(make_plan(ARGV("docker", "run", "--entrypoint=", "img", "/capinit", "--", "x"),
			"E\"/app\"\n") == 0 &&
	      plan.capinit);
	CHECK(make_plan(ARGV("docker", "run", "img"), "C\"/sbin/capinit\"\n") == 0 && plan.capinit);
	/* A spec capinit would refuse is refused here, naming where it is. */
	CHECK(make_plan(a, "E\"/capinit\"\nV\"CAPINIT_CAP_ADD=ALL\"\n") == -1);
	CHECK_CONTAINS(err, "the image's ENV CAPINIT_CAP_ADD");
	CHECK(make_plan(ARGV("docker", "run", "-e", "CAPINIT_CAP_DROP=BOGUS", "img"),
			"E\"/capinit\"\n") == -1);
	CHECK_CONTAINS(err, "-e CAPINIT_CAP_DROP");
}

/* What a Docker root container granted `grant` hands its first process. */
static struct runtime granted(capmask grant)
{
	struct runtime rt;
	memset(&rt, 0, sizeof rt);
	rt.max_bits = 41;
	rt.permitted = rt.effective = rt.bounding = grant;
	return rt;
}

/* The grant is exactly enough: capinit in the container, given the
 * trial's spec (DROP=ALL ADD=set, CAPINIT_USER as the image says), makes a
 * plan from what the grant hands it, and the app ends with the set and
 * nothing else; what capinit itself needs is within the grant. Checked
 * through plan.c itself for sets of every size. */
static void test_grant_is_what_capinit_needs(void)
{
	const capmask sets[] = {
		0, BIT(NET_BIND_SERVICE), BIT(CHOWN) | BIT(DAC_OVERRIDE),
		BIT(SETUID) | BIT(SETGID) | BIT(NET_BIND_SERVICE), BIT(KILL) | BIT(SETPCAP),
		ENGINE_DOCKER_DEFAULT, capmask_first(41),
	};
	for (int with_user = 0; with_user < 2; with_user++) {
		const char *image = with_user ? "E\"/capinit\"\nV\"CAPINIT_USER=1000:1000\"\n"
					      : "E\"/capinit\"\n";
		CHECK(make_plan(ARGV("docker", "run", "img"), image) == 0);
		for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
			capmask set = sets[i];
			struct runtime rt = granted(engine_trial_grant(&plan, set));
			struct config cfg;
			memset(&cfg, 0, sizeof cfg);
			cfg.drop_set = cfg.drop_all = cfg.add_set = true;
			cfg.add = set;
			cfg.drop_source = cfg.add_source = "trial";
			cfg.no_new_privs = true; /* the default, as config.c sets it */
			struct user_ids ids = {.uid = 1000, .gid = 1000, .ngroups = 1, .groups = {1000}};
			static struct plan p;
			char perr[512] = "";
			int rc = plan_make(&cfg, with_user ? &ids : NULL, &rt, &p, perr, sizeof perr);
			CHECK(rc == 0);
			if (rc != 0) {
				fprintf(stderr, "set %#llx: %s\n", (unsigned long long)set, perr);
				continue;
			}
			CHECK_EQ_U64(p.bounding, set);
			CHECK_EQ_U64(p.permitted, set);
			CHECK_EQ_U64(with_user ? p.ambient : p.effective, set);
			CHECK((p.capinit_needs & ~rt.permitted) == 0);
			/* Nothing granted beyond the set unless capinit switches. */
			CHECK(with_user || rt.permitted == set);
		}
	}
}

static const char *joined(char **words)
{
	static char buf[2048];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; words[i]; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "|" : "",
					 words[i]);
	return buf;
}

static void test_trial_argv(void)
{
	static char *out[ENGINE_ARGS_MAX + 80];
	static char buf[4096];
	char **a = ARGV("/usr/bin/docker", "run", "-i", "--rm", "--cap-drop", "NET_RAW", "-p",
			"80:80", "img", "nginx", "-g", "daemon off;");
	CHECK(make_plan(a, "C\"nginx\"\n") == 0);
	size_t n = engine_trial_argv(&cmd, &plan, a, BIT(CHOWN) | BIT(SETUID), false,
				     "capinit-probe-1-2", out, sizeof out / sizeof out[0], buf,
				     sizeof buf);
	CHECK(n > 0 && out[n] == NULL);
	CHECK(strcmp(joined(out),
		     "/usr/bin/docker|run|--rm|--name=capinit-probe-1-2|--cap-drop=ALL|"
		     "--cap-add=CHOWN|--cap-add=SETUID|--sysctl=net.ipv4.ip_unprivileged_port_start=1024|"
		     "--sysctl=net.ipv4.ping_group_range=1 0|-i|-p|80:80|img|nginx|-g|daemon off;") ==
	      0);
	/* The empty set: no --cap-add at all. capinit in the image gets its
	 * spec replaced (ADD empty overrides the image's), and CAPINIT_USER
	 * is switched to with SETUID, SETGID, SETPCAP, KILL for capinit. */
	a = ARGV("podman", "run", "--network=host", "-e", "CAPINIT_CAP_ADD=CHOWN", "img");
	CHECK(make_plan(a, "E\"/capinit\"\nV\"CAPINIT_USER=app\"\n") == 0);
	n = engine_trial_argv(&cmd, &plan, a, 0, false, "capinit-probe-1-3", out,
			      sizeof out / sizeof out[0], buf, sizeof buf);
	CHECK(strcmp(joined(out), "podman|run|--rm|--name=capinit-probe-1-3|--cap-drop=ALL|"
				  "--cap-add=KILL|--cap-add=SETGID|--cap-add=SETUID|"
				  "--cap-add=SETPCAP|--env=CAPINIT_CAP_DROP=ALL|--env=CAPINIT_CAP_ADD=|"
				  "--network=host|img") == 0);
	n = engine_trial_argv(&cmd, &plan, a, BIT(NET_BIND_SERVICE), true, "capinit-probe-1-4", out,
			      sizeof out / sizeof out[0], buf, sizeof buf);
	CHECK_CONTAINS(joined(out), "|--env=CAPINIT_CAP_ADD=NET_BIND_SERVICE|--env=CAPINIT_USERNS=1|");
	CHECK_CONTAINS(joined(out), "--cap-add=NET_BIND_SERVICE");
	/* No capinit in the image: no guard to turn off, no variable. */
	CHECK(make_plan(ARGV("docker", "run", "img"), "E\"/app\"\n") == 0 && !plan.capinit);
	n = engine_trial_argv(&cmd, &plan, ARGV("docker", "run", "img"), 0, true, "x", out,
			      sizeof out / sizeof out[0], buf, sizeof buf);
	CHECK(n > 0 && strstr(joined(out), "CAPINIT_") == NULL);
	/* The user's own sysctl stays, the other is forced. */
	a = ARGV("docker", "run", "--sysctl", "net.ipv4.ip_unprivileged_port_start=0", "img");
	CHECK(make_plan(a, "") == 0);
	n = engine_trial_argv(&cmd, &plan, a, 0, false, "x", out, sizeof out / sizeof out[0], buf,
			      sizeof buf);
	CHECK(strcmp(joined(out), "docker|run|--rm|--name=x|--cap-drop=ALL|--sysctl="
				  "net.ipv4.ping_group_range=1 0|--sysctl|"
				  "net.ipv4.ip_unprivileged_port_start=0|img") == 0);
	/* Too small a buffer: 0, never a cut command line. */
	CHECK(make_plan(ARGV("docker", "run", "img"), "") == 0);
	CHECK(engine_trial_argv(&cmd, &plan, ARGV("docker", "run", "img"), capmask_first(41), false,
				"x", out, sizeof out / sizeof out[0], buf, 64) == 0);
	CHECK(engine_trial_argv(&cmd, &plan, ARGV("docker", "run", "img"), 0, false, "x", out, 5,
				buf, sizeof buf) == 0);
	(void)n;
}

int main(void)
{
	test_image_found();
	test_no_image();
	test_refused();
	test_caps();
	test_settings();
	test_image_parse();
	test_plan_without_capinit();
	test_plan_with_capinit();
	test_trial_argv();
	test_grant_is_what_capinit_needs();
	return check_report("probe_engine_args");
}
