# supervisor/cni/: the CNI client (plugin chains, results, netns files). No protobuf,
# no third-party headers: JSON through common/bjson.c.
# libberthcni.a needs $(LIBCOMMON) and $(CNI_LDLIBS).
CNI_SRCS := $(wildcard supervisor/cni/*.c)
LIBBERTHCNI := $(BUILD)/libberthcni.a
CNI_LDLIBS := $(call pkg_libs,json-c) -lpthread

$(LIBBERTHCNI): $(CNI_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(eval $(call unit_test,test_cni,$(LIBBERTHCNI) $(LIBCOMMON),$(CNI_LDLIBS)))

# cnitool: the test driver of tests/integration/cni/ (tests/helpers/cnitool.c).
TEST_BINS += $(BUILD)/tests/helpers/cnitool
$(BUILD)/tests/helpers/cnitool: $(BUILD)/tests/helpers/cnitool.o $(LIBBERTHCNI) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CNI_LDLIBS)
