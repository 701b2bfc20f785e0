/*
 * bench/metrics: what the metrics file adds to a sync, measured inside one
 * process on a snapshot of the host bench/gen wrote (bench/metrics.sh
 * runs it inside umockdev). Per run, each part a sync with metrics does
 * and one without does not:
 *   - status_build_with() the sync's plan, the device states (a sync
 *     at -v builds them anyway);
 *   - metrics_render(), the text;
 *   - metrics_file_write(), the temporary file rewritten and swapped in;
 * prints the median and the spread of each, and their sum; then, apart,
 * the USB devices read with the serials of every type (status's
 * snapshot) and without, one after the other in each run, and the
 * median of the differences: umockdev's emulated sysfs makes each read
 * take some 100 ms, give or take tens, so that figure is within noise.
 *
 * Usage: bench-metrics CONFIG OUTDIR RUNS
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bbvirt.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "status.h"

/* The snapshot a sync plans from. */
struct snap {
	struct conf conf;
	struct udevsnap devices;
	struct virtconns conns;
	struct virtsnap guests;
	struct plan_input in;
};

enum {
	PART_DEVICES, PART_STATUS, PART_RENDER, PART_WRITE, _PART_MAX,
	PART_WITH = _PART_MAX, PART_WITHOUT, _PART_ALL,
};

static const char *const part_names[_PART_ALL] = {
	[PART_DEVICES] = "USB devices: every serial read, less a sync's read",
	[PART_STATUS] = "status_build_with (device states, the sync's plan)",
	[PART_RENDER] = "metrics_render (text)",
	[PART_WRITE] = "metrics_file_write (reused tmp, swap)",
	[PART_WITH] = "USB devices, every serial read (status's read)",
	[PART_WITHOUT] = "USB devices, as a sync without metrics reads them",
};

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x;
	double b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Seconds one udevsnap_collect() with flags takes. */
static double
time_devices(const struct conf *conf, unsigned flags)
{
	_cleanup_(udevsnap_done) struct udevsnap u = { 0 };
	double t = now();

	if (udevsnap_collect(conf->managed_ids, conf->n_managed_ids, flags,
	    &u) < 0)
		exit(1);
	return now() - t;
}

/* One run: fills t[] with the seconds of each part. */
static void
run_once(const struct snap *s, const struct plan *plan, const char *path,
    double t[_PART_ALL], size_t *ret_len)
{
	unsigned flags = s->conf.n_by_port > 0 ? UDEVSNAP_PEERS : 0;
	_cleanup_(status_freep) struct status *st = NULL;
	_cleanup_free_ char *text = NULL;
	struct metrics_sync m = { .plan = plan, .success = true,
	    .end_usec = 1796671418819394, .duration_usec = 110000 };
	double a;

	t[PART_WITH] = time_devices(&s->conf, flags | UDEVSNAP_ALL_SERIALS);
	t[PART_WITHOUT] = time_devices(&s->conf, flags);
	a = now();
	if (status_build_with(&s->in, plan, &st) < 0)
		exit(1);
	t[PART_STATUS] = now() - a;
	m.status = st;
	a = now();
	if (metrics_render(&m, &text, ret_len) < 0)
		exit(1);
	t[PART_RENDER] = now() - a;
	a = now();
	if (metrics_file_write(path, text, *ret_len) < 0)
		exit(1);
	t[PART_WRITE] = now() - a;
}

/* The snapshot a sync takes: the config, the devices, the guests. */
static void
snapshot(struct snap *s, const char *config)
{
	const char *uris[1];

	if (conf_load(config, &s->conf) < 0 ||
	    udevsnap_collect(s->conf.managed_ids, s->conf.n_managed_ids,
	    UDEVSNAP_ALL_SERIALS, &s->devices) < 0)
		exit(1);
	s->in = (struct plan_input){ .conf = &s->conf, .devices = &s->devices,
	    .guests = &s->guests };
	uris[0] = s->conf.uri;
	if (virtconns_open(uris, 1, true, &s->conns) < 0 ||
	    virtsnap_collect(&s->conns, plan_adoptable, &s->in, &s->guests) < 0)
		exit(1);
}

/* The median of part p over the runs, and its spread into lo and hi; ms. */
static double
median(double t[][_PART_ALL], unsigned runs, unsigned p, double *lo,
    double *hi)
{
	_cleanup_free_ double *v = calloc(runs, sizeof(*v));

	if (v == NULL)
		exit(1);
	for (unsigned i = 0; i < runs; i++)
		v[i] = t[i][p] * 1e3;
	qsort(v, runs, sizeof(v[0]), cmp_double);
	*lo = v[0];
	*hi = v[runs - 1];
	return v[runs / 2];
}

static void
report(double t[][_PART_ALL], unsigned runs, size_t len, size_t n_devices,
    size_t n_actions)
{
	double total = 0;
	double m[_PART_ALL];
	double lo[_PART_ALL];
	double hi[_PART_ALL];

	for (unsigned i = 0; i < runs; i++)
		t[i][PART_DEVICES] = t[i][PART_WITH] - t[i][PART_WITHOUT];
	for (unsigned p = 0; p < _PART_ALL; p++)
		m[p] = median(t, runs, p, &lo[p], &hi[p]);
	printf("metrics: %zu devices, %zu actions, %zu bytes; medians of %u runs (min-max), ms\n",
	    n_devices, n_actions, len, runs);
	for (unsigned p = PART_STATUS; p < _PART_MAX; p++) {
		total += m[p];
		printf("  %-52s %7.3f (%.3f-%.3f)\n", part_names[p], m[p], lo[p],
		    hi[p]);
	}
	printf("  %-52s %7.3f (goal < 1 ms: %s)\n", "added to a sync, in all",
	    total, total < 1 ? "met" : "MISSED");
	printf("and apart, within umockdev's noise:\n");
	for (unsigned p = PART_WITH; p < _PART_ALL; p++)
		printf("  %-52s %7.3f (%.3f-%.3f)\n", part_names[p], m[p], lo[p],
		    hi[p]);
	printf("  %-52s %7.3f (%.3f-%.3f)\n", part_names[PART_DEVICES],
	    m[PART_DEVICES], lo[PART_DEVICES], hi[PART_DEVICES]);
}

int
main(int argc, char *argv[])
{
	static struct snap s;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_free_ char *path = NULL;
	double (*t)[_PART_ALL] = NULL;
	unsigned long long runs;
	size_t len = 0;

	log_init("bench-metrics");
	virtconn_init();
	if (argc != 4 || parse_uint(argv[3], 10, 1, 10000, &runs) < 0) {
		fprintf(stderr, "usage: bench-metrics CONFIG OUTDIR RUNS\n");
		return 2;
	}
	t = calloc(runs, sizeof(*t));
	if (t == NULL || asprintf(&path, "%s/bbvirt.prom", argv[2]) < 0)
		return 1;
	snapshot(&s, argv[1]);
	if (plan_build(&s.in, &plan) < 0)
		return 1;
	/* As if applied: every action done. */
	for (size_t i = 0; i < plan->n; i++)
		plan->v[i].result = PLAN_DONE;
	for (unsigned i = 0; i < runs; i++)
		run_once(&s, plan, path, t[i], &len);
	report(t, runs, len, s.devices.n, plan->n);
	free(t);
	virtsnap_done(&s.guests);
	virtconns_done(&s.conns);
	udevsnap_done(&s.devices);
	conf_done(&s.conf);
	return 0;
}
