/* The probe's output: progress lines, the text result of every outcome,
 * the evidence beside each capability, the deployment lines and their Pod
 * Security Standard level, and --probe-json. Writes the JSON of every
 * outcome to build/unit/probe-json/ for tests/unit/test_probe_schema.py,
 * which validates it against docs/probe-schema.json. */
#include "probe_report.h"

#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "probe_deploy.h"
#include "sbuf.h"

#define B(c) CAPMASK_BIT(c)

static const capmask docker14 =
	B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) | B(CAP_MKNOD) |
	B(CAP_NET_RAW) | B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) |
	B(CAP_NET_BIND_SERVICE) | B(CAP_SYS_CHROOT) | B(CAP_KILL) | B(CAP_AUDIT_WRITE);

static const capmask all41 = ((capmask)1 << 41) - 1;

static const char chown_line[] =
	"nginx: [emerg] chown(\"/var/lib/nginx/body\", 33) failed (1: Operation not permitted)";

/* Everything an outbuf wrote, read back. */
static char text[1 << 16];

static const char *render(void (*fn)(struct outbuf *, const struct probe_result *),
			  const struct probe_result *r)
{
	static struct outbuf out;
	FILE *f = tmpfile();
	if (!f) {
		perror("tmpfile");
		exit(1);
	}
	memset(&out, 0, sizeof out);
	out.fd = fileno(f);
	fn(&out, r);
	CHECK(out_flush(&out) == 0);
	rewind(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void save(const char *name, const char *ext, const char *content)
{
	char path[256];
	mkdir("build", 0755);
	mkdir("build/unit", 0755);
	mkdir("build/unit/probe-json", 0755);
	snprintf(path, sizeof path, "build/unit/probe-json/%s.%s", name, ext);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		check_failed++;
		return;
	}
	fputs(content, f);
	fclose(f);
}

/* The JSON for the schema test, and the text beside it for a reader. */
static void save_json(const char *name, const struct probe_result *r)
{
	save(name, "txt", render(probe_report_text, r));
	const char *json = render(probe_report_json, r);
	save(name, "json", json);
	CHECK_CONTAINS(json, "{\"schema_version\": 1, ");
	CHECK(json[strlen(json) - 1] == '\n');
}

static struct probe_trial trial(capmask set, enum probe_kind kind, bool works,
				enum probe_reason reason, int exit_code, const char *why,
				const char *last)
{
	struct probe_trial t = {.set = set, .kind = kind, .works = works, .reason = reason,
				.exit_code = exit_code, .us = 213456};
	snprintf(t.why, sizeof t.why, "%s", why);
	snprintf(t.last_line, sizeof t.last_line, "%s", last);
	return t;
}

static struct probe_facts docker_facts(void)
{
	struct probe_facts f = {.port_start = 0, .ping_known = true, .ping_lo = 0,
				.ping_hi = 2147483647, .runtime = "docker", .pid1 = true};
	snprintf(f.command_path, sizeof f.command_path, "/usr/sbin/nginx");
	return f;
}

static struct probe_target user_target(uid_t uid, gid_t gid, const char *spec)
{
	struct probe_target t = {.capinit_in_image = true, .switch_user = true, .uid = uid,
				 .gid = gid, .no_new_privs = true};
	snprintf(t.user_spec, sizeof t.user_spec, "%s", spec);
	return t;
}

static void no_evidence(struct probe_result *r)
{
	for (int i = 0; i < 64; i++)
		r->evidence[i] = -1;
}

/* ---- progress ------------------------------------------------------------------ */

static void progress(void)
{
	char line[512];
	struct probe_trial t = trial(all41, PROBE_KIND_SEARCH, true, PROBE_R_LISTENING, -1,
				     "listening on 80/tcp", "");
	probe_report_progress(line, sizeof line, 1, &t, all41, "/usr/sbin/nginx");
	CHECK(strcmp(line, "probe trial 1 (search) with every candidate (41): works "
			   "(listening on 80/tcp) in 0.213 s") == 0);

	t = trial(docker14 & ~(B(CAP_CHOWN) | B(CAP_SETUID)), PROBE_KIND_SEARCH, false,
		  PROBE_R_EXITED, 1, "exited with 1", chown_line);
	probe_report_progress(line, sizeof line, 7, &t, docker14, "/usr/sbin/nginx -g daemon off;");
	CHECK(strcmp(line, "probe trial 7 (search) without CHOWN,SETUID: fails (nginx exited with 1: "
			   "nginx: [emerg] chown(\"/var/lib/nginx/body\", 33) failed (1: Operation "
			   "not permitted)) in 0.213 s") == 0);

	/* A long last line and a removal of many: still one bounded line,
	 * the last line cut with "...", the names with a count. */
	char longline[PROBE_LINE_MAX];
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	t = trial(B(CAP_CHOWN), PROBE_KIND_SEARCH, false, PROBE_R_EXITED, 1,
		  "exited with 1 before listening on 80/tcp", longline);
	probe_report_progress(line, sizeof line, 9, &t, all41, "nginx");
	CHECK(strlen(line) <= 300);
	CHECK_CONTAINS(line, "probe trial 9 (search) with CHOWN: ");
	/* Many removed and many kept: the shorter side, counted and cut. */
	t = trial(all41 & ~docker14, PROBE_KIND_SEARCH, false, PROBE_R_EXITED, 1,
		  "exited with 1 before listening on 80/tcp", longline);
	probe_report_progress(line, sizeof line, 9, &t, all41, "nginx");
	CHECK(strlen(line) <= 300);
	CHECK_CONTAINS(line, "probe trial 9 (search) without 14: ");
	CHECK_CONTAINS(line, "xxx...) in 0.213 s");

	/* Bytes from the app are escaped. */
	t = trial(0, PROBE_KIND_CONFIRM, false, PROBE_R_SIGNALED, -1, "", "\x1b[31mred\x07");
	t.signal = 11;
	probe_report_progress(line, sizeof line, 3, &t, B(CAP_KILL), "app");
	CHECK_CONTAINS(line, "without KILL: fails (app was killed by SIGSEGV: \\x1b[31mred\\x07)");

	/* Nothing removed after trial 1 (a repeat): the set itself; userns said. */
	t = trial(B(CAP_CHOWN), PROBE_KIND_USERNS, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	t.userns = true;
	probe_report_progress(line, sizeof line, 12, &t, B(CAP_CHOWN), "app");
	CHECK(strcmp(line, "probe trial 12 (userns) with CHOWN, user namespaces allowed: works "
			   "(exited 0) in 0.213 s") == 0);
	t.set = 0;
	t.us = 1234567;
	probe_report_progress(line, sizeof line, 2, &t, 0, NULL);
	CHECK_CONTAINS(line, "with none, user namespaces allowed: works (exited 0) in 1.234 s");

	/* A buffer too small is cut, never overrun (ASan watches). */
	char tiny[24];
	probe_report_progress(tiny, sizeof tiny, 7, &t, 0, "app");
	CHECK(strlen(tiny) == sizeof tiny - 1);
}

/* ---- deployment ------------------------------------------------------------------ */

static struct probe_deploy d;

static void deploy_as_user_nothing(void)
{
	/* --user=nobody, nothing needed: no root start, no capability for
	 * capinit either; the container runs as the user; restricted. */
	struct probe_target t = user_target(65534, 65534, "nobody");
	probe_deploy_make(&d, 0, &t, false, 0);
	CHECK(strcmp(d.main.docker_run, "docker run --cap-drop=ALL --user=65534:65534 "
					"--security-opt=no-new-privileges IMAGE") == 0);
	CHECK(strcmp(d.main.dockerfile, "USER 65534:65534\nENV CAPINIT_CAP_DROP=ALL") == 0);
	CHECK(d.main.podman_label[0] == '\0');
	CHECK(d.main.level == PSS_RESTRICTED);
	CHECK(d.main.rule[0] == '\0');
	CHECK(strcmp(d.main.kubernetes, "securityContext:\n"
					"  runAsNonRoot: true\n"
					"  runAsUser: 65534\n"
					"  runAsGroup: 65534\n"
					"  allowPrivilegeEscalation: false\n"
					"  capabilities:\n"
					"    drop: [ALL]\n"
					"  seccompProfile: {type: RuntimeDefault}\n") == 0);
	CHECK(d.grant == 0);
	CHECK(d.notes == 0);
	CHECK(!d.has_sysctl);
}

static void deploy_root_start(void)
{
	/* A non-root app with capabilities: capinit starts as root with
	 * SETUID, SETGID, SETPCAP, KILL; baseline, the rules named. This is
	 * the README's Kubernetes recipe. */
	struct probe_target t = user_target(101, 101, "app");
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE), &t, false, 8080);
	CHECK(strcmp(d.main.dockerfile,
		     "ENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=app") ==
	      0);
	CHECK(strcmp(d.main.docker_run, "docker run --cap-drop=ALL --cap-add=KILL --cap-add=SETGID "
					"--cap-add=SETUID --cap-add=SETPCAP "
					"--cap-add=NET_BIND_SERVICE "
					"--security-opt=no-new-privileges IMAGE") == 0);
	CHECK(strcmp(d.main.podman_label,
		     "LABEL io.containers.capabilities=\"KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE\"") ==
	      0);
	CHECK(d.main.level == PSS_BASELINE);
	CHECK_CONTAINS(d.main.rule, "runAsUser (must not be 0)");
	CHECK_CONTAINS(d.main.rule, "capabilities_restricted (adds KILL,SETGID,SETUID,SETPCAP;");
	CHECK_CONTAINS(d.main.kubernetes, "  runAsUser: 0  # capinit, which switches to CAPINIT_USER\n");
	CHECK_CONTAINS(d.main.kubernetes, "    add: [KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE]\n");
	CHECK(strstr(d.main.kubernetes, "runAsNonRoot") == NULL);
	CHECK(d.notes == PROBE_NOTE_ROOT_START);
	/* Port 8080 needs no sysctl form. */
	CHECK(!d.has_sysctl);

	/* Spelling: the standards compare exact strings (fixtures
	 * capabilities_baseline2/3: `chown`, `CAP_CHOWN` fail). */
	probe_deploy_make(&d, B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE), &t, false, 0);
	CHECK(strstr(d.main.kubernetes, "CAP_") == NULL);
	CHECK(strstr(d.main.kubernetes, "chown") == NULL);
	CHECK_CONTAINS(d.main.kubernetes, "add: [CHOWN, DAC_OVERRIDE, KILL,");
	CHECK_CONTAINS(d.main.kubernetes, "drop: [ALL]");
	CHECK(d.main.level == PSS_BASELINE);

	/* An app's need outside baseline's list makes it privileged, and
	 * outside Podman's default set its label would be ignored. */
	probe_deploy_make(&d, B(CAP_NET_RAW), &t, false, 0);
	CHECK(d.main.level == PSS_PRIVILEGED);
	CHECK_CONTAINS(d.main.rule, "capabilities_baseline (adds NET_RAW");
	CHECK(d.notes & PROBE_NOTE_PODMAN_OUTSIDE);
}

static void deploy_port_sysctl(void)
{
	/* A non-root server whose only need is NET_BIND_SERVICE for port 80:
	 * also the sysctl form, with no capability: restricted. */
	struct probe_target t = user_target(33, 33, "www-data");
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE), &t, false, 80);
	CHECK(d.main.level == PSS_BASELINE);
	CHECK(d.has_sysctl);
	CHECK(d.sysctl_port == 80);
	CHECK(strcmp(d.sysctl.docker_run,
		     "docker run --cap-drop=ALL --user=33:33 --sysctl "
		     "net.ipv4.ip_unprivileged_port_start=80 --security-opt=no-new-privileges IMAGE") ==
	      0);
	CHECK(strcmp(d.sysctl.dockerfile, "USER 33:33\nENV CAPINIT_CAP_DROP=ALL") == 0);
	CHECK(d.sysctl.podman_label[0] == '\0');
	CHECK(d.sysctl.level == PSS_RESTRICTED);
	CHECK(strcmp(d.sysctl.kubernetes,
		     "spec:\n"
		     "  securityContext:\n"
		     "    sysctls:\n"
		     "      - {name: net.ipv4.ip_unprivileged_port_start, value: \"80\"}\n"
		     "  containers:\n"
		     "    - securityContext:\n"
		     "        runAsNonRoot: true\n"
		     "        runAsUser: 33\n"
		     "        runAsGroup: 33\n"
		     "        allowPrivilegeEscalation: false\n"
		     "        capabilities:\n"
		     "          drop: [ALL]\n"
		     "        seccompProfile: {type: RuntimeDefault}\n") == 0);

	/* Not for root (root start is baseline at best anyway), not with
	 * another need beside it, not without a known port below 1024. */
	struct probe_target root = {.capinit_in_image = true, .app_root = true,
				    .no_new_privs = true};
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE), &root, false, 80);
	CHECK(!d.has_sysctl);
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE) | B(CAP_CHOWN), &t, false, 80);
	CHECK(!d.has_sysctl);
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE), &t, false, 0);
	CHECK(!d.has_sysctl);
}

static void deploy_root_app(void)
{
	/* A root app with S: exactly S, nothing for capinit. */
	struct probe_target t = {.capinit_in_image = true, .app_root = true, .no_new_privs = true};
	probe_deploy_make(&d, B(CAP_CHOWN), &t, false, 0);
	CHECK(strcmp(d.main.dockerfile, "ENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=CHOWN") == 0);
	CHECK(strcmp(d.main.docker_run, "docker run --cap-drop=ALL --cap-add=CHOWN "
					"--security-opt=no-new-privileges IMAGE") == 0);
	CHECK(d.main.level == PSS_BASELINE);
	CHECK_CONTAINS(d.main.rule, "restricted: capabilities_restricted (adds CHOWN;");
	CHECK_CONTAINS(d.main.rule, "; runAsNonRoot (must be true)");
	CHECK(strstr(d.main.rule, "runAsUser") == NULL); /* unset: the image's root */
	CHECK(d.grant == B(CAP_CHOWN));

	/* NULL target: capinit in the image, root. */
	probe_deploy_make(&d, 0, NULL, false, 0);
	CHECK(strcmp(d.main.dockerfile, "ENV CAPINIT_CAP_DROP=ALL") == 0);
	CHECK(strcmp(d.main.docker_run, "docker run --cap-drop=ALL IMAGE") == 0);

	/* user namespaces: CAPINIT_USERNS=1 and a seccomp profile that allows them. */
	probe_deploy_make(&d, B(CAP_CHOWN), &t, true, 0);
	CHECK_CONTAINS(d.main.dockerfile, " CAPINIT_USERNS=1");
	CHECK_CONTAINS(d.main.docker_run, "--security-opt=seccomp=SECCOMP_PROFILE.json");
	CHECK_CONTAINS(d.main.kubernetes, "type: Localhost");
	CHECK(d.notes & PROBE_NOTE_USERNS_SECCOMP);
	CHECK(d.main.level == PSS_BASELINE);
}

static void deploy_engine(void)
{
	/* Through podman without capinit in the image: no ENV line, the
	 * user as the command line gave it, the image's name. */
	struct probe_target t = {.engine = "podman", .image = "localhost/web\x1b:1",
				 .uid = 1000, .gid = 1000, .no_new_privs = false};
	probe_deploy_make(&d, B(CAP_NET_BIND_SERVICE), &t, false, 0);
	CHECK(d.main.dockerfile[0] == '\0');
	CHECK(strcmp(d.main.docker_run, "podman run --cap-drop=ALL --cap-add=NET_BIND_SERVICE "
					"--user=1000:1000 localhost/web\\x1b:1") == 0);
	CHECK(d.notes & PROBE_NOTE_NO_AMBIENT);
	/* allowPrivilegeEscalation true (file capabilities need it): baseline. */
	CHECK(d.main.level == PSS_BASELINE);
	CHECK_CONTAINS(d.main.rule, "allowPrivilegeEscalation (must be false)");
}

/* ---- whole results ------------------------------------------------------------ */

static struct probe_trial trials[16];
static struct probe_facts facts;
static struct probe_target target;

/* nginx as www-data under Docker's settings (sysctl at 0): CHOWN,
 * DAC_OVERRIDE, SETGID, SETUID shown by trials; NET_BIND_SERVICE added for
 * portability. */
static struct probe_result nginx_found(void)
{
	facts = docker_facts();
	target = user_target(33, 33, "www-data");
	struct probe_result r = {.outcome = PROBE_OUT_FOUND, .runner = "sandbox",
				 .candidates = docker14, .facts = &facts, .target = &target,
				 .command = "/usr/sbin/nginx", .port = 80, .us = 4321987};
	no_evidence(&r);
	capmask need = B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_SETGID) | B(CAP_SETUID);
	size_t n = 0;
	trials[n++] = trial(docker14, PROBE_KIND_SEARCH, true, PROBE_R_LISTENING, -1,
			    "listening on 80/tcp", "");
	trials[n] = trial(need & ~B(CAP_CHOWN), PROBE_KIND_SEARCH, false, PROBE_R_EXITED, 1,
			  "exited with 1", chown_line);
	r.evidence[CAP_CHOWN] = (int)n++;
	trials[n] = trial(need & ~B(CAP_DAC_OVERRIDE), PROBE_KIND_CONFIRM, false, PROBE_R_EXITED,
			  1, "exited with 1",
			  "nginx: [emerg] open() \"/var/log/nginx/error.log\" failed (13: Permission "
			  "denied)");
	r.evidence[CAP_DAC_OVERRIDE] = (int)n++;
	trials[n] = trial(need & ~B(CAP_SETGID), PROBE_KIND_CONFIRM, false, PROBE_R_CHECK_PASSED + 3,
			  -1, "did not pass the check within 2 s (pgrep -u www-data nginx)", "");
	r.evidence[CAP_SETGID] = (int)n++;
	trials[n] = trial(need & ~B(CAP_SETUID), PROBE_KIND_SEARCH, false, PROBE_R_SIGNALED, -1,
			  "", "");
	trials[n].signal = 6;
	r.evidence[CAP_SETUID] = (int)n++;
	trials[n++] = trial(need, PROBE_KIND_REPEAT, true, PROBE_R_LISTENING, -1,
			    "listening on 80/tcp", "");
	r.trials = trials;
	r.ntrials = n;
	r.counts[PROBE_KIND_SEARCH] = 3;
	r.counts[PROBE_KIND_CONFIRM] = 2;
	r.counts[PROBE_KIND_REPEAT] = 1;
	r.needed = need;
	r.portable_added = B(CAP_NET_BIND_SERVICE);
	r.portable = need | r.portable_added;
	return r;
}

static void result_found(void)
{
	struct probe_result r = nginx_found();
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "needed: CHOWN,DAC_OVERRIDE,SETGID,SETUID,NET_BIND_SERVICE\n");
	CHECK_CONTAINS(s, "  CHOWN             without it (trial 2): nginx exited with 1: nginx: "
			  "[emerg] chown(\"/var/lib/nginx/body\", 33) failed (1: Operation not "
			  "permitted)\n");
	CHECK_CONTAINS(s, "  SETGID            without it (trial 4): nginx did not pass the check within 2 s");
	CHECK_CONTAINS(s, "  SETUID            without it (trial 5): nginx was killed by SIGABRT\n");
	CHECK_CONTAINS(s, "  NET_BIND_SERVICE  portable: port 80 < 1024; here "
			  "net.ipv4.ip_unprivileged_port_start=0 (as Docker sets it), 1024 on a "
			  "standard node\n");
	CHECK_CONTAINS(s, "trials: 3 search, 2 confirm, 1 repeat (6 in all) in 4.321 s; runner: "
			  "sandbox\n");
	CHECK_CONTAINS(s, "candidates (14): CHOWN,");
	CHECK_CONTAINS(s, "  port 80/tcp: net.ipv4.ip_unprivileged_port_start=0: free here, not on a "
			  "standard node (1024)\n");
	CHECK_CONTAINS(s, "  /usr/sbin/nginx: no file capabilities\n");
	CHECK_CONTAINS(s, "  runtime: docker, capinit PID 1\n");
	CHECK_CONTAINS(s, "ENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=CHOWN,DAC_OVERRIDE,SETGID,SETUID,"
			  "NET_BIND_SERVICE CAPINIT_USER=www-data\n");
	CHECK_CONTAINS(s, "Kubernetes, Pod Security Standard baseline (fails restricted: ");
	CHECK_CONTAINS(s, "note: capinit starts as root with SETUID, SETGID, SETPCAP and KILL");
	CHECK_CONTAINS(s, "kubernetes/kubernetes#56374");
	CHECK(strstr(s, "no result") == NULL);
	CHECK(strstr(s, "ip_unprivileged_port_start=80") == NULL); /* not a port-only need */
	save_json("found", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"mode\": \"probe\", \"outcome\": \"found\", \"runner\": \"sandbox\"");
	CHECK_CONTAINS(j, "\"needed\": [\"CHOWN\", \"DAC_OVERRIDE\", \"SETGID\", \"SETUID\"]");
	CHECK_CONTAINS(j, "\"portable_added\": [\"NET_BIND_SERVICE\"]");
	CHECK_CONTAINS(j, "\"CHOWN\": {\"trial\": 2, \"reason\": \"exited\", \"exit\": 1, \"signal\": "
			  "null, \"last_line\": \"nginx: [emerg] chown(\\\"/var/lib/nginx/body\\\"");
	CHECK_CONTAINS(j, "\"SETUID\": {\"trial\": 5, \"reason\": \"signaled\", \"exit\": null, "
			  "\"signal\": 6,");
	CHECK_CONTAINS(j, "\"NET_BIND_SERVICE\": {\"trial\": null, \"reason\": null");
	CHECK_CONTAINS(j, "\"counts\": {\"search\": 3, \"confirm\": 2, \"repeat\": 1, \"verify\": 0, "
			  "\"userns\": 0}");
	CHECK_CONTAINS(j, "\"seconds\": 0.213,");
	CHECK_CONTAINS(j, "\"removed\": [\"CHOWN\", \"FOWNER\", \"FSETID\",");
	CHECK_CONTAINS(j, "\"pss\": \"baseline\"");

	/* The same app when the port sysctl is the answer: nothing needed
	 * here but NET_BIND_SERVICE for portability. */
	r.needed = 0;
	r.portable = B(CAP_NET_BIND_SERVICE);
	s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "needed: NET_BIND_SERVICE\n");
	CHECK_CONTAINS(s, "or with no capability at all, the port sysctl at 80");
	CHECK_CONTAINS(s, "docker run --cap-drop=ALL --user=33:33 --sysctl "
			  "net.ipv4.ip_unprivileged_port_start=80 --security-opt=no-new-privileges "
			  "IMAGE\n");
	CHECK_CONTAINS(s, "Kubernetes, Pod Security Standard restricted:\n  spec:\n");
	save_json("found-sysctl", &r);
	j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"sysctl\": {\"port\": 80, \"form\": {\"dockerfile\": \"USER 33:33\\nENV "
			  "CAPINIT_CAP_DROP=ALL\"");
	CHECK_CONTAINS(j, "\"pss\": \"restricted\", \"rule\": null");
}

static void result_nobody_none(void)
{
	/* --user=nobody, nothing needed: the restricted form, no KILL, no
	 * runAsUser 0, no "keeps only nothing". */
	facts = docker_facts();
	target = user_target(65534, 65534, "nobody");
	struct probe_result r = {.outcome = PROBE_OUT_FOUND, .runner = "in place",
				 .candidates = docker14, .facts = &facts, .target = &target,
				 .command = "true", .files_persist = true, .us = 80000};
	no_evidence(&r);
	trials[0] = trial(docker14, PROBE_KIND_SEARCH, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	trials[1] = trial(0, PROBE_KIND_SEARCH, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	trials[2] = trial(0, PROBE_KIND_REPEAT, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	r.trials = trials;
	r.ntrials = 3;
	r.counts[PROBE_KIND_SEARCH] = 2;
	r.counts[PROBE_KIND_REPEAT] = 1;
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "needed: none\n");
	CHECK_CONTAINS(s, "  docker run --cap-drop=ALL --user=65534:65534 "
			  "--security-opt=no-new-privileges IMAGE\n");
	CHECK_CONTAINS(s, "Kubernetes, Pod Security Standard restricted:\n");
	CHECK_CONTAINS(s, "    runAsNonRoot: true\n");
	CHECK(strstr(s, "KILL") == NULL || strstr(s, "candidates") < strstr(s, "KILL"));
	CHECK(strstr(s, "runAsUser: 0") == NULL);
	CHECK(strstr(s, "--cap-add") == NULL);
	CHECK(strstr(s, "keeps only nothing") == NULL);
	/* In place: files persist, with the command that checks it afresh. */
	CHECK_CONTAINS(s, "note: in place, files a trial wrote were seen by the next");
	CHECK_CONTAINS(s, "  docker run --rm -e CAPINIT_CAP_DROP=ALL -e CAPINIT_PROBE_VERIFY=1 IMAGE\n");
	save_json("found-none-needed", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"needed\": [], ");
	CHECK_CONTAINS(j, "\"evidence\": {}");
	CHECK_CONTAINS(j, "\"files_persist\": true");
}

static void result_file_caps(void)
{
	/* ping as nobody: the file's capability outside the bounding set. */
	facts = docker_facts();
	snprintf(facts.command_path, sizeof facts.command_path, "/usr/bin/ping");
	facts.file_caps = true;
	facts.file_permitted = B(CAP_NET_RAW);
	facts.file_effective = true;
	facts.ping_lo = 1;
	facts.ping_hi = 0;
	target = user_target(65534, 65534, "nobody");
	struct probe_result r = {.outcome = PROBE_OUT_FOUND, .runner = "sandbox",
				 .candidates = docker14, .facts = &facts, .target = &target,
				 .command = "ping", .check = "ping -c1 127.0.0.1 'x'"};
	no_evidence(&r);
	trials[0] = trial(docker14, PROBE_KIND_SEARCH, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	trials[1] = trial(0, PROBE_KIND_SEARCH, false, PROBE_R_FILE_CAPS, -1,
			  "could not be executed: Operation not permitted", "");
	trials[1].err = 1;
	r.evidence[CAP_NET_RAW] = 1;
	r.trials = trials;
	r.ntrials = 2;
	r.counts[PROBE_KIND_SEARCH] = 2;
	r.needed = r.portable = B(CAP_NET_RAW);
	r.files_persist = true;
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "  NET_RAW           without it (trial 2): execve of /usr/bin/ping failed "
			  "(EPERM): the file carries cap_net_raw=ep (security.capability), which "
			  "must stay in the bounding set\n");
	CHECK_CONTAINS(s, "  /usr/bin/ping: file capabilities cap_net_raw=ep (security.capability)\n");
	CHECK_CONTAINS(s, "ping_group_range=1 0: no group may open ICMP sockets without NET_RAW");
	CHECK_CONTAINS(s, "-e CAPINIT_PROBE_VERIFY=NET_RAW -e 'CAPINIT_PROBE_CHECK=ping -c1 "
			  "127.0.0.1 '\\''x'\\''' IMAGE");
	/* NET_RAW is outside baseline: privileged; and Podman's default set. */
	CHECK_CONTAINS(s, "Kubernetes, Pod Security Standard privileged (fails baseline: "
			  "capabilities_baseline (adds NET_RAW");
	CHECK_CONTAINS(s, "note: outside Podman's default set");
	save_json("found-file-caps", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"file_caps\": {\"permitted\": [\"NET_RAW\"], \"inheritable\": [], "
			  "\"effective\": true, \"text\": \"cap_net_raw=ep\"}");
	CHECK_CONTAINS(j, "\"reason\": \"file-caps\"");
	CHECK_CONTAINS(j, "\"errno\": 1");
}

static void result_none_and_unstable(void)
{
	facts = docker_facts();
	target = user_target(0, 0, "");
	target.app_root = true;
	target.switch_user = false;
	struct probe_result r = {.outcome = PROBE_OUT_NONE, .runner = "engine",
				 .candidates = docker14, .facts = &facts, .target = &target,
				 .command = "nginx", .port = 80,
				 .why = "COMMAND does not work even with every candidate"};
	no_evidence(&r);
	trials[0] = trial(docker14, PROBE_KIND_SEARCH, false, PROBE_R_DAEMONIZED, 0,
			  "exited 0 while processes it started still ran", "");
	r.trials = trials;
	r.ntrials = 1;
	r.counts[PROBE_KIND_SEARCH] = 1;
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "no result: COMMAND does not work even with every candidate\n");
	CHECK_CONTAINS(s, "  trial 1 (search) with every candidate (14): ");
	CHECK_CONTAINS(s, ": nginx exited 0 while processes it started still ran\n");
	CHECK_CONTAINS(s, "note: run the app in the foreground");
	CHECK(strstr(s, "Kubernetes") == NULL);
	save_json("none", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"needed\": null");
	CHECK_CONTAINS(j, "\"failed_trial\": 1");
	CHECK_CONTAINS(j, "\"deployment\": null");
	CHECK_CONTAINS(j, "\"reason\": \"daemonized\"");

	r.outcome = PROBE_OUT_UNSTABLE;
	r.why = "a set that worked once failed later: the app is flaky, or files it changed "
		"persist across trials";
	r.redone = true;
	trials[0] = trial(docker14, PROBE_KIND_SEARCH, true, PROBE_R_LISTENING, -1, "listening", "");
	trials[1] = trial(B(CAP_CHOWN), PROBE_KIND_SEARCH, true, PROBE_R_LISTENING, -1,
			  "listening", "");
	trials[2] = trial(B(CAP_CHOWN), PROBE_KIND_REPEAT, false, PROBE_R_TIMEOUT, -1,
			  "did not listen on 80/tcp within 2 s", "");
	trials[3] = trial(B(CAP_CHOWN), PROBE_KIND_REPEAT, true, PROBE_R_LISTENING, -1,
			  "listening", "");
	r.ntrials = 4;
	r.counts[PROBE_KIND_SEARCH] = 2;
	r.counts[PROBE_KIND_REPEAT] = 2;
	s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "no result: a set that worked once failed later");
	CHECK_CONTAINS(s, "  trial 3 (repeat) with CHOWN: nginx did not listen on 80/tcp within 2 s\n");
	CHECK_CONTAINS(s, "note: a repeat failed, so the search was redone");
	save_json("unstable", &r);
	CHECK_CONTAINS(render(probe_report_json, &r), "\"failed_trial\": 3");
}

static void result_verify(void)
{
	/* VERIFIED: SET works, every member needed. */
	facts = docker_facts();
	facts.sysctls_forced = true;
	facts.port_start = 1024;
	target = user_target(33, 33, "www-data");
	capmask set = B(CAP_CHOWN) | B(CAP_SETUID);
	struct probe_result r = {.outcome = PROBE_OUT_VERIFIED, .runner = "engine",
				 .candidates = set, .verify_set = set, .needed = set,
				 .portable = set, .facts = &facts, .target = &target,
				 .command = "nginx", .port = 80};
	no_evidence(&r);
	trials[0] = trial(set, PROBE_KIND_VERIFY, true, PROBE_R_LISTENING, -1, "listening", "");
	trials[1] = trial(B(CAP_SETUID), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", chown_line);
	trials[2] = trial(B(CAP_CHOWN), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", "nginx: [emerg] setuid(33) failed (1: Operation not permitted)");
	trials[3] = trial(set, PROBE_KIND_REPEAT, true, PROBE_R_LISTENING, -1, "listening", "");
	r.evidence[CAP_CHOWN] = 1;
	r.evidence[CAP_SETUID] = 2;
	r.trials = trials;
	r.ntrials = 4;
	r.counts[PROBE_KIND_VERIFY] = 3;
	r.counts[PROBE_KIND_REPEAT] = 1;
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "verified: CHOWN,SETUID works, and every member is needed\n");
	CHECK_CONTAINS(s, "  CHOWN             without it (trial 2): nginx exited with 1: nginx: "
			  "[emerg] chown(");
	CHECK_CONTAINS(s, "  SETUID            without it (trial 3): nginx exited with 1: nginx: "
			  "[emerg] setuid(33)");
	CHECK_CONTAINS(s, "trials: 1 repeat, 3 verify (4 in all)");
	CHECK_CONTAINS(s, "  both sysctls forced to the kernel's defaults: the answer holds on any node\n");
	CHECK_CONTAINS(s, "port 80/tcp: net.ipv4.ip_unprivileged_port_start=1024: NET_BIND_SERVICE "
			  "needed, as on a standard node\n");
	CHECK_CONTAINS(s, "ENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=CHOWN,SETUID CAPINIT_USER=www-data");
	save_json("verified", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"mode\": \"verify\", \"outcome\": \"verified\"");
	CHECK_CONTAINS(j, "\"verify_set\": [\"CHOWN\", \"SETUID\"], \"not_needed\": [], ");
	CHECK_CONTAINS(j, "\"removed\": [\"CHOWN\"]");

	/* NOT_MINIMAL: SYS_ADMIN is dead weight; the smaller set worked. */
	capmask stale = set | B(CAP_SYS_ADMIN);
	r.outcome = PROBE_OUT_NOT_MINIMAL;
	r.verify_set = stale;
	r.candidates = stale;
	r.not_needed = B(CAP_SYS_ADMIN);
	r.smaller = set;
	r.smaller_works = true;
	r.needed = r.portable = 0;
	trials[0] = trial(stale, PROBE_KIND_VERIFY, true, PROBE_R_LISTENING, -1, "listening", "");
	trials[1] = trial(stale & ~B(CAP_CHOWN), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", chown_line);
	trials[2] = trial(stale & ~B(CAP_SETUID), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", "setuid failed");
	trials[3] = trial(set, PROBE_KIND_VERIFY, true, PROBE_R_LISTENING, -1,
			  "listening on 80/tcp", "");
	trials[4] = trial(stale, PROBE_KIND_REPEAT, true, PROBE_R_LISTENING, -1, "listening", "");
	r.ntrials = 5;
	r.counts[PROBE_KIND_VERIFY] = 4;
	s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "not minimal: SYS_ADMIN of CHOWN,SETUID,SYS_ADMIN not needed\n");
	CHECK_CONTAINS(s, "  CHOWN             without it (trial 2)");
	CHECK_CONTAINS(s, "  SYS_ADMIN         not needed: trial 4 worked without it (listening on "
			  "80/tcp)\n");
	CHECK_CONTAINS(s, "smaller: CHOWN,SETUID (trial 4 worked with it)\n");
	CHECK_CONTAINS(s, "CAPINIT_CAP_ADD=CHOWN,SETUID ");
	CHECK(strstr(s, "SYS_ADMIN CAPINIT") == NULL);
	save_json("not-minimal", &r);
	const char *j2 = render(probe_report_json, &r);
	CHECK_CONTAINS(j2, "\"not_needed\": [\"SYS_ADMIN\"], \"smaller\": [\"CHOWN\", \"SETUID\"], "
			   "\"smaller_works\": true");
	CHECK_CONTAINS(j2, "\"not_needed_evidence\": {\"SYS_ADMIN\": {\"trial\": 4, ");

	/* NOT_MINIMAL whose smaller set was not shown to work: SYS_ADMIN and
	 * DAC_OVERRIDE each removable alone, not both (either one does). */
	capmask two = stale | B(CAP_DAC_OVERRIDE);
	r.verify_set = r.candidates = two;
	r.not_needed = B(CAP_SYS_ADMIN) | B(CAP_DAC_OVERRIDE);
	r.smaller = set;
	r.smaller_works = false;
	trials[0] = trial(two, PROBE_KIND_VERIFY, true, PROBE_R_LISTENING, -1, "listening", "");
	trials[1] = trial(two & ~B(CAP_CHOWN), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", chown_line);
	trials[2] = trial(two & ~B(CAP_SETUID), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", "setuid failed");
	trials[3] = trial(two & ~B(CAP_SYS_ADMIN), PROBE_KIND_VERIFY, true, PROBE_R_LISTENING, -1,
			  "listening on 80/tcp", "");
	trials[4] = trial(two & ~B(CAP_DAC_OVERRIDE), PROBE_KIND_VERIFY, true, PROBE_R_LISTENING,
			  -1, "listening on 80/tcp", "");
	trials[5] = trial(set, PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1, "exited with 1", "");
	r.ntrials = 6;
	r.counts[PROBE_KIND_VERIFY] = 6;
	r.counts[PROBE_KIND_REPEAT] = 0;
	s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "not minimal: DAC_OVERRIDE,SYS_ADMIN of CHOWN,DAC_OVERRIDE,SETUID,SYS_ADMIN "
			  "not needed\n");
	CHECK_CONTAINS(s, "  DAC_OVERRIDE      not needed: trial 5 worked without it");
	CHECK_CONTAINS(s, "  SYS_ADMIN         not needed: trial 4 worked without it");
	CHECK_CONTAINS(s, "smaller: CHOWN,SETUID was not shown to work");
	CHECK_CONTAINS(s, "--probe --probe-candidates=CHOWN,DAC_OVERRIDE,SETUID,SYS_ADMIN\n");
	CHECK(strstr(s, "Kubernetes") == NULL);
	save_json("not-minimal-unproven", &r);
	CHECK_CONTAINS(render(probe_report_json, &r), "\"deployment\": null");

	/* INSUFFICIENT: SET without CHOWN; nginx's chown error is the evidence. */
	r.outcome = PROBE_OUT_INSUFFICIENT;
	r.verify_set = B(CAP_SETUID);
	r.not_needed = r.smaller = 0;
	r.why = "SET does not work";
	trials[0] = trial(B(CAP_SETUID), PROBE_KIND_VERIFY, false, PROBE_R_EXITED, 1,
			  "exited with 1", chown_line);
	r.ntrials = 1;
	r.counts[PROBE_KIND_VERIFY] = 1;
	r.counts[PROBE_KIND_REPEAT] = 0;
	no_evidence(&r);
	s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "insufficient: SETUID does not work\n  trial 1");
	CHECK(strstr(s, "no trial recorded") == NULL);
	CHECK_CONTAINS(s, "  trial 1 (verify) with SETUID: nginx exited with 1: nginx: [emerg] chown(");
	save_json("insufficient", &r);
	const char *j3 = render(probe_report_json, &r);
	CHECK_CONTAINS(j3, "\"outcome\": \"insufficient\"");
	CHECK_CONTAINS(j3, "\"not_needed\": null");
	CHECK_CONTAINS(j3, "\"failed_trial\": 1");
}

static void result_userns_and_escapes(void)
{
	/* The app needs user namespaces; COMMAND, the runner's words and the
	 * app's output carry hostile bytes: escaped in text and in JSON. */
	facts = docker_facts();
	facts.runtime = "a\x1b[2Jcontainer";
	target = user_target(0, 0, "");
	target.app_root = true;
	struct probe_result r = {.outcome = PROBE_OUT_FOUND, .runner = "sandbox",
				 .candidates = all41, .facts = &facts, .target = &target,
				 .command = "/opt/bad\x1b]0;x\x07/app", .userns_needed = true};
	no_evidence(&r);
	trials[0] = trial(all41, PROBE_KIND_SEARCH, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	trials[1] = trial(0, PROBE_KIND_SEARCH, false, PROBE_R_EXITED, 3, "exited with 3\n\"q\"",
			  "bad\xff\x01 line \\ \"quoted\"");
	trials[2] = trial(0, PROBE_KIND_USERNS, true, PROBE_R_EXITED_0, 0, "exited 0", "");
	trials[2].userns = true;
	r.evidence[CAP_MKNOD] = 1;
	r.trials = trials;
	r.ntrials = 3;
	r.counts[PROBE_KIND_SEARCH] = 2;
	r.counts[PROBE_KIND_USERNS] = 1;
	r.needed = r.portable = B(CAP_MKNOD);
	const char *s = render(probe_report_text, &r);
	CHECK_CONTAINS(s, "the app works only with user namespaces allowed: CAPINIT_USERNS=1 (trial 3)\n");
	CHECK_CONTAINS(s, "CAPINIT_CAP_ADD=MKNOD CAPINIT_USERNS=1\n");
	CHECK_CONTAINS(s, "app exited with 3\\x0a\"q\": bad\\xff\\x01 line \\ \"quoted\"\n");
	CHECK_CONTAINS(s, "runtime: a\\x1b[2Jcontainer");
	CHECK(strchr(s, '\x1b') == NULL && strchr(s, '\x07') == NULL && strchr(s, '\xff') == NULL);
	save_json("found-userns", &r);
	const char *j = render(probe_report_json, &r);
	CHECK_CONTAINS(j, "\"why\": \"exited with 3\\n\\\"q\\\"\"");
	CHECK_CONTAINS(j, "\"last_line\": \"bad\\u00ff\\u0001 line \\\\ \\\"quoted\\\"\"");
	CHECK_CONTAINS(j, "\"command\": \"/opt/bad\\u001b]0;x\\u0007/app\"");
	CHECK_CONTAINS(j, "\"userns_needed\": true");
	for (const char *p = j; *p; p++)
		CHECK((unsigned char)*p >= 0x20 || *p == '\n');
}

static void sbuf_cuts(void)
{
	char buf[12];
	struct sbuf s;
	sb_init(&s, buf, sizeof buf);
	sb_escaped(&s, "abcdefghijklmnop", 100);
	CHECK(strcmp(buf, "abcdefgh...") == 0);
	CHECK(s.cut);
	/* An escape is never split by the cut. */
	sb_init(&s, buf, sizeof buf);
	sb_escaped(&s, "abcde\x01zzzzz", 100);
	CHECK(strcmp(buf, "abcde...") == 0);
	sb_init(&s, buf, sizeof buf);
	sb_escaped(&s, "ab\x01", 5);
	CHECK(strcmp(buf, "ab\\x01") == 0 || strcmp(buf, "ab...") == 0);
	sb_init(&s, buf, sizeof buf);
	sb_caps(&s, B(CAP_NET_BIND_SERVICE) | B(CAP_CHOWN), ",");
	CHECK(strncmp(buf, "CHOWN,", 6) == 0 && strcmp(buf + strlen(buf) - 3, "...") == 0);
	CHECK(s.cut);
	sb_init(&s, buf, sizeof buf);
	sb_printf(&s, "%s", "0123456789abcdef");
	CHECK(strlen(buf) == sizeof buf - 1 && s.cut);
}

int main(void)
{
	progress();
	deploy_as_user_nothing();
	deploy_root_start();
	deploy_port_sysctl();
	deploy_root_app();
	deploy_engine();
	result_found();
	result_nobody_none();
	result_file_caps();
	result_none_and_unstable();
	result_verify();
	result_userns_and_escapes();
	sbuf_cuts();
	return check_report("test_probe_report");
}
