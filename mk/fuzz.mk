# Fuzzing the pure modules with libFuzzer (tests/fuzz/, issue 10).
#
#   make fuzz FUZZ_SECONDS=N   run each fuzzer for N seconds (default 60),
#                              growing build/fuzz/corpus/NAME from the seeds
#   make fuzz-replay           build them and run every committed corpus file
#                              once (part of `make test`)
#   make fuzz-build            only build build/fuzz/fuzz_NAME
#
# Debian's clang 14 (clang, libclang-rt-14-dev: scripts/install-fuzz-deps.sh).
# The pure modules are built once as objects with the fuzzer's coverage
# instrumentation and linked into every entry point. They include only
# libcap's header (for CAP_LAST_CAP), the host's from libcap-dev.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(FUZZ_SAN) -Iinit -Itests/fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_OBJS := $(patsubst init/%.c,build/fuzz/obj/%.o,$(PURE_SRCS))
FUZZ_DICT := tests/fuzz/capinit.dict

.PHONY: fuzz fuzz-build fuzz-replay
.SECONDARY: $(FUZZ_OBJS)

build/fuzz/obj/%.o: init/%.c $(HDRS) mk/fuzz.mk
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_input.h $(FUZZ_OBJS) mk/fuzz.mk
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@

fuzz-build: $(FUZZ_BINS)

# Every seed once, each as its own run of the input (no mutation): a finding
# that was fixed and committed as a seed stays fixed.
fuzz-replay: $(FUZZ_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
		files=$$(find tests/fuzz/corpus/$$n -type f | sort); \
		[ -n "$$files" ] || { echo "fuzz-replay: no corpus for $$n" >&2; exit 1; }; \
		build/fuzz/fuzz_$$n -runs=1 $$files >build/fuzz/replay-$$n.log 2>&1 || \
			{ tail -n 30 build/fuzz/replay-$$n.log >&2; echo "fuzz-replay: $$n FAILED" >&2; exit 1; }; \
		echo "fuzz-replay: $$n: $$(echo "$$files" | wc -l) inputs, no finding"; \
	done

# New inputs go to build/fuzz/corpus/NAME (not committed); findings to
# build/fuzz/artifacts/.
fuzz: $(FUZZ_BINS)
	@set -e; mkdir -p build/fuzz/artifacts; for n in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -dict=$(FUZZ_DICT) \
			-artifact_prefix=build/fuzz/artifacts/$$n- -print_final_stats=1 $(FUZZ_FLAGS) \
			build/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>build/fuzz/run-$$n.log || \
			{ tail -n 40 build/fuzz/run-$$n.log >&2; echo "fuzz: $$n FOUND SOMETHING" >&2; exit 1; }; \
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss)' build/fuzz/run-$$n.log | sed "s/^/fuzz: $$n: /"; \
	done

test: fuzz-replay
