/*
 * supervisor/core/version.h - what berthd reports as its version (Version service,
 * --version). The revision names the API level berthd implements.
 */
#ifndef BERTH_SUPERVISOR_CORE_VERSION_H
#define BERTH_SUPERVISOR_CORE_VERSION_H

#define BERTHD_VERSION "0.1.0"
#define BERTHD_REVISION "berth (containerd 1.6 API)"

#endif
