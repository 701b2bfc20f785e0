#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"
#include "log.h"
#include "util.h"
#include "virtconn.h"
#include "virtsnap.h"

static const char *
last_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m != NULL ? m : "unknown libvirt error";
}

static void
vdomain_done(struct vdomain *d)
{
	free(d->name);
	hostdev_list_done(&d->hostdevs);
}

void
virtsnap_done(struct virtsnap *snap)
{
	for (size_t i = 0; i < snap->n_domains; i++)
		vdomain_done(&snap->domains[i]);
	free(snap->domains);
	*snap = (struct virtsnap){ 0 };
}

static bool
address_only(const struct hostdev *hd)
{
	return hd->has_address && !hd->has_id;
}

/*
 * A candidate for adoption is adopted only when it is live-only: an
 * admin's static passthrough by address is in the persistent definition.
 * A transient domain has none. When the definition cannot be read, the
 * candidate stays foreign: in doubt, it is not ours.
 */
static void
mark_live_only(struct virtconns *c, const struct virtconn *vc, virDomainPtr dom,
    struct vdomain *d, virtsnap_adoptable_fn adoptable, void *userdata)
{
	_cleanup_(hostdev_list_done) struct hostdev_list def = { 0 };
	_cleanup_free_ char *xml = NULL;
	bool any = false;
	int persistent;

	for (size_t i = 0; !any && i < d->hostdevs.n; i++)
		any = adoptable(&d->hostdevs.v[i], userdata);
	if (!any)
		return;
	c->calls++;
	persistent = virDomainIsPersistent(dom);
	if (persistent == 0) {
		for (size_t i = 0; i < d->hostdevs.n; i++)
			d->hostdevs.v[i].live_only = true;
		return;
	}
	if (persistent == 1) {
		c->calls++;
		xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	}
	if (xml == NULL || domxml_hostdevs(xml, strlen(xml), &def) < 0) {
		log_warning("cannot read the persistent definition of '%s' on %s: %s; its hostdevs without an alias of ours are left alone",
		    d->name, virtconn_uri_name(vc->uri),
		    def.error != NULL ? def.error : last_error());
		return;
	}
	for (size_t i = 0; i < d->hostdevs.n; i++) {
		struct hostdev *hd = &d->hostdevs.v[i];

		hd->live_only = true;
		for (size_t j = 0; hd->live_only && j < def.n; j++)
			if (address_only(&def.v[j]) && def.v[j].bus == hd->bus &&
			    def.v[j].dev == hd->dev)
				hd->live_only = false;
	}
}

/*
 * One daemon reached through two URI spellings shows every guest twice.
 * Linear, but only across the domains of earlier connections, and a host
 * has as many of those as its config names URIs for one daemon.
 */
static bool
seen_before(const struct virtsnap *snap, const struct vdomain *d)
{
	for (size_t i = 0; i < snap->n_domains; i++)
		if (snap->domains[i].conn != d->conn &&
		    memcmp(snap->domains[i].uuid, d->uuid, sizeof(d->uuid)) == 0)
			return true;
	return false;
}

static int
add_domain(struct virtsnap *snap, const struct virtconn *vc, size_t conn,
    virDomainPtr dom, virtsnap_adoptable_fn adoptable, void *userdata)
{
	_cleanup_free_ char *xml = NULL;
	_cleanup_(vdomain_done) struct vdomain d = {
		.uri = vc->uri, .conn = conn, .remote = vc->remote,
	};
	const char *name = virDomainGetName(dom);
	int r;

	if (name == NULL || (d.name = strdup(name)) == NULL)
		return -ENOMEM;
	/* The id and UUID come with the listing: -1 is a domain that is not running. */
	d.active = virDomainGetID(dom) != (unsigned)-1;
	(void)virDomainGetUUID(dom, d.uuid);
	/* A guest an earlier URI showed is read once, through that URI. */
	if (d.active && !d.remote && !seen_before(snap, &d)) {
		snap->conns->calls++;
		xml = virDomainGetXMLDesc(dom, 0);
		if (xml == NULL) {
			log_warning("cannot read the live XML of '%s' on %s: %s, skipping",
			    d.name, virtconn_uri_name(vc->uri), last_error());
			d.active = false;
		} else {
			r = domxml_hostdevs(xml, strlen(xml), &d.hostdevs);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				log_warning("cannot parse the live XML of '%s' on %s: %s, skipping",
				    d.name, virtconn_uri_name(vc->uri),
				    d.hostdevs.error);
				hostdev_list_done(&d.hostdevs);
				d.active = false;
			} else if (adoptable != NULL)
				mark_live_only(snap->conns, vc, dom, &d, adoptable,
				    userdata);
		}
	}
	if (GREEDY_GROW(snap->domains, snap->n_domains) < 0)
		return -ENOMEM;
	snap->domains[snap->n_domains++] = d;
	d = (struct vdomain){ 0 };
	return 0;
}

static int
list_domains(struct virtsnap *snap, size_t conn,
    virtsnap_adoptable_fn adoptable, void *userdata)
{
	struct virtconn *vc = &snap->conns->v[conn];
	_cleanup_free_ virDomainPtr *doms = NULL;
	int n;
	int r = 0;

	snap->conns->calls++;
	n = virConnectListAllDomains(vc->conn, &doms, 0);
	if (n < 0) {
		vc->error = strdup(last_error());
		log_error("cannot list the domains on %s: %s",
		    virtconn_uri_name(vc->uri), vc->error != NULL ? vc->error : "?");
		(void)virConnectClose(vc->conn);
		vc->conn = NULL;        /* failed: virtconns_failed() says so */
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (r >= 0)
			r = add_domain(snap, vc, conn, doms[i], adoptable,
			    userdata);
		(void)virDomainFree(doms[i]);
	}
	return r;
}

static int
vdomain_cmp(const void *x, const void *y)
{
	const struct vdomain *a = x;
	const struct vdomain *b = y;
	int c = strcmp_null(a->uri, b->uri);

	return c != 0 ? c : strcmp(a->name, b->name);
}

int
virtsnap_collect(struct virtconns *conns, virtsnap_adoptable_fn adoptable,
    void *userdata, struct virtsnap *ret_snap)
{
	_cleanup_(virtsnap_done) struct virtsnap snap = { .conns = conns };
	int r;

	for (size_t i = 0; i < conns->n; i++) {
		if (conns->v[i].conn == NULL)
			continue;
		r = list_domains(&snap, i, adoptable, userdata);
		if (r == -ENOMEM)
			return log_oom();
	}
	if (snap.n_domains > 0)
		qsort(snap.domains, snap.n_domains, sizeof(*snap.domains),
		    vdomain_cmp);
	*ret_snap = snap;
	snap = (struct virtsnap){ 0 };
	return 0;
}

const char *
virtsnap_uri(const struct virtsnap *snap, const char *uri)
{
	return virtconns_uri(snap->conns, uri);
}

const struct vdomain *
virtsnap_find(const struct virtsnap *snap, const char *uri, const char *name)
{
	uri = virtsnap_uri(snap, uri);
	for (size_t i = 0; i < snap->n_domains; i++)
		if (streq_null(snap->domains[i].uri, uri) &&
		    strcmp(snap->domains[i].name, name) == 0)
			return &snap->domains[i];
	return NULL;
}

bool
virtsnap_uri_ok(const struct virtsnap *snap, const char *uri)
{
	const struct virtconn *vc;

	if (snap->conns == NULL)
		return true;
	vc = virtconns_find(snap->conns, uri);
	return vc != NULL && vc->conn != NULL;
}

bool
virtsnap_uri_remote(const struct virtsnap *snap, const char *uri)
{
	const struct virtconn *vc = virtconns_find(snap->conns, uri);

	return vc != NULL && vc->remote;
}
