# supervisor/diff/: applying and computing layers (libarchive for tar/gzip/zstd, zlib to
# compress computed layers, libcrypto for the diff-id). libberthdiff.a depends on common/
# only; link with $(DIFF_LDLIBS).
DIFF_SRCS   := $(wildcard supervisor/diff/*.c)
LIBDIFF     := $(BUILD)/libberthdiff.a
CFLAGS_supervisor/diff = $(call pkg_cflags,libarchive libcrypto zlib)
DIFF_LDLIBS := $(call pkg_libs,libarchive libcrypto zlib)

$(LIBDIFF): $(DIFF_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

BERTHD_OBJS += $(DIFF_SRCS:%.c=$(BUILD)/%.o)
BERTHD_LDLIBS += $(DIFF_LDLIBS)
# libarchive-dev pulls zlib1g-dev in today; say so, since compute.c includes <zlib.h>
DEB_EXTRA += zlib1g-dev zstd
