# mk/tests-rpcfuzz.mk - tests/helpers/rpcfuzz: malformed requests to every method of every
# berthd gRPC service (tests/compat/ctr-berthd-daemon.bats runs it). Links the same
# protobuf-c messages as berthd (BERTHD_PROTOS is complete here: mk/tests-*.mk come last).
TEST_BINS += $(BUILD)/tests/helpers/rpcfuzz
CFLAGS_tests/helpers/rpcfuzz.c = $(SUPERVISOR_PB_CFLAGS)
$(BUILD)/tests/helpers/rpcfuzz: $(BUILD)/tests/helpers/rpcfuzz.o \
		$(sort $(BERTHD_PROTOS:.c=.o)) $(LIBBERTHRPC) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(RPC_LDLIBS)
