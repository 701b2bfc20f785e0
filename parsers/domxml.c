#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include "domxml.h"
#include "util.h"

/* A live domain holds a few hostdevs; thousands is not libvirt talking. */
#define HOSTDEVS_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();
}

static void
xmlfreep(xmlChar **p)
{
	if (*p != NULL)
		xmlFree(*p);
}

/* libvirt's elements have no namespace; <x:hostdev> is someone else's. */
static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns == NULL &&
	    xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* The first child element called name, or NULL. */
static const xmlNode *
child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

static bool
prop_is(const xmlNode *n, const char *name, const char *value)
{
	_cleanup_(xmlfreep) xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	return v != NULL && xmlStrcmp(v, (const xmlChar *)value) == 0;
}

/* libvirt writes bus and device in decimal and ids as 0xNNNN: take both. */
static bool
prop_uint(const xmlNode *n, const char *name, unsigned long long max,
    unsigned long long *ret)
{
	_cleanup_(xmlfreep) xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	const char *s = (const char *)v;

	if (s == NULL)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_uint(s + 2, 16, 0, max, ret) == 0;
	return parse_uint(s, 10, 0, max, ret) == 0;
}

/* Reads one <hostdev>; an address or id that does not parse is left out. */
static int
read_hostdev(const xmlNode *n, struct hostdev *ret)
{
	const xmlNode *src = child(n, "source");
	const xmlNode *a = child(n, "alias");
	struct hostdev h = { 0 };
	unsigned long long x;
	unsigned long long y;

	if (src != NULL) {
		const xmlNode *addr = child(src, "address");
		const xmlNode *v = child(src, "vendor");
		const xmlNode *p = child(src, "product");

		if (addr != NULL && prop_uint(addr, "bus", UINT16_MAX, &x) &&
		    prop_uint(addr, "device", UINT16_MAX, &y)) {
			h.has_address = true;
			h.bus = x;
			h.dev = y;
		}
		if (v != NULL && p != NULL &&
		    prop_uint(v, "id", UINT16_MAX, &x) &&
		    prop_uint(p, "id", UINT16_MAX, &y)) {
			h.has_id = true;
			h.vendor = x;
			h.product = y;
		}
	}
	if (a != NULL) {
		_cleanup_(xmlfreep) xmlChar *name =
		    xmlGetProp(a, (const xmlChar *)"name");

		if (name != NULL) {
			h.alias = strdup((const char *)name);
			if (h.alias == NULL)
				return -ENOMEM;
		}
	}
	*ret = h;
	return 0;
}

/* Hands msg to the caller, without libxml2's final newline. */
static int
fail(const char *msg, char **ret_error)
{
	char *m;
	size_t n;

	if (ret_error == NULL)
		return -EINVAL;
	m = strdup(msg);
	if (m == NULL)
		return -ENOMEM;
	n = strlen(m);
	while (n > 0 && m[n - 1] == '\n')
		m[--n] = '\0';
	*ret_error = m;
	return -EINVAL;
}

static int
fail_xml(char **ret_error)
{
	const xmlError *e = xmlGetLastError();

	return fail(e != NULL && e->message != NULL ? e->message :
	    "cannot parse the XML", ret_error);
}

static int
push_hostdev(struct hostdev_list *l, const xmlNode *n, char **ret_error)
{
	struct hostdev *v;

	if (l->n >= HOSTDEVS_MAX)
		return fail("too many hostdevs", ret_error);
	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	l->v = v;
	/* read_hostdev() writes the slot only on success. */
	if (read_hostdev(n, &l->v[l->n]) < 0)
		return -ENOMEM;
	l->n++;
	return 0;
}

static int
read_devices(struct hostdev_list *l, const xmlNode *devs, char **ret_error)
{
	for (const xmlNode *n = devs->children; n != NULL; n = n->next) {
		int r;

		if (!is(n, "hostdev") || !prop_is(n, "mode", "subsystem") ||
		    !prop_is(n, "type", "usb"))
			continue;
		r = push_hostdev(l, n, ret_error);
		if (r < 0)
			return r;
	}
	return 0;
}

int
domxml_hostdevs(const char *xml, size_t len, struct hostdev_list *ret,
    char **ret_error)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	const xmlNode *root;
	int r;

	(void)pthread_once(&xml_once, xml_init);
	if (len == 0)
		return fail("empty document", ret_error);
	if (len > INT32_MAX)
		return fail("document too large", ret_error);
	xmlResetLastError();
	/*
	 * No XML_PARSE_NOENT and no DTD loading: entities stay unexpanded and
	 * nothing is fetched, from the network or from a file.
	 */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return fail_xml(ret_error);
	/*
	 * libvirt never writes a DOCTYPE. Refusing one leaves no entity for
	 * xmlGetProp() to expand.
	 */
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		return fail("unexpected document type declaration", ret_error);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is(root, "domain"))
		return fail("root element is not 'domain'", ret_error);
	/* Every <devices>, as libvirt's own "./devices/hostdev" does. */
	for (const xmlNode *d = root->children; d != NULL; d = d->next) {
		if (!is(d, "devices"))
			continue;
		r = read_devices(&l, d, ret_error);
		if (r < 0)
			return r;
	}
	*ret = l;
	l = (struct hostdev_list){ 0 };
	return 0;
}

void
hostdev_list_done(struct hostdev_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].alias);
	free(l->v);
	*l = (struct hostdev_list){ 0 };
}

static xmlNodePtr
new_child(xmlNodePtr parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

static bool
set_prop(xmlNodePtr n, const char *name, const char *value)
{
	return n != NULL && xmlNewProp(n, (const xmlChar *)name,
	    (const xmlChar *)value) != NULL;
}

/*
 * libxml2 writes C0 controls raw and garbles bad UTF-8, either of which
 * would make XML nobody can read back.
 */
static bool
xml_text_valid(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return xmlCheckUTF8((const xmlChar *)s) != 0;
}

int
domxml_build_usb_hostdev(unsigned bus, unsigned dev, const char *alias,
    char **ret_xml)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
	xmlNodePtr hd;
	xmlNodePtr addr;
	char b[12];
	char d[12];
	char *s;

	(void)pthread_once(&xml_once, xml_init);
	if (alias != NULL && !xml_text_valid(alias))
		return -EINVAL;
	(void)snprintf(b, sizeof(b), "%u", bus);
	(void)snprintf(d, sizeof(d), "%u", dev);
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (doc == NULL)
		return -ENOMEM;
	hd = xmlNewNode(NULL, (const xmlChar *)"hostdev");
	if (hd == NULL)
		return -ENOMEM;
	/* From here the document owns hd and everything below it. */
	(void)xmlDocSetRootElement(doc, hd);
	if (!set_prop(hd, "mode", "subsystem") ||
	    !set_prop(hd, "type", "usb") || !set_prop(hd, "managed", "no"))
		return -ENOMEM;
	addr = new_child(new_child(hd, "source"), "address");
	if (!set_prop(addr, "bus", b) || !set_prop(addr, "device", d))
		return -ENOMEM;
	if (alias != NULL && !set_prop(new_child(hd, "alias"), "name", alias))
		return -ENOMEM;
	buf = xmlBufferCreate();
	if (buf == NULL || xmlNodeDump(buf, doc, hd, 0, 0) < 0)
		return -ENOMEM;
	s = strdup((const char *)xmlBufferContent(buf));
	if (s == NULL)
		return -ENOMEM;
	*ret_xml = s;
	return 0;
}
