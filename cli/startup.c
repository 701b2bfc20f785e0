#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "startup.h"

static const char *program = "bbvirt";

void
startup_init(const char *name)
{
	program = name;
	log_init(name);
}

int
startup_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	fprintf(stderr, "Try '%s --help'.\n", program);
	return -EINVAL;
}

int
startup_number(const char *opt, const char *s, unsigned max, unsigned *ret)
{
	unsigned long long v;

	if (parse_uint(s, 10, 1, max, &v) < 0)
		return startup_usage_error("%s expects a number from 1 to %u, got '%s'",
		    opt, max, s);
	*ret = v;
	return 0;
}

/* getopt_long() reports -?, a valid option of ours, like an unknown one. */
static int
unknown_option(const struct startup_options *o, char *argv[])
{
	const char *word = argv[optind - 1];

	if (optopt == 0 && strncmp(word, "--", 2) != 0) {
		o->help();
		return 0;
	}
	if (optopt != 0)
		return startup_usage_error("unknown option '-%c'", optopt);
	return startup_usage_error("unknown option '%s'", word);
}

int
startup_parse(const struct startup_options *o, int argc, char *argv[])
{
	int c;
	int r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, o->shortopts, o->options,
	    NULL)) >= 0) {
		switch (c) {
		case 'C':
			o->args->config = optarg;
			break;
		case 'v':
			o->args->verbose++;
			break;
		case STARTUP_ARG_SYSLOG:
			o->args->syslog = true;
			break;
		case 'h':
			o->help();
			return 0;
		case STARTUP_ARG_VERSION:
			printf("%s %s\n", program, BBVIRT_VERSION);
			return 0;
		case ':':
			return startup_usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		case '?':
			return unknown_option(o, argv);
		default:
			r = o->take(c, optarg);
			if (r < 0)
				return r;
		}
	}
	return 1;
}

void
startup_logging(const struct startup_args *args, int extra)
{
	if (args->syslog)
		log_open_syslog();
	log_set_verbosity(args->verbose + extra);
}
