# berth: top-level, non-recursive Makefile.
#
# Each directory adds its objects, binaries and tests through its own
# module.mk (included below); objects go to build/ (or build/asan/).
# Targets: all deps check demo asan check-asan format format-check lint install clean.

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build

CC       ?= cc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
            -Wstrict-prototypes -Wno-unused-parameter \
            -fstack-protector-strong -fPIE
ifneq ($(ASAN),1)
CFLAGS   += -D_FORTIFY_SOURCE=2
endif
CPPFLAGS += -D_GNU_SOURCE -I. -I$(BUILD) -MMD -MP
LDFLAGS  += -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif

PKG_CONFIG ?= pkg-config
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Filled in by the module.mk files.
BINS        :=
UNIT_TESTS  :=
TEST_BINS   :=
GENERATED   :=
PROTO_GEN   :=
INSTALL_BINS :=

.PHONY: all
all: bins

include mk/deps.mk
include mk/rules.mk
include common/module.mk
include spec/module.mk
include $(sort $(filter-out common/module.mk spec/module.mk tests/module.mk,$(wildcard */module.mk */*/module.mk)))
include tests/module.mk
include $(wildcard mk/tests-*.mk)

.PHONY: bins
bins: $(BINS) $(UNIT_TESTS) $(TEST_BINS)

.PHONY: check
check: deps
	$(MAKE) bins
	BUILD=$(BUILD) tests/run.sh

.PHONY: check-unit check-integration
check-unit: bins
	BUILD=$(BUILD) tests/run.sh unit
check-integration: bins
	BUILD=$(BUILD) tests/run.sh integration

.PHONY: demo
demo: deps
	$(MAKE) bins
	BUILD=$(BUILD) tests/helpers/demo.sh

.PHONY: asan
asan:
	$(MAKE) BUILD=build/asan ASAN=1 CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined" \
		LDFLAGS="-fsanitize=address,undefined" bins

# The supervisor and compat berthd tests against the ASan/UBSan build; fails on any report.
.PHONY: check-asan
check-asan: asan
	BUILD=build/asan tests/asan/run.sh

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
.PHONY: format format-check
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS)

# lint: berthd's layers and library headers in their one folder (tests/lint/supervisor-layers.sh,
# docs/supervisor.md), cppcheck, no bare `! cmd` in bats files (it never fails
# a test), no hand-spelled "/containerd.services." or "/containerd.task." path in C files
# (tests/lint/rpc-paths.sh: paths come from the protoc-c service descriptors), and
# supervisor/berthd/hot-text.ld fresh for the berthd just built (hot-text.sh --check: one
# callgrind run of berthd, ~8 s; needs root and valgrind, as CI has).
.PHONY: lint
lint: $(BUILD)/berthd
	@tests/lint/bats-negation.sh
	@tests/lint/rpc-paths.sh
	BUILD=$(BUILD) supervisor/berthd/hot-text.sh --check
	@tests/lint/supervisor-layers.sh
	cppcheck --quiet --error-exitcode=1 --std=c11 -I. common spec runtime

.PHONY: install
install: bins
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/

.PHONY: clean
clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Compile rules come last: their order-only prerequisites (everything
# generated, e.g. protobuf-c headers) are expanded when the rule is read.
GENERATED += $(PROTO_GEN:%.c=%.h)

$(BUILD)/%.o: %.c | $(GENERATED)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CFLAGS_$(<D)) $(CFLAGS_$<) -c -o $@ $<

# generated protobuf-c sources live under $(BUILD)
$(BUILD)/%.o: $(BUILD)/%.c | $(GENERATED)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(PROTO_OUT) $(CFLAGS) $(CFLAGS_$(PROTO_OUT)) -c -o $@ $<
