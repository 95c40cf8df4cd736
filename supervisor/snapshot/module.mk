# supervisor/snapshot/: the overlayfs and native snapshotters (no gRPC, no sqlite).
# libberthsnapshot.a depends on common/ and libc (pthread) only.
SNAPSHOT_SRCS := $(wildcard supervisor/snapshot/*.c)
LIBSNAPSHOT   := $(BUILD)/libberthsnapshot.a

$(LIBSNAPSHOT): $(SNAPSHOT_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

BERTHD_OBJS += $(SNAPSHOT_SRCS:%.c=$(BUILD)/%.o)
BERTHD_LDLIBS += -lpthread
