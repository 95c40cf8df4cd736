# mk/tests-tasks.mk - unit tests of supervisor/tasks (berthd's shim manager): runtime name ->
# shim binary, how the shim binary is run, the manager thread's job queue, error mapping.
# (`berthd publish`, a gRPC client, is supervisor/berthd/publish.c.) The end-to-end tests are
# tests/compat/ctr-berthd-tasks.bats (Debian's ctr -> berthd -> shim).
CFLAGS_tests/unit/test_tasks.c = $(SUPERVISOR_PB_CFLAGS)
TASKS_TEST_OBJS = $(TASKS_SRCS:%.c=$(BUILD)/%.o)
$(eval $(call unit_test,test_tasks,$(TASKS_TEST_OBJS) $(SHIM_PROTOS:.c=.o) $(LIBTTRPC) $(LIBCOMMON),$(PROTOBUF_C_LIBS) -lpthread))
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
