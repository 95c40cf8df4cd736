# common/: the project-wide helpers. libberthcommon.a depends on libc only.
# (common/ttrpc*.c needs generated protobuf code; shim/module.mk builds it.)
COMMON_SRCS := $(filter-out common/ttrpc%.c,$(wildcard common/*.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIBCOMMON   := $(BUILD)/libberthcommon.a

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
