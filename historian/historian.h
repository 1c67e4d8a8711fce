/*
 * historian.h - Parkwatch's time-series store: the one public header of historian/.
 *
 * A point is (series id, timestamp in ms since the Unix epoch, value as a
 * double, quality byte). A series is named enterprise/device/tag, for
 * example "E012/tankfarm-3/T301.level", and maps to a compact 32-bit id that
 * never changes once given.
 *
 * Points go first to a write-ahead log (durable when hist_append returns,
 * under the sync policy of the options) and to an in-memory head that holds
 * the open time window of each series. Windows are sealed into compressed
 * chunks in RocksDB together with their 1-minute and 1-hour rollups. Queries
 * merge the head with what is on disk, so every acknowledged point is visible
 * at once. historian/FORMAT.md describes the files.
 *
 * Errors: every fallible call returns a hist_status and, when err is not
 * NULL, writes a readable message into it. Nothing here prints or exits.
 *
 * Ownership: hist_open allocates the handle, hist_close frees it. Result
 * containers (hist_samples, hist_buckets, hist_series_list) are owned by the
 * caller: zero-initialise them, pass them to queries (which reuse and grow
 * them), and release them with the matching *_free. Strings passed in are
 * copied; strings handed out point into caller-owned results.
 *
 * Threads: every function taking a hist* is thread-safe. Writers (append,
 * series registration, flush, backup) are serialised internally; queries run
 * concurrently with writes and with each other and see every point whose
 * hist_append returned before the query started.
 */
#ifndef PARKWATCH_HISTORIAN_H
#define PARKWATCH_HISTORIAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hist hist;

typedef enum hist_status {
    HIST_OK = 0,
    HIST_EINVAL,    /* bad argument: unknown series, from > to, step 0, bad timestamp */
    HIST_ENOTFOUND, /* no such series name */
    HIST_EIO,       /* the disk or RocksDB failed; the message says how */
    HIST_ECORRUPT,  /* stored data failed validation */
    HIST_ENOMEM,
    HIST_ELIMIT, /* a configured limit was hit (series count, result size) */
    HIST_EBUSY   /* the data directory is locked by another process */
} hist_status;

typedef struct hist_error {
    char msg[256];
} hist_error;

/* OPC UA StatusCode severity, the top two bits of the code
 * (OPC 10000-4, 7.39): 00 good, 01 uncertain, 10 bad. */
enum {
    HIST_QUALITY_GOOD = 0x00,
    HIST_QUALITY_UNCERTAIN = 0x40,
    HIST_QUALITY_BAD = 0x80,
};

/* A point whose quality is bad is stored but is no measurement: the
 * aggregates leave it out, and so do readers that aggregate themselves. */
static inline bool hist_quality_bad(uint8_t q) {
    return (q & 0xC0) == HIST_QUALITY_BAD;
}

/* Timestamps are accepted in [0, HIST_MAX_TS_MS] (about year 287,000). */
#define HIST_MAX_TS_MS       ((int64_t)1 << 53)
#define HIST_SERIES_NAME_MAX 255

typedef struct hist_point {
    uint32_t series;
    uint8_t quality;
    int64_t ts_ms;
    double value;
} hist_point;

typedef enum hist_sync_policy {
    HIST_SYNC_EVERY_BATCH = 0, /* fdatasync before hist_append returns */
    HIST_SYNC_INTERVAL,        /* a background thread syncs every sync_interval_ms */
    HIST_SYNC_NONE             /* leave it to the OS (benchmarks of encoding only) */
} hist_sync_policy;

typedef struct hist_options {
    hist_sync_policy sync;
    int sync_interval_ms;        /* HIST_SYNC_INTERVAL; default 100 */
    int64_t chunk_window_ms;     /* chunk window of series registered without an interval;
                                    default 15 min, a multiple of 1 min that divides 1 h */
    int64_t seal_grace_ms;       /* a window is sealed once its series has a point this far past
                                    its end; default 60 s */
    size_t wal_checkpoint_bytes; /* persist the head and trim the WAL past this; default 512 MiB */
    int64_t retention_raw_ms;    /* 0 = keep forever */
    int64_t retention_1m_ms;
    int64_t retention_1h_ms;
    size_t max_series;        /* default 1,000,000 */
    size_t block_cache_bytes; /* RocksDB block cache; default 64 MiB */
    size_t chunk_cache_bytes; /* decoded chunks kept for queries that read them again
                                 (a dashboard's refresh); default 64 MiB */
} hist_options;

/* Fills *o with the defaults above. */
void hist_options_default(hist_options *o);

/* Opens (creating if needed) the historian in directory dir, replaying the
 * write-ahead log. opt may be NULL for defaults. */
hist_status hist_open(const char *dir, const hist_options *opt, hist **out, hist_error *err);
/* Persists the head, closes RocksDB and frees h. NULL is a no-op. */
hist_status hist_close(hist *h, hist_error *err);

/* ---- series ---- */
typedef struct hist_series_def {
    const char *name; /* enterprise/device/tag, at most HIST_SERIES_NAME_MAX bytes */
    const char *unit; /* may be NULL */
    const char *description;
    /* Expected time between points, 0 if unknown. It fixes, once, when the
     * series is created, the series' chunk window (about 720 points per
     * chunk, between chunk_window_ms and 7 days): sparse series then
     * compress as well as dense ones. Ignored for existing series. */
    int64_t interval_ms;
} hist_series_def;

/* Returns the ids of the named series, registering (durably, in one write)
 * those that are new. Unit and description of existing series are updated
 * when given. */
hist_status hist_series_ensure(hist *h, const hist_series_def *defs, size_t n, uint32_t *ids,
                               hist_error *err);
hist_status hist_series_lookup(hist *h, const char *name, uint32_t *id, hist_error *err);

typedef struct hist_series_info {
    uint32_t id;
    char name[HIST_SERIES_NAME_MAX + 1];
    char unit[32];
    char description[128];
    int64_t window_ms; /* chunk window, fixed when the series was created */
} hist_series_info;

hist_status hist_series_get(hist *h, uint32_t id, hist_series_info *out, hist_error *err);

/* The chunk window a new series with this sampling interval gets. */
int64_t hist_window_for_interval(int64_t default_window_ms, int64_t interval_ms);

typedef struct hist_series_list {
    uint32_t *ids;
    size_t n, cap;
} hist_series_list;
/* Ids of all series whose enterprise (the name up to the first '/') equals
 * enterprise, or of every series when enterprise is NULL; in id order. */
hist_status hist_series_find(hist *h, const char *enterprise, hist_series_list *out,
                             hist_error *err);
void hist_series_list_free(hist_series_list *l);
size_t hist_series_count(hist *h);

/* ---- writing ---- */

/* Appends points of any series, interleaved, in any order. Late and
 * out-of-order points are merged; the same series and timestamp twice keeps
 * the later write. The batch is all or nothing: one invalid point (unknown
 * series, timestamp out of range) rejects the call before anything is
 * written. Durable on return under HIST_SYNC_EVERY_BATCH. */
hist_status hist_append(hist *h, const hist_point *pts, size_t n, hist_error *err);
/* Makes everything appended so far durable now, whatever the policy. */
hist_status hist_sync(hist *h, hist_error *err);
/* Disk full or a disk error: a failed write to the log fails hist_append
 * (nothing of the batch is stored, the log is cut back; the call may be
 * repeated). A failed write to RocksDB does not: the batch is in the log
 * and the head, and the sealed windows wait there; RocksDB is reopened
 * once the disk has room again (tried at most once a second by the writers)
 * and what waited is written. Meanwhile queries keep answering, unless the
 * reopen itself failed (HIST_EIO until a later one succeeds).
 * hist_storage_error says whether RocksDB is refusing writes: the reason
 * into msg (may be NULL) and since when (wall ms). */
bool hist_storage_error(hist *h, char *msg, size_t cap, int64_t *since_ms);
/* Writes the whole head to RocksDB (open windows included), trims the WAL
 * and flushes RocksDB's memtables to compressed files (hist_close too). */
hist_status hist_flush(hist *h, hist_error *err);
/* Flushes, then compacts all of RocksDB (retention applies here). */
hist_status hist_compact(hist *h, hist_error *err);

/* ---- queries ---- */
typedef struct hist_sample {
    int64_t ts_ms;
    double value;
    uint8_t quality;
} hist_sample;

typedef struct hist_samples {
    hist_sample *v;
    size_t n, cap;
    bool truncated; /* the limit was reached before the end of the range */
} hist_samples;
void hist_samples_free(hist_samples *s);

/* Raw points of one series with from_ms <= ts < to_ms, in time order. At
 * most limit points (0 = no limit); out->truncated says when more exist. */
hist_status hist_query_raw(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms, size_t limit,
                           hist_samples *out, hist_error *err);

typedef enum hist_agg {
    HIST_AGG_AVG,
    HIST_AGG_MIN,
    HIST_AGG_MAX,
    HIST_AGG_FIRST,
    HIST_AGG_LAST,
    HIST_AGG_COUNT,
    HIST_AGG_SUM
} hist_agg;
/* Parses "avg", "min", ... ; returns false for an unknown name. */
bool hist_agg_parse(const char *name, hist_agg *out);
const char *hist_agg_name(hist_agg a);

/* A bucket aggregates the points of good or uncertain quality with a
 * finite value; bad-quality and NaN points are stored but not aggregated. */
typedef struct hist_bucket {
    int64_t ts_ms; /* start of the bucket, a multiple of the step */
    uint32_t count;
    double min, max, sum, first, last;
} hist_bucket;
double hist_bucket_value(const hist_bucket *b, hist_agg agg);

typedef struct hist_buckets {
    hist_bucket *v;
    size_t n, cap;
    int tier; /* what served the aligned middle: 0 raw, 1 one-minute, 2 one-hour rollups */
} hist_buckets;
void hist_buckets_free(hist_buckets *b);

/* Buckets [k*step, (k+1)*step) over from_ms <= ts < to_ms (the first and
 * last bucket cover only the part inside the range); empty buckets are left
 * out. Uses the coarsest rollup tier whose period divides step_ms. At most
 * max_buckets buckets in the range (0 = 1,000,000) or HIST_ELIMIT. */
hist_status hist_query_agg(hist *h, uint32_t series, int64_t from_ms, int64_t to_ms,
                           int64_t step_ms, size_t max_buckets, hist_buckets *out, hist_error *err);

typedef struct hist_value {
    uint32_t series;
    bool present; /* false when the series has no point (at or before the time asked) */
    uint8_t quality;
    int64_t ts_ms;
    double value;
} hist_value;

/* Latest point of each of n series into out[n]. */
hist_status hist_last(hist *h, const uint32_t *series, size_t n, hist_value *out, hist_error *err);
/* The state at time at_ms: for each series, the last point with ts <= at_ms. */
hist_status hist_snapshot(hist *h, int64_t at_ms, const uint32_t *series, size_t n, hist_value *out,
                          hist_error *err);

/* ---- operations ---- */
typedef struct hist_stats {
    uint64_t series;
    uint64_t points;        /* stored points, head included (a scan: not for hot paths) */
    uint64_t bytes_on_disk; /* RocksDB files and write-ahead log */
    uint64_t bytes_rocksdb; /* RocksDB files only (SST, log, manifest, options) */
    uint64_t bytes_sst;     /* of which SST files: the data itself */
    uint64_t bytes_wal;
    uint64_t head_points;    /* points held in memory in open windows */
    uint64_t chunks_written; /* since open */
    uint64_t late_merges;    /* chunks rewritten because late points arrived, since open */
} hist_stats;
hist_status hist_get_stats(hist *h, hist_stats *out, hist_error *err);
/* The same without the scan and without writing the head (points is 0):
 * cheap enough for a metrics scrape. */
void hist_get_gauges(hist *h, hist_stats *out);

/* Online, consistent backup into dir (which must not exist): everything
 * appended before the call is in it. */
hist_status hist_backup(hist *h, const char *dir, hist_error *err);
/* Makes data_dir (which must not exist or be empty) a copy of a backup. */
hist_status hist_restore(const char *backup_dir, const char *data_dir, hist_error *err);

const char *hist_status_name(hist_status s);

#endif
