/*
 * supervisor/ctl/progress.h - the one-line progress display of berthctl's long transfers
 * (images import, images export), as docker draws it: "importing image.oci.tar: 12.3MB /
 * 210.4MB (5%)", rewritten in place with '\r' and ended with a newline.
 *
 * Owns only the rendering: sizes in docker's decimal units (go-units HumanSize), at most
 * one redraw per CTL_PROGRESS_INTERVAL_NS of the monotonic clock, and padding so a shorter
 * line erases a longer one. It draws only on a terminal: ctl_progress_open() gives NULL
 * when the stream is not a tty, and every other function accepts NULL and does nothing,
 * so scripted output stays byte-identical. It never prints errors (it has none).
 */
#ifndef BERTH_SUPERVISOR_CTL_PROGRESS_H
#define BERTH_SUPERVISOR_CTL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_PROGRESS_INTERVAL_NS 100000000ULL /* at most ~10 redraws a second */

/* Nanoseconds of a monotonic clock; injected by tests. */
typedef uint64_t (*ctl_progress_clock_fn)(void);

struct ctl_progress;

/*
 * A display on out (borrowed: the caller closes it) if out is a terminal, else NULL.
 * verb is "importing"/"exporting"; name is shown as its last path component ("-" as
 * what), total may be < 0 when unknown (then only the byte count is shown).
 */
struct ctl_progress *ctl_progress_open(FILE *out, const char *verb, const char *name,
				       const char *what, int64_t total);
/* The same without the tty check, with an explicit clock and width (0 = unlimited). */
struct ctl_progress *ctl_progress_new(FILE *out, const char *label, int64_t total,
				      ctl_progress_clock_fn clock, unsigned width);
/* Moves to current bytes (or by n bytes); redraws unless the last redraw is too recent. */
void ctl_progress_set(struct ctl_progress *p, int64_t current);
void ctl_progress_add(struct ctl_progress *p, int64_t n);
/* Draws the final state, ends the line and frees p. */
void ctl_progress_finish(struct ctl_progress *p);

/* docker's units.HumanSize: "%.4g" of decimal units, "0B", "999B", "12.3MB", "1.5GB". */
void ctl_progress_size(char *buf, size_t len, int64_t bytes);
/* "<label>: <cur> / <total> (<pct>%)", or "<label>: <cur>" when total < 0. */
void ctl_progress_format(char *buf, size_t len, const char *label, int64_t current, int64_t total);

#endif
