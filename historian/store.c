/*
 * store.c - the historian's RocksDB layer: key spaces, chunks and rollups.
 *
 * Four column families (historian/FORMAT.md has the byte layout):
 *   default     the series catalogue and the store's settings;
 *   chunks      (series, window start) -> the window's points, codec_chunk;
 *   rollup_1m   (series, window start) -> one-minute buckets of that window;
 *   rollup_1h   (series, hour start)   -> the hour's bucket.
 * Keys are big-endian so a series' windows are one contiguous, ordered key
 * range: a range query is one seek and a short scan.
 *
 * A window is always written by merging what the head holds with the chunk
 * already on disk (the head wins on equal timestamps), so late points, a
 * checkpoint of an open window and a replay after a crash all take the same
 * path and the result does not depend on which of them happened. Rollups are
 * recomputed from the merged points in the same write batch, which keeps
 * them consistent with the raw data by construction.
 *
 * Retention is a compaction filter: keys whose period ended before now minus
 * the tier's retention are dropped when RocksDB compacts them; nothing scans.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "historian/internal.h"

static const char *const cf_names[CF_COUNT] = {"default", "chunks", "rollup_1m", "rollup_1h"};

void key_encode(uint8_t key[KEY_LEN], uint32_t series, int64_t start_ms) {
    uint64_t t = (uint64_t)start_ms;
    for (int i = 0; i < 4; i++) key[i] = (uint8_t)(series >> (24 - 8 * i));
    for (int i = 0; i < 8; i++) key[4 + i] = (uint8_t)(t >> (56 - 8 * i));
}

void key_decode(const uint8_t *key, uint32_t *series, int64_t *start_ms) {
    uint32_t s = 0;
    uint64_t t = 0;
    for (int i = 0; i < 4; i++) s = s << 8 | key[i];
    for (int i = 0; i < 8; i++) t = t << 8 | key[4 + i];
    *series = s;
    *start_ms = (int64_t)t;
}

/* ---- point runs ---- */

int point_run_reserve(point_run *r, size_t n) {
    if (n <= r->cap) return 0;
    size_t cap = r->cap ? r->cap : 256;
    while (cap < n) cap *= 2;
    int64_t *ts = realloc(r->ts, cap * sizeof *ts);
    if (!ts) return -1;
    r->ts = ts;
    double *v = realloc(r->v, cap * sizeof *v);
    if (!v) return -1;
    r->v = v;
    uint8_t *q = realloc(r->q, cap);
    if (!q) return -1;
    r->q = q;
    r->cap = cap;
    return 0;
}

void point_run_free(point_run *r) {
    free(r->ts);
    free(r->v);
    free(r->q);
    memset(r, 0, sizeof *r);
}

int head_window_sorted(const head_window *w, point_run *out) {
    if (point_run_reserve(out, out->n + w->n) != 0) return -1;
    size_t base = out->n;
    if (w->sorted) {
        for (size_t i = 0; i < w->n; i++) out->ts[base + i] = w->start_ms + w->off[i];
        memcpy(out->v + base, w->v, w->n * sizeof *w->v);
        memcpy(out->q + base, w->q, w->n);
        out->n += w->n;
        return 0;
    }
    /* Stable sort of indices by timestamp (insertion sort over runs is too
     * slow for a late window of thousands; use a merge sort on indices). */
    size_t n = w->n;
    uint32_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    if (!idx || !tmp) {
        free(idx);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n,
                   hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = w->off[idx[b]] < w->off[idx[a]] ? idx[b++] : idx[a++];
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        uint32_t *s = idx;
        idx = tmp;
        tmp = s;
    }
    size_t k = base;
    for (size_t i = 0; i < n; i++) {
        uint32_t j = idx[i];
        int64_t ts = w->start_ms + w->off[j];
        if (k > base && out->ts[k - 1] == ts) k--; /* later arrival wins */
        out->ts[k] = ts;
        out->v[k] = w->v[j];
        out->q[k] = w->q[j];
        k++;
    }
    out->n = k;
    free(idx);
    free(tmp);
    return 0;
}

/* ---- rollups ---- */

bool point_aggregated(double v, uint8_t q) {
    return (q & 0xC0) != HIST_QUALITY_BAD && (q & 0xC0) != 0xC0 && isfinite(v);
}

static void bucket_add(codec_rollup *b, double v) {
    if (b->count == 0) {
        b->min = b->max = b->first = v;
        b->sum = 0;
    }
    if (v < b->min) b->min = v;
    if (v > b->max) b->max = v;
    b->sum += v;
    b->last = v;
    b->count++;
}

/* Rounds sums back to the decimals of their inputs, so a sum of values with
 * two decimals is stored as the exact two-decimal number it is; this keeps
 * the sum column on the compact scaled-integer encoding. */
static void round_sums(codec_rollup *b, size_t n, int decimals) {
    static const double pow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (decimals < 0 || decimals > 9) return;
    for (size_t i = 0; i < n; i++) {
        double s = b[i].sum * pow10[decimals];
        if (fabs(s) < 9007199254740992.0) b[i].sum = (double)llround(s) / pow10[decimals];
    }
}

size_t rollup_period(const point_run *r, int64_t period, codec_rollup *out) {
    size_t n = 0;
    int64_t cur = INT64_MIN;
    double *good = malloc((r->n ? r->n : 1) * sizeof *good);
    size_t n_good = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!point_aggregated(r->v[i], r->q[i])) continue;
        int64_t m = floor_to(r->ts[i], period);
        if (m != cur) {
            cur = m;
            memset(&out[n], 0, sizeof out[n]);
            out[n].ts_ms = m;
            n++;
        }
        bucket_add(&out[n - 1], r->v[i]);
        if (good) good[n_good++] = r->v[i];
    }
    if (good) round_sums(out, n, codec_decimal_exponent(good, n_good));
    free(good);
    return n;
}

/* ---- reading ---- */

static hist_status get_value(hist *h, int cf, uint32_t series, int64_t start, char **val,
                             size_t *len, hist_error *err) {
    uint8_t key[KEY_LEN];
    char *e = NULL;
    key_encode(key, series, start);
    if (!h->db) return hist_fail(err, HIST_EIO, "rocksdb is not open after a disk error");
    *val = rocksdb_get_cf(h->db, h->ropts, h->cf[cf], (const char *)key, KEY_LEN, len, &e);
    if (e) {
        hist_status st = hist_fail(err, HIST_EIO, "rocksdb get: %s", e);
        rocksdb_free(e);
        return st;
    }
    return HIST_OK;
}

hist_status store_read_chunk(hist *h, uint32_t series, int64_t start_ms, point_run *out,
                             hist_error *err) {
    char *val;
    size_t len, n;
    out->n = 0;
    hist_status st = get_value(h, CF_CHUNKS, series, start_ms, &val, &len, err);
    if (st != HIST_OK || !val) return st;
    if (codec_chunk_count((const uint8_t *)val, len, &n) != CODEC_OK ||
        point_run_reserve(out, n) != 0 ||
        codec_chunk_decode((const uint8_t *)val, len, out->ts, out->v, out->q, n) != CODEC_OK) {
        rocksdb_free(val);
        return hist_fail(err, HIST_ECORRUPT, "chunk of series %u at %lld does not decode", series,
                         (long long)start_ms);
    }
    out->n = n;
    rocksdb_free(val);
    return HIST_OK;
}

/* ---- writing ---- */

/* Merges disk (sorted) and head (sorted) into out; head wins on equal ts. */
static int merge_runs(const point_run *disk, const point_run *head, point_run *out) {
    if (point_run_reserve(out, disk->n + head->n) != 0) return -1;
    size_t a = 0, b = 0, k = 0;
    while (a < disk->n || b < head->n) {
        bool take_head = a == disk->n || (b < head->n && head->ts[b] <= disk->ts[a]);
        if (take_head) {
            if (a < disk->n && disk->ts[a] == head->ts[b]) a++;
            out->ts[k] = head->ts[b];
            out->v[k] = head->v[b];
            out->q[k] = head->q[b];
            b++;
        } else {
            out->ts[k] = disk->ts[a];
            out->v[k] = disk->v[a];
            out->q[k] = disk->q[a];
            a++;
        }
        k++;
    }
    out->n = k;
    return 0;
}

static void put_cf(hist *h, rocksdb_writebatch_t *batch, int cf, uint32_t series, int64_t start,
                   const codec_buf *val) {
    uint8_t key[KEY_LEN];
    key_encode(key, series, start);
    if (val)
        rocksdb_writebatch_put_cf(batch, h->cf[cf], (const char *)key, KEY_LEN,
                                  (const char *)val->p, val->len);
    else
        rocksdb_writebatch_delete_cf(batch, h->cf[cf], (const char *)key, KEY_LEN);
}

/* Folds minute buckets into one hour bucket. */
static void fold_hour(codec_rollup *hour, const codec_rollup *m, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (m[i].count == 0) continue;
        if (hour->count == 0) {
            hour->min = m[i].min;
            hour->max = m[i].max;
            hour->first = m[i].first;
            hour->sum = 0;
        }
        if (m[i].min < hour->min) hour->min = m[i].min;
        if (m[i].max > hour->max) hour->max = m[i].max;
        hour->sum += m[i].sum;
        hour->last = m[i].last;
        hour->count += m[i].count;
    }
}

typedef struct window_rollup {
    int64_t start;
    codec_rollup *minutes;
    size_t n;
} window_rollup;

/* Reads the minute rollups of (series, window start) from disk. */
static hist_status read_minutes(hist *h, uint32_t series, int64_t start, codec_rollup *out,
                                size_t cap, size_t *n, hist_error *err) {
    char *val;
    size_t len, k;
    *n = 0;
    hist_status st = get_value(h, CF_ROLLUP_1M, series, start, &val, &len, err);
    if (st != HIST_OK || !val) return st;
    if (codec_rollup_count((const uint8_t *)val, len, &k) != CODEC_OK || k > cap ||
        codec_rollup_decode((const uint8_t *)val, len, out, k) != CODEC_OK) {
        rocksdb_free(val);
        return hist_fail(err, HIST_ECORRUPT, "rollup of series %u at %lld does not decode", series,
                         (long long)start);
    }
    rocksdb_free(val);
    *n = k;
    return HIST_OK;
}

/* Hour buckets straight from the points of one window of at least an hour
 * (such a window holds whole hours). Every hour is written or deleted: a
 * late rewrite may have turned an hour's last good point bad. */
static hist_status put_hours(hist *h, rocksdb_writebatch_t *batch, uint32_t series, int64_t start,
                             int64_t window, const point_run *pts, codec_rollup *hours,
                             codec_buf *enc, hist_error *err) {
    size_t n = rollup_period(pts, HOUR_MS, hours), k = 0;
    for (int64_t hour = start; hour < start + window; hour += HOUR_MS) {
        bool have = k < n && hours[k].ts_ms == hour;
        enc->len = 0;
        if (have && codec_rollup_encode(enc, &hours[k], 1) != CODEC_OK)
            return hist_fail(err, HIST_ENOMEM, "rollup encoding failed for series %u", series);
        put_cf(h, batch, CF_ROLLUP_1H, series, hour, have ? enc : NULL);
        k += have;
    }
    return HIST_OK;
}

hist_status store_write_windows(hist *h, rocksdb_writebatch_t *batch, uint32_t series,
                                head_window *const *windows, size_t n, hist_error *err) {
    const int64_t W = series_window(h, series);
    const bool has_1m = series_has_1m(W), has_1h = series_has_1h(W);
    /* Buckets a window can hold: minutes when the series keeps them, else hours. */
    const size_t per_window = (size_t)(W / (has_1m ? MINUTE_MS : HOUR_MS)) + 1;
    point_run disk = {0}, head = {0}, merged = {0};
    codec_buf enc = {0};
    window_rollup *wr = calloc(n, sizeof *wr);
    codec_rollup *scratch = malloc(per_window * sizeof *scratch);
    hist_status st = HIST_OK;
    if (!wr || !scratch) {
        st = hist_fail(err, HIST_ENOMEM, "out of memory sealing series %u", series);
        goto done;
    }
    for (size_t i = 0; i < n && st == HIST_OK; i++) {
        head_window *w = windows[i];
        head.n = 0;
        if (head_window_sorted(w, &head) != 0) {
            st = hist_fail(err, HIST_ENOMEM, "out of memory sealing series %u", series);
            break;
        }
        st = store_read_chunk(h, series, w->start_ms, &disk, err);
        if (st != HIST_OK) break;
        if (disk.n) atomic_fetch_add(&h->late_merges, 1);
        const point_run *pts = &head;
        if (disk.n) {
            if (merge_runs(&disk, &head, &merged) != 0) {
                st = hist_fail(err, HIST_ENOMEM, "out of memory sealing series %u", series);
                break;
            }
            pts = &merged;
        }
        /* the chunk now written holds the window's points and, when the
         * merge added none, nothing else: true of the old chunk too, so it
         * may be said before the batch commits */
        atomic_store_explicit(&w->covers_disk, !disk.n || merged.n == head.n, memory_order_relaxed);
        enc.len = 0;
        if (codec_chunk_encode(&enc, pts->ts, pts->v, pts->q, pts->n) != CODEC_OK) {
            st = hist_fail(err, HIST_ENOMEM, "chunk encoding failed for series %u", series);
            break;
        }
        put_cf(h, batch, CF_CHUNKS, series, w->start_ms, &enc);
        atomic_fetch_add(&h->chunks_written, 1);
        wr[i].start = w->start_ms;
        if (!has_1m) {
            if (has_1h) st = put_hours(h, batch, series, w->start_ms, W, pts, scratch, &enc, err);
            continue;
        }
        wr[i].minutes = malloc(per_window * sizeof *wr[i].minutes);
        if (!wr[i].minutes) {
            st = hist_fail(err, HIST_ENOMEM, "out of memory sealing series %u", series);
            break;
        }
        wr[i].n = rollup_period(pts, MINUTE_MS, wr[i].minutes);
        enc.len = 0;
        if (wr[i].n && codec_rollup_encode(&enc, wr[i].minutes, wr[i].n) != CODEC_OK) {
            st = hist_fail(err, HIST_ENOMEM, "rollup encoding failed for series %u", series);
            break;
        }
        put_cf(h, batch, CF_ROLLUP_1M, series, w->start_ms, wr[i].n ? &enc : NULL);
    }
    /* One-hour buckets of every hour touched, from the minute buckets of all
     * its windows: fresh ones from this batch, the others from disk. */
    for (size_t i = 0; has_1m && i < n && st == HIST_OK;) {
        int64_t hour = floor_to(wr[i].start, HOUR_MS);
        codec_rollup hb = {.ts_ms = hour};
        size_t j = i;
        for (int64_t ws = hour; ws < hour + HOUR_MS && st == HIST_OK; ws += W) {
            if (j < n && wr[j].start == ws) {
                fold_hour(&hb, wr[j].minutes, wr[j].n);
                j++;
            } else {
                size_t k;
                st = read_minutes(h, series, ws, scratch, per_window, &k, err);
                if (st == HIST_OK) fold_hour(&hb, scratch, k);
            }
        }
        if (st != HIST_OK) break;
        /* Minute sums are exact decimals; keep the hour sum so too. */
        double sums[64];
        size_t ns = 0;
        for (size_t k = i; k < j; k++)
            for (size_t m = 0; m < wr[k].n && ns < 64; m++) sums[ns++] = wr[k].minutes[m].sum;
        round_sums(&hb, 1, ns ? codec_decimal_exponent(sums, ns) : -1);
        enc.len = 0;
        if (hb.count && codec_rollup_encode(&enc, &hb, 1) != CODEC_OK) {
            st = hist_fail(err, HIST_ENOMEM, "rollup encoding failed for series %u", series);
            break;
        }
        put_cf(h, batch, CF_ROLLUP_1H, series, hour, hb.count ? &enc : NULL);
        i = j;
    }
done:
    if (wr)
        for (size_t i = 0; i < n; i++) free(wr[i].minutes);
    free(wr);
    free(scratch);
    point_run_free(&disk);
    point_run_free(&head);
    point_run_free(&merged);
    codec_buf_free(&enc);
    return st;
}

hist_status store_commit(hist *h, rocksdb_writebatch_t *batch, bool sync, hist_error *err) {
    char *e = NULL;
    if (!h->db) return hist_fail(err, HIST_EIO, "rocksdb is not open: %s", h->store_error);
    rocksdb_write(h->db, sync ? h->wopts_sync : h->wopts, batch, &e);
    if (e) {
        hist_status st = hist_fail(err, HIST_EIO, "rocksdb write: %s", e);
        store_failed(h, e);
        rocksdb_free(e);
        return st;
    }
    return HIST_OK;
}

void store_failed(hist *h, const char *msg) {
    int64_t now_ms = pw_wall_ms();
    pthread_mutex_lock(&h->err_mu);
    if (!h->store_broken) h->store_broken_since_ms = now_ms;
    h->store_broken = true;
    snprintf(h->store_error, sizeof h->store_error, "%s", msg);
    pthread_mutex_unlock(&h->err_mu);
}

hist_status db_read_begin(hist *h, hist_error *err) {
    if (!h) return hist_fail(err, HIST_EINVAL, "null argument");
    pthread_rwlock_rdlock(&h->db_lock);
    if (h->db) return HIST_OK;
    pthread_rwlock_unlock(&h->db_lock);
    pthread_mutex_lock(&h->err_mu);
    hist_status st = hist_fail(err, HIST_EIO, "the historian's store is closed after an error: %s",
                               h->store_error);
    pthread_mutex_unlock(&h->err_mu);
    return st;
}

void db_read_end(hist *h) {
    pthread_rwlock_unlock(&h->db_lock);
}

/* ---- retention ---- */

static unsigned char retention_filter(void *state, int level, const char *key, size_t key_len,
                                      const char *value, size_t value_len, char **new_value,
                                      size_t *new_value_len, unsigned char *value_changed) {
    (void)level, (void)value, (void)value_len, (void)new_value, (void)new_value_len;
    const retention_state *r = state;
    *value_changed = 0;
    if (r->keep_ms <= 0 || key_len != KEY_LEN) return 0;
    uint32_t series;
    int64_t start;
    key_decode((const uint8_t *)key, &series, &start);
    int64_t now_ms = pw_wall_ms();
    int64_t period = r->period_ms;
    if (!period) { /* a series not (yet) in the catalogue: assume the widest window */
        unsigned c = series < r->n_classes
                         ? atomic_load_explicit(&r->window_class[series], memory_order_acquire)
                         : 0;
        period = c ? window_table[c - 1] : WINDOW_MAX_MS;
    }
    return start + period <= now_ms - r->keep_ms;
}

static void retention_state_keep(void *state) {
    (void)state; /* owned by the hist handle, not by RocksDB */
}

static const char *retention_name(void *state) {
    (void)state;
    return "parkwatch.retention";
}

/* ---- open and close ---- */

hist_status store_open(hist *h, hist_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/rocksdb", h->dir);
    h->cache = rocksdb_cache_create_lru(h->opt.block_cache_bytes);
    h->table_opts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(h->table_opts, h->cache);
    /* 64 KiB: ZSTD finds a little more in bigger blocks of chunks (which
     * are read by range anyway); the index is smaller too. */
    rocksdb_block_based_options_set_block_size(h->table_opts, 64 * 1024);
    rocksdb_block_based_options_set_filter_policy(h->table_opts,
                                                  rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(h->table_opts, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(h->table_opts, 1);

    h->db_opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(h->db_opts, 1);
    rocksdb_options_set_create_missing_column_families(h->db_opts, 1);
    rocksdb_options_set_max_background_jobs(h->db_opts, 2);
    /* FATAL only: Debian's RocksDB 7.8 is built with assertions, and after
     * a write to its LOG file failed (disk full) its recovery thread's next
     * log line aborts the process (WritableFileWriter's sync_without_flush
     * assertion). Our own errors carry RocksDB's messages instead. */
    rocksdb_options_set_info_log_level(h->db_opts, 4 /* FATAL */);
    rocksdb_options_set_keep_log_file_num(h->db_opts, 2);
    rocksdb_options_set_max_total_wal_size(h->db_opts, 256u << 20);

    const int64_t period[CF_COUNT] = {0, 0, 0, HOUR_MS}; /* 0: the series' window */
    const int64_t keep[CF_COUNT] = {0, h->opt.retention_raw_ms, h->opt.retention_1m_ms,
                                    h->opt.retention_1h_ms};
    for (int i = 0; i < CF_COUNT; i++) {
        rocksdb_options_t *o = rocksdb_options_create_copy(h->db_opts);
        rocksdb_options_set_block_based_table_factory(o, h->table_opts);
        /* ZSTD: chunks are bit-packed already, but rollups and the
         * catalogue shrink by a quarter and more (Snappy: a few percent).
         * Blocks written by Snappy before stay readable. */
        rocksdb_options_set_compression(o, rocksdb_zstd_compression);
        rocksdb_options_set_write_buffer_size(o, (i == CF_CHUNKS ? 64u : 16u) << 20);
        rocksdb_options_set_level_compaction_dynamic_level_bytes(o, 1);
        h->retention[i] = (retention_state){.keep_ms = keep[i],
                                            .period_ms = period[i],
                                            .window_class = h->window_class,
                                            .n_classes = h->opt.max_series};
        if (i != CF_DEFAULT) {
            h->filters[i] = rocksdb_compactionfilter_create(&h->retention[i], retention_state_keep,
                                                            retention_filter, retention_name);
            rocksdb_options_set_compaction_filter(o, h->filters[i]);
        }
        h->cf_opts[i] = o;
    }
    char *e = NULL;
    h->db = rocksdb_open_column_families(h->db_opts, path, CF_COUNT, cf_names,
                                         (const rocksdb_options_t *const *)h->cf_opts, h->cf, &e);
    if (e) {
        hist_status st = hist_fail(err, strstr(e, "lock") ? HIST_EBUSY : HIST_EIO,
                                   "cannot open RocksDB at %s: %s", path, e);
        rocksdb_free(e);
        return st;
    }
    h->ropts = rocksdb_readoptions_create();
    h->wopts = rocksdb_writeoptions_create();
    h->wopts_sync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(h->wopts_sync, 1);
    return HIST_OK;
}

/* Leaves h ready for another store_open (the reopen after a disk error). */
void store_close(hist *h) {
    if (h->db) {
        for (int i = 0; i < CF_COUNT; i++)
            if (h->cf[i]) rocksdb_column_family_handle_destroy(h->cf[i]);
        rocksdb_close(h->db);
        h->db = NULL;
    }
    for (int i = 0; i < CF_COUNT; i++) {
        h->cf[i] = NULL;
        if (h->cf_opts[i]) rocksdb_options_destroy(h->cf_opts[i]);
        h->cf_opts[i] = NULL;
        if (h->filters[i]) rocksdb_compactionfilter_destroy(h->filters[i]);
        h->filters[i] = NULL;
    }
    if (h->db_opts) rocksdb_options_destroy(h->db_opts);
    if (h->table_opts) rocksdb_block_based_options_destroy(h->table_opts);
    if (h->cache) rocksdb_cache_destroy(h->cache);
    if (h->ropts) rocksdb_readoptions_destroy(h->ropts);
    if (h->wopts) rocksdb_writeoptions_destroy(h->wopts);
    if (h->wopts_sync) rocksdb_writeoptions_destroy(h->wopts_sync);
    h->db_opts = NULL;
    h->table_opts = NULL;
    h->cache = NULL;
    h->ropts = NULL;
    h->wopts = NULL;
    h->wopts_sync = NULL;
}

/* Caller holds write_mu. The memtables out to (compressed) SST files, so
 * the chunks stop living twice, in RocksDB's log and its memtables: RocksDB
 * then drops the log. */
hist_status store_flush_memtables(hist *h, hist_error *err) {
    hist_status st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    char *e = NULL;
    for (int i = 0; i < CF_COUNT && !e; i++) rocksdb_flush_cf(h->db, fo, h->cf[i], &e);
    rocksdb_flushoptions_destroy(fo);
    db_read_end(h);
    if (e) {
        st = hist_fail(err, HIST_EIO, "rocksdb flush: %s", e);
        rocksdb_free(e);
    }
    return st;
}
