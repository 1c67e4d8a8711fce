/*
 * internal.h - private declarations shared by the files of ingest/. Nothing
 * outside ingest/ includes this; the public interface is ingest/ingest.h.
 */
#ifndef PARKWATCH_INGEST_INTERNAL_H
#define PARKWATCH_INGEST_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"

/* ---- the pipeline (pipeline.c) ---- */

/* The outcome of the last ingest_message call on g (same thread), for
 * ingest_service_submit. Cheap to keep: ingest_message stores two counts
 * and a flag per message, strings only for a message rejected whole. */
void ingest_last_result(const ingest *g, ingest_submit_result *out);

/* ingest_message_prec, and when any is true a topic park/+/DEVICE/data
 * takes line protocol whose lines name their own enterprise (enterprise=
 * tag): each line is checked, limited and counted as its enterprise's
 * (a line naming none or an unknown one is rejected). Only for submitted
 * messages, whose caller checked that it may write every enterprise: the
 * service passes true for them alone (no MQTT topic can hold '+'). */
int ingest_message_ex(ingest *g, const char *topic, const void *payload, size_t len, int prec,
                      bool any, int64_t recv_ms, int64_t now_ms, char *err, size_t errcap);

/* The events handler (ingest_service_options.on_events), set by the
 * service: a park/E/D/events message of a registered enterprise within
 * the payload limit is handed to it by ingest_message_ex, which counts
 * its refusal ("rejected_event", a dead letter) or, when it asks for a
 * retry (INGEST_EVENTS_RETRY), returns -1 so the message is offered again. */
void ingest_set_events(ingest *g,
                       int (*fn)(const char *enterprise, const char *device, const void *payload,
                                 size_t len, int64_t recv_ms, char *why, size_t whycap, void *ctx),
                       void *ctx);

/* ---- the observer (observe.c): readings of some series handed on ----
 *
 * Which series ids are observed is learned once per id (its name from the
 * historian, matched against the prefixes) and kept in an array indexed
 * by id: 4 bytes a series, so the check per reading is one load. */
typedef struct ingest_watch {
    uint32_t *slot; /* per series id: 0 not yet looked at, WATCH_NO, or index + 1 in names */
    size_t cap_slot;
    char **names;
    size_t n_names, cap_names;
    ingest_observed *buf;
    size_t cap_buf;
} ingest_watch;

struct hist_point;
struct hist;
/* Hands the points of pts (one message's) that belong to an observed
 * series to o->observe. Out of memory drops observation, never readings. */
void ingest_watch_points(ingest_watch *w, const ingest_options *o, struct hist *h,
                         const struct hist_point *pts, size_t n);
void ingest_watch_free(ingest_watch *w);

/* ---- the spool (spool.c) ----
 *
 * An append-only journal of raw MQTT messages in segment files
 * DIR/NNNNNNNNNNNNNNNN.spool. Record: u32 LE length of the body, u32 LE
 * CRC-32C of the body, body = i64 LE receive time (ms), u16 LE topic length,
 * topic, payload. The network thread appends; the ingest thread reads from
 * the checkpoint onwards and, once what it read is durable in the
 * historian, commits a new checkpoint (DIR/checkpoint) and older segments
 * are deleted. Thread rules: one appender thread, one reader thread; every
 * call is internally locked where the two meet.
 *
 * Submitted messages (ingest_service_submit) are records like any other;
 * their topic carries a prefix SUBMIT_MARK_LEN bytes long, "#" + 16 hex
 * digits of the service run + 16 hex digits of the request + "#", which
 * service.c strips before the pipeline sees the topic; then, when the
 * caller gave one, "@" + a line protocol precision + "#" (submit.c). An
 * older record without it is read as before. No MQTT message
 * can look like that: the service only subscribes to park/... topics. */
#define SUBMIT_MARK_LEN 34
typedef struct spool spool;

typedef struct spool_pos {
    uint64_t segment;
    uint64_t offset;
} spool_pos;

typedef struct spool_record {
    int64_t recv_ms;
    const char *topic; /* NUL-terminated; valid until the next spool_read */
    size_t topic_len;
    const uint8_t *payload; /* valid until the next spool_read */
    size_t len;
    spool_pos next; /* the position just after this record */
} spool_record;

int spool_open(const char *dir, uint64_t segment_bytes, spool **out, char *err, size_t errcap);
/* Adds one message to the pending batch (memory only). Returns 0 or -1. */
int spool_append(spool *s, int64_t recv_ms, const char *topic, const void *payload, size_t len);
/* Writes the pending batch with one write(2): once it returns 0 those
 * messages survive a crash of the process, and the reader sees them. On
 * failure the batch is dropped (the caller must not acknowledge it). */
int spool_flush(spool *s);
/* fdatasync of everything appended so far: survives power loss too. */
int spool_sync(spool *s);
/* Next record at or after the reader's position, waiting up to timeout_ms
 * for one. Returns 1 (rec filled), 0 (nothing yet), -1 (I/O error). A
 * damaged record ends its segment (counted in spool_damaged). */
int spool_read(spool *s, spool_record *rec, int timeout_ms);
/* Persists pos as the point before which nothing needs replaying; deletes
 * the segments before it. */
int spool_commit(spool *s, spool_pos pos);
uint64_t spool_backlog_bytes(spool *s); /* appended but not yet read */
/* Reader: asks the writer to start a new segment at its next
 * spool_roll_if_wanted, so that a commit past the old one deletes it (an
 * idle spool then holds nothing; segments are otherwise 64 MiB). */
void spool_request_roll(spool *s);
/* Writer: rolls when asked and the segment holds something. 0 or -1. */
int spool_roll_if_wanted(spool *s);
/* Reader: where the next spool_read starts. */
spool_pos spool_read_pos(spool *s);
uint64_t spool_damaged(spool *s);
/* Wakes a reader blocked in spool_read (at shutdown). */
void spool_wake(spool *s);
void spool_close(spool *s);

uint32_t ingest_crc32c(uint32_t crc, const void *p, size_t n);

/* ---- payloads (payload.c, fastjson.c) ---- */

/* ingest_payload_parse, with the JSON fast path on or off (tests compare). */
int payload_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                  ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject, void *ctx,
                  ingest_format *detected, bool fast);
/* The same with line protocol timestamps in prec (payload_parse: ms). */
int payload_parse_prec(const char *buf, size_t len, ingest_format fmt, ingest_lp_precision prec,
                       int64_t now_ms, ingest_reading_fn on_reading,
                       ingest_payload_reject_fn on_reject, void *ctx, ingest_format *detected,
                       bool fast);

/* Line protocol: called for each field of a good line (ts: the line's,
 * or now) before its series name is built; enterprise and device are the
 * line's tags of those keys, or NULL. Returns 1 when it took the reading
 * (a series it knows by the line's bytes), 0 for the ordinary road (the
 * name built and checked, the reading callback), <0 to stop parsing with
 * that value. */
typedef int (*payload_lp_hook_fn)(void *ctx, const ingest_lp_line *line, size_t field,
                                  const char *enterprise, const char *device, int64_t ts);
/* payload_parse_prec with the hook (NULL: none). */
int payload_parse_hooked(const char *buf, size_t len, ingest_format fmt, ingest_lp_precision prec,
                         int64_t now_ms, ingest_reading_fn on_reading,
                         ingest_payload_reject_fn on_reject, void *ctx, ingest_format *detected,
                         bool fast, payload_lp_hook_fn lp_hook);

#define FASTJSON_NOT_MINE (INT_MIN + 1)
typedef int (*fastjson_emit_fn)(void *ctx, const char *device, const char *tag, int64_t ts,
                                double v, uint8_t q, int error_code);
/* The common Parkwatch JSON and Neuron values messages without a jansson
 * tree. Returns FASTJSON_NOT_MINE, having emitted nothing, for anything it
 * does not read exactly as the full parser would; else 0 or emit's
 * non-zero value, with *detected set. */
int fastjson_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                   fastjson_emit_fn emit, void *ctx, ingest_format *detected);

#endif
