/* The --probe flags and CAPINIT_PROBE* variables: defaults, each source,
 * the flag winning over its variable, and every bad value as exit 2 with
 * one line naming the flag or variable and the token. */
#include "config.h"

#include "check.h"
#include "config_args.h"


static void test_defaults(void)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "true")) == 0);
	CHECK(!c.probe && !c.probe_json && c.probe_port == 0 && c.probe_check == NULL);
	CHECK(c.probe_timeout_ms == 10000 && c.probe_repeat == 2);
}

static void test_flags(void)
{
	struct config c;
	struct config_error e;
	char **argv = ARGV("capinit", "--probe", "--probe-port=80", "--probe-check", "curl -f x",
			   "--probe-timeout=3", "--probe-repeat", "5", "--probe-json", "--", "srv");
	CHECK(parse_with(&c, &e, no_env, argv) == 0);
	CHECK(c.probe && c.probe_json && c.probe_port == 80);
	CHECK(c.probe_check && strcmp(c.probe_check, "curl -f x") == 0);
	CHECK(c.probe_timeout_ms == 3000 && c.probe_repeat == 5);
	CHECK(strcmp(c.command[0], "srv") == 0);
}

static void test_variables(void)
{
	struct config c;
	struct config_error e;
	char **env = ENV("CAPINIT_PROBE=1", "CAPINIT_PROBE_PORT=8080", "CAPINIT_PROBE_CHECK=true",
			 "CAPINIT_PROBE_TIMEOUT=86400", "CAPINIT_PROBE_REPEAT=1",
			 "CAPINIT_PROBE_JSON=yes");
	CHECK(parse_with(&c, &e, env, ARGV("capinit", "srv")) == 0);
	CHECK(c.probe && c.probe_json && c.probe_port == 8080);
	CHECK(c.probe_check && strcmp(c.probe_check, "true") == 0);
	CHECK(c.probe_timeout_ms == 86400000u && c.probe_repeat == 1);
	/* The flag wins over its variable. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_PORT=8080"),
			 ARGV("capinit", "--probe", "--probe-port=81", "srv")) == 0);
	CHECK(c.probe_port == 81);
	/* Probe settings baked into an image do nothing until CAPINIT_PROBE=1. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_PORT=80"), ARGV("capinit", "srv")) == 0);
	CHECK(!c.probe);
}

static void bad(char **env, char **argv, const char *source, const char *token)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e, env, argv) == -1);
	CHECK(e.status == 2);
	CHECK_CONTAINS(e.msg, source);
	CHECK_CONTAINS(e.msg, token);
	CHECK(strchr(e.msg, '\n') == NULL);
}

static void test_bad_values(void)
{
	bad(no_env, ARGV("capinit", "--probe-port=0", "x"), "--probe-port", "'0'");
	bad(no_env, ARGV("capinit", "--probe-port=65536", "x"), "--probe-port", "'65536'");
	bad(no_env, ARGV("capinit", "--probe-port=http", "x"), "--probe-port", "'http'");
	bad(no_env, ARGV("capinit", "--probe-timeout=0", "x"), "--probe-timeout", "'0'");
	bad(no_env, ARGV("capinit", "--probe-timeout=1.5555", "x"), "--probe-timeout", "'1.5555'");
	bad(no_env, ARGV("capinit", "--probe-timeout=.", "x"), "--probe-timeout", "'.'");
	bad(no_env, ARGV("capinit", "--probe-timeout=1.", "x"), "--probe-timeout", "'1.'");
	bad(no_env, ARGV("capinit", "--probe-timeout=0.000", "x"), "--probe-timeout", "'0.000'");
	bad(no_env, ARGV("capinit", "--probe-timeout=86400.001", "x"), "--probe-timeout",
	    "'86400.001'");
	bad(no_env, ARGV("capinit", "--probe-timeout=-1", "x"), "--probe-timeout", "'-1'");
	bad(no_env, ARGV("capinit", "--probe-port=53/sctp", "x"), "--probe-port", "'53/sctp'");
	bad(no_env, ARGV("capinit", "--probe-port=/udp", "x"), "--probe-port", "'/udp'");
	bad(no_env, ARGV("capinit", "--probe-verify=ALL", "x"), "--probe-verify", "ALL");
	bad(no_env, ARGV("capinit", "--probe-verify=CHWON", "x"), "--probe-verify", "CHWON");
	bad(no_env, ARGV("capinit", "--probe-candidates=CHOWN,,KILL", "x"), "--probe-candidates",
	    "");
	bad(no_env, ARGV("capinit", "--probe-candidates"), "--probe-candidates", "needs a value");
	bad(no_env, ARGV("capinit", "--userns=maybe", "x"), "--userns", "'maybe'");
	bad(ENV("CAPINIT_USERNS=2"), ARGV("capinit", "x"), "CAPINIT_USERNS", "'2'");
	bad(ENV("CAPINIT_PROBE_VERIFY=7"), ARGV("capinit", "x"), "CAPINIT_PROBE_VERIFY", "'7'");
	bad(no_env, ARGV("capinit", "--probe-repeat=101", "x"), "--probe-repeat", "'101'");
	bad(no_env, ARGV("capinit", "--probe-repeat=-1", "x"), "--probe-repeat", "'-1'");
	bad(no_env, ARGV("capinit", "--probe-check=", "x"), "--probe-check", "empty");
	bad(no_env, ARGV("capinit", "--probe=1", "x"), "--probe", "takes no value");
	bad(no_env, ARGV("capinit", "--probe-json=1", "x"), "--probe-json", "takes no value");
	bad(no_env, ARGV("capinit", "--probe-port"), "--probe-port", "needs a value");
	bad(no_env, ARGV("capinit", "--probe-prot=80", "x"), "unknown option", "probe-prot");
	bad(ENV("CAPINIT_PROBE=maybe"), ARGV("capinit", "x"), "CAPINIT_PROBE", "'maybe'");
	bad(ENV("CAPINIT_PROBE_JSON=2"), ARGV("capinit", "x"), "CAPINIT_PROBE_JSON", "'2'");
	bad(ENV("CAPINIT_PROBE_PORT=99999"), ARGV("capinit", "x"), "CAPINIT_PROBE_PORT",
	    "'99999'");
	bad(ENV("CAPINIT_PROBE_TIMEOUT=ten"), ARGV("capinit", "x"), "CAPINIT_PROBE_TIMEOUT",
	    "'ten'");
	bad(ENV("CAPINIT_PROBE_REPEAT=0"), ARGV("capinit", "x"), "CAPINIT_PROBE_REPEAT", "'0'");
	bad(ENV("CAPINIT_PROBE_CHECK="), ARGV("capinit", "x"), "CAPINIT_PROBE_CHECK", "empty");
	/* A misspelt variable is unknown, and the message lists the real ones. */
	bad(ENV("CAPINIT_PROBE_PROT=80"), ARGV("capinit", "x"), "CAPINIT_PROBE_PROT",
	    "CAPINIT_PROBE_PORT");
	bad(ENV("CAPINIT_PROBES=1"), ARGV("capinit", "x"), "CAPINIT_PROBES", "unknown variable");
}

/* The options added with the runners: UDP ports, fractions of seconds,
 * --probe-verify's three forms, candidates, the user-namespace switch, and
 * whether a variable (not the command line) started the probe. */
static void test_runner_options(void)
{
	struct config c;
	struct config_error e;
	CHECK(parse_with(&c, &e, no_env,
			 ARGV("capinit", "--probe", "--probe-port=53/udp", "--probe-timeout=0.25",
			      "x")) == 0);
	CHECK(c.probe_port == 53 && c.probe_udp && c.probe_timeout_ms == 250);
	CHECK(!c.probe_from_env && !c.probe_verify);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe", "--probe-port=80/TCP", "x")) ==
	      0);
	CHECK(c.probe_port == 80 && !c.probe_udp);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe-timeout=.5", "--probe", "x")) ==
	      0);
	CHECK(c.probe_timeout_ms == 500);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe-timeout=2.05", "--probe", "x")) ==
	      0);
	CHECK(c.probe_timeout_ms == 2050);
	/* --probe-verify alone: the production spec; it never takes the next
	 * word, which is COMMAND. */
	char **verify_argv = ARGV("capinit", "--probe-verify", "CHOWN");
	CHECK(parse_with(&c, &e, no_env, verify_argv) == 0);
	CHECK(c.probe && c.probe_verify && !c.probe_verify_given);
	CHECK(strcmp(c.command[0], "CHOWN") == 0);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe-verify=chown,cap_setuid", "x")) ==
	      0);
	CHECK(c.probe && c.probe_verify && c.probe_verify_given);
	CHECK(c.probe_verify_set == (CAPMASK_BIT(0) | CAPMASK_BIT(7)));
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe-verify=", "x")) == 0);
	CHECK(c.probe_verify && c.probe_verify_given && c.probe_verify_set == 0);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_VERIFY=yes"), ARGV("capinit", "x")) == 0);
	CHECK(c.probe && c.probe_verify && !c.probe_verify_given && c.probe_from_env);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_VERIFY=NET_BIND_SERVICE"), ARGV("capinit", "x")) ==
	      0);
	CHECK(c.probe_verify && c.probe_verify_given && c.probe_verify_set == CAPMASK_BIT(10));
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_VERIFY=0"), ARGV("capinit", "x")) == 0);
	CHECK(!c.probe && !c.probe_verify);
	/* A variable that starts a probe is announced; the flag is not. */
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE=1"), ARGV("capinit", "x")) == 0);
	CHECK(c.probe && c.probe_from_env);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE=1"), ARGV("capinit", "--probe", "x")) == 0);
	CHECK(c.probe && !c.probe_from_env);
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "--probe-candidates=all", "--probe", "x")) ==
	      0);
	CHECK(c.probe_candidates_given && c.probe_candidates_all);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_PROBE_CANDIDATES=KILL NET_RAW"), ARGV("capinit", "x")) ==
	      0);
	CHECK(c.probe_candidates_given && !c.probe_candidates_all);
	CHECK(c.probe_candidates == (CAPMASK_BIT(5) | CAPMASK_BIT(13)));
	/* The user-namespace guard: on by default, off with USERNS=1. */
	CHECK(parse_with(&c, &e, no_env, ARGV("capinit", "x")) == 0);
	CHECK(!c.userns);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_USERNS=1"), ARGV("capinit", "x")) == 0);
	CHECK(c.userns);
	CHECK(parse_with(&c, &e, ENV("CAPINIT_USERNS=1"), ARGV("capinit", "--userns=0", "x")) == 0);
	CHECK(!c.userns);
}

int main(void)
{
	test_runner_options();
	test_defaults();
	test_flags();
	test_variables();
	test_bad_values();
	return check_report("probe_config");
}
