/*
 * supervisor/ctl/cmd_ps.c - berthctl ps [-a] [-q]: containers with their task's state, as
 * docker ps shows them (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, NAMES).
 *
 * NAMES is "-" for a container run without --name (ctr's, for one).
 * STATUS: "running", "paused", "exited (N)" (a stopped task, N its exit status) or
 * "created" (no task, or one not started). Without -a only running and paused ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define ST(x) CONTAINERD__V1__TYPES__STATUS__##x

static int list_tasks(struct ctl *c, ProtobufCMessage **out, struct berth_err **err)
{
	Containerd__Services__Tasks__V1__ListTasksRequest req =
		CONTAINERD__SERVICES__TASKS__V1__LIST_TASKS_REQUEST__INIT;

	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "List",
			      &req.base, out, err) < 0)
		return berth_err_wrap(err, "list tasks");
	return 0;
}

static const Containerd__V1__Types__Process *
task_of(const Containerd__Services__Tasks__V1__ListTasksResponse *t, const char *id)
{
	/* containerd fills in id (the container's); container_id may be empty */
	for (size_t i = 0; i < t->n_tasks; i++)
		if (strcmp(t->tasks[i]->id, id) == 0 || strcmp(t->tasks[i]->container_id, id) == 0)
			return t->tasks[i];
	return NULL;
}

static char *status_text(const Containerd__V1__Types__Process *p)
{
	if (!p)
		return xstrdup("created");
	switch (p->status) {
	case ST(RUNNING):
		return xstrdup("running");
	case ST(PAUSED):
	case ST(PAUSING):
		return xstrdup("paused");
	case ST(STOPPED):
		return xasprintf("exited (%u)", p->exit_status);
	default:
		return xstrdup("created");
	}
}

/* "sleep 1000", quoted as docker does, cut to 20 columns */
static char *command_text(const struct ctl_container *ct)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	const struct bjson *args;
	char **v = NULL;
	char *s, *q;

	if (!ct->spec || bjson_parse(ct->spec, ct->spec_len, "spec", &doc, NULL) < 0)
		return xstrdup("\"\"");
	args = bjson_get(bjson_get(doc, "process"), "args");
	for (size_t i = 0; args && i < bjson_array_len(args); i++) {
		const char *a = bjson_str(bjson_array_get(args, i));

		if (a)
			strv_push(&v, a);
	}
	s = v ? strv_join(v, " ") : xstrdup("");
	strv_free(v);
	if (strlen(s) > 20)
		strcpy(s + 17, "...");
	q = xasprintf("\"%s\"", s);
	free(s);
	return q;
}

int ctl_cmd_ps(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	const Containerd__Services__Tasks__V1__ListTasksResponse *tasks;
	struct ctl_container *v = NULL;
	ProtobufCMessage *m = NULL;
	bool all = false, quiet = false, full = false;
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = true;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[i], "-aq") == 0 || strcmp(argv[i], "-qa") == 0)
			all = quiet = true;
		else if (strcmp(argv[i], "--no-trunc") == 0)
			full = true;
		else
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: berthctl ps [-a] [-q] [--no-trunc]");
	}
	if (ctl_container_list(c, &v, &n, err) < 0)
		return -1;
	if (list_tasks(c, &m, err) < 0) {
		ctl_container_list_free(v, n);
		return -1;
	}
	tasks = (const void *)m;
	if (!quiet)
		printf("%-12s   %-30s %-22s %-16s %-14s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
		       "CREATED", "STATUS", "NAMES");
	for (size_t i = 0; i < n; i++) {
		const Containerd__V1__Types__Process *p = task_of(tasks, v[i].id);
		cleanup_free char *st = status_text(p), *cmd = NULL, *ago = NULL;
		bool up = p && (p->status == ST(RUNNING) || p->status == ST(PAUSED) ||
				p->status == ST(PAUSING));

		if (!all && !up)
			continue;
		if (quiet) {
			printf("%.*s\n", full ? 64 : 12, v[i].id);
			continue;
		}
		cmd = command_text(&v[i]);
		ago = ctl_human_ago(v[i].created * 1000000000LL);
		printf("%-12.*s   %-30s %-22s %-16s %-14s %s\n", full ? 64 : 12, v[i].id,
		       v[i].image, cmd, ago, st, v[i].name ? v[i].name : "-");
	}
	protobuf_c_message_free_unpacked(m, NULL);
	ctl_container_list_free(v, n);
	return 0;
}
