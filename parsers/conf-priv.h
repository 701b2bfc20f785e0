#pragma once

/* Shared by the two config parsers; not for the rest of bbvirt. */

#include "conf.h"

/* Logs "FILE:LINE: message" and returns -EINVAL. */
int conf_error(const char *file, unsigned line, const char *fmt, ...)
    _printf_(3, 4);

/* Appends a domain; the struct stays owned by conf. NULL on -ENOMEM. */
struct conf_domain *conf_add_domain(struct conf *conf, const char *key,
    unsigned line);
int conf_domain_add_serial(struct conf_domain *d, const char *serial,
    unsigned line);
int conf_domain_add_port(struct conf_domain *d, const char *port,
    unsigned line);
int conf_domain_add_type(struct conf_domain *d, struct usb_id id,
    unsigned line);
void conf_domain_clear_serials(struct conf_domain *d);
int conf_add_usb_id(struct conf *conf, struct usb_id id);

/* True for a name libvirt accepts and we can print: 1-255 bytes, no control characters, no '/'. */
bool conf_name_valid(const char *s);
bool conf_uri_valid(const char *s);
/* "none", or an absolute path of printable characters, not ending in '/': metrics and seedd-conf. */
bool conf_metrics_valid(const char *s);

/* Parses the INI syntax; the caller has checked the encoding. */
int ini_conf_parse(const char *file, const char *buf, size_t len,
    struct conf *conf);
