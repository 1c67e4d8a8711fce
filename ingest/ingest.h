/*
 * ingest.h - Parkwatch's ingest module: the one public header of ingest/.
 *
 * The ingest module parses the payloads that enterprises of the park send
 * over MQTT and HTTP and hands the points to the historian (historian.h).
 * For now it holds the InfluxDB line protocol parser (ingest/lineproto.c)
 * and the rule that turns a parsed line and one of its fields into a
 * Parkwatch series name (enterprise/device/tag).
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
} ingest_lp_line;

/* Unit of the timestamps in the payload (the InfluxDB "precision" parameter). */
typedef enum { INGEST_LP_NS, INGEST_LP_US, INGEST_LP_MS, INGEST_LP_S } ingest_lp_precision;

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
 * range, or a component contains '/'. The tag keys of line must be distinct,
 * as they are in every line from ingest_lp_parse. */
int ingest_lp_series_name(const ingest_lp_line *line, size_t field_index,
                          const char *default_enterprise, char *out, size_t cap);

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
 * "node_name", or with a "tags" array, is Neuron, else Parkwatch JSON):
 *
 *  1. Parkwatch JSON: {"ts": <ms>, "values": {"T301.level": 12.5, ...},
 *     "quality": {"T301.level": "bad"}} or an array of such objects. Quality
 *     is "good" (default), "uncertain" or "bad", or an OPC UA status byte
 *     as a number 0..255. "ts" may be omitted (now_ms is used).
 *  2. Neuron upload (../shared/reference/payload-formats.md, Neuron docs
 *     2.1-2.10): {"timestamp": <ms>, "node": "...", "group": "...",
 *     "values": {...}, "errors": {"tag": code}} or with "tags": [{"name",
 *     "value"} | {"name", "error"}]; "node_name"/"group_name" (Neuron 2.0)
 *     accepted too. Reading device = node, tag = "{group}.{tag}". A tag in
 *     errors is a reading of value 0 and quality INGEST_QUALITY_BAD, its
 *     Neuron error code in error_code.
 *  3. Line protocol (ms precision over MQTT): device = tag "device" if
 *     present, tag = the rest of ingest_lp_series_name's rule; enterprise tag
 *     reported in reading.enterprise for the caller to check.
 *
 * Values: numbers as they are; booleans as 0/1; integers beyond 2^53
 * rounded. Strings and other types are rejected per reading (reason
 * "bad_value_type"); NaN and infinities (the JSON parser never makes them,
 * line protocol rejects "nan"/"inf") per reading too ("nan_or_inf").
 * Checking timestamps against the clock, series ownership and limits is the
 * pipeline's job, not the parser's.
 *
 * Per-message reasons (the whole payload is rejected): "malformed_json",
 * "bad_structure" (JSON of the wrong shape: no "values", "values" not an
 * object, ts not an integer), "empty" (no reading at all). Line protocol
 * keeps its per-line reasons (above).
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
} ingest_reading;

/* Called for each reading, in payload order. Strings live only during the
 * call. Return 0 to go on, non-zero to stop (ingest_payload_parse returns it). */
typedef int (*ingest_reading_fn)(const ingest_reading *r, void *ctx);
/* Called for each rejection: a whole message (tag NULL) or one reading. */
typedef void (*ingest_payload_reject_fn)(const char *reason, const char *tag, const char *message,
                                         void *ctx);

/* Parses one payload. detected (may be NULL) receives the format used.
 * Returns 0 when the payload was handled (some readings may have been
 * rejected), 1 when the whole message was rejected (the reject callback
 * said why), the callback's non-zero value if it stopped, or
 * INGEST_LP_EINVAL on bad arguments. Reentrant, no global state. */
int ingest_payload_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                         ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject,
                         void *ctx, ingest_format *detected);

#endif
