#pragma once

/*
 * The section headers of seedd's config (bit-babbler's seedd.conf): which
 * BitBabblers seedd on this host takes. Only the headers are read; seedd's
 * own parser decides the rest.
 */
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Where bit-babbler's seedd.service has seedd read its config. */
#define SEEDD_DEFAULT_PATH CONF_DIR "/seedd.conf"
#define SEEDD_FILE_MAX (16u << 20)
#define SEEDD_DEVICES_MAX 65536

/* A [Device:SERIAL] section whose name is a usable serial. */
struct seedd_device {
	char *serial;
	unsigned line;          /* its first header: seedd merges repeated sections */
};

struct seedd_conf {
	char *file;
	struct seedd_device *devices;   /* sorted by serial, each serial once */
	size_t n_devices;
	/*
	 * The first [Device:...] header, whatever its name; 0 when there is
	 * none, and seedd then takes every BitBabbler.
	 */
	unsigned first_device_line;
	/*
	 * The first header seedd refuses (a '[' without ']' on its line, or
	 * "[]"): seedd then reads nothing and does not start. 0: none.
	 */
	unsigned bad_line;
};

/*
 * Reads the headers in buf as seedd does: a line ends at '\n' or '\r'; a
 * line whose first byte after blanks and tabs is '[' is a header whose
 * name runs to the first ']' (the rest of the line is ignored); one whose
 * first such byte is '#' is a comment; every other line is an option.
 * Names are taken byte for byte (case counts, "device:" is no device
 * section). Lines may be of any length and hold any byte: nothing is
 * copied but a name of at most SERIAL_MAX bytes that serial_valid()
 * accepts. Lines are counted by '\n'. Silent. Returns 0, -ENOMEM, or
 * -E2BIG past SEEDD_DEVICES_MAX device serials; *ret is the caller's.
 */
int seedd_parse(const char *file, const char *buf, size_t len,
    struct seedd_conf *ret);

/*
 * Reads path (a regular file of at most SEEDD_FILE_MAX bytes) and parses
 * it. Logs nothing: the caller says what a failure means to it. Returns
 * 0, -ENOMEM, -E2BIG, -EFBIG, -EINVAL (not a regular file) or -errno.
 */
int seedd_load(const char *path, struct seedd_conf *ret);

void seedd_conf_done(struct seedd_conf *s);

/* The [Device:SERIAL] section of serial, or NULL. O(log n). */
const struct seedd_device *seedd_find(const struct seedd_conf *s,
    const char *serial);
