#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * What a run of bbvirt holds while it works: the watchdog that ends it at
 * its --timeout, the lock that serialises the runs that change guests, and
 * the hold file of bbvirt release.
 */

/*
 * Starts the watchdog: after timeout seconds the process says what it was
 * doing (the last runtime_phase()) and exits with status 1, even inside a
 * libvirt call that hangs. Returns 0 or -errno (logged).
 */
int runtime_watchdog(unsigned timeout);

/* Names what the run does now, for the watchdog's message; phase is static. */
void runtime_phase(const char *phase);

/*
 * Takes the lock ($BBVIRT_LOCK, default /run/bbvirt/lock), waiting for
 * another run to finish; it is held until exit. Returns 0 or -errno
 * (logged).
 */
int runtime_lock(void);

/*
 * Whether bbvirt release holds; if so, since when (local time) in since.
 * Returns 1, 0, or -errno (logged).
 */
int runtime_hold_read(char *since, size_t n);

/*
 * Starts the hold, under the lock, before anything is detached: the udev
 * event each detach causes then finds it. A hold in place keeps its time.
 * Returns 0 or -errno (logged).
 */
int runtime_hold_set(void);

/* Ends the hold, if any. Returns 0 or -errno (logged). */
int runtime_hold_end(void);
