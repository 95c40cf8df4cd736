# supervisor/: berthd (the containerd 1.6 gRPC API daemon) and berthctl.
#
# Layout (docs/supervisor.md; `make lint` checks who includes whom): rpc/ (gRPC core
# server, the only <grpc/...> user), meta/ (SQLite, the only <sqlite3.h> user), content/
# (blob store), core/ (namespaced, lease-aware operations: commit, GC, leases, events,
# filters), services/ (one svc_<name>.c per gRPC service), berthd/ (main, config,
# publish), ctl/ (berthctl), image/ (image logic and archive parsing: libarchive), cni/
# (the CNI client, supervisor/cni/module.mk).
#
# For other module.mk files (snapshot/, diff/, tasks/, cri/ ...):
#   BERTHD_OBJS    += objects to link into berthd (duplicates are removed at link time)
#   BERTHD_PROTOS  += generated .pb-c.c files berthd needs (also add them to PROTO_GEN;
#                     their .o are linked once, duplicates removed)
#   BERTHD_LDLIBS  += extra libraries for berthd
#   Every supervisor/services/*.c is compiled and linked into berthd already (wildcard),
#   with CFLAGS_supervisor/services (protobuf-c, -I$(PROTO_OUT)); a service is enabled by
#   declaring its `svc_<name>_service` in supervisor/services/services.h and listing it in
#   supervisor/berthd/main.c.
# Libraries (also for unit tests): $(LIBBERTHRPC) $(LIBBERTHMETA) $(LIBBERTHCONTENT)
# (+ $(LIBDIGEST) from common/module.mk).
# berthd itself links the third-party libraries statically (BERTHD_STATIC, below), for
# its idle memory; unit tests and berthctl link them dynamically.

CTRD_API := github.com/containerd/containerd/api
BERTHD_PROTOS += \
	$(call proto_c,google/protobuf/any.proto) \
	$(call proto_c,google/protobuf/empty.proto) \
	$(call proto_c,google/protobuf/timestamp.proto) \
	$(call proto_c,google/protobuf/field_mask.proto) \
	$(call proto_c,google/rpc/status.proto) \
	$(call proto_c,health/v1/health.proto) \
	$(call proto_c,$(CTRD_API)/types/descriptor.proto) \
	$(call proto_c,$(CTRD_API)/types/platform.proto) \
	$(call proto_c,$(CTRD_API)/types/mount.proto) \
	$(call proto_c,$(CTRD_API)/services/version/v1/version.proto) \
	$(call proto_c,$(CTRD_API)/services/namespaces/v1/namespace.proto) \
	$(call proto_c,$(CTRD_API)/services/introspection/v1/introspection.proto) \
	$(call proto_c,$(CTRD_API)/services/content/v1/content.proto) \
	$(call proto_c,$(CTRD_API)/services/images/v1/images.proto) \
	$(call proto_c,$(CTRD_API)/services/leases/v1/leases.proto) \
	$(call proto_c,$(CTRD_API)/services/events/v1/events.proto) \
	$(call proto_c,$(CTRD_API)/services/snapshots/v1/snapshots.proto) \
	$(call proto_c,$(CTRD_API)/services/diff/v1/diff.proto) \
	$(call proto_c,$(CTRD_API)/services/containers/v1/containers.proto) \
	$(call proto_c,$(CTRD_API)/events/image.proto) \
	$(call proto_c,$(CTRD_API)/events/namespace.proto) \
	$(call proto_c,$(CTRD_API)/events/content.proto) \
	$(call proto_c,$(CTRD_API)/events/snapshot.proto) \
	$(call proto_c,$(CTRD_API)/events/container.proto)
PROTO_GEN += $(BERTHD_PROTOS)

# google/rpc/status.proto is ours (supervisor/proto/); put it where protoc-c looks.
$(PROTO_ROOT)/google/rpc/status.proto: supervisor/proto/google/rpc/status.proto $(PROTO_SRC_STAMP)
	@mkdir -p $(@D)
	cp $< $@
$(call proto_c,google/rpc/status.proto) $(call proto_h,google/rpc/status.proto) \
$(call proto_c,$(CTRD_API)/services/introspection/v1/introspection.proto) \
$(call proto_h,$(CTRD_API)/services/introspection/v1/introspection.proto): \
	$(PROTO_ROOT)/google/rpc/status.proto

# health/v1/health.proto is ours too: the published gRPC health protocol, package
# grpc.health.v1 (kept out of grpc/ so that its header is not taken for gRPC core's).
$(PROTO_ROOT)/health/v1/health.proto: supervisor/proto/health/v1/health.proto $(PROTO_SRC_STAMP)
	@mkdir -p $(@D)
	cp $< $@
$(call proto_c,health/v1/health.proto) $(call proto_h,health/v1/health.proto): \
	$(PROTO_ROOT)/health/v1/health.proto

SUPERVISOR_PB_CFLAGS := $(call pkg_cflags,libprotobuf-c) -I$(PROTO_OUT)

# rpc/: the only user of gRPC headers.
LIBBERTHRPC := $(BUILD)/libberthrpc.a
RPC_SRCS := $(wildcard supervisor/rpc/*.c)
CFLAGS_supervisor/rpc = $(call pkg_cflags,grpc_unsecure libprotobuf-c)
RPC_LDLIBS := $(call pkg_libs,grpc_unsecure libprotobuf-c) -lpthread
$(LIBBERTHRPC): $(RPC_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# meta/: the only user of sqlite. schema.sql is compiled in as a C string.
LIBBERTHMETA := $(BUILD)/libberthmeta.a
META_SRCS := $(wildcard supervisor/meta/*.c)
CFLAGS_supervisor/meta = $(call pkg_cflags,sqlite3)
META_LDLIBS := $(call pkg_libs,sqlite3)
META_SCHEMA_C := $(BUILD)/supervisor/meta/schema_sql.c
$(META_SCHEMA_C): supervisor/meta/schema.sql
	@mkdir -p $(@D)
	{ echo '/* generated from supervisor/meta/schema.sql */'; \
	  echo 'const char meta_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@
$(META_SCHEMA_C:.c=.o): $(META_SCHEMA_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<
$(LIBBERTHMETA): $(META_SRCS:%.c=$(BUILD)/%.o) $(META_SCHEMA_C:.c=.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# content/: the blob store (SHA-256 from common/digest.c: link $(LIBDIGEST) after it).
LIBBERTHCONTENT := $(BUILD)/libberthcontent.a
CONTENT_SRCS := $(wildcard supervisor/content/*.c)
CONTENT_LDLIBS := $(DIGEST_LDLIBS)
$(LIBBERTHCONTENT): $(CONTENT_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# image/: image logic (image.h: manifests, resolve, unpack through a struct image_store)
# and archive reading for berthctl (libarchive; with diff/ the only <archive.h> user).
IMAGE_SRCS := $(wildcard supervisor/image/*.c)
CFLAGS_supervisor/image = $(call pkg_cflags,libarchive)
IMAGE_LDLIBS := $(call pkg_libs,libarchive) $(DIGEST_LDLIBS)

# core/: the components struct and the namespaced, lease-aware operations (no protobuf)
CORE_SRCS := $(wildcard supervisor/core/*.c)
BERTHD_OBJS += $(CORE_SRCS:%.c=$(BUILD)/%.o)

# services/ + berthd/
SVC_SRCS := $(wildcard supervisor/services/*.c)
CFLAGS_supervisor/services = $(SUPERVISOR_PB_CFLAGS)
CFLAGS_supervisor/berthd = $(SUPERVISOR_PB_CFLAGS)
BERTHD_OBJS += $(SVC_SRCS:%.c=$(BUILD)/%.o) $(patsubst %.c,$(BUILD)/%.o,$(wildcard supervisor/berthd/*.c))
BERTHD_LDLIBS += $(RPC_LDLIBS) $(META_LDLIBS) $(CONTENT_LDLIBS) $(call pkg_libs,json-c)

BERTHD := $(BUILD)/berthd
BINS += $(BERTHD)
INSTALL_BINS += $(BERTHD)

# Idle memory: berthd links its third-party libraries statically, with its start-up code
# laid out together (BERTHD_STATIC=1, the default; 0 links them dynamically as before,
# and ASAN builds always do). Goal: idle RSS <= 0.25x containerd's (bench/supervisor.sh).
#
# Why: berthd's idle RSS is mostly file pages of code, not heap. Measured with /proc/<pid>/
# smaps (Debian 12, kernel 6.18): dynamically linked, berthd idled at 14.3 MB (RssAnon
# 2.0 MB, RssFile 12.2 MB) in 66 mappings. Each shared library costs its ELF head
# (.dynsym/.dynstr/.rela.dyn, read in full by ld.so with BIND_NOW: 840 kB for
# libgrpc_unsecure, 790 kB libcrypto, 610 kB libstdc++, 420 kB libicuuc), its relocated
# .data.rel.ro (anon), and 64 kB fault-around windows of text; libarchive alone dragged in
# libxml2 + ICU + nettle + lzma + bz2 + lz4 + acl (1.6 MB) for formats berthd never uses.
#  - Static .a files (all shipped by the -dev packages of mk/deps.mk) + --gc-sections: only
#    the code berthd references is linked (no libxml2/ICU/nettle); 14.3 -> 9.0 MB.
#  - -z pack-relative-relocs (DT_RELR, glibc >= 2.36): the PIE's 660 kB .rela.dyn, read at
#    every start, becomes 8 kB; -> 8.7 MB.
#  - supervisor/berthd/hot-text.ld (generated by hot-text.sh, see there): the ~1 MB of code
#    that runs at start-up goes first and together instead of being spread over 6.6 MB of
#    text in 64 kB fault-around windows; -> 7.4 MB.
# libc, libm (its .a cannot be mixed with a dynamic libc) and libzstd (no .a without
# libzstd-dev) stay dynamic; libcurl is dlopen()ed on the first pull or push
# (supervisor/registry/curl_dl.h). $(BERTHD).map is the link map hot-text.sh reads.
# Trade-off: a Debian security update of one of these libraries needs a rebuild of berthd.
BERTHD_STATIC ?= $(if $(filter 1,$(ASAN)),0,1)
# supervisor/berthd/hot-text.sh runs berthd under callgrind to regenerate hot-text.ld
DEB_EXTRA += valgrind
BERTHD_HOT_TEXT := supervisor/berthd/hot-text.ld
# grpc_unsecure's static list (abseil), minus the glibc stubs; plus what its .pc omits
BERTHD_GRPC_STATIC := $(filter-out -lrt -latomic,$(filter -l%,\
	$(shell $(PKG_CONFIG) --static --libs grpc_unsecure 2>/dev/null))) -lupb -lcares -laddress_sorting
BERTHD_STATIC_LIBS := $(BERTHD_GRPC_STATIC) -lprotobuf-c -lsqlite3 -ljson-c -larchive -lcrypto -lz \
	-lstdc++
ifeq ($(BERTHD_STATIC),1)
BERTHD_LDFLAGS := -static-libgcc -Wl,--gc-sections -Wl,--as-needed -Wl,-z,pack-relative-relocs \
	-Wl,-Map,$(BERTHD).map -Wl,-T,$(BERTHD_HOT_TEXT)
BERTHD_LDDEPS := $(BERTHD_HOT_TEXT)
# the same libraries as BERTHD_LDLIBS names them, now taken from the static group
BERTHD_LINK_LIBS = -Wl,-Bstatic -Wl,--start-group $(BERTHD_STATIC_LIBS) -Wl,--end-group \
	-Wl,-Bdynamic -l:libzstd.so.1 -lm -ldl -lpthread \
	$(filter-out $(BERTHD_STATIC_LIBS) -lgpr -lgrpc_unsecure -larchive -lcrypto -lz,$(BERTHD_LDLIBS))
else
BERTHD_LDFLAGS :=
BERTHD_LDDEPS :=
BERTHD_LINK_LIBS = $(BERTHD_LDLIBS)
endif

# (BERTHD_OBJS/BERTHD_PROTOS are expanded when the recipe runs: later module.mk
# files can still add to them.)
.SECONDEXPANSION:
$(BERTHD): $$(sort $$(BERTHD_OBJS) $$(patsubst %.c,%.o,$$(BERTHD_PROTOS))) $(LIBBERTHRPC) $(LIBBERTHMETA) \
		$(LIBBERTHCONTENT) $(LIBSPEC) $(LIBDIGEST) $(LIBCOMMON) $(BERTHD_LDDEPS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(BERTHD_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBBERTHRPC) $(LIBBERTHMETA) \
		$(LIBBERTHCONTENT) $(LIBSPEC) $(LIBDIGEST) $(LIBCOMMON) $(BERTHD_LINK_LIBS)

# berthctl: gRPC client (rpc/client.c) + image archive parsing.
CTL_SRCS := $(wildcard supervisor/ctl/*.c)
CFLAGS_supervisor/ctl = $(SUPERVISOR_PB_CFLAGS)
ifneq ($(CTL_SRCS),)
BERTHCTL := $(BUILD)/berthctl
BINS += $(BERTHCTL)
INSTALL_BINS += $(BERTHCTL)
# CTL_LIBS / CTL_LDLIBS: libraries other folders add for berthctl (registry/: credentials).
$(BERTHCTL): $(CTL_SRCS:%.c=$(BUILD)/%.o) $(IMAGE_SRCS:%.c=$(BUILD)/%.o) \
		$$(sort $$(patsubst %.c,%.o,$$(BERTHD_PROTOS))) $(LIBBERTHRPC) $(LIBSPEC) $(LIBDIGEST) \
		$(LIBCOMMON) $$(CTL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CTL_LIBS) $(LIBBERTHRPC) $(LIBSPEC) $(LIBDIGEST) \
		$(LIBCOMMON) $(RPC_LDLIBS) $(IMAGE_LDLIBS) $(call pkg_libs,json-c) $(CTL_LDLIBS)
endif

.PHONY: supervisor
supervisor: $(BERTHD) $(BERTHCTL)
