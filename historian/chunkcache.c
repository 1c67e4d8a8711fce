/*
 * chunkcache.c - decoded chunks kept for the queries that read them again.
 *
 * A dashboard asks the same windows every few seconds (the last ten
 * minutes of every detector of an enterprise); decoding their chunks was
 * most of such a query's time. The cache maps (series, window start) to
 * the chunk's encoded bytes and its decoded points. A lookup brings the
 * bytes just read from RocksDB and is a hit only when they are the very
 * bytes cached (length and memcmp): a chunk rewritten by a late point or a
 * checkpoint is simply a miss, so no writer has to invalidate anything and
 * a stale answer cannot come out. Least recently used entries go first
 * once the byte budget is spent.
 *
 * Threads: one mutex; a hit copies the points out under it (a chunk is
 * about 720 points: a memcpy, against a decode ten times as long).
 */
#include "historian/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct cc_entry {
    uint32_t series;
    int64_t start;
    uint8_t *enc; /* the encoded bytes, then ts, v, q of the n points */
    size_t enc_len, n, bytes;
    int64_t *ts;
    double *v;
    uint8_t *q;
    struct cc_entry *prev, *next; /* LRU: head most recent */
    struct cc_entry *hnext;       /* hash chain */
} cc_entry;

struct chunk_cache {
    pthread_mutex_t mu;
    cc_entry **buckets;
    size_t nbuckets, used, budget;
    cc_entry *lru_head, *lru_tail;
    uint64_t hits, misses;
};

static size_t cc_hash(const chunk_cache *c, uint32_t series, int64_t start) {
    uint64_t h =
        ((uint64_t)series * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)start * 0xC2B2AE3D27D4EB4Full);
    return (size_t)(h ^ (h >> 29)) & (c->nbuckets - 1);
}

chunk_cache *chunk_cache_new(size_t budget) {
    if (!budget) return NULL;
    chunk_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->nbuckets = 4096;
    while (c->nbuckets < budget / 8192 && c->nbuckets < (1u << 22)) c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->budget = budget;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void lru_unlink(chunk_cache *c, cc_entry *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        c->lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(chunk_cache *c, cc_entry *e) {
    e->prev = NULL, e->next = c->lru_head;
    if (c->lru_head) c->lru_head->prev = e;
    c->lru_head = e;
    if (!c->lru_tail) c->lru_tail = e;
}

static void entry_remove(chunk_cache *c, cc_entry *e) {
    cc_entry **pp = &c->buckets[cc_hash(c, e->series, e->start)];
    while (*pp != e) pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    c->used -= e->bytes;
    free(e->enc);
    free(e);
}

void chunk_cache_free(chunk_cache *c) {
    if (!c) return;
    while (c->lru_head) entry_remove(c, c->lru_head);
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int copy_out(const cc_entry *e, point_run *out) {
    if (point_run_reserve(out, e->n) != 0) return -1;
    memcpy(out->ts, e->ts, e->n * sizeof *e->ts);
    memcpy(out->v, e->v, e->n * sizeof *e->v);
    memcpy(out->q, e->q, e->n);
    out->n = e->n;
    return 0;
}

int chunk_cache_decode(chunk_cache *c, uint32_t series, int64_t start, const uint8_t *v,
                       size_t vlen, point_run *out) {
    size_t n;
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (cc_entry *e = c->buckets[cc_hash(c, series, start)]; e; e = e->hnext) {
            if (e->series != series || e->start != start) continue;
            if (e->enc_len == vlen && !memcmp(e->enc, v, vlen)) {
                lru_unlink(c, e);
                lru_push(c, e);
                c->hits++;
                int rc = copy_out(e, out);
                pthread_mutex_unlock(&c->mu);
                return rc == 0 ? CODEC_OK : CODEC_ENOMEM;
            }
            entry_remove(c, e); /* rewritten since: its points are stale */
            break;
        }
        c->misses++;
        pthread_mutex_unlock(&c->mu);
    }
    int rc = codec_chunk_count(v, vlen, &n);
    if (rc != CODEC_OK) return rc;
    if (point_run_reserve(out, n) != 0) return CODEC_ENOMEM;
    rc = codec_chunk_decode(v, vlen, out->ts, out->v, out->q, n);
    if (rc != CODEC_OK) return rc;
    out->n = n;
    if (!c) return CODEC_OK;
    /* keep it: one allocation for the bytes and the points */
    size_t bytes = vlen + n * (sizeof(int64_t) + sizeof(double) + 1) + 16;
    if (bytes > c->budget / 8) return CODEC_OK;
    cc_entry *e = calloc(1, sizeof *e);
    uint8_t *mem = e ? malloc(bytes) : NULL;
    if (!mem) {
        free(e);
        return CODEC_OK; /* no room to cache is not an error */
    }
    e->series = series, e->start = start, e->enc = mem, e->enc_len = vlen, e->n = n;
    e->bytes = bytes + sizeof *e;
    size_t off = (vlen + 7) & ~(size_t)7;
    memcpy(mem, v, vlen);
    e->ts = (int64_t *)(void *)(mem + off);
    e->v = (double *)(void *)(mem + off + n * sizeof(int64_t));
    e->q = mem + off + n * (sizeof(int64_t) + sizeof(double));
    memcpy(e->ts, out->ts, n * sizeof *e->ts);
    memcpy(e->v, out->v, n * sizeof *e->v);
    memcpy(e->q, out->q, n);
    pthread_mutex_lock(&c->mu);
    /* another reader may have put it meanwhile */
    for (cc_entry *o = c->buckets[cc_hash(c, series, start)]; o; o = o->hnext)
        if (o->series == series && o->start == start) {
            entry_remove(c, o);
            break;
        }
    size_t h = cc_hash(c, series, start);
    e->hnext = c->buckets[h];
    c->buckets[h] = e;
    lru_push(c, e);
    c->used += e->bytes;
    while (c->used > c->budget && c->lru_tail && c->lru_tail != e) entry_remove(c, c->lru_tail);
    pthread_mutex_unlock(&c->mu);
    return CODEC_OK;
}

void chunk_cache_stats(chunk_cache *c, uint64_t *hits, uint64_t *misses, size_t *bytes) {
    *hits = *misses = 0, *bytes = 0;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    *hits = c->hits, *misses = c->misses, *bytes = c->used;
    pthread_mutex_unlock(&c->mu);
}
