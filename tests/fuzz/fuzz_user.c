/* The passwd/group readers, through user_resolve().
 *
 * user.c reads the databases from paths (there is no parse-from-memory
 * entry point yet), so each input is written to two files in /dev/shm
 * (memory, no disk) that user_resolve() then reads, as it reads an image's
 * /etc/passwd and /etc/group.
 *
 * Input: USER[:GROUP] up to the first NUL (parsed by config_parse as
 * --user is), the passwd file up to the next NUL, the group file the rest.
 * Invariants: 0 with ids that agree with the spec and the files (a named
 * user has a line of that name; a number is that number; 1..64 distinct
 * groups, the primary first; an explicit group the only one), or -1 with a
 * one-line message. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_input.h"
#include "user.h"

static char passwd_path[64], group_path[64];

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd >= 0);
	while (size > 0) {
		ssize_t n = write(fd, data, size);
		FUZZ_ASSERT(n > 0);
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

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

static void remove_files(void)
{
	unlink(passwd_path);
	unlink(group_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(passwd_path, sizeof passwd_path, "/dev/shm/capinit-fuzz-%d.passwd", (int)getpid());
	snprintf(group_path, sizeof group_path, "/dev/shm/capinit-fuzz-%d.group", (int)getpid());
	atexit(remove_files);
	return 0;
}

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

	write_file(passwd_path, pw, (size_t)(pw_end - pw));
	write_file(group_path, gr, (size_t)(end - gr));
	struct user_ids ids;
	char err[512];
	int rc = user_resolve(&cfg.user, &cfg.group, "CAPINIT_USER", passwd_path, group_path,
			      &ids, err, sizeof err);
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
