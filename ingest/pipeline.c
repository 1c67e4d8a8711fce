/*
 * pipeline.c - from one MQTT message to historian points: topic and
 * enterprise checks, payload parsing, series ownership, auto-registration
 * with a per-enterprise limit, timestamp checks, counters by reason and
 * enterprise, and the dead-letter log.
 *
 * A message is staged whole before anything of it is queued, so a message
 * that turns out to name another enterprise's series leaves no trace. Good
 * readings next to bad ones in the same message are kept: one NaN from one
 * transmitter must not cost the other ninety-nine readings.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/alerting.h"
#include "historian/historian.h"
#include "ingest/internal.h"
#include "ingest/keycache.h"

#define DAY_MS      ((int64_t)86400000)
#define Y2000_MS    ((int64_t)946684800000)
#define LAT_BUCKETS 80 /* ten per decade from 0.01 ms */
#define MAX_REJECTS 64
#define MAX_DEVICES 4096
#define EXCERPT_MAX 160
#define NAME_CAP    (HIST_SERIES_NAME_MAX + 1)
#define MSG_REASONS 16 /* distinct reasons of one message's rejected readings */
#define BAD_LINES   INGEST_BAD_LINES_MAX
#define ANY_ENT     "+" /* the topic's enterprise of a message whose lines name theirs */
#define KEY_MAX     512 /* longest line protocol series key the cache holds */
#define CACHE_MIN   1024
#define CACHE_MAX   ((size_t)1 << 20)

typedef struct ent_state {
    char id[INGEST_ID_MAX];
    ingest_format format;
    ingest_lp_precision prec; /* of line protocol over MQTT */
    size_t max_series, n_series;
    int64_t interval_ms;
    uint64_t unflushed; /* points queued, not yet flushed (ingest thread only) */
    /* a message for any enterprise (ingest_message_ex): this one's share */
    size_t readings_here, new_here;
    bool touched;
    ingest_enterprise_count cnt; /* guarded by ingest.mu, like ingest.stats */
    key_cache cache;             /* ingest thread only */
} ent_state;

typedef struct staged {
    struct ent_state *ent; /* whose series */
    size_t name_off;       /* into stage_names (not for a cache hit) */
    int64_t ts;
    double v;
    uint8_t q;
    bool known;     /* a cache hit: id is the series */
    bool has_key;   /* a cache miss: the key to remember, once the series has its id */
    uint32_t id;    /* known */
    size_t line_no; /* line protocol: the reading's line, else 0 */
    uint64_t key_hash;
    uint32_t key_off, key_len; /* into keys */
} staged;

/* The rejected readings of the message being handled, by reason: counted
 * once the message's fate is known (a message rejected whole counts as one
 * message under its reason, not as rejected readings as well). */
typedef struct msg_reason {
    char reason[INGEST_REASON_MAX];
    size_t n;
} msg_reason;

typedef struct name_entry {
    char *name; /* NULL = empty slot */
    uint32_t id;
} name_entry;

struct ingest {
    ingest_options opt;
    hist *h;
    ingest_watch watch; /* the observed series (observe.c) */
    int (*events_fn)(const char *enterprise, const char *device, const void *payload, size_t len,
                     int64_t recv_ms, char *why, size_t whycap, void *ctx);
    void *events_ctx;
    ent_state *ents;
    size_t n_ents;

    /* series name -> id */
    name_entry *names;
    size_t names_cap, names_used;

    /* the message being handled */
    staged *stage;
    size_t n_stage, cap_stage;
    uint32_t *ids; /* per staged reading, reused from message to message */
    bool *keep;
    size_t cap_ids;
    char *stage_names;
    size_t names_len, names_cap_bytes;
    /* cache keys of the message's misses; the last miss's, for stage_reading */
    char *keys;
    size_t keys_len, keys_cap;
    bool key_pending;
    uint64_t pending_hash;
    uint32_t pending_off, pending_len;
    uint64_t hits_here, misses_here, resets_here; /* for stats, under mu */
    ent_state *cur_ent;                           /* NULL: each line names its own (any_ent) */
    ent_state *last_ent;                          /* any_ent: the enterprise of the line before */
    bool any_ent;
    const char *cur_device;
    int64_t now_ms;
    bool foreign;
    char first_reason[INGEST_REASON_MAX], first_message[160];
    size_t rejected_here, readings_here;
    msg_reason reasons_here[MSG_REASONS];
    size_t n_reasons_here;
    /* line protocol: the lines with a rejection (distinct, in order) */
    size_t bad_lines[BAD_LINES], n_bad_lines, lines_rejected, bad_lines_last;
    /* (series, ts) seen in the message, for the points it overwrites itself */
    uint64_t *dup_table;
    size_t dup_cap;
    /* the outcome of the last message, for ingest_last_result: a few stores
     * per message; the strings are written only when it is rejected whole */
    size_t res_accepted, res_rejected, res_overwritten;
    bool res_whole;
    char res_reason[INGEST_REASON_MAX], res_message[160];

    /* points waiting for ingest_flush; first-reading times of their messages */
    hist_point *pending;
    size_t n_pending, cap_pending;
    int64_t *flushed_ts, *pending_ts;
    size_t n_flushed, cap_flushed, n_pending_ts, cap_pending_ts;

    /* shared with readers on other threads */
    pthread_mutex_t mu;
    ingest_stats stats;
    uint64_t lat[LAT_BUCKETS];
    ingest_dead_letter *dead;
    size_t dead_next, dead_n;
    ingest_device *devices;
    size_t n_devices;
};

void ingest_options_default(ingest_options *o) {
    memset(o, 0, sizeof *o);
    o->max_payload_bytes = (size_t)1 << 20;
    o->max_series_per_enterprise = 10000;
    o->dead_letter_capacity = 100;
    o->max_future_ms = DAY_MS;
    o->min_ts_ms = Y2000_MS;
}

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static name_entry *name_slot(name_entry *t, size_t cap, const char *name) {
    size_t j = hash_name(name) & (cap - 1);
    while (t[j].name && strcmp(t[j].name, name) != 0) j = (j + 1) & (cap - 1);
    return &t[j];
}

static int name_put(ingest *g, const char *name, uint32_t id) {
    if ((g->names_used + 1) * 2 > g->names_cap) {
        size_t cap = g->names_cap ? g->names_cap * 2 : 4096;
        name_entry *t = calloc(cap, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < g->names_cap; i++)
            if (g->names[i].name) *name_slot(t, cap, g->names[i].name) = g->names[i];
        free(g->names);
        g->names = t;
        g->names_cap = cap;
    }
    name_entry *e = name_slot(g->names, g->names_cap, name);
    if (e->name) {
        e->id = id;
        return 0;
    }
    if (!(e->name = strdup(name))) return -1;
    e->id = id;
    g->names_used++;
    return 0;
}

static bool name_get(const ingest *g, const char *name, uint32_t *id) {
    if (!g->names_cap) return false;
    const name_entry *e = name_slot(g->names, g->names_cap, name);
    if (!e->name) return false;
    *id = e->id;
    return true;
}

static bool valid_id(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n >= max) return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

int ingest_open(const ingest_options *o, ingest **out, char *err, size_t errcap) {
    *out = NULL;
    if (!o || !o->historian) {
        snprintf(err, errcap, "ingest: no historian");
        return -1;
    }
    ingest *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errcap, "ingest: out of memory");
        return -1;
    }
    pthread_mutex_init(&g->mu, NULL);
    g->opt = *o;
    ingest_options d;
    ingest_options_default(&d);
    if (!g->opt.max_payload_bytes) g->opt.max_payload_bytes = d.max_payload_bytes;
    if (!g->opt.max_series_per_enterprise)
        g->opt.max_series_per_enterprise = d.max_series_per_enterprise;
    if (!g->opt.dead_letter_capacity) g->opt.dead_letter_capacity = d.dead_letter_capacity;
    if (!g->opt.max_future_ms) g->opt.max_future_ms = d.max_future_ms;
    if (!g->opt.min_ts_ms) g->opt.min_ts_ms = d.min_ts_ms;
    g->opt.enterprises = NULL;
    g->h = o->historian;
    g->ents = calloc(o->n_enterprises ? o->n_enterprises : 1, sizeof *g->ents);
    g->dead = calloc(g->opt.dead_letter_capacity, sizeof *g->dead);
    g->devices = calloc(MAX_DEVICES, sizeof *g->devices);
    if (!g->ents || !g->dead || !g->devices) {
        snprintf(err, errcap, "ingest: out of memory");
        ingest_close(g);
        return -1;
    }
    for (size_t i = 0; i < o->n_enterprises; i++) {
        const ingest_enterprise *e = &o->enterprises[i];
        if (!e->id || !valid_id(e->id, INGEST_ID_MAX) || strchr(e->id, '.')) {
            snprintf(err, errcap, "ingest: enterprise id '%s' is not letters, digits, - and _",
                     e->id ? e->id : "(null)");
            ingest_close(g);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(g->ents[j].id, e->id)) {
                snprintf(err, errcap, "ingest: enterprise %s is configured twice", e->id);
                ingest_close(g);
                return -1;
            }
        ent_state *s = &g->ents[g->n_ents++];
        snprintf(s->id, sizeof s->id, "%s", e->id);
        snprintf(s->cnt.enterprise, sizeof s->cnt.enterprise, "%s", e->id);
        s->format = e->format;
        s->prec = e->lp_precision > 0 ? (ingest_lp_precision)(e->lp_precision - 1) : INGEST_LP_MS;
        if ((unsigned)s->prec > (unsigned)INGEST_LP_H) {
            snprintf(err, errcap, "ingest: enterprise %s: no such line protocol precision", e->id);
            ingest_close(g);
            return -1;
        }
        s->max_series = e->max_series ? e->max_series : g->opt.max_series_per_enterprise;
        size_t ce = g->opt.series_cache_entries;
        if (ce == 0) {
            ce = s->max_series > CACHE_MAX / 2 ? CACHE_MAX : s->max_series * 2;
            if (ce < CACHE_MIN) ce = CACHE_MIN;
        } else if (ce == SIZE_MAX)
            ce = 0;
        s->cache.max_used = ce;
        s->cache.bytes_max = ce * 64 < ce ? SIZE_MAX : ce * 64;
        s->interval_ms = e->interval_ms;
        /* The series it has already count against its limit. */
        hist_series_list l = {0};
        hist_error he;
        if (hist_series_find(g->h, s->id, &l, &he) != HIST_OK) {
            snprintf(err, errcap, "ingest: %s", he.msg);
            ingest_close(g);
            return -1;
        }
        s->n_series = l.n;
        for (size_t k = 0; k < l.n; k++) {
            hist_series_info info;
            if (hist_series_get(g->h, l.ids[k], &info, &he) == HIST_OK &&
                name_put(g, info.name, l.ids[k]) != 0) {
                snprintf(err, errcap, "ingest: out of memory");
                hist_series_list_free(&l);
                ingest_close(g);
                return -1;
            }
        }
        hist_series_list_free(&l);
    }
    *out = g;
    return 0;
}

void ingest_close(ingest *g) {
    if (!g) return;
    ingest_watch_free(&g->watch);
    for (size_t i = 0; i < g->names_cap; i++) free(g->names[i].name);
    free(g->names);
    for (size_t i = 0; g->ents && i < g->n_ents; i++) keycache_free(&g->ents[i].cache);
    free(g->ents);
    free(g->keys);
    free(g->stage);
    free(g->dup_table);
    free(g->ids);
    free(g->keep);
    free(g->stage_names);
    free(g->pending);
    free(g->pending_ts);
    free(g->flushed_ts);
    free(g->dead);
    free(g->devices);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* ---- counting ---- */

/* Caller holds mu. */
static void count_reject(ingest *g, const char *enterprise, const char *reason, bool message,
                         uint64_t n) {
    ingest_stats *s = &g->stats;
    size_t i = 0;
    for (; i < s->n_rejects; i++)
        if (!strcmp(s->rejects[i].reason, reason) && !strcmp(s->rejects[i].enterprise, enterprise))
            break;
    if (i == s->n_rejects) {
        if (i == MAX_REJECTS)
            i--; /* the table is full: lump into the last row */
        else {
            s->n_rejects++;
            snprintf(s->rejects[i].enterprise, INGEST_ID_MAX, "%s", enterprise);
            snprintf(s->rejects[i].reason, INGEST_REASON_MAX, "%s", reason);
        }
    }
    if (message)
        s->rejects[i].messages += n;
    else
        s->rejects[i].readings += n;
}

static void dead_letter(ingest *g, int64_t recv_ms, const char *topic, const char *enterprise,
                        const char *reason, const char *message, const void *payload, size_t len,
                        bool whole) {
    ingest_dead_letter *d = &g->dead[g->dead_next];
    memset(d, 0, sizeof *d);
    d->recv_ms = recv_ms;
    snprintf(d->topic, sizeof d->topic, "%s", topic);
    snprintf(d->enterprise, sizeof d->enterprise, "%s", enterprise);
    snprintf(d->reason, sizeof d->reason, "%s", reason);
    snprintf(d->message, sizeof d->message, "%s", message);
    /* A topic is the sender's bytes, and a cut may split a character:
     * readers of the log get valid UTF-8 without control characters. */
    ingest_text_scrub(d->topic);
    ingest_text_scrub(d->message);
    size_t n = len < EXCERPT_MAX ? len : EXCERPT_MAX;
    const unsigned char *p = payload;
    for (size_t i = 0; i < n; i++) d->excerpt[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    d->payload_len = len;
    d->whole_message = whole;
    g->dead_next = (g->dead_next + 1) % g->opt.dead_letter_capacity;
    if (g->dead_n < g->opt.dead_letter_capacity) g->dead_n++;
}

/* The message was rejected whole: what ingest_last_result reports. */
static void whole_result(ingest *g, const char *reason, const char *message) {
    g->res_whole = true;
    g->res_accepted = g->res_rejected = 0;
    snprintf(g->res_reason, sizeof g->res_reason, "%s", reason);
    snprintf(g->res_message, sizeof g->res_message, "%s", message ? message : "");
    ingest_text_scrub(g->res_message);
}

/* Caller holds mu. A message of a registered enterprise was handled. */
static void count_message(ent_state *e, int64_t recv_ms, bool rejected) {
    e->cnt.messages++;
    if (rejected) e->cnt.messages_rejected++;
    e->cnt.last_message_ms = recv_ms;
}

/* e: the registered enterprise, NULL when the topic named none. */
static void reject_message(ingest *g, int64_t recv_ms, const char *topic, ent_state *e,
                           const char *enterprise, const char *reason, const char *message,
                           const void *payload, size_t len) {
    whole_result(g, reason, message);
    pthread_mutex_lock(&g->mu);
    g->stats.messages++;
    g->stats.messages_rejected++;
    if (e) count_message(e, recv_ms, true);
    count_reject(g, enterprise, reason, true, 1);
    dead_letter(g, recv_ms, topic, enterprise, reason, message, payload, len, true);
    pthread_mutex_unlock(&g->mu);
}

/* A rejected reading of the message being handled: noted by reason, and
 * counted by count_readings once the message is not rejected whole. */
static void reject_reading(ingest *g, const char *reason, const char *tag, const char *message,
                           size_t line_no) {
    /* the parser's own rejections name their line only in the message */
    if (!line_no && message && !strncmp(message, "line ", 5))
        for (const char *d = message + 5; *d >= '0' && *d <= '9' && line_no < SIZE_MAX / 10; d++)
            line_no = line_no * 10 + (size_t)(*d - '0');
    /* lines come in order: a line seen last is not new */
    if (line_no && (!g->lines_rejected || g->bad_lines_last != line_no)) {
        if (g->n_bad_lines < BAD_LINES) g->bad_lines[g->n_bad_lines++] = line_no;
        g->lines_rejected++;
        g->bad_lines_last = line_no;
    }
    if (!g->rejected_here++) {
        snprintf(g->first_reason, sizeof g->first_reason, "%s", reason);
        snprintf(g->first_message, sizeof g->first_message, "%s%s%s", tag ? tag : "",
                 tag ? ": " : "", message ? message : "");
        ingest_text_scrub(g->first_message);
    }
    size_t i = 0;
    while (i < g->n_reasons_here && strcmp(g->reasons_here[i].reason, reason)) i++;
    if (i == g->n_reasons_here) {
        if (i == MSG_REASONS)
            i--; /* more distinct reasons than ever seen in one message: lump */
        else {
            snprintf(g->reasons_here[i].reason, INGEST_REASON_MAX, "%s", reason);
            g->reasons_here[i].n = 0;
            g->n_reasons_here++;
        }
    }
    g->reasons_here[i].n++;
}

/* Caller holds mu. The noted rejected readings of a message that was kept. */
static void count_readings(ingest *g, ent_state *e) {
    for (size_t i = 0; i < g->n_reasons_here; i++) {
        const msg_reason *m = &g->reasons_here[i];
        count_reject(g, e ? e->id : ANY_ENT, m->reason, false, m->n);
    }
    g->stats.readings_rejected += g->rejected_here;
    if (e) e->cnt.readings_rejected += g->rejected_here;
}

/* ---- parsing callbacks ---- */

/* The registered enterprise of id, or NULL. Messages and lines come in
 * runs of one enterprise, so the last one answers most calls. */
static ent_state *find_ent(ingest *g, const char *id) {
    if (g->last_ent && !strcmp(g->last_ent->id, id)) return g->last_ent;
    for (size_t i = 0; i < g->n_ents; i++)
        if (!strcmp(g->ents[i].id, id)) return g->last_ent = &g->ents[i];
    return NULL;
}

static int stage_grow(ingest *g) {
    if (g->n_stage < g->cap_stage) return 0;
    size_t cap = g->cap_stage ? g->cap_stage * 2 : 256;
    staged *s = realloc(g->stage, cap * sizeof *s);
    if (!s) return -1;
    g->stage = s;
    g->cap_stage = cap;
    return 0;
}

/* payload_lp_hook_fn: a line protocol field whose key the cache knows is
 * staged with its series id at once; a miss leaves its key for
 * stage_reading, which stages the reading the long way. */
static int lp_cached(void *ctx, const ingest_lp_line *line, size_t f, const char *enterprise,
                     const char *device, int64_t ts) {
    ingest *g = ctx;
    g->key_pending = false;
    const ingest_lp_field *fld = &line->fields[f];
    if (fld->type == INGEST_LP_STRING || !fld->raw_key || !line->raw_series)
        return 0; /* refused on the long road, which says why */
    ent_state *e = g->cur_ent;
    if (g->any_ent && !(e = enterprise ? find_ent(g, enterprise) : NULL)) return 0;
    if (!e->cache.max_used) return 0;
    /* [dl][topic device][series length, 2 bytes][series][field key]; the
     * topic's device (never empty) only when the line has no device tag */
    size_t dl = device ? 0 : strlen(g->cur_device), sl = line->raw_series_len;
    size_t n = 1 + dl + 2 + sl + fld->raw_key_len;
    if (n > KEY_MAX || dl > 255) return 0;
    char k[KEY_MAX];
    k[0] = (char)dl;
    memcpy(k + 1, g->cur_device, dl);
    k[1 + dl] = (char)(sl & 0xff);
    k[2 + dl] = (char)(sl >> 8);
    memcpy(k + 3 + dl, line->raw_series, sl);
    memcpy(k + 3 + dl + sl, fld->raw_key, fld->raw_key_len);
    uint64_t h = keycache_hash(k, n);
    uint32_t id;
    if (keycache_get(&e->cache, k, n, h, &id)) {
        /* The name was built and checked when the key went in, and the
         * series exists: only the reading's own checks are left. One that
         * fails takes the long road, which rejects it as always. */
        if (ts < g->opt.min_ts_ms || ts > g->now_ms + g->opt.max_future_ms || !isfinite(fld->value))
            return 0;
        if (stage_grow(g) != 0) return -1;
        g->readings_here++;
        if (g->any_ent) e->readings_here++, e->touched = true;
        g->stage[g->n_stage++] = (staged){.ent = e,
                                          .ts = ts,
                                          .v = fld->value,
                                          .q = INGEST_QUALITY_GOOD,
                                          .known = true,
                                          .id = id,
                                          .line_no = line->line_no};
        g->hits_here++;
        return 1;
    }
    g->misses_here++;
    if (g->keys_len + n > g->keys_cap) {
        size_t cap = g->keys_cap ? g->keys_cap * 2 : 8192;
        while (cap < g->keys_len + n) cap *= 2;
        char *b = realloc(g->keys, cap);
        if (!b) return 0; /* nothing remembered */
        g->keys = b, g->keys_cap = cap;
    }
    memcpy(g->keys + g->keys_len, k, n);
    g->key_pending = true;
    g->pending_hash = h;
    g->pending_off = (uint32_t)g->keys_len;
    g->pending_len = (uint32_t)n;
    g->keys_len += n;
    return 0;
}

static int stage_reading(const ingest_reading *r, void *ctx) {
    ingest *g = ctx;
    g->readings_here++;
    ent_state *e = g->cur_ent;
    if (g->any_ent) {
        e = r->enterprise ? find_ent(g, r->enterprise) : NULL;
        if (!e) {
            reject_reading(g, r->enterprise ? "unknown_enterprise" : "no_enterprise", r->tag,
                           r->enterprise ? "the line's enterprise is not registered in the park"
                                         : "the line names no enterprise (an enterprise= tag)",
                           r->line_no);
            return 0;
        }
        e->readings_here++;
        e->touched = true;
    }
    const char *ent = e->id;
    if (r->enterprise && strcmp(r->enterprise, ent) != 0) {
        g->foreign = true;
        return 0;
    }
    char name[NAME_CAP];
    size_t n;
    size_t el = strlen(ent), tl = strlen(r->tag);
    if (memchr(r->tag, '/', tl)) {
        /* A full name: it must be this enterprise's. */
        if (strncmp(r->tag, ent, el) != 0 || r->tag[el] != '/') {
            g->foreign = true;
            return 0;
        }
        n = tl;
        if (n < sizeof name) memcpy(name, r->tag, n + 1);
    } else {
        /* enterprise/device/tag, built by hand: this runs a million times a second. */
        const char *dev = r->device ? r->device : g->cur_device;
        size_t dl = strlen(dev);
        n = el + 1 + dl + 1 + tl;
        if (n < sizeof name) {
            memcpy(name, ent, el);
            name[el] = '/';
            memcpy(name + el + 1, dev, dl);
            name[el + 1 + dl] = '/';
            memcpy(name + el + dl + 2, r->tag, tl + 1);
        }
    }
    if (n >= sizeof name) {
        reject_reading(g, "bad_tag", r->tag, "series name too long", r->line_no);
        return 0;
    }
    /* enterprise/device/tag: exactly the device from the topic or payload,
     * which may not hold '/' itself. */
    const char *slash1 = strchr(name, '/'), *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
    if (!slash2 || slash2 == slash1 + 1 || !slash2[1] || (r->device && strchr(r->device, '/'))) {
        reject_reading(g, "bad_tag", r->tag, "not a valid enterprise/device/tag name", r->line_no);
        return 0;
    }
    /* The names rule (ingest.h) over the whole name, whatever the format,
     * and the rest of the historian's (no '/' at the end): a name it
     * refuses would fail the whole message as a historian error, and the
     * service stops ingest on that (found by fuzz_pipeline). */
    ingest_name_status st = ingest_name_check(name, n, HIST_SERIES_NAME_MAX);
    if (st != INGEST_NAME_OK || name[n - 1] == '/') {
        reject_reading(g, "bad_tag", r->tag,
                       st != INGEST_NAME_OK ? ingest_name_problem(st) : "a final '/' in the name",
                       r->line_no);
        return 0;
    }
    if (r->ts_ms < g->opt.min_ts_ms || r->ts_ms > g->now_ms + g->opt.max_future_ms) {
        reject_reading(g, "ts_out_of_range", r->tag, "timestamp before 2000 or too far ahead",
                       r->line_no);
        return 0;
    }
    if (!isfinite(r->value)) {
        reject_reading(g, "nan_or_inf", r->tag, "value is not finite", r->line_no);
        return 0;
    }
    if (stage_grow(g) != 0) return -1;
    size_t len = n + 1;
    if (g->names_len + len > g->names_cap_bytes) {
        size_t cap = g->names_cap_bytes ? g->names_cap_bytes * 2 : 8192;
        while (cap < g->names_len + len) cap *= 2;
        char *b = realloc(g->stage_names, cap);
        if (!b) return -1;
        g->stage_names = b;
        g->names_cap_bytes = cap;
    }
    memcpy(g->stage_names + g->names_len, name, len);
    g->stage[g->n_stage++] = (staged){.ent = e,
                                      .name_off = g->names_len,
                                      .ts = r->ts_ms,
                                      .v = r->value,
                                      .q = r->quality,
                                      .has_key = g->key_pending,
                                      .line_no = r->line_no,
                                      .key_hash = g->pending_hash,
                                      .key_off = g->pending_off,
                                      .key_len = g->pending_len};
    g->key_pending = false;
    g->names_len += len;
    return 0;
}

static void stage_reject(const char *reason, const char *tag, const char *message, void *ctx) {
    ingest *g = ctx;
    if (tag) {
        reject_reading(g, reason, tag, message, 0);
        return;
    }
    /* A part of the message (a line, an array element): counted as a
     * rejected reading group under the message's enterprise. */
    reject_reading(g, reason, NULL, message, 0);
}

/* ---- one message ---- */

void ingest_set_events(ingest *g,
                       int (*fn)(const char *enterprise, const char *device, const void *payload,
                                 size_t len, int64_t recv_ms, char *why, size_t whycap, void *ctx),
                       void *ctx) {
    g->events_fn = fn;
    g->events_ctx = ctx;
}

/* 0 data, 1 status, 2 events (only when an events handler is set), or -1. */
static int parse_topic(const char *topic, bool any, char *ent, char *dev, int *what) {
    if (strncmp(topic, "park/", 5) != 0) return -1;
    const char *e = topic + 5, *d = strchr(e, '/');
    if (!d) return -1;
    const char *k = strchr(d + 1, '/');
    if (!k || strchr(k + 1, '/')) return -1;
    size_t el = (size_t)(d - e), dl = (size_t)(k - d - 1);
    if (!el || el >= INGEST_ID_MAX || !dl || dl >= 64) return -1;
    memcpy(ent, e, el);
    ent[el] = 0;
    memcpy(dev, d + 1, dl);
    dev[dl] = 0;
    if (!strcmp(k + 1, "data"))
        *what = 0;
    else if (!strcmp(k + 1, "status"))
        *what = 1;
    else if (!strcmp(k + 1, "events"))
        *what = 2;
    else
        return -1;
    /* Both parts by the id rule: they become series names and the
     * labels of the counters (an unknown enterprise too). */
    bool ent_ok = valid_id(ent, INGEST_ID_MAX) || (any && !strcmp(ent, ANY_ENT) && *what == 0);
    return ent_ok && valid_id(dev, 64) ? 0 : -1;
}

/* An events message: handed to the events handler (docs/closed-park.md),
 * which stores it; refused ones counted like any rejected message. */
static int take_events(ingest *g, ent_state *e, const char *topic, const char *dev,
                       const void *payload, size_t len, int64_t recv_ms, char *err, size_t errcap) {
    char why[160] = "";
    int rc = g->events_fn(e->id, dev, payload, len, recv_ms, why, sizeof why, g->events_ctx);
    if (rc == INGEST_EVENTS_RETRY) {
        snprintf(err, errcap, "ingest: events cannot be stored: %s", why);
        return -1;
    }
    if (rc != 0) {
        reject_message(g, recv_ms, topic, e, e->id, "rejected_event",
                       *why ? why : "the event was refused", payload, len);
        return 0;
    }
    g->res_accepted = 1;
    pthread_mutex_lock(&g->mu);
    g->stats.messages++;
    g->stats.event_messages++;
    count_message(e, recv_ms, false);
    pthread_mutex_unlock(&g->mu);
    return 0;
}

static void device_status(ingest *g, ent_state *e, const char *dev, const void *payload, size_t len,
                          int64_t recv_ms) {
    const char *ent = e->id;
    bool online = len >= 6 && !memcmp(payload, "online", 6);
    bool json_online = len && memchr(payload, '{', len) && len < 256;
    if (json_online) { /* {"status": "online"} from gateways that wrap it */
        char buf[256];
        memcpy(buf, payload, len);
        buf[len] = 0;
        online = strstr(buf, "\"online\"") != NULL;
    }
    pthread_mutex_lock(&g->mu);
    g->stats.messages++;
    g->stats.status_messages++;
    count_message(e, recv_ms, false);
    size_t i = 0;
    while (i < g->n_devices &&
           (strcmp(g->devices[i].enterprise, ent) || strcmp(g->devices[i].device, dev)))
        i++;
    if (i == g->n_devices && g->n_devices < MAX_DEVICES) {
        g->n_devices++;
        snprintf(g->devices[i].enterprise, INGEST_ID_MAX, "%s", ent);
        snprintf(g->devices[i].device, sizeof g->devices[i].device, "%s", dev);
    }
    if (i < g->n_devices) {
        g->devices[i].online = online;
        g->devices[i].since_ms = recv_ms;
    }
    pthread_mutex_unlock(&g->mu);
}

static int reserve_pending(ingest *g, size_t more) {
    if (g->n_pending + more <= g->cap_pending) return 0;
    size_t cap = g->cap_pending ? g->cap_pending : 4096;
    while (cap < g->n_pending + more) cap *= 2;
    hist_point *p = realloc(g->pending, cap * sizeof *p);
    if (!p) return -1;
    g->pending = p;
    g->cap_pending = cap;
    return 0;
}

/* Registers the staged series not known yet, within the enterprise's limit. */
static int register_new(ingest *g, ent_state *e, uint32_t *ids, bool *keep, char *err,
                        size_t errcap) {
    hist_series_def *defs = NULL;
    size_t *which = NULL, n_new = 0;
    int rc = 0;
    if (!e)
        for (size_t k = 0; k < g->n_ents; k++) g->ents[k].new_here = 0;
    else
        e->new_here = 0;
    for (size_t i = 0; i < g->n_stage; i++) {
        ent_state *se = g->stage[i].ent;
        const char *name = g->stage[i].known ? NULL : g->stage_names + g->stage[i].name_off;
        keep[i] = true;
        if (g->stage[i].known) {
            ids[i] = g->stage[i].id;
            continue;
        }
        if (name_get(g, name, &ids[i])) continue;
        /* Same new name twice in one message: register once. */
        bool dup = false;
        for (size_t j = 0; j < n_new && !dup; j++)
            if (!strcmp(defs[j].name, name)) ids[i] = UINT32_MAX - (uint32_t)j, dup = true;
        if (dup) continue;
        if (se->n_series + se->new_here >= se->max_series) {
            keep[i] = false;
            reject_reading(g, "series_limit", name, "the enterprise has reached its series limit",
                           g->stage[i].line_no);
            continue;
        }
        hist_series_def *nd = realloc(defs, (n_new + 1) * sizeof *nd);
        size_t *nw = realloc(which, (n_new + 1) * sizeof *nw);
        if (nd) defs = nd;
        if (nw) which = nw;
        if (!nd || !nw) {
            snprintf(err, errcap, "ingest: out of memory");
            rc = -1;
            goto out;
        }
        defs[n_new] = (hist_series_def){name, NULL, NULL, se->interval_ms};
        which[n_new] = i;
        se->new_here++;
        ids[i] = UINT32_MAX - (uint32_t)n_new;
        n_new++;
    }
    if (n_new) {
        uint32_t *new_ids = malloc(n_new * sizeof *new_ids);
        hist_error he;
        if (!new_ids) {
            snprintf(err, errcap, "ingest: out of memory");
            rc = -1;
            goto out;
        }
        if (hist_series_ensure(g->h, defs, n_new, new_ids, &he) != HIST_OK) {
            snprintf(err, errcap, "ingest: registering series: %s", he.msg);
            free(new_ids);
            rc = -1;
            goto out;
        }
        for (size_t j = 0; j < n_new; j++)
            if (name_put(g, defs[j].name, new_ids[j]) != 0) {
                snprintf(err, errcap, "ingest: out of memory");
                rc = -1;
            }
        /* Resolve the placeholders. */
        for (size_t i = 0; i < g->n_stage; i++)
            if (keep[i] && ids[i] > UINT32_MAX - n_new) ids[i] = new_ids[UINT32_MAX - ids[i]];
        free(new_ids);
        for (size_t j = 0; j < n_new; j++) g->stage[which[j]].ent->n_series++;
        pthread_mutex_lock(&g->mu);
        g->stats.series_created += n_new;
        pthread_mutex_unlock(&g->mu);
    }
out:
    free(defs);
    free(which);
    return rc;
}

int ingest_message(ingest *g, const char *topic, const void *payload, size_t len, int64_t recv_ms,
                   int64_t now_ms, char *err, size_t errcap) {
    return ingest_message_prec(g, topic, payload, len, -1, recv_ms, now_ms, err, errcap);
}

/* Drops the kept staged readings that a later one of the same message
 * overwrites (same series, same time: the historian keeps the last write),
 * so a point is counted once, as accepted, and the others as overwritten.
 * Returns how many, or -1 out of memory. */
static long drop_overwritten(ingest *g, const uint32_t *ids, bool *keep) {
    size_t need = 16;
    while (need < 2 * g->n_stage) need *= 2;
    if (need > g->dup_cap) {
        uint64_t *t = realloc(g->dup_table, need * 2 * sizeof *t);
        if (!t) return -1;
        g->dup_table = t, g->dup_cap = need;
    }
    /* slot: (id + 1, ts) pairs; id + 1 == 0 marks an empty slot */
    uint64_t *t = g->dup_table;
    memset(t, 0, need * 2 * sizeof *t);
    long dropped = 0;
    for (size_t i = g->n_stage; i-- > 0;) { /* backwards: the last write wins */
        if (!keep[i]) continue;
        uint64_t id = (uint64_t)ids[i] + 1, ts = (uint64_t)g->stage[i].ts;
        uint64_t h = (id * 0x9E3779B97F4A7C15u) ^ (ts * 0xC2B2AE3D27D4EB4Fu);
        for (size_t k = (size_t)(h ^ (h >> 29)) & (need - 1);; k = (k + 1) & (need - 1)) {
            if (!t[2 * k]) {
                t[2 * k] = id, t[2 * k + 1] = ts;
                break;
            }
            if (t[2 * k] == id && t[2 * k + 1] == ts) {
                keep[i] = false, dropped++;
                break;
            }
        }
    }
    return dropped;
}

int ingest_message_prec(ingest *g, const char *topic, const void *payload, size_t len, int prec,
                        int64_t recv_ms, int64_t now_ms, char *err, size_t errcap) {
    return ingest_message_ex(g, topic, payload, len, prec, false, recv_ms, now_ms, err, errcap);
}

/* The enterprise a message is counted under when it has no single one:
 * that of its first staged reading, or NULL. */
static ent_state *first_ent(const ingest *g) {
    return g->n_stage ? g->stage[0].ent : NULL;
}

static void clear_touched(ingest *g) {
    if (!g->any_ent) return;
    for (size_t i = 0; i < g->n_ents; i++) g->ents[i].touched = false, g->ents[i].readings_here = 0;
}

int ingest_message_ex(ingest *g, const char *topic, const void *payload, size_t len, int prec,
                      bool any, int64_t recv_ms, int64_t now_ms, char *err, size_t errcap) {
    char ent_id[INGEST_ID_MAX], dev[64];
    int what;
    g->res_accepted = g->res_rejected = g->res_overwritten = 0;
    g->n_bad_lines = g->lines_rejected = 0;
    g->res_whole = false;
    g->n_stage = 0;
    if (parse_topic(topic, any, ent_id, dev, &what) != 0 || (what == 2 && !g->events_fn)) {
        reject_message(g, recv_ms, topic, NULL, "", "bad_topic",
                       g->events_fn
                           ? "topic is not park/{enterprise}/{device}/data, /status or /events"
                           : "topic is not park/{enterprise}/{device}/data or /status",
                       payload, len);
        return 0;
    }
    bool any_ent = !strcmp(ent_id, ANY_ENT); /* parse_topic let it through only when allowed */
    ent_state *e = any_ent ? NULL : find_ent(g, ent_id);
    if (!e && !any_ent) {
        reject_message(g, recv_ms, topic, NULL, ent_id, "unknown_enterprise",
                       "the enterprise is not registered in the park", payload, len);
        return 0;
    }
    if (len > g->opt.max_payload_bytes) {
        char m[96];
        snprintf(m, sizeof m, "payload of %zu bytes, at most %zu allowed", len,
                 g->opt.max_payload_bytes);
        reject_message(g, recv_ms, topic, e, e ? e->id : ANY_ENT, "payload_too_large", m, payload,
                       len);
        return 0;
    }
    if (what == 1) {
        device_status(g, e, dev, payload, len, recv_ms);
        return 0;
    }
    if (what == 2) return take_events(g, e, topic, dev, payload, len, recv_ms, err, errcap);
    g->cur_ent = e;
    g->any_ent = any_ent;
    g->cur_device = dev;
    g->now_ms = now_ms;
    g->foreign = false;
    g->n_stage = 0;
    g->names_len = 0;
    g->rejected_here = 0;
    g->n_reasons_here = 0;
    g->readings_here = 0;
    g->keys_len = 0;
    g->key_pending = false;
    g->hits_here = g->misses_here = g->resets_here = 0;
    /* Lines naming their enterprise can only be line protocol (InfluxDB's
     * /write), in nanoseconds unless the caller said otherwise. */
    ingest_lp_precision p = prec >= 0 && prec <= (int)INGEST_LP_H ? (ingest_lp_precision)prec
                            : e                                   ? e->prec
                                                                  : INGEST_LP_NS;
    int rc = payload_parse_hooked(payload, len, e ? e->format : INGEST_FMT_LINEPROTO, p, now_ms,
                                  stage_reading, stage_reject, g, NULL, true, lp_cached);
    if (rc < 0 && rc != INGEST_LP_EINVAL) {
        snprintf(err, errcap, "ingest: out of memory staging a message");
        return -1;
    }
    pthread_mutex_lock(&g->mu);
    g->stats.readings += g->readings_here;
    g->stats.series_cache_hits += g->hits_here;
    g->stats.series_cache_misses += g->misses_here;
    if (e)
        e->cnt.readings += g->readings_here;
    else
        for (size_t i = 0; i < g->n_ents; i++) {
            g->ents[i].cnt.readings += g->ents[i].readings_here;
            g->ents[i].readings_here = 0;
        }
    pthread_mutex_unlock(&g->mu);
    ent_state *counted = e ? e : first_ent(g); /* whose the message is in the counts */
    if (rc == 1 || rc == INGEST_LP_EINVAL) {   /* the parser rejected the whole message */
        const char *why = g->rejected_here ? g->first_reason : "malformed";
        const char *msg = g->rejected_here ? g->first_message : "the payload cannot be parsed";
        /* One message under its reason; the parts the parser turned down
         * on the way (noted by reason) are not counted as readings too. */
        reject_message(g, recv_ms, topic, counted, counted ? counted->id : ANY_ENT, why, msg,
                       payload, len);
        clear_touched(g);
        return 0;
    }
    if (g->foreign) {
        clear_touched(g);
        reject_message(g, recv_ms, topic, counted, counted ? counted->id : ANY_ENT,
                       "foreign_series", "the payload names a series of another enterprise",
                       payload, len);
        return 0;
    }
    if (g->n_stage > g->cap_ids) {
        size_t cap = g->n_stage * 2;
        uint32_t *ni = realloc(g->ids, cap * sizeof *ni);
        if (ni) g->ids = ni;
        bool *nk = realloc(g->keep, cap * sizeof *nk);
        if (nk) g->keep = nk;
        if (!ni || !nk) {
            snprintf(err, errcap, "ingest: out of memory");
            return -1;
        }
        g->cap_ids = cap;
    }
    uint32_t *ids = g->ids;
    bool *keep = g->keep;
    if (reserve_pending(g, g->n_stage) != 0) {
        snprintf(err, errcap, "ingest: out of memory");
        return -1;
    }
    if (register_new(g, e, ids, keep, err, errcap) != 0) return -1;
    /* The misses' series have their ids now (a series refused at the
     * limit has none and is not remembered: it is refused again). */
    for (size_t i = 0; i < g->n_stage; i++) {
        const staged *st = &g->stage[i];
        if (!st->has_key || !keep[i]) continue;
        key_cache *c = &st->ent->cache;
        uint64_t before = c->resets;
        keycache_put(c, g->keys + st->key_off, st->key_len, st->key_hash, ids[i]);
        g->resets_here += c->resets - before;
    }
    long overwritten = drop_overwritten(g, ids, keep);
    if (overwritten < 0) {
        snprintf(err, errcap, "ingest: out of memory");
        return -1;
    }
    int queued = 0;
    int64_t first_ts = INT64_MAX;
    size_t first_new = g->n_pending;
    for (size_t i = 0; i < g->n_stage; i++) {
        if (!keep[i]) continue;
        const staged *s = &g->stage[i];
        g->pending[g->n_pending++] = (hist_point){ids[i], s->q, s->ts, s->v};
        if (s->ts < first_ts) first_ts = s->ts;
        s->ent->unflushed++;
        queued++;
    }
    /* Alarms see the readings as they arrive, before the historian batch is
     * written: an alarm must not wait for a batch (the spool already holds
     * the message, so nothing is lost if the write fails later). */
    if (g->opt.alerts && queued) {
        alert_point buf[256];
        for (size_t i = first_new; i < g->n_pending;) {
            size_t k = 0;
            for (; k < 256 && i < g->n_pending; k++, i++)
                buf[k] = (alert_point){g->pending[i].series, g->pending[i].ts_ms,
                                       g->pending[i].value, g->pending[i].quality, g->now_ms};
            if (alert_points(g->opt.alerts, buf, k) < 0) {
                snprintf(err, errcap, "ingest: the alarm journal cannot be written");
                return -1;
            }
        }
    }
    if (queued && g->opt.observe)
        ingest_watch_points(&g->watch, &g->opt, g->h, g->pending + first_new,
                            g->n_pending - first_new);
    if (queued) {
        if (g->n_pending_ts == g->cap_pending_ts) {
            size_t cap = g->cap_pending_ts ? g->cap_pending_ts * 2 : 1024;
            int64_t *t = realloc(g->pending_ts, cap * sizeof *t);
            if (t) g->pending_ts = t, g->cap_pending_ts = cap;
        }
        if (g->n_pending_ts < g->cap_pending_ts) g->pending_ts[g->n_pending_ts++] = first_ts;
    }
    bool empty = !queued && !g->rejected_here;
    if (empty)
        whole_result(g, "empty", "no reading in the message");
    else
        g->res_accepted = (size_t)queued, g->res_rejected = g->rejected_here;
    g->res_overwritten = (size_t)overwritten;
    pthread_mutex_lock(&g->mu);
    g->stats.messages++;
    g->stats.series_cache_resets += g->resets_here;
    g->stats.points_overwritten += (uint64_t)overwritten;
    if (counted) counted->cnt.points_overwritten += (uint64_t)overwritten;
    const char *cid = counted ? counted->id : ANY_ENT;
    if (e) count_message(e, recv_ms, empty);
    for (size_t i = 0; !e && i < g->n_ents; i++) /* a message to each enterprise it wrote */
        if (g->ents[i].touched) count_message(&g->ents[i], recv_ms, empty);
    clear_touched(g);
    count_readings(g, counted);
    if (g->rejected_here)
        dead_letter(g, recv_ms, topic, cid, g->first_reason, g->first_message, payload, len, false);
    if (empty) {
        g->stats.messages_rejected++;
        count_reject(g, cid, "empty", true, 1);
        dead_letter(g, recv_ms, topic, cid, "empty", "no reading in the message", payload, len,
                    true);
    }
    pthread_mutex_unlock(&g->mu);
    return queued;
}

int ingest_flush(ingest *g, char *err, size_t errcap) {
    if (!g->n_pending) return 0;
    hist_error he;
    if (hist_append(g->h, g->pending, g->n_pending, &he) != HIST_OK) {
        snprintf(err, errcap, "ingest: historian append: %s", he.msg);
        return -1;
    }
    pthread_mutex_lock(&g->mu);
    g->stats.points += g->n_pending;
    for (size_t i = 0; i < g->n_ents; i++) {
        g->ents[i].cnt.points += g->ents[i].unflushed;
        g->ents[i].unflushed = 0;
    }
    pthread_mutex_unlock(&g->mu);
    g->n_pending = 0;
    if (g->n_flushed + g->n_pending_ts > g->cap_flushed) {
        size_t cap = g->cap_flushed ? g->cap_flushed : 1024;
        while (cap < g->n_flushed + g->n_pending_ts) cap *= 2;
        int64_t *t = realloc(g->flushed_ts, cap * sizeof *t);
        if (t) g->flushed_ts = t, g->cap_flushed = cap;
    }
    size_t n = g->n_pending_ts;
    if (g->n_flushed + n > g->cap_flushed) n = g->cap_flushed - g->n_flushed;
    if (n) memcpy(g->flushed_ts + g->n_flushed, g->pending_ts, n * sizeof *g->pending_ts);
    g->n_flushed += n;
    g->n_pending_ts = 0;
    return 0;
}

size_t ingest_pending_points(const ingest *g) {
    return g->n_pending;
}

static int lat_bucket(double ms) {
    if (ms < 0.01) return 0;
    int b = (int)floor(10.0 * log10(ms / 0.01)) + 1;
    return b >= LAT_BUCKETS ? LAT_BUCKETS - 1 : b;
}

static double lat_upper(int b) {
    return 0.01 * pow(10.0, b / 10.0);
}

void ingest_mark_durable(ingest *g, int64_t now_ms) {
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->n_flushed; i++) {
        double ms = (double)(now_ms - g->flushed_ts[i]);
        g->lat[lat_bucket(ms)]++;
        g->stats.latency_count++;
        if (ms > g->stats.latency_max_ms) g->stats.latency_max_ms = ms;
    }
    pthread_mutex_unlock(&g->mu);
    g->n_flushed = 0;
}

void ingest_get_stats(ingest *g, ingest_stats *out) {
    pthread_mutex_lock(&g->mu);
    *out = g->stats;
    uint64_t total = g->stats.latency_count, acc = 0;
    out->latency_p50_ms = out->latency_p99_ms = 0;
    bool have50 = false;
    for (int b = 0; b < LAT_BUCKETS && total; b++) {
        acc += g->lat[b];
        if (!have50 && acc * 2 >= total) out->latency_p50_ms = lat_upper(b), have50 = true;
        if (acc * 100 >= total * 99) {
            out->latency_p99_ms = lat_upper(b);
            break;
        }
    }
    pthread_mutex_unlock(&g->mu);
}

size_t ingest_dead_letters(ingest *g, ingest_dead_letter *out, size_t cap) {
    pthread_mutex_lock(&g->mu);
    size_t n = g->dead_n < cap ? g->dead_n : cap;
    size_t c = g->opt.dead_letter_capacity;
    for (size_t i = 0; i < n; i++) out[i] = g->dead[(g->dead_next + c - 1 - i) % c];
    pthread_mutex_unlock(&g->mu);
    return n;
}

size_t ingest_enterprise_counts(ingest *g, ingest_enterprise_count *out, size_t cap) {
    pthread_mutex_lock(&g->mu);
    size_t n = g->n_ents < cap ? g->n_ents : cap;
    for (size_t i = 0; i < n; i++) out[i] = g->ents[i].cnt;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void ingest_last_result(const ingest *g, ingest_submit_result *out) {
    memset(out, 0, sizeof *out);
    out->readings_accepted = g->res_accepted;
    out->readings_rejected = g->res_rejected;
    out->message_rejected = g->res_whole;
    out->points_overwritten = g->res_overwritten;
    out->lines_rejected = g->lines_rejected;
    out->n_bad_lines = g->n_bad_lines;
    memcpy(out->bad_lines, g->bad_lines, g->n_bad_lines * sizeof *g->bad_lines);
    if (g->res_whole) {
        snprintf(out->first_reason, sizeof out->first_reason, "%s", g->res_reason);
        snprintf(out->first_message, sizeof out->first_message, "%s", g->res_message);
    } else if (g->res_rejected) {
        snprintf(out->first_reason, sizeof out->first_reason, "%s", g->first_reason);
        snprintf(out->first_message, sizeof out->first_message, "%s", g->first_message);
    }
}

size_t ingest_devices(ingest *g, ingest_device *out, size_t cap) {
    pthread_mutex_lock(&g->mu);
    size_t n = g->n_devices < cap ? g->n_devices : cap;
    memcpy(out, g->devices, n * sizeof *out);
    pthread_mutex_unlock(&g->mu);
    return n;
}
