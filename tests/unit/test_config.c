/* Config: argv + environment -> struct, and every bad input -> exit status
 * and one message naming the source and the token. */
#include "config.h"

#include <linux/capability.h>
#include <signal.h>

#include "check.h"
#include "config_args.h"


static void test_defaults(void)
{
	struct config c;
	struct config_error e;
	/* argv arrays live in this block: c.command points into them. */
	char **argv1 = ARGV("capinit", "sh", "-c", "x");
	CHECK(parse_with(&c, &e, no_env, argv1) == 0);
	CHECK(c.personality == PERSONALITY_CAPINIT);
	CHECK(c.no_new_privs && !c.drop_set && !c.add_set && !c.user.set);
	CHECK(c.grace_seconds == 5 && !c.kill_group && !c.setsid && c.verbose == 0);
	/* Option parsing stops at the first non-option word. */
	CHECK(strcmp(c.command[0], "sh") == 0 && strcmp(c.command[1], "-c") == 0);
	char **argv2 = ARGV("capinit", "-v", "--", "-x");
	CHECK(parse_with(&c, &e, no_env, argv2) == 0);
	CHECK(strcmp(c.command[0], "-x") == 0 && c.verbose == 1);
}

static void test_spec_from_env_and_flags(void)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e,
			 ENV("CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_ADD=net_bind_service",
			     "CAPINIT_USER=app:staff", "CAPINIT_NO_NEW_PRIVS=no", "PATH=/bin"),
			 ARGV("capinit", "true")) == 0);
	CHECK(c.drop_set && c.drop_all && c.add_set);
	CHECK_EQ_U64(c.add, CAPMASK_BIT(CAP_NET_BIND_SERVICE));
	CHECK(!c.user.numeric && strcmp(c.user.name, "app") == 0);
	CHECK(c.group.set && strcmp(c.group.name, "staff") == 0);
	CHECK(!c.no_new_privs);

	/* A flag wins over its variable. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=ALL", "CAPINIT_GRACE=30"),
			 ARGV("capinit", "--cap-drop=chown", "--grace", "1", "--user=1000:1000",
			      "true")) == 0);
	CHECK(!c.drop_all);
	CHECK_EQ_U64(c.drop, CAPMASK_BIT(CAP_CHOWN));
	CHECK(c.grace_seconds == 1);
	CHECK(c.user.numeric && c.user.id == 1000 && c.group.numeric && c.group.id == 1000);

	CHECK(parse_with(&c, &e, ENV("CAPINIT_PRINT=1", "CAPINIT_KILL_GROUP=yes",
				     "CAPINIT_VERBOSE=3"),
			 ARGV("capinit")) == 0); /* --print needs no COMMAND */
	CHECK(c.print && c.kill_group && c.verbose == 3 && c.command == NULL);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "-vvg", "x")) == 0);
	CHECK(c.verbose == 2 && c.kill_group);
}

struct bad_case {
	char *env;        /* one variable, or NULL */
	char *flag;       /* one flag, or NULL */
	const char *needle1, *needle2;
};

static void test_bad_input(void)
{
	struct bad_case cases[] = {
		{"CAPINIT_CAP_DROP=NET_BIND_SERVCE", NULL, "CAPINIT_CAP_DROP", "did you mean NET_BIND_SERVICE"},
		{NULL, "--cap-drop=NET_BIND_SERVCE", "--cap-drop", "NET_BIND_SERVCE"},
		{"CAPINIT_CAP_ADD=ALL", NULL, "CAPINIT_CAP_ADD", "'ALL' is not allowed"},
		{NULL, "--cap-add=all", "--cap-add", "'ALL'"},
		{"CAPINIT_CAP_DROP=CAP_", NULL, "CAPINIT_CAP_DROP", "'CAP_'"},
		{"CAPINIT_CAP_DROP=12", NULL, "CAPINIT_CAP_DROP", "'12'"},
		{"CAPINIT_CAP_DROP=CHOWN;KILL", NULL, "CAPINIT_CAP_DROP", "'CHOWN;KILL'"},
		{"CAPINIT_CAP_ADD=CH\xc3\x96WN", NULL, "CAPINIT_CAP_ADD", "not a capability name"},
		{"CAPINIT_USER=-1", NULL, "CAPINIT_USER", "'-1'"},
		{"CAPINIT_USER=1000:-5", NULL, "CAPINIT_USER", "'-5'"},
		{"CAPINIT_USER=4294967296", NULL, "CAPINIT_USER", "'4294967296'"},
		{"CAPINIT_USER=4294967295", NULL, "CAPINIT_USER", "out of range"},
		{"CAPINIT_USER=99999999999999999999", NULL, "CAPINIT_USER", "out of range"},
		{"CAPINIT_USER=1000:", NULL, "CAPINIT_USER", "empty group"},
		{"CAPINIT_USER=:1000", NULL, "CAPINIT_USER", "empty user"},
		{"CAPINIT_USER=", NULL, "CAPINIT_USER", "empty user"},
		{"CAPINIT_USER=a b", NULL, "CAPINIT_USER", "'a b'"},
		{NULL, "--user=bad/name", "--user", "'bad/name'"},
		{"CAPINIT_NO_NEW_PRIVS=maybe", NULL, "CAPINIT_NO_NEW_PRIVS", "'maybe'"},
		{"CAPINIT_NO_NEW_PRIVS=2", NULL, "CAPINIT_NO_NEW_PRIVS", "'2'"},
		{NULL, "--no-new-privs=on", "--no-new-privs", "'on'"},
		{"CAPINIT_GRACE=abc", NULL, "CAPINIT_GRACE", "'abc'"},
		{"CAPINIT_GRACE=-1", NULL, "CAPINIT_GRACE", "'-1'"},
		{"CAPINIT_GRACE=86401", NULL, "CAPINIT_GRACE", "'86401'"},
		{"CAPINIT_VERBOSE=4", NULL, "CAPINIT_VERBOSE", "'4'"},
		{"CAPINIT_KILL_GROUP=x", NULL, "CAPINIT_KILL_GROUP", "'x'"},
		{"CAPINIT_PRINT=", NULL, "CAPINIT_PRINT", "''"},
		{"CAPINIT_CAP_DRP=ALL", NULL, "CAPINIT_CAP_DRP", "unknown variable"},
		{"CAPINIT_=1", NULL, "CAPINIT_", "unknown variable"},
		{NULL, "--cap-dorp=ALL", "--cap-dorp", "unknown option"},
		{NULL, "-x", "'-x'", "unknown option"},
		{NULL, "--print=1", "--print", "takes no value"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		struct config_error e;
		char *env[] = {cases[i].env, NULL};
		char *argv[] = {"capinit", cases[i].flag ? cases[i].flag : "true",
				cases[i].flag ? "true" : NULL, NULL};
		int rc = parse_with(&c, &e, env, argv);
		CHECK(rc == -1);
		CHECK(e.status == 2);
		CHECK_CONTAINS(e.msg, cases[i].needle1);
		CHECK_CONTAINS(e.msg, cases[i].needle2);
		CHECK(strchr(e.msg, '\n') == NULL); /* one line */
	}
}

static void test_conflicts_and_missing(void)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--grace")) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, "--grace needs a value");
	CHECK(parse_with(&c, &e, no_env, ARGV("tini", "-e")) == -1);
	CHECK(e.status == 1);
	CHECK_CONTAINS(e.msg, "-e needs a value");
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=chown,kill", "CAPINIT_CAP_ADD=KILL"),
			 ARGV("capinit", "true")) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, "both name KILL");
	CHECK_CONTAINS(e.msg, "CAPINIT_CAP_ADD and CAPINIT_CAP_DROP");
	/* The flag that overrides the variable is the one named. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_ADD=KILL"),
			 ARGV("capinit", "--cap-drop=KILL", "true")) == -1);
	CHECK_CONTAINS(e.msg, "--cap-drop");
	/* ALL with an ADD is the seed's case, not a conflict. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_ADD=KILL"),
			 ARGV("capinit", "true")) == 0);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit")) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, "missing COMMAND");
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--")) == -1);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--help")) == 0 &&
	      c.action == ACTION_HELP);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--version")) == 0 &&
	      c.action == ACTION_VERSION);
}

static void test_ambiguous_environment(void)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=ALL", "PATH=/bin", "CAPINIT_CAP_DROP=KILL"),
			 ARGV("capinit", "true")) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, "CAPINIT_CAP_DROP: set twice in the environment");
	/* The same value twice is still two settings. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_GRACE=1", "CAPINIT_GRACE=1"),
			 ARGV("capinit", "true")) == -1);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP"), ARGV("capinit", "true")) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, "CAPINIT_CAP_DROP: an environment entry without '='");
	/* A prefix of another name is not the same name. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_DROPX=1"),
			 ARGV("capinit", "true")) == -1);
	CHECK_CONTAINS(e.msg, "CAPINIT_CAP_DROPX: unknown variable");
	/* Other programs' variables may do as they like. */
	CHECK(parse_with(&c, &e, ENV("FOO", "FOO=1", "FOO=2"), ARGV("capinit", "true")) == 0);
}

/* A CAPINIT_ name in another case is a typo that would leave the
 * capabilities in place: exit 2 naming the spelling to use (issue 18). */
static void test_case_variants(void)
{
	static const char *const cases[][2] = {
		{"capinit_cap_drop=ALL", "capinit_cap_drop: capinit's variables are spelled in "
					 "capitals: use CAPINIT_CAP_DROP"},
		{"Capinit_User=app", "Capinit_User: capinit's variables are spelled in capitals: use "
				     "CAPINIT_USER"},
		{"CAPINIT_cap_drop=ALL", "use CAPINIT_CAP_DROP"},
		{"Capinit_Cap_Drop=ALL", "use CAPINIT_CAP_DROP"},
		{"capinit_whatever=1", "use CAPINIT_WHATEVER"},
		{"capinit_cap_drop", "use CAPINIT_CAP_DROP"}, /* without '=' too */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		struct config_error e;
		char *env[] = {"PATH=/bin", (char *)cases[i][0], NULL};
		CHECK(parse_with(&c, &e, env, ARGV("capinit", "true")) == -1);
		CHECK(e.status == 2 && !e.raw);
		CHECK_CONTAINS(e.msg, cases[i][1]);
		CHECK(strchr(e.msg, '\n') == NULL);
	}
	/* A long name is cut in the message, never overflows. */
	struct config c;
	struct config_error e;
	char *long_env[] = {"capinit_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1",
			    NULL};
	CHECK(parse_with(&c, &e, long_env, ARGV("capinit", "true")) == -1);
	CHECK_CONTAINS(e.msg, "use CAPINIT_XXXX");
	CHECK_CONTAINS(e.msg, "...");
	/* Under every name, and the capitals still work; other names that only
	 * contain the word are the app's. */
	CHECK(parse_with(&c, &e, ENV("capinit_cap_drop=ALL"), ARGV("tini", "--", "true")) == -1);
	CHECK(e.status == 2);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=ALL", "MY_CAPINIT_X=1", "CAPINITX=1"),
			 ARGV("capinit", "true")) == 0 &&
	      c.drop_all);
}

static void test_personalities(void)
{
	struct config c;
	struct config_error e;
	CHECK(personality_from_argv0("/usr/bin/tini") == PERSONALITY_TINI);
	CHECK(personality_from_argv0("docker-init") == PERSONALITY_TINI);
	CHECK(personality_from_argv0("/sbin/tini-static") == PERSONALITY_TINI);
	CHECK(personality_from_argv0("/usr/bin/dumb-init") == PERSONALITY_DUMB_INIT);
	CHECK(personality_from_argv0("/capinit") == PERSONALITY_CAPINIT);
	CHECK(personality_from_argv0("tiny") == PERSONALITY_CAPINIT);

	/* tini: usage errors exit 1, grace 0, -e maps codes, -s, -p, -w. */
	CHECK(parse_with(&c, &e, no_env, ARGV("tini")) == -1 && e.status == 1);
	CHECK(parse_with(&c, &e, no_env, ARGV("tini", "-Z", "x")) == -1 && e.status == 1);
	CHECK(parse_with(&c, &e, ENV("TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=1"),
			 ARGV("tini", "-w", "-e", "143", "-e3", "-p", "SIGKILL", "--", "x")) == 0);
	CHECK(c.grace_seconds == 0 && c.subreaper && c.kill_group && c.warn_on_reap);
	CHECK(c.pdeath_signal == SIGKILL && !c.setsid);
	CHECK(config_exit_maps_to_zero(&c, 143) && config_exit_maps_to_zero(&c, 3));
	CHECK(!config_exit_maps_to_zero(&c, 0 + 1) && !config_exit_maps_to_zero(&c, 256));
	CHECK(parse_with(&c, &e, no_env, ARGV("tini", "-e", "256", "x")) == -1 && e.status == 1);
	CHECK(parse_with(&c, &e, no_env, ARGV("tini", "-p", "NOPE", "x")) == -1);
	CHECK(parse_with(&c, &e, ENV("TINI_VERBOSITY=3"), ARGV("tini", "x")) == 0 &&
	      c.verbose == 2);
	/* tini's 0 silences warnings too: capinit's -1, errors only. */
	CHECK(parse_with(&c, &e, ENV("TINI_VERBOSITY=0"), ARGV("tini", "x")) == 0 &&
	      c.verbose == -1);
	CHECK(parse_with(&c, &e, ENV("TINI_VERBOSITY=1"), ARGV("tini", "x")) == 0 &&
	      c.verbose == 0);
	CHECK(c.suspend_on_tty_signals == false);
	/* A bad capability spec is exit 2 in every personality. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=nope"), ARGV("tini", "x")) == -1 &&
	      e.status == 2);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_CAP_DROP=nope"), ARGV("dumb-init", "x")) == -1 &&
	      e.status == 2);

	/* dumb-init: setsid mode, group signals, job-control stops rewritten. */
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "x")) == 0);
	CHECK(c.setsid && c.kill_group && c.grace_seconds == 0 && c.suspend_on_tty_signals);
	CHECK(c.rewrite[SIGTSTP] == SIGSTOP && c.rewrite[SIGTTIN] == SIGSTOP &&
	      c.rewrite[SIGTTOU] == SIGSTOP && c.rewrite[SIGTERM] == -1);
	CHECK(parse_with(&c, &e, no_env,
			 ARGV("dumb-init", "-c", "-r", "15:10", "--rewrite", "10:0", "x")) == 0);
	CHECK(!c.setsid && !c.kill_group && c.rewrite[SIGTSTP] == -1);
	CHECK(c.rewrite[15] == 10 && c.rewrite[10] == 0);
	CHECK(parse_with(&c, &e, ENV("DUMB_INIT_SETSID=0", "DUMB_INIT_DEBUG=1"),
			 ARGV("dumb-init", "x")) == 0);
	/* dumb-init's debug lines show at LOG_INFO (1), capinit's own debug
	 * lines stay out of them. */
	CHECK(!c.setsid && c.verbose == 1);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-v", "-v", "x")) == 0 && c.verbose == 1);
	/* dumb-init's -r takes signals 1-31 only, and says so in its words. */
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "1:32", "x")) == -1 &&
	      e.status == 1 && e.raw);
	CHECK_CONTAINS(e.msg, "is between 1 and 31.\n");
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "32:1", "x")) == -1);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "31:0", "x")) == 0 &&
	      c.rewrite[31] == 0);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "-r", "64:34", "x")) == 0 &&
	      c.rewrite[64] == 34);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "-r", "65:1", "x")) == -1 && !e.raw &&
	      e.status == 2);
	/* dumb-init's usage errors, unprefixed, exit 1. */
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "--yolo", "x")) == -1 && e.raw &&
	      e.status == 1 && strcmp(e.msg, "dumb-init: unrecognized option '--yolo'\n") == 0);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init")) == -1 && e.raw && e.status == 1);
	CHECK_CONTAINS(e.msg, "Usage: dumb-init [option] program [args]\n");
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--yolo", "x")) == -1 && !e.raw &&
	      e.status == 2);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "15", "x")) == -1 &&
	      e.status == 1);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "0:1", "x")) == -1);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-r", "65:1", "x")) == -1);
	CHECK(parse_with(&c, &e, no_env, ARGV("dumb-init", "-V")) == 0 &&
	      c.action == ACTION_VERSION);
	/* Their flags work under capinit's own name too. */
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "-s", "-c", "-r", "1:2", "x")) == 0);
}

static void test_child_env(void)
{
	char *env[] = {"PATH=/bin", "CAPINIT_CAP_DROP=ALL", "HOME=/root", "CAPINIT_USER=app",
		       "TERM=xterm", NULL};
	char *out[8];
	size_t n = config_child_env(env, "HOME=/home/app", out);
	CHECK(n == 3);
	CHECK(strcmp(out[0], "PATH=/bin") == 0 && strcmp(out[1], "TERM=xterm") == 0);
	CHECK(strcmp(out[2], "HOME=/home/app") == 0 && out[3] == NULL);
	n = config_child_env(env, NULL, out);
	CHECK(n == 3 && strcmp(out[1], "HOME=/root") == 0);
}

int main(void)
{
	test_ambiguous_environment();
	test_case_variants();
	test_defaults();
	test_spec_from_env_and_flags();
	test_bad_input();
	test_conflicts_and_missing();
	test_personalities();
	test_child_env();
	return check_report("test_config");
}
