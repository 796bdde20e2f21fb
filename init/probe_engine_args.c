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
static const char bool_flags[] =
	"detach disable-content-trust env-host help http-proxy init interactive no-healthcheck "
	"no-hosts no-hostname oom-kill-disable passwd privileged publish-all quiet read-only "
	"read-only-tmpfs read-write-tmpfs replace rm rmi rootfs sig-proxy tls-verify tty "
	"unsetenv-all use-api-socket";

/* Which of the space-separated `list` `word` (its first len bytes) is,
 * counting from 0; -1 for none. */
static int word_index(const char *list, const char *word, size_t len)
{
	int i = 0;
	for (const char *p = list; len > 0 && *p != '\0'; i++) {
		size_t n = strcspn(p, " ");
		if (n == len && strncmp(p, word, len) == 0)
			return i;
		p += n + (p[n] == ' ');
	}
	return -1;
}

static bool in_words(const char *list, const char *word, size_t len)
{
	return word_index(list, word, len) >= 0;
}

static bool is_bool_flag(const char *name)
{
	return in_words(bool_flags, name, strlen(name));
}

/* The short flags that matter here by their long name (the first five
 * take no value); any other letter takes one. */
static const char short_letters[] = "ditPqeu";
static const char *const short_names[] = {"detach", "interactive", "tty", "publish-all",
					  "quiet", "env", "user"};

static const char *short_name(char letter)
{
	const char *hit = letter ? strchr(short_letters, letter) : NULL;
	return hit ? short_names[hit - short_letters] : NULL;
}

/* Go's strconv.ParseBool, which both CLIs use for --flag=value. */
static int go_bool(const char *v, bool *out)
{
	size_t n = strlen(v);
	*out = in_words("1 t T true TRUE True", v, n);
	return *out || in_words("0 f F false FALSE False", v, n) ? 0 : -1;
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
	fmt_snprintf(err, errsize, "%s run %s: refused for --probe: %s", c->engine, f->spelled, why);
	return -1;
}

/* The variable of a -e value "NAME=v" (its name n bytes long) is `name`. */
static bool env_is(const char *value, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(value, name, n) == 0;
}

/* v: the flag's value (f->value, never NULL for a flag that takes one). */
static int on_env(struct engine_cmd *c, const struct flag *f, const char *v, char *err,
		  size_t errsize)
{
	if (strncmp(v, "CAPINIT_", 8) != 0)
		return 0;
	c->env_capinit = true;
	const char *eq = strchr(v, '=');
	size_t n = eq ? (size_t)(eq - v) : strlen(v);
	if (strncmp(v, "CAPINIT_PROBE", 13) == 0)
		return refuse(c, f, err, errsize, "each trial would be a probe itself");
	const char **slot = env_is(v, n, "CAPINIT_CAP_DROP")       ? &c->env_drop
			    : env_is(v, n, "CAPINIT_CAP_ADD")      ? &c->env_add
			    : env_is(v, n, "CAPINIT_USERNS")       ? &c->env_userns
			    : env_is(v, n, "CAPINIT_USER")         ? &c->env_user
			    : env_is(v, n, "CAPINIT_NO_NEW_PRIVS") ? &c->env_nnp
								   : NULL;
	bool replaced = slot == &c->env_drop || slot == &c->env_add || slot == &c->env_userns;
	if (replaced) {
		/* The trial's own value is injected, so the user's word goes. */
		if (eq == NULL || f->shared_word)
			return refuse(c, f, err, errsize,
				      "trials replace it: give its value, in a word of its own");
		for (size_t w = f->word; w < f->word + f->words; w++)
			c->skip[w] = 1;
	}
	/* Without =VALUE the engine copies capinit's own variable, and COMMAND
	 * runs without CAPINIT_* ones: nothing is set. */
	if (slot != NULL && eq != NULL)
		*slot = eq + 1;
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

static int on_cap(struct engine_cmd *c, const struct flag *f, const char *v, bool add, char *err,
		  size_t errsize)
{
	char msg[300];
	capmask m;
	bool all;
	/* Podman splits a comma list, Docker takes one name a flag; both
	 * accept "CAP_X", "x" and ALL (alone). */
	if (caplist_parse(v, f->spelled, true, &m, &all, msg, sizeof msg) != 0) {
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

/* What would make trials differ from each other or hang: refused (a
 * boolean: unless false; restart and pull: unless one of the values
 * allowed), and why, the n-th reason for the n-th flag. */
static const char refused_flags[] = "detach tty privileged rmi rootfs help name cidfile restart pull";
static const char refused_why[] =
	"trials run attached, to see the container end\0"
	"trials run without a terminal (stdin /dev/null)\0"
	"it grants every capability: probe with --cap-add=ALL\0"
	"the image would be gone after trial 1\0"
	"trials run an image\0"
	"trials would print the help\0"
	"capinit names each trial's container\0"
	"trial 1's file would fail trial 2\0"
	"a trial restarted is no first start\0"
	"every trial runs the same image: pull it first";

/* The flags that say something to the probe (on_flag). */
enum { F_RM, F_CAP_ADD, F_CAP_DROP, F_ENV, F_ENV_FILE, F_USER, F_ENTRYPOINT, F_NETWORK, F_NET,
       F_POD, F_SYSCTL, F_SECURITY_OPT };
static const char handled_flags[] =
	"rm cap-add cap-drop env env-file user entrypoint network net pod sysctl security-opt";

static int on_flag(struct engine_cmd *c, const struct flag *f, char *err, size_t errsize)
{
	const char *n = f->name, *v = f->value ? f->value : "";
	bool boolean = is_bool_flag(n), on = true;
	if (boolean && f->has_value && go_bool(v, &on) != 0) {
		fmt_snprintf(err, errsize, "%s run %s: '%s' is not a boolean", c->engine, f->spelled,
			     v);
		return -1;
	}
	int r = word_index(refused_flags, n, strlen(n));
	const char *allowed = r == 8 ? "no" : r == 9 ? "missing never" : "";
	if (r >= 0 && (boolean ? on : !in_words(allowed, v, strlen(v)))) {
		const char *why = refused_why;
		while (r-- > 0)
			why += strlen(why) + 1;
		return refuse(c, f, err, errsize, why);
	}
	int k = word_index(handled_flags, n, strlen(n));
	if (boolean && k != F_RM)
		return 0;
	switch (k) {
	case F_RM:
		/* Every trial is --rm; the user's own (=false too) goes. */
		if (f->shared_word)
			return refuse(c, f, err, errsize, "write --rm as a word of its own");
		c->skip[f->word] = 1;
		break;
	case F_CAP_ADD:
	case F_CAP_DROP:
		return on_cap(c, f, v, k == F_CAP_ADD, err, errsize);
	case F_ENV:
		return on_env(c, f, v, err, errsize);
	case F_ENV_FILE:
		c->env_file = true;
		break;
	case F_USER:
		c->user = v;
		break;
	case F_ENTRYPOINT:
		c->entrypoint_given = true;
		c->entrypoint = v;
		break;
	case F_NETWORK:
	case F_NET:
		on_network(c, v);
		break;
	case F_POD:
		c->net = ENGINE_NET_SHARED;
		break;
	case F_SYSCTL:
		on_sysctl(c, v);
		break;
	case F_SECURITY_OPT:
		on_security_opt(c, v);
		break;
	}
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
		fmt_snprintf(err, errsize, "--probe: not docker run ... IMAGE or podman run ... "
					   "IMAGE");
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
 * `cut` when it did not fit). 0, or -1 when it is not one. An escaped
 * code point beyond ASCII (Go writes only U+2028, U+2029 and U+FFFD so,
 * never in a value capinit reads) becomes '?'; \u0000 ends the value as
 * a NUL ends an environment string. */
static int json_string(const char *s, size_t len, char *out, size_t cap, bool *cut)
{
	size_t n = 0;
	bool ended = false;
	*cut = false;
	if (len == 4 && memcmp(s, "null", 4) == 0)
		len = 2; /* as "" */
	else if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch < 0x20)
			return -1;
		if (ch == '\\') {
			static const char from[] = "\"\\/bfnrtu", to[] = "\"\\/\b\f\n\r\t";
			const char *e = i + 2 < len && s[i + 1] ? strchr(from, s[i + 1]) : NULL;
			if (e == NULL)
				return -1;
			i++;
			if (*e == 'u') {
				unsigned cp = 0;
				for (int k = 1; k <= 4; k++) {
					int h = i + (size_t)k + 1 < len ? hexval(s[i + (size_t)k]) : -1;
					if (h < 0)
						return -1;
					cp = cp << 4 | (unsigned)h;
				}
				i += 4;
				ended = ended || cp == 0;
				ch = cp < 0x80 ? (unsigned char)cp : '?';
			} else {
				ch = (unsigned char)to[e - from];
			}
		}
		if (ended)
			continue;
		if (n + 1 >= cap)
			*cut = true;
		else
			out[n++] = (char)ch;
	}
	out[n] = '\0';
	return 0;
}

static int too_long(char *err, size_t errsize, char letter)
{
	fmt_snprintf(err, errsize, "image inspect: a value of %c is over %d bytes", letter,
		     ENGINE_VALUE_MAX - 1);
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
			return too_long(err, errsize, 'V');
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
		pos += n + 1;
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		/* A letter of the template and a JSON string (or null); the
		 * client's warnings, which share the pipe, are neither. */
		const char *slot = n >= 2 && line[0] ? strchr("ECULV", line[0]) : NULL;
		if (slot == NULL || (line[1] != '"' && (n != 5 || memcmp(line + 1, "null", 4) != 0)))
			continue;
		bool cut;
		if (json_string(line + 1, n - 1, value, sizeof value, &cut) != 0) {
			fmt_snprintf(err, errsize, "image inspect: broken line %.60s", line);
			return -1;
		}
		size_t vlen = strlen(value);
		cut = cut || vlen >= ENGINE_VALUE_MAX;
		if (*slot == 'V') {
			if (image_env(img, value, cut, err, errsize) != 0)
				return -1;
			continue;
		}
		char *dst[] = {img->entrypoint0, img->cmd0, img->user, img->label_caps};
		bool *has[] = {&img->has_entrypoint, &img->has_cmd, NULL, NULL};
		size_t k = (size_t)(slot - "ECULV");
		if (has[k] && *has[k])
			continue; /* only a program's first word matters */
		if (cut)
			return too_long(err, errsize, *slot);
		memcpy(dst[k], value, vlen + 1);
		if (has[k])
			*has[k] = true;
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

/* The words of a trial's command line as they are made. */
struct words {
	char **out;
	size_t n, max;
	char *buf;
	size_t used, size;
	bool ok;
};

/* Appends the word a, or a and b joined (made in buf). */
static void put(struct words *w, const char *a, const char *b)
{
	const char *word = a;
	if (b != NULL) {
		size_t need = strlen(a) + strlen(b) + 1;
		if (w->used + need > w->size) {
			w->ok = false;
			return;
		}
		word = w->buf + w->used;
		fmt_snprintf(w->buf + w->used, need, "%s%s", a, b);
		w->used += need;
	}
	if (w->n + 1 >= w->max)
		w->ok = false;
	else
		w->out[w->n++] = (char *)word;
}

size_t engine_trial_argv(const struct engine_cmd *c, const struct engine_plan *p,
			 char *const *argv, capmask set, bool userns, const char *name,
			 char **out, size_t outmax, char *buf, size_t bufsize)
{
	struct words w = {out, 0, outmax, buf, 0, bufsize, true};
	put(&w, argv[0], NULL);
	put(&w, "run", NULL);
	put(&w, "--rm", NULL);
	put(&w, "--name=", name);
	put(&w, "--cap-drop=ALL", NULL);
	capmask grant = engine_trial_grant(p, set);
	for (int bit = 0; bit < 64; bit++) {
		char cap[64];
		capname_of_bit(bit, cap, sizeof cap);
		if (grant & CAPMASK_BIT(bit))
			put(&w, "--cap-add=", cap);
	}
	if (p->capinit) {
		char names[1024] = "";
		if (set)
			capmask_format(set, ",", names, sizeof names);
		put(&w, "--env=CAPINIT_CAP_DROP=ALL", NULL);
		put(&w, "--env=CAPINIT_CAP_ADD=", names);
	}
	/* The user-namespace guard is capinit's: without it in the image
	 * there is nothing to turn off. */
	if (p->capinit && (userns || c->env_userns))
		put(&w, "--env=CAPINIT_USERNS=", userns ? "1" : c->env_userns);
	if (p->force_sysctls && !c->sysctl_port_given)
		put(&w, "--sysctl=" ENGINE_PORT_SYSCTL, NULL);
	if (p->force_sysctls && !c->sysctl_ping_given)
		put(&w, "--sysctl=" ENGINE_PING_SYSCTL, NULL);
	for (size_t i = 2; i < c->argc; i++)
		if (i >= c->image || !c->skip[i])
			put(&w, argv[i], NULL);
	if (!w.ok)
		return 0;
	out[w.n] = NULL;
	return w.n;
}
