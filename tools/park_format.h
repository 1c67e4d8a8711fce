/*
 * park_format.h - the payload formats parksim speaks, which enterprise
 * speaks which, and the tag name the receiver stores for each. Shared by
 * parksim (what it publishes) and parkgen's layout_gen.c (what the layout
 * lists), so that a layout made with parkgen --format F names every series
 * exactly as parkd stores it when parksim --format F --park plays it.
 */
#ifndef PARK_FORMAT_H
#define PARK_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum { FMT_JSON, FMT_NEURON_VALUES, FMT_NEURON_TAGS, FMT_LP } fmt_t;
#define FMT_MIXED (-1) /* --format mixed: the formats in turn */

/* --format's argument: FMT_JSON, FMT_NEURON_VALUES ("neuron": the two
 * Neuron variants in turn), FMT_LP, FMT_MIXED; -2 when unknown. */
static inline int park_format_parse(const char *s) {
    return !strcmp(s, "json")        ? FMT_JSON
           : !strcmp(s, "neuron")    ? FMT_NEURON_VALUES
           : !strcmp(s, "lineproto") ? FMT_LP
           : !strcmp(s, "mixed")     ? FMT_MIXED
                                     : -2;
}

/* The format of the e-th connection (0-based, in the order parksim makes
 * them: a parkgen layout's E001 is 0, E002 1, ...) under --format opt_fmt.
 * mixed: json, Neuron values, Neuron tags, line protocol in turn, but the
 * park's own connection (park: "PARK") speaks Parkwatch JSON; neuron: the
 * two Neuron variants in turn; otherwise opt_fmt for all. */
static inline fmt_t park_format_of(int opt_fmt, int e, bool park) {
    if (opt_fmt == FMT_MIXED) return park ? FMT_JSON : (fmt_t)(e % 4);
    if (opt_fmt == FMT_NEURON_VALUES && e % 2) return FMT_NEURON_TAGS;
    return (fmt_t)opt_fmt;
}

/* The tag name the receiver stores for tag under format f (ingest/ingest.h,
 * "MQTT payloads"): line protocol sends a tag without a dot ("lel") as
 * measurement = tag, field "value", stored as "lel.value"; "T101.level" is
 * measurement "T101", field "level", stored as "T101.level" again, and
 * json and Neuron keep every name. Returns what snprintf does. */
static inline int park_stored_tag(char *out, size_t cap, const char *tag, fmt_t f) {
    return snprintf(out, cap, "%s%s", tag, f == FMT_LP && !strchr(tag, '.') ? ".value" : "");
}

#endif
