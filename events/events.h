/*
 * events.h - the park's event store: what is not a number (gate passages,
 * badge events, special-work permits and their state changes, camera
 * events, vehicle and zone alarms' causes). The one public header of
 * events/. Numbers (a vehicle's latitude, longitude, speed, heading) are
 * series in the historian; what happened to whom is here.
 *
 * An event: its own time (ts_ms, when it happened: events that arrive out
 * of order are stored at their own time), the time it was received, a
 * kind ("gate_passage", "badge", "permit", "camera", ...), the enterprise
 * it belongs to ("" park-level), one to EV_MAX_ENTITIES entities it
 * concerns ("vehicle:沪A12345", "gate:GATE-N", "person:P0042",
 * "zone:E001-ZONE-1", "permit:E001-20261207-0001", "camera:E001-CAM-1"),
 * and a body: a JSON object's text. The store gives each event a sequence
 * number (arrival order, never reused).
 *
 * Storage: append-only in RocksDB (DIR), two orders of the same events:
 * by time (every event) and by entity (one entry per entity it concerns,
 * the event copied so that "the events of X between T1 and T2" is one
 * range read); a state event (below) is copied once more under its first
 * entity in a third order that ev_state_at reads (events/internal.h).
 * ev_close flushes RocksDB's memtables so that the next open replays no
 * log. A batch of ev_append is one atomic write. Durability:
 * ev_append writes RocksDB's log (a process killed after ev_append
 * returned loses nothing); ev_sync makes what was appended durable
 * against a power loss (fdatasync of the log); with ev_options.sync every
 * append does that itself.
 *
 * "The state of every entity at T" (replay): an event may carry a state
 * (ev_record.state_of_first: the event's body is the full state of its
 * first entity after the event: a permit's record, a vehicle's presence).
 * ev_state_at gives, for each entity of a type, its last such event at or
 * before T.
 *
 * Retention: ev_retain deletes the events older than a time, in bounded
 * steps (called from a tick). Backup: ev_backup, an online consistent copy
 * (a RocksDB checkpoint) restorable with ev_restore.
 *
 * Limits checked at ev_append (EV_EINVAL with the reason): kind 1..32
 * bytes of [a-z0-9_]; enterprise 0..32 bytes; 1..EV_MAX_ENTITIES
 * entities, each "type:id" with type 1..16 bytes of [a-z_] and the whole
 * 3..EV_ENTITY_MAX bytes of valid UTF-8 without control characters;
 * body a JSON object of at most EV_BODY_MAX bytes; ts_ms within
 * [2000-01-01, 2100-01-01). Also: the enterprise is UTF-8 text without
 * control characters, no entity is named twice in one record, recv_ms is
 * 0 or within the same range as ts_ms, at most 100,000 records a batch.
 * A refused batch counts all its records in ev_stats.rejected.
 *
 * Ownership and threads: the store owns its database. Every call may come
 * from any thread (RocksDB is thread-safe; appends are serialised by a
 * mutex so sequence numbers follow write order). Lists returned are owned
 * by the caller (ev_list_free).
 */
#ifndef PARKWATCH_EVENTS_H
#define PARKWATCH_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_MAX_ENTITIES 4
#define EV_ENTITY_MAX   128
#define EV_KIND_MAX     32
#define EV_BODY_MAX     (64 * 1024)

typedef enum ev_status {
    EV_OK = 0,
    EV_EINVAL, /* a field is wrong (400); err names it */
    EV_EIO,    /* storage (500; disk full included) */
    EV_ENOMEM
} ev_status;

typedef struct ev_store ev_store;

typedef struct ev_options {
    bool sync;            /* fdatasync every append (default false: ev_sync does it) */
    size_t cache_mb;      /* block cache (default 64) */
    int64_t retention_ms; /* 0: keep for ever; informative for ev_stats */
} ev_options;

/* Opens (creating) the store in dir. options may be NULL (defaults). */
ev_status ev_open(const char *dir, const ev_options *options, ev_store **out, char *err,
                  size_t errcap);
void ev_close(ev_store *s);

typedef struct ev_record {
    int64_t ts_ms;   /* when it happened */
    int64_t recv_ms; /* when it was received (0: now) */
    const char *kind;
    const char *enterprise; /* NULL or "" park-level */
    const char *entities[EV_MAX_ENTITIES];
    size_t n_entities;
    const char *body; /* a JSON object's text */
    size_t body_len;
    bool state_of_first; /* the body is entities[0]'s full state after the event */
} ev_record;

/* Appends n records in one atomic write; *first_seq (may be NULL) gets the
 * first one's sequence number (the others follow). A record that breaks a
 * limit refuses the whole batch (EV_EINVAL, err names its index and why). */
ev_status ev_append(ev_store *s, const ev_record *recs, size_t n, uint64_t *first_seq, char *err,
                    size_t errcap);
/* Makes every append so far durable against a power loss. */
ev_status ev_sync(ev_store *s, char *err, size_t errcap);

typedef struct ev_event {
    uint64_t seq;
    int64_t ts_ms, recv_ms;
    char kind[EV_KIND_MAX + 1];
    char enterprise[33];
    char *entities[EV_MAX_ENTITIES]; /* owned by the list */
    size_t n_entities;
    bool state_of_first;
    char *body; /* NUL-terminated JSON object text, owned by the list */
    size_t body_len;
} ev_event;

typedef struct ev_list {
    ev_event *v;
    size_t n;
    bool truncated; /* more matched than the limit */
} ev_list;

void ev_list_free(ev_list *l);

/* Filters of the time-ordered queries; NULL members match anything. */
typedef struct ev_filter {
    const char *kind;
    const char *enterprise;    /* only this enterprise's events ("" park-level only) */
    const char *entity_prefix; /* events with an entity starting with this ("vehicle:") */
} ev_filter;

/* The events of one entity with from_ms <= ts_ms < to_ms, in time order
 * (then sequence), at most limit (0: 10,000). */
ev_status ev_query_entity(ev_store *s, const char *entity, int64_t from_ms, int64_t to_ms,
                          size_t limit, ev_list *out, char *err, size_t errcap);
/* The events with from_ms <= ts_ms < to_ms passing the filter (may be
 * NULL), in time order, at most limit (0: 10,000). With a filter, at most
 * 2,000,000 events of the range are examined: past that the answer stops
 * there with truncated set (a rare kind over months is not one scan). */
ev_status ev_query_time(ev_store *s, int64_t from_ms, int64_t to_ms, const ev_filter *f,
                        size_t limit, ev_list *out, char *err, size_t errcap);
/* For each entity whose id starts with type_prefix ("permit:"), its last
 * event with state_of_first and ts_ms <= at_ms, in entity order, at most
 * limit (0: 100,000); enterprise filters as in ev_filter (NULL: all): an
 * entity whose last state at at_ms is another enterprise's is left out. */
ev_status ev_state_at(ev_store *s, const char *type_prefix, int64_t at_ms, const char *enterprise,
                      size_t limit, ev_list *out, char *err, size_t errcap);

/* Deletes the events with ts_ms < before_ms, at most max_events of them
 * (oldest first) per call; *deleted (may be NULL) how many. */
ev_status ev_retain(ev_store *s, int64_t before_ms, size_t max_events, size_t *deleted, char *err,
                    size_t errcap);

/* Online, consistent copy into dir (which must not exist). */
ev_status ev_backup(ev_store *s, const char *dir, char *err, size_t errcap);
/* Makes data_dir (must not exist or be empty) a copy of a backup. */
ev_status ev_restore(const char *backup_dir, const char *data_dir, char *err, size_t errcap);

typedef struct ev_stats {
    uint64_t appended; /* events appended since open */
    uint64_t rejected; /* records refused by ev_append (EV_EINVAL) */
    uint64_t next_seq; /* the sequence number the next event gets */
    uint64_t retained; /* events deleted by ev_retain since open */
    uint64_t disk_bytes;
    int64_t oldest_ms, newest_ms; /* 0 when empty */
} ev_stats;
void ev_get_stats(ev_store *s, ev_stats *out);

#endif
