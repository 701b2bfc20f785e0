/*
 * seedd's claim against the config's: seedd takes a BitBabbler before a
 * guest can (its unit starts early in the boot), so a device both name is
 * the guest's in name only, and a seedd without [Device:SERIAL] sections
 * takes them all. Warnings only: the admin decides. Pure; the messages are
 * formatted into memory here, and cli/seedd.c logs them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "plan.h"
#include "seedd.h"
#include "seeddclaim.h"
#include "udevsnap.h"
#include "util.h"
#include "world.h"

static const char *const seeddclaim_kind_table[_SEEDDCLAIM_KIND_MAX] = {
	[SEEDDCLAIM_REFUSED] = "refused",
	[SEEDDCLAIM_ASSIGNED] = "assigned",
	[SEEDDCLAIM_TAKES_ALL] = "takes-all",
};

DEFINE_STRING_TABLE_LOOKUP(seeddclaim_kind, enum seeddclaim_kind)

static void
warning_done(struct seeddclaim_warning *w)
{
	free(w->serial);
	free(w->domain);
	free(w->seedd_at);
	free(w->rule_at);
	free(w->message);
}

void
seeddclaim_done(struct seeddclaim *c)
{
	for (size_t i = 0; i < c->n_warnings; i++)
		warning_done(&c->warnings[i]);
	free(c->warnings);
	strv_done(&c->host);
	*c = (struct seeddclaim){ 0 };
}

/* Appends w, whose strings it takes (freed on failure), with a message made from fmt. */
static int
warn(struct seeddclaim *c, struct seeddclaim_warning w, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&w.message, fmt, ap);
	va_end(ap);
	if (r < 0)
		w.message = NULL;
	if (r < 0 || GREEDY_APPEND(c->warnings, c->n_warnings, w) < 0) {
		warning_done(&w);
		return -ENOMEM;
	}
	return 0;
}

static bool
is_bitbabbler(uint16_t vendor, uint16_t product)
{
	return vendor == CONF_DEFAULT_USB_ID.vendor &&
	    product == CONF_DEFAULT_USB_ID.product;
}

static bool
warned(const struct seeddclaim *c, const char *serial)
{
	for (size_t i = 0; i < c->n_warnings; i++)
		if (streq_null(c->warnings[i].serial, serial))
			return true;
	return false;
}

/* A serial in a [Device:SERIAL] section that the rule on line gives to d. */
static int
assigned(struct seeddclaim *c, const struct conf *conf,
    const struct seedd_device *sd, const struct conf_domain *d, unsigned line)
{
	struct seeddclaim_warning w = { .kind = SEEDDCLAIM_ASSIGNED };

	if (warned(c, sd->serial))
		return 0;
	if (asprintf(&w.seedd_at, "%s:%u", c->file, sd->line) < 0)
		w.seedd_at = NULL;
	if (asprintf(&w.rule_at, "%s:%u", conf->file, line) < 0)
		w.rule_at = NULL;
	w.serial = strdup(sd->serial);
	w.domain = strdup(d->name);
	if (w.seedd_at == NULL || w.rule_at == NULL || w.serial == NULL ||
	    w.domain == NULL) {
		warning_done(&w);
		return -ENOMEM;
	}
	return warn(c, w, "'%s' is a seedd device (%s) and assigned to '%s' (%s): seedd takes it first, at boot; remove one of the two",
	    w.serial, w.seedd_at, w.domain, w.rule_at);
}

/* seedd stops at a header it refuses, and does not start. */
static int
refused(struct seeddclaim *c, const struct seedd_conf *seedd)
{
	struct seeddclaim_warning w = { .kind = SEEDDCLAIM_REFUSED };

	if (asprintf(&w.seedd_at, "%s:%u", seedd->file, seedd->bad_line) < 0)
		return -ENOMEM;
	return warn(c, w, "%s: expected a section header '[NAME]', got one seedd refuses: seedd does not start, and bbvirt checks nothing else in the file",
	    w.seedd_at);
}

/* The serial rules that may name a BitBabbler, against seedd's sections. */
static int
check_serial_rules(struct seeddclaim *c, const struct conf *conf,
    const struct seedd_conf *seedd)
{
	for (size_t i = 0; i < conf->n_by_serial; i++) {
		const struct conf_ref *ref = &conf->by_serial[i];
		const struct conf_domain *d = &conf->domains[ref->domain];
		const struct conf_serial *s = &d->serials[ref->serial_index];
		const struct seedd_device *sd;
		int r;

		if (s->has_id ? !is_bitbabbler(s->id.vendor, s->id.product) :
		    !conf_manages(conf, CONF_DEFAULT_USB_ID.vendor,
		    CONF_DEFAULT_USB_ID.product))
			continue;
		sd = seedd_find(seedd, s->serial);
		if (sd != NULL && (r = assigned(c, conf, sd, d, s->line)) < 0)
			return r;
	}
	return 0;
}

/*
 * The plugged-in BitBabblers: those a port or type rule gives to a guest
 * while seedd names their serial, those the config leaves to the host,
 * and how many it gives to guests.
 */
static int
check_devices(struct seeddclaim *c, const struct conf *conf,
    const struct seedd_conf *seedd, const struct udevsnap *u, size_t *ret_given)
{
	size_t given = 0;
	int r;

	for (size_t i = 0; i < u->n; i++) {
		const struct usbdev *d = &u->v[i];
		const char *serial = d->serial != NULL ? d->serial : d->other_serial;
		const struct seedd_device *sd;
		struct claim cl;

		if (!is_bitbabbler(d->vendor, d->product))
			continue;
		claim_device(conf, d, claim_sharing(u, d), &cl);
		given += cl.domain != NULL;
		if (serial == NULL)
			continue;
		sd = seedd_find(seedd, serial);
		if (cl.domain != NULL && sd != NULL &&
		    (r = assigned(c, conf, sd, cl.domain, cl.line)) < 0)
			return r;
		if (cl.kind == CLAIM_NONE && !strv_contains(&c->host, serial) &&
		    strv_push(&c->host, serial) < 0)
			return -ENOMEM;
	}
	*ret_given = given;
	return 0;
}

int
seeddclaim_build(const struct conf *conf, const struct seedd_conf *seedd,
    const struct plan_input *in, struct seeddclaim *ret)
{
	_cleanup_(seeddclaim_done) struct seeddclaim c = {
		.file = seedd->file, .device_sections = seedd->first_device_line > 0,
		.devices_read = in != NULL,
	};
	size_t given = 0;
	int r;

	if (seedd->bad_line > 0) {
		r = refused(&c, seedd);
	} else {
		r = check_serial_rules(&c, conf, seedd);
		if (r == 0 && in != NULL)
			r = check_devices(&c, conf, seedd, in->devices, &given);
		if (r == 0 && given > 0 && !c.device_sections)
			r = warn(&c, (struct seeddclaim_warning){
			    .kind = SEEDDCLAIM_TAKES_ALL },
			    "%s has no [Device:SERIAL] section, so seedd takes every BitBabbler, also the %zu plugged in that %s gives to guests: name there only those the host may use",
			    seedd->file, given, conf->file);
	}
	if (r < 0)
		return r;
	*ret = c;
	c = (struct seeddclaim){ 0 };
	return 0;
}
