/*
 * bench/snapbench.c - times the snapshotter library's Prepare, Commit and Remove at
 * scale (issue #10), without gRPC: bench/snapshots.sh builds and runs it.
 *
 *   snapbench DRIVER ROOT N   prepares N active snapshots, commits each, removes each;
 *                             prints per phase: total seconds and mean ms per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/err.h"
#include "supervisor/snapshot/snapshot.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int phase(struct snapshotter *s, const char *what, int n, struct berth_err **err)
{
	double t0 = now();
	char key[64], name[64];

	for (int i = 0; i < n; i++) {
		struct snap_mounts m = {0};
		int r;

		snprintf(key, sizeof(key), "k%d", i);
		snprintf(name, sizeof(name), "c%d", i);
		if (what[0] == 'p')
			r = snap_prepare(s, "bench", key, NULL, NULL, &m, err);
		else if (what[0] == 'c')
			r = snap_commit(s, "bench", name, key, NULL, err);
		else
			r = snap_remove(s, "bench", name, err);
		snap_mounts_free(&m);
		if (r < 0)
			return -1;
	}
	printf("%-8s %6d calls %8.2f s %8.3f ms/call\n", what, n, now() - t0,
	       (now() - t0) * 1e3 / n);
	return 0;
}

int main(int argc, char **argv)
{
	struct berth_err *err = NULL;
	struct snapshotter *s;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: snapbench DRIVER ROOT N\n");
		return 2;
	}
	n = atoi(argv[3]);
	s = snap_open(argv[1], argv[2], &err);
	if (!s || phase(s, "prepare", n, &err) < 0 || phase(s, "commit", n, &err) < 0 ||
	    phase(s, "remove", n, &err) < 0) {
		fprintf(stderr, "snapbench: %s\n", err ? err->msg : "?");
		return 1;
	}
	snap_close(s);
	return 0;
}
