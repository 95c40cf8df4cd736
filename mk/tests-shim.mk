# mk/tests-shim.mk - unit tests of common/ttrpc.c and of the shim's pure parts.
CFLAGS_tests/unit/test_ttrpc.c = $(PROTOBUF_C_CFLAGS)
CFLAGS_tests/unit/test_ttrpc_shim.c = $(PROTOBUF_C_CFLAGS)
$(eval $(call unit_test,test_ttrpc,$(LIBTTRPC) $(LIBCOMMON),$(PROTOBUF_C_LIBS)))

# the shim's modules without main(), for service and helper tests
SHIM_TEST_OBJS := $(filter-out $(BUILD)/shim/main.o,$(SHIM_OBJS)) $(SHIM_PROTOS:.c=.o)
$(eval $(call unit_test,test_ttrpc_shim,$(SHIM_TEST_OBJS) $(LIBTTRPC) $(LIBCOMMON),$(PROTOBUF_C_LIBS)))

# binary:// log URI parsing (shim/logger.c)
$(eval $(call unit_test,test_shim_logger,$(BUILD)/shim/logger.o $(LIBCOMMON),))

TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
