#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <string.h>

#include "domxml.h"
#include "util.h"

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

static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

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

/* libvirt writes decimal; accept its 0x form too. */
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

		if (addr != NULL && prop_uint(addr, "bus", 0xffff, &x) &&
		    prop_uint(addr, "device", 0xffff, &y)) {
			h.has_address = true;
			h.bus = x;
			h.dev = y;
		}
		if (v != NULL && p != NULL && prop_uint(v, "id", 0xffff, &x) &&
		    prop_uint(p, "id", 0xffff, &y)) {
			h.has_id = true;
			h.vendor = x;
			h.product = y;
		}
	}
	if (a != NULL) {
		_cleanup_(xmlfreep) xmlChar *name = xmlGetProp(a,
		    (const xmlChar *)"name");

		if (name != NULL) {
			h.alias = strdup((const char *)name);
			if (h.alias == NULL)
				return -ENOMEM;
		}
	}
	*ret = h;
	return 0;
}

static int
xml_error(char **ret_error)
{
	const xmlError *e = xmlGetLastError();
	char *m;
	size_t n;

	if (ret_error == NULL)
		return -EINVAL;
	m = strdup(e != NULL && e->message != NULL ? e->message :
	    "not a domain");
	if (m == NULL)
		return -ENOMEM;
	n = strlen(m);
	while (n > 0 && m[n - 1] == '\n')
		m[--n] = '\0';
	*ret_error = m;
	return -EINVAL;
}

int
domxml_hostdevs(const char *xml, size_t len, struct hostdev_list *ret,
    char **ret_error)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	const xmlNode *root;
	const xmlNode *devs;

	(void)pthread_once(&xml_once, xml_init);
	if (len > INT32_MAX)
		return -EINVAL;
	xmlResetLastError();
	/* No entities expanded, no DTD loaded, no network. */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return xml_error(ret_error);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is(root, "domain")) {
		xmlResetLastError();
		return xml_error(ret_error);
	}
	devs = child(root, "devices");
	for (const xmlNode *n = devs != NULL ? devs->children : NULL; n != NULL;
	    n = n->next) {
		struct hostdev *v;
		int r;

		if (!is(n, "hostdev") || !prop_is(n, "mode", "subsystem") ||
		    !prop_is(n, "type", "usb"))
			continue;
		if (l.n >= HOSTDEVS_MAX) {
			if (ret_error != NULL)
				*ret_error = strdup("too many hostdevs");
			return -EINVAL;
		}
		v = reallocarray(l.v, l.n + 1, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l.v = v;
		r = read_hostdev(n, &l.v[l.n]);
		if (r < 0)
			return r;
		l.n++;
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
	return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

static bool
set_prop(xmlNodePtr n, const char *name, const char *value)
{
	return n != NULL &&
	    xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) != NULL;
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
	(void)snprintf(b, sizeof(b), "%u", bus);
	(void)snprintf(d, sizeof(d), "%u", dev);
	doc = xmlNewDoc((const xmlChar *)"1.0");
	hd = doc != NULL ? xmlNewNode(NULL, (const xmlChar *)"hostdev") : NULL;
	if (hd == NULL)
		return -ENOMEM;
	(void)xmlDocSetRootElement(doc, hd);
	if (!set_prop(hd, "mode", "subsystem") || !set_prop(hd, "type", "usb") ||
	    !set_prop(hd, "managed", "no"))
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
