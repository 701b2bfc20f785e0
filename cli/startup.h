#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "util.h"

/*
 * The start-up both programs share: logging, the options every program of
 * ours takes alike (-h, -?, --help, --version) and the form of a usage
 * error. It links neither libvirt nor libxml2, so that bbvirt-event,
 * which runs on every USB event, loads neither.
 */

/* The codes of the long options without a letter that every program takes. */
enum { STARTUP_ARG_VERSION = 0x1000, STARTUP_ARG_SYSLOG };

/* The options every program takes alike, first in each program's table. */
#define STARTUP_OPTIONS                                                 \
	{ "config", required_argument, NULL, 'C' },                     \
	{ "verbose", no_argument, NULL, 'v' },                          \
	{ "help", no_argument, NULL, 'h' },                             \
	{ "syslog", no_argument, NULL, STARTUP_ARG_SYSLOG },            \
	{ "version", no_argument, NULL, STARTUP_ARG_VERSION }

/* What those options set. */
struct startup_args {
	const char *config;     /* -C: a path, or a NAME in the config directory */
	int verbose;            /* -v each */
	bool syslog;            /* --syslog */
};

/* Names the program in logs and usage errors; call first. */
void startup_init(const char *program);

/* Logs the usage error, then "Try 'PROGRAM --help'." Returns -EINVAL. */
int startup_usage_error(const char *fmt, ...) _printf_(1, 2);

/* Parses the value of option opt, a number from 1 to max. Returns 0 or -EINVAL (logged). */
int startup_number(const char *opt, const char *s, unsigned max,
    unsigned *ret);

struct startup_options {
	const char *shortopts;
	const struct option *options;   /* STARTUP_OPTIONS, then the program's */
	struct startup_args *args;      /* set by the options of STARTUP_OPTIONS */
	void (*help)(void);
	/* Takes one option of the program's own: 0, or -EINVAL (logged). */
	int (*take)(int c, const char *value);
};

/*
 * Parses the options of argv with getopt_long(); optind is left at the
 * first word. Returns 1 to go on, 0 to exit successfully (the help or the
 * version was printed), or -EINVAL (a usage error, logged).
 */
int startup_parse(const struct startup_options *o, int argc, char *argv[]);

/* Where messages go once the options are read: more for each -v and extra, --syslog. */
void startup_logging(const struct startup_args *args, int extra);
