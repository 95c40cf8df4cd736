# runtime/: libberth-runtime (runtime/lib/*.c) and the berth binary (runtime/cli/*.c).
RT_LIB_SRCS := $(wildcard runtime/lib/*.c)
RT_CLI_SRCS := $(wildcard runtime/cli/*.c)
LIBRUNTIME  := $(BUILD)/libberth-runtime.a
RT_PKGS     := libseccomp libcap
RT_LDLIBS   := $(LIBSPEC) $(LIBCOMMON) $(call pkg_libs,$(RT_PKGS) json-c)

CFLAGS_runtime/lib = $(call pkg_cflags,$(RT_PKGS))
CFLAGS_runtime/cli = $(call pkg_cflags,$(RT_PKGS))

$(LIBRUNTIME): $(RT_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

ifneq ($(RT_CLI_SRCS),)
BINS += $(BUILD)/berth
INSTALL_BINS += $(BUILD)/berth
$(BUILD)/berth: $(RT_CLI_SRCS:%.c=$(BUILD)/%.o) $(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBRUNTIME) $(RT_LDLIBS)
endif
