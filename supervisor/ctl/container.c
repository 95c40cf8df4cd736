/*
 * supervisor/ctl/container.c - berthctl's container records and task calls over the
 * containerd API (Containers, Tasks, Snapshots services): list, find by name or id,
 * task create/start/wait/kill/delete, and removal of a container with its task and
 * snapshot. See container.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/containers/v1/containers.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define CN(x) Containerd__Services__Containers__V1__##x
#define CN_INIT(x) CONTAINERD__SERVICES__CONTAINERS__V1__##x##__INIT
#define TK(x) Containerd__Services__Tasks__V1__##x
#define TK_INIT(x) CONTAINERD__SERVICES__TASKS__V1__##x##__INIT
#define ST(x) CONTAINERD__V1__TYPES__STATUS__##x

void ctl_container_free(struct ctl_container *ct)
{
	if (!ct)
		return;
	free(ct->id);
	free(ct->name);
	free(ct->image);
	free(ct->runtime);
	free(ct->stop_signal);
	strv_free(ct->labels);
	free(ct->spec);
	free(ct);
}

void ctl_container_freep(struct ctl_container **ct)
{
	ctl_container_free(*ct);
	*ct = NULL;
}

static void container_fill(struct ctl_container *ct, const CN(Container) * in)
{
	ct->id = xstrdup(in->id);
	ct->image = xstrdup(in->image ? in->image : "");
	ct->runtime = xstrdup(in->runtime && in->runtime->name ? in->runtime->name : "");
	for (size_t i = 0; i < in->n_labels; i++) {
		if (strcmp(in->labels[i]->key, CTL_NAME_LABEL) == 0)
			ct->name = xstrdup(in->labels[i]->value);
		else if (strcmp(in->labels[i]->key, CTL_STOPSIG_LABEL) == 0)
			ct->stop_signal = xstrdup(in->labels[i]->value);
		strv_push(&ct->labels, in->labels[i]->key);
		strv_push(&ct->labels, in->labels[i]->value);
	}
	if (in->spec) {
		ct->spec = xstrndup((const char *)in->spec->value.data, in->spec->value.len);
		ct->spec_len = in->spec->value.len;
	}
	ct->created = in->created_at ? in->created_at->seconds : 0;
}

void ctl_container_list_free(struct ctl_container *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].image);
		free(v[i].runtime);
		free(v[i].stop_signal);
		strv_free(v[i].labels);
		free(v[i].spec);
	}
	free(v);
}

int ctl_container_list(struct ctl *c, struct ctl_container **out, size_t *n, struct berth_err **err)
{
	CN(ListContainersRequest) req = CN_INIT(LIST_CONTAINERS_REQUEST);
	const CN(ListContainersResponse) * resp;
	ProtobufCMessage *m = NULL;
	struct ctl_container *v;

	if (rpc_client_invoke(c->rpc, &containerd__services__containers__v1__containers__descriptor,
			      "List", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "list containers");
	resp = (const void *)m;
	v = xcalloc(resp->n_containers + 1, sizeof(*v));
	for (size_t i = 0; i < resp->n_containers; i++)
		container_fill(&v[i], resp->containers[i]);
	*n = resp->n_containers;
	*out = v;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_container_find(struct ctl *c, const char *ref, struct ctl_container **out,
		       struct berth_err **err)
{
	struct ctl_container *v = NULL, *hit = NULL;
	size_t n = 0, prefix = 0, len = strlen(ref);

	if (ctl_container_list(c, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && !hit; i++)
		if ((v[i].name && strcmp(v[i].name, ref) == 0) || strcmp(v[i].id, ref) == 0)
			hit = &v[i];
	for (size_t i = 0; i < n && !hit && len > 0; i++)
		if (strncmp(v[i].id, ref, len) == 0)
			prefix++;
	for (size_t i = 0; i < n && !hit && prefix == 1; i++)
		if (strncmp(v[i].id, ref, len) == 0)
			hit = &v[i];
	if (!hit) {
		ctl_container_list_free(v, n);
		if (prefix > 1)
			return berth_err_new(err, BERTH_E_INVALID,
					     "container '%s': the id prefix is ambiguous", ref);
		return berth_err_new(err, BERTH_E_NOT_FOUND, "no such container: '%s'", ref);
	}
	*out = xnew(struct ctl_container);
	**out = *hit;
	memset(hit, 0, sizeof(*hit));
	ctl_container_list_free(v, n);
	return 0;
}

int ctl_task_get(struct ctl *c, const char *id, struct ctl_task_state *st, struct berth_err **err)
{
	TK(GetRequest) req = TK_INIT(GET_REQUEST);
	const TK(GetResponse) * resp;
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	memset(st, 0, sizeof(*st));
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Get",
			      &req.base, &m, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return berth_err_wrap(err, "task '%s'", id);
		berth_err_free(err);
		return 0;
	}
	resp = (const void *)m;
	if (resp->process) {
		st->status = resp->process->status;
		st->pid = resp->process->pid;
		st->exit_status = resp->process->exit_status;
		if (resp->process->exited_at)
			st->exited_ns = resp->process->exited_at->seconds * 1000000000LL +
					resp->process->exited_at->nanos;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_task_kill(struct ctl *c, const char *id, const char *exec_id, int sig, bool all,
		  struct berth_err **err)
{
	TK(KillRequest) req = TK_INIT(KILL_REQUEST);
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	req.exec_id = (char *)(exec_id ? exec_id : "");
	req.signal = (uint32_t)sig;
	req.all = all;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Kill",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "kill task '%s'", id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_task_wait(struct ctl *c, const char *id, const char *exec_id, uint32_t *status,
		  struct berth_err **err)
{
	TK(WaitRequest) req = TK_INIT(WAIT_REQUEST);
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	req.exec_id = (char *)(exec_id ? exec_id : "");
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Wait",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "wait for task '%s'", id);
	*status = ((const TK(WaitResponse) *)m)->exit_status;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_task_delete(struct ctl *c, const char *id, uint32_t *status, struct berth_err **err)
{
	TK(DeleteTaskRequest) req = TK_INIT(DELETE_TASK_REQUEST);
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Delete",
			      &req.base, &m, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return berth_err_wrap(err, "delete task '%s'", id);
		berth_err_free(err);
		return 0;
	}
	if (status)
		*status = ((const TK(DeleteResponse) *)m)->exit_status;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static int snap_mounts(struct ctl *c, const char *key, ProtobufCMessage **out,
		       struct berth_err **err)
{
	Containerd__Services__Snapshots__V1__MountsRequest req =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__MOUNTS_REQUEST__INIT;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)key;
	if (rpc_client_invoke(c->rpc, &containerd__services__snapshots__v1__snapshots__descriptor,
			      "Mounts", &req.base, out, err) < 0)
		return berth_err_wrap(err, "mounts of snapshot '%s'", key);
	return 0;
}

int ctl_task_create(struct ctl *c, const char *id, const char *in, const char *out,
		    const char *errp, bool terminal, struct berth_err **err)
{
	TK(CreateTaskRequest) req = TK_INIT(CREATE_TASK_REQUEST);
	const Containerd__Services__Snapshots__V1__MountsResponse *mr;
	ProtobufCMessage *mounts = NULL, *m = NULL;
	uint32_t pid;
	int r;

	if (snap_mounts(c, id, &mounts, err) < 0)
		return -1;
	mr = (const void *)mounts;
	req.container_id = (char *)id;
	req.rootfs = mr->mounts;
	req.n_rootfs = mr->n_mounts;
	req.stdin = (char *)in;
	req.stdout = (char *)out;
	req.stderr = (char *)errp;
	req.terminal = terminal;
	r = rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Create",
			      &req.base, &m, err);
	protobuf_c_message_free_unpacked(mounts, NULL);
	if (r < 0)
		return berth_err_wrap(err, "create task '%s'", id);
	pid = ((const TK(CreateTaskResponse) *)m)->pid;
	protobuf_c_message_free_unpacked(m, NULL);
	/* before start: the command finds lo up (netns.c) */
	if (pid > 0 && ctl_netns_loopback_up(pid, err) < 0) {
		cleanup_err struct berth_err *undo = NULL;

		ctl_task_delete(c, id, NULL, &undo);
		return berth_err_wrap(err, "task '%s'", id);
	}
	return 0;
}

int ctl_task_start(struct ctl *c, const char *id, const char *exec_id, struct berth_err **err)
{
	TK(StartRequest) req = TK_INIT(START_REQUEST);
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	req.exec_id = (char *)(exec_id ? exec_id : "");
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Start",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "start task '%s'", id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* a call whose reply is google.protobuf.Empty */
static int call_empty(struct ctl *c, const ProtobufCServiceDescriptor *svc, const char *method,
		      const ProtobufCMessage *req, struct berth_err **err)
{
	ProtobufCMessage *m = NULL;

	if (rpc_client_invoke(c->rpc, svc, method, req, &m, err) < 0)
		return -1;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

bool ctl_task_is_up(const struct ctl_task_state *st)
{
	return st->status == ST(RUNNING) || st->status == ST(PAUSED) || st->status == ST(PAUSING);
}

int ctl_task_resume(struct ctl *c, const char *id, struct berth_err **err)
{
	Containerd__Services__Tasks__V1__ResumeTaskRequest req =
		CONTAINERD__SERVICES__TASKS__V1__RESUME_TASK_REQUEST__INIT;

	req.container_id = (char *)id;
	if (call_empty(c, &containerd__services__tasks__v1__tasks__descriptor, "Resume", &req.base,
		       err) < 0)
		return berth_err_wrap(err, "resume task '%s'", id);
	return 0;
}

/* SIGKILL (a frozen task is thawed first, or it never dies), then Wait, so Delete finds the
 * task stopped. A created task that never started is killed the same way. */
static int task_force_stop(struct ctl *c, const char *id, const struct ctl_task_state *st,
			   struct berth_err **err)
{
	uint32_t status;

	if (st->status == ST(UNKNOWN) || st->status == ST(STOPPED))
		return 0;
	if ((st->status == ST(PAUSED) || st->status == ST(PAUSING)) &&
	    ctl_task_resume(c, id, err) < 0)
		return -1;
	/* someone else (run -d --rm's helper, another rm) may delete the task meanwhile */
	if (ctl_task_kill(c, id, NULL, SIGKILL, false, err) < 0 ||
	    ctl_task_wait(c, id, NULL, &status, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return -1;
		berth_err_free(err);
	}
	return 0;
}

int ctl_container_remove(struct ctl *c, const char *id, bool force, struct berth_err **err)
{
	CN(DeleteContainerRequest) del = CN_INIT(DELETE_CONTAINER_REQUEST);
	Containerd__Services__Snapshots__V1__RemoveSnapshotRequest rs =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__REMOVE_SNAPSHOT_REQUEST__INIT;
	struct ctl_task_state st;
	cleanup_free char *log = NULL;

	if (ctl_task_get(c, id, &st, err) < 0)
		return -1;
	if (ctl_task_is_up(&st) && !force)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "container '%s' is running: stop it first or use rm -f", id);
	if (task_force_stop(c, id, &st, err) < 0)
		return -1;
	if (ctl_task_delete(c, id, NULL, err) < 0)
		return -1;
	del.id = (char *)id;
	if (call_empty(c, &containerd__services__containers__v1__containers__descriptor, "Delete",
		       &del.base, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return berth_err_wrap(err, "delete container '%s'", id);
		berth_err_free(err);
	}
	rs.snapshotter = (char *)CTL_SNAPSHOTTER;
	rs.key = (char *)id;
	log = ctl_log_path(c->ns, id);
	unlink(log); /* a container run in the foreground has none */
	free(log);
	log = ctl_stdin_path(c->ns, id);
	unlink(log); /* run -d -i's */
	if (call_empty(c, &containerd__services__snapshots__v1__snapshots__descriptor, "Remove",
		       &rs.base, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return berth_err_wrap(err, "remove snapshot '%s'", id);
		berth_err_free(err);
	}
	return 0;
}

int ctl_container_set_label(struct ctl *c, const char *id, const char *key, const char *value,
			    struct berth_err **err)
{
	CN(UpdateContainerRequest) req = CN_INIT(UPDATE_CONTAINER_REQUEST);
	CN(Container) ct = CN_INIT(CONTAINER);
	CN(Container__LabelsEntry) e = CN_INIT(CONTAINER__LABELS_ENTRY);
	CN(Container__LabelsEntry) * labels[1] = {&e};
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	cleanup_free char *path = xasprintf("labels.%s", key);
	char *paths[1] = {path};
	ProtobufCMessage *m = NULL;

	e.key = (char *)key;
	e.value = (char *)value;
	ct.id = (char *)id;
	ct.labels = labels;
	ct.n_labels = 1;
	mask.paths = paths;
	mask.n_paths = 1;
	req.container = &ct;
	req.update_mask = &mask;
	if (rpc_client_invoke(c->rpc, &containerd__services__containers__v1__containers__descriptor,
			      "Update", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "label container '%s'", id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_task_start_recorded(struct ctl *c, const char *id, struct berth_err **err)
{
	char t[48];

	if (ctl_task_start(c, id, NULL, err) < 0)
		return -1;
	log_time_rfc3339(t, sizeof(t));
	return ctl_container_set_label(c, id, CTL_STARTED_LABEL, t, err);
}
