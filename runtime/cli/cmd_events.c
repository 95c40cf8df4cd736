/*
 * runtime/cli/cmd_events.c - `berth events [--stats] [--interval 5s] <id>`.
 *
 * --stats prints one stats record and exits; otherwise records stream to
 * stdout, one JSON line each (runtime/lib/events.h), until the container's
 * init exits or SIGINT/SIGTERM arrives (exit 0 either way). The signals are
 * blocked and read from a signalfd, so they end the loop between two records
 * and never cut a line in half.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/events.h"

static int print_record(const char *json, void *ctx, struct berth_err **err)
{
	return cli_print(json, err);
}

static int stats_once(struct rt_container *c, struct berth_err **err)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *s = NULL;

	if (rt_container_status(c) == RT_STATUS_STOPPED)
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     c->id);
	if (rt_cgroup_open(c->st->cgroups_path, c->id, c->st->systemd_cgroup, &cg, err) < 0 ||
	    rt_events_stats_json(cg, c->id, &s, err) < 0)
		return -1;
	return cli_print(s, err);
}

static int stream(struct rt_container *c, uint64_t interval_ns, struct berth_err **err)
{
	sigset_t set, old;
	struct signalfd_siginfo si;
	cleanup_close int sfd = -1;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* a closed stdout is an error from cli_print, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return berth_err_sys(err, errno, "sigprocmask");
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		ret = berth_err_sys(err, errno, "signalfd");
	else
		ret = rt_events_watch(c, interval_ns, sfd, print_record, NULL, err);
	/* consume the signal that ended the watch, or unblocking would deliver it */
	while (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si))
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int cmd_events(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	const char *interval = "5s";
	uint64_t ns = 0;
	bool help = false, stats = false;
	const struct cli_flag flags[] = {
		{"interval", 0, CLI_STRING, &interval,
		 "set the stats collection interval (default: 5s)"},
		{"stats", 0, CLI_BOOL, &stats, "display the container's stats then exit"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage(
			"events [options] <container-id>",
			"Display container events such as OOM notifications, cpu, memory, and IO\n"
			"usage statistics: one JSON record per line, stats once per interval.",
			flags);
		return 0;
	}
	if (cli_args_want("events", argc, i, 1, 1, err) < 0)
		return -1;
	if (rt_duration_parse(interval, &ns) < 0)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"invalid value '%s' for --interval: not a duration (e.g. 5s, 500ms)",
			interval);
	if (ns == 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "duration interval must be greater than 0");
	if (rt_container_load(&cli->ctx, argv[i], false, &c, err) < 0)
		return -1;
	return (stats ? stats_once(c, err) : stream(c, ns, err)) < 0 ? -1 : 0;
}
