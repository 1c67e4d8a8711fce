/*
 * internal.h - what the files of events/ share; not a public header
 * (events.h is).
 *
 * Keys (every integer big-endian, so that byte order is time order):
 *   'm' "next_seq"                          -> be64 the next sequence number
 *   't' ts seq                              -> the encoded event (every event)
 *   'e' entity 0x00 ts seq                  -> the same (one per entity)
 *   's' entity 0x00 ts seq                  -> the same (state_of_first events,
 *                                              under their first entity)
 * ts is ts_ms + 2^63 (so that order holds for any int64), seq the event's
 * number. An entity holds no byte below 0x20 (checked at append), so
 * entity 0x00 ends one entity's range and entity 0x01 starts after it.
 *
 * The 's' order is what ev_state_at reads: one seek per entity whatever
 * its other events, so a gate with a million passages and no state costs
 * nothing there.
 *
 * The encoded event (ts and seq are in the key):
 *   u8 version (1), u8 flags (bit 0: state_of_first),
 *   varint zigzag(recv_ms - ts_ms),
 *   u8 kind length, kind, u8 enterprise length, enterprise,
 *   u8 entity count, then each: u8 length, entity,
 *   varint body length, body.
 * Every length is checked against the limits and the value's end when
 * decoding; a value that does not decode exactly is reported, not used.
 */
#ifndef PARKWATCH_EVENTS_INTERNAL_H
#define PARKWATCH_EVENTS_INTERNAL_H

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>

#include "events/events.h"

#define EV_TS_MIN      946684800000LL  /* 2000-01-01 */
#define EV_TS_MAX      4102444800000LL /* 2100-01-01, excluded */
#define EV_ENT_MAX     32              /* enterprise bytes */
#define EV_KEY_MAX     (1 + EV_ENTITY_MAX + 1 + 16)
#define EV_TAIL        16       /* ts and seq at a key's end */
#define EV_SCAN_MAX    2000000u /* entries a filtered time query examines at most */
#define EV_DEFAULT_LIM 10000u

struct ev_store {
    char *dir;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *table;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    pthread_mutex_t append_mu; /* sequence numbers follow write order */
    pthread_mutex_t retain_mu; /* one retention step at a time */
    uint64_t next_seq;         /* under append_mu */
    atomic_uint_fast64_t appended, rejected, retained, next_seq_seen;
    /* Retention's floor: no event older than gone_before is left but those
     * appended since (the oldest of them: min_appended, INT64_MAX none);
     * the next step starts at the lower of the two. */
    _Atomic int64_t gone_before, min_appended;
    int64_t retention_ms;
};

ev_status evs_fail(char *err, size_t errcap, ev_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
ev_status evs_db_fail(char *err, size_t errcap, const char *what, char *rerr);

/* keys */
void evs_key_tail(uint8_t *p, int64_t ts_ms, uint64_t seq);
size_t evs_key_entity(uint8_t *k, char tag, const char *entity, size_t len, int64_t ts_ms,
                      uint64_t seq);
int64_t evs_tail_ts(const uint8_t *tail);
uint64_t evs_tail_seq(const uint8_t *tail);

/* The encoded event of a checked record into out (at least evs_encoded_max
 * bytes); its length. */
size_t evs_encoded_max(const ev_record *r);
size_t evs_encode(const ev_record *r, int64_t recv_ms, uint8_t *out);

/* A stored value decoded into e (its strings allocated; evs_event_clear
 * frees them); false when it does not decode exactly. */
bool evs_decode(const uint8_t *v, size_t n, int64_t ts_ms, uint64_t seq, ev_event *e);
void evs_event_clear(ev_event *e);

/* The parts of a stored value the filters need, without allocating. */
typedef struct evs_view {
    bool state_of_first;
    const char *kind, *enterprise, *entities[EV_MAX_ENTITIES];
    uint8_t kind_len, ent_len, ent_lens[EV_MAX_ENTITIES];
    size_t n_entities;
} evs_view;
bool evs_peek(const uint8_t *v, size_t n, evs_view *out);

/* Appends a copy of e to l (taking e's strings); false when out of memory. */
bool evs_list_push(ev_list *l, size_t *cap, ev_event *e);

#endif
