#include "probe_trial.h"

/* The names --probe-json uses: part of its stable schema (docs/probe.md). */
static const char *const reason_names[PROBE_R_COUNT] = {
	[PROBE_R_EXITED_0] = "exited-0",       [PROBE_R_LISTENING] = "listening",
	[PROBE_R_CHECK_PASSED] = "check-passed", [PROBE_R_EXITED] = "exited",
	[PROBE_R_SIGNALED] = "signaled",       [PROBE_R_TIMEOUT] = "timeout",
	[PROBE_R_EXEC_FAILED] = "exec-failed", [PROBE_R_FILE_CAPS] = "file-caps",
	[PROBE_R_DAEMONIZED] = "daemonized",
};

static const char *const kind_names[PROBE_KIND_COUNT] = {
	[PROBE_KIND_SEARCH] = "search", [PROBE_KIND_CONFIRM] = "confirm",
	[PROBE_KIND_REPEAT] = "repeat", [PROBE_KIND_VERIFY] = "verify",
	[PROBE_KIND_USERNS] = "userns",
};

const char *probe_reason_name(enum probe_reason r)
{
	return (unsigned)r < PROBE_R_COUNT ? reason_names[r] : "unknown";
}

const char *probe_kind_name(enum probe_kind k)
{
	return (unsigned)k < PROBE_KIND_COUNT ? kind_names[k] : "unknown";
}
