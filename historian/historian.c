/*
 * historian.c - opening, the series catalogue and the write path.
 *
 * The write path is that of a log-structured time-series engine (the
 * Prometheus TSDB head, PI's snapshot subsystem): a batch is appended to the
 * write-ahead log, made durable per the sync policy, then inserted into the
 * head, where each series keeps its open time windows as plain arrays.
 * When a series has moved seal_grace_ms past the end of a window, that window
 * is encoded and written to RocksDB (merged with whatever is already there)
 * and leaves the head. Late points simply open an old window in the head
 * again; it is sealed at once by the same merge. A checkpoint, when the log
 * has grown past wal_checkpoint_bytes, writes every window that changed,
 * syncs RocksDB and deletes the old log segments, so memory and replay time
 * stay bounded whatever the traffic.
 *
 * One writer at a time (write_mu); the head lock is held for writing only
 * while arrays are mutated, never during disk I/O, so queries are not
 * blocked behind the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "historian/internal.h"

static hist_status store_ready(hist *h, hist_error *err);

#define SERIES_KEY_PREFIX 's'
#define SETTING_WINDOW    "setting/chunk_window_ms"

hist_status hist_fail(hist_error *err, hist_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *hist_status_name(hist_status s) {
    static const char *const names[] = {
        "ok",           "invalid argument", "not found",     "i/o error",
        "corrupt data", "out of memory",    "limit reached", "busy"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

void hist_options_default(hist_options *o) {
    memset(o, 0, sizeof *o);
    o->sync = HIST_SYNC_EVERY_BATCH;
    o->sync_interval_ms = 100;
    o->chunk_window_ms = 15 * MINUTE_MS;
    o->seal_grace_ms = MINUTE_MS;
    o->wal_checkpoint_bytes = (size_t)512 << 20;
    o->max_series = 1000000;
    o->block_cache_bytes = (size_t)64 << 20;
    o->chunk_cache_bytes = (size_t)64 << 20;
}

/* ---- series catalogue ---- */

static uint64_t name_hash(const char *s) {
    uint64_t hsh = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) hsh = (hsh ^ (uint8_t)*s) * 1099511628211ull;
    return hsh;
}

static int name_index_rebuild(hist *h, size_t cap) {
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) return -1;
    for (size_t i = 0; i < h->n_series; i++) {
        size_t j = name_hash(h->series[i].name) & (cap - 1);
        while (idx[j]) j = (j + 1) & (cap - 1);
        idx[j] = (uint32_t)i + 1;
    }
    free(h->name_index);
    h->name_index = idx;
    h->name_index_cap = cap;
    return 0;
}

static bool name_find(const hist *h, const char *name, uint32_t *id) {
    if (!h->name_index_cap) return false;
    size_t j = name_hash(name) & (h->name_index_cap - 1);
    while (h->name_index[j]) {
        uint32_t i = h->name_index[j] - 1;
        if (strcmp(h->series[i].name, name) == 0) {
            *id = i;
            return true;
        }
        j = (j + 1) & (h->name_index_cap - 1);
    }
    return false;
}

const int64_t window_table[WINDOW_CLASSES] = {
    1 * MINUTE_MS,  2 * MINUTE_MS,  3 * MINUTE_MS,  4 * MINUTE_MS,  5 * MINUTE_MS,
    6 * MINUTE_MS,  10 * MINUTE_MS, 12 * MINUTE_MS, 15 * MINUTE_MS, 20 * MINUTE_MS,
    30 * MINUTE_MS, HOUR_MS,        2 * HOUR_MS,    3 * HOUR_MS,    4 * HOUR_MS,
    6 * HOUR_MS,    8 * HOUR_MS,    12 * HOUR_MS,   24 * HOUR_MS,   WINDOW_MAX_MS};

int window_class(int64_t window_ms) {
    for (int i = 0; i < WINDOW_CLASSES; i++)
        if (window_table[i] == window_ms) return i + 1;
    return 0;
}

/* About 720 points a chunk: enough for the encoders to find the pattern,
 * few enough that merging a late point rewrites little. */
#define POINTS_PER_CHUNK 720

int64_t hist_window_for_interval(int64_t default_window_ms, int64_t interval_ms) {
    if (interval_ms <= 0) return default_window_ms;
    int64_t want = interval_ms > WINDOW_MAX_MS / POINTS_PER_CHUNK ? WINDOW_MAX_MS
                                                                  : interval_ms * POINTS_PER_CHUNK;
    if (want < default_window_ms) want = default_window_ms;
    for (int i = 0; i < WINDOW_CLASSES; i++)
        if (window_table[i] >= want) return window_table[i];
    return WINDOW_MAX_MS;
}

static char *dup_or_empty(const char *s) {
    return strdup(s ? s : "");
}

/* Adds a series to the in-memory catalogue; the caller holds head_lock for
 * writing (or is opening). */
static hist_status catalogue_add(hist *h, uint32_t id, const char *name, const char *unit,
                                 const char *desc, int64_t window_ms, hist_error *err) {
    if (id >= h->opt.max_series || !window_class(window_ms))
        return hist_fail(err, HIST_ECORRUPT, "series %u: id or window %lld out of range", id,
                         (long long)window_ms);
    if (id >= h->cap_series) {
        size_t cap = h->cap_series ? h->cap_series : 1024;
        while (cap <= id) cap *= 2;
        series_state *s = realloc(h->series, cap * sizeof *s);
        if (!s) return hist_fail(err, HIST_ENOMEM, "out of memory growing the catalogue");
        memset(s + h->cap_series, 0, (cap - h->cap_series) * sizeof *s);
        h->series = s;
        h->cap_series = cap;
    }
    series_state *st = &h->series[id];
    st->name = strdup(name);
    st->unit = dup_or_empty(unit);
    st->description = dup_or_empty(desc);
    st->last.series = id;
    st->max_ts_ms = INT64_MIN;
    st->window_ms = window_ms;
    atomic_store_explicit(&h->window_class[id], (unsigned char)window_class(window_ms),
                          memory_order_release);
    if (!st->name || !st->unit || !st->description)
        return hist_fail(err, HIST_ENOMEM, "out of memory adding series");
    if (id >= h->n_series) h->n_series = id + 1;
    if (h->n_series * 2 > h->name_index_cap) {
        size_t cap = h->name_index_cap ? h->name_index_cap : 2048;
        while (h->n_series * 2 > cap) cap *= 2;
        if (name_index_rebuild(h, cap) != 0)
            return hist_fail(err, HIST_ENOMEM, "out of memory growing the name index");
    } else {
        size_t j = name_hash(name) & (h->name_index_cap - 1);
        while (h->name_index[j]) j = (j + 1) & (h->name_index_cap - 1);
        h->name_index[j] = id + 1;
    }
    return HIST_OK;
}

/* name\0unit\0description\0window_ms\0 (the window is absent in stores
 * made before series had their own: they use the stored default). */
static void series_record(codec_buf *b, const char *name, const char *unit, const char *desc,
                          int64_t window_ms) {
    char w[24];
    int n = snprintf(w, sizeof w, "%lld", (long long)window_ms);
    b->len = 0;
    codec_buf_put(b, name, strlen(name) + 1);
    codec_buf_put(b, unit ? unit : "", strlen(unit ? unit : "") + 1);
    codec_buf_put(b, desc ? desc : "", strlen(desc ? desc : "") + 1);
    codec_buf_put(b, w, (size_t)n + 1);
}

static bool valid_series_name(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len > HIST_SERIES_NAME_MAX) return false;
    int slashes = 0;
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20) return false;
        if (*p == '/') slashes++;
    }
    return slashes >= 2 && name[0] != '/' && name[len - 1] != '/';
}

static size_t *fresh_slot(size_t *table, size_t cap, const hist_series_def *defs,
                          const char *name) {
    size_t j = name_hash(name) & (cap - 1);
    while (table[j] && strcmp(defs[table[j] - 1].name, name) != 0) j = (j + 1) & (cap - 1);
    return &table[j];
}

hist_status hist_series_ensure(hist *h, const hist_series_def *defs, size_t n, uint32_t *ids,
                               hist_error *err) {
    if (!h || (n && (!defs || !ids))) return hist_fail(err, HIST_EINVAL, "null argument");
    for (size_t i = 0; i < n; i++)
        if (!defs[i].name || !valid_series_name(defs[i].name))
            return hist_fail(err, HIST_EINVAL,
                             "series name '%s' is not enterprise/device/tag of at most %d bytes",
                             defs[i].name ? defs[i].name : "(null)", HIST_SERIES_NAME_MAX);
    size_t fresh_cap = 16;
    while (fresh_cap < 2 * n) fresh_cap *= 2;
    size_t *fresh = calloc(fresh_cap, sizeof *fresh); /* def index + 1 of new names */
    if (!fresh) return hist_fail(err, HIST_ENOMEM, "out of memory");
    pthread_mutex_lock(&h->write_mu);
    store_ready(h, NULL); /* after a disk error: reopen if it is time */
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create();
    codec_buf rec = {0};
    hist_status st = HIST_OK;
    size_t pending = 0;
    uint32_t next = (uint32_t)h->n_series;
    /* Ids for new names are given in order; the catalogue is only updated
     * once the batch is durable, so a failure leaves no trace. */
    for (size_t i = 0; i < n && st == HIST_OK; i++) {
        uint32_t id;
        int64_t window = hist_window_for_interval(h->opt.chunk_window_ms, defs[i].interval_ms);
        if (name_find(h, defs[i].name, &id)) {
            ids[i] = id;
            const series_state *s = &h->series[id];
            window = s->window_ms;
            bool unit_changed = defs[i].unit && strcmp(defs[i].unit, s->unit) != 0;
            bool desc_changed = defs[i].description && strcmp(defs[i].description, s->description);
            if (!unit_changed && !desc_changed) continue;
        } else {
            /* The same new name twice in one call gets one id: a hash set of
             * this call's new names (a pairwise scan is quadratic in n). */
            size_t *slot = fresh_slot(fresh, fresh_cap, defs, defs[i].name);
            if (*slot) {
                ids[i] = ids[*slot - 1];
                continue;
            }
            *slot = i + 1;
            if (h->n_series + pending >= h->opt.max_series) {
                st = hist_fail(err, HIST_ELIMIT, "series limit of %zu reached", h->opt.max_series);
                break;
            }
            ids[i] = id = next++;
            pending++;
        }
        uint8_t key[5] = {SERIES_KEY_PREFIX, (uint8_t)(id >> 24), (uint8_t)(id >> 16),
                          (uint8_t)(id >> 8), (uint8_t)id};
        series_record(&rec, defs[i].name, defs[i].unit, defs[i].description, window);
        if (!h->db) {
            st = hist_fail(err, HIST_EIO, "rocksdb is not open: %s", h->store_error);
            break;
        }
        rocksdb_writebatch_put_cf(batch, h->cf[CF_DEFAULT], (const char *)key, sizeof key,
                                  (const char *)rec.p, rec.len);
    }
    if (st == HIST_OK && rocksdb_writebatch_count(batch) > 0)
        st = store_commit(h, batch, true, err);
    if (st == HIST_OK) {
        pthread_rwlock_wrlock(&h->head_lock);
        for (size_t i = 0; i < n && st == HIST_OK; i++) {
            uint32_t id = ids[i];
            if (id < h->n_series && h->series[id].name) {
                series_state *s = &h->series[id];
                if (defs[i].unit && strcmp(defs[i].unit, s->unit)) {
                    free(s->unit);
                    s->unit = strdup(defs[i].unit);
                }
                if (defs[i].description && strcmp(defs[i].description, s->description)) {
                    free(s->description);
                    s->description = strdup(defs[i].description);
                }
                if (!s->unit || !s->description) st = hist_fail(err, HIST_ENOMEM, "out of memory");
                continue;
            }
            st = catalogue_add(
                h, id, defs[i].name, defs[i].unit, defs[i].description,
                hist_window_for_interval(h->opt.chunk_window_ms, defs[i].interval_ms), err);
        }
        pthread_rwlock_unlock(&h->head_lock);
    }
    rocksdb_writebatch_destroy(batch);
    codec_buf_free(&rec);
    pthread_mutex_unlock(&h->write_mu);
    free(fresh);
    return st;
}

hist_status hist_series_lookup(hist *h, const char *name, uint32_t *id, hist_error *err) {
    if (!h || !name || !id) return hist_fail(err, HIST_EINVAL, "null argument");
    pthread_rwlock_rdlock(&h->head_lock);
    bool found = name_find(h, name, id);
    pthread_rwlock_unlock(&h->head_lock);
    return found ? HIST_OK : hist_fail(err, HIST_ENOTFOUND, "no series named '%s'", name);
}

hist_status hist_series_get(hist *h, uint32_t id, hist_series_info *out, hist_error *err) {
    if (!h || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    pthread_rwlock_rdlock(&h->head_lock);
    hist_status st = HIST_OK;
    if (id >= h->n_series || !h->series[id].name) {
        st = hist_fail(err, HIST_EINVAL, "unknown series id %u", id);
    } else {
        const series_state *s = &h->series[id];
        out->id = id;
        snprintf(out->name, sizeof out->name, "%s", s->name);
        snprintf(out->unit, sizeof out->unit, "%s", s->unit);
        snprintf(out->description, sizeof out->description, "%s", s->description);
        out->window_ms = s->window_ms;
    }
    pthread_rwlock_unlock(&h->head_lock);
    return st;
}

hist_status hist_series_find(hist *h, const char *enterprise, hist_series_list *out,
                             hist_error *err) {
    if (!h || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    size_t elen = enterprise ? strlen(enterprise) : 0;
    out->n = 0;
    pthread_rwlock_rdlock(&h->head_lock);
    hist_status st = HIST_OK;
    for (size_t i = 0; i < h->n_series; i++) {
        const char *name = h->series[i].name;
        if (!name) continue;
        if (enterprise && (strncmp(name, enterprise, elen) != 0 || name[elen] != '/')) continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 256;
            uint32_t *ids = realloc(out->ids, cap * sizeof *ids);
            if (!ids) {
                st = hist_fail(err, HIST_ENOMEM, "out of memory listing series");
                break;
            }
            out->ids = ids;
            out->cap = cap;
        }
        out->ids[out->n++] = (uint32_t)i;
    }
    pthread_rwlock_unlock(&h->head_lock);
    return st;
}

void hist_series_list_free(hist_series_list *l) {
    if (!l) return;
    free(l->ids);
    memset(l, 0, sizeof *l);
}

size_t hist_series_count(hist *h) {
    pthread_rwlock_rdlock(&h->head_lock);
    size_t n = h->n_series;
    pthread_rwlock_unlock(&h->head_lock);
    return n;
}

/* ---- head ---- */

/* A new window. It grows as points come, doubling from 64, but stops once
 * at as many as the window before it held (a steady series fills the same
 * number each window: doubling alone left 900 points a quarter of an hour
 * in room for 1,024). Not allocated at once: every series' new window would
 * then take its full size while the last one still waits to be sealed. */
static head_window *window_new(int64_t start, const head_window *before) {
    head_window *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->start_ms = start;
    w->sorted = true;
    if (before) w->expect = (uint32_t)(before->n + before->n / 64 + 1);
    return w;
}

static void window_free(head_window *w) {
    if (!w) return;
    free(w->off);
    free(w->v);
    free(w->q);
    free(w);
}

/* A window leaves the head: its arrays become the series' spare. */
static void window_retire(series_state *s, head_window *w) {
    if (w->cap <= 64) {
        window_free(w);
        return;
    }
    window_free(s->spare);
    w->n = 0;
    w->next = NULL;
    s->spare = w;
}

static int window_grow(series_state *s, head_window *w) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    if (w->expect > w->cap && cap > w->expect) cap = w->expect;
    head_window *sp = s->spare;
    if (sp && sp->cap >= cap) { /* move into the spare's arrays */
        if (w->n) {
            memcpy(sp->off, w->off, w->n * sizeof *w->off);
            memcpy(sp->v, w->v, w->n * sizeof *w->v);
            memcpy(sp->q, w->q, w->n);
        }
        free(w->off), free(w->v), free(w->q);
        w->off = sp->off, w->v = sp->v, w->q = sp->q, w->cap = sp->cap;
        free(sp);
        s->spare = NULL;
        return 0;
    }
    uint32_t *off = realloc(w->off, cap * sizeof *off);
    if (!off) return -1;
    w->off = off;
    double *v = realloc(w->v, cap * sizeof *v);
    if (!v) return -1;
    w->v = v;
    uint8_t *q = realloc(w->q, cap);
    if (!q) return -1;
    w->q = q;
    w->cap = cap;
    return 0;
}

/* Inserts one point into its series' head; caller holds head_lock for writing. */
static int head_insert(hist *h, const hist_point *p) {
    series_state *s = &h->series[p->series];
    int64_t start = floor_to(p->ts_ms, s->window_ms);
    head_window **link, *w;
    if (s->tail && s->tail->start_ms <= start) {
        /* The common case, in-order data: the newest window or a new one after it. */
        link = &s->tail->next;
        w = s->tail->start_ms == start ? s->tail : NULL;
    } else {
        /* Late data: walk from the oldest; a sparse series may have many windows. */
        link = &s->windows;
        w = s->windows;
        while (w && w->start_ms < start) {
            link = &w->next;
            w = w->next;
        }
    }
    if (!w || w->start_ms != start) {
        head_window *nw = window_new(start, s->tail && s->tail->start_ms < start ? s->tail : NULL);
        if (!nw) return -1;
        nw->next = w;
        *link = nw;
        w = nw;
        if (!nw->next) s->tail = nw;
    }
    if (w->n == w->cap && window_grow(s, w) != 0) return -1;
    uint32_t off = (uint32_t)(p->ts_ms - start);
    if (w->n && off <= w->off[w->n - 1]) w->sorted = false;
    w->off[w->n] = off;
    w->v[w->n] = p->value;
    w->q[w->n] = p->quality;
    w->n++;
    w->dirty = true;
    if (p->ts_ms > s->max_ts_ms) s->max_ts_ms = p->ts_ms;
    if (!s->last.present || p->ts_ms >= s->last.ts_ms) {
        s->last.present = true;
        s->last.ts_ms = p->ts_ms;
        s->last.value = p->value;
        s->last.quality = p->quality;
    }
    if (s->touched_batch != h->batch_stamp) {
        s->touched_batch = h->batch_stamp;
        if (h->n_touched == h->cap_touched) {
            size_t cap = h->cap_touched ? h->cap_touched * 2 : 1024;
            uint32_t *t = realloc(h->touched, cap * sizeof *t);
            if (!t) return -1;
            h->touched = t;
            h->cap_touched = cap;
        }
        h->touched[h->n_touched++] = p->series;
    }
    return 0;
}

static bool window_closed(const hist *h, const series_state *s, const head_window *w) {
    return w->start_ms + s->window_ms + h->opt.seal_grace_ms <= s->max_ts_ms;
}

/* Writes windows of the given series to RocksDB: the closed ones (which
 * then leave the head) and, when all_dirty, every window with new points.
 * Caller holds write_mu. */
static hist_status write_head(hist *h, const uint32_t *series, size_t n_series, bool all_dirty,
                              bool sync, hist_error *err) {
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create();
    head_window *stack[64], **list = stack;
    size_t list_cap = 64;
    hist_status st = HIST_OK;
    for (size_t i = 0; i < n_series && st == HIST_OK; i++) {
        series_state *s = &h->series[series[i]];
        size_t k = 0;
        for (head_window *w = s->windows; w; w = w->next) {
            bool closed = window_closed(h, s, w);
            if (!w->dirty || !(closed || all_dirty)) continue;
            if (k == list_cap) {
                size_t cap = list_cap * 2;
                head_window **nl =
                    list == stack ? malloc(cap * sizeof *nl) : realloc(list, cap * sizeof *nl);
                if (!nl) {
                    st = hist_fail(err, HIST_ENOMEM, "out of memory sealing");
                    break;
                }
                if (list == stack) memcpy(nl, stack, sizeof stack);
                list = nl;
                list_cap = cap;
            }
            list[k++] = w;
        }
        if (st == HIST_OK && k) st = store_write_windows(h, batch, series[i], list, k, err);
        /* Keep batches to a few MiB. */
        size_t batch_bytes;
        rocksdb_writebatch_data(batch, &batch_bytes);
        if (st == HIST_OK && batch_bytes > ((size_t)8 << 20)) {
            st = store_commit(h, batch, false, err);
            rocksdb_writebatch_clear(batch);
        }
    }
    if (st == HIST_OK && (rocksdb_writebatch_count(batch) > 0 || sync))
        st = store_commit(h, batch, sync, err);
    rocksdb_writebatch_destroy(batch);
    if (list != stack) free(list);
    if (st != HIST_OK) return st;
    /* Everything selected is in RocksDB: mark it clean, free closed windows. */
    pthread_rwlock_wrlock(&h->head_lock);
    for (size_t i = 0; i < n_series; i++) {
        series_state *s = &h->series[series[i]];
        head_window **link = &s->windows;
        s->tail = NULL;
        while (*link) {
            head_window *w = *link;
            bool closed = window_closed(h, s, w);
            if (closed || all_dirty) w->dirty = false;
            if (closed) {
                *link = w->next;
                window_retire(s, w);
            } else {
                s->tail = w;
                link = &w->next;
            }
        }
    }
    pthread_rwlock_unlock(&h->head_lock);
    return HIST_OK;
}

/* Writes the windows the last batch closed (only touched series can have
 * closed one). No sync: the log still holds their points until a checkpoint. */
static hist_status seal_touched(hist *h, hist_error *err) {
    size_t k = 0;
    for (size_t i = 0; i < h->n_touched; i++) {
        const series_state *s = &h->series[h->touched[i]];
        if (s->windows && window_closed(h, s, s->windows)) h->touched[k++] = h->touched[i];
    }
    return k ? write_head(h, h->touched, k, false, false, err) : HIST_OK;
}

/* Writes the whole head, syncs RocksDB and trims the log. Caller holds write_mu. */
hist_status head_checkpoint(hist *h, hist_error *err) {
    uint32_t *all = malloc((h->n_series ? h->n_series : 1) * sizeof *all);
    if (!all) return hist_fail(err, HIST_ENOMEM, "out of memory at checkpoint");
    size_t n = 0;
    for (size_t i = 0; i < h->n_series; i++)
        if (h->series[i].windows) all[n++] = (uint32_t)i;
    hist_status st = write_head(h, all, n, true, true, err);
    free(all);
    if (st != HIST_OK) return st;
    char *e = NULL;
    rocksdb_flush_wal(h->db, 1, &e);
    if (e) {
        st = hist_fail(err, HIST_EIO, "rocksdb sync: %s", e);
        store_failed(h, e);
        rocksdb_free(e);
        return st;
    }
    st = wal_rotate(h->log, err);
    if (st == HIST_OK) st = wal_trim(h->log, err);
    return st;
}

/* ---- writing ---- */

/* After a refused write: how often to try RocksDB again, and the room the
 * disk must have first (a reopen writes a manifest, then the head goes out). */
#define STORE_RETRY_MS   1000
#define STORE_ROOM_BYTES ((uint64_t)16 << 20)

/* Free bytes for an unprivileged writer on the data directory's filesystem. */
static uint64_t free_bytes(const char *dir) {
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return 0;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Whether RocksDB takes writes. After a failed write it is reopened, at most
 * once a second and only once the disk has room again, and the head that
 * waited is written out. Caller holds write_mu. */
static hist_status store_ready(hist *h, hist_error *err) {
    if (!h->store_broken) return HIST_OK;
    int64_t now = pw_mono_ms();
    if (now - h->store_retry_ms < STORE_RETRY_MS || free_bytes(h->dir) < STORE_ROOM_BYTES)
        return hist_fail(err, HIST_EIO, "rocksdb refused a write: %s", h->store_error);
    h->store_retry_ms = now;
    pthread_rwlock_wrlock(&h->db_lock);
    store_close(h);
    hist_error oe;
    hist_status st = store_open(h, &oe);
    if (st != HIST_OK) store_close(h); /* frees what was made; queries see a closed store */
    pthread_rwlock_unlock(&h->db_lock);
    if (st != HIST_OK) {
        pthread_mutex_lock(&h->err_mu);
        snprintf(h->store_error, sizeof h->store_error, "%s", oe.msg);
        pthread_mutex_unlock(&h->err_mu);
        return hist_fail(err, st, "%s", oe.msg);
    }
    st = head_checkpoint(h, err);
    if (st != HIST_OK) return st;
    pthread_mutex_lock(&h->err_mu);
    h->store_broken = false;
    h->store_error[0] = 0;
    pthread_mutex_unlock(&h->err_mu);
    return HIST_OK;
}

bool hist_storage_error(hist *h, char *msg, size_t cap, int64_t *since_ms) {
    pthread_mutex_lock(&h->err_mu);
    bool broken = h->store_broken;
    if (msg && cap) snprintf(msg, cap, "%s", broken ? h->store_error : "");
    if (since_ms) *since_ms = broken ? h->store_broken_since_ms : 0;
    pthread_mutex_unlock(&h->err_mu);
    return broken;
}

hist_status hist_append(hist *h, const hist_point *pts, size_t n, hist_error *err) {
    if (!h || (n && !pts)) return hist_fail(err, HIST_EINVAL, "null argument");
    if (n == 0) return HIST_OK;
    pthread_mutex_lock(&h->write_mu);
    hist_status st = HIST_OK;
    for (size_t i = 0; i < n; i++) {
        const hist_point *p = &pts[i];
        if (p->series >= h->n_series || !h->series[p->series].name) {
            st = hist_fail(err, HIST_EINVAL, "point %zu: unknown series id %u", i, p->series);
            goto out;
        }
        if (p->ts_ms < 0 || p->ts_ms > HIST_MAX_TS_MS) {
            st = hist_fail(err, HIST_EINVAL, "point %zu: timestamp %lld ms outside [0, 2^53]", i,
                           (long long)p->ts_ms);
            goto out;
        }
    }
    int sync_errno = atomic_exchange(&h->sync_failed, 0);
    if (sync_errno) {
        st = hist_fail(err, HIST_EIO, "wal: background fdatasync failed: %s", strerror(sync_errno));
        goto out;
    }
    st = wal_append(h->log, pts, n, err);
    if (st == HIST_OK && h->opt.sync == HIST_SYNC_EVERY_BATCH) st = wal_sync(h->log, err);
    if (st != HIST_OK) goto out;

    pthread_rwlock_wrlock(&h->head_lock);
    h->batch_stamp++;
    h->n_touched = 0;
    for (size_t i = 0; i < n && st == HIST_OK; i++)
        if (head_insert(h, &pts[i]) != 0)
            st = hist_fail(err, HIST_ENOMEM, "out of memory in the head");
    pthread_rwlock_unlock(&h->head_lock);
    if (st != HIST_OK) goto out;

    /* The points are in the log and the head: stored. Sealing them into
     * RocksDB can wait for a disk with room (store_ready says when). */
    hist_error se;
    if (store_ready(h, &se) == HIST_OK && seal_touched(h, &se) == HIST_OK &&
        wal_bytes_since_rotate(h->log) >= h->opt.wal_checkpoint_bytes)
        head_checkpoint(h, &se);
out:
    pthread_mutex_unlock(&h->write_mu);
    return st;
}

hist_status hist_sync(hist *h, hist_error *err) {
    if (!h) return hist_fail(err, HIST_EINVAL, "null argument");
    pthread_mutex_lock(&h->write_mu);
    hist_status st = wal_sync(h->log, err);
    pthread_mutex_unlock(&h->write_mu);
    return st;
}

hist_status hist_flush(hist *h, hist_error *err) {
    if (!h) return hist_fail(err, HIST_EINVAL, "null argument");
    pthread_mutex_lock(&h->write_mu);
    hist_status st = store_ready(h, err);
    if (st == HIST_OK) st = head_checkpoint(h, err);
    if (st == HIST_OK) st = store_flush_memtables(h, err);
    pthread_mutex_unlock(&h->write_mu);
    return st;
}

hist_status hist_compact(hist *h, hist_error *err) {
    hist_status st = hist_flush(h, err);
    if (st == HIST_OK) st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();
    rocksdb_compactoptions_set_bottommost_level_compaction(co, 2 /* kForce: run the filter */);
    for (int i = 0; i < CF_COUNT; i++)
        rocksdb_compact_range_cf_opt(h->db, h->cf[i], co, NULL, 0, NULL, 0);
    rocksdb_compactoptions_destroy(co);
    db_read_end(h);
    return HIST_OK;
}

/* ---- the interval sync thread ---- */

static void *sync_main(void *arg) {
    hist *h = arg;
    pthread_mutex_lock(&h->sync_mu);
    while (!h->stopping) {
        struct timespec until;
        pw_deadline_in(CLOCK_REALTIME, h->opt.sync_interval_ms, &until);
        pthread_cond_timedwait(&h->sync_cv, &h->sync_mu, &until);
        if (h->stopping) break;
        pthread_mutex_unlock(&h->sync_mu);
        if (wal_sync(h->log, NULL) != HIST_OK) atomic_store(&h->sync_failed, EIO);
        pthread_mutex_lock(&h->sync_mu);
    }
    pthread_mutex_unlock(&h->sync_mu);
    return NULL;
}

/* ---- open and close ---- */

static hist_status load_catalogue(hist *h, hist_error *err) {
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, h->ropts, h->cf[CF_DEFAULT]);
    const char prefix = SERIES_KEY_PREFIX;
    hist_status st = HIST_OK;
    for (rocksdb_iter_seek(it, &prefix, 1); rocksdb_iter_valid(it) && st == HIST_OK;
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
        const char *v = rocksdb_iter_value(it, &vlen);
        if (klen != 5 || k[0] != SERIES_KEY_PREFIX) break;
        uint32_t id = (uint32_t)k[1] << 24 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 8 | k[4];
        const char *name = v, *unit = memchr(v, 0, vlen), *desc = NULL;
        if (unit) desc = memchr(unit + 1, 0, vlen - (size_t)(unit + 1 - v));
        if (!unit || !desc || !memchr(desc + 1, 0, vlen - (size_t)(desc + 1 - v))) {
            st = hist_fail(err, HIST_ECORRUPT, "series record %u is damaged", id);
            break;
        }
        if (id < h->n_series && h->series[id].name) { /* an update of unit or description */
            series_state *s = &h->series[id];
            free(s->unit);
            free(s->description);
            s->unit = strdup(unit + 1);
            s->description = strdup(desc + 1);
            continue;
        }
        int64_t window = h->opt.chunk_window_ms;
        const char *end = v + vlen, *wf = desc + 1 + strlen(desc + 1) + 1;
        if (wf < end) { /* the window field */
            if (!memchr(wf, 0, (size_t)(end - wf)) || !window_class(window = atoll(wf))) {
                st = hist_fail(err, HIST_ECORRUPT, "series record %u has a bad window", id);
                break;
            }
        }
        st = catalogue_add(h, id, name, unit + 1, desc + 1, window, err);
    }
    rocksdb_iter_destroy(it);
    return st;
}

/* The chunk window is fixed when the store is created: keys depend on it. */
static hist_status load_window_setting(hist *h, hist_error *err) {
    size_t len;
    char *e = NULL;
    char *v = rocksdb_get_cf(h->db, h->ropts, h->cf[CF_DEFAULT], SETTING_WINDOW,
                             strlen(SETTING_WINDOW), &len, &e);
    if (e) {
        hist_status st = hist_fail(err, HIST_EIO, "rocksdb get: %s", e);
        rocksdb_free(e);
        return st;
    }
    if (v) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 31 ? len : 31), v);
        rocksdb_free(v);
        long long w = atoll(buf);
        if (w <= 0 || HOUR_MS % w != 0 || w % MINUTE_MS != 0)
            return hist_fail(err, HIST_ECORRUPT, "stored chunk window '%s' is invalid", buf);
        h->opt.chunk_window_ms = w;
        return HIST_OK;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)h->opt.chunk_window_ms);
    rocksdb_put_cf(h->db, h->wopts_sync, h->cf[CF_DEFAULT], SETTING_WINDOW, strlen(SETTING_WINDOW),
                   buf, (size_t)n, &e);
    if (e) {
        hist_status st = hist_fail(err, HIST_EIO, "rocksdb put: %s", e);
        rocksdb_free(e);
        return st;
    }
    return HIST_OK;
}

/* The last stored point of every series, so hist_last needs no disk. */
static hist_status load_last_values(hist *h, hist_error *err) {
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, h->ropts, h->cf[CF_CHUNKS]);
    point_run run = {0};
    hist_status st = HIST_OK;
    for (size_t i = 0; i < h->n_series && st == HIST_OK; i++) {
        uint8_t key[KEY_LEN];
        key_encode(key, (uint32_t)i, INT64_MAX);
        rocksdb_iter_seek_for_prev(it, (const char *)key, KEY_LEN);
        if (!rocksdb_iter_valid(it)) continue;
        size_t klen, vlen, n;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
        uint32_t sid;
        int64_t start;
        if (klen != KEY_LEN) continue;
        key_decode(k, &sid, &start);
        if (sid != i) continue;
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
        if (codec_chunk_count(v, vlen, &n) != CODEC_OK || point_run_reserve(&run, n) != 0 ||
            codec_chunk_decode(v, vlen, run.ts, run.v, run.q, n) != CODEC_OK) {
            st = hist_fail(err, HIST_ECORRUPT, "last chunk of series %zu does not decode", i);
            break;
        }
        series_state *s = &h->series[i];
        s->last = (hist_value){.series = (uint32_t)i,
                               .present = true,
                               .quality = run.q[n - 1],
                               .ts_ms = run.ts[n - 1],
                               .value = run.v[n - 1]};
        s->max_ts_ms = run.ts[n - 1];
    }
    point_run_free(&run);
    rocksdb_iter_destroy(it);
    return st;
}

typedef struct replay_ctx {
    hist *h;
    hist_status st;
    size_t bad;
    hist_error *err;
} replay_ctx;

static void replay_batch(const hist_point *pts, size_t n, void *arg) {
    replay_ctx *c = arg;
    hist *h = c->h;
    h->batch_stamp++;
    h->n_touched = 0;
    for (size_t i = 0; i < n && c->st == HIST_OK; i++) {
        if (pts[i].series >= h->n_series || !h->series[pts[i].series].name) {
            c->bad++; /* cannot happen: series are registered durably before use */
            continue;
        }
        if (head_insert(h, &pts[i]) != 0)
            c->st = hist_fail(c->err, HIST_ENOMEM, "out of memory replaying the log");
    }
    /* Seal as the original appends did, so replaying a long log keeps the
     * head small. Nothing is trimmed before the checkpoint that ends open. */
    if (c->st == HIST_OK) c->st = seal_touched(h, c->err);
}

hist_status hist_open(const char *dir, const hist_options *opt, hist **out, hist_error *err) {
    if (!dir || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    *out = NULL;
    hist_options o;
    if (opt)
        o = *opt;
    else
        hist_options_default(&o);
    if (o.chunk_window_ms <= 0 || HOUR_MS % o.chunk_window_ms || o.chunk_window_ms % MINUTE_MS)
        return hist_fail(err, HIST_EINVAL, "chunk_window_ms must be whole minutes dividing 1 h");
    if (o.sync == HIST_SYNC_INTERVAL && o.sync_interval_ms <= 0)
        return hist_fail(err, HIST_EINVAL, "sync_interval_ms must be positive");
    if (o.seal_grace_ms < 0 || o.max_series == 0 || o.max_series > UINT32_MAX)
        return hist_fail(err, HIST_EINVAL, "bad seal_grace_ms or max_series");
    if (!o.wal_checkpoint_bytes) o.wal_checkpoint_bytes = (size_t)512 << 20;
    if (!o.block_cache_bytes) o.block_cache_bytes = (size_t)64 << 20;
    if (!o.chunk_cache_bytes) o.chunk_cache_bytes = (size_t)64 << 20;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return hist_fail(err, HIST_EIO, "cannot create %s: %s", dir, strerror(errno));

    hist *h = calloc(1, sizeof *h);
    if (!h || !(h->dir = strdup(dir))) {
        free(h);
        return hist_fail(err, HIST_ENOMEM, "out of memory");
    }
    h->opt = o;
    h->lock_fd = -1;
    pthread_mutex_init(&h->write_mu, NULL);
    pthread_rwlock_init(&h->head_lock, NULL);
    pthread_mutex_init(&h->err_mu, NULL);
    /* The reopen after a disk error must not starve behind a stream of queries. */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&h->db_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&h->sync_mu, NULL);
    pthread_cond_init(&h->sync_cv, NULL);

    hist_status st = HIST_OK;
    h->window_class = calloc(o.max_series, 1);
    h->ccache = chunk_cache_new(o.chunk_cache_bytes);
    if (!h->window_class || !h->ccache) st = hist_fail(err, HIST_ENOMEM, "out of memory");
    if (st == HIST_OK) st = store_open(h, err);
    if (st == HIST_OK) st = load_window_setting(h, err);
    if (st == HIST_OK) st = load_catalogue(h, err);
    if (st == HIST_OK) st = load_last_values(h, err);
    char wal_dir[4096];
    snprintf(wal_dir, sizeof wal_dir, "%s/wal", dir);
    if (st == HIST_OK) st = wal_open(wal_dir, &h->log, err);
    if (st == HIST_OK) {
        replay_ctx c = {.h = h, .st = HIST_OK, .err = err};
        st = wal_replay(h->log, replay_batch, &c, err);
        if (st == HIST_OK && c.st != HIST_OK) st = c.st; /* err already says why */
        if (st == HIST_OK && c.bad)
            st = hist_fail(err, HIST_ECORRUPT, "wal: %zu points name unknown series", c.bad);
    }
    /* Everything replayed goes to RocksDB now and the log starts afresh;
     * on a full disk it waits in the head (the log keeps it) and the
     * historian opens degraded rather than not at all. */
    if (st == HIST_OK) {
        hist_error ce;
        if (head_checkpoint(h, &ce) != HIST_OK && !h->store_broken) store_failed(h, ce.msg);
    }
    if (st == HIST_OK && o.sync == HIST_SYNC_INTERVAL) {
        if (pthread_create(&h->sync_thread, NULL, sync_main, h) != 0)
            st = hist_fail(err, HIST_ENOMEM, "cannot start the sync thread");
        else
            h->sync_thread_running = true;
    }
    if (st != HIST_OK) {
        hist_error ignored;
        hist_close(h, &ignored);
        return st;
    }
    *out = h;
    return HIST_OK;
}

hist_status hist_close(hist *h, hist_error *err) {
    if (!h) return HIST_OK;
    hist_status st = HIST_OK;
    if (h->sync_thread_running) {
        pthread_mutex_lock(&h->sync_mu);
        h->stopping = true;
        pthread_cond_signal(&h->sync_cv);
        pthread_mutex_unlock(&h->sync_mu);
        pthread_join(h->sync_thread, NULL);
    }
    if (h->db && h->log) {
        pthread_mutex_lock(&h->write_mu);
        st = head_checkpoint(h, err);
        hist_error fe; /* a failed flush loses nothing: RocksDB replays its log */
        if (st == HIST_OK) store_flush_memtables(h, &fe);
        pthread_mutex_unlock(&h->write_mu);
    }
    for (size_t i = 0; i < h->n_series; i++) {
        series_state *s = &h->series[i];
        for (head_window *w = s->windows, *next; w; w = next) {
            next = w->next;
            window_free(w);
        }
        window_free(s->spare);
        free(s->name);
        free(s->unit);
        free(s->description);
    }
    free(h->series);
    free(h->name_index);
    free(h->touched);
    wal_close(h->log);
    store_close(h);
    chunk_cache_free(h->ccache);
    free(h->window_class);
    pthread_mutex_destroy(&h->write_mu);
    pthread_rwlock_destroy(&h->head_lock);
    pthread_rwlock_destroy(&h->db_lock);
    pthread_mutex_destroy(&h->err_mu);
    pthread_mutex_destroy(&h->sync_mu);
    pthread_cond_destroy(&h->sync_cv);
    free(h->dir);
    free(h);
    return st;
}
