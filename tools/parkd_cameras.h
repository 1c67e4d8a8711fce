/*
 * parkd_cameras.h - parkd's camera events (cameras/): the module opened in
 * DATA/cameras (its snapshots; the events themselves in parkd's event
 * store) over the layout's cameras and tanks, ticked from the main loop
 * (the 5-minute clearing). parkd's event dispatcher hands it the "camera"
 * events (parkd_events.cameras).
 */
#ifndef PARKWATCH_PARKD_CAMERAS_H
#define PARKWATCH_PARKD_CAMERAS_H

#include <stddef.h>
#include <stdint.h>

#include "cameras/cameras.h"

/* 0 and *out (cameras_close after the API stops), or -1 with err. */
int parkd_cameras_open(const char *data_dir, ev_store *ev, const geo_layout *layout,
                       pw_condition_fn on_condition, void *ctx, cameras **out, char *err,
                       size_t errcap);
/* NULL-safe. */
void parkd_cameras_tick(cameras *c, int64_t now_ms);

#endif
