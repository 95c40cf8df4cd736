#!/bin/sh
# tests/helpers/cgroup2-only.sh CMD [ARGS...] - runs CMD in a private mount namespace
# whose only cgroup mount is the cgroup2 hierarchy, at /sys/fs/cgroup: what a pure
# cgroup v2 host looks like to the runtime, on a hybrid host too. The hierarchy is the
# host's own (one cgroup2 hierarchy per kernel): cgroups made in it are real and visible
# at the host's cgroup2 mount; the controllers are those the host has not bound to a v1
# hierarchy (cgroup.controllers), while the core files (cgroup.freeze, cgroup.kill,
# cgroup.procs, cgroup.max.*) and eBPF device programs always work.
set -e
exec unshare -m --propagation private sh -c '
	if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup
		mount -t cgroup2 none /sys/fs/cgroup
	fi
	exec "$@"' cgroup2-only "$@"
