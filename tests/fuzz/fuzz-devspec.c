/* libFuzzer: device specs and alias decoding, from a NUL-terminated copy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "devspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char *serial = NULL;
	char *again = NULL;
	struct devspec spec;
	int kind;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)devspec_parse(s, &spec);
	kind = alias_decode(s, &serial);
	/* What decodes must encode back to the very same alias. */
	if (kind == ALIAS_OURS || kind == ALIAS_MANUAL) {
		if (alias_encode(serial, kind == ALIAS_MANUAL, &again) != 0 ||
		    strcmp(again, s) != 0)
			abort();
	}
	free(again);
	free(serial);
	free(s);
	return 0;
}
