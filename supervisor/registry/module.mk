# supervisor/registry/: the OCI distribution client (libcurl; the only <curl/...> user).
# libberthregistry.a needs $(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON) and $(REGISTRY_LDLIBS).
REGISTRY_SRCS := $(wildcard supervisor/registry/*.c)
LIBBERTHREGISTRY := $(BUILD)/libberthregistry.a
CFLAGS_supervisor/registry = $(call pkg_cflags,libcurl)
REGISTRY_LDLIBS := $(call pkg_libs,libcurl) $(call pkg_libs,json-c) $(DIGEST_LDLIBS)

$(LIBBERTHREGISTRY): $(REGISTRY_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

BERTHD_OBJS += $(REGISTRY_SRCS:%.c=$(BUILD)/%.o)
# libcurl stays a shared library in berthd (its static form drags in nghttp2, ssh, ldap,
# gssapi...), and with it libcrypto: two copies of OpenSSL in one process (a static one
# for digests, libcurl's shared one) would share neither state nor symbols safely.
# libcurl brings libnettle.so (through librtmp/gnutls); once it is in the link, ld wants the
# nettle references of the static libarchive's digest code (else gc'd) resolved by name.
BERTHD_LDLIBS += $(call pkg_libs,libcurl) -lnettle


$(eval $(call unit_test,test_registry,$(LIBBERTHREGISTRY) $(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON),$(REGISTRY_LDLIBS)))

# berthctl: login/logout write config.json, pull reads it (creds.c), login checks with /v2/.
CTL_LIBS += $(LIBBERTHREGISTRY) $(LIBBERTHCONTENT)
CTL_LDLIBS += $(REGISTRY_LDLIBS)
