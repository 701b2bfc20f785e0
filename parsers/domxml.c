#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include "domxml.h"
#include "util.h"

/* A live domain holds a few hostdevs; thousands is not libvirt talking. */
#define HOSTDEVS_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)

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
	/* Where the guest sees it: the <address> beside <source>, not in it. */
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (is(c, "address") && prop_is(c, "type", "usb") &&
		    prop_uint(c, "bus", UINT16_MAX, &x)) {
			h.has_guest_bus = true;
			h.guest_bus = x;
			break;
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

/*
 * Refuses the document: *error, the result's reason, becomes msg without
 * libxml2's final newline. Returns -EINVAL, or -ENOMEM.
 */
static int
fail(char **error, const char *msg)
{
	char *m = strdup(msg);
	size_t n;

	if (m == NULL)
		return -ENOMEM;
	n = strlen(m);
	while (n > 0 && m[n - 1] == '\n')
		m[--n] = '\0';
	free(*error);
	*error = m;
	return -EINVAL;
}

static int
fail_xml(char **error)
{
	const xmlError *e = xmlGetLastError();

	return fail(error, e != NULL && e->message != NULL ? e->message :
	    "cannot parse the XML");
}

static int
push_hostdev(struct hostdev_list *l, const xmlNode *n)
{
	if (l->n >= HOSTDEVS_MAX)
		return fail(&l->error, "too many hostdevs");
	if (GREEDY_GROW(l->v, l->n) < 0)
		return -ENOMEM;
	/* read_hostdev() writes the slot only on success. */
	if (read_hostdev(n, &l->v[l->n]) < 0)
		return -ENOMEM;
	l->n++;
	return 0;
}

/*
 * libvirt's USB controller models (its domain XML documentation), with the
 * signalling rate of the bus each makes.
 */
static const struct usb_model usb_models[] = {
	{ "piix3-uhci", 12 }, { "piix4-uhci", 12 }, { "vt82c686b-uhci", 12 },
	{ "ich9-uhci1", 12 }, { "ich9-uhci2", 12 }, { "ich9-uhci3", 12 },
	{ "pci-ohci", 12 }, { "qusb1", 12 },
	{ "ehci", 480 }, { "ich9-ehci1", 480 }, { "qusb2", 480 },
	{ "nec-xhci", 5000 }, { "qemu-xhci", 5000 },
};

const struct usb_model *
usb_model_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(usb_models); i++)
		if (strcmp(usb_models[i].name, name) == 0)
			return &usb_models[i];
	return NULL;
}

bool
usb_model_slows(const struct usb_model *m, double device_mbps)
{
	return m != NULL && m->mbps < USB_HIGH_SPEED_MBPS &&
	    device_mbps >= USB_HIGH_SPEED_MBPS;
}

/*
 * The model of the controller that makes USB bus index, from the
 * <devices> under root: the one with that index and no <master>, for an
 * EHCI's UHCI companions share its index. NULL when none, or unknown.
 */
static const struct usb_model *
bus_model(const xmlNode *root, unsigned long long index)
{
	for (const xmlNode *d = root->children; d != NULL; d = d->next) {
		if (!is(d, "devices"))
			continue;
		for (const xmlNode *c = d->children; c != NULL; c = c->next) {
			_cleanup_(xmlfreep) xmlChar *model = NULL;
			unsigned long long i;

			if (!is(c, "controller") || !prop_is(c, "type", "usb") ||
			    !prop_uint(c, "index", UINT16_MAX, &i) || i != index ||
			    child(c, "master") != NULL)
				continue;
			model = xmlGetProp(c, (const xmlChar *)"model");
			return usb_model_lookup((const char *)model);
		}
	}
	return NULL;
}

static int
read_devices(struct hostdev_list *l, const xmlNode *devs)
{
	for (const xmlNode *n = devs->children; n != NULL; n = n->next) {
		int r;

		if (!is(n, "hostdev") || !prop_is(n, "mode", "subsystem") ||
		    !prop_is(n, "type", "usb"))
			continue;
		r = push_hostdev(l, n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The checks both readers make of a parsed document; *ret_root is its <domain>. */
static int
check_doc(xmlDocPtr doc, const xmlNode **ret_root, char **error)
{
	const xmlNode *root = NULL;

	/*
	 * libvirt never writes a DOCTYPE. Refusing one leaves no entity for
	 * xmlGetProp() to expand.
	 */
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		return fail(error, "unexpected document type declaration");
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is(root, "domain"))
		return fail(error, "root element is not 'domain'");
	*ret_root = root;
	return 0;
}

static int
parse_hostdevs(const char *xml, size_t len, struct hostdev_list *l)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	int r;

	if (len == 0)
		return fail(&l->error, "empty document");
	if (len > INT32_MAX)
		return fail(&l->error, "document too large");
	xmlResetLastError();
	/*
	 * No XML_PARSE_NOENT and no DTD loading: entities stay unexpanded and
	 * nothing is fetched, from the network or from a file.
	 */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return fail_xml(&l->error);
	r = check_doc(doc, &root, &l->error);
	if (r < 0)
		return r;
	/* Every <devices>, as libvirt's own "./devices/hostdev" does. */
	for (const xmlNode *d = root->children; d != NULL; d = d->next) {
		if (!is(d, "devices"))
			continue;
		r = read_devices(l, d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].has_guest_bus)
			l->v[i].controller = bus_model(root, l->v[i].guest_bus);
	return 0;
}

int
domxml_hostdevs(const char *xml, size_t len, struct hostdev_list *ret)
{
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	int r;

	(void)pthread_once(&xml_once, xml_init);
	r = parse_hostdevs(xml, len, &l);
	/* A document refused: the result holds nothing but the reason. */
	if (r == -EINVAL)
		*ret = (struct hostdev_list){ .error = TAKE_PTR(l.error) };
	if (r < 0)
		return r;
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
	free(l->error);
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

/*
 * Byte ranges of <source> elements, recorded while libxml2 parses: a SAX2
 * handler wraps libxml2's own tree builder, and each recorded element's
 * node->_private holds its index + 1 in v.
 */
struct span_rec {
	size_t begin;
	size_t end;             /* 0 until the element is closed */
};

struct span_state {
	const char *xml;
	size_t len;
	struct span_rec *v;
	size_t n;
	bool failed;            /* out of memory, or an offset that makes no sense */
};

static void
span_state_done(struct span_state *s)
{
	s->v = mfree(s->v);
}

static bool
is_source_of_hostdev(const xmlNode *n)
{
	return is(n, "source") && n->parent != NULL && is(n->parent, "hostdev");
}

static void
span_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct span_state *s = ctxt->_private;
	xmlNodePtr n;
	long off;
	size_t b;

	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
	    namespaces, nb_attributes, nb_defaulted, attributes);
	n = ctxt->node;
	if (s->failed || n == NULL || !is_source_of_hostdev(n))
		return;
	/*
	 * libxml2 calls this with its input at the start tag's '>' or "/>".
	 * An attribute value cannot hold a literal '<', so the tag starts at
	 * the last '<' before that.
	 */
	off = xmlByteConsumed(ctxt);
	if (off <= 0 || (size_t)off > s->len) {
		s->failed = true;
		return;
	}
	b = (size_t)off;
	while (b > 0 && s->xml[b - 1] != '<')
		b--;
	if (b == 0 || s->n >= HOSTDEVS_MAX) {
		s->failed = true;
		return;
	}
	if (GREEDY_APPEND(s->v, s->n,
	    ((struct span_rec){ .begin = b - 1 })) < 0) {
		s->failed = true;
		return;
	}
	n->_private = (void *)(uintptr_t)s->n;
}

static void
span_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct span_state *s = ctxt->_private;
	xmlNodePtr n = ctxt->node;
	long off;

	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
	if (s->failed || n == NULL || n->_private == NULL)
		return;
	/* Called with the input just past the end tag's '>' or the "/>". */
	off = xmlByteConsumed(ctxt);
	if (off <= 0 || (size_t)off > s->len) {
		s->failed = true;
		return;
	}
	s->v[(uintptr_t)n->_private - 1].end = (size_t)off;
}

/* A recorded range must be exactly one <source ...> ... element. */
static bool
span_sane(const struct span_state *s, const struct span_rec *r)
{
	static const char tag[] = "<source";
	const size_t k = sizeof(tag) - 1;
	char c;

	if (r->end <= r->begin || r->end > s->len || r->end - r->begin < k + 2)
		return false;
	if (memcmp(s->xml + r->begin, tag, k) != 0 || s->xml[r->end - 1] != '>')
		return false;
	c = s->xml[r->begin + k];
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' ||
	    c == '>';
}

static unsigned
depth_of(const xmlNode *n)
{
	unsigned d = 0;

	for (const xmlNode *p = n->parent; p != NULL &&
	    p->type == XML_ELEMENT_NODE; p = p->parent)
		d++;
	return d;
}

static int
read_span(const struct span_state *s, const xmlNode *n,
    struct hostdev_span *ret, char **error)
{
	const xmlNode *src = child(n, "source");
	uintptr_t i = src != NULL ? (uintptr_t)src->_private : 0;
	struct hostdev_span h = { 0 };

	if (src != NULL && (i == 0 || i > s->n || !span_sane(s, &s->v[i - 1])))
		return fail(error,
		    "cannot tell where a hostdev's source lies in the document");
	if (read_hostdev(n, &h.hd) < 0)
		return -ENOMEM;
	if (src != NULL) {
		h.has_source = true;
		h.optional = prop_is(src, "startupPolicy", "optional");
		h.begin = s->v[i - 1].begin;
		h.end = s->v[i - 1].end;
		h.depth = depth_of(src);
		h.multiline = memchr(s->xml + h.begin, '\n', h.end - h.begin) !=
		    NULL;
	}
	*ret = h;
	return 0;
}

static int
push_span(struct domxml_spans *l, const struct span_state *s,
    const xmlNode *n)
{
	int r;

	if (l->n >= HOSTDEVS_MAX)
		return fail(&l->error, "too many hostdevs");
	if (GREEDY_GROW(l->v, l->n) < 0)
		return -ENOMEM;
	r = read_span(s, n, &l->v[l->n], &l->error);
	if (r < 0)
		return r;
	l->n++;
	return 0;
}

static int
read_spans(struct domxml_spans *l, const struct span_state *s,
    const xmlNode *root)
{
	const xmlNode *name = child(root, "name");
	int r;

	if (name != NULL) {
		_cleanup_(xmlfreep) xmlChar *t = xmlNodeGetContent(name);

		if (t == NULL || (l->name = strdup((const char *)t)) == NULL)
			return -ENOMEM;
	}
	for (const xmlNode *d = root->children; d != NULL; d = d->next) {
		if (!is(d, "devices"))
			continue;
		for (const xmlNode *n = d->children; n != NULL; n = n->next) {
			if (!is(n, "hostdev") || !prop_is(n, "mode", "subsystem") ||
			    !prop_is(n, "type", "usb"))
				continue;
			r = push_span(l, s, n);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Parses with the span recorder; *ret_doc is the caller's. */
static int
parse_spans(struct span_state *s, xmlDocPtr *ret_doc, char **error)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;

	xmlResetLastError();
	ctxt = xmlCreateMemoryParserCtxt(s->xml, (int)s->len);
	if (ctxt == NULL)
		return fail_xml(error);
	ctxt->sax->startElementNs = span_start;
	ctxt->sax->endElementNs = span_end;
	ctxt->_private = s;
	/* As in domxml_hostdevs(): no entity, no DTD, nothing fetched. */
	(void)xmlCtxtUseOptions(ctxt,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	(void)xmlParseDocument(ctxt);
	doc = TAKE_PTR(ctxt->myDoc);
	if (!ctxt->wellFormed || doc == NULL)
		return fail_xml(error);
	*ret_doc = TAKE_PTR(doc);
	/*
	 * Offsets are in the bytes libxml2 parses: those of the input only
	 * when it did not convert them from another encoding.
	 */
	if (ctxt->input == NULL || ctxt->input->buf == NULL ||
	    ctxt->input->buf->encoder != NULL)
		return fail(error, "document not in UTF-8");
	if (s->failed)
		return fail(error, "cannot record where hostdev sources lie");
	return 0;
}

int
domxml_spans(const char *xml, size_t len, struct domxml_spans *ret)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(domxml_spans_done) struct domxml_spans l = { 0 };
	_cleanup_(span_state_done) struct span_state s = {
		.xml = xml, .len = len,
	};
	const xmlNode *root = NULL;
	int r;

	(void)pthread_once(&xml_once, xml_init);
	if (len == 0)
		r = fail(&l.error, "empty document");
	else if (len > INT32_MAX)
		r = fail(&l.error, "document too large");
	else
		r = parse_spans(&s, &doc, &l.error);
	if (r == 0)
		r = check_doc(doc, &root, &l.error);
	if (r == 0)
		r = read_spans(&l, &s, root);
	/* As in domxml_hostdevs(): a refusal leaves only the reason. */
	if (r == -EINVAL)
		*ret = (struct domxml_spans){ .error = TAKE_PTR(l.error) };
	if (r < 0)
		return r;
	*ret = l;
	l = (struct domxml_spans){ 0 };
	return 0;
}

void
domxml_spans_done(struct domxml_spans *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].hd.alias);
	free(s->v);
	free(s->name);
	free(s->error);
	*s = (struct domxml_spans){ 0 };
}

static bool
set_id(xmlNodePtr parent, const char *name, uint16_t id)
{
	char v[8];

	(void)snprintf(v, sizeof(v), "0x%04x", id);
	return set_prop(new_child(parent, name), "id", v);
}

int
domxml_build_source(const struct domxml_source *src, bool indent,
    unsigned depth, char **ret_xml)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
	xmlNodePtr n;
	xmlNodePtr addr;
	char b[12];
	char d[12];
	char *s;

	(void)pthread_once(&xml_once, xml_init);
	(void)snprintf(b, sizeof(b), "%u", src->bus);
	(void)snprintf(d, sizeof(d), "%u", src->dev);
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (doc == NULL)
		return -ENOMEM;
	n = xmlNewNode(NULL, (const xmlChar *)"source");
	if (n == NULL)
		return -ENOMEM;
	(void)xmlDocSetRootElement(doc, n);
	if (src->optional && !set_prop(n, "startupPolicy", "optional"))
		return -ENOMEM;
	/* libvirt's own order: vendor, product, address. */
	if (src->has_id && (!set_id(n, "vendor", src->vendor) ||
	    !set_id(n, "product", src->product)))
		return -ENOMEM;
	addr = new_child(n, "address");
	if (!set_prop(addr, "bus", b) || !set_prop(addr, "device", d))
		return -ENOMEM;
	buf = xmlBufferCreate();
	/* Indented as libvirt writes: two spaces a level below the root. */
	if (buf == NULL || xmlNodeDump(buf, doc, n, (int)depth, indent) < 0)
		return -ENOMEM;
	s = strdup((const char *)xmlBufferContent(buf));
	if (s == NULL)
		return -ENOMEM;
	*ret_xml = s;
	return 0;
}

int
domxml_splice(const char *xml, size_t len, const struct domxml_edit *edits,
    size_t n, char **ret, size_t *ret_len)
{
	size_t size = len;
	size_t at = 0;
	size_t o = 0;
	char *out;

	for (size_t i = 0; i < n; i++) {
		size_t t = strlen(edits[i].text);

		if (edits[i].begin < at || edits[i].end < edits[i].begin ||
		    edits[i].end > len)
			return -EINVAL;
		at = edits[i].end;
		size = size - (edits[i].end - edits[i].begin);
		if (size > SIZE_MAX - t - 1)
			return -ENOMEM;
		size += t;
	}
	out = malloc(size + 1);
	if (out == NULL)
		return -ENOMEM;
	at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t t = strlen(edits[i].text);

		memcpy(out + o, xml + at, edits[i].begin - at);
		o += edits[i].begin - at;
		memcpy(out + o, edits[i].text, t);
		o += t;
		at = edits[i].end;
	}
	memcpy(out + o, xml + at, len - at);
	o += len - at;
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
}
