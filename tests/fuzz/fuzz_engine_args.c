/* The engine runner's analysis: engine_cmd_parse(), engine_image_parse(),
 * engine_plan_make() and engine_trial_argv().
 *
 * Input: byte 0 — bit 0: podman, bits 1..7: a capability set's seed; then
 * the words after `ENGINE run`, NUL-separated, an empty word, and the rest
 * is the image's inspect output.
 * Invariants: an error is one line; IMAGE lies after every word left out;
 * a trial's command line starts with the engine's words, holds one
 * --cap-add per capability granted and no other, ends with IMAGE and
 * COMMAND as given, and keeps every word of the user's not left out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "probe_engine_args.h"

#define MAX_WORDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool podman = data[0] & 1;
	capmask set = ((capmask)(data[0] >> 1) * 0x9e3779b97f4a7c15ull) & capmask_first(41);
	char *copy = malloc(size);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';

	char *argv[MAX_WORDS + 3];
	size_t argc = 0;
	argv[argc++] = podman ? "/usr/bin/podman" : "docker";
	argv[argc++] = "run";
	size_t pos = 0;
	while (pos < size - 1 && argc < MAX_WORDS) {
		char *w = copy + pos;
		size_t n = strlen(w);
		pos += n + 1;
		if (n == 0)
			break;
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	const char *text = pos < size - 1 ? copy + pos : "";
	size_t textlen = pos < size - 1 ? size - 1 - pos : 0;

	static struct engine_cmd cmd;
	static struct engine_image img;
	static struct engine_plan plan;
	static struct probe_target target;
	char err[512];
	int irc = engine_image_parse(&img, text, textlen, err, sizeof err);
	if (irc != 0) {
		fuzz_check_message(err, sizeof err);
		memset(&img, 0, sizeof img);
	} else {
		FUZZ_ASSERT(strlen(img.entrypoint0) < sizeof img.entrypoint0);
		FUZZ_ASSERT(strlen(img.add) < sizeof img.add);
	}
	if (engine_cmd_parse(&cmd, argv, argc, err, sizeof err) != 0) {
		fuzz_check_message(err, sizeof err);
		free(copy);
		return 0;
	}
	FUZZ_ASSERT(cmd.image >= 2 && cmd.image < argc);
	for (size_t i = cmd.image; i < argc && i < ENGINE_ARGS_MAX; i++)
		FUZZ_ASSERT(!cmd.skip[i]);
	if (engine_plan_make(&cmd, &img, argv, capmask_first(41), &plan, &target, err,
			     sizeof err) != 0) {
		fuzz_check_message(err, sizeof err);
		free(copy);
		return 0;
	}
	FUZZ_ASSERT(target.image == argv[cmd.image]);
	FUZZ_ASSERT((target.default_candidates & ~capmask_first(41)) == 0);

	static char *out[ENGINE_ARGS_MAX + 80];
	static char buf[4096];
	size_t n = engine_trial_argv(&cmd, &plan, argv, set, data[0] & 2, "capinit-probe-1-1", out,
				     sizeof out / sizeof out[0], buf, sizeof buf);
	FUZZ_ASSERT(n > 0 && out[n] == NULL);
	FUZZ_ASSERT(out[0] == argv[0] && strcmp(out[1], "run") == 0 && strcmp(out[2], "--rm") == 0);
	FUZZ_ASSERT(strcmp(out[4], "--cap-drop=ALL") == 0);
	capmask granted = 0;
	size_t adds = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(out[i], "--cap-add=", 10) != 0 || out[i] < buf || out[i] >= buf + sizeof buf)
			continue;
		int bit = capname_to_bit(out[i] + 10, strlen(out[i] + 10));
		FUZZ_ASSERT(bit >= 0);
		granted |= CAPMASK_BIT(bit);
		adds++;
	}
	FUZZ_ASSERT(granted == engine_trial_grant(&plan, set));
	FUZZ_ASSERT(adds == (size_t)__builtin_popcountll(granted));
	/* The user's words, in order, at the end. */
	size_t kept = 0;
	for (size_t i = 2; i < argc; i++)
		kept += i >= cmd.image || !cmd.skip[i];
	FUZZ_ASSERT(kept <= n);
	for (size_t i = argc, j = n; i-- > cmd.image;)
		FUZZ_ASSERT(out[--j] == argv[i]);
	free(copy);
	return 0;
}
