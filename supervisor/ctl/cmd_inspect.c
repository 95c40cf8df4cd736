/*
 * supervisor/ctl/cmd_inspect.c - berthctl inspect [-f FORMAT] NAME...: a container as
 * docker shows it (a JSON array of objects with Id, Name, Created, Image, State{Status,
 * Running, Paused, Pid, ExitCode, StartedAt, FinishedAt, OOMKilled}, Config{Hostname,
 * Env, Cmd, Image, WorkingDir, User, Tty, Labels, StopSignal}, Mounts[{Type, Source,
 * Destination, RW}], HostConfig{Runtime}), built from the container record, its spec and
 * its task.
 *
 * -f/--format: "json" prints each object as one line of JSON; otherwise a Go-template
 * subset: text with {{.A.B}} (a field path: strings print bare, the rest as JSON) and
 * {{json .A}} (always JSON). StartedAt comes from the label run/start set; OOMKilled from
 * the container's memory cgroup (oom_kill in memory.oom_control on v1, memory.events on
 * v2) while it still exists, i.e. until rm or the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/config.h"
#include "supervisor/ctl/container.h"

#define ST(x) CONTAINERD__V1__TYPES__STATUS__##x
#define ZERO_TIME "0001-01-01T00:00:00Z"

static char *rfc3339(int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[32];

	if (ns <= 0)
		return xstrdup(ZERO_TIME);
	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09" PRId64 "Z", buf, ns % 1000000000);
}

static const char *status_name(const struct ctl_task_state *st)
{
	switch (st->status) {
	case ST(RUNNING):
		return "running";
	case ST(PAUSED):
	case ST(PAUSING):
		return "paused";
	case ST(STOPPED):
		return "exited";
	default:
		return "created";
	}
}

/* oom_kill of the container's memory cgroup (v1 or v2); false when unreadable */
static bool oom_killed(const char *ns, const char *id)
{
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *path =
			i == 0 ? xasprintf("/sys/fs/cgroup/memory/%s/%s/memory.oom_control", ns, id)
			       : xasprintf("/sys/fs/cgroup/%s/%s/memory.events", ns, id);
		cleanup_free char *buf = NULL;
		cleanup_err struct berth_err *e = NULL;
		const char *k;
		size_t len;

		if (fs_read_file_max(AT_FDCWD, path, 4096, &buf, &len, &e) < 0)
			continue;
		k = strstr(buf, "oom_kill ");
		return k && strtoull(k + 9, NULL, 10) > 0;
	}
	return false;
}

static const char *label(const struct ctl_container *ct, const char *key)
{
	for (size_t i = 0; ct->labels && ct->labels[i] && ct->labels[i + 1]; i += 2)
		if (strcmp(ct->labels[i], key) == 0)
			return ct->labels[i + 1];
	return NULL;
}

static struct bjson *strv_json(char **v)
{
	struct bjson *a = bjson_array_new();

	for (size_t i = 0; v && v[i]; i++)
		bjson_append_str(a, v[i]);
	return a;
}

static struct bjson *state_json(struct ctl *c, const struct ctl_container *ct,
				const struct ctl_task_state *st)
{
	struct bjson *o = bjson_object_new();
	const char *started = label(ct, CTL_STARTED_LABEL);
	cleanup_free char *fin = rfc3339(st->status == ST(STOPPED) ? st->exited_ns : 0);

	bjson_set_str(o, "Status", status_name(st));
	bjson_set_bool(o, "Running", st->status == ST(RUNNING));
	bjson_set_bool(o, "Paused", st->status == ST(PAUSED) || st->status == ST(PAUSING));
	bjson_set_bool(o, "OOMKilled", oom_killed(c->ns, ct->id));
	bjson_set_int(o, "Pid", ctl_task_is_up(st) ? st->pid : 0);
	bjson_set_int(o, "ExitCode", st->status == ST(STOPPED) ? st->exit_status : 0);
	bjson_set_str(o, "StartedAt", started && st->status != ST(UNKNOWN) ? started : ZERO_TIME);
	bjson_set_str(o, "FinishedAt", fin);
	return o;
}

static struct bjson *labels_json(const struct ctl_container *ct)
{
	struct bjson *o = bjson_object_new();

	for (size_t i = 0; ct->labels && ct->labels[i] && ct->labels[i + 1]; i += 2)
		if (strncmp(ct->labels[i], "berthctl/", 9) != 0)
			bjson_set_str(o, ct->labels[i], ct->labels[i + 1]);
	return o;
}

static void add_spec(struct bjson *o, struct bjson *cfg, const struct ctl_container *ct)
{
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;
	cleanup_err struct berth_err *e = NULL;
	struct bjson *mounts = bjson_array_new();

	bjson_set_take(o, "Mounts", mounts);
	if (!ct->spec || oci_spec_parse(ct->spec, ct->spec_len, "spec", &s, &e) < 0 || !s->process)
		return;
	bjson_set_str(cfg, "Hostname", s->hostname ? s->hostname : "");
	bjson_set_take(cfg, "Env", strv_json(s->process->env));
	bjson_set_take(cfg, "Cmd", strv_json(s->process->args));
	bjson_set_str(cfg, "WorkingDir", s->process->cwd ? s->process->cwd : "");
	{
		cleanup_free char *u = xasprintf("%u:%u", (unsigned)s->process->user.uid,
						 (unsigned)s->process->user.gid);

		bjson_set_str(cfg, "User", u);
	}
	bjson_set_bool(cfg, "Tty", s->process->terminal);
	/* docker lists binds, volumes and tmpfs mounts the user asked for: the spec's binds
	 * (berth's default spec has none) and tmpfs mounts outside /dev, /run's default */
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		bool bind = (m->type && strcmp(m->type, "bind") == 0) || m->bind;
		bool tmpfs = m->type && strcmp(m->type, "tmpfs") == 0 &&
			     strncmp(m->destination, "/dev", 4) != 0 &&
			     strcmp(m->destination, "/run") != 0;
		struct bjson *j;

		if (!bind && !tmpfs)
			continue;
		j = bjson_object_new();
		bjson_set_str(j, "Type", bind ? "bind" : "tmpfs");
		bjson_set_str(j, "Source", bind && m->source ? m->source : "");
		bjson_set_str(j, "Destination", m->destination);
		bjson_set_bool(j, "RW", !strv_contains(m->options, "ro"));
		bjson_append_take(mounts, j);
	}
}

static struct bjson *container_json(struct ctl *c, const struct ctl_container *ct,
				    const struct ctl_task_state *st)
{
	struct bjson *o = bjson_object_new(), *cfg = bjson_object_new(), *host;
	cleanup_free char *name = xasprintf("/%s", ct->name ? ct->name : "");
	cleanup_free char *created = rfc3339(ct->created * 1000000000LL);
	const char *sig = label(ct, CTL_STOPSIG_LABEL);

	bjson_set_str(o, "Id", ct->id);
	bjson_set_str(o, "Name", name);
	bjson_set_str(o, "Created", created);
	bjson_set_str(o, "Image", ct->image);
	bjson_set_take(o, "State", state_json(c, ct, st));
	bjson_set_str(cfg, "Image", ct->image);
	bjson_set_take(cfg, "Labels", labels_json(ct));
	bjson_set_str(cfg, "StopSignal", sig ? sig : "SIGTERM");
	add_spec(o, cfg, ct);
	bjson_set_take(o, "Config", cfg);
	host = bjson_object_new();
	bjson_set_str(host, "Runtime", ct->runtime);
	bjson_set_take(o, "HostConfig", host);
	return o;
}

/* The value at ".A.B" of o, printed into out (strings bare unless as_json). */
static int field(const struct bjson *o, const char *path, bool as_json, FILE *out,
		 struct berth_err **err)
{
	cleanup_free char *p = xstrdup(path), *js = NULL;
	const struct bjson *v = o;

	if (p[0] != '.')
		return berth_err_new(
			err, BERTH_E_INVALID,
			"usage: --format: '%s' is not a field path such as .State.Status", path);
	for (char *seg = strtok(p + 1, "."); seg && v; seg = strtok(NULL, "."))
		v = bjson_is_object(v) ? bjson_get(v, seg) : NULL;
	if (!v && strcmp(path, ".") != 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: --format: no field '%s' (see berthctl inspect NAME)",
				     path);
	if (!as_json && bjson_str(v)) {
		fputs(bjson_str(v), out);
		return 0;
	}
	js = bjson_to_string(v, BJSON_PLAIN);
	fputs(js, out);
	return 0;
}

/* Prints the template with each {{ .path }} / {{json .path}} replaced. */
static int render(const struct bjson *o, const char *tmpl, FILE *out, struct berth_err **err)
{
	const char *s = tmpl;

	while (*s) {
		const char *open = strstr(s, "{{"), *close;
		cleanup_free char *expr = NULL;
		char *e;
		bool as_json = false;

		if (!open) {
			fputs(s, out);
			break;
		}
		fwrite(s, 1, (size_t)(open - s), out);
		close = strstr(open, "}}");
		if (!close)
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: --format: '{{' without '}}'");
		expr = xstrndup(open + 2, (size_t)(close - open - 2));
		e = expr + strspn(expr, " ");
		if (strncmp(e, "json ", 5) == 0) {
			as_json = true;
			e += 5 + strspn(e + 5, " ");
		}
		e[strcspn(e, " ")] = '\0';
		if (field(o, e, as_json, out, err) < 0)
			return -1;
		s = close + 2;
	}
	fputc('\n', out);
	return 0;
}

int ctl_cmd_inspect(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	cleanup(bjson_freep) struct bjson *arr = bjson_array_new();
	const char *format = NULL;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "+f:h", opts, NULL)) != -1) {
		if (opt == 'f') {
			format = optarg;
			continue;
		}
		if (opt == 'h') {
			puts("Usage: berthctl inspect [-f FORMAT] NAME...\n\n"
			     "Show containers as JSON. FORMAT: json, or a template such as "
			     "'{{.State.Status}}' or '{{json .Config}}'.");
			return 0;
		}
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl inspect [-f FORMAT] NAME...");
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl inspect [-f FORMAT] NAME...");
	for (int i = 0; i < argc; i++) {
		cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
		struct ctl_task_state st;
		struct bjson *o;

		if (ctl_container_find(c, argv[i], &ct, err) < 0 ||
		    ctl_task_get(c, ct->id, &st, err) < 0) {
			ctl_err_print(c, err);
			continue;
		}
		o = container_json(c, ct, &st);
		if (format && strcmp(format, "json") == 0) {
			cleanup_free char *s = bjson_to_string(o, BJSON_PLAIN);

			puts(s);
			bjson_free(o);
		} else if (format) {
			int r = render(o, format, stdout, err);

			bjson_free(o);
			if (r < 0)
				return -1;
		} else {
			bjson_append_take(arr, o);
		}
	}
	if (!format) {
		cleanup_free char *s = bjson_to_string(arr, BJSON_PRETTY);

		puts(s);
	}
	return 0;
}
