/* The personalities' long texts: usage errors in dumb-init's words, --help,
 * --version and -l. Apart from personality.c because no normal start reads
 * them: mk/layout.ld places this file's code and text away from what a
 * start touches (docs/benchmarks.md). Pure, as personality.c. */
#include "personality.h"

#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "fmt.h"

/* ---- usage errors ----------------------------------------------------------- */

/* dumb-init's words, as glibc's getopt_long and dumb-init itself print them:
 * scripts and its test suite compare them byte for byte. tini's errors are
 * capinit's own (tini prints getopt's, which nobody parses). */
bool persona_usage_error(enum personality p, enum usage_error e, const char *arg, char *buf,
			 size_t size)
{
	if (p != PERSONALITY_DUMB_INIT)
		return false;
	/* The text is printed as is (no log line's escaping): argv's bytes
	 * are escaped here, so a control byte in an argument cannot drive
	 * the terminal or forge a line. Printable ones read as dumb-init's. */
	char shown[4 * 60 + 1];
	size_t used = 0;
	(void)escape_text(shown, sizeof shown, &used, arg,
			  strnlen(arg, e == USAGE_UNKNOWN_SHORT ? 1 : 60));
	switch (e) {
	case USAGE_MISSING_COMMAND:
		fmt_snprintf(buf, size,
			     "Usage: dumb-init [option] program [args]\n"
			     "Try dumb-init --help for full usage.\n");
		return true;
	case USAGE_UNKNOWN_LONG:
		fmt_snprintf(buf, size, "dumb-init: unrecognized option '--%s'\n", shown);
		return true;
	case USAGE_UNKNOWN_SHORT:
		fmt_snprintf(buf, size, "dumb-init: invalid option -- '%s'\n", shown);
		return true;
	case USAGE_NEEDS_VALUE:
		if (arg[1] == '-')
			fmt_snprintf(buf, size, "dumb-init: option '%s' requires an argument\n",
				     shown);
		else
			fmt_snprintf(buf, size, "dumb-init: option requires an argument -- '%.1s'\n",
				     shown + 1);
		return true;
	case USAGE_BAD_REWRITE:
		fmt_snprintf(buf, size,
			     "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 "
			     "and %d.\n"
			     "This option can be specified multiple times.\n"
			     "Use --help for full usage.\n",
			     persona_get(p)->rewrite_max);
		return true;
	}
	return false;
}

/* ---- help, version, license ------------------------------------------------ */

static const char capinit_usage[] =
	"Usage: capinit [OPTION]... [--] COMMAND [ARG]...\n"
	"Drop capabilities, optionally switch user, set no_new_privs, then run COMMAND\n"
	"as PID 1: forward signals to it, reap zombies, pass its exit status on.\n"
	"\n"
	"Capability spec (each flag wins over its variable):\n"
	"  --cap-drop=LIST\tCAPINIT_CAP_DROP\tcapabilities to remove; ALL = every one\n"
	"  --cap-add=LIST\tCAPINIT_CAP_ADD\tcapabilities to keep or add back\n"
	"  --user=USER[:GROUP]\tCAPINIT_USER\trun COMMAND as this user (name or id)\n"
	"  --no-new-privs=BOOL\tCAPINIT_NO_NEW_PRIVS\tset no_new_privs (default 1)\n"
	"  --userns=BOOL\tCAPINIT_USERNS\tallow user namespaces (default 0: refused\n"
	"\t\tby a seccomp filter unless the app has\n"
	"\t\tSYS_ADMIN)\n"
	"Supervision:\n"
	"  --grace=SECONDS\tCAPINIT_GRACE\tPID 1: wait for the rest after the child\n"
	"\t\texits (default 5; 0 = leave at once)\n"
	"  -g, --kill-group\tCAPINIT_KILL_GROUP=1\tforward signals to the child's group\n"
	"  -v, --verbose\tCAPINIT_VERBOSE=N\tmore messages (0-3, repeatable flag)\n"
	"  --print\tCAPINIT_PRINT=1\tprint the plan and exit\n"
	"Finding the smallest set (see the README, \"Find what your app needs\"):\n"
	"  --probe\tCAPINIT_PROBE=1\trun COMMAND in trials, print what it needs\n"
	"  --probe-port=PORT\tCAPINIT_PROBE_PORT\tworks = listens on TCP PORT\n"
	"  --probe-check=CMD\tCAPINIT_PROBE_CHECK\tworks = sh -c CMD exits 0 while it runs\n"
	"  --probe-timeout=S\tCAPINIT_PROBE_TIMEOUT per trial (default 10)\n"
	"  --probe-repeat=N\tCAPINIT_PROBE_REPEAT\tre-runs of the result (default 2)\n"
	"  --probe-json\tCAPINIT_PROBE_JSON=1\tthe result as one JSON object\n"
	"  -h, --help\t\tthis text\n"
	"  --version, -V\t\tthe version\n"
	"tini compatibility: -s (subreaper, TINI_SUBREAPER), -p SIGNAL (parent-death\n"
	"  signal), -w (warn on reaping), -e CODE (map exit code to 0), -l (license),\n"
	"  TINI_VERBOSITY, TINI_KILL_PROCESS_GROUP.\n"
	"dumb-init compatibility: -c/--single-child (no setsid), -r/--rewrite S:R\n"
	"  (R=0 drops S), DUMB_INIT_SETSID, DUMB_INIT_DEBUG.\n"
	"LIST: names separated by commas and/or spaces, any case, CAP_ optional.\n"
	"Exit status: the child's, 128+S if killed by signal S, 2 invalid spec or\n"
	"command line, 125 spec cannot be applied or child not started, 126 COMMAND\n"
	"not executable, 127 COMMAND not found.\n";

/* tini's layout: its first line is its version line, and its usage line is
 * the one its users know. The capability flags work under this name too. */
static const char tini_usage[] =
	"Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n"
	"\n"
	"Execute a program under the supervision of a valid init process (capinit,\n"
	"with tini's defaults)\n"
	"\n"
	"Command line options:\n"
	"\n"
	"  --version: Show version and exit.\n"
	"  -h: Show this help message and exit.\n"
	"  -s: Register as a process subreaper.\n"
	"  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".\n"
	"  -v: Generate more verbose output. Repeat up to 3 times.\n"
	"  -w: Print a warning when processes are getting reaped.\n"
	"  -g: Send signals to the child's process group.\n"
	"  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.\n"
	"  -l: Show license and exit.\n"
	"  --cap-drop, --cap-add, --user, --no-new-privs, --userns: as capinit (capinit\n"
	"    --help).\n"
	"\n"
	"Environment variables:\n"
	"\n"
	"  TINI_SUBREAPER: Register as a process subreaper.\n"
	"  TINI_VERBOSITY: Set the verbosity level (default: 1).\n"
	"  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.\n"
	"  CAPINIT_*: as capinit.\n"
	"\n";

/* dumb-init's help, option for option: scripts and its test suite compare
 * it. Only its first line, the version, says what the program is. */
static const char dumb_init_usage[] =
	"Usage: dumb-init [option] command [[arg] ...]\n"
	"\n"
	"dumb-init is a simple process supervisor that forwards signals to children.\n"
	"It is designed to run as PID1 in minimal container environments.\n"
	"\n"
	"Optional arguments:\n"
	"   -c, --single-child\tRun in single-child mode.\n"
	"\tIn this mode, signals are only proxied to the\n"
	"\tdirect child and not any of its descendants.\n"
	"   -r, --rewrite s:r\tRewrite received signal s to new signal r before proxying.\n"
	"\tTo ignore (not proxy) a signal, rewrite it to 0.\n"
	"\tThis option can be specified multiple times.\n"
	"   -v, --verbose\tPrint debugging information to stderr.\n"
	"   -h, --help\tPrint this help message and exit.\n"
	"   -V, --version\tPrint the current version and exit.\n"
	"\n"
	"Full help is available online at https://github.com/Yelp/dumb-init\n";

/* The interface versions capinit implements under each name. */
#define TINI_INTERFACE "0.19.0"
#define DUMB_INIT_INTERFACE "1.2.5"

size_t persona_version(enum personality p, const char *version, const char *commit, char *buf,
		       size_t size)
{
	int n = 0;
	switch (p) {
	case PERSONALITY_CAPINIT:
		/* Docker's daemon runs `INIT --version` when its init-path is
		 * capinit itself, and reads the commit from a " - git.COMMIT"
		 * suffix whatever the first part says (moby's
		 * parseInitVersion); without it, it logs "unknown output
		 * format". The first part stays capinit's own. */
		n = fmt_snprintf(buf, size, "capinit %s - git.%s\n", version, commit);
		break;
	case PERSONALITY_TINI:
		/* Docker's daemon runs `INIT --version` and splits the line at
		 * " - ": the part before must start "tini version ", the part
		 * after must be "git." and a dot-free id. So capinit's own
		 * version goes in the first part and its commit in the second:
		 * the line parses as tini's does, and says what runs. */
		n = fmt_snprintf(buf, size, "tini version " TINI_INTERFACE " (capinit %s) - git.%s\n",
				 version, commit);
		break;
	case PERSONALITY_DUMB_INIT:
		n = fmt_snprintf(buf, size, "dumb-init v" DUMB_INIT_INTERFACE " (capinit %s, commit %s)\n",
				 version, commit);
		break;
	}
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* `text` after buf[0..len): a tab in the help tables stands for the spaces
 * up to the next of the text's columns (`stops`, ascending): the source
 * reads as the table it prints, and the binary holds 0.4 kB less of
 * spaces. Returns the new length, cut to what fits with the NUL. */
static size_t put_text(char *buf, size_t size, size_t len, const char *text, const char *stops)
{
	size_t col = 0;
	for (; *text; text++) {
		char c = *text;
		size_t n = 1;
		if (c == '\t') {
			const char *st = stops;
			while (*st && (size_t)*st <= col)
				st++;
			n = *st ? (size_t)*st - col : 1;
			c = ' ';
		}
		for (; n > 0; n--, col++)
			if (len + 1 < size)
				buf[len++] = c;
		if (c == '\n')
			col = 0;
	}
	buf[len] = '\0';
	return len;
}

size_t persona_help(enum personality p, const char *version, const char *commit, char *buf,
		    size_t size)
{
	size_t len = 0;
	const char *body = capinit_usage, *stops = "\27\55"; /* columns 23 and 45 */
	if (p == PERSONALITY_TINI) {
		/* tini's first line: "tini (VERSION LINE)". */
		char v[160];
		size_t vl = persona_version(p, version, commit, v, sizeof v);
		if (vl > 0)
			v[vl - 1] = '\0'; /* its newline */
		int n = fmt_snprintf(buf, size, "tini (%s)\n", v);
		len = n < 0 ? 0 : (size_t)n;
		body = tini_usage;
	} else if (p == PERSONALITY_DUMB_INIT) {
		len = persona_version(p, version, commit, buf, size);
		body = dumb_init_usage;
		stops = "\30"; /* column 24 */
	}
	if (len >= size)
		return size > 0 ? size - 1 : 0;
	return put_text(buf, size, len, body, stops);
}

const char *persona_license(void)
{
	return "capinit is free software under the MIT license.\n"
	       "Copyright (c) 2026 the capinit authors.\n";
}

