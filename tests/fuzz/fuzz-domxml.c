/* libFuzzer: hostdev extraction from arbitrary domain XML. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostdev_list l = { 0 };
	char *error = NULL;

	if (domxml_hostdevs((const char *)data, size, &l, &error) == 0)
		hostdev_list_done(&l);
	free(error);
	return 0;
}
