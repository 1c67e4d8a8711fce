/*
 * payload.c - MQTT payloads to readings: Parkwatch JSON, the Neuron /
 * NeuronEX upload format, InfluxDB line protocol. The formats are described
 * in ingest.h; the Neuron details follow docs/reference/payload-formats.md
 * (Neuron docs 2.1-2.10: values/errors object or tags array; node/group, or
 * node_name/group_name in Neuron 2.0).
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/internal.h"

static const char *const format_names[] = {"auto", "json", "neuron", "lineproto"};

const char *ingest_format_name(ingest_format f) {
    return (unsigned)f < 4 ? format_names[f] : "?";
}

int ingest_format_parse(const char *name, ingest_format *out) {
    for (int i = 0; name && out && i < 4; i++)
        if (!strcmp(name, format_names[i])) {
            *out = (ingest_format)i;
            return 0;
        }
    return -1;
}

typedef struct parse_ctx {
    ingest_reading_fn on_reading;
    ingest_payload_reject_fn on_reject;
    void *ctx;
    int64_t now_ms;
    int stop;                   /* non-zero value returned by on_reading */
    payload_lp_hook_fn lp_hook; /* may be NULL */
} parse_ctx;

static void reject(parse_ctx *p, const char *reason, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject(parse_ctx *p, const char *reason, const char *tag, const char *fmt, ...) {
    if (!p->on_reject) return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->on_reject(reason, tag, msg, p->ctx);
}

/* The names rule (ingest.h) for a reading's tag, device and enterprise:
 * true, or false with the reading rejected as bad_tag. The reject names
 * the tag by a scrubbed copy, so nothing invalid leaves through it. */
static bool names_ok(parse_ctx *p, const ingest_reading *r) {
    static const char *const what[3] = {"tag", "device", "enterprise"};
    const char *part[3] = {r->tag, r->device, r->enterprise};
    for (int i = 0; i < 3; i++) {
        if (i > 0 && !part[i]) continue; /* device and enterprise are optional */
        ingest_name_status st =
            ingest_name_check(part[i], part[i] ? strlen(part[i]) : 0, INGEST_NAME_MAX);
        if (st == INGEST_NAME_OK) continue;
        char shown[64];
        snprintf(shown, sizeof shown, "%s", r->tag ? r->tag : "");
        ingest_text_scrub(shown);
        reject(p, "bad_tag", shown, "%s: %s", what[i], ingest_name_problem(st));
        return false;
    }
    return true;
}

/* Every reading of every format passes here (checked: names_ok already ran). */
static int deliver(parse_ctx *p, const ingest_reading *r, bool checked) {
    if (!checked && !names_ok(p, r)) return 0;
    if (!p->on_reading) return 0;
    int rc = p->on_reading(r, p->ctx);
    if (rc) p->stop = rc;
    return rc;
}

static int emit(parse_ctx *p, const char *device, const char *tag, int64_t ts, double v, uint8_t q,
                int error_code) {
    ingest_reading r = {NULL, device, tag, ts, v, q, error_code, 0};
    return deliver(p, &r, false);
}

/* A JSON value as a reading value; false (with a reject) for other types. */
static bool json_value(parse_ctx *p, const char *tag, json_t *v, double *out) {
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = json_real_value(v);
        if (!isfinite(*out)) {
            reject(p, "nan_or_inf", tag, "value is not finite");
            return false;
        }
        return true;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1.0 : 0.0;
        return true;
    }
    reject(p, "bad_value_type", tag, "value is a %s, not a number or boolean",
           json_is_string(v) ? "string"
           : json_is_null(v) ? "null"
                             : "structure");
    return false;
}

static bool json_ts(json_t *v, int64_t dflt, int64_t *out) {
    if (!v) {
        *out = dflt;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool quality_of(json_t *q, uint8_t *out) {
    if (!q) {
        *out = INGEST_QUALITY_GOOD;
        return true;
    }
    if (json_is_string(q)) {
        const char *s = json_string_value(q);
        if (!strcmp(s, "good"))
            *out = INGEST_QUALITY_GOOD;
        else if (!strcmp(s, "uncertain"))
            *out = INGEST_QUALITY_UNCERTAIN;
        else if (!strcmp(s, "bad"))
            *out = INGEST_QUALITY_BAD;
        else
            return false;
        return true;
    }
    if (json_is_integer(q) && json_integer_value(q) >= 0 && json_integer_value(q) <= 255) {
        *out = (uint8_t)json_integer_value(q);
        return true;
    }
    return false;
}

/* One Parkwatch JSON object; returns the number of readings (>= 0), or -1
 * if the object has the wrong shape (already rejected). */
static int parkwatch_object(parse_ctx *p, json_t *o, const char *where) {
    json_t *values = json_object_get(o, "values"), *quality = json_object_get(o, "quality");
    int64_t ts;
    if (!json_is_object(o) || !json_is_object(values) ||
        !json_ts(json_object_get(o, "ts"), p->now_ms, &ts) ||
        (quality && !json_is_object(quality))) {
        reject(p, "bad_structure", NULL,
               "%s: expected {\"ts\": <ms>, \"values\": {...}, \"quality\": {...}}", where);
        return -1;
    }
    int n = 0;
    const char *tag;
    json_t *v;
    json_object_foreach(values, tag, v) {
        double x;
        uint8_t q;
        n++;
        /* The name first, in every format: a bad name is bad_tag whatever
         * its value. */
        if (!names_ok(p, &(ingest_reading){.tag = tag})) continue;
        if (!json_value(p, tag, v, &x)) continue;
        if (!quality_of(json_object_get(quality, tag), &q)) {
            reject(p, "bad_quality", tag, "quality is not good, uncertain, bad or 0..255");
            continue;
        }
        if (deliver(p, &(ingest_reading){NULL, NULL, tag, ts, x, q, 0, 0}, true)) return n;
    }
    return n;
}

/* A Neuron error code; -1 when it is not an integer that fits an int. */
static int neuron_code(json_t *v) {
    if (!json_is_integer(v)) return -1;
    json_int_t c = json_integer_value(v);
    return c >= INT_MIN && c <= INT_MAX ? (int)c : -1;
}

/* One Neuron tag: v is its value, or its error code when is_error. The
 * reading's tag is "{group}.{tag}" (the tag alone without a group), and
 * rejects name it so. A stack buffer covers every name that can make a
 * series (HIST_SERIES_NAME_MAX is 255), the heap the rest. Returns the
 * reading callback's non-zero value to stop, else 0. */
static int neuron_reading(parse_ctx *p, const char *node, const char *group, const char *tag,
                          int64_t ts, json_t *v, bool is_error) {
    if (!*tag) {
        reject(p, "bad_tag", tag, "empty tag name");
        return 0;
    }
    char buf[320], *heap = NULL;
    const char *name = tag;
    if (group) {
        size_t gl = strlen(group), tl = strlen(tag), need = gl + 1 + tl + 1;
        char *s = need <= sizeof buf ? buf : (heap = malloc(need));
        if (!s) {
            reject(p, "no_memory", tag, "out of memory for a %zu-byte tag name", need);
            return 0;
        }
        memcpy(s, group, gl);
        s[gl] = '.';
        memcpy(s + gl + 1, tag, tl + 1);
        name = s;
    }
    int rc = 0;
    double x;
    ingest_reading r = {NULL, node, name, ts, 0.0, INGEST_QUALITY_BAD, 0, 0};
    if (!names_ok(p, &r)) {
        /* rejected: nothing more to say about its value */
    } else if (is_error) {
        r.error_code = neuron_code(v);
        rc = deliver(p, &r, true);
    } else if (json_value(p, name, v, &x)) {
        r.value = x, r.quality = INGEST_QUALITY_GOOD;
        rc = deliver(p, &r, true);
    }
    free(heap);
    return rc;
}

/* A Neuron upload (docs/reference/payload-formats.md): readings from
 * values, then errors, then the tags array. Returns the number of tags
 * looked at (>= 0), or -1 if the upload has the wrong shape (rejected). */
static int neuron_object(parse_ctx *p, json_t *o) {
    json_t *node_v = json_object_get(o, "node");
    if (!node_v) node_v = json_object_get(o, "node_name");
    json_t *group_v = json_object_get(o, "group");
    if (!group_v) group_v = json_object_get(o, "group_name");
    int64_t ts;
    if (!json_ts(json_object_get(o, "timestamp"), p->now_ms, &ts) ||
        (node_v && !json_is_string(node_v)) || (group_v && !json_is_string(group_v))) {
        reject(p, "bad_structure", NULL, "Neuron upload with a bad timestamp, node or group");
        return -1;
    }
    const char *node = node_v ? json_string_value(node_v) : NULL;
    const char *group = group_v ? json_string_value(group_v) : NULL;
    if (node && !*node) node = NULL;
    if (group && !*group) group = NULL;
    int n = 0;
    json_t *values = json_object_get(o, "values"), *errors = json_object_get(o, "errors"),
           *tags = json_object_get(o, "tags");
    if ((values && !json_is_object(values)) || (errors && !json_is_object(errors)) ||
        (tags && !json_is_array(tags))) {
        reject(p, "bad_structure", NULL, "Neuron values/errors must be objects, tags an array");
        return -1;
    }
    const char *tag;
    json_t *v;
    json_object_foreach(values, tag, v) {
        n++;
        if (neuron_reading(p, node, group, tag, ts, v, false)) return n;
    }
    json_object_foreach(errors, tag, v) {
        n++;
        if (neuron_reading(p, node, group, tag, ts, v, true)) return n;
    }
    size_t i;
    json_array_foreach(tags, i, v) {
        json_t *name = json_object_get(v, "name"), *val = json_object_get(v, "value"),
               *err = json_object_get(v, "error");
        n++;
        if (!json_is_string(name) || (!val && !err)) {
            reject(p, "bad_structure", NULL, "tags[%zu] needs a name and a value or an error", i);
            continue;
        }
        /* An element with both: the error wins (the tag failed). */
        if (neuron_reading(p, node, group, json_string_value(name), ts, err ? err : val,
                           err != NULL))
            return n;
    }
    return n;
}

static bool is_neuron(json_t *o) {
    return json_is_object(o) && (json_is_array(json_object_get(o, "tags")) ||
                                 (json_object_get(o, "values") &&
                                  (json_object_get(o, "timestamp") || json_object_get(o, "node") ||
                                   json_object_get(o, "node_name"))) ||
                                 (json_object_get(o, "errors") && !json_object_get(o, "values")));
}

static int parse_json(parse_ctx *p, const char *buf, size_t len, ingest_format fmt,
                      ingest_format *detected) {
    json_error_t je;
    /* Duplicate keys are refused in every object; NUL bytes and \u0000 are
     * refused as jansson does by default (no JSON_ALLOW_NUL). */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (detected) *detected = fmt == INGEST_FMT_AUTO ? INGEST_FMT_JSON : fmt;
    if (!root) {
        reject(p, "malformed_json", NULL, "line %d column %d: %s", je.line, je.column, je.text);
        return 1;
    }
    if (fmt == INGEST_FMT_AUTO) fmt = is_neuron(root) ? INGEST_FMT_NEURON : INGEST_FMT_JSON;
    if (detected) *detected = fmt;
    int n = 0, bad = 0, total = 0;
    if (fmt == INGEST_FMT_NEURON) {
        if (!json_is_object(root)) {
            reject(p, "bad_structure", NULL, "a Neuron upload is one JSON object");
            json_decref(root);
            return 1;
        }
        n = neuron_object(p, root);
        json_decref(root);
        if (n < 0) return 1;
        if (n == 0 && !p->stop) {
            reject(p, "empty", NULL, "no tag in the upload");
            return 1;
        }
        return p->stop;
    }
    if (json_is_array(root)) {
        size_t i;
        json_t *o;
        json_array_foreach(root, i, o) {
            char where[32];
            snprintf(where, sizeof where, "element %zu", i);
            int k = parkwatch_object(p, o, where);
            total++;
            if (k < 0)
                bad++;
            else
                n += k;
            if (p->stop) break;
        }
    } else {
        total = 1;
        n = parkwatch_object(p, root, "message");
        if (n < 0) bad = 1, n = 0;
    }
    json_decref(root);
    if (p->stop) return p->stop;
    if (total && bad == total) return 1; /* every object was of the wrong shape */
    if (n == 0) {
        reject(p, "empty", NULL, "no reading in the message");
        return 1;
    }
    return 0;
}

/* ---- line protocol ---- */

typedef struct lp_ctx {
    parse_ctx *p;
    size_t readings;
} lp_ctx;

static int lp_line(const ingest_lp_line *line, void *arg) {
    lp_ctx *c = arg;
    parse_ctx *p = c->p;
    const char *enterprise = NULL, *device = NULL;
    for (size_t i = 0; i < line->n_tags; i++) {
        if (!strcmp(line->tags[i].key, "enterprise")) enterprise = line->tags[i].value;
        if (!strcmp(line->tags[i].key, "device")) device = line->tags[i].value;
    }
    int64_t ts = line->has_ts ? line->ts_ms : p->now_ms;
    /* Over MQTT the topic names the device: a line without a device tag is
     * named as if it had one, measurement[,tags].field. Built the first
     * time a field takes the long road (a field the hook takes needs no
     * name). */
    ingest_lp_line named = *line;
    ingest_lp_tag stack_tags[33], *tags = stack_tags;
    bool named_ready = device != NULL;
    int rc = 0;
    for (size_t f = 0; f < line->n_fields && !rc; f++) {
        c->readings++;
        const ingest_lp_field *fld = &line->fields[f];
        if (p->lp_hook) {
            int h = p->lp_hook(p->ctx, line, f, enterprise, device, ts);
            if (h < 0) {
                rc = p->stop = h;
                break;
            }
            if (h > 0) continue;
        }
        if (!named_ready) {
            if (line->n_tags + 1 > sizeof stack_tags / sizeof stack_tags[0] &&
                !(tags = malloc((line->n_tags + 1) * sizeof *tags))) {
                tags = stack_tags;
                reject(p, "no_memory", NULL, "line %zu: out of memory for its tags", line->line_no);
                return 0;
            }
            memcpy(tags, line->tags, line->n_tags * sizeof *tags);
            tags[line->n_tags] = (ingest_lp_tag){"device", "_"};
            named.tags = tags;
            named.n_tags = line->n_tags + 1;
            named_ready = true;
        }
        char name[512];
        /* Reuse the one naming rule: build the full name with a stand-in
         * enterprise, keep what follows enterprise/device/. */
        if (ingest_lp_series_name(&named, f, "x", name, sizeof name) != 0) {
            /* Which part broke the rule, for the reject (the rule itself
             * is names_ok's, below, or '/' in a name). */
            char shown[64];
            snprintf(shown, sizeof shown, "%s", fld->key);
            ingest_text_scrub(shown);
            reject(p, "bad_tag", shown,
                   "line %zu: no series name ('/', invalid UTF-8 or a control character in a "
                   "name, or too long)",
                   line->line_no);
            continue;
        }
        const char *tag = strchr(strchr(name, '/') + 1, '/') + 1;
        ingest_reading r = {enterprise,          device, tag,          ts, fld->value,
                            INGEST_QUALITY_GOOD, 0,      line->line_no};
        if (!names_ok(p, &r)) continue;
        if (fld->type == INGEST_LP_STRING) {
            reject(p, "bad_value_type", tag, "line %zu: string field", line->line_no);
            continue;
        }
        rc = deliver(p, &r, true);
    }
    if (tags != stack_tags) free(tags);
    return rc;
}

static void lp_reject(size_t line_no, const char *reason, const char *message, void *arg) {
    lp_ctx *c = arg;
    reject(c->p, reason, NULL, "line %zu: %s", line_no, message);
}

static int fast_emit(void *ctx, const char *device, const char *tag, int64_t ts, double v,
                     uint8_t q, int code) {
    return emit(ctx, device, tag, ts, v, q, code);
}

int ingest_payload_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                         ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject,
                         void *ctx, ingest_format *detected) {
    return payload_parse_prec(buf, len, fmt, INGEST_LP_MS, now_ms, on_reading, on_reject, ctx,
                              detected, true);
}

int ingest_payload_parse_prec(const char *buf, size_t len, ingest_format fmt,
                              ingest_lp_precision prec, int64_t now_ms,
                              ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject,
                              void *ctx, ingest_format *detected) {
    return payload_parse_prec(buf, len, fmt, prec, now_ms, on_reading, on_reject, ctx, detected,
                              true);
}

int payload_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                  ingest_reading_fn on_reading, ingest_payload_reject_fn on_reject, void *ctx,
                  ingest_format *detected, bool fast) {
    return payload_parse_prec(buf, len, fmt, INGEST_LP_MS, now_ms, on_reading, on_reject, ctx,
                              detected, fast);
}

int payload_parse_prec(const char *buf, size_t len, ingest_format fmt, ingest_lp_precision prec,
                       int64_t now_ms, ingest_reading_fn on_reading,
                       ingest_payload_reject_fn on_reject, void *ctx, ingest_format *detected,
                       bool fast) {
    return payload_parse_hooked(buf, len, fmt, prec, now_ms, on_reading, on_reject, ctx, detected,
                                fast, NULL);
}

int payload_parse_hooked(const char *buf, size_t len, ingest_format fmt, ingest_lp_precision prec,
                         int64_t now_ms, ingest_reading_fn on_reading,
                         ingest_payload_reject_fn on_reject, void *ctx, ingest_format *detected,
                         bool fast, payload_lp_hook_fn lp_hook) {
    if ((!buf && len) || (unsigned)fmt > INGEST_FMT_LINEPROTO ||
        (unsigned)prec > (unsigned)INGEST_LP_H)
        return INGEST_LP_EINVAL;
    parse_ctx p = {on_reading, on_reject, ctx, now_ms, 0, lp_hook};
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
    if (i == len) { /* nothing but blanks (or NULL, 0): empty in every format */
        if (detected) *detected = fmt != INGEST_FMT_AUTO ? fmt : INGEST_FMT_LINEPROTO;
        reject(&p, "empty", NULL, "empty payload");
        return 1;
    }
    if (fast && fmt != INGEST_FMT_LINEPROTO && i < len && buf[i] == '{') {
        int rc = fastjson_parse(buf, len, fmt, now_ms, fast_emit, &p, detected);
        if (rc != FASTJSON_NOT_MINE) return rc;
    }
    if (fmt == INGEST_FMT_AUTO && i < len && (buf[i] == '{' || buf[i] == '['))
        return parse_json(&p, buf, len, fmt, detected);
    if (fmt == INGEST_FMT_JSON || fmt == INGEST_FMT_NEURON)
        return parse_json(&p, buf, len, fmt, detected);
    if (detected) *detected = INGEST_FMT_LINEPROTO;
    if (len && memchr(buf, 0, len)) {
        reject(&p, "malformed", NULL, "payload holds NUL bytes");
        return 1;
    }
    lp_ctx c = {&p, 0};
    ingest_lp_stats st;
    int rc = ingest_lp_parse(buf, len, prec, lp_line, lp_reject, &c, &st);
    if (rc == INGEST_LP_EINVAL) return rc;
    if (p.stop) return p.stop;
    if (st.good_lines == 0) {
        if (st.rejected_lines == 0) reject(&p, "empty", NULL, "no line in the message");
        return 1;
    }
    return 0;
}
