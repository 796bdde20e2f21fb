# capinit --probe: its own cost per trial beyond the app's (docs/probe.md).
.PHONY: probe-overhead
probe-overhead: build/capinit
	scripts/probe-overhead.sh
