/*
 * libFuzzer: hostdev extraction from arbitrary domain XML. Each hostdev
 * found with an address is also built back into an element, which must
 * read back to the same address and alias. Then the restore filter's
 * splice: every hostdev's <source> replaced by a built one; the result
 * must parse, hold the same hostdevs naming what was built, and keep
 * every byte outside the replaced elements.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_build(const struct hostdev *h)
{
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	_cleanup_free_ char *xml = NULL;
	_cleanup_free_ char *dom = NULL;

	/* What libxml2 parsed is text it can write again. */
	if (domxml_build_usb_hostdev(h->bus, h->dev, h->alias, &xml) != 0)
		abort();
	if (asprintf(&dom, "<domain><devices>%s</devices></domain>", xml) < 0)
		abort();
	if (domxml_hostdevs(dom, strlen(dom), &l) != 0 || l.n != 1 ||
	    !l.v[0].has_address || l.v[0].bus != h->bus ||
	    l.v[0].dev != h->dev || !streq_null(l.v[0].alias, h->alias))
		abort();
}

/* The source the splice puts in place of hostdev i's. */
static struct domxml_source
source_for(const struct hostdev_span *h, size_t i)
{
	return (struct domxml_source){
		.optional = i % 2 == 0, .bus = h->hd.bus, .dev = i % 128,
		.has_id = i % 3 == 0, .vendor = (uint16_t)i, .product = 0x7840,
	};
}

static void
check_splice(const char *xml, size_t len)
{
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans back = { 0 };
	_cleanup_free_ struct domxml_edit *edits = NULL;
	_cleanup_free_ char **texts = NULL;
	_cleanup_free_ char *out = NULL;
	size_t n_out = 0;
	size_t n = 0;
	size_t i_at = 0;
	size_t o_at = 0;

	if (domxml_spans(xml, len, &doc) != 0)
		return;
	edits = calloc(doc.n + 1, sizeof(*edits));
	texts = calloc(doc.n + 1, sizeof(*texts));
	if (edits == NULL || texts == NULL)
		abort();
	for (size_t i = 0; i < doc.n; i++) {
		struct domxml_source src = source_for(&doc.v[i], i);

		if (!doc.v[i].has_source)
			continue;
		if (domxml_build_source(&src, doc.v[i].multiline,
		    doc.v[i].depth, &texts[n]) != 0)
			abort();
		edits[n] = (struct domxml_edit){ .begin = doc.v[i].begin,
		    .end = doc.v[i].end, .text = texts[n] };
		n++;
	}
	if (domxml_splice(xml, len, edits, n, &out, &n_out) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	if (domxml_spans(out, n_out, &back) != 0 || back.n != doc.n ||
	    !streq_null(back.name, doc.name))
		abort();
	for (size_t i = 0; i < doc.n; i++) {
		const struct hostdev_span *a = &back.v[i];
		struct domxml_source src = source_for(&doc.v[i], i);

		if (!streq_null(a->hd.alias, doc.v[i].hd.alias) ||
		    a->has_source != doc.v[i].has_source)
			abort();
		if (!a->has_source)
			continue;
		if (a->optional != src.optional || !a->hd.has_address ||
		    a->hd.bus != src.bus || a->hd.dev != src.dev ||
		    a->hd.has_id != src.has_id ||
		    (src.has_id && (a->hd.vendor != src.vendor ||
		    a->hd.product != src.product)))
			abort();
		/* The bytes up to this source are the input's. */
		if (a->begin - o_at != doc.v[i].begin - i_at ||
		    memcmp(out + o_at, xml + i_at, a->begin - o_at) != 0)
			abort();
		i_at = doc.v[i].end;
		o_at = a->end;
	}
	if (n_out - o_at != len - i_at ||
	    memcmp(out + o_at, xml + i_at, len - i_at) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	int r = domxml_hostdevs((const char *)data, size, &l);

	if (r != 0) {
		/* A refusal says why, and -ENOMEM leaves the result empty. */
		if ((r == -EINVAL) != (l.error != NULL) || l.v != NULL)
			abort();
		return 0;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].has_address)
			check_build(&l.v[i]);
	check_splice((const char *)data, size);
	return 0;
}
