#pragma once

#include <stdbool.h>
#include <stdio.h>

struct conf;
struct plan;
struct status;

/* Each prints to f, as text for people or as one JSON document; returns 0 or -ENOMEM/-EIO. */
int report_conf(FILE *f, const struct conf *conf, bool json);
int report_plan(FILE *f, const struct plan *plan, bool json);
int report_status(FILE *f, const struct status *st, bool json);
