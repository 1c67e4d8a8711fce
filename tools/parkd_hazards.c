/*
 * parkd_hazards.c - opens the hidden-hazard register for parkd: the one
 * place that knows where it lives (DATA/hazards) and what of the config it
 * takes (the people, the attachment limit).
 */
#include <limits.h>
#include <stdio.h>

#include "tools/parkd_hazards.h"

int parkd_hazards_open(const parkd_config *c, hazards **out, char *err, size_t errcap) {
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/hazards", c->data_dir) >= (int)sizeof dir) {
        snprintf(err, errcap, "hazards: the data directory's path is too long");
        return -1;
    }
    hazards_options o = {
        .dir = dir, .people = c->people, .max_attachment_bytes = c->hazard_max_attachment_bytes};
    char herr[512];
    if (hazards_open(&o, out, herr, sizeof herr) != HAZARD_OK) {
        snprintf(err, errcap, "hazards: %s", herr);
        return -1;
    }
    return 0;
}
