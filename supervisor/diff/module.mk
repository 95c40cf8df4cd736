# supervisor/diff/: applying and computing layers (libarchive for tar/gzip/zstd, zlib to
# compress computed layers, common/digest.c for the diff-id). libberthdiff.a depends on
# common/ only; link it with $(LIBDIGEST) $(LIBCOMMON) $(DIFF_LDLIBS).
DIFF_SRCS   := $(wildcard supervisor/diff/*.c)
LIBDIFF     := $(BUILD)/libberthdiff.a
CFLAGS_supervisor/diff = $(call pkg_cflags,libarchive zlib)
DIFF_LDLIBS := $(call pkg_libs,libarchive zlib) $(DIGEST_LDLIBS)

$(LIBDIFF): $(DIFF_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

BERTHD_OBJS += $(DIFF_SRCS:%.c=$(BUILD)/%.o)
BERTHD_LDLIBS += $(DIFF_LDLIBS)
# libarchive-dev pulls zlib1g-dev in today; say so, since compute.c includes <zlib.h>
DEB_EXTRA += zlib1g-dev zstd
