# shim/: berth-shim, containerd's shim v2 (containerd.task.v2.Task over ttrpc),
# plus common/ttrpc.c and common/evloop.c, which need protobuf-c and are kept
# out of libberthcommon.a (see common/module.mk).
#
# Outputs: $(BUILD)/berth-shim, $(BUILD)/containerd-shim-berth-v2 (symlink, the
# name containerd derives from runtime io.containerd.berth.v2),
# $(BUILD)/libberthttrpc.a (ttrpc + evloop + the envelope proto).

CONTAINERD_PROTO := github.com/containerd/containerd
SHIM_PROTOS := \
	$(call proto_c,$(CONTAINERD_PROTO)/runtime/v2/task/shim.proto) \
	$(call proto_c,$(CONTAINERD_PROTO)/api/types/mount.proto) \
	$(call proto_c,$(CONTAINERD_PROTO)/api/types/task/task.proto) \
	$(call proto_c,$(CONTAINERD_PROTO)/api/events/task.proto) \
	$(call proto_c,$(CONTAINERD_PROTO)/api/services/ttrpc/events/v1/events.proto) \
	$(call proto_c,$(CONTAINERD_PROTO)/runtime/v2/runc/options/oci.proto) \
	$(call proto_c,github.com/containerd/cgroups/stats/v1/metrics.proto) \
	$(call proto_c,github.com/containerd/cgroups/v2/stats/metrics.proto) \
	$(call proto_c,google/protobuf/any.proto) \
	$(call proto_c,google/protobuf/empty.proto) \
	$(call proto_c,google/protobuf/timestamp.proto)
PROTO_GEN += $(SHIM_PROTOS)

# The ttrpc envelope is our own proto/ttrpc.proto, generated under build/.
TTRPC_PROTO_C := $(PROTO_OUT)/berth/ttrpc.pb-c.c
PROTO_GEN += $(TTRPC_PROTO_C)
$(TTRPC_PROTO_C) $(TTRPC_PROTO_C:.c=.h) &: proto/ttrpc.proto
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=proto --c_out=$(PROTO_OUT)/berth proto/ttrpc.proto

PROTOBUF_C_CFLAGS := $(call pkg_cflags,libprotobuf-c) -I$(PROTO_OUT)
PROTOBUF_C_LIBS   := $(call pkg_libs,libprotobuf-c)

LIBTTRPC := $(BUILD)/libberthttrpc.a
LIBTTRPC_OBJS := $(BUILD)/common/ttrpc.o $(BUILD)/common/evloop.o $(TTRPC_PROTO_C:.c=.o)
CFLAGS_common/ttrpc.c  = $(PROTOBUF_C_CFLAGS)
CFLAGS_common/evloop.c = $(PROTOBUF_C_CFLAGS)
$(LIBTTRPC): $(LIBTTRPC_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(SHIM_SRCS:%.c=$(BUILD)/%.o)
CFLAGS_shim = $(PROTOBUF_C_CFLAGS)
SHIM_BIN := $(BUILD)/berth-shim

# The shim stays resident next to every container: link it statically (static-pie)
# when libc.a and libprotobuf-c.a are there, which halves its RSS (shared libc
# pages count in VmRSS: fault-around maps far more of libc.so than the shim uses).
# SHIM_STATIC=0 links dynamically; ASan builds always do.
SHIM_PROTOBUF_A := $(shell $(CC) -print-file-name=libprotobuf-c.a)
ifeq ($(SHIM_STATIC)$(ASAN),)
SHIM_STATIC := $(if $(filter-out libprotobuf-c.a,$(SHIM_PROTOBUF_A)),1,0)
endif
ifeq ($(SHIM_STATIC),1)
SHIM_LDFLAGS := -static-pie
SHIM_LDLIBS  := $(SHIM_PROTOBUF_A)
else
SHIM_LDFLAGS :=
SHIM_LDLIBS  := $(PROTOBUF_C_LIBS)
endif

$(SHIM_BIN): $(SHIM_OBJS) $(SHIM_PROTOS:.c=.o) $(LIBTTRPC) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $^ $(SHIM_LDLIBS)

$(BUILD)/containerd-shim-berth-v2: $(SHIM_BIN)
	ln -sf berth-shim $@

BINS += $(SHIM_BIN) $(BUILD)/containerd-shim-berth-v2
INSTALL_BINS += $(SHIM_BIN)

.PHONY: install-shim-link
install: install-shim-link
install-shim-link: bins
	install -d $(DESTDIR)$(PREFIX)/bin
	ln -sf berth-shim $(DESTDIR)$(PREFIX)/bin/containerd-shim-berth-v2

.PHONY: shim
shim: $(SHIM_BIN) $(BUILD)/containerd-shim-berth-v2
