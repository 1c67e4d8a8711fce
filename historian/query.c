/*
 * query.c - reading the historian: raw ranges, downsampling, last values and
 * the state of every series at a time T.
 *
 * Every read follows one rule for consistency with the writer: copy what the
 * head holds first (under the read lock), then read RocksDB without the
 * lock, and merge with the head winning on equal timestamps. A window leaves
 * the head only after it is in RocksDB, so nothing falls between the two.
 *
 * Downsampling picks the coarsest rollup tier whose period divides the step
 * (1 h, else 1 min, else raw points). Rollups cover whole periods, so the
 * unaligned ends of the range and the windows that have unwritten points in
 * the head are read raw; everything else comes from rollup records. Rollups
 * and raw folding apply the same rule (good or uncertain quality, finite
 * value), so both paths give the same buckets; a test checks exactly that.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "historian/internal.h"

/* ---- result containers ---- */

void hist_samples_free(hist_samples *s) {
    if (!s) return;
    free(s->v);
    memset(s, 0, sizeof *s);
}

void hist_buckets_free(hist_buckets *b) {
    if (!b) return;
    free(b->v);
    memset(b, 0, sizeof *b);
}

static const char *const agg_names[] = {"avg", "min", "max", "first", "last", "count", "sum"};

bool hist_agg_parse(const char *name, hist_agg *out) {
    for (size_t i = 0; name && i < sizeof agg_names / sizeof agg_names[0]; i++)
        if (strcmp(name, agg_names[i]) == 0) {
            *out = (hist_agg)i;
            return true;
        }
    return false;
}

const char *hist_agg_name(hist_agg a) {
    return (unsigned)a < sizeof agg_names / sizeof agg_names[0] ? agg_names[a] : "?";
}

double hist_bucket_value(const hist_bucket *b, hist_agg agg) {
    switch (agg) {
        case HIST_AGG_AVG:
            return b->count ? b->sum / b->count : NAN;
        case HIST_AGG_MIN:
            return b->min;
        case HIST_AGG_MAX:
            return b->max;
        case HIST_AGG_FIRST:
            return b->first;
        case HIST_AGG_LAST:
            return b->last;
        case HIST_AGG_COUNT:
            return b->count;
        case HIST_AGG_SUM:
            return b->sum;
    }
    return NAN;
}

/* ---- scanning raw points ---- */

typedef bool (*point_fn)(void *ctx, int64_t ts, double v, uint8_t q);

typedef struct head_copy {
    int64_t start;
    point_run run;
    bool covers_disk; /* head_window's: its chunk on disk adds nothing */
} head_copy;

static hist_status check_series(hist *h, uint32_t series, hist_error *err) {
    pthread_rwlock_rdlock(&h->head_lock);
    bool ok = series < h->n_series && h->series[series].name;
    pthread_rwlock_unlock(&h->head_lock);
    return ok ? HIST_OK : hist_fail(err, HIST_EINVAL, "unknown series id %u", series);
}

/* Copies, sorted, the head windows of series overlapping [from, to). */
static hist_status copy_head(hist *h, uint32_t series, int64_t from, int64_t to, head_copy **out,
                             size_t *n_out, hist_error *err) {
    const int64_t W = series_window(h, series);
    hist_status st = HIST_OK;
    size_t n = 0;
    head_copy *c = NULL;
    pthread_rwlock_rdlock(&h->head_lock);
    for (const head_window *w = h->series[series].windows; w; w = w->next)
        if (w->start_ms < to && w->start_ms + W > from) n++;
    if (n && !(c = calloc(n, sizeof *c))) st = hist_fail(err, HIST_ENOMEM, "out of memory");
    size_t k = 0;
    for (const head_window *w = h->series[series].windows; w && st == HIST_OK; w = w->next) {
        if (!(w->start_ms < to && w->start_ms + W > from)) continue;
        c[k].start = w->start_ms;
        c[k].covers_disk = atomic_load_explicit(&w->covers_disk, memory_order_relaxed);
        if (head_window_sorted(w, &c[k].run) != 0)
            st = hist_fail(err, HIST_ENOMEM, "out of memory");
        k++;
    }
    pthread_rwlock_unlock(&h->head_lock);
    *out = c;
    *n_out = k;
    return st;
}

static void free_head(head_copy *c, size_t n) {
    for (size_t i = 0; c && i < n; i++) point_run_free(&c[i].run);
    free(c);
}

/* Emits a sorted run's points inside [from, to); false when fn stopped. */
static bool emit_run(const point_run *r, int64_t from, int64_t to, point_fn fn, void *ctx) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) { /* first index with ts >= from */
        size_t mid = (lo + hi) / 2;
        if (r->ts[mid] < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < r->n && r->ts[i] < to; i++)
        if (!fn(ctx, r->ts[i], r->v[i], r->q[i])) return false;
    return true;
}

static bool emit_merged(const point_run *disk, const point_run *head, point_run *tmp, int64_t from,
                        int64_t to, point_fn fn, void *ctx) {
    /* Same rule as the writer's merge: the head wins on equal timestamps. */
    if (point_run_reserve(tmp, disk->n + head->n) != 0) return false;
    size_t a = 0, b = 0, k = 0;
    while (a < disk->n || b < head->n) {
        if (a == disk->n || (b < head->n && head->ts[b] <= disk->ts[a])) {
            if (a < disk->n && disk->ts[a] == head->ts[b]) a++;
            tmp->ts[k] = head->ts[b], tmp->v[k] = head->v[b], tmp->q[k] = head->q[b];
            b++;
        } else {
            tmp->ts[k] = disk->ts[a], tmp->v[k] = disk->v[a], tmp->q[k] = disk->q[a];
            a++;
        }
        k++;
    }
    tmp->n = k;
    return emit_run(tmp, from, to, fn, ctx);
}

/* Calls fn for every point of series in [from, to) in time order. */
static hist_status scan_raw(hist *h, uint32_t series, int64_t from, int64_t to, point_fn fn,
                            void *ctx, hist_error *err) {
    if (from >= to) return HIST_OK;
    const int64_t W = series_window(h, series);
    head_copy *head;
    size_t n_head, hi = 0;
    hist_status st = copy_head(h, series, from, to, &head, &n_head, err);
    if (st != HIST_OK) {
        free_head(head, n_head);
        return st;
    }
    /* The head alone answers when its windows cover the range end to end
     * and each holds all of its chunk on disk (a dashboard's last minutes):
     * no RocksDB iterator, no chunk decoded. */
    bool head_only = n_head > 0 && head[0].start <= floor_to(from, W);
    for (size_t i = 0; i < n_head && head_only; i++)
        head_only = head[i].covers_disk && (i == 0 || head[i].start == head[i - 1].start + W);
    if (head_only && head[n_head - 1].start + W >= to) {
        for (size_t i = 0; i < n_head; i++)
            if (!emit_run(&head[i].run, from, to, fn, ctx)) break;
        free_head(head, n_head);
        return HIST_OK;
    }
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    uint8_t upper[KEY_LEN], key[KEY_LEN];
    key_encode(upper, series, to);
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)upper, KEY_LEN);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, ro, h->cf[CF_CHUNKS]);
    key_encode(key, series, floor_to(from, W) > 0 ? floor_to(from, W) : 0);
    rocksdb_iter_seek(it, (const char *)key, KEY_LEN);
    point_run disk = {0}, tmp = {0};
    bool go = true;
    while (go && st == HIST_OK) {
        int64_t disk_start = INT64_MAX;
        size_t klen = 0, vlen = 0;
        const uint8_t *k = NULL, *v = NULL;
        if (rocksdb_iter_valid(it)) {
            uint32_t sid;
            k = (const uint8_t *)rocksdb_iter_key(it, &klen);
            if (klen == KEY_LEN) key_decode(k, &sid, &disk_start);
            v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
        }
        int64_t head_start = hi < n_head ? head[hi].start : INT64_MAX;
        if (disk_start == INT64_MAX && head_start == INT64_MAX) break;
        if (disk_start == head_start && head[hi].covers_disk) {
            go = emit_run(&head[hi].run, from, to, fn, ctx); /* the chunk adds nothing */
            hi++;
            rocksdb_iter_next(it);
        } else if (disk_start <= head_start) {
            if (chunk_cache_decode(h->ccache, series, disk_start, v, vlen, &disk) != CODEC_OK) {
                st = hist_fail(err, HIST_ECORRUPT, "chunk of series %u at %lld does not decode",
                               series, (long long)disk_start);
                break;
            }
            if (disk_start == head_start) {
                go = emit_merged(&disk, &head[hi].run, &tmp, from, to, fn, ctx);
                hi++;
            } else {
                go = emit_run(&disk, from, to, fn, ctx);
            }
            rocksdb_iter_next(it);
        } else {
            go = emit_run(&head[hi].run, from, to, fn, ctx);
            hi++;
        }
    }
    if (st == HIST_OK) {
        char *e = NULL;
        rocksdb_iter_get_error(it, &e);
        if (e) {
            st = hist_fail(err, HIST_EIO, "rocksdb read: %s", e);
            rocksdb_free(e);
        }
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    point_run_free(&disk);
    point_run_free(&tmp);
    free_head(head, n_head);
    return st;
}

/* ---- raw range ---- */

typedef struct raw_ctx {
    hist_samples *out;
    size_t limit;
    bool oom;
} raw_ctx;

static bool raw_add(void *arg, int64_t ts, double v, uint8_t q) {
    raw_ctx *c = arg;
    hist_samples *o = c->out;
    if (c->limit && o->n == c->limit) {
        o->truncated = true;
        return false;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        hist_sample *nv = realloc(o->v, cap * sizeof *nv);
        if (!nv) {
            c->oom = true;
            return false;
        }
        o->v = nv;
        o->cap = cap;
    }
    o->v[o->n++] = (hist_sample){.ts_ms = ts, .value = v, .quality = q};
    return true;
}

/* Query bounds are not trusted. Points lie in [0, HIST_MAX_TS_MS], so a
 * bound past either end has the same answer as +-(HIST_MAX_TS_MS + 1), and
 * clamping to that keeps every step of the arithmetic below (floors,
 * ceilings, bucket counts, to - 1) far from overflow. */
static int64_t clamp_ts(int64_t t) {
    return t < -HIST_MAX_TS_MS - 1  ? -HIST_MAX_TS_MS - 1
           : t > HIST_MAX_TS_MS + 1 ? HIST_MAX_TS_MS + 1
                                    : t;
}

static hist_status check_range(int64_t *from, int64_t *to, hist_error *err) {
    if (*from > *to)
        return hist_fail(err, HIST_EINVAL, "range start %lld is after its end %lld",
                         (long long)*from, (long long)*to);
    *from = clamp_ts(*from);
    *to = clamp_ts(*to);
    return HIST_OK;
}

static hist_status hist_query_raw_unlocked(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms,
                                           size_t limit, hist_samples *out, hist_error *err) {
    if (!h || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    out->n = 0;
    out->truncated = false;
    hist_status st = check_range(&from_ms, &to_ms, err);
    if (st == HIST_OK) st = check_series(h, series, err);
    if (st != HIST_OK) return st;
    raw_ctx c = {.out = out, .limit = limit};
    st = scan_raw(h, series, from_ms, to_ms, raw_add, &c, err);
    if (st == HIST_OK && c.oom) st = hist_fail(err, HIST_ENOMEM, "out of memory for the result");
    return st;
}

/* ---- downsampling ---- */

typedef struct fold_bucket {
    hist_bucket b;
    int64_t first_ts, last_ts;
} fold_bucket;

typedef struct fold {
    fold_bucket *v;
    int64_t base, step;
    size_t n;
} fold;

static void fold_add(fold *f, int64_t ts, int64_t ts_end, uint32_t count, double min, double max,
                     double sum, double first, double last) {
    int64_t idx = (floor_to(ts, f->step) - f->base) / f->step;
    if (idx < 0 || (size_t)idx >= f->n || count == 0) return;
    fold_bucket *fb = &f->v[idx];
    if (fb->b.count == 0) {
        fb->b.min = min;
        fb->b.max = max;
        fb->b.first = first;
        fb->b.last = last;
        fb->first_ts = ts;
        fb->last_ts = ts_end;
    } else {
        if (min < fb->b.min) fb->b.min = min;
        if (max > fb->b.max) fb->b.max = max;
        if (ts < fb->first_ts) fb->b.first = first, fb->first_ts = ts;
        if (ts_end >= fb->last_ts) fb->b.last = last, fb->last_ts = ts_end;
    }
    fb->b.count += count;
    fb->b.sum += sum;
}

static bool fold_point(void *arg, int64_t ts, double v, uint8_t q) {
    if (point_aggregated(v, q)) fold_add(arg, ts, ts, 1, v, v, v, v, v);
    return true;
}

typedef struct span {
    int64_t from, to;
} span;

/* Reads rollup records of a tier in [from, to), skipping the dirty spans. */
static hist_status scan_tier(hist *h, uint32_t series, int cf, int64_t period, int64_t from,
                             int64_t to, const span *dirty, size_t n_dirty, fold *f,
                             hist_error *err) {
    const int64_t key_period = cf == CF_ROLLUP_1H ? HOUR_MS : series_window(h, series);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    uint8_t upper[KEY_LEN], key[KEY_LEN];
    key_encode(upper, series, to);
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)upper, KEY_LEN);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, ro, h->cf[cf]);
    key_encode(key, series, floor_to(from, key_period));
    codec_rollup *r = NULL;
    size_t cap = 0;
    hist_status st = HIST_OK;
    size_t d = 0;
    for (rocksdb_iter_seek(it, (const char *)key, KEY_LEN); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t vlen, n;
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
        if (codec_rollup_count(v, vlen, &n) != CODEC_OK) goto corrupt;
        if (n > cap) {
            codec_rollup *nr = realloc(r, n * sizeof *nr);
            if (!nr) {
                st = hist_fail(err, HIST_ENOMEM, "out of memory");
                break;
            }
            r = nr;
            cap = n;
        }
        if (codec_rollup_decode(v, vlen, r, n) != CODEC_OK) goto corrupt;
        for (size_t i = 0; i < n; i++) {
            int64_t g = r[i].ts_ms;
            if (g < from || g + period > to) continue;
            while (d < n_dirty && dirty[d].to <= g) d++;
            if (d < n_dirty && dirty[d].from <= g) continue;
            fold_add(f, g, g + period - 1, r[i].count, r[i].min, r[i].max, r[i].sum, r[i].first,
                     r[i].last);
        }
        continue;
    corrupt:
        st = hist_fail(err, HIST_ECORRUPT, "rollup record of series %u does not decode", series);
        break;
    }
    free(r);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return st;
}

static hist_status hist_query_agg_unlocked(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms,
                                           int64_t step_ms, size_t max_buckets, hist_buckets *out,
                                           hist_error *err) {
    if (!h || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    out->n = 0;
    out->tier = 0;
    if (step_ms <= 0 || step_ms > HIST_MAX_TS_MS)
        return hist_fail(err, HIST_EINVAL, "step must be 1 to 2^53 ms, not %lld",
                         (long long)step_ms);
    hist_status st = check_range(&from_ms, &to_ms, err);
    if (st == HIST_OK) st = check_series(h, series, err);
    if (st != HIST_OK || from_ms == to_ms) return st;
    if (!max_buckets) max_buckets = 1000000;
    fold f = {.base = floor_to(from_ms, step_ms), .step = step_ms};
    uint64_t n_buckets = (uint64_t)((floor_to(to_ms - 1, step_ms) - f.base) / step_ms) + 1;
    if (n_buckets > max_buckets)
        return hist_fail(err, HIST_ELIMIT, "%llu buckets asked, at most %zu allowed",
                         (unsigned long long)n_buckets, max_buckets);
    f.n = (size_t)n_buckets;
    if (!(f.v = calloc(f.n, sizeof *f.v))) return hist_fail(err, HIST_ENOMEM, "out of memory");

    int tier = step_ms % HOUR_MS == 0 ? 2 : step_ms % MINUTE_MS == 0 ? 1 : 0;
    /* Sparse series keep fewer tiers (see series_has_1m): fall back to raw. */
    const int64_t window = series_window(h, series);
    if ((tier == 2 && !series_has_1h(window)) || (tier == 1 && !series_has_1m(window))) tier = 0;
    int64_t G = tier == 2 ? HOUR_MS : MINUTE_MS;
    int64_t a = tier ? -floor_to(-from_ms, G) : to_ms; /* ceil */
    int64_t b = tier ? floor_to(to_ms, G) : to_ms;
    if (a >= b) tier = 0, a = b = to_ms;
    span *dirty = NULL;
    size_t n_dirty = 0;
    if (tier) {
        /* Windows with unwritten points are read raw, widened to the tier's period. */
        const int64_t W = series_window(h, series);
        pthread_rwlock_rdlock(&h->head_lock);
        size_t n = 0;
        for (const head_window *w = h->series[series].windows; w; w = w->next) n++;
        dirty = malloc((n ? n : 1) * sizeof *dirty);
        for (const head_window *w = h->series[series].windows; dirty && w; w = w->next) {
            if (!w->dirty) continue;
            int64_t s = floor_to(w->start_ms, G), e = -floor_to(-(w->start_ms + W), G);
            if (n_dirty && dirty[n_dirty - 1].to >= s)
                dirty[n_dirty - 1].to = e > dirty[n_dirty - 1].to ? e : dirty[n_dirty - 1].to;
            else
                dirty[n_dirty++] = (span){s, e};
        }
        pthread_rwlock_unlock(&h->head_lock);
        if (!dirty) st = hist_fail(err, HIST_ENOMEM, "out of memory");
    }
    /* Raw ends, then the tier with raw reads of the dirty spans inside it. */
    if (st == HIST_OK) st = scan_raw(h, series, from_ms, a, fold_point, &f, err);
    if (st == HIST_OK && tier) {
        st = scan_tier(h, series, tier == 2 ? CF_ROLLUP_1H : CF_ROLLUP_1M, G, a, b, dirty, n_dirty,
                       &f, err);
        for (size_t i = 0; i < n_dirty && st == HIST_OK; i++) {
            int64_t s = dirty[i].from > a ? dirty[i].from : a;
            int64_t e = dirty[i].to < b ? dirty[i].to : b;
            if (s < e) st = scan_raw(h, series, s, e, fold_point, &f, err);
        }
    }
    if (st == HIST_OK && b < to_ms) st = scan_raw(h, series, b, to_ms, fold_point, &f, err);
    free(dirty);

    if (st == HIST_OK) {
        size_t n = 0;
        for (size_t i = 0; i < f.n; i++) n += f.v[i].b.count > 0;
        if (n > out->cap) {
            hist_bucket *nv = realloc(out->v, n * sizeof *nv);
            if (!nv)
                st = hist_fail(err, HIST_ENOMEM, "out of memory");
            else
                out->v = nv, out->cap = n;
        }
        for (size_t i = 0; i < f.n && st == HIST_OK; i++) {
            if (!f.v[i].b.count) continue;
            out->v[out->n] = f.v[i].b;
            out->v[out->n].ts_ms = f.base + (int64_t)i * step_ms;
            out->n++;
        }
        out->tier = tier;
    }
    free(f.v);
    return st;
}

/* ---- last values and the state at a time ---- */

hist_status hist_last(hist *h, const uint32_t *series, size_t n, hist_value *out, hist_error *err) {
    if (!h || (n && (!series || !out))) return hist_fail(err, HIST_EINVAL, "null argument");
    hist_status st = HIST_OK;
    pthread_rwlock_rdlock(&h->head_lock);
    for (size_t i = 0; i < n; i++) {
        if (series[i] >= h->n_series || !h->series[series[i]].name) {
            st = hist_fail(err, HIST_EINVAL, "unknown series id %u", series[i]);
            break;
        }
        out[i] = h->series[series[i]].last;
        out[i].series = series[i];
    }
    pthread_rwlock_unlock(&h->head_lock);
    return st;
}

/* Last point with ts <= at in a sorted run, or -1. */
static ptrdiff_t last_at_or_before(const int64_t *ts, size_t n, int64_t at) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ts[mid] <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

static hist_status hist_snapshot_unlocked(hist *h, int64_t at_ms, const uint32_t *series, size_t n,
                                          hist_value *out, hist_error *err) {
    if (!h || (n && (!series || !out))) return hist_fail(err, HIST_EINVAL, "null argument");
    /* every point lies in [0, HIST_MAX_TS_MS]: a time past either end has
     * the same answer as that end, and keeps the arithmetic below small */
    if (at_ms > HIST_MAX_TS_MS) at_ms = HIST_MAX_TS_MS;
    if (at_ms < -1) at_ms = -1;
    bool *need_disk = calloc(n ? n : 1, sizeof *need_disk);
    if (!need_disk) return hist_fail(err, HIST_ENOMEM, "out of memory");
    hist_status st = HIST_OK;
    /* Pass 1, under the lock: the answer from memory where it is certain
     * (the latest point is at or before T), else the head's candidate. */
    pthread_rwlock_rdlock(&h->head_lock);
    for (size_t i = 0; i < n && st == HIST_OK; i++) {
        uint32_t id = series[i];
        if (id >= h->n_series || !h->series[id].name) {
            st = hist_fail(err, HIST_EINVAL, "unknown series id %u", id);
            break;
        }
        const series_state *s = &h->series[id];
        out[i] = (hist_value){.series = id};
        if (s->last.present && s->last.ts_ms <= at_ms) {
            out[i] = s->last;
            out[i].series = id;
            continue;
        }
        need_disk[i] = true;
        for (const head_window *w = s->windows; w && w->start_ms <= at_ms; w = w->next)
            for (size_t j = 0; j < w->n; j++) { /* arrival order: later wins ties */
                int64_t ts = w->start_ms + w->off[j];
                if (ts <= at_ms && (!out[i].present || ts >= out[i].ts_ms))
                    out[i] = (hist_value){.series = id,
                                          .present = true,
                                          .ts_ms = ts,
                                          .value = w->v[j],
                                          .quality = w->q[j]};
            }
    }
    pthread_rwlock_unlock(&h->head_lock);

    /* Pass 2: the last stored point at or before T, one seek per series. */
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, h->ropts, h->cf[CF_CHUNKS]);
    point_run run = {0};
    for (size_t i = 0; i < n && st == HIST_OK; i++) {
        if (!need_disk[i]) continue;
        uint8_t key[KEY_LEN];
        key_encode(key, series[i], at_ms < 0 ? 0 : floor_to(at_ms, series_window(h, series[i])));
        rocksdb_iter_seek_for_prev(it, (const char *)key, KEY_LEN);
        for (int tries = 0; tries < 2 && rocksdb_iter_valid(it); tries++) {
            size_t klen, vlen, cnt;
            const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
            uint32_t sid;
            int64_t start;
            if (klen != KEY_LEN) break;
            key_decode(k, &sid, &start);
            if (sid != series[i]) break;
            const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
            if (chunk_cache_decode(h->ccache, sid, start, v, vlen, &run) != CODEC_OK) {
                st = hist_fail(err, HIST_ECORRUPT, "chunk of series %u does not decode", sid);
                break;
            }
            cnt = run.n;
            ptrdiff_t j = last_at_or_before(run.ts, cnt, at_ms);
            if (j < 0) { /* the window starts before T but its points after: go back one */
                rocksdb_iter_prev(it);
                continue;
            }
            /* The head is newer than the disk: it wins ties. */
            if (!out[i].present || run.ts[j] > out[i].ts_ms)
                out[i] = (hist_value){.series = series[i],
                                      .present = true,
                                      .ts_ms = run.ts[j],
                                      .value = run.v[j],
                                      .quality = run.q[j]};
            break;
        }
    }
    point_run_free(&run);
    rocksdb_iter_destroy(it);
    free(need_disk);
    return st;
}

/* ---- the public queries: RocksDB held open while they read ---- */

hist_status hist_query_raw(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms, size_t limit,
                           hist_samples *out, hist_error *err) {
    hist_status st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    st = hist_query_raw_unlocked(h, series, from_ms, to_ms, limit, out, err);
    db_read_end(h);
    return st;
}

hist_status hist_query_agg(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms,
                           int64_t step_ms, size_t max_buckets, hist_buckets *out,
                           hist_error *err) {
    hist_status st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    st = hist_query_agg_unlocked(h, series, from_ms, to_ms, step_ms, max_buckets, out, err);
    db_read_end(h);
    return st;
}

hist_status hist_snapshot(hist *h, int64_t at_ms, const uint32_t *series, size_t n, hist_value *out,
                          hist_error *err) {
    hist_status st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    st = hist_snapshot_unlocked(h, at_ms, series, n, out, err);
    db_read_end(h);
    return st;
}
