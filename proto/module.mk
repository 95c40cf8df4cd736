# proto/: containerd 1.6 protos, read at build time from Debian's
# golang-github-containerd-containerd-dev and golang-github-containerd-cgroups-dev
# (apt-get download + dpkg-deb -x: no Go dependencies pulled in), gogo options
# stripped, compiled by protoc-c into $(BUILD)/proto/. Nothing generated is committed.
#
# Users: $(call proto_c,REL/PATH.proto) gives the generated .c path for a proto
# path relative to $(PROTO_ROOT) (e.g. github.com/containerd/containerd/api/types/mount.proto,
# or google/protobuf/any.proto for the well-known types). Add every .c you
# need (imports included) to PROTO_GEN: every header listed there is generated
# before any object is compiled. Link the .o files ($(PROTO_GEN:.c=.o) subsets).

PROTO_DEBS  := golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev
PROTO_DL    := $(BUILD)/proto-dl
PROTO_ROOT  := $(BUILD)/proto-src
PROTO_OUT   := $(BUILD)/proto
PROTO_STAMP := $(PROTO_DL)/.extracted
PROTOC_C    ?= protoc-c

proto_c = $(PROTO_OUT)/$(1:%.proto=%.pb-c.c)
proto_h = $(PROTO_OUT)/$(1:%.proto=%.pb-c.h)

$(PROTO_STAMP):
	@rm -rf $(PROTO_DL) && mkdir -p $(PROTO_DL)
	cd $(PROTO_DL) && { apt-get download $(PROTO_DEBS) 2>/dev/null || { apt-get update -q && apt-get download $(PROTO_DEBS); }; }
	for d in $(PROTO_DL)/*.deb; do dpkg-deb -x $$d $(PROTO_DL)/root || exit 1; done
	@touch $@

# Copy every .proto with gogo/containerd options stripped (every inline option
# list in these files is gogo-only), so protoc-c needs only the well-known
# types, which come from libprotobuf-dev.
PROTO_SRC_STAMP := $(PROTO_ROOT)/.stripped
$(PROTO_SRC_STAMP): $(PROTO_STAMP) proto/strip-gogo.sh
	proto/strip-gogo.sh $(PROTO_DL)/root/usr/share/gocode/src $(PROTO_ROOT)
	@touch $@

$(PROTO_OUT)/%.pb-c.c $(PROTO_OUT)/%.pb-c.h: $(PROTO_SRC_STAMP)
	@mkdir -p $(PROTO_OUT)
	$(PROTOC_C) --proto_path=$(PROTO_ROOT) --c_out=$(PROTO_OUT) $(PROTO_ROOT)/$*.proto

.SECONDARY:

CFLAGS_$(PROTO_OUT) = $(call pkg_cflags,libprotobuf-c) -Wno-missing-prototypes -Wno-unused-parameter

# berth's own extension services (documented in the .proto files themselves).
TRANSFER_PROTO_C := $(PROTO_OUT)/berth/transfer/v1/transfer.pb-c.c
$(TRANSFER_PROTO_C) $(TRANSFER_PROTO_C:.c=.h) &: proto/berth/transfer/v1/transfer.proto
	@mkdir -p $(PROTO_OUT)
	$(PROTOC_C) --proto_path=proto --c_out=$(PROTO_OUT) proto/berth/transfer/v1/transfer.proto
BERTHD_PROTOS += $(TRANSFER_PROTO_C)
PROTO_GEN += $(TRANSFER_PROTO_C)
