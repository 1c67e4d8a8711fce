/*
 * observe.c - the readings of observed series (closed-park positions:
 * PARK/vehicles/..., PARK/people/...) handed to ingest_options.observe,
 * one message's at a time, on the pipeline's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "historian/historian.h"
#include "ingest/internal.h"

#define WATCH_NO UINT32_MAX

static bool observed_name(const ingest_options *o, const char *name) {
    for (size_t i = 0; i < o->n_observe_prefixes; i++) {
        const char *p = o->observe_prefixes[i];
        if (p && *p && !strncmp(name, p, strlen(p))) return true;
    }
    return false;
}

/* The slot of series id: looked up once, WATCH_NO when not observed (or
 * when memory or the historian failed: observation is best effort). */
static uint32_t slot_of(ingest_watch *w, const ingest_options *o, struct hist *h, uint32_t id) {
    if (id >= w->cap_slot) {
        size_t cap = w->cap_slot ? w->cap_slot : 1024;
        while (cap <= id) cap *= 2;
        uint32_t *v = realloc(w->slot, cap * sizeof *v);
        if (!v) return WATCH_NO;
        memset(v + w->cap_slot, 0, (cap - w->cap_slot) * sizeof *v);
        w->slot = v, w->cap_slot = cap;
    }
    if (w->slot[id]) return w->slot[id];
    hist_series_info info;
    hist_error herr;
    uint32_t slot = WATCH_NO;
    if (hist_series_get(h, id, &info, &herr) == HIST_OK && observed_name(o, info.name)) {
        if (w->n_names == w->cap_names) {
            size_t cap = w->cap_names ? w->cap_names * 2 : 256;
            char **v = realloc(w->names, cap * sizeof *v);
            if (v) w->names = v, w->cap_names = cap;
        }
        char *copy = w->n_names < w->cap_names ? strdup(info.name) : NULL;
        if (copy) {
            w->names[w->n_names++] = copy;
            slot = (uint32_t)w->n_names;
        }
    }
    w->slot[id] = slot;
    return slot;
}

void ingest_watch_points(ingest_watch *w, const ingest_options *o, struct hist *h,
                         const struct hist_point *pts, size_t n) {
    if (!o->observe || !o->n_observe_prefixes || !n) return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = slot_of(w, o, h, pts[i].series);
        if (slot == WATCH_NO) continue;
        if (k == w->cap_buf) {
            size_t cap = w->cap_buf ? w->cap_buf * 2 : 256;
            ingest_observed *v = realloc(w->buf, cap * sizeof *v);
            if (!v) break;
            w->buf = v, w->cap_buf = cap;
        }
        w->buf[k++] = (ingest_observed){w->names[slot - 1], pts[i].series, pts[i].ts_ms,
                                        pts[i].value, pts[i].quality};
    }
    if (k) o->observe(w->buf, k, o->observe_ctx);
}

void ingest_watch_free(ingest_watch *w) {
    for (size_t i = 0; i < w->n_names; i++) free(w->names[i]);
    free(w->names);
    free(w->slot);
    free(w->buf);
    memset(w, 0, sizeof *w);
}
