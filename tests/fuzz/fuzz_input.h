/* Helpers shared by the fuzz entry points: turning libFuzzer's bytes into
 * the arrays capinit's pure modules take, and the invariants every message
 * must meet.
 *
 * Header-only (static functions) so each fuzzer is one translation unit plus
 * the pure modules, as the unit tests are. */
#ifndef CAPINIT_FUZZ_INPUT_H
#define CAPINIT_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* A failed invariant: say which and abort, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* Messages must be one line. Once config escapes the tokens it echoes
 * (issue 10), they must also be printable ASCII; build with
 * -DFUZZ_PRINTABLE_MESSAGES=1 to check that, and with
 * -DFUZZ_SINGLE_LINE_MESSAGES=0 to let a raw echoed '\n' through while the
 * escaping is not in. */
#ifndef FUZZ_SINGLE_LINE_MESSAGES
#define FUZZ_SINGLE_LINE_MESSAGES 1
#endif
#ifndef FUZZ_PRINTABLE_MESSAGES
#define FUZZ_PRINTABLE_MESSAGES 0
#endif

static inline void fuzz_check_message(const char *msg, size_t size)
{
	size_t len = strnlen(msg, size);
	FUZZ_ASSERT(len < size); /* NUL-terminated inside its buffer */
	FUZZ_ASSERT(len > 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (FUZZ_SINGLE_LINE_MESSAGES)
			FUZZ_ASSERT(c != '\n' && c != '\r');
		if (FUZZ_PRINTABLE_MESSAGES)
			FUZZ_ASSERT(c >= 0x20 && c < 0x7f);
	}
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
