#pragma once

#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "util.h"

/*
 * Messages go to stderr as "bbvirt: text", or with an sd-daemon "<N>" level
 * prefix when stderr is the journal, and also to syslog(3) after
 * log_open_syslog().
 * Levels are syslog's. The default threshold is LOG_NOTICE.
 */
/*
 * Names the program in every line (stderr's prefix, syslog's identifier)
 * and looks at stderr once; call before any other thread starts.
 */
void log_init(const char *program);
void log_set_max_level(int level);
/* The default threshold raised by n (-v each), up to LOG_DEBUG. */
void log_set_verbosity(int n);
int log_get_max_level(void);
void log_open_syslog(void);
/* Sends messages to f instead of stderr (tests); NULL restores stderr. */
void log_set_stream(FILE *f);

/*
 * Writes the NULL-terminated strings in parts as one error line to stderr
 * with write(2) alone: no stdio, no syslog, no lock, no allocation, so a
 * thread may call it while another is stuck inside any of those.
 */
void log_emergency_write(const char *const *parts);

/* Logs one line at level and returns r, so logging and failing is one statement. */
int log_full_errno(int level, int r, const char *fmt, ...) _printf_(3, 4);

#define log_full(level, ...) ((void)log_full_errno((level), 0, __VA_ARGS__))
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)
/* The one message for an allocation that failed. Returns -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "out of memory")
