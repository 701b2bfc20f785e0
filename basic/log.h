#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

#include "util.h"

/*
 * Messages go to stderr as "bbvirt: text". Where there is a journal they
 * go to it through its own protocol (sd_journal_sendv()), with the fields
 * of struct log_fields: when stderr is the journal, instead of stderr;
 * after log_open_syslog(), instead of syslog(3). Without a journal, or
 * when it refuses a message, stderr with an sd-daemon "<N>" level prefix
 * (stderr is the journal) or syslog(3) (log_open_syslog()) as before.
 * Each message reaches the journal once.
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
/* Logs to the journal where there is one, else to syslog(3) as well. */
void log_open_syslog(void);
/* Sends messages to f instead of stderr (tests); NULL restores stderr. */
void log_set_stream(FILE *f);

/*
 * Writes the NULL-terminated strings in parts as one error line to stderr
 * with write(2) alone: no stdio, no syslog, no lock, no allocation, so a
 * thread may call it while another is stuck inside any of those.
 */
void log_emergency_write(const char *const *parts);

/*
 * The kinds of message an admin can pick out of the journal (journalctl
 * MESSAGE_ID=...): each a fixed 128-bit id, listed in bbvirt(1), JOURNAL.
 * Never change one: the fleet's queries name them.
 */
#define LOG_MESSAGE_ATTACHED    "ebb5356f0f544c5b99f4542246592b4c"
#define LOG_MESSAGE_DETACHED    "8bda6d47a2164db9af77b597aab95148"
#define LOG_MESSAGE_FAILED      "6cc1f289610f4dfba08835091724e6c0"
#define LOG_MESSAGE_STOPPED     "f0a08744a0eb4251982b2e33b8ad9124"
#define LOG_MESSAGE_LEFT_ALONE  "39fd856c3302450e947e4b2e0047d070"
#define LOG_MESSAGE_REFUSED     "77105ca750e34965b5d90d882b91a3ac"
#define LOG_MESSAGE_RESTORE     "74590892c3474d6b9a8c77f4658cae50"
#define LOG_MESSAGE_EVENT_SYNC  "5240927bfe9b407ea1821683b7bfd165"
#define LOG_MESSAGE_EVENT_NONE  "4b94eda922d04c35ba2a3c8dd8d2f4cb"
#define LOG_MESSAGE_RELEASED    "4f877fe86c8247cca1b0cff2beca9931"
#define LOG_MESSAGE_RECLAIMED   "7d74026e932840c5852ea88cd1be1cf3"

/*
 * What a message is about, as journal fields (bbvirt(1), JOURNAL); each
 * member left NULL or 0 is left out. stderr and syslog(3) get the text
 * alone, so a message reads the same with or without its fields.
 */
struct log_fields {
	const char *message_id;         /* MESSAGE_ID: a LOG_MESSAGE_* */
	const char *action;             /* BBVIRT_ACTION: attach, detach, left-alone, refused... */
	const char *domain;             /* BBVIRT_DOMAIN */
	const char *serial;             /* BBVIRT_SERIAL */
	const char *port;               /* BBVIRT_PORT: the kernel's name, "3-2.1" */
	unsigned bus;                   /* BBVIRT_ADDRESS=BUS:DEV, when bus is not 0 */
	unsigned dev;
	uint16_t vendor;                /* BBVIRT_USB_ID=vvvv:pppp, when either is not 0 */
	uint16_t product;
	const char *reason;             /* BBVIRT_REASON: a word, as in the JSON */
	const char *result;             /* BBVIRT_RESULT */
	const char *rule[2];            /* BBVIRT_RULE=FILE:LINE, once each: the config's rules */
	const char *event;              /* BBVIRT_EVENT: a udev event, ACTION@KERNEL */
	const char *error;              /* BBVIRT_ERROR: why an action failed */
};

/*
 * Logs one line at level with the journal fields f (NULL: none) and
 * returns r, so logging and failing is one statement.
 */
int log_struct_errno(int level, int r, const struct log_fields *f,
    const char *fmt, ...) _printf_(4, 5);
/* log_struct(level, fields, fmt, ...): the fields may be a compound literal. */
#define log_struct(level, ...) \
	((void)log_struct_errno((level), 0, __VA_ARGS__))

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
