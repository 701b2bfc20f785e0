#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"
#include "log.h"
#include "util.h"
#include "virtsnap.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

static void
silent(void *userdata _unused_, virErrorPtr e _unused_)
{
}

void
virtsnap_init(void)
{
	virSetErrorFunc(NULL, silent);
}

static const char *
uri_name(const char *uri)
{
	return uri != NULL ? uri : "the default URI";
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
	for (size_t i = 0; i < snap->n_conns; i++) {
		if (snap->conns[i].conn != NULL)
			(void)virConnectClose(snap->conns[i].conn);
		free(snap->conns[i].uri);
		free(snap->conns[i].error);
	}
	free(snap->domains);
	free(snap->conns);
	free(snap->default_uri);
	*snap = (struct virtsnap){ 0 };
}

static int
add_domain(struct virtsnap *snap, const struct virtconn *c, virDomainPtr dom)
{
	_cleanup_free_ char *xml = NULL;
	_cleanup_free_ char *err = NULL;
	struct vdomain d = { .uri = c->uri };
	struct vdomain *v;
	const char *name = virDomainGetName(dom);
	int r;

	if (name == NULL || (d.name = strdup(name)) == NULL)
		return -ENOMEM;
	/* The id comes with the listing: -1 is a domain that is not running. */
	d.active = virDomainGetID(dom) != (unsigned)-1;
	if (d.active) {
		snap->calls++;
		xml = virDomainGetXMLDesc(dom, 0);
		if (xml == NULL) {
			log_warning("cannot read the live XML of '%s' on %s: %s, skipping",
			    d.name, uri_name(c->uri), virGetLastErrorMessage());
			d.active = false;
		} else {
			r = domxml_hostdevs(xml, strlen(xml), &d.hostdevs, &err);
			if (r == -ENOMEM) {
				vdomain_done(&d);
				return r;
			}
			if (r < 0) {
				log_warning("cannot parse the live XML of '%s' on %s: %s, skipping",
				    d.name, uri_name(c->uri), err);
				d.active = false;
			}
		}
	}
	v = reallocarray(snap->domains, snap->n_domains + 1, sizeof(*v));
	if (v == NULL) {
		vdomain_done(&d);
		return -ENOMEM;
	}
	snap->domains = v;
	v[snap->n_domains++] = d;
	return 0;
}

static int
open_conn(struct virtsnap *snap, struct virtconn *c, bool read_only)
{
	snap->calls++;
	c->conn = read_only ? virConnectOpenReadOnly(c->uri) :
	    virConnectOpen(c->uri);
	if (c->conn == NULL) {
		const char *m = virGetLastErrorMessage();

		c->error = strdup(m != NULL ? m : "unknown error");
		log_error("cannot connect to %s: %s", uri_name(c->uri),
		    c->error != NULL ? c->error : "?");
		return -EIO;
	}
	return 0;
}

static int
list_domains(struct virtsnap *snap, struct virtconn *c)
{
	virDomainPtr *doms = NULL;
	int n;
	int r = 0;

	snap->calls++;
	n = virConnectListAllDomains(c->conn, &doms, 0);
	if (n < 0) {
		const char *m = virGetLastErrorMessage();

		c->error = strdup(m != NULL ? m : "unknown error");
		log_error("cannot list the domains on %s: %s", uri_name(c->uri),
		    c->error != NULL ? c->error : "?");
		(void)virConnectClose(c->conn);
		c->conn = NULL;
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		if (r >= 0)
			r = add_domain(snap, c, doms[i]);
		(void)virDomainFree(doms[i]);
	}
	free(doms);
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

static bool
have_conn(const struct virtsnap *snap, const char *uri)
{
	for (size_t k = 0; k < snap->n_conns; k++)
		if (streq_null(snap->conns[k].uri, uri))
			return true;
	return false;
}

/*
 * libvirt's default URI names some daemon, perhaps one the config also
 * names: open it first and call it by its name, so the two share one
 * connection and every domain is seen once.
 */
static int
open_default(struct virtsnap *snap, bool read_only)
{
	struct virtconn *c = &snap->conns[snap->n_conns++];
	char *uri;
	int r;

	r = open_conn(snap, c, read_only);
	if (r < 0)
		return r;
	snap->calls++;
	uri = virConnectGetURI(c->conn);
	if (uri == NULL)
		return log_error_errno(-EIO, "cannot tell what the default URI is: %s",
		    virGetLastErrorMessage());
	c->uri = uri;
	snap->default_uri = strdup(uri);
	if (snap->default_uri == NULL)
		return -ENOMEM;
	return list_domains(snap, c);
}

int
virtsnap_collect(const char *const *uris, size_t n_uris, bool read_only,
    struct virtsnap *ret_snap)
{
	_cleanup_(virtsnap_done) struct virtsnap snap = { 0 };
	bool failed = false;
	int r;

	snap.conns = calloc(n_uris, sizeof(*snap.conns));
	if (n_uris > 0 && snap.conns == NULL)
		return log_error_errno(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n_uris; i++)
		if (uris[i] == NULL) {
			r = open_default(&snap, read_only);
			if (r == -ENOMEM)
				return log_error_errno(r, "out of memory");
			failed = r < 0;
			break;
		}
	for (size_t i = 0; i < n_uris; i++) {
		struct virtconn *c;

		if (uris[i] == NULL || have_conn(&snap, uris[i]))
			continue;
		c = &snap.conns[snap.n_conns++];
		if ((c->uri = strdup(uris[i])) == NULL)
			return log_error_errno(-ENOMEM, "out of memory");
		r = open_conn(&snap, c, read_only);
		if (r >= 0)
			r = list_domains(&snap, c);
		if (r == -ENOMEM)
			return log_error_errno(r, "out of memory");
		failed = failed || r < 0;
	}
	if (snap.n_domains > 0)
		qsort(snap.domains, snap.n_domains, sizeof(*snap.domains),
		    vdomain_cmp);
	*ret_snap = snap;
	snap = (struct virtsnap){ 0 };
	return failed ? -EIO : 0;
}

const char *
virtsnap_uri(const struct virtsnap *snap, const char *uri)
{
	return uri != NULL ? uri : snap->default_uri;
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
	uri = virtsnap_uri(snap, uri);
	if (uri == NULL)        /* the default failed before it had a name */
		return snap->n_conns == 0 || snap->conns[0].conn != NULL;
	for (size_t i = 0; i < snap->n_conns; i++)
		if (streq_null(snap->conns[i].uri, uri))
			return snap->conns[i].conn != NULL;
	return false;
}
