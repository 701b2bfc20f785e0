#pragma once

#include <stdbool.h>
#include <stdio.h>

struct conf;
struct plan;
struct seeddclaim;
struct status;
struct status_device;

/* Each prints to f, as text for people or as one JSON document; returns 0 or -ENOMEM/-EIO. */
int report_conf(FILE *f, const struct conf *conf, bool json);
/* report_conf(), with what seedd's claim means for it (NULL: not checked). */
int report_conf_with(FILE *f, const struct conf *conf,
    const struct seeddclaim *seedd, bool json);
int report_plan(FILE *f, const struct plan *plan, bool json);
int report_status(FILE *f, const struct status *st, bool json);
/*
 * What status adds after a device's state: the hostdev not bbvirt's that
 * holds it, and where else it is attached.
 */
void report_status_holder(FILE *f, const struct status_device *d);
