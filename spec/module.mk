# spec/: OCI runtime and image spec (json-c). libberthspec.a depends on common/ only.
SPEC_SRCS := $(wildcard spec/*.c)
LIBSPEC   := $(BUILD)/libberthspec.a
CFLAGS_spec = $(call pkg_cflags,json-c)

$(LIBSPEC): $(SPEC_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
