/* libFuzzer: both config syntaxes through conf_parse(), from a buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct conf conf = { 0 };

	/* conf_parse() logs its errors: keep them off the fuzzer's output. */
	if (devnull == NULL) {
		devnull = fopen("/dev/null", "we");
		log_set_stream(devnull);
	}
	if (conf_parse("fuzz.conf", (const char *)data, size, &conf) == 0)
		conf_done(&conf);
	return 0;
}
