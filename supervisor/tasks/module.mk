# supervisor/tasks/: berthd's shim manager (bundles, shim processes, ttrpc clients, the
# ttrpc events socket) and, through supervisor/services/svc_tasks.c, the Tasks gRPC service.
#
# The shim protocol (containerd.task.v2.Task, ttrpc Events/Forward) comes from
# shim/module.mk's SHIM_PROTOS and libberthttrpc.a objects (common/ttrpc.c,
# common/evloop.c): reused here, not regenerated.
TASKS_SRCS := $(wildcard supervisor/tasks/*.c)
CFLAGS_supervisor/tasks = $(SUPERVISOR_PB_CFLAGS)

BERTHD_PROTOS += \
	$(call proto_c,$(CTRD_API)/services/tasks/v1/tasks.proto) \
	$(call proto_c,$(CTRD_API)/types/metrics.proto) \
	$(call proto_c,$(CTRD_API)/types/task/task.proto) \
	$(call proto_c,$(CTRD_API)/services/ttrpc/events/v1/events.proto) \
	$(call proto_c,$(CTRD_API)/events/task.proto) \
	$(call proto_c,github.com/containerd/containerd/runtime/v2/task/shim.proto)
PROTO_GEN += $(call proto_c,$(CTRD_API)/services/tasks/v1/tasks.proto) \
	$(call proto_c,$(CTRD_API)/types/metrics.proto)

BERTHD_OBJS += $(TASKS_SRCS:%.c=$(BUILD)/%.o) $(LIBTTRPC_OBJS)
