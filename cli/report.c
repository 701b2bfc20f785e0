#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "conf.h"
#include "plan.h"
#include "report.h"
#include "seeddclaim.h"
#include "status.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)

/* json-c's adders take ownership of the value even when they fail. */
static int
add(struct json_object *o, const char *key, struct json_object *v)
{
	/* On failure json-c leaves v the caller's: it goes too. */
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* A new array, added to o under key; NULL when either fails. */
static struct json_object *
add_array(struct json_object *o, const char *key)
{
	struct json_object *a = json_object_new_array();

	return a != NULL && add(o, key, a) == 0 ? a : NULL;
}

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* NULL from a json-c constructor other than for a JSON null means out of memory. */
static int
add_str(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v = str_or_null(s);

	if (s != NULL && v == NULL)
		return -ENOMEM;
	return add(o, key, v);
}

static int
add_int(struct json_object *o, const char *key, int64_t n)
{
	struct json_object *v = json_object_new_int64(n);

	return v == NULL ? -ENOMEM : add(o, key, v);
}

static int
add_bool(struct json_object *o, const char *key, bool b)
{
	struct json_object *v = json_object_new_boolean(b);

	return v == NULL ? -ENOMEM : add(o, key, v);
}

static int
push(struct json_object *a, struct json_object *v)
{
	if (v == NULL)
		return -ENOMEM;
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int
print_json(FILE *f, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (s == NULL)
		return -ENOMEM;
	return fprintf(f, "%s\n", s) < 0 ? -EIO : 0;
}

/* The words of a domain's rules, by the key that gives them. */
enum rule_key { RULE_SERIALS, RULE_PORTS, RULE_DEVICES, _RULE_KEY_MAX };

/*
 * The domain's devices = entries in config order: its types and its
 * VENDOR:PRODUCT/SERIAL serials, each list in line order, merged. Calls
 * fn with each one's text; returns its first failure.
 */
static int
for_each_device(const struct conf_domain *d,
    int (*fn)(enum rule_key key, const char *text, void *userdata),
    void *userdata)
{
	size_t t = 0;
	size_t k = 0;

	for (;;) {
		char text[10 + SERIAL_MAX + 1];
		int r;

		while (k < d->n_serials && !d->serials[k].has_id)
			k++;
		if (t == d->n_types && k == d->n_serials)
			return 0;
		if (t < d->n_types && (k == d->n_serials ||
		    d->types[t].line <= d->serials[k].line)) {
			(void)snprintf(text, sizeof(text), "%04x:%04x",
			    d->types[t].id.vendor, d->types[t].id.product);
			t++;
		} else {
			(void)snprintf(text, sizeof(text), "%04x:%04x/%s",
			    d->serials[k].id.vendor, d->serials[k].id.product,
			    d->serials[k].serial);
			k++;
		}
		r = fn(RULE_DEVICES, text, userdata);
		if (r < 0)
			return r;
	}
}

/* Every word of the domain's rules: serials, then ports, then devices. */
static int
for_each_rule(const struct conf_domain *d,
    int (*fn)(enum rule_key key, const char *text, void *userdata),
    void *userdata)
{
	int r;

	for (size_t j = 0; j < d->n_serials; j++)
		if (!d->serials[j].has_id &&
		    (r = fn(RULE_SERIALS, d->serials[j].serial, userdata)) < 0)
			return r;
	for (size_t j = 0; j < d->n_ports; j++)
		if ((r = fn(RULE_PORTS, d->ports[j].port, userdata)) < 0)
			return r;
	return for_each_device(d, fn, userdata);
}

/* userdata: the domain's three arrays, by key. */
static int
push_rule(enum rule_key key, const char *text, void *userdata)
{
	struct json_object **lists = userdata;

	return push(lists[key], json_object_new_string(text));
}

static int
print_rule(enum rule_key key, const char *text, void *userdata)
{
	static const char *const prefix[_RULE_KEY_MAX] = {
		[RULE_SERIALS] = "", [RULE_PORTS] = "port ",
		[RULE_DEVICES] = "device ",
	};

	return fprintf(userdata, " %s%s", prefix[key], text) < 0 ? -EIO : 0;
}

/* The domain's entry of config --json, added to doms. */
static int
domain_json(struct json_object *doms, const struct conf_domain *d)
{
	static const char *const keys[_RULE_KEY_MAX] = {
		[RULE_SERIALS] = "serials", [RULE_PORTS] = "ports",
		[RULE_DEVICES] = "devices",
	};
	struct json_object *dj = json_object_new_object();
	struct json_object *lists[_RULE_KEY_MAX];

	if (push(doms, dj) < 0 || add_str(dj, "name", d->name) < 0 ||
	    add_str(dj, "uri", d->uri) < 0)
		return -ENOMEM;
	for (int k = 0; k < _RULE_KEY_MAX; k++)
		if ((lists[k] = add_array(dj, keys[k])) == NULL)
			return -ENOMEM;
	return for_each_rule(d, push_rule, lists);
}

/* "seedd": what seedd's claim means for the config, added to o when checked. */
static int
seedd_json(struct json_object *o, const struct seeddclaim *c)
{
	struct json_object *sj;
	struct json_object *ws;
	struct json_object *host = NULL;

	if (c == NULL)
		return 0;
	sj = json_object_new_object();
	if (sj == NULL || add(o, "seedd", sj) < 0 ||
	    add_str(sj, "file", c->file) < 0 ||
	    add_bool(sj, "device_sections", c->device_sections) < 0 ||
	    (ws = add_array(sj, "warnings")) == NULL ||
	    (c->devices_read ? (host = add_array(sj, "host_devices")) == NULL :
	    add(sj, "host_devices", NULL) < 0))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_warnings; i++) {
		const struct seeddclaim_warning *w = &c->warnings[i];
		struct json_object *wj = json_object_new_object();

		if (push(ws, wj) < 0 ||
		    add_str(wj, "kind", seeddclaim_kind_to_string(w->kind)) < 0 ||
		    add_str(wj, "serial", w->serial) < 0 ||
		    add_str(wj, "domain", w->domain) < 0 ||
		    add_str(wj, "seedd_at", w->seedd_at) < 0 ||
		    add_str(wj, "rule_at", w->rule_at) < 0 ||
		    add_str(wj, "message", w->message) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; host != NULL && i < c->host.n; i++)
		if (push(host, json_object_new_string(c->host.v[i])) < 0)
			return -ENOMEM;
	return 0;
}

static int
conf_json(FILE *f, const struct conf *conf, const struct seeddclaim *seedd)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	struct json_object *ids;
	struct json_object *doms;

	if (o == NULL || add_str(o, "file", conf->file) < 0 ||
	    add_str(o, "format", conf_format_to_string(conf->format)) < 0 ||
	    (ids = add_array(o, "usb_ids")) == NULL ||
	    (doms = add_array(o, "domains")) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_usb_ids; i++) {
		char id[10];

		(void)snprintf(id, sizeof(id), "%04x:%04x",
		    conf->usb_ids[i].vendor, conf->usb_ids[i].product);
		if (push(ids, json_object_new_string(id)) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < conf->n_domains; i++)
		if (domain_json(doms, &conf->domains[i]) < 0)
			return -ENOMEM;
	if (seedd_json(o, seedd) < 0)
		return -ENOMEM;
	return print_json(f, o);
}

int
report_conf(FILE *f, const struct conf *conf, bool json)
{
	return report_conf_with(f, conf, NULL, json);
}

/* seedd's warnings are logged (cli/seedd.c): the text adds nothing to them. */
int
report_conf_with(FILE *f, const struct conf *conf,
    const struct seeddclaim *seedd, bool json)
{
	if (json)
		return conf_json(f, conf, seedd);
	fprintf(f, "file: %s (%s)\n", conf->file,
	    conf_format_to_string(conf->format));
	fprintf(f, "usb-ids:");
	for (size_t i = 0; i < conf->n_usb_ids; i++)
		fprintf(f, " %04x:%04x", conf->usb_ids[i].vendor,
		    conf->usb_ids[i].product);
	fprintf(f, "\n");
	if (conf->uri != NULL)
		fprintf(f, "uri: %s\n", conf->uri);
	for (size_t i = 0; i < conf->n_domains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		fprintf(f, "domain '%s'", d->name);
		if (d->uri != NULL)
			fprintf(f, " (%s)", d->uri);
		fprintf(f, ":");
		(void)for_each_rule(d, print_rule, f);
		fprintf(f, "\n");
	}
	return ferror(f) ? -EIO : 0;
}

static int
plan_json(FILE *f, const struct plan *plan)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	struct json_object *acts;

	if (o == NULL || (acts = add_array(o, "actions")) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_action *a = &plan->v[i];
		struct json_object *aj = json_object_new_object();

		if (push(acts, aj) < 0 ||
		    add_str(aj, "op", plan_op_to_string(a->op)) < 0 ||
		    add_str(aj, "domain", a->domain) < 0 ||
		    add_str(aj, "uri", a->uri) < 0 ||
		    add_str(aj, "serial", a->serial) < 0 ||
		    add_int(aj, "bus", a->bus) < 0 ||
		    add_int(aj, "device", a->dev) < 0 ||
		    add_str(aj, "port", a->port) < 0 ||
		    add_str(aj, "alias", a->alias) < 0 ||
		    add_str(aj, "reason", plan_reason_to_string(a->reason)) < 0 ||
		    add_str(aj, "result", plan_result_to_string(a->result)) < 0 ||
		    add_str(aj, "error", a->error) < 0)
			return -ENOMEM;
	}
	return print_json(f, o);
}

int
report_plan(FILE *f, const struct plan *plan, bool json)
{
	if (json)
		return plan_json(f, plan);
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_action *a = &plan->v[i];

		fprintf(f, "%s %s %u:%u", plan_op_to_string(a->op),
		    a->serial != NULL ? a->serial : "-", a->bus, a->dev);
		if (a->port != NULL)
			fprintf(f, " port %s", a->port);
		fprintf(f, " %s %s", a->op == PLAN_ATTACH ? "to" : "from",
		    a->domain);
		if (a->uri != NULL)
			fprintf(f, " on %s", a->uri);
		fprintf(f, " (%s)", plan_reason_to_string(a->reason));
		if (a->result == PLAN_FAILED)
			fprintf(f, ": failed: %s", a->error);
		else if (a->result == PLAN_STOPPED)
			fprintf(f, ": not done: the domain stopped meanwhile");
		fprintf(f, "\n");
	}
	return ferror(f) ? -EIO : 0;
}

/* "addresses": the places of a shared serial, or null; "rule_at" alike. */
static int
add_strv(struct json_object *o, const char *key, char **v)
{
	struct json_object *a;

	if (v == NULL)
		return add(o, key, NULL);
	a = add_array(o, key);
	if (a == NULL)
		return -ENOMEM;
	for (size_t i = 0; v[i] != NULL; i++)
		if (push(a, json_object_new_string(v[i])) < 0)
			return -ENOMEM;
	return 0;
}

/* Mb/s as the kernel writes it: a whole number, or 1.5; null when unknown. */
static int
add_speed(struct json_object *o, const char *key, double mbps)
{
	if (mbps <= 0)
		return add(o, key, NULL);
	if (mbps == (double)(int64_t)mbps)
		return add_int(o, key, (int64_t)mbps);
	return add(o, key, json_object_new_double(mbps)) < 0 ? -ENOMEM : 0;
}

static int
status_json(FILE *f, const struct status *st)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	struct json_object *devs;
	struct json_object *doms;

	if (o == NULL || (devs = add_array(o, "devices")) == NULL ||
	    (doms = add_array(o, "domains")) == NULL ||
	    add_str(o, "released", st->released) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];
		struct json_object *dj = json_object_new_object();
		char vendor[5];
		char product[5];

		(void)snprintf(vendor, sizeof(vendor), "%04x", d->vendor);
		(void)snprintf(product, sizeof(product), "%04x", d->product);
		if (push(devs, dj) < 0 ||
		    add_str(dj, "serial", d->serial) < 0 ||
		    add_str(dj, "vendor", d->present ? vendor : NULL) < 0 ||
		    add_str(dj, "product", d->present ? product : NULL) < 0 ||
		    (d->present ? add_int(dj, "bus", d->bus) :
		    add(dj, "bus", NULL)) < 0 ||
		    (d->present ? add_int(dj, "device", d->dev) :
		    add(dj, "device", NULL)) < 0 ||
		    add_str(dj, "port", d->port) < 0 ||
		    add_str(dj, "path", d->path) < 0 ||
		    add_str(dj, "connector", d->connector) < 0 ||
		    add_str(dj, "assigned", d->assigned) < 0 ||
		    add_str(dj, "attached", d->attached) < 0 ||
		    add_str(dj, "holder", d->state == STATUS_BUSY ?
		    d->busy_holder : d->holder_alias) < 0 ||
		    add_strv(dj, "addresses", d->addresses) < 0 ||
		    add_str(dj, "rule", d->rule) < 0 ||
		    add_strv(dj, "rule_at", d->rule_at) < 0 ||
		    add_str(dj, "state", status_state_to_string(d->state)) < 0 ||
		    add_speed(dj, "speed", d->speed) < 0 ||
		    add_str(dj, "controller", d->controller) < 0 ||
		    add_bool(dj, "slowed", d->slowed) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < st->n_domains; i++) {
		const struct status_domain *d = &st->domains[i];
		struct json_object *dj = json_object_new_object();
		struct json_object *sj;

		if (push(doms, dj) < 0 || add_str(dj, "name", d->name) < 0 ||
		    add_str(dj, "uri", d->uri) < 0 ||
		    add_bool(dj, "active", d->active) < 0 ||
		    add_bool(dj, "remote", d->remote) < 0 ||
		    (sj = add_array(dj, "serials")) == NULL)
			return -ENOMEM;
		for (size_t j = 0; d->serials[j] != NULL; j++)
			if (push(sj, json_object_new_string(d->serials[j])) < 0)
				return -ENOMEM;
	}
	if (seedd_json(o, st->seedd) < 0)
		return -ENOMEM;
	return print_json(f, o);
}

static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

void
report_status_holder(FILE *f, const struct status_device *d)
{
	if (d->state == STATUS_BUSY)
		fprintf(f, " (on the host: %s)", d->busy_holder != NULL ?
		    d->busy_holder : "a host process");
	if (d->state == STATUS_FOREIGN)
		fprintf(f, " (hostdev '%s', not bbvirt's)",
		    d->holder_alias != NULL ? d->holder_alias : "without alias");
	for (size_t k = 0; d->addresses != NULL && d->addresses[k] != NULL; k++)
		fprintf(f, "%s%s", k == 0 ? " (on " : ", ", d->addresses[k]);
	fprintf(f, "%s", d->addresses != NULL ? ")" : "");
}

/* A device that its guest's USB controller slows down, said so. */
static void
report_status_slowed(FILE *f, const struct status_device *d)
{
	char id[10];

	if (!d->slowed)
		return;
	(void)snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->product);
	fprintf(f, "warning: %s (%s, %g Mb/s) is on a USB 1.1 controller of domain '%s' (%s), which runs it at 12 Mb/s at most: give the domain a qemu-xhci controller\n",
	    d->serial != NULL ? d->serial : d->port, id, d->speed,
	    d->attached, d->controller);
}

/*
 * When seedd takes every BitBabbler (its warning is logged): the sections
 * that keep it to those the config leaves to the host, ready to paste.
 */
static void
print_seedd_sections(FILE *f, const struct seeddclaim *c)
{
	bool takes_all = false;

	for (size_t i = 0; c != NULL && i < c->n_warnings; i++)
		takes_all = takes_all || c->warnings[i].kind == SEEDDCLAIM_TAKES_ALL;
	if (!takes_all)
		return;
	if (c->host.n == 0) {
		fprintf(f, "seedd: the config leaves no plugged-in BitBabbler to the host: give %s the [Device:SERIAL] sections of those seedd may use, or stop seedd\n",
		    c->file);
		return;
	}
	fprintf(f, "seedd: the plugged-in BitBabblers the config leaves to the host, for %s:\n",
	    c->file);
	for (size_t i = 0; i < c->host.n; i++)
		fprintf(f, "[Device:%s]\n", c->host.v[i]);
}

int
report_status(FILE *f, const struct status *st, bool json)
{
	if (json)
		return status_json(f, st);
	fprintf(f, "%-20s %-9s %-7s %-9s %-26s %-16s %-16s %s\n", "SERIAL",
	    "ID", "ADDRESS", "PORT", "PATH", "ASSIGNED", "ATTACHED", "STATE");
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];
		char id[10] = "-";
		char addr[16] = "-";

		if (d->present) {
			(void)snprintf(id, sizeof(id), "%04x:%04x", d->vendor,
			    d->product);
			(void)snprintf(addr, sizeof(addr), "%u:%u", d->bus,
			    d->dev);
		}
		fprintf(f, "%-20s %-9s %-7s %-9s %-26s %-16s %-16s %s",
		    dash(d->serial), id, addr, dash(d->port), dash(d->path),
		    dash(d->assigned), dash(d->attached),
		    status_state_to_string(d->state));
		report_status_holder(f, d);
		if (d->state == STATUS_AMBIGUOUS && d->rule_at[1] != NULL)
			fprintf(f, " (port rules at %s and %s name one connector)",
			    d->rule_at[0], d->rule_at[1]);
		else if (d->state == STATUS_AMBIGUOUS)
			fprintf(f, " (the port rule at %s names more than one device)",
			    d->rule_at[0]);
		else if (d->rule != NULL)
			fprintf(f, " (%s rule at %s)", d->rule, d->rule_at[0]);
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < st->n_domains; i++) {
		const struct status_domain *d = &st->domains[i];

		fprintf(f, "domain '%s' on %s: %s\n", d->name,
		    d->uri != NULL ? d->uri : "the default URI",
		    !d->reachable ? "unreachable" :
		    d->remote ? "on another host, left alone" :
		    d->active ? "running" : "not running");
	}
	for (size_t i = 0; i < st->n_devices; i++)
		report_status_slowed(f, &st->devices[i]);
	if (st->released != NULL)
		fprintf(f, "released (held since %s): nothing is attached until 'bbvirt reclaim'\n",
		    st->released);
	print_seedd_sections(f, st->seedd);
	return ferror(f) ? -EIO : 0;
}
