#pragma once

#include <stddef.h>

struct conf;

/*
 * Parses the original bbvirt's bash-syntax vm.conf without executing it:
 * DOMAIN_NAME_x, DOMAIN_URI_x and DOMAIN_RNG_x assignments fill conf's
 * domains; other plain assignments are ignored; anything that would need
 * a shell is an error. The caller has checked the encoding and fills the
 * usb ids. Logs "FILE:LINE: ..." on the first error. Returns 0, -EINVAL or
 * -ENOMEM.
 */
int legacy_parse(const char *file, const char *buf, size_t len,
    struct conf *conf);
