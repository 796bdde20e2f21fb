/* The passwd/group readers: user_resolve_text(), the parser of the
 * databases user_db_load() read into memory.
 *
 * Input: USER[:GROUP] up to the first NUL (parsed by config_parse as
 * --user is), the passwd file up to the next NUL, the group file the rest.
 * Invariants: 0 with ids that agree with the spec and the files (a named
 * user has a line of that name; a number is that number; 1..64 distinct
 * groups, the primary first; an explicit group the only one), or -1 with a
 * message that logs as one printable line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_input.h"
#include "user.h"

/* Whether the file has a line that starts with "name:". */
static bool has_line_for(const uint8_t *file, size_t size, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < size; i++) {
		if (i > 0 && file[i - 1] != '\n')
			continue;
		if (size - i > len && memcmp(file + i, name, len) == 0 && file[i + len] == ':')
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *nul1 = memchr(data, '\0', size);
	if (nul1 == NULL)
		return 0;
	const uint8_t *pw = nul1 + 1;
	const uint8_t *nul2 = memchr(pw, '\0', (size_t)(end - pw));
	const uint8_t *pw_end = nul2 ? nul2 : end;
	const uint8_t *gr = nul2 ? nul2 + 1 : end;

	char spec[300];
	size_t spec_len = (size_t)(nul1 - data);
	if (spec_len >= sizeof spec)
		return 0;
	memcpy(spec, data, spec_len);
	spec[spec_len] = '\0';
	char *argv[] = {"capinit", "--print", "--user", spec, NULL};
	char *envp[] = {NULL};
	struct config cfg;
	struct config_error cerr;
	if (config_parse(&cfg, 4, argv, envp, &cerr) != 0)
		return 0;

	/* Exact-size copies, so reading a byte past a database is an ASan
	 * report rather than a silent read of the next one. */
	size_t pw_len = (size_t)(pw_end - pw), gr_len = (size_t)(end - gr);
	char *pw_text = malloc(pw_len ? pw_len : 1), *gr_text = malloc(gr_len ? gr_len : 1);
	memcpy(pw_text, pw, pw_len);
	memcpy(gr_text, gr, gr_len);
	struct user_db passwd = {"/etc/passwd", pw_text, pw_len, 0};
	struct user_db groups = {"/etc/group", gr_text, gr_len, 0};
	struct user_ids ids;
	char err[512];
	int rc = user_resolve_text(&cfg.user, &cfg.group, "CAPINIT_USER", &passwd, &groups, &ids,
				   err, sizeof err);
	free(pw_text);
	free(gr_text);
	if (rc != 0) {
		FUZZ_ASSERT(rc == -1);
		fuzz_check_message(err, sizeof err);
		return 0;
	}
	FUZZ_ASSERT(ids.uid != 0xffffffffu && ids.gid != 0xffffffffu);
	if (cfg.user.numeric)
		FUZZ_ASSERT(ids.uid == cfg.user.id);
	else
		FUZZ_ASSERT(has_line_for(pw, (size_t)(pw_end - pw), cfg.user.name));
	FUZZ_ASSERT(ids.ngroups >= 1 && ids.ngroups <= USER_MAX_GROUPS);
	FUZZ_ASSERT(ids.groups[0] == ids.gid);
	for (size_t i = 0; i < ids.ngroups; i++)
		for (size_t j = i + 1; j < ids.ngroups; j++)
			FUZZ_ASSERT(ids.groups[i] != ids.groups[j]);
	if (cfg.group.set) {
		FUZZ_ASSERT(ids.ngroups == 1);
		if (cfg.group.numeric)
			FUZZ_ASSERT(ids.gid == cfg.group.id);
		else
			FUZZ_ASSERT(has_line_for(gr, (size_t)(end - gr), cfg.group.name));
	}
	if (ids.has_home) {
		FUZZ_ASSERT(strncmp(ids.home_env, "HOME=", 5) == 0 && ids.home_env[5] != '\0');
		FUZZ_ASSERT(strchr(ids.home_env, '\n') == NULL);
	}
	return 0;
}
