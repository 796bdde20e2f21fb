/* Placeholder until the engine runner lands (probe_engine.c). */
#include "fmt.h"
#include "probe_runner.h"

static int engine_setup(struct probe_ctx *ctx, int *status, char *err, size_t errsize)
{
	(void)ctx;
	*status = 125;
	fmt_snprintf(err, errsize, "--probe: probing through an engine is not built in yet");
	return -1;
}

const struct probe_runner probe_runner_engine = {.name = "engine", .setup = engine_setup};
