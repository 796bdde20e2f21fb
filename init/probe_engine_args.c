#include "probe_engine_args.h"

#include <linux/capability.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"
#include "fmt.h"

/* ---- the run options --------------------------------------------------- */

/* Both CLIs' flags mostly take a value; these take none (docker run --help
 * of Docker 20.10 and 28, podman run --help of Podman 4.3, and Podman 5's
 * additions). Any flag not here is taken to have a value unless written
 * --flag=value: a boolean unknown to this table then swallows IMAGE, and
 * the image inspect that follows fails naming it, never a wrong trial. */
static const char *const bool_flags[] = {
	"detach", "disable-content-trust", "env-host", "help", "http-proxy", "init",
	"interactive", "no-healthcheck", "no-hosts", "no-hostname", "oom-kill-disable",
	"passwd", "privileged", "publish-all", "quiet", "read-only", "read-only-tmpfs",
	"read-write-tmpfs", "replace", "rm", "rmi", "rootfs", "sig-proxy", "tls-verify",
	"tty", "unsetenv-all", "use-api-socket",
};

/* Short flags by their long name; those without a value first. */
static const struct {
	char letter;
	const char *name;
} shorts[] = {
	{'d', "detach"}, {'i', "interactive"}, {'t', "tty"}, {'P', "publish-all"},
	{'q', "quiet"},  {'a', "attach"},      {'c', "cpu-shares"}, {'e', "env"},
	{'h', "hostname"}, {'l', "label"},     {'m', "memory"}, {'p', "publish"},
	{'u', "user"},   {'v', "volume"},      {'w', "workdir"},
};

static bool is_bool_flag(const char *name)
{
	for (size_t i = 0; i < sizeof bool_flags / sizeof bool_flags[0]; i++)
		if (strcmp(bool_flags[i], name) == 0)
			return true;
	return false;
}

static const char *short_name(char letter)
{
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
		if (shorts[i].letter == letter)
			return shorts[i].name;
	return NULL;
}

/* Go's strconv.ParseBool, which both CLIs use for --flag=value. */
static int go_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* One flag as found: its long name (or "-x" for an unknown letter), its
 * value (NULL for a boolean without =value), and where it was written. */
struct flag {
	const char *name;
	char shortbuf[3];
	const char *value;
	bool has_value;
	size_t word, words;  /* first word and how many it took (1 or 2) */
	bool shared_word;    /* other flags share its first word (a cluster: -ie X=1) */
	const char *spelled; /* as written, for messages */
};

static int refuse(const struct engine_cmd *c, const struct flag *f, char *err, size_t errsize,
		  const char *why)
{
	fmt_snprintf(err, errsize, "%s run %s: %s", c->engine, f->spelled, why);
	return -1;
}

/* `name` (CAPINIT_X) of a -e value "CAPINIT_X=v" or "CAPINIT_X". */
static bool env_is(const char *value, const char *name)
{
	size_t n = strlen(name);
	return strncmp(value, name, n) == 0 && (value[n] == '=' || value[n] == '\0');
}

static int on_env(struct engine_cmd *c, const struct flag *f, char *err, size_t errsize)
{
	const char *v = f->value;
	if (strncmp(v, "CAPINIT_", 8) != 0)
		return 0;
	const char *eq = strchr(v, '=');
	if (strncmp(v, "CAPINIT_PROBE", 13) == 0 && (v[13] == '=' || v[13] == '_' || !v[13]))
		return refuse(c, f, err, errsize,
			      "a CAPINIT_PROBE variable would make every trial a probe of its "
			      "own: give the probe's options to the capinit that runs the engine");
	static const char *const removed[] = {"CAPINIT_CAP_DROP", "CAPINIT_CAP_ADD",
					      "CAPINIT_USERNS"};
	const char **slot[] = {&c->env_drop, &c->env_add, &c->env_userns};
	for (size_t i = 0; i < 3; i++) {
		if (!env_is(v, removed[i]))
			continue;
		/* The trial's own value is injected, so the user's word goes. */
		if (eq == NULL)
			return refuse(c, f, err, errsize,
				      "give the variable's value here (NAME=VALUE): the trials "
				      "replace it with their own");
		if (f->shared_word)
			return refuse(c, f, err, errsize,
				      "write this -e as a word of its own: the trials replace "
				      "the variable with their own");
		for (size_t w = f->word; w < f->word + f->words; w++)
			c->skip[w] = 1;
		*slot[i] = eq + 1;
		c->env_capinit = true;
		return 0;
	}
	c->env_capinit = true;
	/* Without =VALUE the engine copies capinit's own variable, and COMMAND
	 * runs without CAPINIT_* ones: nothing is set. */
	if (eq == NULL)
		return 0;
	if (env_is(v, "CAPINIT_USER"))
		c->env_user = eq + 1;
	else if (env_is(v, "CAPINIT_NO_NEW_PRIVS"))
		c->env_nnp = eq + 1;
	return 0;
}

static void on_network(struct engine_cmd *c, const char *v)
{
	if (strcmp(v, "host") == 0) {
		c->net = ENGINE_NET_HOST;
	} else if (strcmp(v, "none") == 0) {
		c->net = ENGINE_NET_NONE;
	} else if (strncmp(v, "container:", 10) == 0) {
		c->net = ENGINE_NET_CONTAINER;
		c->net_value = v + 10;
	} else if (strncmp(v, "ns:", 3) == 0) {
		c->net = ENGINE_NET_SHARED;
	} else if (c->net != ENGINE_NET_SHARED) {
		c->net = ENGINE_NET_DEFAULT; /* a later --network wins, as in the CLIs */
	}
}

static void on_sysctl(struct engine_cmd *c, const char *v)
{
	static const char port[] = "net.ipv4.ip_unprivileged_port_start=";
	static const char ping[] = "net.ipv4.ping_group_range=";
	if (strncmp(v, port, sizeof port - 1) == 0) {
		c->sysctl_port_given = true;
		const char *num = v + sizeof port - 1;
		unsigned long long n;
		c->sysctl_port = parse_decimal(num, strlen(num), 65536, &n) ? (long)n : -1;
	} else if (strncmp(v, ping, sizeof ping - 1) == 0) {
		c->sysctl_ping_given = true;
	}
}

static void on_security_opt(struct engine_cmd *c, const char *v)
{
	static const char nnp[] = "no-new-privileges";
	size_t n = sizeof nnp - 1;
	if (strncmp(v, nnp, n) != 0)
		return;
	bool on;
	if (v[n] == '\0')
		c->no_new_privs = true;
	else if ((v[n] == ':' || v[n] == '=') && go_bool(v + n + 1, &on) == 0)
		c->no_new_privs = on;
}

static int on_cap(struct engine_cmd *c, const struct flag *f, bool add, char *err, size_t errsize)
{
	char msg[300];
	capmask m;
	bool all;
	/* Podman splits a comma list, Docker takes one name a flag; both
	 * accept "CAP_X", "x" and ALL (alone). */
	if (caplist_parse(f->value, f->spelled, true, &m, &all, msg, sizeof msg) != 0) {
		fmt_snprintf(err, errsize, "%s run %s", c->engine, msg);
		return -1;
	}
	if (add) {
		c->add |= m;
		c->add_all = c->add_all || all;
	} else {
		c->drop |= m;
		c->drop_all = c->drop_all || all;
	}
	c->cap_flags = true;
	for (size_t w = f->word; w < f->word + f->words; w++)
		c->skip[w] = 1;
	return 0;
}

/* A boolean flag: its value, true when written bare. */
static int flag_bool(const struct engine_cmd *c, const struct flag *f, bool *on, char *err,
		     size_t errsize)
{
	*on = true;
	if (f->has_value && go_bool(f->value, on) != 0) {
		fmt_snprintf(err, errsize, "%s run %s: '%s' is not a boolean", c->engine, f->spelled,
			     f->value);
		return -1;
	}
	return 0;
}

static int on_flag(struct engine_cmd *c, const struct flag *f, char *err, size_t errsize)
{
	const char *n = f->name;
	bool on;
	if (is_bool_flag(n)) {
		if (flag_bool(c, f, &on, err, errsize) != 0)
			return -1;
		if (strcmp(n, "rm") == 0) {
			/* Every trial is --rm; the user's own (=false too) goes. */
			if (f->shared_word)
				return refuse(c, f, err, errsize, "write --rm as a word of its own");
			c->skip[f->word] = 1;
			return 0;
		}
		if (!on)
			return 0;
		if (strcmp(n, "detach") == 0)
			return refuse(c, f, err, errsize,
				      "trials run attached, so that capinit sees the container "
				      "end: leave -d/--detach out");
		if (strcmp(n, "tty") == 0)
			return refuse(c, f, err, errsize,
				      "trials run without a terminal (stdin /dev/null, a session "
				      "of their own), so a pseudo-terminal would not behave as "
				      "yours does: leave -t/--tty out");
		if (strcmp(n, "privileged") == 0)
			return refuse(c, f, err, errsize,
				      "a privileged container has every capability and more, "
				      "whatever the trial grants: probe with --cap-add=ALL instead");
		if (strcmp(n, "rmi") == 0)
			return refuse(c, f, err, errsize,
				      "the image would be removed after trial 1: leave --rmi out");
		if (strcmp(n, "rootfs") == 0)
			return refuse(c, f, err, errsize,
				      "trials need an image to inspect: build one from the root "
				      "file system");
		if (strcmp(n, "help") == 0)
			return refuse(c, f, err, errsize, "the trials would only print the help");
		return 0;
	}
	if (!f->has_value) {
		fmt_snprintf(err, errsize, "%s run %s: needs a value", c->engine, f->spelled);
		return -1;
	}
	const char *v = f->value;
	if (strcmp(n, "name") == 0)
		return refuse(c, f, err, errsize,
			      "capinit names every trial's container itself (capinit-probe-PID-N), "
			      "so that it can remove it on every way out: leave --name out");
	if (strcmp(n, "cidfile") == 0)
		return refuse(c, f, err, errsize,
			      "the file trial 1 writes would make trial 2 fail: leave --cidfile out");
	if (strcmp(n, "restart") == 0 && strcmp(v, "no") != 0)
		return refuse(c, f, err, errsize,
			      "a restart policy would restart a failing trial, and trials run with "
			      "--rm: leave --restart out");
	if (strcmp(n, "pull") == 0 && (strcmp(v, "always") == 0 || strcmp(v, "newer") == 0))
		return refuse(c, f, err, errsize,
			      "every trial must run the same image: pull it once, then probe "
			      "without --pull");
	if (strcmp(n, "cap-add") == 0 || strcmp(n, "cap-drop") == 0)
		return on_cap(c, f, n[4] == 'a', err, errsize);
	if (strcmp(n, "env") == 0)
		return on_env(c, f, err, errsize);
	if (strcmp(n, "env-file") == 0)
		c->env_file = true;
	else if (strcmp(n, "user") == 0)
		c->user = v;
	else if (strcmp(n, "entrypoint") == 0) {
		c->entrypoint_given = true;
		c->entrypoint = v;
	} else if (strcmp(n, "network") == 0 || strcmp(n, "net") == 0)
		on_network(c, v);
	else if (strcmp(n, "pod") == 0)
		c->net = ENGINE_NET_SHARED;
	else if (strcmp(n, "sysctl") == 0)
		on_sysctl(c, v);
	else if (strcmp(n, "security-opt") == 0)
		on_security_opt(c, v);
	return 0;
}

/* "--flag", "--flag=value", "--flag value" at argv[*i]. */
static int long_flag(struct engine_cmd *c, char *const *argv, size_t argc, size_t *i, char *err,
		     size_t errsize)
{
	char name[128];
	const char *word = argv[*i];
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) - 2 : strlen(word) - 2;
	if (len >= sizeof name) {
		fmt_snprintf(err, errsize, "%s run: unknown flag '%.40s...'", c->engine, word);
		return -1;
	}
	memcpy(name, word + 2, len);
	name[len] = '\0';
	struct flag f = {.name = name, .word = *i, .words = 1, .spelled = word};
	if (eq) {
		f.value = eq + 1;
		f.has_value = true;
	} else if (!is_bool_flag(name)) {
		if (*i + 1 >= argc) {
			fmt_snprintf(err, errsize, "%s run %s: needs a value (and then IMAGE)",
				     c->engine, word);
			return -1;
		}
		f.value = argv[++*i];
		f.has_value = true;
		f.words = 2;
	}
	return on_flag(c, &f, err, errsize);
}

/* A cluster of short flags at argv[*i]: "-it", "-p80:80", "-e X=1",
 * "-d=false". Letters without a value go first; the first one with a value
 * takes the rest of the word, or the next word. */
static int short_flags(struct engine_cmd *c, char *const *argv, size_t argc, size_t *i,
		       char *err, size_t errsize)
{
	const char *word = argv[*i];
	size_t first = *i;
	for (size_t k = 1; word[k] != '\0'; k++) {
		struct flag f = {.word = first, .words = 1, .spelled = word};
		const char *name = short_name(word[k]);
		f.shortbuf[0] = '-';
		f.shortbuf[1] = word[k];
		f.name = name ? name : f.shortbuf;
		f.shared_word = k > 1 || (word[k + 1] != '\0' && word[k + 1] != '=' &&
					  name != NULL && is_bool_flag(name));
		if (name != NULL && is_bool_flag(name)) {
			if (word[k + 1] == '=') {
				f.value = word + k + 2;
				f.has_value = true;
				if (on_flag(c, &f, err, errsize) != 0)
					return -1;
				return 0;
			}
			if (on_flag(c, &f, err, errsize) != 0)
				return -1;
			continue;
		}
		if (word[k + 1] != '\0') {
			f.value = word + k + 1 + (word[k + 1] == '=');
		} else {
			if (*i + 1 >= argc) {
				fmt_snprintf(err, errsize,
					     "%s run %s: needs a value (and then IMAGE)", c->engine,
					     word);
				return -1;
			}
			f.value = argv[++*i];
			f.words = 2;
		}
		f.has_value = true;
		return on_flag(c, &f, err, errsize);
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int engine_cmd_parse(struct engine_cmd *c, char *const *argv, size_t argc, char *err,
		     size_t errsize)
{
	memset(c, 0, sizeof *c);
	c->argc = argc;
	c->sysctl_port = -1;
	const char *client = argc > 0 ? base_name(argv[0]) : "";
	c->podman = strcmp(client, "podman") == 0;
	c->engine = c->podman ? "podman" : "docker";
	if ((!c->podman && strcmp(client, "docker") != 0) || argc < 2 ||
	    strcmp(argv[1], "run") != 0) {
		fmt_snprintf(err, errsize, "--probe: not an engine's command line (docker run ... "
					   "IMAGE, or podman run ... IMAGE)");
		return -1;
	}
	if (argc > ENGINE_ARGS_MAX) {
		fmt_snprintf(err, errsize, "%s run: more than %d words", c->engine,
			     ENGINE_ARGS_MAX);
		return -1;
	}
	size_t i = 2;
	for (; i < argc; i++) {
		const char *w = argv[i];
		if (strcmp(w, "--") == 0) {
			i++;
			break;
		}
		if (w[0] != '-' || w[1] == '\0')
			break;
		int r = w[1] == '-' ? long_flag(c, argv, argc, &i, err, errsize)
				    : short_flags(c, argv, argc, &i, err, errsize);
		if (r != 0)
			return -1;
	}
	if (i >= argc) {
		fmt_snprintf(err, errsize, "%s run: no IMAGE after the options", c->engine);
		return -1;
	}
	c->image = i;
	return 0;
}

capmask engine_cmd_caps(const struct engine_cmd *c, capmask base, capmask all)
{
	if (c->add_all)
		return all & ~c->drop;
	if (c->drop_all)
		return c->add;
	return (base & ~c->drop) | c->add;
}

/* ---- the image --------------------------------------------------------- */

static void put_utf8(char *out, size_t cap, size_t *n, bool *cut, unsigned cp)
{
	char b[3];
	size_t k;
	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	}
	if (*n + k >= cap) {
		*cut = true;
		return;
	}
	memcpy(out + *n, b, k);
	*n += k;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One JSON string (or null) making up s[0..len) into out (NUL-terminated,
 * `cut` when it did not fit). 0, or -1 when it is not one. A NUL byte
 * (\u0000) ends the value as it would end an environment string. */
static int json_string(const char *s, size_t len, char *out, size_t cap, bool *cut)
{
	size_t n = 0;
	*cut = false;
	out[0] = '\0';
	if (len == 4 && memcmp(s, "null", 4) == 0)
		return 0;
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	bool ended = false;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned cp = (unsigned char)s[i];
		if (cp == '"' || cp < 0x20)
			return -1;
		if (cp == '\\') {
			if (i + 2 >= len)
				return -1;
			char e = s[++i];
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *hit = strchr(from, e);
			if (e == 'u') {
				if (i + 5 >= len)
					return -1;
				cp = 0;
				for (int k = 1; k <= 4; k++) {
					int h = hexval(s[i + k]);
					if (h < 0)
						return -1;
					cp = cp << 4 | (unsigned)h;
				}
				i += 4;
			} else if (hit != NULL && e != '\0') {
				cp = (unsigned char)to[hit - from];
			} else {
				return -1;
			}
			if (cp == 0)
				ended = true;
		}
		if (ended)
			continue;
		if (cp < 0x80 && n + 1 < cap)
			out[n++] = (char)cp;
		else if (cp < 0x80)
			*cut = true;
		else
			put_utf8(out, cap, &n, cut, cp);
	}
	out[n] = '\0';
	return 0;
}

static int too_long(char *err, size_t errsize, char letter, const char *what)
{
	fmt_snprintf(err, errsize, "image inspect: the image's %s is longer than %d bytes (%c)",
		     what, ENGINE_VALUE_MAX - 1, letter);
	return -1;
}

static int image_env(struct engine_image *img, const char *v, bool cut, char *err,
		     size_t errsize)
{
	if (strncmp(v, "CAPINIT_", 8) != 0)
		return 0;
	img->env_capinit = true;
	static const char *const names[] = {"CAPINIT_CAP_DROP=", "CAPINIT_CAP_ADD=",
					    "CAPINIT_USER=", "CAPINIT_NO_NEW_PRIVS="};
	bool *has[] = {&img->has_drop, &img->has_add, &img->has_user, &img->has_nnp};
	char *dst[] = {img->drop, img->add, img->capuser, img->nnp};
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(names[i]);
		if (strncmp(v, names[i], n) != 0)
			continue;
		if (cut)
			return too_long(err, errsize, 'V', names[i]);
		*has[i] = true;
		memcpy(dst[i], v + n, strlen(v + n) + 1);
	}
	return 0;
}

int engine_image_parse(struct engine_image *img, const char *text, size_t len, char *err,
		       size_t errsize)
{
	memset(img, 0, sizeof *img);
	/* Environment values may be long; only CAPINIT_ ones are kept, and
	 * those must fit whole. */
	static char value[4096];
	size_t pos = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (n == 0)
			continue;
		bool cut;
		if (json_string(line + 1, n - 1, value, sizeof value, &cut) != 0) {
			fmt_snprintf(err, errsize, "image inspect: unexpected output line '%.*s'",
				     (int)(n > 60 ? 60 : n), line);
			return -1;
		}
		size_t vlen = strlen(value);
		switch (line[0]) {
		case 'E':
		case 'C': {
			bool *has = line[0] == 'E' ? &img->has_entrypoint : &img->has_cmd;
			char *dst = line[0] == 'E' ? img->entrypoint0 : img->cmd0;
			if (*has)
				break; /* only the first word matters */
			if (cut || vlen >= ENGINE_VALUE_MAX)
				return too_long(err, errsize, line[0], "program path");
			*has = true;
			memcpy(dst, value, vlen + 1);
			break;
		}
		case 'U':
		case 'L': {
			char *dst = line[0] == 'U' ? img->user : img->label_caps;
			if (cut || vlen >= ENGINE_VALUE_MAX)
				return too_long(err, errsize, line[0],
						line[0] == 'U' ? "USER" : "capabilities label");
			memcpy(dst, value, vlen + 1);
			break;
		}
		case 'V':
			if (vlen >= ENGINE_VALUE_MAX)
				cut = true;
			if (image_env(img, value, cut, err, errsize) != 0)
				return -1;
			break;
		default:
			fmt_snprintf(err, errsize, "image inspect: unexpected output line '%.*s'",
				     (int)(n > 60 ? 60 : n), line);
			return -1;
		}
	}
	return 0;
}

/* ---- the plan ---------------------------------------------------------- */

/* The user part of USER[:GROUP] names root. */
static bool names_root(const char *spec)
{
	if (spec == NULL || spec[0] == '\0')
		return true; /* no USER: the engine starts the container as root */
	size_t n = strcspn(spec, ":");
	return (n == 1 && spec[0] == '0') || (n == 4 && strncmp(spec, "root", 4) == 0);
}

static bool same_user(const char *a, const char *b)
{
	if (names_root(a) && names_root(b))
		return true;
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool truthy(const char *v)
{
	return v != NULL &&
	       (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
}

/* A numeric id of USER[:GROUP]'s part, or (id_t)-1 for a name. */
static unsigned id_of(const char *s, size_t len)
{
	unsigned long long v;
	if (len == 4 && strncmp(s, "root", 4) == 0)
		return 0;
	return parse_decimal(s, len, 0xfffffffeu, &v) ? (unsigned)v : (unsigned)-1;
}

static int spec_list(const char *value, const char *var, bool env_from_cmd, bool drop,
		     capmask *mask, bool *all, char *err, size_t errsize)
{
	char source[64], msg[300];
	fmt_snprintf(source, sizeof source, "%s%s", env_from_cmd ? "-e " : "the image's ENV ",
		     var);
	if (caplist_parse(value, source, drop, mask, all, msg, sizeof msg) != 0) {
		fmt_snprintf(err, errsize, "%s", msg);
		return -1;
	}
	return 0;
}

int engine_plan_make(const struct engine_cmd *c, const struct engine_image *img,
		     char *const *argv, capmask all, struct engine_plan *p,
		     struct probe_target *t, char *err, size_t errsize)
{
	memset(p, 0, sizeof *p);
	capmask base = c->podman ? ENGINE_PODMAN_DEFAULT : ENGINE_DOCKER_DEFAULT;
	/* Podman runs an image labelled io.containers.capabilities with only
	 * those (a subset of its default), unless the command line names
	 * capabilities itself. */
	bool label_used = false;
	if (c->podman && !c->cap_flags && img->label_caps[0] != '\0') {
		capmask m;
		bool a;
		char msg[300];
		if (caplist_parse(img->label_caps, "label", false, &m, &a, msg, sizeof msg) == 0 &&
		    (m & ~base) == 0) {
			base = m;
			label_used = true;
		}
	}
	p->engine_default = base;
	p->container = engine_cmd_caps(c, base, all);

	/* capinit reads CAPINIT_* variables only if it runs in the container:
	 * its name as the program the container starts, or a CAPINIT_
	 * variable in the image or on the command line (an entrypoint script
	 * that ends in capinit, or the engine's --init pointed at it). */
	const char *prog;
	if (c->entrypoint_given && c->entrypoint[0] != '\0')
		prog = c->entrypoint;
	else if (!c->entrypoint_given && img->has_entrypoint)
		prog = img->entrypoint0;
	else if (c->image + 1 < c->argc)
		prog = argv[c->image + 1];
	else
		prog = img->has_cmd ? img->cmd0 : "";
	p->capinit = strcmp(base_name(prog), "capinit") == 0 || c->env_capinit || img->env_capinit;

	memset(t, 0, sizeof *t);
	t->engine = c->engine;
	t->image = argv[c->image];
	t->default_candidates = p->container;
	t->capinit_in_image = p->capinit;

	const char *start_user = c->user ? c->user : img->user;
	const char *app_user = start_user;
	if (p->capinit) {
		const char *drop = c->env_drop ? c->env_drop : img->has_drop ? img->drop : NULL;
		const char *add = c->env_add ? c->env_add : img->has_add ? img->add : NULL;
		capmask dm = 0, am = 0;
		bool dall = false, aall;
		if (drop && spec_list(drop, "CAPINIT_CAP_DROP", c->env_drop != NULL, true, &dm,
				      &dall, err, errsize) != 0)
			return -1;
		if (add && spec_list(add, "CAPINIT_CAP_ADD", c->env_add != NULL, false, &am, &aall,
				     err, errsize) != 0)
			return -1;
		t->spec_given = drop != NULL || add != NULL;
		t->spec = t->spec_given ? (dall ? 0 : p->container & ~dm) | am : p->container;
		const char *capuser = c->env_user ? c->env_user : img->has_user ? img->capuser
										  : NULL;
		if (capuser != NULL && capuser[0] != '\0') {
			app_user = capuser;
			t->switch_user = !same_user(capuser, start_user);
		}
		const char *nnp = c->env_nnp ? c->env_nnp : img->has_nnp ? img->nnp : NULL;
		p->nnp = truthy(nnp);
	} else {
		t->spec_given = c->cap_flags || label_used;
		t->spec = p->container;
	}
	p->nnp = p->nnp || c->no_new_privs;
	t->no_new_privs = p->nnp;
	/* capinit's own needs when it switches to CAPINIT_USER: the switch,
	 * shrinking the bounding set to the app's, signalling a process of
	 * another uid. A root app's bounding set is the grant itself. */
	if (t->switch_user)
		p->capinit_extra = CAPMASK_BIT(CAP_SETUID) | CAPMASK_BIT(CAP_SETGID) |
				   CAPMASK_BIT(CAP_SETPCAP) | CAPMASK_BIT(CAP_KILL);

	t->app_root = names_root(app_user);
	const char *spec = app_user ? app_user : "";
	fmt_snprintf(t->user_spec, sizeof t->user_spec, "%s", spec);
	size_t ulen = strcspn(spec, ":");
	t->uid = t->app_root ? 0 : (uid_t)id_of(spec, ulen);
	t->gid = spec[ulen] == ':' ? (gid_t)id_of(spec + ulen + 1, strlen(spec + ulen + 1))
		 : t->app_root    ? 0
				  : (gid_t)-1;

	/* Docker sets ip_unprivileged_port_start=0 and ping_group_range "0
	 * 2147483647" in every container, Podman ping_group_range "0 0";
	 * the kernel (and CRI-O, and Kubernetes itself) "1024" and "1 0". A
	 * set found under the engine's would fail on such a node. They cannot
	 * be set in a network namespace the container shares. */
	bool own_net = c->net == ENGINE_NET_DEFAULT || c->net == ENGINE_NET_NONE;
	p->force_sysctls = own_net;
	return 0;
}

capmask engine_trial_grant(const struct engine_plan *p, capmask set)
{
	return set | (p->capinit ? p->capinit_extra : 0);
}

/* Appends a string made of two parts to buf; NULL when it does not fit. */
static char *make(char *buf, size_t size, size_t *used, const char *a, const char *b)
{
	size_t need = strlen(a) + strlen(b) + 1;
	if (*used + need > size)
		return NULL;
	char *s = buf + *used;
	fmt_snprintf(s, need, "%s%s", a, b);
	*used += need;
	return s;
}

size_t engine_trial_argv(const struct engine_cmd *c, const struct engine_plan *p,
			 char *const *argv, capmask set, bool userns, const char *name,
			 char **out, size_t outmax, char *buf, size_t bufsize)
{
	size_t n = 0, used = 0;
	bool ok = true;
#define PUT(s)                                                                                \
	do {                                                                                  \
		char *s_ = (char *)(s);                                                       \
		if (s_ == NULL || n + 1 >= outmax)                                            \
			ok = false;                                                           \
		else                                                                          \
			out[n++] = s_;                                                        \
	} while (0)
	PUT(argv[0]);
	PUT("run");
	PUT("--rm");
	PUT("--name");
	PUT(name);
	PUT("--cap-drop=ALL");
	capmask grant = engine_trial_grant(p, set);
	for (int bit = 0; bit < 64; bit++) {
		if (!(grant & CAPMASK_BIT(bit)))
			continue;
		char cap[64];
		capname_of_bit(bit, cap, sizeof cap);
		PUT(make(buf, bufsize, &used, "--cap-add=", cap));
	}
	if (p->capinit) {
		char names[1024] = "";
		if (set)
			capmask_format(set, ",", names, sizeof names);
		PUT("-e");
		PUT("CAPINIT_CAP_DROP=ALL");
		PUT("-e");
		PUT(make(buf, bufsize, &used, "CAPINIT_CAP_ADD=", names));
	}
	if (userns || c->env_userns) {
		PUT("-e");
		PUT(make(buf, bufsize, &used, "CAPINIT_USERNS=", userns ? "1" : c->env_userns));
	}
	if (p->force_sysctls && !c->sysctl_port_given) {
		PUT("--sysctl");
		PUT(ENGINE_PORT_SYSCTL);
	}
	if (p->force_sysctls && !c->sysctl_ping_given) {
		PUT("--sysctl");
		PUT(ENGINE_PING_SYSCTL);
	}
	for (size_t i = 2; i < c->argc; i++)
		if (i >= c->image || !c->skip[i])
			PUT(argv[i]);
#undef PUT
	if (!ok)
		return 0;
	out[n] = NULL;
	return n;
}
