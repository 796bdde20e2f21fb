# ---- releases: static binaries for six architectures (make release) --------
#
#   make release          dist/capinit-linux-ARCH for every RELEASE_ARCHES,
#                         dist/capinit-image-linux-ARCH.tar (FROM scratch,
#                         /capinit only) and dist/SHA256SUMS
#   make release-deps     scripts/install-cross-deps.sh (cross gcc, musl, qemu)
#   make test-release     tests/release/run.sh: each binary on its architecture
#
# Each architecture: Debian's gcc-TRIPLET driven by musl-dev:ARCH's
# musl-gcc style wrapper, and a libcap built for it alone from Debian's
# libcap2 source (scripts/build-libcap-musl.sh with LIBCAP_CC). riscv64 has no
# Debian 12 musl-dev: musl is built from Debian's source into build/ once.
#
# Reproducible: the same commit gives byte-identical files in any directory
# and at any time. What makes it so is written beside each flag below and in
# docs/releases.md.

RELEASE_ARCHES := amd64 arm64 armv7 ppc64le s390x riscv64

# Binutils prefix (for libcap's ar/ranlib) and musl compiler per architecture.
release_cross_amd64 := x86_64-linux-gnu-
release_cross_arm64 := aarch64-linux-gnu-
release_cross_armv7 := arm-linux-gnueabihf-
release_cross_ppc64le := powerpc64le-linux-gnu-
release_cross_s390x := s390x-linux-gnu-
release_cross_riscv64 := riscv64-linux-gnu-
release_cc_amd64 := x86_64-linux-musl-gcc
release_cc_arm64 := aarch64-linux-musl-gcc
release_cc_armv7 := arm-linux-musleabihf-gcc
release_cc_ppc64le := powerpc64le-linux-musl-gcc
release_cc_s390x := s390x-linux-musl-gcc
RELEASE_MUSL_RISCV64 := build/musl-riscv64
release_cc_riscv64 := $(CURDIR)/$(RELEASE_MUSL_RISCV64)/bin/musl-gcc

# A tarball made by `git archive` has no .git but carries the commit and its
# time in scripts/release-commit ("HASH EPOCH", filled in by export-subst, see
# .gitattributes); in a git checkout the file reads "$Format:...$" and is
# ignored.
release_stamp := $(shell sed -n 's/^\([0-9a-f]\{40\}\) \([0-9]\{1,\}\)$$/\1 \2/p' scripts/release-commit 2>/dev/null)
ifeq ($(COMMIT),unknown)
  ifneq ($(release_stamp),)
    COMMIT := $(shell echo $(word 1,$(release_stamp)) | cut -c1-12)
  endif
endif
# Timestamps in the image archives: the commit's time, never the clock.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo $(or $(word 2,$(release_stamp)),0))
export SOURCE_DATE_EPOCH

# The native build's flags, plus:
#  -ffile-prefix-map  no checkout path in any object (__FILE__, debug info);
#  --build-id=none    no note that would differ with any input byte anyway and
#                     that nothing here uses;
#  -s (already)       no symbol table or debug sections.
# No __DATE__/__TIME__ in init/; ar is deterministic (Debian's binutils
# default D: zero uid/gid/mtime); inputs are sorted ($(wildcard) sorts).
# CFLAGS_STATIC was expanded with the Makefile's COMMIT, before the tarball
# fallback above: its -DPROGRAM_COMMIT is replaced.
RELEASE_CFLAGS := $(filter-out -DPROGRAM_COMMIT=%,$(CFLAGS_STATIC)) -DPROGRAM_COMMIT=\"$(COMMIT)\" \
	-ffile-prefix-map=$(CURDIR)=.
RELEASE_LDFLAGS := $(LDFLAGS_STATIC) -Wl,--build-id=none

# The Makefile's flags by object ($(1): the source, $(2): the architecture).
release_obj_cflags = $(call obj_cflags,$(basename $(notdir $(1))),$(if $(filter amd64,$(2)),x86_64))

RELEASE_BINS := $(addprefix dist/capinit-linux-,$(RELEASE_ARCHES))
RELEASE_IMAGES := $(addprefix dist/capinit-image-linux-,$(addsuffix .tar,$(RELEASE_ARCHES)))

.PHONY: release release-deps test-release release-clean FORCE

release: dist/SHA256SUMS
	@cd dist && for f in $(notdir $(RELEASE_BINS)); do \
		printf '%-26s %7s bytes  %s\n' "$$f" "$$(stat -c %s $$f)" \
			"$$(file -b $$f | cut -d, -f1-2)"; done
	@echo "release: capinit $(VERSION) (commit $(COMMIT)), dist/SHA256SUMS:"
	@cat dist/SHA256SUMS

release-deps:
	scripts/install-cross-deps.sh

# tests/unit/test_fmt.c for each architecture (tests/release/run.sh runs
# it under qemu-user): the formatter's length modifiers differ by ABI.
RELEASE_FMT_TESTS := $(foreach a,$(RELEASE_ARCHES),build/release/$(a)/test_fmt)

test-release: release $(RELEASE_FMT_TESTS)
	tests/release/run.sh

build/release/%/test_fmt: tests/unit/test_fmt.c tests/unit/check.h init/fmt.c init/escape.c \
		init/fmt.h init/escape.h
	@mkdir -p $(@D)
	$(release_cc_$*) -std=gnu11 -O1 $(WARN) -static -Iinit tests/unit/test_fmt.c init/fmt.c \
		init/escape.c -o $@

build/release/riscv64/test_fmt: $(RELEASE_MUSL_RISCV64)/lib/libc.a

dist/SHA256SUMS: $(RELEASE_BINS) $(RELEASE_IMAGES)
	cd dist && LC_ALL=C sha256sum $(notdir $(sort $^)) > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS

# The commit is compiled in, so a new commit must rebuild even when no source
# changed: this file changes only when COMMIT does.
build/release/commit: FORCE
	@mkdir -p $(@D)
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' > $@

# One object per source file, as the Makefile builds them: mk/layout.ld
# places code and data by object.
dist/capinit-linux-%: $(SRCS) $(HDRS) $(LD_SCRIPTS) $(ELF_DROP_SECTIONS) \
		build/release/%/libcap/lib/libcap.a build/release/commit
	@mkdir -p dist build/release/$*/obj
	@set -e; $(foreach f,$(SRCS),\
		echo "$(release_cc_$*) ... $(call release_obj_cflags,$f,$*) -c $f"; \
		$(release_cc_$*) $(RELEASE_CFLAGS) $(call release_obj_cflags,$f,$*) \
			-Ibuild/release/$*/libcap/include -c $f \
			-o build/release/$*/obj/$(basename $(notdir $f)).o;)
	$(release_cc_$*) $(patsubst init/%.c,build/release/$*/obj/%.o,$(SRCS)) \
		-Lbuild/release/$*/libcap/lib -lcap $(RELEASE_LDFLAGS) -o $@
	$(ELF_DROP_SECTIONS) $@
	@file -b $@ | grep -q 'statically linked' || { echo "$@ is not static" >&2; rm -f $@; exit 1; }

dist/capinit-image-linux-%.tar: dist/capinit-linux-% scripts/image-archive.py
	$(PYTHON) scripts/image-archive.py --arch $* --binary $< \
		--tag capinit:$(VERSION)-$* --out $@

# One fetch of libcap's source serves every architecture (each builds in a
# copy of its own); order-only so a parallel make fetches once.
build/release/%/libcap/lib/libcap.a: | build/libcap-src/tree/libcap/Makefile
	LIBCAP_CC=$(release_cc_$*) LIBCAP_CROSS=$(release_cross_$*) \
		scripts/build-libcap-musl.sh build/release/$*/libcap

build/libcap-src/tree/libcap/Makefile:
	scripts/build-libcap-musl.sh --fetch-only

build/release/riscv64/libcap/lib/libcap.a: $(RELEASE_MUSL_RISCV64)/lib/libc.a

# Made by pattern rules but kept: make would delete them as intermediates.
.SECONDARY: $(foreach a,$(RELEASE_ARCHES),build/release/$(a)/libcap/lib/libcap.a)

$(RELEASE_MUSL_RISCV64)/lib/libc.a:
	scripts/build-musl-cross.sh riscv64-linux-gnu $(RELEASE_MUSL_RISCV64)

# Keeps build/musl-riscv64 (the 2-minute cache) and the libcap source.
release-clean:
	rm -rf dist build/release

FORCE:
