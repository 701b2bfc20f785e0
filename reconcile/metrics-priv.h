#pragma once

/* For the tests and the fuzzer: not for the rest of bbvirt. */

#include "metrics.h"

/*
 * s as a label value, the text between the quotes: backslash, double
 * quote and newline escaped as \\, \" and \n; a byte that is not part of
 * a valid UTF-8 sequence, and any other control character, written as
 * the four characters \xHH (in the file \\xHH, lower-case hex). Returns
 * a new string, or NULL when out of memory.
 */
char *metrics_label_escape(const char *s);
