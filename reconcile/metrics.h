#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plan;
struct status;

/* What a sync found and did, for node_exporter's textfile collector. */
struct metrics_sync {
	/*
	 * The devices as status_build_with() found them before the sync
	 * acted, given the sync's plan, whose results say where they stand
	 * after it (status_device_after()); NULL: not read.
	 */
	const struct status *status;
	const struct plan *plan;        /* its actions and their results; NULL: none planned */
	uint64_t end_usec;              /* when it ended, microseconds since the epoch */
	uint64_t duration_usec;         /* how long it took */
	bool success;                   /* its exit status is 0 */
	bool released;                  /* bbvirt release holds */
};

/*
 * Renders m in the Prometheus text exposition format (0.0.4): every
 * metric bbvirt(1) names under Metrics, gauges with HELP and TYPE lines,
 * the device series sorted by their label values, each device in the
 * state the sync left it in. A label value is valid
 * UTF-8, escaped as the format says (metrics_label_escape()). Pure.
 * Returns 0 or -ENOMEM; *ret_text (NUL-terminated, *ret_len bytes) is
 * the caller's.
 */
int metrics_render(const struct metrics_sync *m, char **ret_text,
    size_t *ret_len);
