/*
 * ingest.h - Parkwatch's ingest module: the one public header of ingest/.
 *
 * The ingest module parses the payloads that enterprises of the park send
 * over MQTT and HTTP and hands the points to the historian (historian.h).
 * It holds, in this order: the InfluxDB line protocol parser (lineproto.c)
 * and its series naming; the one rule for names (names.c); the MQTT
 * payload parsers for Parkwatch JSON, Neuron and line protocol (payload.c,
 * with a fast path in fastjson.c); the pipeline from a message to
 * historian points and alarm evaluation (topic and enterprise checks,
 * series ownership and limits, rejections counted by reason and
 * enterprise, the dead-letter log; pipeline.c); and the ingest service
 * (service.c: the MQTT network thread and the ingest thread, joined by
 * the spool, spool.c), which also takes messages submitted over HTTP.
 *
 * Line protocol, as accepted here (InfluxDB v1/v2 line protocol reference):
 *
 *   measurement[,tag_key=tag_value...] field_key=field_value[,...] [timestamp]
 *
 *   - Lines end at '\n'; one '\r' before it is dropped (CRLF). The last
 *     line needs no '\n'. The buffer must hold whole lines. A line may not
 *     hold a newline anywhere, not even inside a quoted string.
 *   - Leading spaces and tabs are skipped; a line that is then empty or
 *     starts with '#' is a comment / blank line and is skipped.
 *   - Sections are separated by one or more spaces; trailing spaces are ok.
 *   - Escapes: in the measurement "\," and "\ "; in tag keys, tag values and
 *     field keys "\,", "\=" and "\ "; everywhere "\\" is one backslash. A
 *     backslash before any other byte is a literal backslash (InfluxDB v2
 *     rule). A backslash ending an element at the end of the line is
 *     rejected (bad_escape).
 *   - Field values: float (1, 1.0, -1.5e3, .5; no leading '+', no hex, no
 *     inf/nan), integer "12i" (int64), unsigned "12u" (uint64), boolean
 *     t/T/true/True/TRUE/f/F/false/False/FALSE, string "..." with \" and \\
 *     as the only escapes (a backslash before another byte is literal).
 *   - Timestamp: optional, decimal digits only, >= 0, in the unit given by
 *     the precision argument; converted to ms (floor) and accepted only up
 *     to INGEST_LP_MAX_TS_MS, the historian's bound (HIST_MAX_TS_MS).
 *   - Tag values may not be empty or hold an unescaped '='; keys may not be
 *     empty; the same tag key or field key twice in a line is rejected.
 *
 * Rejections: a bad line is reported once to the reject callback with its
 * line number and one of these stable reason codes, and parsing goes on
 * with the next line (one bad line never loses the good lines around it):
 *   line_too_long        more than INGEST_LP_MAX_LINE bytes before "\n"/"\r\n"
 *   nul_byte             the line holds a NUL byte
 *   missing_measurement  empty measurement
 *   bad_tag              tag without '=', empty key or value, '=' in value
 *   duplicate_tag        the same tag key twice
 *   too_many_tags        more than INGEST_LP_MAX_TAGS tags
 *   missing_fields       no field set
 *   bad_field            field without '=' or with an empty key
 *   duplicate_field      the same field key twice
 *   too_many_fields      more than INGEST_LP_MAX_FIELDS fields
 *   bad_field_value      a value that is none of the types above
 *   unterminated_string  a string value without its closing quote
 *   nan_or_inf           a float written as nan, inf or infinity
 *   out_of_range         an integer beyond int64/uint64 or a float beyond
 *                        the double range (e.g. 1e400)
 *   bad_timestamp        not digits, negative, or out of range (overflow
 *                        or above INGEST_LP_MAX_TS_MS after conversion)
 *   trailing_data        more after the timestamp
 *   bad_escape           a backslash with nothing after it
 *   no_memory            the scratch space for a big line could not be had
 * The message that comes with the reason is for humans (it names the
 * 1-based byte column) and may change; it never quotes input bytes.
 *
 * Ownership: the parser reads buf and never keeps a pointer to it. The line
 * handed to the line callback, and every string in it, lives in the
 * parser's scratch space and is valid only during that call: copy what you
 * keep. Reason and message strings are likewise valid only during the reject
 * callback. The parser allocates nothing for lines that fit its on-stack
 * scratch (about 1 KiB, 32 tags, 32 fields); bigger lines grow a heap scratch
 * bounded by the limits below (under 200 KiB in all), freed before
 * ingest_lp_parse returns.
 *
 * Threads: no global or static mutable state; every function is reentrant
 * and may run concurrently on any number of threads. Callbacks run
 * synchronously on the calling thread, in line order, and may themselves
 * call these functions.
 */
#ifndef PARKWATCH_INGEST_H
#define PARKWATCH_INGEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest accepted line, in bytes, not counting its "\n" or "\r\n". */
#define INGEST_LP_MAX_LINE (64 * 1024)
/* Most fields and most tags accepted in one line. */
#define INGEST_LP_MAX_FIELDS 1024
#define INGEST_LP_MAX_TAGS   1024
/* Largest accepted timestamp after conversion to ms; equals HIST_MAX_TS_MS. */
#define INGEST_LP_MAX_TS_MS ((int64_t)1 << 53)
/* Returned by ingest_lp_parse for invalid arguments; callbacks must not
 * return this value to stop parsing. */
#define INGEST_LP_EINVAL INT_MIN

typedef enum {
    INGEST_LP_FLOAT,
    INGEST_LP_INT,
    INGEST_LP_UINT,
    INGEST_LP_BOOL,
    INGEST_LP_STRING
} ingest_lp_type;

typedef struct ingest_lp_field {
    const char *key; /* unescaped, NUL-terminated, non-empty */
    ingest_lp_type type;
    double value;    /* FLOAT; INT and UINT converted (rounded beyond 2^53); BOOL 0 or 1;
                        STRING 0 */
    int64_t i;       /* INT only: the exact value (0 for other types) */
    uint64_t u;      /* UINT only: the exact value (0 for other types) */
    const char *str; /* STRING only: unescaped, NUL-terminated, may be ""; NULL otherwise */
    /* The key's bytes as they stand in the line (escapes and all): equal
     * bytes name the same field, so they can key a cache of series. */
    const char *raw_key;
    size_t raw_key_len;
} ingest_lp_field;

typedef struct ingest_lp_tag {
    const char *key;   /* unescaped, NUL-terminated, non-empty */
    const char *value; /* unescaped, NUL-terminated, non-empty */
} ingest_lp_tag;

typedef struct ingest_lp_line {
    const char *measurement; /* unescaped, NUL-terminated, non-empty */
    const ingest_lp_tag *tags;
    size_t n_tags; /* in input order, keys distinct; 0..INGEST_LP_MAX_TAGS */
    const ingest_lp_field *fields;
    size_t n_fields; /* in input order, keys distinct; 1..INGEST_LP_MAX_FIELDS */
    int has_ts;      /* 0 when the line carries no timestamp (ts_ms is then 0) */
    int64_t ts_ms;   /* converted to ms per the precision, 0..INGEST_LP_MAX_TS_MS */
    size_t line_no;  /* 1-based, counting every '\n'-terminated line of buf */
    /* The measurement and tag set as they stand in the line (escapes and
     * all, up to the space before the fields): see raw_key. */
    const char *raw_series;
    size_t raw_series_len;
} ingest_lp_line;

/* Unit of the timestamps in the payload (the InfluxDB "precision" parameter:
 * ns, u, ms, s, m, h). */
typedef enum {
    INGEST_LP_NS,
    INGEST_LP_US,
    INGEST_LP_MS,
    INGEST_LP_S,
    INGEST_LP_M, /* minutes */
    INGEST_LP_H  /* hours */
} ingest_lp_precision;

/* "ns" (or "n"), "u" (or "us"), "ms", "s", "m", "h": InfluxDB 1.x's names,
 * and the 2.x spellings. 0, or -1 for anything else. */
int ingest_lp_precision_parse(const char *name, ingest_lp_precision *out);
const char *ingest_lp_precision_name(ingest_lp_precision p); /* "ns", "u", ... */

/* Called for each good line. Return 0 to continue, non-zero to stop parsing
 * (ingest_lp_parse then returns that value). */
typedef int (*ingest_lp_line_fn)(const ingest_lp_line *line, void *ctx);

/* Called for each rejected line with its 1-based number, a reason code from
 * the list above and a human message. */
typedef void (*ingest_lp_reject_fn)(size_t line_no, const char *reason, const char *message,
                                    void *ctx);

typedef struct ingest_lp_stats {
    size_t lines;          /* lines looked at: good + rejected + skipped */
    size_t good_lines;     /* lines handed to the line callback */
    size_t rejected_lines; /* lines handed to the reject callback */
    size_t skipped_lines;  /* blank and comment lines */
    size_t fields;         /* fields in the good lines */
} ingest_lp_stats;

/* Parses len bytes of buf (not NUL-terminated; may be NULL when len is 0).
 * on_line, on_reject and stats may be NULL. stats, when given, is
 * overwritten with the counts of this call (up to the line that stopped it).
 * Returns 0 once every line was handled, the non-zero value of on_line if it
 * stopped parsing, or INGEST_LP_EINVAL (nothing parsed) if buf is NULL with
 * len > 0 or precision is not one of ingest_lp_precision. */
int ingest_lp_parse(const char *buf, size_t len, ingest_lp_precision precision,
                    ingest_lp_line_fn on_line, ingest_lp_reject_fn on_reject, void *ctx,
                    ingest_lp_stats *stats);

/* Builds the Parkwatch series name of field field_index of line.
 *
 * Series names are enterprise/device/tag:
 *   enterprise = value of tag "enterprise", else default_enterprise;
 *   device     = value of tag "device", else the measurement;
 *   tag        = when the device came from the "device" tag: the measurement,
 *                then ",key=value" for every other tag in strcmp order of
 *                keys, then "." and the field key;
 *                when the device is the measurement: the field key, then
 *                ",key=value" for every other tag in strcmp order of keys.
 * ("Other" tags are all but "enterprise" and "device".) Examples:
 *   sensor,enterprise=e07,device=d01234 v=231.57      -> e07/d01234/sensor.v
 *   tank,enterprise=E012,device=tankfarm-3,unit=m level=12.5
 *                                                     -> E012/tankfarm-3/tank,unit=m.level
 *   pump,enterprise=E012,site=north rpm=1450i         -> E012/pump/rpm,site=north
 *
 * Writes the NUL-terminated name into out (cap bytes; pass
 * HIST_SERIES_NAME_MAX + 1 for the historian's limit). Returns 0, or -1 (out
 * then holds "" when cap > 0) if the name does not fit, the enterprise is
 * missing (no tag and default_enterprise NULL or ""), field_index is out of
 * range, a component contains '/', or the name breaks the names rule
 * (invalid UTF-8 or a control character: see "names" below). The tag keys
 * of line must be distinct, as they are in every line from ingest_lp_parse. */
int ingest_lp_series_name(const ingest_lp_line *line, size_t field_index,
                          const char *default_enterprise, char *out, size_t cap);

/* ---- names: one rule for every format and transport ----
 *
 * Every string that becomes part of a stored series name or of a label
 * (series names, a JSON or Neuron tag, a Neuron node or group, a line
 * protocol measurement, tag key, tag value or field key, a device or
 * enterprise named in the payload or the topic) must be:
 *   - non-empty and at most INGEST_NAME_MAX bytes (no part can be longer
 *     than a whole series name, HIST_SERIES_NAME_MAX);
 *   - well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
 *     (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence;
 *   - free of control characters (Unicode Cc: U+0000..U+001F and
 *     U+007F..U+009F, so no NUL, tab or newline either).
 * That is what the JSON path always got from jansson (valid UTF-8, no
 * \u0000) plus what the historian needs; the payload parser applies it to
 * each reading's tag, device and enterprise, whatever the format, and the
 * pipeline to the whole series name. A reading whose name breaks it is
 * rejected with reason "bad_tag". Raw invalid UTF-8 in a JSON payload
 * still makes the whole message "malformed_json" (jansson refuses it
 * before any name is looked at). */
#define INGEST_NAME_MAX 255

typedef enum ingest_name_status {
    INGEST_NAME_OK = 0,
    INGEST_NAME_EMPTY,
    INGEST_NAME_TOO_LONG,
    INGEST_NAME_BAD_UTF8,
    INGEST_NAME_CONTROL
} ingest_name_status;

/* Checks len bytes of s (NUL bytes in them count as control characters)
 * against the rule above with max_len as the length bound. */
ingest_name_status ingest_name_check(const char *s, size_t len, size_t max_len);
/* A short human description of st (static storage). */
const char *ingest_name_problem(ingest_name_status st);
/* Makes the NUL-terminated s safe to show (dead letters, messages):
 * each byte of an invalid UTF-8 sequence or a control character becomes
 * '?', in place (the length is kept). Returns the number of bytes changed. */
size_t ingest_text_scrub(char *s);

/* ---- MQTT payloads: Parkwatch JSON, Neuron JSON, line protocol ----
 *
 * A payload is turned into readings: (device, tag, ts, value, quality).
 * The caller (the ingest pipeline) knows the enterprise and device from the
 * topic park/{enterprise}/{device}/data and builds the series name
 * "{enterprise}/{device}/{tag}", with the reading's device when it names one.
 *
 * Formats (ingest_payload_parse with INGEST_FMT_AUTO picks by content: a
 * payload whose first non-blank byte is '{' or '[' is JSON, anything else
 * line protocol; a JSON object with "values" plus "timestamp", "node" or
 * "node_name", with a "tags" array, or with "errors" but no "values", is
 * Neuron, else Parkwatch JSON):
 *
 *  1. Parkwatch JSON: {"ts": <ms>, "values": {"T301.level": 12.5, ...},
 *     "quality": {"T301.level": "bad"}} or an array of such objects. Quality
 *     is "good" (default), "uncertain" or "bad", or an OPC UA status byte
 *     as a number 0..255; any other quality rejects that reading
 *     ("bad_quality"), and a quality entry for a tag not in values is
 *     ignored. "ts" may be omitted (now_ms is used). Other keys are ignored.
 *     In the array form each element stands alone: an element of the wrong
 *     shape is rejected ("bad_structure", tag NULL, the message names its
 *     0-based index) and the other elements still give their readings; the
 *     message is rejected whole only when every element is of the wrong shape.
 *  2. Neuron upload (docs/reference/payload-formats.md, Neuron docs
 *     2.1-2.10): {"timestamp": <ms>, "node": "...", "group": "...",
 *     "values": {...}, "errors": {"tag": code}} or with "tags": [{"name",
 *     "value"} | {"name", "error"}]; "node_name"/"group_name" (Neuron 2.0)
 *     accepted too. Reading device = node, tag = "{group}.{tag}" (just the
 *     tag name without a group; an empty node or group counts as absent).
 *     A tag in errors is a reading of value 0 and quality INGEST_QUALITY_BAD,
 *     its Neuron error code in error_code (-1 if the code is not an integer
 *     that fits an int). Readings come in the order values, errors, tags. A
 *     tags element with both "value" and "error" is an error; one without a
 *     name or with neither is rejected alone ("bad_structure", tag NULL).
 *     "timestamp" may be omitted (now_ms); "metas" and other keys are ignored.
 *  3. Line protocol (ms precision over MQTT unless the enterprise's
 *     lp_precision says otherwise): device = tag "device" if
 *     present, else the topic's device (reading.device NULL); tag =
 *     measurement[,key=value for the other tags in key order].field, as
 *     ingest_lp_series_name names it when a device tag is present, so that
 *     "{enterprise}/{device}/{tag}" is always the series a device tag would
 *     name; an enterprise tag is reported in reading.enterprise for the
 *     caller to check. Lines without a timestamp get now_ms. A field whose
 *     name cannot be built ('/' in a component, or device and tag
 *     together over about 500 bytes, far beyond any series name) is rejected ("bad_tag"). Rejected
 * lines are reported with the line protocol's reason, tag NULL and a message naming the line
 * number.
 *
 * Values: numbers as they are; booleans as 0/1; integers beyond 2^53
 * rounded. Strings and other types are rejected per reading (reason
 * "bad_value_type"); NaN and infinities (the JSON parser never makes them,
 * line protocol rejects "nan"/"inf") per reading too ("nan_or_inf"). JSON
 * numbers that neither an int64 nor a double can hold (99999999999999999999,
 * 1e400) make the whole message "malformed_json" (jansson refuses them).
 * An empty JSON tag name is rejected per reading ("bad_tag").
 * Checking timestamps against the clock, series ownership and limits is the
 * pipeline's job, not the parser's.
 *
 * Per-message reasons (the whole payload is rejected): "malformed_json"
 * (incl. trailing bytes, duplicate keys in any object, NUL bytes or
 * \u0000), "bad_structure" (JSON of the wrong shape: no "values",
 * "values" not an object, ts not a non-negative integer), "empty" (no
 * reading at all; also a payload of only blanks, or NULL with len 0, in
 * every format), "malformed" (a payload taken as line protocol that holds a
 * NUL byte). Line protocol keeps its per-line reasons (above); a line
 * protocol payload with no good line is rejected whole. "no_memory" rejects
 * one reading whose name needed memory that could not be had.
 */
#define INGEST_QUALITY_GOOD      0x00
#define INGEST_QUALITY_UNCERTAIN 0x40
#define INGEST_QUALITY_BAD       0x80

typedef enum ingest_format {
    INGEST_FMT_AUTO = 0,
    INGEST_FMT_JSON,     /* Parkwatch JSON */
    INGEST_FMT_NEURON,   /* Neuron / NeuronEX upload */
    INGEST_FMT_LINEPROTO /* InfluxDB line protocol, ms timestamps */
} ingest_format;

const char *ingest_format_name(ingest_format f); /* "auto", "json", "neuron", "lineproto" */
int ingest_format_parse(const char *name, ingest_format *out); /* 0 or -1 */

typedef struct ingest_reading {
    const char *enterprise; /* claimed by the payload (line protocol tag), else NULL */
    const char *device;     /* from the payload (Neuron node, lp device tag), else NULL */
    const char *tag;        /* non-empty; may itself hold '/' only if the payload did */
    int64_t ts_ms;
    double value;
    uint8_t quality;
    int error_code; /* Neuron error code for bad readings, else 0 */
    size_t line_no; /* line protocol: the reading's 1-based line; else 0 */
} ingest_reading;

/* Called for each reading, in payload order. Strings live only during the
 * call. Return 0 to go on, non-zero to stop (ingest_payload_parse returns it). */
typedef int (*ingest_reading_fn)(const ingest_reading *r, void *ctx);
/* Called for each rejection: a whole message (tag NULL) or one reading. */
typedef void (*ingest_payload_reject_fn)(const char *reason, const char *tag, const char *message,
                                         void *ctx);

/* Parses one payload. detected (may be NULL) receives the format used
 * (INGEST_FMT_JSON for malformed JSON under INGEST_FMT_AUTO, the line
 * protocol for a blank payload; left alone on bad arguments). Returns 0
 * when the payload was handled (some readings may have been rejected), 1
 * when the whole message was rejected (the reject callback said why), the
 * callback's non-zero value if it stopped, or INGEST_LP_EINVAL on bad
 * arguments. Reentrant, no global state. */
int ingest_payload_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                         ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject,
                         void *ctx, ingest_format *detected);
/* The same with line protocol timestamps in prec (ingest_payload_parse: ms,
 * the MQTT default); JSON formats ignore it. */
int ingest_payload_parse_prec(const char *buf, size_t len, ingest_format fmt,
                              ingest_lp_precision prec, int64_t now_ms,
                              ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject,
                              void *ctx, ingest_format *detected);

/* ---- the ingest pipeline: from MQTT messages to historian points ----
 *
 * Topics: park/{enterprise}/{device}/data carry readings and
 * park/{enterprise}/{device}/status carry "online"/"offline" (the device's
 * last will). The enterprise must be one of the configured ones and every
 * reading is stored as the series {enterprise}/{device}/{tag} (the reading's
 * own device when the payload names one, e.g. a Neuron node). A payload
 * that names a series of another enterprise (a line protocol
 * enterprise=... tag, or a tag written as a full "E002/dev/tag" name) gets
 * the whole message rejected: nothing of it is stored.
 *
 * Checks, each counted by reason and enterprise when it fails:
 *   message: bad_topic, unknown_enterprise, payload_too_large,
 *            foreign_series, and the parser's message reasons (above);
 *   reading: ts_out_of_range (before min_ts_ms or more than max_future_ms
 *            ahead of the clock), bad_tag (not a valid series name),
 *            series_limit (a new series beyond the enterprise's limit),
 *            and the parser's reading reasons.
 * A message rejected whole counts once, in messages, under its reason (the
 * parser's first one when it refused it); the parts the parser turned down
 * on the way are not counted as readings too. Otherwise every rejected
 * reading counts in readings under its own reason. The topic's enterprise
 * and device must be letters, digits, '-', '_' or '.' (else bad_topic), so
 * no counter label and no series name gets other bytes from the topic;
 * dead letters and submit results show text scrubbed by ingest_text_scrub.
 * Unknown tags become new series of the enterprise, up to its limit. The
 * last dead_letter_capacity messages with a rejection are kept with their
 * reason and the start of their payload.
 *
 * Ownership: ingest_open copies the options; the historian is borrowed and
 * must outlive the pipeline. Threads: ingest_message, ingest_flush and
 * ingest_mark_durable belong to one thread at a time; ingest_get_stats,
 * ingest_enterprise_counts, ingest_dead_letters and ingest_devices may be
 * called from any thread.
 */
struct hist;
struct alert_engine;

typedef struct ingest_enterprise {
    const char *id;       /* E001: letters, digits, '-', '_' */
    ingest_format format; /* INGEST_FMT_AUTO: by content */
    size_t max_series;    /* 0: ingest_options.max_series_per_enterprise */
    int64_t interval_ms;  /* expected interval of new series (chunk window), 0 unknown */
    /* line protocol timestamps over MQTT: 0 is ms (the default), else 1 +
     * an ingest_lp_precision (parkd's "lp_precision": "ns", "u", ...) */
    int lp_precision;
} ingest_enterprise;

/* A reading handed to ingest_options.observe: the series name is the
 * pipeline's, borrowed for the call. */
typedef struct ingest_observed {
    const char *series;
    uint32_t id;
    int64_t ts_ms;
    double value;
    uint8_t quality;
} ingest_observed;
typedef void (*ingest_observe_fn)(const ingest_observed *pts, size_t n, void *ctx);

typedef struct ingest_options {
    struct hist *historian;
    struct alert_engine *alerts; /* may be NULL; borrowed: sees every accepted reading */
    const ingest_enterprise *enterprises;
    size_t n_enterprises;
    size_t max_payload_bytes;         /* default 1 MiB */
    size_t max_series_per_enterprise; /* default 10,000 */
    size_t dead_letter_capacity;      /* default 100 */
    int64_t max_future_ms;            /* default 1 day */
    int64_t min_ts_ms;                /* default 2000-01-01T00:00:00Z */
    /* Line protocol series keys remembered per enterprise (pipeline.c):
     * 0 = twice its series limit, 1,024 to 1,048,576; SIZE_MAX = none. */
    size_t series_cache_entries;
    /* Sees the accepted readings of the series whose names start with one
     * of observe_prefixes (closed-park positions: "PARK/vehicles/",
     * "PARK/people/"), one message's at a time, after the alarm engine and
     * on the pipeline's thread. NULL: none. The prefixes are borrowed and
     * must outlive the pipeline. */
    ingest_observe_fn observe;
    void *observe_ctx;
    const char *const *observe_prefixes;
    size_t n_observe_prefixes;
} ingest_options;

void ingest_options_default(ingest_options *o);

typedef struct ingest ingest;

int ingest_open(const ingest_options *o, ingest **out, char *err, size_t errcap);
void ingest_close(ingest *g);

/* Handles one message received at recv_ms; now_ms is the clock for the
 * timestamp checks. Its good points are queued for ingest_flush. Returns the
 * number of points queued, or -1 if the historian failed (registering a
 * series): err says why, and the message should be retried. */
int ingest_message(ingest *g, const char *topic, const void *payload, size_t len, int64_t recv_ms,
                   int64_t now_ms, char *err, size_t errcap);
/* The same with line protocol timestamps in prec (an ingest_lp_precision;
 * -1: the enterprise's lp_precision). Readings of one message with the same
 * series and time are one point: the last is kept, the others counted as
 * overwritten (ingest_stats.points_overwritten), not as accepted. */
int ingest_message_prec(ingest *g, const char *topic, const void *payload, size_t len, int prec,
                        int64_t recv_ms, int64_t now_ms, char *err, size_t errcap);
/* Appends the queued points to the historian (durable per its policy). */
int ingest_flush(ingest *g, char *err, size_t errcap);
size_t ingest_pending_points(const ingest *g);
/* Records, for the messages flushed so far, the time from their first
 * reading's timestamp to now_ms: the publish-to-durable latency when the
 * publisher stamps readings as it sends them. */
void ingest_mark_durable(ingest *g, int64_t now_ms);

#define INGEST_REASON_MAX 32
#define INGEST_ID_MAX     32

typedef struct ingest_reject_count {
    char enterprise[INGEST_ID_MAX]; /* "" when the topic named none */
    char reason[INGEST_REASON_MAX];
    uint64_t messages, readings;
} ingest_reject_count;

typedef struct ingest_stats {
    uint64_t messages;          /* data and status messages handled */
    uint64_t messages_rejected; /* wholly rejected */
    uint64_t status_messages;
    uint64_t event_messages; /* park/+/+/events messages taken (rejected ones: messages_rejected) */
    uint64_t readings;       /* readings parsed */
    uint64_t points;         /* points appended to the historian */
    uint64_t readings_rejected;
    uint64_t series_created;
    uint64_t points_overwritten; /* by a later reading of the same message, same series and time */
    /* line protocol readings whose series the key cache knew, did not know;
     * times an enterprise's cache was full and emptied */
    uint64_t series_cache_hits, series_cache_misses, series_cache_resets;
    uint64_t latency_count;
    double latency_p50_ms, latency_p99_ms, latency_max_ms;
    size_t n_rejects; /* entries filled in rejects */
    ingest_reject_count rejects[64];
} ingest_stats;

void ingest_get_stats(ingest *g, ingest_stats *out);

typedef struct ingest_dead_letter {
    int64_t recv_ms;
    char topic[160];
    char enterprise[INGEST_ID_MAX];
    char reason[INGEST_REASON_MAX];
    char message[160];
    char excerpt[161]; /* the payload's first bytes, non-printable bytes as '.' */
    size_t payload_len;
    bool whole_message; /* false: only some readings were rejected */
} ingest_dead_letter;

/* Counters of one registered enterprise, kept like ingest_stats (same
 * lock, same rules) so that per-enterprise figures add up to the park's:
 * messages are its data and status messages, messages_rejected those
 * rejected whole (payload_too_large, foreign_series, the parser's message
 * reasons, empty), readings the readings parsed, points those appended to
 * the historian (counted at ingest_flush), readings_rejected the readings
 * rejected one by one. Messages of an unregistered enterprise are counted
 * in ingest_stats.rejects only (unknown_enterprise): they have no row here. */
typedef struct ingest_enterprise_count {
    char enterprise[INGEST_ID_MAX];
    uint64_t messages, messages_rejected;
    uint64_t readings, points, readings_rejected;
    uint64_t points_overwritten;
    int64_t last_message_ms; /* receive time of its latest message, 0 if none yet */
} ingest_enterprise_count;

/* A snapshot of every registered enterprise's counters, in configuration
 * order: copies up to cap rows and returns how many (at most n_enterprises
 * of the options). Any thread, while ingest runs: the rows are copied under
 * the lock that ingest_get_stats takes, so each row is consistent with
 * itself (points may lag readings by the batch not yet flushed). */
size_t ingest_enterprise_counts(ingest *g, ingest_enterprise_count *out, size_t cap);

/* Copies up to cap dead letters, newest first; returns how many. */
size_t ingest_dead_letters(ingest *g, ingest_dead_letter *out, size_t cap);

typedef struct ingest_device {
    char enterprise[INGEST_ID_MAX];
    char device[64];
    bool online;
    int64_t since_ms; /* receive time of the status message */
} ingest_device;

/* Devices that have sent a status message; returns how many were copied. */
size_t ingest_devices(ingest *g, ingest_device *out, size_t cap);

/* ---- the ingest service: broker -> spool -> historian ----
 *
 * Two threads. The network thread runs libmosquitto's loop itself
 * (mosquitto_loop_read / _write / _misc) with a persistent session (clean
 * session off, the fixed client id) and QoS 1 subscriptions to
 * park/+/+/data and park/+/+/status. libmosquitto 2.0 queues a PUBACK before
 * it calls on_message, but in threaded mode only writes it in the write
 * phase of the loop; on_message appends the raw message to the spool, so a
 * PUBACK reaches the broker only after its message is in the spool file
 * (ack_after_fsync: after an fdatasync of it, one per read burst). If the
 * spool cannot take a message, the socket is shut down before the write
 * phase: the broker never gets that PUBACK and redelivers after reconnect.
 * The ingest thread reads the spool, runs the pipeline, appends to the
 * historian, and every sync_interval_ms syncs the historian and commits the
 * spool checkpoint. A crash replays the spool from that checkpoint.
 * Broker loss: reconnect with backoff from 0.25 s to 30 s; the historian
 * and everything reading it keep working meanwhile. If the ingest thread
 * falls more than max_backlog_bytes behind, the network thread stops
 * reading from the broker (back-pressure; the broker holds the messages).
 * ingest_service_submit (below) puts messages that arrive without MQTT on
 * the same road from the ingest thread on (pipeline, commit); they skip
 * the spool, their callers waiting for the commit instead.
 */
typedef struct ingest_service_options {
    ingest_options pipeline;
    const char *spool_dir;
    const char *host;      /* default 127.0.0.1; a path starting with '/' is the
                            * broker's unix-domain socket (mosquitto's "listener 0
                            * PATH"), for a parkd on the broker's own machine */
    int port;              /* default 1883; unused with a socket path */
    const char *client_id; /* default "parkd": fixed, the session depends on it */
    const char *username, *password;
    const char *cafile, *certfile, *keyfile; /* TLS when cafile is set */
    int keepalive_s;                         /* default 30 */
    bool ack_after_fsync;
    int sync_interval_ms; /* default 50 */
    /* A submitted message waiting for its answer is committed at once (one
     * hist_sync; messages submitted meanwhile share the next), not at the
     * next sync_interval_ms: a call then takes parse, append and one
     * fdatasync. MQTT messages alone still wait for the interval. */
    bool group_commit;
    /* After this long without a message (0: never), once what was read is
     * committed: the historian's head is persisted compressed and its log
     * trimmed (hist_flush), and the spool let go, so an idle parkd holds
     * its data compressed, not raw twice over. Needs the log to hold
     * QUIET_MIN_WAL_BYTES (service.c) or more. */
    int quiet_checkpoint_ms;
    size_t max_backlog_bytes; /* default 256 MiB */
    int log_level;            /* 0 quiet, 1 connects and errors (stderr), 2 also the ingest
                               * thread's state transitions (service.c) */
    /* Events (docs/closed-park.md): when on_events is set, park/+/+/events is
     * subscribed too; its messages are spooled like data and handed, on the
     * ingest thread, to on_events (0: taken; else refused: counted as a
     * rejection with reason "rejected_event" and why in the dead letters,
     * and not retried). A message that could not be stored (storage, not the
     * message) returns INGEST_EVENTS_RETRY: it stays in the spool and is
     * offered again. events_sync (may be NULL) is called before the spool
     * checkpoint moves past what on_events took: it makes it durable. */
    int (*on_events)(const char *enterprise, const char *device, const void *payload, size_t len,
                     int64_t recv_ms, char *why, size_t whycap, void *ctx);
    int (*events_sync)(void *ctx);
    void *events_ctx;
} ingest_service_options;
#define INGEST_EVENTS_RETRY (-2)

typedef struct ingest_service ingest_service;

int ingest_service_start(const ingest_service_options *o, ingest_service **out, char *err,
                         size_t errcap);
/* Stops taking messages, stores everything spooled and commits; the stats
 * stay readable until ingest_service_free. Returns 0, or -1 if the
 * historian failed at some point (the spool then keeps what was not
 * stored, for the next start). */
int ingest_service_stop(ingest_service *s);
void ingest_service_free(ingest_service *s); /* stops first if needed */

typedef struct ingest_service_stats {
    bool connected;
    uint64_t connects, connection_losses;
    /* The broker dropped our session for another client with our client id
     * (a takeover: MQTT 3.1.1 cannot tell for sure, see service.c). */
    uint64_t session_takeovers;
    /* spooled_messages counts MQTT messages (submitted ones skip the spool).
     * spool_backlog_bytes is the queue depth: bytes spooled in this run and
     * not yet read by the ingest thread (what max_backlog_bytes bounds). */
    uint64_t spooled_messages, spool_backlog_bytes, spool_damaged, spool_errors;
    /* ingest_service_submit: calls that returned 0, calls that returned -1
     * (refused, failed or timed out), and calls waiting right now. */
    uint64_t submitted, submit_failures, submits_waiting;
    uint64_t quiet_checkpoints; /* quiet_checkpoint_ms: head persisted, logs let go */
    uint64_t commits;
    double flush_ms_last, flush_ms_max;
    bool failed; /* the spool could not be read: ingest stopped, see last_error */
    char last_error[256];
    /* A full disk (or an I/O error) holds things up, it does not stop them:
     * spool_blocked: the spool refused a write, so nothing is acknowledged
     * to the broker (it keeps and resends the messages); store_blocked: the
     * historian or the alarm journal refused one, so ingest holds its place
     * in the spool and retries (store_retries counts the retries). Each is
     * cleared when a write succeeds again; *_since_ms is wall time. */
    bool spool_blocked, store_blocked;
    int64_t spool_blocked_since_ms, store_blocked_since_ms;
    uint64_t store_retries;
    char spool_error[160], store_error[256];
} ingest_service_stats;

void ingest_service_get_stats(ingest_service *s, ingest_service_stats *out);
/* The pipeline, for its stats, dead letters and devices (thread-safe calls only). */
ingest *ingest_service_pipeline(ingest_service *s);
/* Publishes on the service's broker connection (QoS 1, not retained), from
 * any thread: alarm notifications go out this way. 0 or -1 (not queued). */
int ingest_service_publish(ingest_service *s, const char *topic, const void *payload, size_t len);

/* ---- submitting a message without MQTT (the HTTP ingest endpoint) ----
 *
 * For enterprises that cannot publish over MQTT: parkd's API hands their
 * POSTed payloads to ingest_service_submit, which treats each exactly like
 * a message received on topic: same pipeline (topic and
 * enterprise checks, formats, series ownership, counters by reason and
 * enterprise, dead letters, alarms). Nothing downstream can tell them apart.
 *
 * Durability: the message waits in memory for the ingest thread, which
 * takes it ahead of the spool's next record and runs it through the
 * pipeline; the call then waits, if any reading was accepted, until the
 * next commit (hist_sync; at once under group_commit, else every
 * sync_interval_ms) has made those points durable in the historian. So
 * once it returns 0 a crash loses nothing of it, and the caller can be
 * told what was stored. It is not spooled: until the answer nothing is
 * promised, and a crash before it may lose it (the caller, left without
 * an answer, retries). The broker need not be connected.
 *
 * Returns 0 when the message was handled; *out (may be NULL) then says how:
 * readings_accepted are durable in the historian, readings_rejected were
 * refused one by one (first_reason / first_message: the first of them, as
 * in the dead-letter log), or message_rejected is true when the pipeline
 * refused the message whole (bad_topic, unknown_enterprise,
 * payload_too_large, foreign_series, malformed_json, empty, ...; first_reason
 * says which; nothing of it is stored and both counts are 0: it counts as
 * one rejected message, as in ingest_stats). A status topic
 * (park/E/d/status) gives 0 and 0 and no reason.
 *
 * Returns -1 with err starting with one of these words (stable; parkd maps
 * them to HTTP statuses), having stored nothing unless said otherwise:
 *   "invalid:"  NULL topic, NULL payload with len > 0, topic over 60 KiB;
 *   "stopping:" ingest_service_stop has begun (or finished);
 *   "failed:"   the historian failed and ingest stopped (the reason follows);
 *   "backlog:"  the spool holds more than max_backlog_bytes not yet stored:
 *               retry later (MQTT gets back-pressure at the same point);
 *   "spool:"    out of memory for the message;
 *   "timeout:"  timeout_ms passed first. If the ingest thread had not taken
 *               the message yet it is withdrawn ("not stored"); if it had,
 *               it will still be stored (and counted) unless parkd stops or
 *               crashes first, and err says so. A retry then stores the
 *               same points twice, which is harmless (the same series and
 *               timestamp keep the later write).
 * timeout_ms <= 0 waits without limit (stop still ends the wait).
 *
 * Threads: any thread but the service's own, many at once; each call blocks
 * its caller only. The ingest thread's added cost is an atomic load per
 * record when nothing is submitted. ingest_service_stop completes or
 * fails every waiting call promptly; ingest_service_free waits for the
 * calls still returning, but must not race with new calls. */
#define INGEST_BAD_LINES_MAX 16
typedef struct ingest_submit_result {
    size_t readings_accepted, readings_rejected;
    char first_reason[INGEST_REASON_MAX]; /* "" when nothing was rejected */
    char first_message[160];
    bool message_rejected; /* refused whole: nothing of it was stored */
    /* readings overwritten by a later one of the message (same series and
     * time): neither accepted nor rejected */
    size_t points_overwritten;
    /* line protocol: how many lines had a rejection, and the first of them */
    size_t lines_rejected, n_bad_lines;
    size_t bad_lines[INGEST_BAD_LINES_MAX];
} ingest_submit_result;

int ingest_service_submit(ingest_service *s, const char *topic, const void *payload, size_t len,
                          int timeout_ms, ingest_submit_result *out, char *err, size_t errcap);
/* The same with line protocol timestamps in lp_precision (an
 * ingest_lp_precision; -1: the enterprise's, as for MQTT). The precision
 * travels with the message through the spool. */
int ingest_service_submit_prec(ingest_service *s, const char *topic, const void *payload,
                               size_t len, int lp_precision, int timeout_ms,
                               ingest_submit_result *out, char *err, size_t errcap);

#endif
