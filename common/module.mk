# common/: the project-wide helpers. libberthcommon.a depends on libc only.
# (common/ttrpc*.c needs generated protobuf code; shim/module.mk builds it.)
# common/digest.c needs libcrypto: it is its own library, $(LIBDIGEST), linked only
# by the supervisor (berthd, berthctl, their unit tests), never by the static shim.
COMMON_SRCS := $(filter-out common/ttrpc%.c common/digest.c,$(wildcard common/*.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIBCOMMON   := $(BUILD)/libberthcommon.a

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# $(LIBDIGEST) goes before $(LIBCOMMON) on a link line; link with $(DIGEST_LDLIBS).
LIBDIGEST     := $(BUILD)/libberthdigest.a
CFLAGS_common/digest.c = $(call pkg_cflags,libcrypto)
DIGEST_LDLIBS := $(call pkg_libs,libcrypto)

$(LIBDIGEST): $(BUILD)/common/digest.o
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
