/*
 * store.c - the risk units kept: an array sorted by id in memory (the
 * source of every answer) and RocksDB underneath (what survives a
 * restart), both changed under one lock.
 *
 * Keys (FORMAT in docs/reference/risk-grading.md, "Storage"):
 *   u/<id>                          the unit: {"unit": its input members,
 *                                   "level", "live": {...}, "updated_ms", "updated_by"}
 *   h/<id>/<ts 8 bytes><seq 8 bytes> a history entry (JSON), ts big-endian
 *                                   with its sign bit flipped, seq the store's
 *   s                               the last seq used (8 bytes big-endian)
 * A unit's record and its history entries go in one write batch, and an
 * import's every unit in one: a failed write changes nothing, in memory
 * either (the array is changed only after the write succeeded).
 *
 * The live level is written only when it or its reasons change; parkd
 * calls riskunits_update_live for every unit every few seconds, and a
 * quiet park then writes nothing.
 */
#include "riskunits/internal.h"

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct riskunits {
    pthread_mutex_t mu;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    ru_bands bands;
    ru_unit *v; /* sorted by id */
    size_t n, cap;
    uint64_t seq;
};

const ru_bands *ru_store_bands(const riskunits *ru) {
    return &ru->bands;
}

/* ---- keys and records ---- */

static void put_be64(unsigned char *p, uint64_t x) {
    for (int i = 7; i >= 0; i--, x >>= 8) p[i] = (unsigned char)x;
}

static uint64_t get_be64(const unsigned char *p) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x = x << 8 | p[i];
    return x;
}

/* "h/<id>/" and, when ts is given, the 16 bytes after it; returns the length. */
static size_t hist_key(unsigned char *k, const char *id, const int64_t *ts, uint64_t seq) {
    size_t n = (size_t)snprintf((char *)k, 80, "h/%s/", id);
    if (!ts) return n;
    put_be64(k + n, (uint64_t)*ts ^ (1ull << 63));
    put_be64(k + n + 8, seq);
    return n + 16;
}

static long find(const riskunits *ru, const char *id) {
    size_t lo = 0, hi = ru->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ru->v[mid].id, id);
        if (!c) return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static json_t *reasons_json(const ru_unit *u) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < u->n_reasons; i++)
        json_array_append_new(a, json_string(u->reasons[i]));
    return a;
}

static char *record_text(const ru_unit *u, size_t *len) {
    json_t *counts = json_pack("[i,i,i,i]", u->alarms_by_priority[0], u->alarms_by_priority[1],
                               u->alarms_by_priority[2], u->alarms_by_priority[3]);
    json_t *rec = json_pack("{s:o*,s:s,s:{s:s,s:o*,s:I,s:o*,s:i,s:i,s:i},s:I,s:s}", "unit",
                            ru_unit_input_json(u), "level", ru_level_name(u->level), "live",
                            "level", ru_level_name(u->live), "reasons", reasons_json(u), "since_ms",
                            (json_int_t)u->live_since_ms, "alarms", counts, "hazards_open",
                            u->hazards_open, "hazards_overdue", u->hazards_overdue,
                            "hazards_major_open", u->hazards_major_open, "updated_ms",
                            (json_int_t)u->updated_ms, "updated_by", u->updated_by);
    char *t = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (t) *len = strlen(t);
    return t;
}

static void batch_unit(rocksdb_writebatch_t *b, const ru_unit *u, bool *oom) {
    char key[72];
    size_t len = 0;
    int kn = snprintf(key, sizeof key, "u/%s", u->id);
    char *t = record_text(u, &len);
    if (!t) {
        *oom = true;
        return;
    }
    rocksdb_writebatch_put(b, key, (size_t)kn, t, len);
    free(t);
}

/* A history entry: the level's change, who and why. */
static void batch_history(riskunits *ru, rocksdb_writebatch_t *b, const char *id, int64_t ts,
                          const char *what, ru_level level, int previous, const char *by,
                          json_t *why, bool *oom) {
    unsigned char key[96];
    size_t kn = hist_key(key, id, &ts, ++ru->seq);
    json_t *e = json_pack("{s:I,s:s,s:s,s:o,s:s,s:o*}", "ts_ms", (json_int_t)ts, "what", what,
                          "level", ru_level_name(level), "previous",
                          previous < 0 ? json_null() : json_string(ru_level_name(previous)), "by",
                          by ? by : "", "why", why ? why : json_array());
    char *t = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!t) {
        *oom = true;
        return;
    }
    rocksdb_writebatch_put(b, (const char *)key, kn, t, strlen(t));
    free(t);
    unsigned char s[8];
    put_be64(s, ru->seq);
    rocksdb_writebatch_put(b, "s", 1, (const char *)s, 8);
}

static int write_batch(riskunits *ru, rocksdb_writebatch_t *b, bool oom, char *err, size_t errcap) {
    char *rerr = NULL;
    if (!oom) rocksdb_write(ru->db, ru->wopts, b, &rerr);
    rocksdb_writebatch_destroy(b);
    if (oom || rerr) {
        snprintf(err, errcap, "the store: %s", oom ? "out of memory" : rerr);
        rocksdb_free(rerr);
        return RU_EIO;
    }
    return 0;
}

/* The rule's lines, then the caller's reasons kept from before (those past
 * the rule's lines), then the level they give. */
static ru_level relive(ru_unit *u, const char *const *caller, size_t n_caller) {
    ru_live_inputs in = {.hazards_open = u->hazards_open,
                         .hazards_overdue = u->hazards_overdue,
                         .hazards_major_open = u->hazards_major_open,
                         .reasons = caller,
                         .n_reasons = n_caller};
    memcpy(in.alarms_by_priority, u->alarms_by_priority, sizeof in.alarms_by_priority);
    char reasons[RU_REASONS_MAX][RU_REASON_MAX];
    size_t n;
    ru_level live = ru_live_level(u->level, &in, reasons, &n);
    memcpy(u->reasons, reasons, n * sizeof reasons[0]);
    u->n_reasons = n;
    return live;
}

static const char *method_why(const ru_unit *u, char *buf, size_t cap) {
    if (u->method == RU_LEC)
        snprintf(buf, cap, "LEC D = %g x %g x %g = %g: %s", u->l, u->e, u->c, u->score,
                 ru_level_name(u->level));
    else
        snprintf(buf, cap, "LS R = %d x %d = %d: %s", (int)u->l, u->s, (int)u->score,
                 ru_level_name(u->level));
    return buf;
}

/* ---- open, close ---- */

static int load_unit(riskunits *ru, const char *v, size_t vl, rocksdb_writebatch_t *b, bool *oom,
                     int64_t now_ms, char *err, size_t errcap) {
    json_error_t je;
    json_t *rec = json_loadb(v, vl, 0, &je);
    ru_unit u;
    char uerr[200];
    if (!rec ||
        ru_unit_parse(json_object_get(rec, "unit"), &ru->bands, &u, NULL, uerr, sizeof uerr) != 0) {
        snprintf(err, errcap, "a stored unit does not read: %s", rec ? uerr : je.text);
        json_decref(rec);
        if (rec) ru_unit_release(&u);
        return -1;
    }
    ru_level was = u.level, was_live = u.level;
    ru_level_parse(json_string_value(json_object_get(rec, "level")), &was);
    const json_t *live = json_object_get(rec, "live");
    ru_level_parse(json_string_value(json_object_get(live, "level")), &was_live);
    u.live_since_ms = json_integer_value(json_object_get(live, "since_ms"));
    u.updated_ms = json_integer_value(json_object_get(rec, "updated_ms"));
    snprintf(u.updated_by, sizeof u.updated_by, "%s",
             json_string_value(json_object_get(rec, "updated_by"))
                 ? json_string_value(json_object_get(rec, "updated_by"))
                 : "");
    for (int i = 0; i < 4; i++)
        u.alarms_by_priority[i] =
            (unsigned)json_integer_value(json_array_get(json_object_get(live, "alarms"), i));
    u.hazards_open = (unsigned)json_integer_value(json_object_get(live, "hazards_open"));
    u.hazards_overdue = (unsigned)json_integer_value(json_object_get(live, "hazards_overdue"));
    u.hazards_major_open =
        (unsigned)json_integer_value(json_object_get(live, "hazards_major_open"));
    /* the caller's reasons are those past the rule's own lines */
    const json_t *rs = json_object_get(live, "reasons");
    const char *caller[RU_REASONS_MAX];
    size_t n_caller = 0, n_rule = 0;
    relive(&u, NULL, 0);
    n_rule = u.n_reasons;
    for (size_t i = n_rule; i < json_array_size(rs) && n_caller < RU_REASONS_MAX; i++)
        if (json_string_value(json_array_get(rs, i)))
            caller[n_caller++] = json_string_value(json_array_get(rs, i));
    u.live = relive(&u, caller, n_caller);
    json_decref(rec);
    if (was != u.level || was_live != u.live) {
        /* the park's bands changed since the unit was graded */
        char why[200];
        if (was != u.level)
            batch_history(ru, b, u.id, now_ms, "assessed", u.level, (int)was, "bands",
                          json_pack("[s]", method_why(&u, why, sizeof why)), oom);
        if (was_live != u.live)
            batch_history(ru, b, u.id, now_ms, "live", u.live, (int)was_live, "bands",
                          reasons_json(&u), oom);
        u.live_since_ms = now_ms;
        batch_unit(b, &u, oom);
    }
    if (ru->n == ru->cap) {
        size_t cap = ru->cap ? ru->cap * 2 : 64;
        ru_unit *nv = realloc(ru->v, cap * sizeof *nv);
        if (!nv) return ru_unit_release(&u), snprintf(err, errcap, "out of memory"), -1;
        ru->v = nv, ru->cap = cap;
    }
    ru->v[ru->n++] = u; /* the keys come sorted by id */
    return 0;
}

int riskunits_open(const char *dir, const ru_bands *bands, riskunits **out, char *err,
                   size_t errcap) {
    *out = NULL;
    riskunits *ru = calloc(1, sizeof *ru);
    if (!ru) return snprintf(err, errcap, "out of memory"), -1;
    pthread_mutex_init(&ru->mu, NULL);
    if (bands)
        ru->bands = *bands;
    else
        ru_bands_default(&ru->bands);
    ru->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(ru->opts, 1);
    rocksdb_options_set_info_log_level(ru->opts, 4);
    rocksdb_options_set_keep_log_file_num(ru->opts, 2);
    ru->wopts = rocksdb_writeoptions_create();
    ru->ropts = rocksdb_readoptions_create();
    char *rerr = NULL;
    ru->db = rocksdb_open(ru->opts, dir, &rerr);
    if (rerr) {
        snprintf(err, errcap, "%s: %s", dir, rerr);
        rocksdb_free(rerr);
        riskunits_close(ru);
        return -1;
    }
    size_t sl = 0;
    char *s = rocksdb_get(ru->db, ru->ropts, "s", 1, &sl, &rerr);
    if (s && sl == 8) ru->seq = get_be64((const unsigned char *)s);
    rocksdb_free(s);
    rocksdb_free(rerr);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    bool oom = false;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, "u0", 2); /* '0' follows '/' */
    rocksdb_iterator_t *it = rocksdb_create_iterator(ru->db, ro);
    int rc = 0;
    int64_t now_ms = 0;
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    for (rocksdb_iter_seek(it, "u/", 2); rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(it, &vl);
        rc = load_unit(ru, v, vl, b, &oom, now_ms, err, errcap);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (rc != 0) {
        rocksdb_writebatch_destroy(b);
        riskunits_close(ru);
        return -1;
    }
    if (write_batch(ru, b, oom, err, errcap) != 0) {
        riskunits_close(ru);
        return -1;
    }
    *out = ru;
    return 0;
}

void riskunits_close(riskunits *ru) {
    if (!ru) return;
    for (size_t i = 0; i < ru->n; i++) ru_unit_release(&ru->v[i]);
    free(ru->v);
    if (ru->db) rocksdb_close(ru->db);
    if (ru->opts) rocksdb_options_destroy(ru->opts);
    if (ru->wopts) rocksdb_writeoptions_destroy(ru->wopts);
    if (ru->ropts) rocksdb_readoptions_destroy(ru->ropts);
    pthread_mutex_destroy(&ru->mu);
    free(ru);
}

size_t riskunits_count(riskunits *ru) {
    pthread_mutex_lock(&ru->mu);
    size_t n = ru->n;
    pthread_mutex_unlock(&ru->mu);
    return n;
}

/* ---- changes ---- */

/* The caller's reasons of u: those past the rule's own lines. */
static size_t caller_reasons(ru_unit *u, const char **out) {
    ru_unit probe = *u;
    probe.geometry = NULL, probe.assets = NULL;
    relive(&probe, NULL, 0);
    size_t n = 0;
    for (size_t i = probe.n_reasons; i < u->n_reasons; i++) out[n++] = u->reasons[i];
    return n;
}

int ru_store_apply(riskunits *ru, ru_unit *units, size_t n, const char *by,
                   const char *only_enterprise, int64_t now_ms, char *err, size_t errcap) {
    int rc = 0;
    pthread_mutex_lock(&ru->mu);
    for (size_t i = 0; i < n && !rc; i++) {
        long at = find(ru, units[i].id);
        if (only_enterprise && (strcmp(units[i].enterprise, only_enterprise) ||
                                (at >= 0 && strcmp(ru->v[at].enterprise, only_enterprise)))) {
            snprintf(err, errcap, "%s: a unit of another enterprise", units[i].id);
            rc = RU_EFORBIDDEN;
        }
    }
    if (!rc && ru->n + n > RU_UNITS_MAX) {
        snprintf(err, errcap, "at most %d risk units", RU_UNITS_MAX);
        rc = RU_EINVAL;
    }
    rocksdb_writebatch_t *b = rc ? NULL : rocksdb_writebatch_create();
    bool oom = false;
    uint64_t seq0 = ru->seq;
    for (size_t i = 0; b && i < n; i++) {
        ru_unit *u = &units[i];
        long at = find(ru, u->id);
        ru_unit *old = at >= 0 ? &ru->v[at] : NULL;
        char why[200];
        snprintf(u->updated_by, sizeof u->updated_by, "%s", by ? by : "");
        u->updated_ms = now_ms;
        if (old) {
            memcpy(u->alarms_by_priority, old->alarms_by_priority, sizeof u->alarms_by_priority);
            u->hazards_open = old->hazards_open, u->hazards_overdue = old->hazards_overdue;
            u->hazards_major_open = old->hazards_major_open;
            const char *caller[RU_REASONS_MAX];
            size_t nc = caller_reasons(old, caller);
            u->live = relive(u, caller, nc);
            u->live_since_ms = u->live == old->live ? old->live_since_ms : now_ms;
            if (u->level != old->level)
                batch_history(ru, b, u->id, now_ms, "assessed", u->level, (int)old->level, by,
                              json_pack("[s]", method_why(u, why, sizeof why)), &oom);
            if (u->live != old->live)
                batch_history(ru, b, u->id, now_ms, "live", u->live, (int)old->live, by,
                              reasons_json(u), &oom);
        } else {
            u->live = relive(u, NULL, 0);
            u->live_since_ms = now_ms;
            batch_history(ru, b, u->id, now_ms, "assessed", u->level, -1, by,
                          json_pack("[s]", method_why(u, why, sizeof why)), &oom);
            batch_history(ru, b, u->id, now_ms, "live", u->live, -1, by,
                          json_pack("[s]", "the assessed level"), &oom);
        }
        batch_unit(b, u, &oom);
    }
    if (b) rc = write_batch(ru, b, oom, err, errcap);
    if (rc) ru->seq = seq0;
    for (size_t i = 0; i < n; i++) {
        if (rc) {
            ru_unit_release(&units[i]);
            continue;
        }
        long at = find(ru, units[i].id);
        if (at >= 0) {
            ru_unit_release(&ru->v[at]);
            ru->v[at] = units[i];
            continue;
        }
        if (ru->n == ru->cap) {
            size_t cap = ru->cap ? ru->cap * 2 : 64;
            ru_unit *nv = realloc(ru->v, cap * sizeof *nv);
            if (!nv) { /* stored, but not shown until the next open */
                ru_unit_release(&units[i]);
                continue;
            }
            ru->v = nv, ru->cap = cap;
        }
        size_t pos = (size_t)(-at - 1);
        memmove(&ru->v[pos + 1], &ru->v[pos], (ru->n - pos) * sizeof *ru->v);
        ru->v[pos] = units[i];
        ru->n++;
    }
    pthread_mutex_unlock(&ru->mu);
    return rc;
}

int riskunits_put(riskunits *ru, const json_t *unit, const char *by, const char *only_enterprise,
                  int64_t now_ms, char id_out[64], char *err, size_t errcap) {
    ru_unit u;
    if (ru_unit_parse(unit, &ru->bands, &u, NULL, err, errcap) != 0) {
        ru_unit_release(&u);
        return RU_EINVAL;
    }
    if (id_out) snprintf(id_out, 64, "%s", u.id);
    return ru_store_apply(ru, &u, 1, by, only_enterprise, now_ms, err, errcap);
}

int riskunits_update_live(riskunits *ru, const char *unit_id, const ru_live_inputs *in,
                          int64_t now_ms) {
    pthread_mutex_lock(&ru->mu);
    long at = unit_id ? find(ru, unit_id) : -1;
    if (at < 0) {
        pthread_mutex_unlock(&ru->mu);
        return RU_ENOENT;
    }
    ru_unit *u = &ru->v[at];
    char reasons[RU_REASONS_MAX][RU_REASON_MAX];
    size_t n_reasons;
    ru_level live = ru_live_level(u->level, in, reasons, &n_reasons);
    bool same_reasons = n_reasons == u->n_reasons;
    for (size_t i = 0; same_reasons && i < n_reasons; i++)
        same_reasons = !strcmp(reasons[i], u->reasons[i]);
    if (live == u->live && same_reasons) {
        pthread_mutex_unlock(&ru->mu);
        return 0;
    }
    ru_unit next = *u;
    memcpy(next.reasons, reasons, n_reasons * sizeof reasons[0]);
    next.n_reasons = n_reasons;
    next.live = live;
    if (in) {
        memcpy(next.alarms_by_priority, in->alarms_by_priority, sizeof next.alarms_by_priority);
        next.hazards_open = in->hazards_open, next.hazards_overdue = in->hazards_overdue;
        next.hazards_major_open = in->hazards_major_open;
    } else {
        memset(next.alarms_by_priority, 0, sizeof next.alarms_by_priority);
        next.hazards_open = next.hazards_overdue = next.hazards_major_open = 0;
    }
    if (live != u->live) next.live_since_ms = now_ms;
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    bool oom = false;
    uint64_t seq0 = ru->seq;
    if (live != u->live) {
        json_t *why = reasons_json(&next);
        if (why && !json_array_size(why))
            json_array_append_new(why, json_string("nothing raises it: the assessed level"));
        batch_history(ru, b, u->id, now_ms, "live", live, (int)u->live, "live", why, &oom);
    }
    batch_unit(b, &next, &oom);
    char err[200];
    int rc = write_batch(ru, b, oom, err, sizeof err);
    if (rc)
        ru->seq = seq0;
    else
        *u = next; /* same geometry and assets: owned as before */
    pthread_mutex_unlock(&ru->mu);
    return rc;
}

/* ---- reads ---- */

static bool passes(const ru_unit *u, const ru_filter *f) {
    if (!f) return true;
    if (f->enterprise && strcmp(f->enterprise, u->enterprise)) return false;
    if (f->level && *f->level != u->level) return false;
    if (f->live_level && *f->live_level != u->live) return false;
    return !f->keep || f->keep(f->ctx, u->enterprise);
}

json_t *riskunits_list(riskunits *ru, const ru_filter *f) {
    json_t *a = json_array();
    pthread_mutex_lock(&ru->mu);
    for (size_t i = 0; a && i < ru->n; i++)
        if (passes(&ru->v[i], f)) json_array_append_new(a, ru_unit_json(&ru->v[i]));
    pthread_mutex_unlock(&ru->mu);
    return a;
}

json_t *riskunits_map(riskunits *ru, const ru_filter *f) {
    json_t *features = json_array();
    pthread_mutex_lock(&ru->mu);
    for (size_t i = 0; features && i < ru->n; i++) {
        const ru_unit *u = &ru->v[i];
        if (!passes(u, f)) continue;
        json_t *props =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o*,s:f}", "id", u->id, "enterprise",
                      u->enterprise, "name", u->name, "name_zh", u->name_zh, "kind", u->kind,
                      "level", ru_level_name(u->level), "colour", ru_level_colour(u->level),
                      "live_level", ru_level_name(u->live), "live_colour", ru_level_colour(u->live),
                      "reasons", reasons_json(u), "score", u->score);
        json_t *feat = json_pack("{s:s,s:s,s:o*,s:o*}", "type", "Feature", "id", u->id, "geometry",
                                 json_loads(u->geometry, 0, NULL), "properties", props);
        if (feat) json_array_append_new(features, feat);
    }
    pthread_mutex_unlock(&ru->mu);
    return json_pack("{s:s,s:o*}", "type", "FeatureCollection", "features", features);
}

/* Walks the unit's history oldest first, calling fn per entry until it
 * returns false. */
static void walk_history(riskunits *ru, const char *id, bool (*fn)(void *ctx, json_t *e),
                         void *ctx) {
    unsigned char lo[96], hi[96];
    size_t ln = hist_key(lo, id, NULL, 0);
    memcpy(hi, lo, ln);
    hi[ln - 1] = '/' + 1;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, ln);
    rocksdb_iterator_t *it = rocksdb_create_iterator(ru->db, ro);
    for (rocksdb_iter_seek(it, (const char *)lo, ln); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(it, &vl);
        json_t *e = json_loadb(v, vl, 0, NULL);
        if (e && !fn(ctx, e)) break;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
}

typedef struct range_walk {
    int64_t from, to;
    size_t keep_last; /* 0: all */
    json_t *out;
} range_walk;

static bool on_range(void *ctx, json_t *e) {
    range_walk *w = ctx;
    int64_t ts = json_integer_value(json_object_get(e, "ts_ms"));
    if (ts < w->from) return json_decref(e), true;
    if (ts > w->to) return json_decref(e), false;
    json_array_append_new(w->out, e);
    if (w->keep_last && json_array_size(w->out) > w->keep_last) json_array_remove(w->out, 0);
    return true;
}

int riskunits_history(riskunits *ru, const char *id, int64_t from_ms, int64_t to_ms, json_t **out) {
    *out = NULL;
    pthread_mutex_lock(&ru->mu);
    int rc = find(ru, id) >= 0 ? 0 : RU_ENOENT;
    range_walk w = {from_ms, to_ms, 0, rc ? NULL : json_array()};
    if (!rc) walk_history(ru, id, on_range, &w);
    pthread_mutex_unlock(&ru->mu);
    *out = w.out;
    return rc;
}

int riskunits_get(riskunits *ru, const char *id, const ru_filter *f, size_t max_history,
                  json_t **out) {
    *out = NULL;
    pthread_mutex_lock(&ru->mu);
    long at = find(ru, id);
    if (at < 0 || !passes(&ru->v[at], f)) {
        pthread_mutex_unlock(&ru->mu);
        return RU_ENOENT;
    }
    json_t *o = ru_unit_json(&ru->v[at]);
    range_walk w = {INT64_MIN, INT64_MAX, max_history ? max_history : 1, json_array()};
    walk_history(ru, id, on_range, &w);
    pthread_mutex_unlock(&ru->mu);
    json_t *newest_first = json_array();
    for (size_t i = json_array_size(w.out); max_history && i-- > 0;)
        json_array_append(newest_first, json_array_get(w.out, i));
    json_decref(w.out);
    json_object_set_new(o, "history", newest_first);
    *out = o;
    return 0;
}

typedef struct at_walk {
    int64_t at;
    int assessed, live;
} at_walk;

static bool on_at(void *ctx, json_t *e) {
    at_walk *w = ctx;
    bool before = json_integer_value(json_object_get(e, "ts_ms")) <= w->at;
    ru_level l;
    if (before && ru_level_parse(json_string_value(json_object_get(e, "level")), &l)) {
        const char *what = json_string_value(json_object_get(e, "what"));
        if (what && !strcmp(what, "assessed")) w->assessed = (int)l;
        if (what && !strcmp(what, "live")) w->live = (int)l;
    }
    json_decref(e);
    return before;
}

int riskunits_level_at(riskunits *ru, const char *id, int64_t at_ms, ru_level *assessed,
                       ru_level *live) {
    at_walk w = {at_ms, -1, -1};
    pthread_mutex_lock(&ru->mu);
    if (find(ru, id) >= 0) walk_history(ru, id, on_at, &w);
    pthread_mutex_unlock(&ru->mu);
    if (w.assessed < 0) return RU_ENOENT;
    *assessed = (ru_level)w.assessed;
    *live = (ru_level)(w.live < 0 ? w.assessed : w.live);
    return 0;
}
