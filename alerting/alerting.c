/*
 * alerting.c - rule evaluation, the alarm state machine and its journal.
 * The model and the rules are in alerting.h.
 *
 * Journal records live in their own RocksDB database (DIR/journal), keyed
 * by big-endian (time, sequence) so a time range is one scan. A record:
 * version 1, u64 seq, i64 ts, u32 rule, action, from, to, flags (bit 0
 * active, 1 shelved, 2 suppressed, 3 out of service), f64 value, f64 limit,
 * i64 shelved-until, then user and comment, each NUL-terminated; integers
 * little-endian.
 */
#include <math.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "alerting/alerting.h"
#include "alerting/internal.h"

#include "common/byteorder.h"
#include "common/clock.h"

/* Records the journal could not write (disk full) wait in memory, in
 * order, and are retried at most once a second once the disk has room; past
 * this many the engine reports failure. */
#define JOURNAL_WAIT_MAX   100000
#define JOURNAL_RETRY_MS   1000
#define JOURNAL_ROOM_BYTES ((uint64_t)4 << 20)

/* ---- names ---- */

static const char *const kind_names[] = {"high",  "high_high", "low",       "low_low",   "rate",
                                         "stale", "fault",     "deviation", "imbalance", "stuck",
                                         "range", "drift",     "flapping",  "condition"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == ALERT_KIND_COUNT,
               "a name for every alert_kind");
static const char *const state_names[] = {"normal", "unack", "acked", "rtn_unack"};
static const char *const class_names[] = {"process", "instrument"};
static const char *const origin_names[] = {"derived", "config", "manual", "engine"};

const char *alert_kind_name(alert_kind k) {
    return (unsigned)k < ALERT_KIND_COUNT ? kind_names[k] : "?";
}

bool alert_kind_parse(const char *name, alert_kind *out) {
    for (unsigned k = 0; name && k < ALERT_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (alert_kind)k;
            return true;
        }
    return false;
}

alert_class alert_kind_class(alert_kind k) {
    switch (k) {
        case ALERT_STALE:
        case ALERT_FAULT:
        case ALERT_STUCK:
        case ALERT_RANGE:
        case ALERT_DRIFT:
        case ALERT_FLAPPING:
            return ALERT_CLASS_INSTRUMENT;
        default:
            return ALERT_CLASS_PROCESS;
    }
}

const char *alert_class_name(alert_class c) {
    return (unsigned)c <= ALERT_CLASS_INSTRUMENT ? class_names[c] : "?";
}

const char *alert_origin_name(alert_origin o) {
    return (unsigned)o <= ALERT_ORIGIN_ENGINE ? origin_names[o] : "?";
}

const char *alert_state_name(alert_state s) {
    return (unsigned)s < 4 ? state_names[s] : "?";
}

/* ---- journal ---- */

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* Times are offset so that negative ones still sort (they do not occur). */
static uint64_t ts_key(int64_t ts) {
    return (uint64_t)ts ^ ((uint64_t)1 << 63);
}

/* Record version 2: [0] version, [1..9) seq, [9..17) ts, [17..21) rule,
 * [21] action, [22] from, [23] to, [24..32) value, [32..40) limit,
 * [40] flags, [41..49) shelved until, then user and comment (NUL-ended).
 * Version 1 put the flags at [39], over the limit's last byte: its limit
 * is not trusted (taken from the rule when read back). */
#define RECORD_VERSION 2
#define RECORD_FIXED   49
#define RECORD_FIXED_1 48

static size_t encode_event(const alert_event *ev, uint8_t *out, size_t cap) {
    size_t ul = strlen(ev->user), cl = strlen(ev->comment);
    if (RECORD_FIXED + ul + cl + 2 > cap) return 0;
    uint64_t vb, lb;
    memcpy(&vb, &ev->value, 8);
    memcpy(&lb, &ev->limit, 8);
    out[0] = RECORD_VERSION;
    put_le(out + 1, ev->seq, 8);
    put_le(out + 9, (uint64_t)ev->ts_ms, 8);
    put_le(out + 17, ev->rule, 4);
    out[21] = (uint8_t)ev->action, out[22] = (uint8_t)ev->from, out[23] = (uint8_t)ev->to;
    put_le(out + 24, vb, 8);
    put_le(out + 32, lb, 8);
    out[40] =
        (uint8_t)(ev->active | ev->shelved << 1 | ev->suppressed << 2 | ev->out_of_service << 3);
    put_le(out + 41, (uint64_t)ev->shelved_until_ms, 8);
    memcpy(out + RECORD_FIXED, ev->user, ul + 1);
    memcpy(out + RECORD_FIXED + ul + 1, ev->comment, cl + 1);
    return RECORD_FIXED + ul + cl + 2;
}

static bool decode_event(const uint8_t *p, size_t len, alert_event *ev) {
    if (len < 1 || (p[0] != 1 && p[0] != RECORD_VERSION)) return false;
    size_t fixed = p[0] == 1 ? RECORD_FIXED_1 : RECORD_FIXED;
    if (len < fixed + 2 || p[21] > ALERT_ACT_IN_SERVICE || p[22] > 3 || p[23] > 3 ||
        p[len - 1] != 0)
        return false;
    memset(ev, 0, sizeof *ev);
    ev->seq = get_le(p + 1, 8);
    ev->ts_ms = (int64_t)get_le(p + 9, 8);
    ev->rule = (uint32_t)get_le(p + 17, 4);
    ev->action = (alert_action)p[21];
    ev->from = (alert_state)p[22], ev->to = (alert_state)p[23];
    uint64_t vb = get_le(p + 24, 8), lb = get_le(p + 32, 8);
    memcpy(&ev->value, &vb, 8);
    memcpy(&ev->limit, &lb, 8);
    uint8_t flags = p[fixed - 9];
    if (p[0] == 1) ev->limit = NAN; /* see RECORD_VERSION */
    ev->active = flags & 1, ev->shelved = flags >> 1 & 1;
    ev->suppressed = flags >> 2 & 1, ev->out_of_service = flags >> 3 & 1;
    ev->shelved_until_ms = (int64_t)get_le(p + fixed - 8, 8);
    const char *user = (const char *)p + fixed;
    size_t ul = strnlen(user, len - fixed);
    if (fixed + ul + 1 >= len) return false;
    snprintf(ev->user, sizeof ev->user, "%s", user);
    snprintf(ev->comment, sizeof ev->comment, "%s", user + ul + 1);
    return true;
}

/* ---- the journal's writes, through a full disk ---- */

static void journal_broke(alert_engine *e, const char *why) {
    if (!e->journal_broken) e->broken_since_ms = pw_wall_ms();
    e->journal_broken = true;
    snprintf(e->journal_error, sizeof e->journal_error, "%s", why);
}

/* Writes the waiting records, reopening RocksDB first when it refused a
 * write. Caller holds mu. */
void alerting_journal_retry(alert_engine *e) {
    int64_t now = pw_mono_ms();
    if (!e->n_waiting || now - e->retry_ms < JOURNAL_RETRY_MS) return;
    e->retry_ms = now;
    if (e->journal_broken) {
        struct statvfs v;
        if (statvfs(e->path, &v) != 0 || (uint64_t)v.f_bavail * v.f_frsize < JOURNAL_ROOM_BYTES)
            return;
        if (e->db) rocksdb_close(e->db);
        char *rerr = NULL;
        e->db = rocksdb_open(e->opts, e->path, &rerr);
        if (rerr) {
            e->db = NULL;
            journal_broke(e, rerr);
            rocksdb_free(rerr);
            return;
        }
    }
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    for (size_t i = 0; i < e->n_waiting; i++)
        rocksdb_writebatch_put(b, (const char *)e->waiting[i].key, 16,
                               (const char *)e->waiting[i].val, e->waiting[i].len);
    char *err = NULL;
    rocksdb_write(e->db, e->wopts, b, &err);
    rocksdb_writebatch_destroy(b);
    if (err) {
        journal_broke(e, err);
        rocksdb_free(err);
        return;
    }
    for (size_t i = 0; i < e->n_waiting; i++) free(e->waiting[i].val);
    e->n_waiting = 0;
    e->journal_broken = false;
    e->journal_error[0] = 0;
}

/* Caller holds mu. -1 only when the waiting list is full or out of memory. */
static int journal_put(alert_engine *e, const uint8_t key[16], const uint8_t *val, size_t len) {
    if (e->n_waiting) alerting_journal_retry(e);
    if (!e->n_waiting && !e->journal_broken) {
        char *err = NULL;
        rocksdb_put(e->db, e->wopts, (const char *)key, 16, (const char *)val, len, &err);
        if (!err) return 0;
        journal_broke(e, err);
        rocksdb_free(err);
        e->retry_ms = pw_mono_ms();
    }
    if (e->n_waiting == e->cap_waiting) {
        size_t cap = e->cap_waiting ? e->cap_waiting * 2 : 64;
        waiting_record *w = cap <= JOURNAL_WAIT_MAX ? realloc(e->waiting, cap * sizeof *w) : NULL;
        if (!w) {
            e->journal_failed = true;
            return -1;
        }
        e->waiting = w;
        e->cap_waiting = cap;
    }
    waiting_record *w = &e->waiting[e->n_waiting];
    if (!(w->val = malloc(len ? len : 1))) {
        e->journal_failed = true;
        return -1;
    }
    memcpy(w->key, key, 16);
    memcpy(w->val, val, len);
    w->len = len;
    e->n_waiting++;
    return 0;
}

bool alert_journal_error(alert_engine *e, char *msg, size_t cap, size_t *waiting,
                         int64_t *since_ms) {
    pthread_mutex_lock(&e->mu);
    bool bad = e->journal_broken || e->n_waiting;
    if (msg && cap) snprintf(msg, cap, "%s", bad ? e->journal_error : "");
    if (waiting) *waiting = e->n_waiting;
    if (since_ms) *since_ms = bad ? e->broken_since_ms : 0;
    pthread_mutex_unlock(&e->mu);
    return bad;
}

/* Journals the rule's current state as the outcome of action, then tells
 * the subscribers. Caller holds mu. */
int alerting_transition(alert_engine *e, uint32_t id, alert_action action, alert_state from,
                        int64_t ts, const char *user, const char *comment) {
    rule_state *r = &e->rules[id];
    alert_event ev = {.seq = ++e->seq,
                      .ts_ms = ts,
                      .rule = id,
                      .action = action,
                      .from = from,
                      .to = r->state,
                      .active = r->active,
                      .shelved = r->shelved,
                      .suppressed = r->suppressed,
                      .out_of_service = r->oos,
                      .shelved_until_ms = r->shelved ? r->shelved_until_ms : 0,
                      .value = r->value,
                      .limit = r->r.limit};
    snprintf(ev.user, sizeof ev.user, "%s", user ? user : "");
    snprintf(ev.comment, sizeof ev.comment, "%s", comment ? comment : "");
    uint8_t key[16], val[RECORD_FIXED + sizeof ev.user + sizeof ev.comment];
    pw_put_be64(key, ts_key(ts));
    pw_put_be64(key + 8, ev.seq);
    size_t len = encode_event(&ev, val, sizeof val);
    if (journal_put(e, key, val, len) != 0) return -1;
    for (size_t i = 0; i < e->n_subs; i++) e->subs[i].fn(&ev, &r->r, e->subs[i].ctx);
    return 0;
}

/* ---- opening ---- */

int alert_open(const char *dir, alert_engine **out, char *err, size_t errcap) {
    *out = NULL;
    alert_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errcap, "alerting: out of memory");
        return -1;
    }
    pthread_mutex_init(&e->mu, NULL);
    e->path = strdup(dir);
    e->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(e->opts, 1);
    rocksdb_options_set_compression(e->opts, rocksdb_snappy_compression);
    /* FATAL only: see historian/store.c (Debian's RocksDB asserts when it
     * logs after a failed write to its LOG file). */
    rocksdb_options_set_info_log_level(e->opts, 4);
    rocksdb_options_set_keep_log_file_num(e->opts, 2);
    char *rerr = NULL;
    e->db = e->path ? rocksdb_open(e->opts, e->path, &rerr) : NULL;
    if (rerr || !e->path) {
        snprintf(err, errcap, "alerting: cannot open the journal at %s: %s", dir,
                 rerr ? rerr : "out of memory");
        rocksdb_free(rerr);
        alert_close(e);
        return -1;
    }
    e->wopts = rocksdb_writeoptions_create();
    e->ropts = rocksdb_readoptions_create();
    /* The sequence goes on from the highest journalled one. */
    rocksdb_iterator_t *it = rocksdb_create_iterator(e->db, e->ropts);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl == 16 && pw_get_be64(k + 8) > e->seq) e->seq = pw_get_be64(k + 8);
    }
    rocksdb_iter_destroy(it);
    *out = e;
    return 0;
}

void alert_close(alert_engine *e) {
    if (!e) return;
    if (e->n_waiting) { /* a last try for records a full disk held back */
        e->retry_ms = 0;
        alerting_journal_retry(e);
    }
    for (size_t i = 0; i < e->n_waiting; i++) free(e->waiting[i].val);
    free(e->waiting);
    free(e->path);
    if (e->db) rocksdb_close(e->db);
    if (e->opts) rocksdb_options_destroy(e->opts);
    if (e->wopts) rocksdb_writeoptions_destroy(e->wopts);
    if (e->ropts) rocksdb_readoptions_destroy(e->ropts);
    for (size_t i = 0; i < e->n_rules; i++) {
        rule_state *r = &e->rules[i];
        free(r->series_name);
        free(r->enterprise);
        free(r->unit);
        free(r->asset);
        free(r->basis);
        free(r->losses);
    }
    for (size_t i = 0; i < e->n_retired; i++) free(e->retired[i]);
    free(e->retired);
    for (size_t i = 0; i < e->n_series; i++) free(e->by_series[i].ids);
    free(e->by_series);
    free(e->rules);
    free(e->timed);
    free(e->waking);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* ---- rules ---- */

static int grow_series(alert_engine *e, uint32_t series) {
    if (series < e->n_series) return 0;
    size_t n = e->n_series ? e->n_series : 1024;
    while (n <= series) n *= 2;
    series_rules *ns = realloc(e->by_series, n * sizeof *ns);
    if (!ns) return -1;
    memset(ns + e->n_series, 0, (n - e->n_series) * sizeof *ns);
    e->by_series = ns;
    e->n_series = n;
    return 0;
}

static int list_rule(series_rules *sr, uint32_t id) {
    if (sr->n == sr->cap) {
        size_t cap = sr->cap ? sr->cap * 2 : 4;
        uint32_t *ids = realloc(sr->ids, cap * sizeof *ids);
        if (!ids) return -1;
        sr->ids = ids;
        sr->cap = cap;
    }
    sr->ids[sr->n++] = id;
    return 0;
}

static char *copy_str(const char *s) {
    return strdup(s ? s : "");
}

static int add_one(alert_engine *e, const alert_rule *r, uint32_t *id) {
    if (e->n_rules == e->cap_rules) {
        size_t cap = e->cap_rules ? e->cap_rules * 2 : 256;
        rule_state *nr = realloc(e->rules, cap * sizeof *nr);
        if (!nr) return -1;
        e->rules = nr;
        /* alert_tick's lists: room for every rule, so listing never fails */
        uint32_t *t = realloc(e->timed, cap * sizeof *t);
        if (t) e->timed = t;
        uint32_t *w = t ? realloc(e->waking, cap * sizeof *w) : NULL;
        if (w) e->waking = w;
        if (!t || !w) return -1;
        e->cap_rules = cap;
    }
    bool paired = r->kind == ALERT_DEVIATION || r->kind == ALERT_IMBALANCE;
    if (grow_series(e, r->series) != 0 || (paired && grow_series(e, r->paired_series) != 0))
        return -1;
    series_rules *sr = &e->by_series[r->series];
    rule_state *s = &e->rules[e->n_rules];
    memset(s, 0, sizeof *s);
    s->r = *r;
    s->series_name = copy_str(r->series_name);
    s->enterprise = copy_str(r->enterprise);
    s->unit = copy_str(r->unit);
    s->asset = copy_str(r->asset);
    s->basis = copy_str(r->basis);
    if (r->kind == ALERT_FLAPPING) s->losses = calloc(FLAP_RING, sizeof *s->losses);
    if (!s->series_name || !s->enterprise || !s->unit || !s->asset || !s->basis ||
        (r->kind == ALERT_FLAPPING && !s->losses)) {
        free(s->series_name);
        free(s->enterprise);
        free(s->unit);
        free(s->asset);
        free(s->basis);
        free(s->losses);
        return -1;
    }
    s->r.series_name = s->series_name;
    s->r.enterprise = s->enterprise;
    s->r.unit = s->unit;
    s->r.asset = s->asset;
    s->r.basis = s->basis;
    *id = (uint32_t)e->n_rules++;
    alerting_tick_watch(e, *id);
    if (r->kind == ALERT_FAULT) {
        sr->fault = *id + 1;
        return 0;
    }
    /* Readings never drive a drift or condition rule (alert_set_condition
     * does): not listed. */
    if (r->kind == ALERT_DRIFT || r->kind == ALERT_CONDITION) return 0;
    /* A deviation or imbalance rule is looked at when either of its sensors reads. */
    if (list_rule(sr, *id) != 0 || (paired && r->paired_series != r->series &&
                                    list_rule(&e->by_series[r->paired_series], *id) != 0))
        return -1;
    alerting_series_refresh(e, r->series);
    if (paired) alerting_series_refresh(e, r->paired_series);
    return 0;
}

int alert_add_rules(alert_engine *e, const alert_rule *rules, size_t n, uint32_t *ids, char *err,
                    size_t errcap) {
    pthread_mutex_lock(&e->mu);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const alert_rule *r = &rules[i];
        const char *why = alerting_rule_invalid(r, false);
        if (why) {
            snprintf(err, errcap, "alerting: rule %zu (%s on %s) is not valid: %s", i,
                     alert_kind_name(r->kind), r->series_name ? r->series_name : "?", why);
            rc = -1;
            break;
        }
        /* Each series gets its instrument-fault alarm with its first rule,
         * with the unit, asset and enterprise of that rule. */
        if (r->kind != ALERT_CONDITION &&
            (r->series >= e->n_series || !e->by_series[r->series].fault)) {
            alert_rule f = *r;
            f.kind = ALERT_FAULT, f.limit = 0, f.deadband = 0, f.on_delay_ms = f.off_delay_ms = 0;
            f.priority = 3;
            f.origin = ALERT_ORIGIN_ENGINE;
            f.basis = NULL, f.limit_low = 0, f.window_ms = f.window_offset_ms = 0;
            memset(&f.stuck, 0, sizeof f.stuck);
            uint32_t fid;
            if (add_one(e, &f, &fid) != 0) rc = -1;
        }
        if (rc == 0 && add_one(e, r, &ids[i]) != 0) rc = -1;
        if (rc) snprintf(err, errcap, "alerting: out of memory");
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_rule_get(alert_engine *e, uint32_t rule, alert_rule *out) {
    pthread_mutex_lock(&e->mu);
    int rc = rule < e->n_rules ? 0 : -1;
    if (rc == 0) *out = e->rules[rule].r; /* its strings are the engine's copies */
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_rule_update(alert_engine *e, uint32_t rule, const alert_rule *r, char *err,
                      size_t errcap) {
    pthread_mutex_lock(&e->mu);
    int rc = -1;
    if (rule >= e->n_rules) {
        snprintf(err, errcap, "alerting: no rule %u", rule);
        goto out;
    }
    rule_state *s = &e->rules[rule];
    alert_rule nr = s->r;
    nr.limit = r->limit, nr.limit_low = r->limit_low, nr.deadband = r->deadband;
    nr.on_delay_ms = r->on_delay_ms, nr.off_delay_ms = r->off_delay_ms;
    nr.priority = r->priority, nr.origin = r->origin;
    nr.window_ms = r->window_ms, nr.window_offset_ms = r->window_offset_ms;
    nr.stuck = r->stuck;
    const char *why = alerting_rule_invalid(&nr, true);
    if (why) {
        snprintf(err, errcap, "alerting: rule %u (%s on %s): the update is not valid: %s", rule,
                 alert_kind_name(nr.kind), s->series_name, why);
        goto out;
    }
    const char *basis = r->basis ? r->basis : "";
    size_t again = e->n_retired; /* a retired string of the same text, taken back */
    for (size_t i = 0; strcmp(basis, s->basis) && i < e->n_retired; i++)
        if (!strcmp(e->retired[i], basis)) again = i;
    if (again < e->n_retired) {
        /* Relearning writes the same few texts again and again: swapped with
         * the retired one, the retired list stays as long as the distinct
         * texts, not the updates. */
        char *b = e->retired[again];
        e->retired[again] = s->basis;
        s->basis = b;
    } else if (strcmp(basis, s->basis)) {
        /* the old string may still be held (alert_rule_get): kept until close */
        char *b = strdup(basis);
        if (b && e->n_retired == e->cap_retired) {
            size_t cap = e->cap_retired ? e->cap_retired * 2 : 16;
            char **v = realloc(e->retired, cap * sizeof *v);
            if (v) e->retired = v, e->cap_retired = cap;
        }
        if (!b || e->n_retired == e->cap_retired) {
            free(b);
            snprintf(err, errcap, "alerting: out of memory");
            goto out;
        }
        e->retired[e->n_retired++] = s->basis;
        s->basis = b;
    }
    nr.basis = s->basis;
    if (nr.window_ms != s->r.window_ms || nr.window_offset_ms != s->r.window_offset_ms)
        s->have_win = false, s->win_n = 0, s->win_sum = 0; /* windows of another size */
    s->r = nr; /* state, pending delays, the flat run and the losses go on */
    if (nr.kind == ALERT_STUCK) alerting_stuck_limit(s); /* the run's limit, relearnt */
    alerting_tick_watch(e, rule);                        /* a window now, maybe */
    alerting_series_refresh(e, nr.series);               /* its limits may have moved */
    rc = 0;
out:
    pthread_mutex_unlock(&e->mu);
    return rc;
}

size_t alert_rule_count(alert_engine *e) {
    pthread_mutex_lock(&e->mu);
    size_t n = e->n_rules;
    pthread_mutex_unlock(&e->mu);
    return n;
}

int alert_subscribe(alert_engine *e, alert_subscriber fn, void *ctx) {
    pthread_mutex_lock(&e->mu);
    int rc = -1;
    if (e->n_subs < MAX_SUBSCRIBERS) {
        e->subs[e->n_subs].fn = fn;
        e->subs[e->n_subs].ctx = ctx;
        e->n_subs++;
        rc = 0;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_unsubscribe(alert_engine *e, alert_subscriber fn, void *ctx) {
    pthread_mutex_lock(&e->mu);
    int rc = -1;
    for (size_t i = 0; i < e->n_subs; i++)
        if (e->subs[i].fn == fn && e->subs[i].ctx == ctx) {
            memmove(&e->subs[i], &e->subs[i + 1], (e->n_subs - i - 1) * sizeof e->subs[0]);
            e->n_subs--;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* ---- operator actions ---- */

static int operator_action(alert_engine *e, uint32_t id, alert_action act, int64_t now,
                           int64_t until, const char *user, const char *comment) {
    pthread_mutex_lock(&e->mu);
    if (id >= e->n_rules) {
        pthread_mutex_unlock(&e->mu);
        return -1;
    }
    rule_state *r = &e->rules[id];
    alert_state from = r->state;
    int rc = 1;
    switch (act) {
        case ALERT_ACT_ACK:
            if (r->state == ALERT_UNACK)
                r->state = ALERT_ACKED;
            else if (r->state == ALERT_RTN_UNACK)
                r->state = ALERT_NORMAL;
            else
                rc = 0; /* nothing waits for an acknowledgement */
            break;
        case ALERT_ACT_SHELVE:
            if (until <= now) {
                rc = -1; /* a shelving must end in the future; nothing changes */
                break;
            }
            r->shelved = true, r->shelved_until_ms = until;
            alerting_tick_watch(e, id); /* alert_tick ends it */
            break;
        case ALERT_ACT_UNSHELVE:
            rc = r->shelved ? 1 : 0, r->shelved = false;
            break;
        case ALERT_ACT_SUPPRESS:
        case ALERT_ACT_UNSUPPRESS:
            rc = r->suppressed != (act == ALERT_ACT_SUPPRESS);
            r->suppressed = act == ALERT_ACT_SUPPRESS;
            break;
        case ALERT_ACT_OUT_OF_SERVICE:
        case ALERT_ACT_IN_SERVICE:
            rc = r->oos != (act == ALERT_ACT_OUT_OF_SERVICE);
            r->oos = act == ALERT_ACT_OUT_OF_SERVICE;
            break;
        default:
            rc = -1;
    }
    if (rc > 0 && alerting_transition(e, id, act, from, now, user, comment) != 0) rc = -1;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_ack(alert_engine *e, uint32_t rule, int64_t now_ms, const char *user,
              const char *comment) {
    return operator_action(e, rule, ALERT_ACT_ACK, now_ms, 0, user, comment);
}

int alert_shelve(alert_engine *e, uint32_t rule, int64_t now_ms, int64_t until_ms, const char *user,
                 const char *comment) {
    return operator_action(e, rule, ALERT_ACT_SHELVE, now_ms, until_ms, user, comment);
}

int alert_unshelve(alert_engine *e, uint32_t rule, int64_t now_ms, const char *user,
                   const char *comment) {
    return operator_action(e, rule, ALERT_ACT_UNSHELVE, now_ms, 0, user, comment);
}

int alert_suppress(alert_engine *e, uint32_t rule, bool on, int64_t now_ms, const char *user,
                   const char *comment) {
    return operator_action(e, rule, on ? ALERT_ACT_SUPPRESS : ALERT_ACT_UNSUPPRESS, now_ms, 0, user,
                           comment);
}

int alert_out_of_service(alert_engine *e, uint32_t rule, bool on, int64_t now_ms, const char *user,
                         const char *comment) {
    return operator_action(e, rule, on ? ALERT_ACT_OUT_OF_SERVICE : ALERT_ACT_IN_SERVICE, now_ms, 0,
                           user, comment);
}

/* ---- reading the state ---- */

static alert_status status_of(const rule_state *r, uint32_t id) {
    return (alert_status){id,     r->state,    r->active,           r->shelved, r->suppressed,
                          r->oos, r->since_ms, r->shelved_until_ms, r->value};
}

int alert_get(alert_engine *e, uint32_t rule, alert_status *out) {
    pthread_mutex_lock(&e->mu);
    int rc = rule < e->n_rules ? 0 : -1;
    if (rc == 0) *out = status_of(&e->rules[rule], rule);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_list_active(alert_engine *e, alert_status **out, size_t *n) {
    pthread_mutex_lock(&e->mu);
    size_t k = 0;
    alert_status *v = malloc((e->n_rules ? e->n_rules : 1) * sizeof *v);
    for (uint32_t id = 0; v && id < e->n_rules; id++)
        if (e->rules[id].state != ALERT_NORMAL) v[k++] = status_of(&e->rules[id], id);
    pthread_mutex_unlock(&e->mu);
    *out = v;
    *n = k;
    return v ? 0 : -1;
}

/* Calls fn for each journal record with from <= ts < to, in order. */
static int scan_journal(alert_engine *e, int64_t from, int64_t to,
                        int (*fn)(const alert_event *, void *), void *ctx) {
    uint8_t lo[16] = {0}, hi[16] = {0};
    pw_put_be64(lo, ts_key(from));
    pw_put_be64(hi, ts_key(to));
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = e->db ? rocksdb_create_iterator(e->db, ro) : NULL;
    int rc = 0;
    for (it ? rocksdb_iter_seek(it, (const char *)lo, sizeof lo) : (void)0;
         it && rocksdb_iter_valid(it) && rc == 0; rocksdb_iter_next(it)) {
        size_t vl;
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
        alert_event ev;
        if (!decode_event(v, vl, &ev)) {
            rc = -1; /* a damaged record: say so rather than skip history */
            break;
        }
        rc = fn(&ev, ctx);
    }
    if (it) rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    /* Then what a full disk holds back: newer than anything written. */
    for (size_t i = 0; i < e->n_waiting && rc == 0; i++) {
        const waiting_record *w = &e->waiting[i];
        alert_event ev;
        if (memcmp(w->key, lo, 8) < 0 || memcmp(w->key, hi, 8) >= 0) continue;
        rc = decode_event(w->val, w->len, &ev) ? fn(&ev, ctx) : -1;
    }
    return rc;
}

typedef struct ev_list {
    alert_event *v;
    size_t n, cap;
} ev_list;

static int collect_event(const alert_event *ev, void *ctx) {
    ev_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        alert_event *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *ev;
    return 0;
}

int alert_journal_range(alert_engine *e, int64_t from_ms, int64_t to_ms, alert_event **out,
                        size_t *n) {
    ev_list l = {0};
    pthread_mutex_lock(&e->mu);
    int rc = scan_journal(e, from_ms, to_ms, collect_event, &l);
    /* version-1 records lost their limit: the rule's is the best there is */
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (isnan(l.v[i].limit) && l.v[i].rule < e->n_rules)
            l.v[i].limit = e->rules[l.v[i].rule].r.limit;
    pthread_mutex_unlock(&e->mu);
    if (rc != 0) {
        free(l.v);
        return -1;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

typedef struct last_state {
    alert_status *v;
    size_t n;
    bool *seen;
} last_state;

static int keep_last(const alert_event *ev, void *ctx) {
    last_state *s = ctx;
    if (ev->rule >= s->n) { /* the journal alone answers: grow to its rules */
        size_t n = s->n ? s->n : 64;
        while (n <= ev->rule) n *= 2;
        alert_status *v = realloc(s->v, n * sizeof *v);
        if (v) s->v = v;
        bool *seen = v ? realloc(s->seen, n * sizeof *seen) : NULL;
        if (!seen) return -1;
        s->seen = seen;
        memset(s->v + s->n, 0, (n - s->n) * sizeof *s->v);
        memset(s->seen + s->n, 0, (n - s->n) * sizeof *s->seen);
        s->n = n;
    }
    alert_status *st = &s->v[ev->rule];
    st->rule = ev->rule;
    st->state = ev->to;
    st->active = ev->active;
    st->shelved = ev->shelved;
    st->suppressed = ev->suppressed;
    st->out_of_service = ev->out_of_service;
    st->shelved_until_ms = ev->shelved_until_ms;
    st->value = ev->value;
    if (ev->action == ALERT_ACT_CONDITION) st->since_ms = ev->ts_ms;
    s->seen[ev->rule] = true;
    return 0;
}

/* The last journalled state of every rule before at_ms. Caller holds mu. */
static int states_at(alert_engine *e, int64_t at_ms, last_state *s) {
    s->n = e->n_rules;
    s->v = calloc(s->n ? s->n : 1, sizeof *s->v);
    s->seen = calloc(s->n ? s->n : 1, sizeof *s->seen);
    if (!s->v || !s->seen) return -1;
    return scan_journal(e, INT64_MIN / 2, at_ms, keep_last, s);
}

int alert_active_at(alert_engine *e, int64_t at_ms, alert_status **out, size_t *n) {
    last_state s = {0};
    pthread_mutex_lock(&e->mu);
    /* at_ms comes from a caller's request: no overflow past the end of time */
    int rc = states_at(e, at_ms < INT64_MAX / 2 ? at_ms + 1 : INT64_MAX / 2, &s);
    pthread_mutex_unlock(&e->mu);
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        if (s.seen[i] && s.v[i].state != ALERT_NORMAL) s.v[k++] = s.v[i];
    free(s.seen);
    if (rc != 0) {
        free(s.v);
        return -1;
    }
    *out = s.v;
    *n = k;
    return 0;
}

int alert_restore(alert_engine *e, char *err, size_t errcap) {
    last_state s = {0};
    pthread_mutex_lock(&e->mu);
    int rc = states_at(e, INT64_MAX / 2, &s);
    for (size_t i = 0; rc == 0 && i < s.n && i < e->n_rules; i++) {
        if (!s.seen[i]) continue; /* rules the configuration no longer has are left out */
        rule_state *r = &e->rules[i];
        r->state = s.v[i].state;
        bool was_hot = r->active || r->pending;
        alerting_set_active(e, r, s.v[i].active);
        alerting_hot_update(e, r, was_hot);
        r->shelved = s.v[i].shelved;
        r->suppressed = s.v[i].suppressed;
        r->oos = s.v[i].out_of_service;
        r->shelved_until_ms = s.v[i].shelved_until_ms;
        alerting_tick_watch(e, (uint32_t)i);
        r->since_ms = s.v[i].since_ms;
        r->value = s.v[i].value;
    }
    pthread_mutex_unlock(&e->mu);
    free(s.v);
    free(s.seen);
    if (rc != 0) snprintf(err, errcap, "alerting: the journal cannot be read back");
    return rc;
}

/* ---- performance figures ---- */

#define TEN_MIN_MS        (10 * 60 * 1000LL)
#define FLOOD_PER_10MIN   10 /* EEMUA 191 / ASM: more than 10 in 10 minutes */
#define CHATTER_WINDOW_MS 60000
#define CHATTER_RAISES    3
#define STANDING_MS       (24 * 3600 * 1000LL)
#define KPI_MAX_WINDOWS   (80000LL) /* 10-minute windows: about 555 days */

int alert_kpis_get(alert_engine *e, int64_t from_ms, int64_t to_ms, const char *enterprise,
                   alert_kpis *out) {
    memset(out, 0, sizeof *out);
    /* The caller's range is not trusted: a span that overflows, or more
     * windows than a year and a half holds, is refused before anything is
     * sized by it. */
    int64_t span;
    if (to_ms <= from_ms || __builtin_sub_overflow(to_ms, from_ms, &span) ||
        span > KPI_MAX_WINDOWS * TEN_MIN_MS)
        return -1;
    alert_event *ev;
    size_t n;
    if (alert_journal_range(e, from_ms, to_ms, &ev, &n) != 0) return -1;
    size_t windows = (size_t)((span + TEN_MIN_MS - 1) / TEN_MIN_MS);
    pthread_mutex_lock(&e->mu);
    size_t n_rules = e->n_rules;
    uint64_t *bucket = calloc(windows, sizeof *bucket), *per_rule = calloc(n_rules + 1, 8);
    int64_t *last3 = calloc(3 * (n_rules + 1), sizeof *last3); /* last raise times per rule */
    bool *chatter = calloc(n_rules + 1, 1);
    int rc = bucket && per_rule && last3 && chatter ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const alert_event *x = &ev[i];
        if (x->action != ALERT_ACT_CONDITION || x->to != ALERT_UNACK || x->from == ALERT_UNACK ||
            x->shelved || x->suppressed || x->out_of_service)
            continue;
        if (x->rule >= n_rules) continue; /* a rule this configuration no longer has */
        if (enterprise && strcmp(e->rules[x->rule].enterprise, enterprise)) continue;
        if (x->ts_ms < from_ms || x->ts_ms >= to_ms) continue;
        out->alarms++;
        bucket[(x->ts_ms - from_ms) / TEN_MIN_MS]++;
        per_rule[x->rule]++;
        int64_t *l = &last3[3 * x->rule];
        l[0] = l[1], l[1] = l[2], l[2] = x->ts_ms;
        if (per_rule[x->rule] >= CHATTER_RAISES && l[2] - l[0] <= CHATTER_WINDOW_MS)
            chatter[x->rule] = true;
    }
    for (size_t w = 0; rc == 0 && w < windows; w++) {
        if (bucket[w] > out->per_10min_peak) out->per_10min_peak = bucket[w];
        if (bucket[w] > FLOOD_PER_10MIN) out->flood_windows++;
    }
    out->windows = windows;
    out->per_10min_avg = (double)out->alarms * TEN_MIN_MS / (double)span;
    out->flood_time_pct = windows ? 100.0 * (double)out->flood_windows / (double)windows : 0;
    for (size_t r = 0; rc == 0 && r < n_rules; r++) {
        out->chattering_rules += chatter[r];
        /* the ten most frequent, by insertion into a small sorted table */
        if (!per_rule[r]) continue;
        size_t k = out->n_top < 10 ? out->n_top++ : 9;
        if (k == 9 && out->n_top == 10 && per_rule[r] <= out->top_count[9]) continue;
        while (k > 0 && out->top_count[k - 1] < per_rule[r]) {
            out->top_rule[k] = out->top_rule[k - 1], out->top_count[k] = out->top_count[k - 1];
            k--;
        }
        out->top_rule[k] = (uint32_t)r, out->top_count[k] = per_rule[r];
    }
    for (size_t r = 0; rc == 0 && r < n_rules; r++) {
        const rule_state *s = &e->rules[r];
        if (enterprise && strcmp(s->enterprise, enterprise)) continue;
        if (s->active && to_ms > s->since_ms && to_ms - s->since_ms > STANDING_MS)
            out->standing_alarms++;
    }
    pthread_mutex_unlock(&e->mu);
    free(bucket);
    free(per_rule);
    free(last3);
    free(chatter);
    free(ev);
    return rc;
}

/* ---- backup (restoring is in backup.c) ---- */

int alert_backup(alert_engine *e, const char *dir, uint64_t *last_seq, char *err, size_t errcap) {
    char *rerr = NULL;
    /* Under the lock no transition is journalled meanwhile, so the
     * checkpoint holds exactly the records up to e->seq. It flushes the
     * memtable first (the journal's writes are not synced one by one). */
    pthread_mutex_lock(&e->mu);
    /* Records waiting for disk space (journal_put) are written first; a
     * backup without them would miss transitions the journal answers. */
    if (e->n_waiting) {
        e->retry_ms = 0;
        alerting_journal_retry(e);
    }
    if (e->n_waiting || e->journal_broken || !e->db) {
        snprintf(err, errcap,
                 "alerting: journal backup to %s refused: %zu journal records wait for the disk "
                 "(%s)",
                 dir, e->n_waiting, e->journal_error[0] ? e->journal_error : "not open");
        pthread_mutex_unlock(&e->mu);
        return -1;
    }
    uint64_t seq = e->seq;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(e->db, &rerr);
    if (cp && !rerr) rocksdb_checkpoint_create(cp, dir, 0, &rerr);
    if (cp) rocksdb_checkpoint_object_destroy(cp);
    pthread_mutex_unlock(&e->mu);
    if (rerr || !cp) {
        snprintf(err, errcap, "alerting: journal backup to %s failed: %s", dir,
                 rerr ? rerr : "no checkpoint");
        rocksdb_free(rerr);
        return -1;
    }
    if (last_seq) *last_seq = seq;
    return 0;
}
