/*
 * events.c - the event store: open and close, the records' limits, the
 * encoding, appends and sync. Queries are in query.c, retention, backup
 * and statistics in ops.c; the keys and the format in internal.h.
 *
 * An append is checked whole before anything is written (a batch is all
 * or nothing), encoded once, and written as one RocksDB write batch: the
 * time entry, one entity entry per entity, the state entry of a state
 * event, and the next sequence number, so that a reopened store never
 * gives a number twice even after the events themselves were retained away.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/byteorder.h"
#include "common/clock.h"
#include "events/internal.h"

static const char META_SEQ[] = "mnext_seq";

ev_status evs_fail(char *err, size_t errcap, ev_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && errcap) vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
    return st;
}

ev_status evs_db_fail(char *err, size_t errcap, const char *what, char *rerr) {
    evs_fail(err, errcap, EV_EIO, "events: %s: %s", what, rerr ? rerr : "failed");
    rocksdb_free(rerr);
    return EV_EIO;
}

/* ---- keys ---- */

void evs_key_tail(uint8_t *p, int64_t ts_ms, uint64_t seq) {
    pw_put_be64(p, (uint64_t)ts_ms ^ (1ull << 63));
    pw_put_be64(p + 8, seq);
}

int64_t evs_tail_ts(const uint8_t *tail) {
    return (int64_t)(pw_get_be64(tail) ^ (1ull << 63));
}

uint64_t evs_tail_seq(const uint8_t *tail) {
    return pw_get_be64(tail + 8);
}

size_t evs_key_entity(uint8_t *k, char tag, const char *entity, size_t len, int64_t ts_ms,
                      uint64_t seq) {
    k[0] = (uint8_t)tag;
    memcpy(k + 1, entity, len);
    k[1 + len] = 0;
    evs_key_tail(k + 2 + len, ts_ms, seq);
    return 2 + len + EV_TAIL;
}

/* ---- the limits ---- */

/* Valid UTF-8 (no overlong form, surrogate or code point past U+10FFFF)
 * without control characters (C0, DEL, C1). */
static bool text_ok(const char *s, size_t n) {
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    while (p < end) {
        uint32_t c = *p;
        size_t len;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return false;
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, c &= 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, c &= 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, c &= 0x07;
        else
            return false;
        if ((size_t)(end - p) < len) return false;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) return false;
            c = c << 6 | (p[i] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff))) return false;
        if (c >= 0xd800 && c <= 0xdfff) return false;
        if (c >= 0x80 && c <= 0x9f) return false;
        p += len;
    }
    return true;
}

static bool kind_ok(const char *k) {
    size_t n = k ? strnlen(k, EV_KIND_MAX + 1) : 0;
    if (n < 1 || n > EV_KIND_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

static bool entity_ok(const char *e) {
    size_t n = e ? strnlen(e, EV_ENTITY_MAX + 1) : 0;
    if (n < 3 || n > EV_ENTITY_MAX) return false;
    const char *colon = memchr(e, ':', n);
    if (!colon || colon == e || colon - e > 16 || colon + 1 == e + n) return false;
    for (const char *p = e; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_')) return false;
    return text_ok(e, n);
}

/* The reason a record breaks a limit, or NULL. */
static const char *record_why(const ev_record *r) {
    if (r->ts_ms < EV_TS_MIN || r->ts_ms >= EV_TS_MAX)
        return "ts_ms: outside [2000-01-01, 2100-01-01)";
    if (r->recv_ms && (r->recv_ms < EV_TS_MIN || r->recv_ms >= EV_TS_MAX))
        return "recv_ms: outside [2000-01-01, 2100-01-01)";
    if (!kind_ok(r->kind)) return "kind: 1..32 bytes of [a-z0-9_]";
    if (r->enterprise) {
        size_t n = strnlen(r->enterprise, EV_ENT_MAX + 1);
        if (n > EV_ENT_MAX) return "enterprise: at most 32 bytes";
        if (!text_ok(r->enterprise, n)) return "enterprise: not UTF-8 text";
    }
    if (r->n_entities < 1 || r->n_entities > EV_MAX_ENTITIES) return "entities: 1 to 4";
    for (size_t i = 0; i < r->n_entities; i++) {
        if (!entity_ok(r->entities[i]))
            return "entity: \"type:id\", type 1..16 bytes of [a-z_], 3..128 bytes of UTF-8 "
                   "without control characters";
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->entities[i], r->entities[j])) return "entity: named twice";
    }
    if (!r->body || r->body_len < 2) return "body: a JSON object";
    if (r->body_len > EV_BODY_MAX) return "body: more than 65536 bytes";
    json_error_t je;
    json_t *b = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    bool obj = json_is_object(b);
    json_decref(b);
    if (!obj) return "body: not a JSON object (or a member named twice)";
    return NULL;
}

/* ---- the encoding ---- */

static size_t put_varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) p[n++] = (uint8_t)(v | 0x80), v >>= 7;
    p[n++] = (uint8_t)v;
    return n;
}

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

size_t evs_encoded_max(const ev_record *r) {
    size_t n = 2 + 10 + 1 + EV_KIND_MAX + 1 + EV_ENT_MAX + 1 + 10 + r->body_len;
    return n + EV_MAX_ENTITIES * (1 + EV_ENTITY_MAX);
}

static size_t put_str8(uint8_t *p, const char *s) {
    size_t n = s ? strlen(s) : 0;
    p[0] = (uint8_t)n;
    if (n) memcpy(p + 1, s, n);
    return 1 + n;
}

size_t evs_encode(const ev_record *r, int64_t recv_ms, uint8_t *out) {
    size_t n = 0;
    out[n++] = 1;
    out[n++] = r->state_of_first ? 1 : 0;
    int64_t d = recv_ms - r->ts_ms; /* both within 2000..2100: no overflow */
    n += put_varint(out + n, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
    n += put_str8(out + n, r->kind);
    n += put_str8(out + n, r->enterprise);
    out[n++] = (uint8_t)r->n_entities;
    for (size_t i = 0; i < r->n_entities; i++) n += put_str8(out + n, r->entities[i]);
    n += put_varint(out + n, r->body_len);
    memcpy(out + n, r->body, r->body_len);
    return n + r->body_len;
}

static bool get_str8(const uint8_t **p, const uint8_t *end, size_t max, const char **s,
                     uint8_t *len) {
    if (*p >= end) return false;
    size_t n = **p;
    (*p)++;
    if (n > max || (size_t)(end - *p) < n) return false;
    *s = (const char *)*p, *len = (uint8_t)n;
    *p += n;
    return true;
}

/* The head of a value up to the body: *body and *body_len when asked. */
static bool peek_head(const uint8_t *v, size_t n, evs_view *o, int64_t *recv_delta,
                      const uint8_t **body, size_t *body_len) {
    const uint8_t *p = v, *end = v + n;
    uint64_t zz, bl;
    if (n < 2 || p[0] != 1 || p[1] > 1) return false;
    o->state_of_first = p[1] & 1;
    p += 2;
    if (!get_varint(&p, end, &zz)) return false;
    if (recv_delta) *recv_delta = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    if (!get_str8(&p, end, EV_KIND_MAX, &o->kind, &o->kind_len) || !o->kind_len ||
        !get_str8(&p, end, EV_ENT_MAX, &o->enterprise, &o->ent_len) || p >= end)
        return false;
    o->n_entities = *p++;
    if (o->n_entities < 1 || o->n_entities > EV_MAX_ENTITIES) return false;
    for (size_t i = 0; i < o->n_entities; i++)
        if (!get_str8(&p, end, EV_ENTITY_MAX, &o->entities[i], &o->ent_lens[i]) || !o->ent_lens[i])
            return false;
    if (!get_varint(&p, end, &bl) || bl > EV_BODY_MAX || bl != (uint64_t)(end - p)) return false;
    if (body) *body = p, *body_len = (size_t)bl;
    return true;
}

bool evs_peek(const uint8_t *v, size_t n, evs_view *out) {
    return peek_head(v, n, out, NULL, NULL, NULL);
}

static char *dup_n(const void *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n), d[n] = 0;
    return d;
}

bool evs_decode(const uint8_t *v, size_t n, int64_t ts_ms, uint64_t seq, ev_event *e) {
    evs_view o;
    int64_t rd;
    const uint8_t *body;
    size_t bl;
    memset(e, 0, sizeof *e);
    if (!peek_head(v, n, &o, &rd, &body, &bl)) return false;
    /* a delta past the time range is corrupt, not a time */
    if (rd < -(EV_TS_MAX - EV_TS_MIN) || rd > EV_TS_MAX - EV_TS_MIN) return false;
    e->seq = seq, e->ts_ms = ts_ms, e->recv_ms = ts_ms + rd;
    e->state_of_first = o.state_of_first;
    memcpy(e->kind, o.kind, o.kind_len);
    memcpy(e->enterprise, o.enterprise, o.ent_len);
    e->n_entities = o.n_entities;
    for (size_t i = 0; i < o.n_entities; i++)
        if (!(e->entities[i] = dup_n(o.entities[i], o.ent_lens[i]))) goto oom;
    if (!(e->body = dup_n(body, bl))) goto oom;
    e->body_len = bl;
    return true;
oom:
    evs_event_clear(e);
    return false;
}

void evs_event_clear(ev_event *e) {
    for (size_t i = 0; i < EV_MAX_ENTITIES; i++) free(e->entities[i]);
    free(e->body);
    memset(e, 0, sizeof *e);
}

/* ---- open and close ---- */

ev_status ev_open(const char *dir, const ev_options *options, ev_store **out, char *err,
                  size_t errcap) {
    *out = NULL;
    if (!dir || !*dir) return evs_fail(err, errcap, EV_EINVAL, "events: no dir");
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return evs_fail(err, errcap, EV_EIO, "events: %s: %s", dir, strerror(errno));
    ev_options o = {false, 64, 0};
    if (options) o = *options;
    if (!o.cache_mb) o.cache_mb = 64;
    if (o.cache_mb > 65536) o.cache_mb = 65536;
    ev_store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return evs_fail(err, errcap, EV_ENOMEM, "events: out of memory");
    }
    pthread_mutex_init(&s->append_mu, NULL);
    pthread_mutex_init(&s->retain_mu, NULL);
    s->retention_ms = o.retention_ms;
    s->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(s->opts, 1);
    rocksdb_options_set_compression(s->opts, rocksdb_snappy_compression);
    rocksdb_options_set_info_log_level(s->opts, 4);
    rocksdb_options_set_keep_log_file_num(s->opts, 2);
    rocksdb_options_increase_parallelism(s->opts, 2);
    rocksdb_options_set_write_buffer_size(s->opts, 64u << 20);
    rocksdb_options_set_target_file_size_base(s->opts, 64u << 20);
    s->table = rocksdb_block_based_options_create();
    s->cache = rocksdb_cache_create_lru(o.cache_mb << 20);
    rocksdb_block_based_options_set_block_cache(s->table, s->cache);
    /* Every read is a range scan: a whole-key bloom filter would answer
     * nothing and cost 10 bits a key. Larger blocks compress the bodies
     * better and keep the index small (it stays in memory, out of the
     * cache, so an entity's scan never waits for an index block). */
    rocksdb_block_based_options_set_block_size(s->table, 16u << 10);
    rocksdb_options_set_block_based_table_factory(s->opts, s->table);
    s->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(s->wopts, o.sync ? 1 : 0);
    s->ropts = rocksdb_readoptions_create();
    char *rerr = NULL;
    s->db = rocksdb_open(s->opts, dir, &rerr);
    if (rerr || !s->db) {
        ev_status st = evs_db_fail(err, errcap, dir, rerr);
        ev_close(s);
        return st;
    }
    size_t vl;
    char *v = rocksdb_get(s->db, s->ropts, META_SEQ, sizeof META_SEQ - 1, &vl, &rerr);
    if (rerr) {
        ev_status st = evs_db_fail(err, errcap, "reading the sequence", rerr);
        ev_close(s);
        return st;
    }
    s->next_seq = 1;
    if (v && vl == 8) s->next_seq = pw_get_be64((const uint8_t *)v);
    bool bad = v && (vl != 8 || s->next_seq == 0 || s->next_seq > UINT64_MAX / 2);
    rocksdb_free(v);
    if (bad) {
        ev_close(s);
        return evs_fail(err, errcap, EV_EIO, "events: %s: the sequence number is corrupt", dir);
    }
    atomic_store(&s->next_seq_seen, s->next_seq);
    atomic_store(&s->gone_before, INT64_MIN);
    atomic_store(&s->min_appended, INT64_MAX);
    *out = s;
    return EV_OK;
}

void ev_close(ev_store *s) {
    if (!s) return;
    if (s->db) {
        /* the memtables to files, so that the next open has no log to replay */
        rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
        char *rerr = NULL;
        rocksdb_flushoptions_set_wait(fo, 1);
        rocksdb_flush(s->db, fo, &rerr);
        rocksdb_free(rerr); /* the log still holds what did not reach a file */
        rocksdb_flushoptions_destroy(fo);
        rocksdb_close(s->db);
    }
    if (s->opts) rocksdb_options_destroy(s->opts);
    if (s->table) rocksdb_block_based_options_destroy(s->table);
    if (s->cache) rocksdb_cache_destroy(s->cache);
    if (s->wopts) rocksdb_writeoptions_destroy(s->wopts);
    if (s->ropts) rocksdb_readoptions_destroy(s->ropts);
    pthread_mutex_destroy(&s->append_mu);
    pthread_mutex_destroy(&s->retain_mu);
    free(s->dir);
    free(s);
}

/* ---- appends ---- */

ev_status ev_append(ev_store *s, const ev_record *recs, size_t n, uint64_t *first_seq, char *err,
                    size_t errcap) {
    if (first_seq) *first_seq = 0;
    if (!s || (n && !recs)) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    if (n > 100000) {
        atomic_fetch_add(&s->rejected, n);
        return evs_fail(err, errcap, EV_EINVAL, "events: more than 100000 records in a batch");
    }
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        const char *why = record_why(&recs[i]);
        if (why) {
            atomic_fetch_add(&s->rejected, n);
            return evs_fail(err, errcap, EV_EINVAL, "record %zu: %s", i, why);
        }
        size_t m = evs_encoded_max(&recs[i]);
        if (m > need) need = m;
    }
    if (!n) return EV_OK;
    uint8_t *val = malloc(need);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    if (!val || !b) {
        free(val);
        if (b) rocksdb_writebatch_destroy(b);
        return evs_fail(err, errcap, EV_ENOMEM, "events: out of memory");
    }
    int64_t now = pw_wall_ms();
    int64_t oldest = INT64_MAX;
    pthread_mutex_lock(&s->append_mu);
    uint64_t seq = s->next_seq;
    for (size_t i = 0; i < n; i++, seq++) {
        const ev_record *r = &recs[i];
        if (r->ts_ms < oldest) oldest = r->ts_ms;
        size_t vl = evs_encode(r, r->recv_ms ? r->recv_ms : now, val);
        uint8_t k[EV_KEY_MAX];
        k[0] = 't';
        evs_key_tail(k + 1, r->ts_ms, seq);
        rocksdb_writebatch_put(b, (const char *)k, 1 + EV_TAIL, (const char *)val, vl);
        for (size_t j = 0; j < r->n_entities; j++) {
            size_t kl =
                evs_key_entity(k, 'e', r->entities[j], strlen(r->entities[j]), r->ts_ms, seq);
            rocksdb_writebatch_put(b, (const char *)k, kl, (const char *)val, vl);
        }
        if (r->state_of_first) {
            size_t kl =
                evs_key_entity(k, 's', r->entities[0], strlen(r->entities[0]), r->ts_ms, seq);
            rocksdb_writebatch_put(b, (const char *)k, kl, (const char *)val, vl);
        }
    }
    uint8_t next[8];
    pw_put_be64(next, seq);
    rocksdb_writebatch_put(b, META_SEQ, sizeof META_SEQ - 1, (const char *)next, 8);
    char *rerr = NULL;
    rocksdb_write(s->db, s->wopts, b, &rerr);
    ev_status st = EV_OK;
    if (rerr) {
        st = evs_db_fail(err, errcap, "append", rerr);
    } else {
        if (first_seq) *first_seq = s->next_seq;
        atomic_fetch_add(&s->appended, n);
    }
    /* A failed write may still have reached the log: its numbers are spent
     * and retention must look at its times. */
    s->next_seq = seq;
    atomic_store(&s->next_seq_seen, seq);
    int64_t cur = atomic_load(&s->min_appended);
    while (oldest < cur && !atomic_compare_exchange_weak(&s->min_appended, &cur, oldest)) {
    }
    pthread_mutex_unlock(&s->append_mu);
    rocksdb_writebatch_destroy(b);
    free(val);
    return st;
}

ev_status ev_sync(ev_store *s, char *err, size_t errcap) {
    if (!s) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    char *rerr = NULL;
    rocksdb_flush_wal(s->db, 1, &rerr);
    return rerr ? evs_db_fail(err, errcap, "sync", rerr) : EV_OK;
}
