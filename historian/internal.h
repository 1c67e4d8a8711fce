/*
 * internal.h - structures shared by the files of historian/ and nothing else.
 *
 * Locking: h->write_mu serialises every writer (append, registration, flush,
 * backup, close). h->head_lock (a rwlock) guards the head and the series
 * catalogue: the writer takes it for writing only while it mutates them;
 * queries take it for reading only while they copy what they need, then read
 * RocksDB without it. A window leaves the head only after its chunk is in
 * RocksDB, so a query that copied the head first and reads RocksDB second
 * never misses a point.
 */
#ifndef PARKWATCH_HISTORIAN_INTERNAL_H
#define PARKWATCH_HISTORIAN_INTERNAL_H

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdarg.h>
#include <stdatomic.h>

#include "historian/codec.h"
#include "historian/historian.h"

#define MINUTE_MS ((int64_t)60000)
#define HOUR_MS   ((int64_t)3600000)

/* ---- head: the open windows of one series ---- */
typedef struct head_window {
    int64_t start_ms;
    size_t n, cap;
    uint32_t expect; /* points the window before held: where growth pauses */
    /* Arrival order; duplicates allowed, the later one wins. A point's time
     * is start_ms + off[i]: a window spans at most WINDOW_MAX_MS (7 days),
     * so 4 bytes, and a point of the head costs 13 bytes, not 17. */
    uint32_t *off;
    double *v;
    uint8_t *q;
    bool sorted; /* ts strictly increasing in arrival order */
    bool dirty;  /* holds points not yet written to RocksDB */
    /* Every point of this window's chunk on disk is in the window too (it
     * was written from it, or merged with a chunk whose points it already
     * held): a query may then leave the chunk unread. Set by the writer
     * (store_write_windows), read by queries under the head lock's read
     * side: atomic. A new window for the same start starts false. */
    atomic_bool covers_disk;
    struct head_window *next; /* by increasing start_ms */
} head_window;

typedef struct series_state {
    int64_t window_ms; /* chunk window: fixed at creation, keys depend on it */
    head_window *windows;
    head_window *tail; /* newest window: in-order points go straight to it */
    /* The arrays of the window sealed last, empty, for the next one to
     * grow into: a steady series then moves between two allocations, its
     * full window's and a small one's, and leaves no holes in the heap. */
    head_window *spare;
    int64_t max_ts_ms; /* largest timestamp ever appended (sealing clock) */
    hist_value last;
    uint32_t touched_batch; /* stamp of the last append batch that touched it */
    char *name, *unit, *description;
} series_state;

/* ---- write-ahead log (wal.c) ---- */
typedef struct wal wal;
typedef void (*wal_replay_fn)(const hist_point *pts, size_t n, void *ctx);
hist_status wal_open(const char *dir, wal **out, hist_error *err);
/* Calls fn for every intact record in order; truncates a torn tail. */
hist_status wal_replay(wal *w, wal_replay_fn fn, void *ctx, hist_error *err);
hist_status wal_append(wal *w, const hist_point *pts, size_t n, hist_error *err);
hist_status wal_sync(wal *w, hist_error *err);
/* Starts a new segment; segments before it are deleted by wal_trim. */
hist_status wal_rotate(wal *w, hist_error *err);
hist_status wal_trim(wal *w, hist_error *err);
uint64_t wal_bytes(wal *w);
uint64_t wal_bytes_since_rotate(wal *w);
void wal_close(wal *w);

/* ---- RocksDB key spaces (store.c) ---- */
enum { CF_DEFAULT = 0, CF_CHUNKS, CF_ROLLUP_1M, CF_ROLLUP_1H, CF_COUNT };

/* The chunk windows a series may have, in increasing order. Stored per
 * series as a class (index + 1) so the retention filter, which runs on
 * RocksDB's threads, can read it without the catalogue lock. */
#define WINDOW_CLASSES 20
extern const int64_t window_table[WINDOW_CLASSES];
#define WINDOW_MAX_MS (7 * 24 * HOUR_MS)
int window_class(int64_t window_ms); /* 0 if not an allowed window */

/* Rollup tiers kept for a series: minute buckets only pay off when a
 * minute holds several points (sampled every 5 s or faster: W <= 1 h), hour
 * buckets when an hour holds a few dozen (every 2 min or faster: W <= 1 d).
 * Slower series are read raw: a year of 5-minute data is 105,120 points. */
static inline bool series_has_1m(int64_t window_ms) {
    return window_ms <= HOUR_MS;
}
static inline bool series_has_1h(int64_t window_ms) {
    return window_ms <= 24 * HOUR_MS;
}

typedef struct retention_state {
    int64_t keep_ms;                           /* 0 = forever */
    int64_t period_ms;                         /* span covered by one key; 0 = the series' window */
    const _Atomic unsigned char *window_class; /* by series id, max_series long */
    size_t n_classes;
} retention_state;

struct hist {
    char *dir;
    hist_options opt;
    rocksdb_t *db;
    rocksdb_options_t *db_opts;
    rocksdb_options_t *cf_opts[CF_COUNT];
    rocksdb_column_family_handle_t *cf[CF_COUNT];
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_cache_t *cache;
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts;      /* no sync: the historian's own WAL covers it */
    rocksdb_writeoptions_t *wopts_sync; /* catalogue and checkpoints */
    retention_state retention[CF_COUNT];
    rocksdb_compactionfilter_t *filters[CF_COUNT];
    wal *log;
    int lock_fd;

    pthread_mutex_t write_mu;
    pthread_rwlock_t head_lock;
    struct chunk_cache *ccache; /* decoded chunks for queries (chunkcache.c) */
    series_state *series;
    size_t n_series, cap_series;
    uint32_t *name_index; /* open addressing: id + 1, 0 = empty */
    size_t name_index_cap;
    uint32_t batch_stamp;
    uint32_t *touched;
    size_t n_touched, cap_touched;
    _Atomic unsigned char *window_class; /* see window_table */

    pthread_t sync_thread;
    bool sync_thread_running;
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    bool stopping;
    atomic_int sync_failed; /* errno of a failed interval sync, reported by the next append */

    atomic_uint_fast64_t chunks_written, late_merges;

    /* RocksDB refused a write (disk full, I/O error). Points still go to the
     * log and the head; writers reopen RocksDB once the disk has room (its C
     * API has no Resume) and then write what waited. db_lock keeps readers
     * off the handle while it is swapped: queries hold it for reading, the
     * reopen (under write_mu) for writing. The failure fields change under
     * write_mu and err_mu; other threads read them under err_mu. */
    pthread_rwlock_t db_lock;
    pthread_mutex_t err_mu;
    bool store_broken;
    int64_t store_broken_since_ms; /* wall clock */
    int64_t store_retry_ms;        /* monotonic, last reopen attempt */
    char store_error[256];
};

/* Records that RocksDB refused a write; caller holds write_mu. */
void store_failed(hist *h, const char *msg);
/* Readers: take db_lock for reading; fails when RocksDB is not open. */
hist_status db_read_begin(hist *h, hist_error *err);
/* Caller holds write_mu: RocksDB's memtables to SST files (its log dropped). */
hist_status store_flush_memtables(hist *h, hist_error *err);
void db_read_end(hist *h);

/* The chunk window of a registered series; safe without the head lock. */
static inline int64_t series_window(const hist *h, uint32_t series) {
    unsigned c = atomic_load_explicit(&h->window_class[series], memory_order_acquire);
    return c ? window_table[c - 1] : h->opt.chunk_window_ms;
}

/* Formats a message into err (when not NULL) and returns status. */
hist_status hist_fail(hist_error *err, hist_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int64_t floor_to(int64_t t, int64_t period) {
    int64_t r = t % period;
    return r < 0 ? t - r - period : t - r;
}

/* Chunk and rollup keys: series id then period start, both big-endian, so
 * one series' range is one contiguous key range. */
#define KEY_LEN 12
void key_encode(uint8_t key[KEY_LEN], uint32_t series, int64_t start_ms);
void key_decode(const uint8_t *key, uint32_t *series, int64_t *start_ms);

hist_status store_open(hist *h, hist_error *err);
void store_close(hist *h);

/* A growable array of sorted points (the unit passed between store and query). */
typedef struct point_run {
    int64_t *ts;
    double *v;
    uint8_t *q;
    size_t n, cap;
} point_run;
int point_run_reserve(point_run *r, size_t n);
void point_run_free(point_run *r);

/* chunkcache.c: decoded chunks for queries that read them again (NULL:
 * no cache, every call decodes). decode gives the points of the chunk
 * whose encoded bytes are v[0..vlen), from the cache when it holds those
 * very bytes; returns a CODEC_* code. */
typedef struct chunk_cache chunk_cache; /* also named in struct hist above */
chunk_cache *chunk_cache_new(size_t budget_bytes);
void chunk_cache_free(chunk_cache *c);
int chunk_cache_decode(chunk_cache *c, uint32_t series, int64_t start, const uint8_t *v,
                       size_t vlen, point_run *out);
void chunk_cache_stats(chunk_cache *c, uint64_t *hits, uint64_t *misses, size_t *bytes);

/* Sorts a window's points by time, the later of two duplicates winning,
 * appending them to out. */
int head_window_sorted(const head_window *w, point_run *out);

/* Reads the chunk of (series, window) into out (cleared first). */
hist_status store_read_chunk(hist *h, uint32_t series, int64_t start_ms, point_run *out,
                             hist_error *err);
/* Writes the given windows of one series (sorted by start) into batch:
 * each merged with its chunk on disk, with its 1-minute rollup record and the
 * 1-hour rollups of the hours it touches. */
hist_status store_write_windows(hist *h, rocksdb_writebatch_t *batch, uint32_t series,
                                head_window *const *windows, size_t n, hist_error *err);
/* Writes the whole head, syncs RocksDB, trims the WAL; caller holds write_mu. */
hist_status head_checkpoint(hist *h, hist_error *err);
hist_status store_commit(hist *h, rocksdb_writebatch_t *batch, bool sync, hist_error *err);

/* Aggregation of points into minute buckets (rollup rules: good or uncertain
 * quality, finite value). Returns the number of buckets written to out,
 * which must hold one per minute of the span. */
size_t rollup_period(const point_run *r, int64_t period, codec_rollup *out);
bool point_aggregated(double v, uint8_t q);

#endif
