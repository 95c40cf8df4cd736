# supervisor/registry/: the OCI distribution client (libcurl; the only <curl/...> user).
# libberthregistry.a needs $(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON) and $(REGISTRY_LDLIBS).
REGISTRY_SRCS := $(wildcard supervisor/registry/*.c)
LIBBERTHREGISTRY := $(BUILD)/libberthregistry.a
CFLAGS_supervisor/registry = $(call pkg_cflags,libcurl)
# libcurl is dlopen()ed (curl_dl.h says why): only its headers are needed at build time.
REGISTRY_LDLIBS := -ldl -lpthread $(call pkg_libs,json-c) $(DIGEST_LDLIBS)

$(LIBBERTHREGISTRY): $(REGISTRY_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

BERTHD_OBJS += $(REGISTRY_SRCS:%.c=$(BUILD)/%.o)


$(eval $(call unit_test,test_registry,$(LIBBERTHREGISTRY) $(LIBBERTHCONTENT) $(LIBDIGEST) $(LIBCOMMON),$(REGISTRY_LDLIBS)))

# berthctl: login/logout write config.json, pull reads it (creds.c), login checks with /v2/.
CTL_LIBS += $(LIBBERTHREGISTRY) $(LIBBERTHCONTENT)
CTL_LDLIBS += $(REGISTRY_LDLIBS)
