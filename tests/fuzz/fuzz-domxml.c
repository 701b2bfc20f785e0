/*
 * libFuzzer: hostdev extraction from arbitrary domain XML. Each hostdev
 * found with an address is also built back into an element, which must
 * read back to the same address and alias.
 */
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
	if (domxml_hostdevs(dom, strlen(dom), &l, NULL) != 0 || l.n != 1 ||
	    !l.v[0].has_address || l.v[0].bus != h->bus ||
	    l.v[0].dev != h->dev || !streq_null(l.v[0].alias, h->alias))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	_cleanup_free_ char *error = NULL;

	if (domxml_hostdevs((const char *)data, size, &l, &error) != 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].has_address)
			check_build(&l.v[i]);
	return 0;
}
