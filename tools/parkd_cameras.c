/*
 * parkd_cameras.c - opens the camera events for parkd: the one place that
 * knows where the snapshots live (DATA/cameras/snapshots).
 */
#include <limits.h>
#include <stdio.h>

#include "common/clock.h"
#include "tools/parkd_cameras.h"

int parkd_cameras_open(const char *data_dir, ev_store *ev, const geo_layout *layout,
                       pw_condition_fn on_condition, void *ctx, cameras **out, char *err,
                       size_t errcap) {
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/cameras", data_dir) >= (int)sizeof dir) {
        snprintf(err, errcap, "cameras: the data directory's path is too long");
        return -1;
    }
    cameras_options o = {
        .dir = dir, .events = ev, .layout = layout, .on_condition = on_condition, .ctx = ctx};
    char cerr[512];
    if (cameras_open(&o, pw_wall_ms(), out, cerr, sizeof cerr) != 0) {
        snprintf(err, errcap, "%s", cerr);
        return -1;
    }
    return 0;
}

void parkd_cameras_tick(cameras *c, int64_t now_ms) {
    if (c) cameras_tick(c, now_ms);
}
