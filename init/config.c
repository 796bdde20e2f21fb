#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"
#include "fmt.h"
#include "signame.h"

#define MAX_GRACE_SECONDS 86400u
#define MAX_VERBOSE 3
#define MAX_PROBE_TIMEOUT 86400u
#define MAX_PROBE_REPEAT 100u

__attribute__((format(printf, 3, 4))) static int fail(struct config_error *err, int status,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* clang-analyzer 14 reports ap as uninitialized here on some inlined
	 * paths; va_start is right above. */
	fmt_vsnprintf(err->msg, sizeof err->msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	err->status = status;
	return -1;
}

static int usage_status(const struct config *cfg)
{
	return persona_get(cfg->personality)->usage_status;
}

/* A command-line error: in the personality's own words when it has them,
 * else capinit's message fmt. */
__attribute__((format(printf, 5, 6))) static int usage_fail(struct config_error *err,
							     const struct config *cfg,
							     enum usage_error e, const char *arg,
							     const char *fmt, ...)
{
	err->status = usage_status(cfg);
	if (persona_usage_error(cfg->personality, e, arg, err->msg, sizeof err->msg)) {
		err->raw = true;
		return -1;
	}
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(err->msg, sizeof err->msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return -1;
}

static void set_defaults(struct config *cfg, enum personality p)
{
	const struct persona *pp = persona_get(p);
	memset(cfg, 0, sizeof *cfg);
	cfg->personality = p;
	cfg->action = ACTION_RUN;
	cfg->no_new_privs = true;
	cfg->grace_seconds = pp->grace_seconds;
	cfg->setsid = pp->setsid;
	cfg->suspend_on_tty_signals = pp->suspend_on_tty_signals;
	for (int i = 0; i < SIGNAL_SLOTS; i++)
		cfg->rewrite[i] = -1;
	cfg->probe_timeout_ms = 10000;
	cfg->probe_repeat = 2;
}

static int parse_bool(const char *value, const char *source, bool *out,
		      struct config_error *err)
{
	static const char *const yes[] = {"1", "true", "yes"};
	static const char *const no[] = {"0", "false", "no"};
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(err, 2, "%s: '%s' is not a boolean (use 1 0 true false yes no)", source,
		    value);
}

static int parse_bounded(const char *value, const char *source, unsigned long long max,
			 unsigned long long *out, struct config_error *err)
{
	if (!parse_decimal(value, strlen(value), max, out))
		return fail(err, 2, "%s: '%s' is not a whole number from 0 to %llu", source,
			    value, max);
	return 0;
}

/* One side of USER[:GROUP]. */
static int parse_id(const char *s, size_t len, const char *source, const char *what,
		    struct id_spec *out, struct config_error *err)
{
	int shown = (int)(len > 80 ? 80 : len);
	if (len == 0)
		return fail(err, 2, "%s: empty %s", source, what);
	unsigned long long v;
	/* uid_t is 32 bits and (uid_t)-1 means "unchanged" to setresuid. */
	if (parse_decimal(s, len, 4294967294ull, &v)) {
		out->set = true;
		out->numeric = true;
		out->id = (uint32_t)v;
		return 0;
	}
	bool digits = true;
	for (size_t i = 0; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') && !(i == 0 && (s[i] == '-' || s[i] == '+')))
			digits = false;
	if (digits)
		return fail(err, 2, "%s: %s id '%.*s' is negative or out of range (0 to 4294967294)",
			    source, what, shown, s);
	if (s[0] == '-' || len >= ID_NAME_MAX)
		return fail(err, 2, "%s: '%.*s' is not a valid %s name", source, shown, s, what);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
			  (c == '$' && i == len - 1);
		if (!ok)
			return fail(err, 2, "%s: '%.*s' is not a valid %s name", source, shown, s,
				    what);
	}
	out->set = true;
	out->numeric = false;
	memcpy(out->name, s, len);
	out->name[len] = '\0';
	return 0;
}

static int parse_user(struct config *cfg, const char *value, const char *source,
		      struct config_error *err)
{
	memset(&cfg->user, 0, sizeof cfg->user);
	memset(&cfg->group, 0, sizeof cfg->group);
	cfg->user_source = source;
	const char *colon = strchr(value, ':');
	size_t ulen = colon ? (size_t)(colon - value) : strlen(value);
	if (ulen == 0)
		return fail(err, 2, "%s: empty user in '%s' (USER[:GROUP])", source, value);
	if (colon && colon[1] == '\0')
		return fail(err, 2, "%s: empty group after ':' in '%s'", source, value);
	if (parse_id(value, ulen, source, "user", &cfg->user, err) != 0)
		return -1;
	if (colon)
		return parse_id(colon + 1, strlen(colon + 1), source, "group", &cfg->group,
				err);
	return 0;
}

static int set_caplist(struct config *cfg, bool drop, const char *value, const char *source,
		       struct config_error *err)
{
	char msg[400];
	capmask mask;
	bool all;
	if (caplist_parse(value, source, drop, &mask, &all, msg, sizeof msg) != 0)
		return fail(err, 2, "%s", msg);
	if (drop) {
		cfg->drop_set = true;
		cfg->drop = mask;
		cfg->drop_all = all;
		cfg->drop_source = source;
	} else {
		cfg->add_set = true;
		cfg->add = mask;
		cfg->add_source = source;
	}
	return 0;
}

static int set_verbose(struct config *cfg, const char *value, const char *source,
		       struct config_error *err)
{
	unsigned long long v;
	if (parse_bounded(value, source, MAX_VERBOSE, &v, err) != 0)
		return -1;
	cfg->verbose = (int)v;
	return 0;
}

static int set_grace(struct config *cfg, const char *value, const char *source,
		     struct config_error *err)
{
	unsigned long long v;
	if (parse_bounded(value, source, MAX_GRACE_SECONDS, &v, err) != 0)
		return -1;
	cfg->grace_seconds = (unsigned)v;
	return 0;
}

/* --probe-timeout: seconds with up to three decimals ("0.5", "10"), as
 * milliseconds, from 1 ms to MAX_PROBE_TIMEOUT seconds. */
static bool parse_seconds_ms(const char *value, unsigned *ms)
{
	const char *dot = strchr(value, '.');
	size_t ilen = dot ? (size_t)(dot - value) : strlen(value);
	unsigned long long whole = 0, frac = 0;
	if (ilen > 0 && !parse_decimal(value, ilen, MAX_PROBE_TIMEOUT, &whole))
		return false;
	if (dot) {
		size_t flen = strlen(dot + 1);
		if (flen == 0 || flen > 3 || !parse_decimal(dot + 1, flen, 999, &frac))
			return false;
		for (size_t i = flen; i < 3; i++)
			frac *= 10;
	} else if (ilen == 0) {
		return false;
	}
	unsigned long long total = whole * 1000 + frac;
	if (total == 0 || total > (unsigned long long)MAX_PROBE_TIMEOUT * 1000)
		return false;
	*ms = (unsigned)total;
	return true;
}

/* --probe-port: PORT, PORT/tcp or PORT/udp. */
static int set_probe_port(struct config *cfg, const char *value, const char *source,
			  struct config_error *err)
{
	const char *slash = strchr(value, '/');
	size_t len = slash ? (size_t)(slash - value) : strlen(value);
	unsigned long long v;
	bool udp = false;
	if (slash && strcasecmp(slash + 1, "udp") == 0)
		udp = true;
	else if (slash && strcasecmp(slash + 1, "tcp") != 0)
		return fail(err, 2, "%s: '%s' is not PORT, PORT/tcp or PORT/udp", source, value);
	if (!parse_decimal(value, len, 65535, &v) || v == 0)
		return fail(err, 2, "%s: '%s' is not a port from 1 to 65535 (PORT, PORT/tcp or "
				    "PORT/udp)",
			    source, value);
	cfg->probe_port = (unsigned)v;
	cfg->probe_udp = udp;
	return 0;
}

/* A capability LIST for a probe setting; `all_allowed`: ALL may be given. */
static int set_probe_list(const char *value, const char *source, bool all_allowed, capmask *mask,
			  bool *all, struct config_error *err)
{
	char msg[400];
	bool is_all = false;
	if (caplist_parse(value, source, all_allowed, mask, &is_all, msg, sizeof msg) != 0)
		return fail(err, 2, "%s", msg);
	if (all)
		*all = is_all;
	return 0;
}

/* Only a variable can turn a production start into a probe without the
 * command line saying so, and then it is announced; a flag (parsed after
 * the environment) makes it the command line's again. */
static void note_probe_source(struct config *cfg, bool on, const char *source)
{
	bool variable = strncmp(source, "CAPINIT_", 8) == 0;
	if (on)
		cfg->probe_from_env = variable;
	else if (variable)
		cfg->probe_from_env = false;
}

/* --probe-verify, --probe-verify=SET, CAPINIT_PROBE_VERIFY=1|0|SET: a
 * boolean word switches it (the production spec is verified), anything
 * else is the SET (a capability list never reads as a boolean: numbers
 * are not names). `bare`: the flag without '='. */
static int set_probe_verify(struct config *cfg, const char *value, bool bare, const char *source,
			    struct config_error *err)
{
	static const char *const words[] = {"1", "true", "yes", "0", "false", "no"};
	cfg->probe_verify = true;
	cfg->probe_verify_given = false;
	if (!bare) {
		size_t i = 0;
		while (i < sizeof words / sizeof words[0] && strcasecmp(value, words[i]) != 0)
			i++;
		if (i < 3) {
			/* on, with the production spec */
		} else if (i < sizeof words / sizeof words[0]) {
			cfg->probe_verify = false;
		} else {
			if (set_probe_list(value, source, false, &cfg->probe_verify_set, NULL, err) !=
			    0)
				return -1;
			cfg->probe_verify_given = true;
		}
	}
	note_probe_source(cfg, cfg->probe_verify, source);
	return 0;
}

/* The option ids; the --probe settings last, in this order (set_probe). */
enum opt {
	OPT_CAP_DROP, OPT_CAP_ADD, OPT_USER, OPT_NO_NEW_PRIVS, OPT_GRACE, OPT_PRINT,
	OPT_HELP, OPT_VERSION, OPT_VERBOSE, OPT_KILL_GROUP, OPT_SUBREAPER, OPT_PDEATH,
	OPT_WARN_REAP, OPT_EXIT_ZERO, OPT_LICENSE, OPT_SINGLE_CHILD, OPT_REWRITE, OPT_USERNS,
	OPT_PROBE, OPT_PROBE_JSON, OPT_PROBE_VERIFY, OPT_PROBE_CANDIDATES, OPT_PROBE_CHECK,
	OPT_PROBE_PORT, OPT_PROBE_TIMEOUT, OPT_PROBE_REPEAT,
};

/* The --probe settings; `source` is the variable or flag for messages,
 * `bare` a flag given without a value. */
static int set_probe(struct config *cfg, enum opt which, const char *value, bool bare,
		     const char *source, struct config_error *err)
{
	unsigned long long v;
	switch (which) {
	case OPT_PROBE:
		if (parse_bool(value, source, &cfg->probe, err) != 0)
			return -1;
		note_probe_source(cfg, cfg->probe, source);
		return 0;
	case OPT_PROBE_JSON:
		return parse_bool(value, source, &cfg->probe_json, err);
	case OPT_PROBE_VERIFY:
		return set_probe_verify(cfg, value, bare, source, err);
	case OPT_PROBE_CANDIDATES:
		if (set_probe_list(value, source, true, &cfg->probe_candidates,
				   &cfg->probe_candidates_all, err) != 0)
			return -1;
		cfg->probe_candidates_given = true;
		return 0;
	case OPT_PROBE_CHECK:
		if (value[0] == '\0')
			return fail(err, 2, "%s: empty command", source);
		cfg->probe_check = value;
		return 0;
	case OPT_PROBE_PORT:
		return set_probe_port(cfg, value, source, err);
	case OPT_PROBE_TIMEOUT:
		if (!parse_seconds_ms(value, &cfg->probe_timeout_ms))
			return fail(err, 2, "%s: '%s' is not a number of seconds from 0.001 to %u "
					    "(at most three decimals)",
				    source, value, MAX_PROBE_TIMEOUT);
		return 0;
	default: /* OPT_PROBE_REPEAT */
		if (!parse_decimal(value, strlen(value), MAX_PROBE_REPEAT, &v) || v == 0)
			return fail(err, 2, "%s: '%s' is not a whole number from 1 to %u", source,
				    value, MAX_PROBE_REPEAT);
		cfg->probe_repeat = (unsigned)v;
		return 0;
	}
}

/* ---- environment ---------------------------------------------------------- */

/* A CAPINIT_ variable: the long flag of the same name (below). */
static int parse_capinit_var(struct config *cfg, const char *name, const char *value,
			     struct config_error *err);

/* tini's and dumb-init's variables, read in every personality with the
 * leniency of the originals (tini: set at all means on). */
static void parse_compat_var(struct config *cfg, const char *name, const char *value)
{
	if (strcmp(name, "TINI_SUBREAPER") == 0) {
		cfg->subreaper = true;
	} else if (strcmp(name, "TINI_KILL_PROCESS_GROUP") == 0) {
		cfg->kill_group = true;
	} else if (strcmp(name, "TINI_VERBOSITY") == 0) {
		/* tini's scale: 1 warnings (its default), 2 info, 3 debug, 4 trace. */
		unsigned long long v;
		if (parse_decimal(value, strlen(value), 1000, &v))
			cfg->verbose = v > MAX_VERBOSE + 1 ? MAX_VERBOSE : (int)v - 1;
	} else if (strcmp(name, "DUMB_INIT_SETSID") == 0) {
		if (strcmp(value, "0") == 0)
			cfg->setsid = false;
	} else if (strcmp(name, "DUMB_INIT_DEBUG") == 0) {
		int debug = persona_get(cfg->personality)->debug_level;
		if (strcmp(value, "1") == 0 && cfg->verbose < debug)
			cfg->verbose = debug;
	}
}

/* Length of an entry's name: up to '=', or the whole entry without one. */
static size_t name_length(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* A name that starts with CAPINIT_ in another case (capinit_cap_drop,
 * Capinit_User, CAPINIT_cap_drop) is a typo that would pass the variable
 * to the app and leave its capabilities in place, the very mistake the
 * unknown-variable rule exists to catch: an error naming the spelling. */
static int check_spelling(const char *entry, size_t len, struct config_error *err)
{
	char upper[64];
	size_t n = 0;
	bool lower = false;
	for (size_t i = 0; i < len; i++) {
		char c = entry[i];
		if (c >= 'a' && c <= 'z') {
			lower = true;
			c = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c - 'a'];
		}
		if (n < sizeof upper - 1)
			upper[n++] = c;
	}
	if (!lower)
		return 0;
	upper[n] = '\0';
	return fail(err, 2, "%.*s: capinit's variables are spelled in capitals: use %s%s",
		    (int)n, entry, upper, n < len ? "..." : "");
}

/* execve() accepts an entry without '=' and the same name twice; getenv()
 * implementations then disagree about what is set, so for capinit's own
 * variables neither is allowed: which value wins must never be a guess. */
static int check_own_entries(char **envp, struct config_error *err)
{
	for (char **e = envp; e && *e; e++) {
		if (strncasecmp(*e, "CAPINIT_", 8) != 0)
			continue;
		size_t len = name_length(*e);
		if (check_spelling(*e, len, err) != 0)
			return -1;
		int shown = (int)(len > 60 ? 60 : len);
		if ((*e)[len] != '=')
			return fail(err, 2, "%.*s: an environment entry without '=' (give it a value)",
				    shown, *e);
		for (char **later = e + 1; *later; later++)
			if (name_length(*later) == len && strncmp(*later, *e, len) == 0)
				return fail(err, 2, "%.*s: set twice in the environment; which value "
						    "applies would be a guess",
					    shown, *e);
	}
	return 0;
}

static int parse_environment(struct config *cfg, char **envp, struct config_error *err)
{
	if (check_own_entries(envp, err) != 0)
		return -1;
	for (char **e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL)
			continue;
		char name[64];
		size_t len = (size_t)(eq - *e);
		bool ours = strncmp(*e, "CAPINIT_", 8) == 0;
		if (len >= sizeof name) {
			if (ours)
				return fail(err, 2, "%.60s...: unknown variable", *e);
			continue;
		}
		memcpy(name, *e, len);
		name[len] = '\0';
		if (ours) {
			if (parse_capinit_var(cfg, name, eq + 1, err) != 0)
				return -1;
		} else {
			parse_compat_var(cfg, name, eq + 1);
		}
	}
	return 0;
}

/* ---- command line --------------------------------------------------------- */

struct option_def {
	char short_flag[3]; /* "-v", or "" */
	/* 0 (false): none; 1 (true): required; OPTIONAL_ARG: only as
	 * "--flag=VALUE", never the next word (--probe-verify). */
	unsigned char has_arg;
	/* Also a variable: CAPINIT_ and the long flag's name in capitals,
	 * '-' as '_' (--cap-drop: CAPINIT_CAP_DROP). */
	bool env;
	unsigned char id;       /* enum opt */
	const char *long_flag;  /* "--verbose", or NULL */
};

#define OPTIONAL_ARG 2

/* capinit's own flags first, then tini's and dumb-init's; none collide. The
 * spellings double as the names used in messages. The short flag is held
 * in the entry, not pointed to: 16 bytes an entry instead of 24. */
static const struct option_def options[] = {
	{"", true, true, OPT_CAP_DROP, "--cap-drop"},
	{"", true, true, OPT_CAP_ADD, "--cap-add"},
	{"", true, true, OPT_USER, "--user"},
	{"", true, true, OPT_NO_NEW_PRIVS, "--no-new-privs"},
	{"", true, true, OPT_GRACE, "--grace"},
	{"-g", false, true, OPT_KILL_GROUP, "--kill-group"},
	{"-v", false, true, OPT_VERBOSE, "--verbose"},
	{"", false, true, OPT_PRINT, "--print"},
	{"", true, true, OPT_USERNS, "--userns"},
	{"", false, true, OPT_PROBE, "--probe"},
	{"", true, true, OPT_PROBE_PORT, "--probe-port"},
	{"", true, true, OPT_PROBE_CHECK, "--probe-check"},
	{"", true, true, OPT_PROBE_TIMEOUT, "--probe-timeout"},
	{"", true, true, OPT_PROBE_REPEAT, "--probe-repeat"},
	{"", false, true, OPT_PROBE_JSON, "--probe-json"},
	{"", OPTIONAL_ARG, true, OPT_PROBE_VERIFY, "--probe-verify"},
	{"", true, true, OPT_PROBE_CANDIDATES, "--probe-candidates"},
	{"-h", false, false, OPT_HELP, "--help"},
	{"", false, false, OPT_VERSION, "--version"},
	{"-s", false, false, OPT_SUBREAPER, NULL},     /* tini */
	{"-p", true, false, OPT_PDEATH, NULL},         /* tini */
	{"-w", false, false, OPT_WARN_REAP, NULL},     /* tini */
	{"-e", true, false, OPT_EXIT_ZERO, NULL},      /* tini */
	{"-l", false, false, OPT_LICENSE, NULL},       /* tini */
	{"-V", false, false, OPT_VERSION, NULL},       /* dumb-init */
	{"-c", false, false, OPT_SINGLE_CHILD, "--single-child"}, /* dumb-init */
	{"-r", true, false, OPT_REWRITE, "--rewrite"}, /* dumb-init */
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

static const struct option_def *find_short(char c)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		if (options[i].short_flag[1] == c)
			return &options[i];
	return NULL;
}

static const struct option_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		if (options[i].long_flag && strlen(options[i].long_flag + 2) == len &&
		    strncmp(options[i].long_flag + 2, name, len) == 0)
			return &options[i];
	return NULL;
}

/* dumb-init -r S:R, both numbers; R = 0 drops S. */
static int parse_rewrite(struct config *cfg, const char *value, const char *source,
			 struct config_error *err)
{
	const char *colon = strchr(value, ':');
	unsigned long long from, to;
	/* dumb-init itself takes 1-31 only; capinit's own name all 64. */
	unsigned long long max = (unsigned long long)persona_get(cfg->personality)->rewrite_max;
	if (colon == NULL || !parse_decimal(value, (size_t)(colon - value), max, &from) ||
	    from == 0 || !parse_decimal(colon + 1, strlen(colon + 1), max, &to)) {
		return usage_fail(err, cfg, USAGE_BAD_REWRITE, value,
				  "%s: '%s' is not SIGNAL:REPLACEMENT (numbers 1-%llu, replacement 0 "
				  "drops the signal)",
				  source, value, max);
	}
	cfg->rewrite[from] = (int)to;
	return 0;
}

static int apply_option(struct config *cfg, const struct option_def *def, const char *value,
			const char *source, struct config_error *err)
{
	unsigned long long v;
	switch ((enum opt)def->id) {
	case OPT_CAP_DROP:
		return set_caplist(cfg, true, value, source, err);
	case OPT_CAP_ADD:
		return set_caplist(cfg, false, value, source, err);
	case OPT_USER:
		return parse_user(cfg, value, source, err);
	case OPT_NO_NEW_PRIVS:
		return parse_bool(value, source, &cfg->no_new_privs, err);
	case OPT_GRACE:
		return set_grace(cfg, value, source, err);
	case OPT_PRINT:
		cfg->print = true;
		return 0;
	case OPT_HELP:
		cfg->action = ACTION_HELP;
		return 0;
	case OPT_VERSION:
		cfg->action = ACTION_VERSION;
		return 0;
	case OPT_LICENSE:
		cfg->action = ACTION_LICENSE;
		return 0;
	case OPT_VERBOSE:
		/* dumb-init has one debug level, which -v turns on. */
		if (persona_get(cfg->personality)->verbose_is_debug)
			cfg->verbose = persona_get(cfg->personality)->debug_level;
		else if (cfg->verbose < MAX_VERBOSE)
			cfg->verbose++;
		return 0;
	case OPT_KILL_GROUP:
		cfg->kill_group = true;
		return 0;
	case OPT_SUBREAPER:
		cfg->subreaper = true;
		return 0;
	case OPT_WARN_REAP:
		cfg->warn_on_reap = true;
		return 0;
	case OPT_SINGLE_CHILD:
		cfg->setsid = false;
		return 0;
	case OPT_PDEATH: {
		int sig = signal_from_name(value);
		if (sig <= 0)
			return fail(err, usage_status(cfg), "%s: '%s' is not a signal name", source,
				    value);
		cfg->pdeath_signal = sig;
		return 0;
	}
	case OPT_EXIT_ZERO:
		if (!parse_decimal(value, strlen(value), 255, &v))
			return fail(err, usage_status(cfg),
				    "%s: '%s' is not an exit code from 0 to 255", source, value);
		cfg->exit_zero[v / 8] |= (uint8_t)(1u << (v % 8));
		return 0;
	case OPT_REWRITE:
		return parse_rewrite(cfg, value, source, err);
	case OPT_USERNS:
		return parse_bool(value, source, &cfg->userns, err);
	default:
		/* The --probe settings. "--probe" and "--probe-json" are
		 * switches, "--probe-verify" takes an optional "=SET"; the rest
		 * take a value. */
		return set_probe(cfg, (enum opt)def->id, def->has_arg ? value : "1", false, source,
				 err);
	}
	return 0;
}

/* CAPINIT_X_Y as the flag --x-y, with the values a variable takes: the
 * switches read a boolean (CAPINIT_PRINT=1), CAPINIT_VERBOSE a level, and
 * CAPINIT_KILL_GROUP only adds (the environment's order is arbitrary: any
 * source asking for group signals, this, TINI_KILL_PROCESS_GROUP or -g,
 * wins). A typo must not silently leave capabilities in place: anything
 * else is an error listing the variables. */
static int parse_capinit_var(struct config *cfg, const char *name, const char *value,
			     struct config_error *err)
{
	char flag[40];
	size_t n = 0;
	const struct option_def *def = NULL;
	for (const char *c = name + 8; *c && n < sizeof flag - 1; c++)
		flag[n++] = (char)(*c == '_' ? '-' : *c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : '?');
	if (name[8 + n] == '\0' && n > 0)
		def = find_long(flag, n);
	bool b = false;
	if (def == NULL || !def->env) {
		size_t used = (size_t)fmt_snprintf(err->msg, sizeof err->msg,
						   "%s: unknown variable (known:", name);
		for (size_t i = 0; i < OPTION_COUNT && used < sizeof err->msg; i++) {
			if (!options[i].env)
				continue;
			used += (size_t)fmt_snprintf(err->msg + used, sizeof err->msg - used,
						     " CAPINIT_");
			for (const char *c = options[i].long_flag + 2;
			     *c && used + 2 < sizeof err->msg; c++)
				err->msg[used++] = (char)(*c == '-' ? '_' : *c - 'a' + 'A');
			err->msg[used] = '\0';
		}
		if (used + 2 < sizeof err->msg)
			memcpy(err->msg + used, ")", 2);
		err->status = 2;
		return -1;
	}
	switch ((enum opt)def->id) {
	case OPT_PRINT:
		return parse_bool(value, name, &cfg->print, err);
	case OPT_VERBOSE:
		return set_verbose(cfg, value, name, err);
	case OPT_KILL_GROUP:
		if (parse_bool(value, name, &b, err) != 0)
			return -1;
		cfg->kill_group = cfg->kill_group || b;
		return 0;
	case OPT_PROBE ... OPT_PROBE_REPEAT:
		/* CAPINIT_PROBE=0 and CAPINIT_PROBE_JSON=0 as well. */
		return set_probe(cfg, (enum opt)def->id, value, false, name, err);
	case OPT_CAP_DROP:
	case OPT_CAP_ADD:
	case OPT_USER: {
		/* Kept as the setting's source: a copy that lives as long as cfg
		 * (name is the caller's buffer). */
		char *kept = cfg->var_names[def->id - OPT_CAP_DROP];
		memcpy(kept, name, strlen(name) + 1);
		return apply_option(cfg, def, value, kept, err);
	}
	default:
		return apply_option(cfg, def, value, name, err);
	}
}

/* "--name=value" or "--name value". Returns how many extra argv words were
 * used (0 or 1), or -1. */
static int parse_long(struct config *cfg, int argc, char **argv, int i,
		      struct config_error *err)
{
	const char *arg = argv[i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct option_def *def = find_long(arg, len);
	if (def == NULL) {
		char name[64];
		fmt_snprintf(name, sizeof name, "%.*s", (int)(len > 60 ? 60 : len), arg);
		return usage_fail(err, cfg, USAGE_UNKNOWN_LONG, name,
				  "unknown option '--%s' (see --help)", name);
	}
	const char *source = def->long_flag;
	if (def->has_arg == OPTIONAL_ARG && eq == NULL)
		return set_probe(cfg, OPT_PROBE_VERIFY, "", true, source, err) ? -1 : 0;
	if (def->has_arg == OPTIONAL_ARG)
		return apply_option(cfg, def, eq + 1, source, err) ? -1 : 0;
	if (!def->has_arg) {
		if (eq)
			return fail(err, usage_status(cfg), "%s takes no value", source);
		return apply_option(cfg, def, "", source, err) ? -1 : 0;
	}
	if (eq)
		return apply_option(cfg, def, eq + 1, source, err) ? -1 : 0;
	if (i + 1 >= argc)
		return usage_fail(err, cfg, USAGE_NEEDS_VALUE, source, "%s needs a value", source);
	return apply_option(cfg, def, argv[i + 1], source, err) ? -1 : 1;
}

/* "-vg", "-e 143", "-e143". Same return convention as parse_long. */
static int parse_short(struct config *cfg, int argc, char **argv, int i,
		       struct config_error *err)
{
	for (const char *p = argv[i] + 1; *p; p++) {
		const struct option_def *def = find_short(*p);
		if (def == NULL) {
			char letter[2] = {*p, '\0'};
			return usage_fail(err, cfg, USAGE_UNKNOWN_SHORT, letter,
					  "unknown option '-%s' (see --help)", letter);
		}
		const char *source = def->short_flag;
		if (!def->has_arg) {
			if (apply_option(cfg, def, "", source, err))
				return -1;
			continue;
		}
		if (p[1] != '\0')
			return apply_option(cfg, def, p + 1, source, err) ? -1 : 0;
		if (i + 1 >= argc)
			return usage_fail(err, cfg, USAGE_NEEDS_VALUE, source, "%s needs a value",
					  source);
		return apply_option(cfg, def, argv[i + 1], source, err) ? -1 : 1;
	}
	return 0;
}

static int parse_arguments(struct config *cfg, int argc, char **argv,
			   struct config_error *err)
{
	int i = 1;
	while (i < argc) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break; /* the first non-option word starts COMMAND */
		int used = arg[1] == '-' ? parse_long(cfg, argc, argv, i, err)
					 : parse_short(cfg, argc, argv, i, err);
		if (used < 0)
			return -1;
		i += 1 + used;
	}
	cfg->command = i < argc ? argv + i : NULL;
	return 0;
}

/* ---- whole-config checks -------------------------------------------------- */

static int check_consistency(const struct config *cfg, struct config_error *err)
{
	capmask both = cfg->add & cfg->drop;
	if (both != 0) {
		/* Docker and Kubernetes resolve this conflict in opposite ways, so
		 * neither reading can be assumed. */
		char names[200];
		capmask_format(both, ",", names, sizeof names);
		return fail(err, 2, "%s and %s both name %s: a capability cannot be both added "
				    "and dropped",
			    cfg->add_source, cfg->drop_source, names);
	}
	if (cfg->group.set && !cfg->user.set)
		return fail(err, 2, "%s: a group needs a user", cfg->user_source);
	return 0;
}

int config_parse(struct config *cfg, int argc, char **argv, char **envp,
		 struct config_error *err)
{
	set_defaults(cfg, personality_from_argv0(argc > 0 ? argv[0] : NULL));
	err->status = 0;
	err->raw = false;
	err->msg[0] = '\0';

	if (parse_environment(cfg, envp, err) != 0)
		return -1;
	if (parse_arguments(cfg, argc, argv, err) != 0)
		return -1;
	if (check_consistency(cfg, err) != 0)
		return -1;

	/* --probe-verify is a mode of the probe. */
	if (cfg->probe_verify)
		cfg->probe = true;

	/* An explicit request (-g and its variables) or dumb-init's setsid mode. */
	cfg->kill_group = cfg->kill_group || cfg->setsid;
	if (cfg->setsid) {
		/* dumb-init's setsid mode: job-control stops become SIGSTOP for
		 * the group (the child has no terminal to stop it), unless the
		 * user rewrote them. */
		static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
		for (size_t k = 0; k < 3; k++)
			if (cfg->rewrite[stops[k]] == -1)
				cfg->rewrite[stops[k]] = SIGSTOP;
	}

	if (cfg->action == ACTION_RUN && !cfg->print && cfg->command == NULL)
		return usage_fail(err, cfg, USAGE_MISSING_COMMAND, "",
				  "missing COMMAND (usage: %s [OPTION]... [--] COMMAND [ARG]...; "
				  "see --help)",
				  persona_get(cfg->personality)->name);
	return 0;
}

size_t config_child_env(char **envp, const char *home, char **out)
{
	size_t n = 0;
	for (char **e = envp; e && *e; e++) {
		if (strncmp(*e, "CAPINIT_", 8) == 0)
			continue; /* configuration, not application input */
		if (home && strncmp(*e, "HOME=", 5) == 0)
			continue;
		out[n++] = *e;
	}
	if (home)
		out[n++] = (char *)home;
	out[n] = NULL;
	return n;
}

bool config_exit_maps_to_zero(const struct config *cfg, int status)
{
	if (status < 0 || status > 255)
		return false;
	return (cfg->exit_zero[status / 8] >> (status % 8)) & 1u;
}
