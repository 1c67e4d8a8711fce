/*
 * parkd_hazards.h - parkd's hidden-hazard register (hazards/): opened in
 * DATA/hazards with the config's people as the assignees and its
 * "hazards.max_attachment_bytes", and handed to the API.
 */
#ifndef PARKWATCH_PARKD_HAZARDS_H
#define PARKWATCH_PARKD_HAZARDS_H

#include <stddef.h>

#include "hazards/hazards.h"
#include "tools/parkd_config.h"

/* 0 and *out (closed by the caller with hazards_close after the API
 * stops), or -1 with err. */
int parkd_hazards_open(const parkd_config *c, hazards **out, char *err, size_t errcap);

#endif
