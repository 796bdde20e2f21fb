# capinit: a tiny static init for containers.
#
#   make              build/capinit (static, musl + libcap, stripped)
#   make test         unit tests (ASan+UBSan) + lint + integration tests
#   make bench        side-by-side benchmarks against tini, dumb-init, catatonit
#   make install      $(DESTDIR)$(PREFIX)/bin/capinit
#   make install-links   tini, docker-init, dumb-init links to capinit
#
# Dependencies: scripts/install-deps.sh (apt packages); the musl build of
# libcap is made on demand by scripts/build-libcap-musl.sh into build/.

PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.3.0
# The commit a binary is built from, for --version; "unknown" outside git.
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PYTHON ?= /usr/bin/python3
# Build tools that run on the build machine (scripts/elf-drop-sections.c).
HOSTCC ?= cc
ELF_DROP_SECTIONS := build/host/elf-drop-sections

SRCS := $(wildcard init/*.c)
HDRS := $(wildcard init/*.h)
# The pure modules: unit-tested with the host compiler under sanitizers.
PURE_SRCS := init/capset.c init/config.c init/plan.c init/user.c init/signame.c init/log.c init/procstatus.c \
	init/fmt.c init/decimal.c init/probe_search.c init/probe_socktab.c init/personality.c \
	init/personality_text.c \
	init/probe_trial.c init/escape.c init/filecaps.c init/mountinfo.c \
	init/sbuf.c init/probe_pss.c init/probe_deploy.c init/probe_report.c init/userns_guard.c \
	init/probe_engine_args.c

# On a musl system with libcap-static (Alpine) the system's libcap is used;
# elsewhere musl-gcc and our own musl build of libcap.
ifneq ($(wildcard /etc/alpine-release),)
  CC_STATIC ?= cc
  LIBCAP_DEP :=
  LIBCAP_INC :=
  LIBCAP_FLAGS := -lcap
else
  CC_STATIC ?= musl-gcc
  LIBCAP_PREFIX := build/libcap-musl
  LIBCAP_DEP := $(LIBCAP_PREFIX)/lib/libcap.a
  LIBCAP_INC := -I$(LIBCAP_PREFIX)/include
  LIBCAP_FLAGS := -L$(LIBCAP_PREFIX)/lib -lcap
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
# Size: -Os, one section per function so the linker drops what is unused,
# no unwind tables (no C++ and no backtraces in a static init). -fno-pie:
# the link makes a static executable at a fixed address (not static-pie),
# so position-independent code only cost bytes (RIP-relative address loads,
# pointer tables as relocated data); 2.4 kB less (docs/releases.md).
CFLAGS_STATIC := -std=gnu11 -Os $(WARN) -DPROGRAM_VERSION=\"$(VERSION)\" -DPROGRAM_COMMIT=\"$(COMMIT)\" \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-pie
# mk/hot-bss.ld: the C library's start-up data on one page; mk/layout.ld:
# what a normal start runs together at the start of the image, the probe,
# --print and the long texts after it (see the files).
# -z noseparate-code: the headers, code and read-only data share pages
# instead of each starting on a page of its own (8 kB of padding less; the
# read-only data is then executable too: docs/releases.md weighs it).
# -z norelro: musl's static start-up never write-protects the RELRO part,
# so its page alignment was padding and nothing else (docs/releases.md).
# -z common-page-size=64: the writable data may start anywhere in a page
# of the file, as it continues the code, instead of on a page boundary of
# its own (up to 4 kB of padding in the file, which ld chose to keep the
# few hundred bytes of data on one page; the data and libc's BSS stay two
# pages either way, mk/hot-bss.ld).
LDFLAGS_STATIC := -static -Wl,--gc-sections -Wl,-O1 -Wl,-T,mk/hot-bss.ld -Wl,-T,mk/layout.ld \
	-Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=64 -s
LD_SCRIPTS := mk/hot-bss.ld mk/layout.ld
# Flags by object ($(1): its name; $(2): the target's machine, gcc's
# -dumpmachine):
# - the objects a normal start never runs (mk/layout.ld's cold ones: the
#   probe, --print, the long texts) are compiled for size alone, -Oz: 0.7
#   kB less. The start-up path keeps -Os, which -Oz would slow for a kB;
# - x86-64, every object without floating point: -mgeneral-regs-only. A
#   variadic function (the messages' printf-like helpers) otherwise saves
#   the eight SSE argument registers in case a double was passed: 0.45 kB.
COLD_OBJS := probe% report sandbox mountinfo filecaps sbuf personality_text
FLOAT_OBJS := probe_search
obj_cflags = $(if $(filter $(COLD_OBJS),$(1)),-Oz) \
	$(if $(and $(filter x86_64%,$(2)),$(filter-out $(FLOAT_OBJS),$(1))),-mgeneral-regs-only)
MACHINE := $(shell $(CC_STATIC) -dumpmachine 2>/dev/null)

.PHONY: all deps demo test test-unit test-integration test-daemons lint bench install \
	install-links clean

all: build/capinit

# One object per source file: mk/layout.ld places code and data by the
# object they come from.
OBJS := $(patsubst init/%.c,build/obj/%.o,$(SRCS))
build/obj/%.o: init/%.c $(HDRS) $(LIBCAP_DEP) build/obj/cflags | build
	@mkdir -p build/obj
	$(CC_STATIC) $(CFLAGS_STATIC) $(call obj_cflags,$*,$(MACHINE)) $(LIBCAP_INC) -c $< -o $@

# Every object is rebuilt when the compiler flags change (the commit's
# define aside: main.o alone follows it, below).
build/obj/cflags: FORCE | build
	@mkdir -p build/obj
	@echo '$(CC_STATIC) $(filter-out -DPROGRAM_COMMIT=%,$(CFLAGS_STATIC)) $(foreach o,$(OBJS),$(call obj_cflags,$(basename $(notdir $o)),$(MACHINE)))' | \
		cmp -s - $@ || echo '$(CC_STATIC) $(filter-out -DPROGRAM_COMMIT=%,$(CFLAGS_STATIC)) $(foreach o,$(OBJS),$(call obj_cflags,$(basename $(notdir $o)),$(MACHINE)))' > $@

# --version names the commit: main.o is rebuilt when it changes.
build/obj/main.o: build/obj/commit
build/obj/commit: FORCE | build
	@mkdir -p build/obj
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' > $@

# scripts/elf-drop-sections.c: the section header table, which only tools
# read, goes from the stripped file (1.3 kB; `readelf -l` still reads it).
build/capinit: $(OBJS) $(LIBCAP_DEP) $(LD_SCRIPTS) $(ELF_DROP_SECTIONS) | build
	$(CC_STATIC) $(OBJS) $(LIBCAP_FLAGS) $(LDFLAGS_STATIC) -o $@
	$(ELF_DROP_SECTIONS) $@
	@printf 'build/capinit: %s bytes, %s\n' "$$(stat -c %s $@)" \
		"$$(file -b $@ | grep -o 'statically linked\|static-pie linked\|dynamically linked')"

$(ELF_DROP_SECTIONS): scripts/elf-drop-sections.c
	@mkdir -p $(@D)
	$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(LIBCAP_PREFIX)/lib/libcap.a:
	scripts/build-libcap-musl.sh $(LIBCAP_PREFIX)

build:
	mkdir -p build

deps:
	scripts/install-deps.sh

demo: build/capinit
	scripts/demo.sh

# ---- tests -----------------------------------------------------------------

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(SAN) -Iinit

# The pure modules are compiled once under the sanitizers and linked into
# every unit test (each test used to recompile all of them).
UNIT_OBJS := $(patsubst init/%.c,build/unit/obj/%.o,$(PURE_SRCS))
.SECONDARY: $(UNIT_OBJS)
build/unit/obj/%.o: init/%.c $(HDRS) | build
	@mkdir -p build/unit/obj
	cc $(UNIT_CFLAGS) -c $< -o $@

build/unit/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(UNIT_OBJS) | build
	mkdir -p build/unit
	cc $(UNIT_CFLAGS) $< $(UNIT_OBJS) -lcap -o $@

UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))

# Exhaustive sweeps too long for the sanitizers (millions of simulated
# searches): the same pure modules, optimized, nothing else changed.
SWEEP_CFLAGS := -std=gnu11 -O2 $(WARN) -Iinit
build/unit/sweep_%: tests/unit/sweep_%.c $(wildcard tests/unit/*.h) $(PURE_SRCS) $(HDRS) | build
	mkdir -p build/unit
	cc $(SWEEP_CFLAGS) $< $(PURE_SRCS) -lcap -o $@

UNIT_SWEEPS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/sweep_*.c))

# test_probe_report writes --probe-json samples of every outcome to
# build/unit/probe-json/; the pytest validates them against
# docs/probe-schema.json (python3-jsonschema).
test-unit: $(UNIT_TESTS) $(UNIT_SWEEPS)
	@rm -rf build/unit/probe-json
	@set -e; for t in $(UNIT_TESTS); do \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t tests/unit; done
	@set -e; for t in $(UNIT_SWEEPS); do $$t; done
	@# The user-namespace guard's numbers against each architecture's kernel headers.
	@out=$$(tests/unit/check_syscall_numbers.sh build/unit/test_userns_guard) || \
		{ echo "$$out"; exit 1; }; echo "$$out" | grep -v '^ok '
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--inline-suppr --std=c11 -I init --suppress=missingIncludeSystem init scripts/elf-drop-sections.c
	clang-tidy --quiet $(SRCS) scripts/elf-drop-sections.c -- -std=gnu11 -Iinit -I$(or $(LIBCAP_PREFIX),/usr)/include

test-integration: build/capinit
	$(PYTHON) -m pytest -q tests/integration

# Real Debian daemons (scripts/install-daemon-deps.sh); the stage's quick set.
test-daemons: build/capinit
	$(PYTHON) -m pytest -q tests/daemons -m "not slow and not search"

test: test-unit lint test-integration

bench: build/capinit
	bench/run.sh

# ---- install ---------------------------------------------------------------

install: build/capinit
	install -D -m 0755 build/capinit $(DESTDIR)$(PREFIX)/bin/capinit

# Invoked by these names capinit takes that tool's defaults.
install-links: install
	for name in tini docker-init dumb-init; do \
		ln -sf capinit $(DESTDIR)$(PREFIX)/bin/$$name; done

clean:
	rm -rf build/capinit build/obj build/unit

# Parts with a job of their own (releases, fuzzing, engines, ...), one file each.
-include $(sort $(wildcard mk/*.mk))
