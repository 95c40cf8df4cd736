# mk/tests-supervisor.mk - unit tests of supervisor/ (rpc, meta, content, core, filters).
SUPERVISOR_TEST_PROTOS := $(call proto_c,google/protobuf/timestamp.proto) \
	$(call proto_c,google/protobuf/empty.proto) \
	$(call proto_c,github.com/containerd/containerd/api/services/version/v1/version.proto)
CFLAGS_tests/unit/test_rpc.c = $(SUPERVISOR_PB_CFLAGS)

$(eval $(call unit_test,test_rpc,$(SUPERVISOR_TEST_PROTOS:.c=.o) $(LIBBERTHRPC) $(LIBCOMMON),$(RPC_LDLIBS)))
$(eval $(call unit_test,test_meta,$(LIBBERTHMETA) $(LIBCOMMON),$(META_LDLIBS) -lpthread))
$(eval $(call unit_test,test_content,$(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON),$(CONTENT_LDLIBS)))
$(eval $(call unit_test,test_core_filter,$(CORE_SRCS:%.c=$(BUILD)/%.o) $(LIBSNAPSHOT) $(LIBBERTHMETA) \
	$(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON),$(META_LDLIBS) $(CONTENT_LDLIBS) -lpthread))
DEB_EXTRA += python3-grpcio
# tests/compat/dockerd-berthd.bats: the Docker Engine (dockerd 20.10 and its client) on berthd
DEB_EXTRA += docker.io
# core/ without a gRPC server: commit, leases, GC, events (meta + content + a native snapshotter)
$(eval $(call unit_test,test_core,$(CORE_SRCS:%.c=$(BUILD)/%.o) $(LIBSNAPSHOT) $(LIBBERTHMETA) \
	$(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON),$(META_LDLIBS) $(CONTENT_LDLIBS) -lpthread))
# image/ logic through an in-memory image_store: chain IDs, unpack, resolve
$(eval $(call unit_test,test_image,$(BUILD)/supervisor/image/manifest.o $(BUILD)/supervisor/image/unpack.o \
	$(LIBDIGEST) $(LIBCOMMON),$(DIGEST_LDLIBS) $(call pkg_libs,json-c)))
