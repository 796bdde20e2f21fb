/* The personalities' texts: what tools and the originals' suites read. */
#include "personality.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

/* Docker's daemon reads `INIT --version` this way (moby's
 * parseInitVersion): split at " - "; the commit is the second part when it
 * is "git." plus one dot-free word; the version is the first part after
 * "tini version ". Either found means the line parses. Restated here, so
 * the test fails if our line stops parsing. */
static int docker_parses(const char *line, char *version, size_t vsize, char *commit,
			 size_t csize)
{
	version[0] = commit[0] = '\0';
	const char *sep = strstr(line, " - ");
	size_t first = sep ? (size_t)(sep - line) : strcspn(line, "\n");
	if (sep) {
		const char *git = sep + 3;
		size_t glen = strcspn(git, "\n");
		if (glen > 4 && strncmp(git, "git.", 4) == 0 && memchr(git + 4, '.', glen - 4) == NULL &&
		    memchr(git + 4, ' ', glen - 4) == NULL)
			snprintf(commit, csize, "%.*s", (int)(glen - 4), git + 4);
	}
	static const char prefix[] = "tini version ";
	if (first > sizeof prefix - 1 && strncmp(line, prefix, sizeof prefix - 1) == 0)
		snprintf(version, vsize, "%.*s", (int)(first - (sizeof prefix - 1)),
			 line + sizeof prefix - 1);
	return version[0] || commit[0];
}

static void test_versions(void)
{
	char buf[256], v[128], c[64];
	persona_version(PERSONALITY_TINI, "0.2.0", "abc123def456", buf, sizeof buf);
	CHECK(docker_parses(buf, v, sizeof v, c, sizeof c));
	CHECK(strcmp(c, "abc123def456") == 0);
	CHECK_CONTAINS(v, "0.19.0");
	/* ... and it still says what runs. */
	CHECK_CONTAINS(buf, "capinit 0.2.0");
	CHECK(buf[strlen(buf) - 1] == '\n');

	persona_version(PERSONALITY_DUMB_INIT, "0.2.0", "abc", buf, sizeof buf);
	CHECK(strncmp(buf, "dumb-init v1.2.5 ", 17) == 0);
	CHECK_CONTAINS(buf, "capinit 0.2.0");
	/* Under its own name: honest, and Docker reads the commit from it
	 * (init-path pointing at the binary itself). */
	persona_version(PERSONALITY_CAPINIT, "0.2.0", "abc", buf, sizeof buf);
	CHECK(strcmp(buf, "capinit 0.2.0 - git.abc\n") == 0);
	CHECK(docker_parses(buf, v, sizeof v, c, sizeof c));
	CHECK(strcmp(c, "abc") == 0);
	/* A short buffer truncates, never overflows. */
	CHECK(persona_version(PERSONALITY_TINI, "0.2.0", "abc", buf, 8) == 7 && strlen(buf) == 7);
}

static void test_help(void)
{
	static char buf[4096];
	persona_help(PERSONALITY_DUMB_INIT, "0.2.0", "abc", buf, sizeof buf);
	/* The version line, then dumb-init's usage, option for option. */
	CHECK(strncmp(buf, "dumb-init v1.2.5 (capinit 0.2.0, commit abc)\n"
			   "Usage: dumb-init [option] command [[arg] ...]\n", 90) == 0);
	CHECK_CONTAINS(buf, "   -r, --rewrite s:r    Rewrite received signal s to new signal r "
			    "before proxying.\n");
	persona_help(PERSONALITY_TINI, "0.2.0", "abc", buf, sizeof buf);
	CHECK(strncmp(buf, "tini (tini version 0.19.0 (capinit 0.2.0) - git.abc)\n", 53) == 0);
	CHECK_CONTAINS(buf, "supervision of a valid init process");
	persona_help(PERSONALITY_CAPINIT, "0.2.0", "abc", buf, sizeof buf);
	CHECK(strncmp(buf, "Usage: capinit ", 15) == 0);
	CHECK(persona_help(PERSONALITY_CAPINIT, "0.2.0", "abc", buf, 10) == 9);
}

static void test_usage_errors(void)
{
	char buf[512];
	CHECK(!persona_usage_error(PERSONALITY_CAPINIT, USAGE_MISSING_COMMAND, "", buf, sizeof buf));
	CHECK(!persona_usage_error(PERSONALITY_TINI, USAGE_UNKNOWN_LONG, "x", buf, sizeof buf));
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_MISSING_COMMAND, "", buf, sizeof buf));
	CHECK(strcmp(buf, "Usage: dumb-init [option] program [args]\n"
			  "Try dumb-init --help for full usage.\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_UNKNOWN_SHORT, "x", buf, sizeof buf));
	CHECK(strcmp(buf, "dumb-init: invalid option -- 'x'\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_NEEDS_VALUE, "-r", buf, sizeof buf));
	CHECK(strcmp(buf, "dumb-init: option requires an argument -- 'r'\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_NEEDS_VALUE, "--rewrite", buf,
				  sizeof buf));
	CHECK(strcmp(buf, "dumb-init: option '--rewrite' requires an argument\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_BAD_REWRITE, "1:32", buf, sizeof buf));
	CHECK(strcmp(buf, "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 "
			  "and 31.\nThis option can be specified multiple times.\n"
			  "Use --help for full usage.\n") == 0);
	/* The text is printed raw, so argv's bytes are escaped in it: a
	 * control byte cannot drive the terminal or forge a line. */
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_UNKNOWN_LONG, "x\x1b[2J\nforged", buf,
				  sizeof buf));
	CHECK(strcmp(buf, "dumb-init: unrecognized option '--x\\x1b[2J\\x0aforged'\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_UNKNOWN_SHORT, "\x07", buf, sizeof buf));
	CHECK(strcmp(buf, "dumb-init: invalid option -- '\\x07'\n") == 0);
	CHECK(persona_usage_error(PERSONALITY_DUMB_INIT, USAGE_UNKNOWN_LONG, "\xff\x80", buf,
				  sizeof buf));
	CHECK(strcmp(buf, "dumb-init: unrecognized option '--\\xff\\x80'\n") == 0);
}

static void test_defaults(void)
{
	CHECK(persona_get(PERSONALITY_CAPINIT)->usage_status == 2);
	CHECK(persona_get(PERSONALITY_TINI)->usage_status == 1);
	CHECK(persona_get(PERSONALITY_DUMB_INIT)->rewrite_max == 31);
	CHECK(persona_get(PERSONALITY_CAPINIT)->rewrite_max == 64);
	CHECK(persona_get(PERSONALITY_TINI)->info_fd == STDOUT_FILENO);
	CHECK(persona_get(PERSONALITY_DUMB_INIT)->text_fd == STDERR_FILENO);
	CHECK(!persona_get(PERSONALITY_TINI)->subreaper_unasked);
	CHECK(persona_get(PERSONALITY_CAPINIT)->grace_seconds == 5);
	CHECK(persona_get(PERSONALITY_TINI)->grace_seconds == 0);
	CHECK(personality_from_argv0("/x/dumb-init") == PERSONALITY_DUMB_INIT);
	CHECK(personality_from_argv0(NULL) == PERSONALITY_CAPINIT);
}

static void test_log_lines(void)
{
	char buf[256];
	CHECK(persona_log_prefix(PERSONALITY_CAPINIT, LOG_WARN, 7, buf, sizeof buf) == 9 &&
	      strcmp(buf, "capinit: ") == 0);
	persona_log_prefix(PERSONALITY_TINI, LOG_WARN, 42, buf, sizeof buf);
	CHECK(strcmp(buf, "[WARN  tini (42)] ") == 0);
	persona_log_prefix(PERSONALITY_TINI, LOG_ERROR, 42, buf, sizeof buf);
	CHECK(strcmp(buf, "[FATAL tini (42)] ") == 0);
	persona_log_prefix(PERSONALITY_DUMB_INIT, LOG_INFO, 42, buf, sizeof buf);
	CHECK(strcmp(buf, "[dumb-init] ") == 0);

	/* tini -w: the line tini's users grep for, as a warning. */
	struct event ev = {.kind = EV_CHILD_REAPED, .pid = 12, .warn_on_reap = true};
	CHECK(persona_event(PERSONALITY_TINI, &ev, buf, sizeof buf) == LOG_WARN);
	CHECK(strcmp(buf, "Reaped zombie process with pid=12") == 0);
	ev.warn_on_reap = false;
	CHECK(persona_event(PERSONALITY_TINI, &ev, buf, sizeof buf) == LOG_TRACE);

	/* dumb-init's debug lines, word for word, at LOG_INFO. */
	ev = (struct event){.kind = EV_CHILD_REAPED, .pid = 9, .status = 3 << 8};
	CHECK(persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf) == LOG_INFO);
	CHECK(strcmp(buf, "A child with PID 9 exited with exit status 3.") == 0);
	ev.status = SIGKILL; /* a raw status: killed by signal 9 */
	persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf);
	CHECK(strcmp(buf, "A child with PID 9 was terminated by signal 9.") == 0);
	ev = (struct event){.kind = EV_GOODBYE, .status = 143};
	persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf);
	CHECK(strcmp(buf, "Child exited with status 143. Goodbye.") == 0);
	CHECK(persona_event(PERSONALITY_CAPINIT, &ev, buf, sizeof buf) == PERSONA_SILENT);
	ev = (struct event){.kind = EV_SIGNAL_FORWARDED, .sig = 15, .pid = -5};
	persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf);
	CHECK(strcmp(buf, "Forwarded signal 15 to children.") == 0);
	CHECK(persona_event(PERSONALITY_CAPINIT, &ev, buf, sizeof buf) == LOG_DEBUG);
	CHECK(strcmp(buf, "forwarded signal 15 to -5") == 0);
	ev = (struct event){.kind = EV_TTY_HANDOFF_IGNORED, .sig = 1};
	persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf);
	CHECK(strcmp(buf, "Ignoring tty hand-off signal 1.") == 0);

	ev = (struct event){.kind = EV_EXEC_FAILED, .text = "/x", .detail = "No such file"};
	CHECK(persona_event(PERSONALITY_DUMB_INIT, &ev, buf, sizeof buf) == LOG_ERROR);
	CHECK(strcmp(buf, "/x: No such file") == 0);
	CHECK(persona_event(PERSONALITY_CAPINIT, &ev, buf, sizeof buf) == LOG_ERROR);
	CHECK(strcmp(buf, "cannot execute '/x': No such file") == 0);

	CHECK_CONTAINS(persona_no_subreaper_warning(PERSONALITY_TINI), "zombie reaping won't work");
}

int main(void)
{
	test_versions();
	test_help();
	test_usage_errors();
	test_defaults();
	test_log_lines();
	return check_report("test_personality");
}
