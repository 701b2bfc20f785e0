#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics-priv.h"
#include "plan.h"
#include "status.h"
#include "util.h"

/* A growing text; after a failed allocation it stays as it was, and oom says so. */
struct buf {
	char *s;
	size_t n;
	size_t cap;
	bool oom;
};

static bool
buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->oom)
		return false;
	if (b->n + more < b->cap)
		return true;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap <= b->n + more)
		cap *= 2;
	s = realloc(b->s, cap);
	if (s == NULL) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void _printf_(2, 3)
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (size_t room = 64;; room = (size_t)k + 1) {
		if (!buf_reserve(b, room))
			return;
		va_start(ap, fmt);
		k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)k < b->cap - b->n) {
			b->n += k;
			return;
		}
	}
}

/*
 * The length of the valid UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. Reads no further
 * than a NUL.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void
buf_label(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t k = utf8_len(p);

		if (*p == '\\' || *p == '"') {
			buf_put(b, "\\", 1);
			buf_put(b, (const char *)p, 1);
		} else if (*p == '\n') {
			buf_put(b, "\\n", 2);
		} else if (k == 0 || *p < ' ' || *p == 0x7f) {
			char x[] = { '\\', '\\', 'x', hex[*p >> 4], hex[*p & 0xf] };

			buf_put(b, x, sizeof(x));
		} else {
			buf_put(b, (const char *)p, k);
		}
		p += k > 0 ? k : 1;
	}
}

char *
metrics_label_escape(const char *s)
{
	struct buf b = { 0 };

	buf_put(&b, "", 0);
	buf_label(&b, s);
	if (b.oom)
		return mfree(b.s);
	return b.s;
}

/* One device, its label values escaped. */
struct row {
	char *domain;
	const char *state;
	char *serial;
	char *port;
};

static int
row_cmp(const void *x, const void *y)
{
	const struct row *a = x;
	const struct row *b = y;
	int c;

	if ((c = strcmp(a->domain, b->domain)) != 0 ||
	    (c = strcmp(a->state, b->state)) != 0 ||
	    (c = strcmp(a->serial, b->serial)) != 0)
		return c;
	return strcmp(a->port, b->port);
}

static void
rows_free(struct row *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].domain);
		free(v[i].serial);
		free(v[i].port);
	}
	free(v);
}

/*
 * The devices as the sync left them, sorted by their escaped label
 * values: two names that escape alike are one series, never two with
 * the same labels. A device's domain is the one the config assigns it
 * to, else the one holding it, else none ("").
 */
static int
rows_build(const struct status *st, struct row **ret)
{
	struct row *v = calloc(st->n_devices + 1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];
		const char *holder;
		enum status_state s = status_device_after(d, &holder);
		const char *dom = d->assigned != NULL ? d->assigned :
		    holder != NULL ? holder : "";

		v[i].state = status_state_to_string(s);
		v[i].domain = metrics_label_escape(dom);
		v[i].serial = metrics_label_escape(d->serial != NULL ?
		    d->serial : "");
		v[i].port = metrics_label_escape(d->port != NULL ? d->port : "");
		if (v[i].domain == NULL || v[i].serial == NULL ||
		    v[i].port == NULL) {
			rows_free(v, st->n_devices);
			return -ENOMEM;
		}
	}
	qsort(v, st->n_devices, sizeof(*v), row_cmp);
	*ret = v;
	return 0;
}

static void
header(struct buf *b, const char *name, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
devices(struct buf *b, const struct row *v, size_t n)
{
	header(b, "bbvirt_devices",
	    "USB devices by domain and state, as the last sync left them.");
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && strcmp(v[k].domain, v[i].domain) == 0 &&
		    strcmp(v[k].state, v[i].state) == 0; k++)
			;
		buf_printf(b, "bbvirt_devices{domain=\"%s\",state=\"%s\"} %zu\n",
		    v[i].domain, v[i].state, k - i);
	}
	header(b, "bbvirt_device",
	    "One USB device: its domain, state, serial and port (how many devices have these labels).");
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && row_cmp(&v[k], &v[i]) == 0; k++)
			;
		buf_printf(b, "bbvirt_device{domain=\"%s\",state=\"%s\",serial=\"%s\",port=\"%s\"} %zu\n",
		    v[i].domain, v[i].state, v[i].serial, v[i].port, k - i);
	}
}

static void
actions(struct buf *b, const struct plan *plan)
{
	/* planned, then each result an applied action can have. */
	static const enum plan_result results[] = {
		PLAN_PLANNED, PLAN_DONE, PLAN_FAILED, PLAN_STOPPED,
	};
	size_t count[_PLAN_OP_MAX][_PLAN_RESULT_MAX] = { { 0 } };

	for (size_t i = 0; plan != NULL && i < plan->n; i++) {
		const struct plan_action *a = &plan->v[i];

		count[a->op][PLAN_PLANNED]++;
		if (a->result != PLAN_PLANNED)
			count[a->op][a->result]++;
	}
	header(b, "bbvirt_sync_actions",
	    "Attaches and detaches of the last sync: planned, and of those done, failed and stopped (the domain stopped meanwhile).");
	for (unsigned op = 0; op < _PLAN_OP_MAX; op++)
		for (size_t j = 0; j < ARRAY_SIZE(results); j++)
			buf_printf(b, "bbvirt_sync_actions{op=\"%s\",result=\"%s\"} %zu\n",
			    plan_op_to_string(op),
			    plan_result_to_string(results[j]),
			    count[op][results[j]]);
}

int
metrics_render(const struct metrics_sync *m, char **ret_text,
    size_t *ret_len)
{
	struct buf b = { 0 };
	struct row *v = NULL;
	size_t n = m->status != NULL ? m->status->n_devices : 0;

	if (m->status != NULL && rows_build(m->status, &v) < 0)
		return -ENOMEM;
	/* About what a device's two lines take, to grow the text once. */
	(void)buf_reserve(&b, 2048 + n * 256);
	header(&b, "bbvirt_last_sync_end_timestamp_seconds",
	    "When the last sync ended, in seconds since the epoch.");
	buf_printf(&b, "bbvirt_last_sync_end_timestamp_seconds %" PRIu64 ".%06" PRIu64 "\n",
	    m->end_usec / 1000000, m->end_usec % 1000000);
	header(&b, "bbvirt_last_sync_success",
	    "1 if the last sync succeeded (exit status 0), else 0.");
	buf_printf(&b, "bbvirt_last_sync_success %d\n", m->success);
	header(&b, "bbvirt_sync_duration_seconds",
	    "How long the last sync took, from taking the lock to its end.");
	buf_printf(&b, "bbvirt_sync_duration_seconds %" PRIu64 ".%06" PRIu64 "\n",
	    m->duration_usec / 1000000, m->duration_usec % 1000000);
	header(&b, "bbvirt_released",
	    "1 while bbvirt release holds (nothing is attached until bbvirt reclaim), else 0.");
	buf_printf(&b, "bbvirt_released %d\n", m->released);
	actions(&b, m->plan);
	devices(&b, v, n);
	rows_free(v, n);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*ret_len = b.n;
	*ret_text = b.s;
	return 0;
}
