/* Helpers shared by the fuzz entry points: turning libFuzzer's bytes into
 * the arrays capinit's pure modules take, and the invariants every message
 * must meet.
 *
 * Header-only (static functions) so each fuzzer is one translation unit plus
 * the pure modules, as the unit tests are. */
#ifndef CAPINIT_FUZZ_INPUT_H
#define CAPINIT_FUZZ_INPUT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "personality.h"

/* A failed invariant: say which and abort, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* A message as the user sees it: log_msg() escapes every byte outside
 * printable ASCII, so whatever a token brings ('\n', ESC) the logged line
 * is "capinit: " and printable text ending in one newline. The line goes to
 * a pipe (log's info descriptor), read back and checked. The raw message
 * must be non-empty and NUL-terminated inside its buffer. */
static int fuzz_log_pipe[2] = {-1, -1};

static inline void fuzz_check_message(const char *msg, size_t size)
{
	size_t len = strnlen(msg, size);
	FUZZ_ASSERT(len < size);
	FUZZ_ASSERT(len > 0);
	if (fuzz_log_pipe[0] < 0) {
		FUZZ_ASSERT(pipe(fuzz_log_pipe) == 0);
		FUZZ_ASSERT(fcntl(fuzz_log_pipe[0], F_SETFL, O_NONBLOCK) == 0);
		/* tini's personality writes LOG_INFO lines on stdout, which
		 * libFuzzer leaves alone (its reports and the sanitizers' go
		 * to stderr): stdout becomes the pipe. */
		FUZZ_ASSERT(dup2(fuzz_log_pipe[1], STDOUT_FILENO) == STDOUT_FILENO);
		log_set_personality(PERSONALITY_TINI);
		log_set_level(LOG_INFO);
	}
	log_msg(LOG_INFO, "%s", msg);
	char line[2048];
	ssize_t n = read(fuzz_log_pipe[0], line, sizeof line);
	FUZZ_ASSERT(n > 9 && (size_t)n < sizeof line); /* one write, one line */
	FUZZ_ASSERT(memcmp(line, "[INFO  tini (", 13) == 0);
	FUZZ_ASSERT(line[n - 1] == '\n');
	for (ssize_t i = 0; i < n - 1; i++)
		FUZZ_ASSERT(line[i] >= 0x20 && line[i] < 0x7f);
}

/* The words of an input: NUL-separated, copied so each is NUL-terminated.
 * The first empty word (two NULs in a row) ends argv; what follows is the
 * environment. */
#define FUZZ_MAX_WORDS 64

struct fuzz_words {
	char *storage;
	int argc;
	char *argv[FUZZ_MAX_WORDS + 2];
	char *envp[FUZZ_MAX_WORDS + 1];
	size_t envc;
};

static const char *const fuzz_argv0[] = {"capinit", "tini", "dumb-init", "/sbin/tini-static",
					 "/usr/bin/docker-init", "/x/capinit"};

/* selector picks argv[0] (and so the personality). */
static inline void fuzz_words_split(struct fuzz_words *w, unsigned selector, const uint8_t *data,
			     size_t size)
{
	memset(w, 0, sizeof *w);
	w->storage = malloc(size + 1);
	memcpy(w->storage, data, size);
	w->storage[size] = '\0';
	w->argv[w->argc++] = (char *)fuzz_argv0[selector % (sizeof fuzz_argv0 / sizeof fuzz_argv0[0])];
	bool in_env = false;
	char *p = w->storage, *end = w->storage + size;
	while (p < end) {
		size_t len = strlen(p);
		if (len == 0 && !in_env) {
			in_env = true;
		} else if (in_env) {
			if (len > 0 && w->envc < FUZZ_MAX_WORDS)
				w->envp[w->envc++] = p;
		} else if (w->argc < FUZZ_MAX_WORDS + 1) {
			w->argv[w->argc++] = p;
		}
		p += len + 1;
	}
	w->argv[w->argc] = NULL;
	w->envp[w->envc] = NULL;
}

static inline void fuzz_words_free(struct fuzz_words *w) { free(w->storage); }

#endif
