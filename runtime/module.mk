# runtime/: libberth-runtime (runtime/lib/*.c and runtime/lib/cgroup/*.c) and the berth
# binary (runtime/cli/*.c).
RT_LIB_SRCS := $(wildcard runtime/lib/*.c runtime/lib/cgroup/*.c)
RT_CLI_SRCS := $(wildcard runtime/cli/*.c)
LIBRUNTIME  := $(BUILD)/libberth-runtime.a
RT_PKGS     := libseccomp libcap
RT_LDLIBS   := $(LIBSPEC) $(LIBCOMMON) $(call pkg_libs,$(RT_PKGS) json-c)

CFLAGS_runtime/lib = $(call pkg_cflags,$(RT_PKGS))
CFLAGS_runtime/lib/cgroup = $(call pkg_cflags,$(RT_PKGS))
CFLAGS_runtime/cli = $(call pkg_cflags,$(RT_PKGS))

# berth is linked as a static PIE: every lifecycle step is a fresh process
# (create re-execs itself from a sealed memfd, then start, delete), and the
# dynamic loader's work for libseccomp, libcap and json-c was a third of the
# CPU time of a create+start+delete (perf stat, see bench/). Its debug info
# goes to berth.debug (gdb finds it through the debuglink), so the memfd copy
# of the binary stays small. ASan builds stay dynamic.
ifneq ($(ASAN),1)
RT_STATIC := -static-pie
endif

$(LIBRUNTIME): $(RT_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

ifneq ($(RT_CLI_SRCS),)
BINS += $(BUILD)/berth
INSTALL_BINS += $(BUILD)/berth
$(BUILD)/berth: $(RT_CLI_SRCS:%.c=$(BUILD)/%.o) $(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON)
	$(CC) $(LDFLAGS) $(RT_STATIC) -o $@.full $(filter %.o,$^) $(LIBRUNTIME) $(RT_LDLIBS)
	objcopy --only-keep-debug $@.full $@.debug
	objcopy --strip-debug --add-gnu-debuglink=$@.debug $@.full $@.tmp
	rm -f $@.full
	mv -f $@.tmp $@
endif
