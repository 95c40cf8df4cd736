/*
 * supervisor/berthd/publish.h - `berthd publish`, the shims' -publish-binary (publish.c).
 */
#ifndef BERTH_SUPERVISOR_BERTHD_PUBLISH_H
#define BERTH_SUPERVISOR_BERTHD_PUBLISH_H

/*
 * `berthd [--address SOCK] publish --topic T --namespace NS` (the shims' -publish-binary):
 * argv[0] is "publish". Publishes the packed Any read from stdin; returns the exit status.
 */
int berthd_publish_main(const char *address, int argc, char **argv);

#endif
