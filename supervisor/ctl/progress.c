/*
 * supervisor/ctl/progress.c - berthctl's one-line transfer progress. See progress.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "supervisor/ctl/progress.h"

#define LINE_MAX_LEN 512

struct ctl_progress {
	FILE *out; /* borrowed */
	char *label;
	int64_t total, current;
	ctl_progress_clock_fn clock;
	uint64_t last_ns;
	bool drawn;
	unsigned width;	 /* terminal columns, 0 = unknown */
	size_t prev_len; /* what the last draw printed, to blank a longer line's tail */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void ctl_progress_size(char *buf, size_t len, int64_t bytes)
{
	/* go-units' decimapAbbrs; HumanSize is CustomSize("%.4g%s", size, 1000.0, ...) */
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)(bytes < 0 ? 0 : bytes);
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

void ctl_progress_format(char *buf, size_t len, const char *label, int64_t current, int64_t total)
{
	char cur[32], tot[32];
	int pct;

	ctl_progress_size(cur, sizeof(cur), current);
	if (total < 0) {
		snprintf(buf, len, "%s: %s", label, cur);
		return;
	}
	ctl_progress_size(tot, sizeof(tot), total);
	/* a descriptor may understate a blob's size: never show more than 100% */
	if (total == 0 || current >= total)
		pct = 100;
	else
		pct = current <= 0 ? 0 : (int)((double)current * 100 / (double)total);
	snprintf(buf, len, "%s: %s / %s (%d%%)", label, cur, tot, pct);
}

struct ctl_progress *ctl_progress_new(FILE *out, const char *label, int64_t total,
				      ctl_progress_clock_fn clock, unsigned width)
{
	struct ctl_progress *p = xnew(struct ctl_progress);

	p->out = out;
	p->label = xstrdup(label);
	p->total = total;
	p->clock = clock ? clock : monotonic_ns;
	p->width = width;
	return p;
}

struct ctl_progress *ctl_progress_open(FILE *out, const char *verb, const char *name,
				       const char *what, int64_t total)
{
	struct winsize ws = {0};
	const char *base = strrchr(name, '/');
	char *label;
	struct ctl_progress *p;

	if (!isatty(fileno(out)))
		return NULL;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) < 0)
		ws.ws_col = 0;
	if (strcmp(name, "-") == 0)
		base = what;
	else
		base = base && base[1] ? base + 1 : name;
	label = xasprintf("%s %s", verb, base);
	p = ctl_progress_new(out, label, total, NULL, ws.ws_col);
	free(label);
	return p;
}

static void draw(struct ctl_progress *p)
{
	char line[LINE_MAX_LEN];
	size_t len;

	ctl_progress_format(line, sizeof(line), p->label, p->current, p->total);
	len = strlen(line);
	/* a line as wide as the terminal would wrap, and '\r' would then rewrite only its tail */
	if (p->width > 1 && len > p->width - 1) {
		len = p->width - 1;
		line[len] = '\0';
	}
	fprintf(p->out, "\r%s%*s", line, p->prev_len > len ? (int)(p->prev_len - len) : 0, "");
	fflush(p->out);
	p->prev_len = len;
	p->drawn = true;
	p->last_ns = p->clock();
}

void ctl_progress_set(struct ctl_progress *p, int64_t current)
{
	if (!p)
		return;
	p->current = current;
	if (p->drawn && p->clock() - p->last_ns < CTL_PROGRESS_INTERVAL_NS)
		return;
	draw(p);
}

void ctl_progress_add(struct ctl_progress *p, int64_t n)
{
	if (p)
		ctl_progress_set(p, p->current + n);
}

void ctl_progress_finish(struct ctl_progress *p)
{
	if (!p)
		return;
	draw(p);
	fputc('\n', p->out);
	fflush(p->out);
	free(p->label);
	free(p);
}
