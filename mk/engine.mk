# Real container engines (Docker Engine, Podman): tests/engine.
#
#   make test-engine   install the engines if missing, start dockerd, run the
#                      suite, stop dockerd (scripts/engine-test.sh)
#   make engine-table  measure docs/engines.md's stop-time table

.PHONY: test-engine engine-table

# The app of the engine tests' images: static, so it runs FROM scratch.
build/engine/probe: tests/engine/app/probe.c | build
	mkdir -p build/engine
	musl-gcc -std=gnu11 -Os $(WARN) -static -s $< -o $@

test-engine: build/capinit build/engine/probe build/engine/engine-driver
	scripts/engine-test.sh

engine-table: build/capinit build/engine/probe
	rm -f build/engine/stops.jsonl
	$(PYTHON) -m pytest -p no:cacheprovider -q tests/engine/test_signals.py -k test_stop
	$(PYTHON) tests/engine/stop_table.py docs/engines.md

# The engine runner alone (init/probe_engine.c) under a minimal loop of its
# own: tests/engine/test_probe_engine_runner.py drives it against both
# engines (tests/engine/driver/engine_driver.c says how).
build/engine/engine-driver: tests/engine/driver/engine_driver.c $(SRCS) $(HDRS) $(LIBCAP_DEP) | build
	mkdir -p build/engine
	$(CC_STATIC) $(CFLAGS_STATIC) $(LIBCAP_INC) -Iinit $< $(filter-out init/main.c,$(SRCS)) $(LIBCAP_FLAGS) \
		$(LDFLAGS_STATIC) -o $@
