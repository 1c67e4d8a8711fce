/*
 * hazards.c - the hidden-hazard register: records, the state machine, the
 * journal, and the index lists and statistics are answered from.
 *
 * The idea: a record is the merge of its events' changes. Each step builds
 * the members it changes as a JSON object, merges it into the record and
 * writes the record and the event (with those changes) in one RocksDB
 * batch, so the journal and the records cannot disagree, and a past state
 * is the merge of the events up to then. The record is kept whole too, so
 * reading one hazard is one read, not a replay.
 *
 * Lists and statistics never touch RocksDB: a 32-byte entry per hazard
 * (state, grade, supervision, deadline, closing time, enterprise) and its
 * title are kept in memory, rebuilt from the records at open; a million
 * hazards cost about 32 MB plus their titles. A list is one pass over the
 * entries keeping the best offset+limit in a bounded heap: the cost is the
 * pass, whatever the filters or the page. Only the page's records are read.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/byteorder.h"
#include "hazards/internal.h"

/* ---- names ---- */

static const char *const state_names[HAZARD_STATE_COUNT] = {"reported", "assigned", "rectified",
                                                            "verified", "closed"};
static const char *const source_names[HAZARD_SOURCE_COUNT] = {"manual", "alarm", "inspection"};
static const char *const action_names[HAZARD_ACT_COUNT] = {
    "report", "assign", "rectify", "verify", "reject", "close", "supervise", "attach"};

static bool name_parse(const char *const *names, int n, const char *s, int *out) {
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s)) {
            *out = i;
            return true;
        }
    return false;
}

const char *hazard_state_name(hazard_state s) {
    return (unsigned)s < HAZARD_STATE_COUNT ? state_names[s] : "unknown";
}
bool hazard_state_parse(const char *name, hazard_state *out) {
    int i;
    if (!name_parse(state_names, HAZARD_STATE_COUNT, name, &i)) return false;
    *out = (hazard_state)i;
    return true;
}
const char *hazard_source_name(hazard_source s) {
    return (unsigned)s < HAZARD_SOURCE_COUNT ? source_names[s] : "unknown";
}
bool hazard_source_parse(const char *name, hazard_source *out) {
    int i;
    if (!name_parse(source_names, HAZARD_SOURCE_COUNT, name, &i)) return false;
    *out = (hazard_source)i;
    return true;
}
bool hazard_grade_parse(const char *name, hazard_grade *out) {
    static const char *const g[] = {"general", "major"};
    int i;
    if (!name_parse(g, 2, name, &i)) return false;
    *out = (hazard_grade)i;
    return true;
}
const char *hazard_action_name(hazard_action a) {
    return (unsigned)a < HAZARD_ACT_COUNT ? action_names[a] : "unknown";
}
bool hazard_action_parse(const char *name, hazard_action *out) {
    int i;
    if (!name_parse(action_names, HAZARD_ACT_COUNT, name, &i)) return false;
    *out = (hazard_action)i;
    return true;
}

hazard_status hz_fail(char *err, size_t errcap, hazard_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && errcap) vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- keys ---- */

static void key_id(uint8_t k[9], char tag, uint64_t id) {
    k[0] = (uint8_t)tag;
    pw_put_be64(k + 1, id);
}
static void key_two(uint8_t k[17], char tag, uint64_t a, uint64_t b) {
    k[0] = (uint8_t)tag;
    pw_put_be64(k + 1, a);
    pw_put_be64(k + 9, b);
}

/* ---- the index ---- */

static int ent_intern(hazards *hz, const char *id, bool add) {
    for (size_t i = 0; i < hz->n_ents; i++)
        if (!strcmp(hz->ent_ids[i], id)) return (int)i;
    if (!add || hz->n_ents >= UINT16_MAX) return -1;
    if (hz->n_ents == hz->cap_ents) {
        size_t cap = hz->cap_ents ? hz->cap_ents * 2 : 64;
        void *p = realloc(hz->ent_ids, cap * sizeof *hz->ent_ids);
        if (!p) return -1;
        hz->ent_ids = p, hz->cap_ents = cap;
    }
    snprintf(hz->ent_ids[hz->n_ents], sizeof hz->ent_ids[0], "%s", id);
    return (int)hz->n_ents++;
}

static int64_t jint(const json_t *o, const char *k) {
    return (int64_t)json_integer_value(json_object_get(o, k));
}
static const char *jstr(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The entry of a record, its title appended to the index's arena. */
static int index_put(hazards *hz, hz_index *ix, uint64_t id, const json_t *rec, bool add_ent) {
    if (id == 0 || id > ix->n + 1) return -1;
    if (id == ix->n + 1) {
        if (ix->n == ix->cap) {
            size_t cap = ix->cap ? ix->cap * 2 : 1024;
            hz_entry *e = realloc(ix->e, cap * sizeof *e);
            if (!e) return -1;
            ix->e = e, ix->cap = cap;
        }
        ix->n++;
        memset(&ix->e[id - 1], 0, sizeof ix->e[0]);
    }
    hz_entry *e = &ix->e[id - 1];
    int ent = ent_intern(hz, jstr(rec, "enterprise"), add_ent);
    hazard_state st = HAZARD_REPORTED;
    hazard_state_parse(jstr(rec, "state"), &st);
    if (ent < 0) return -1;
    e->ent = (uint16_t)ent;
    e->state = (uint8_t)st;
    e->deadline_ms = jint(rec, "deadline_ms");
    e->closed_ms = jint(rec, "closed_ms");
    e->flags = (uint8_t)((!strcmp(jstr(rec, "grade"), "major") ? HZ_MAJOR : 0) |
                         (json_object_get(rec, "supervised") ? HZ_SUPERVISED : 0));
    if (!e->title_len) { /* titles never change: written once */
        const char *t = jstr(rec, "title");
        size_t len = strlen(t);
        if (len > 255) len = 255;
        if (ix->titles_n + len > UINT32_MAX) return -1;
        if (ix->titles_n + len > ix->titles_cap) {
            size_t cap = ix->titles_cap ? ix->titles_cap : 1 << 16;
            while (cap < ix->titles_n + len) cap *= 2;
            char *p = realloc(ix->titles, cap);
            if (!p) return -1;
            ix->titles = p, ix->titles_cap = cap;
        }
        for (size_t i = 0; i < len; i++) {
            char c = t[i];
            ix->titles[ix->titles_n + i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        e->title_off = (uint32_t)ix->titles_n;
        e->title_len = (uint8_t)len;
        ix->titles_n += len;
    }
    return 0;
}

static void index_free(hz_index *ix) {
    free(ix->e);
    free(ix->titles);
    memset(ix, 0, sizeof *ix);
}

static bool entry_overdue(const hz_entry *e, int64_t now_ms) {
    return e->deadline_ms && e->deadline_ms < now_ms && e->state != HAZARD_CLOSED;
}

/* ---- open and close ---- */

static hazard_status db_fail(char *err, size_t errcap, const char *what, char *rerr) {
    hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: %s", what, rerr ? rerr : "failed");
    rocksdb_free(rerr);
    return HAZARD_EIO;
}

hazard_status hazards_open(const hazards_options *o, hazards **out, char *err, size_t errcap) {
    *out = NULL;
    if (!o || !o->dir || !*o->dir) return hz_fail(err, errcap, HAZARD_EINVAL, "hazards: no dir");
    char path[4096];
    if (mkdir(o->dir, 0750) != 0 && errno != EEXIST)
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: %s", o->dir, strerror(errno));
    snprintf(path, sizeof path, "%s/attachments", o->dir);
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: %s", path, strerror(errno));
    hazards *hz = calloc(1, sizeof *hz);
    if (!hz || !(hz->dir = strdup(o->dir))) {
        free(hz);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    }
    pthread_rwlock_init(&hz->lock, NULL);
    hz->people = o->people;
    hz->max_attach =
        o->max_attachment_bytes ? o->max_attachment_bytes : HAZARDS_DEFAULT_MAX_ATTACHMENT;
    hz->next_seq = 1;
    hz->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(hz->opts, 1);
    rocksdb_options_set_compression(hz->opts, rocksdb_snappy_compression);
    rocksdb_options_set_info_log_level(hz->opts, 4);
    rocksdb_options_set_keep_log_file_num(hz->opts, 2);
    hz->table = rocksdb_block_based_options_create();
    hz->cache = rocksdb_cache_create_lru(HZ_CACHE_BYTES);
    rocksdb_block_based_options_set_block_cache(hz->table, hz->cache);
    rocksdb_block_based_options_set_filter_policy(hz->table,
                                                  rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(hz->table, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(hz->table, 1);
    rocksdb_options_set_block_based_table_factory(hz->opts, hz->table);
    hz->wopts = rocksdb_writeoptions_create();
    hz->ropts = rocksdb_readoptions_create();
    snprintf(path, sizeof path, "%s/db", o->dir);
    char *rerr = NULL;
    hz->db = rocksdb_open(hz->opts, path, &rerr);
    if (rerr || !hz->db) {
        db_fail(err, errcap, path, rerr);
        hazards_close(hz);
        return HAZARD_EIO;
    }
    /* the index, from the records in id order */
    hazard_status st = HAZARD_OK;
    rocksdb_iterator_t *it = rocksdb_create_iterator(hz->db, hz->ropts);
    for (rocksdb_iter_seek(it, "h", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl != 9 || k[0] != 'h') break;
        const char *v = rocksdb_iter_value(it, &vl);
        json_t *rec = json_loadb(v, vl, 0, NULL);
        uint64_t id = pw_get_be64(k + 1);
        if (!json_is_object(rec) || index_put(hz, &hz->ix, id, rec, true) != 0)
            st = hz_fail(err, errcap, HAZARD_EIO, "hazards: record %llu unreadable or out of order",
                         (unsigned long long)id);
        json_decref(rec);
        if (st) break;
    }
    rocksdb_iter_destroy(it);
    /* the journal's last event: where seq and time go on */
    uint8_t last[17];
    memset(last, 0xff, sizeof last);
    last[0] = 'j';
    it = rocksdb_create_iterator(hz->db, hz->ropts);
    rocksdb_iter_seek_for_prev(it, (const char *)last, sizeof last);
    if (rocksdb_iter_valid(it)) {
        size_t kl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl == 17 && k[0] == 'j') {
            hz->last_ts = (int64_t)pw_get_be64(k + 1);
            hz->next_seq = pw_get_be64(k + 9) + 1;
        }
    }
    rocksdb_iter_destroy(it);
    if (st) {
        hazards_close(hz);
        return st;
    }
    *out = hz;
    return HAZARD_OK;
}

void hazards_close(hazards *hz) {
    if (!hz) return;
    if (hz->db) rocksdb_close(hz->db);
    if (hz->opts) rocksdb_options_destroy(hz->opts);
    if (hz->table) rocksdb_block_based_options_destroy(hz->table);
    if (hz->cache) rocksdb_cache_destroy(hz->cache);
    if (hz->wopts) rocksdb_writeoptions_destroy(hz->wopts);
    if (hz->ropts) rocksdb_readoptions_destroy(hz->ropts);
    index_free(&hz->ix);
    free(hz->ent_ids);
    free(hz->dir);
    pthread_rwlock_destroy(&hz->lock);
    free(hz);
}

size_t hazards_count(hazards *hz) {
    pthread_rwlock_rdlock(&hz->lock);
    size_t n = hz->ix.n;
    pthread_rwlock_unlock(&hz->lock);
    return n;
}

size_t hazards_max_attachment_bytes(const hazards *hz) {
    return hz->max_attach;
}

/* ---- records ---- */

static json_t *load_record(hazards *hz, uint64_t id) {
    uint8_t k[9];
    key_id(k, 'h', id);
    size_t vl;
    char *rerr = NULL;
    char *v = rocksdb_get(hz->db, hz->ropts, (const char *)k, sizeof k, &vl, &rerr);
    rocksdb_free(rerr);
    json_t *rec = v ? json_loadb(v, vl, 0, NULL) : NULL;
    free(v);
    return rec;
}

static bool actor_sees(const hazard_actor *who, const char *enterprise) {
    return who->kind != HAZARD_ACTOR_ENTERPRISE ||
           (who->enterprise && !strcmp(who->enterprise, enterprise));
}

hazard_status hz_load_for(hazards *hz, const hazard_actor *who, uint64_t id, json_t **rec,
                          char *err, size_t errcap) {
    *rec = NULL;
    /* another enterprise's hazard is "not found", as one that does not exist */
    if (id == 0 || id > hz->ix.n || !actor_sees(who, hz->ent_ids[hz->ix.e[id - 1].ent]))
        return hz_fail(err, errcap, HAZARD_ENOTFOUND, "no hazard %llu", (unsigned long long)id);
    *rec = load_record(hz, id);
    if (!json_is_object(*rec)) {
        json_decref(*rec);
        *rec = NULL;
        return hz_fail(err, errcap, HAZARD_EIO, "hazard %llu: record unreadable",
                       (unsigned long long)id);
    }
    return HAZARD_OK;
}

hazard_status hz_commit(hazards *hz, uint64_t id, json_t *rec, hazard_action a,
                        const hazard_actor *who, json_t *changes, int64_t now_ms, char *err,
                        size_t errcap) {
    int64_t ts = now_ms > hz->last_ts ? now_ms : hz->last_ts; /* time never goes back */
    uint64_t seq = hz->next_seq;
    json_object_update(rec, changes);
    json_t *ev =
        json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:O}", "seq", (json_int_t)seq, "ts_ms", (json_int_t)ts,
                  "hazard", (json_int_t)id, "enterprise", jstr(rec, "enterprise"), "action",
                  hazard_action_name(a), "who", who->name ? who->name : "", "changes", changes);
    json_decref(changes);
    char *evt = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    char *rt = json_dumps(rec, JSON_COMPACT);
    json_decref(ev);
    hz_index *ix = &hz->ix;
    if (!evt || !rt) {
        free(evt), free(rt);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    }
    uint8_t kh[9], kj[17], ke[17];
    key_id(kh, 'h', id);
    key_two(kj, 'j', (uint64_t)ts, seq);
    key_two(ke, 'e', id, seq);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    rocksdb_writebatch_put(b, (const char *)kh, sizeof kh, rt, strlen(rt));
    rocksdb_writebatch_put(b, (const char *)kj, sizeof kj, evt, strlen(evt));
    rocksdb_writebatch_put(b, (const char *)ke, sizeof ke, evt, strlen(evt));
    char *rerr = NULL;
    rocksdb_write(hz->db, hz->wopts, b, &rerr);
    rocksdb_writebatch_destroy(b);
    free(evt), free(rt);
    if (rerr) return db_fail(err, errcap, "write", rerr);
    hz->next_seq = seq + 1, hz->last_ts = ts;
    if (index_put(hz, ix, id, rec, true) != 0)
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: index full or out of memory");
    return HAZARD_OK;
}

/* A text field: at most max bytes, UTF-8, no control characters but
 * newlines and tabs (long texts only). */
static hazard_status text_ok(const char *s, size_t max, bool required, bool multiline,
                             const char *field, char *err, size_t errcap) {
    size_t len = s ? strlen(s) : 0;
    if (required && !len) return hz_fail(err, errcap, HAZARD_EINVAL, "%s: required", field);
    if (len > max) return hz_fail(err, errcap, HAZARD_EINVAL, "%s: at most %zu bytes", field, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
            return hz_fail(err, errcap, HAZARD_EINVAL, "%s: control characters", field);
    }
    json_t *probe = json_string(s ? s : "");
    if (!probe) return hz_fail(err, errcap, HAZARD_EINVAL, "%s: not UTF-8", field);
    json_decref(probe);
    return HAZARD_OK;
}

static bool enterprise_id_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 31) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

hazard_status hazards_report(hazards *hz, const hazard_actor *who, const hazard_report *rep,
                             int64_t now_ms, uint64_t *id, char *err, size_t errcap) {
    hazard_status st;
    if (who->kind == HAZARD_ACTOR_REGULATOR)
        return hz_fail(err, errcap, HAZARD_EFORBIDDEN,
                       "the regulator supervises hazards; it does not report them");
    if (!enterprise_id_ok(rep->enterprise))
        return hz_fail(err, errcap, HAZARD_EINVAL, "enterprise: required, [A-Za-z0-9._-]{1,31}");
    if (!actor_sees(who, rep->enterprise))
        return hz_fail(err, errcap, HAZARD_EFORBIDDEN,
                       "enterprise: this token reports for enterprise %s only",
                       who->enterprise ? who->enterprise : "");
    if ((st = text_ok(rep->title, HZ_TITLE_MAX, true, false, "title", err, errcap)) ||
        (st = text_ok(rep->description, HZ_TEXT_MAX, false, true, "description", err, errcap)) ||
        (st = text_ok(rep->location, HZ_TITLE_MAX, false, false, "location", err, errcap)))
        return st;
    if (rep->has_position && !(isfinite(rep->lon) && fabs(rep->lon) <= 180 && isfinite(rep->lat) &&
                               fabs(rep->lat) <= 90))
        return hz_fail(err, errcap, HAZARD_EINVAL, "lon, lat: degrees, -180..180 and -90..90");
    if ((unsigned)rep->source >= HAZARD_SOURCE_COUNT)
        return hz_fail(err, errcap, HAZARD_EINVAL, "source: manual, alarm or inspection");
    if (rep->criteria & ~(((1u << HAZARD_CRITERIA) - 1) << 1))
        return hz_fail(err, errcap, HAZARD_EINVAL, "criteria: numbers 1..%d", HAZARD_CRITERIA);
    bool major = rep->grade == HAZARD_MAJOR || rep->criteria;
    json_t *crit = json_array();
    for (int n = 1; n <= HAZARD_CRITERIA; n++)
        if (rep->criteria & (1u << n)) json_array_append_new(crit, json_integer(n));
    pthread_rwlock_wrlock(&hz->lock);
    uint64_t nid = hz->ix.n + 1;
    json_t *rec = json_object();
    json_t *ch = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:I,s:s}", "id", (json_int_t)nid,
                           "enterprise", rep->enterprise, "title", rep->title, "description",
                           rep->description ? rep->description : "", "location",
                           rep->location ? rep->location : "", "source",
                           hazard_source_name(rep->source), "grade", major ? "major" : "general",
                           "criteria", crit, "reporter", who->name ? who->name : "", "reported_ms",
                           (json_int_t)now_ms, "state", "reported");
    if (ch && rep->has_position) {
        json_object_set_new(ch, "lon", json_real(rep->lon));
        json_object_set_new(ch, "lat", json_real(rep->lat));
    }
    if (ch && rep->source == HAZARD_SOURCE_ALARM)
        json_object_set_new(ch, "alarm_rule", json_integer(rep->alarm_rule));
    if (!ch || !rec) {
        json_decref(ch), json_decref(rec);
        pthread_rwlock_unlock(&hz->lock);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    }
    st = hz_commit(hz, nid, rec, HAZARD_ACT_REPORT, who, ch, now_ms, err, errcap);
    pthread_rwlock_unlock(&hz->lock);
    json_decref(rec);
    if (!st && id) *id = nid;
    return st;
}

/* ---- steps ---- */

static hazard_status step_changes(hazards *hz, const hazard_actor *who, const json_t *rec,
                                  const hazard_step *s, int64_t now_ms, json_t **out, char *err,
                                  size_t errcap) {
    hazard_state state = HAZARD_REPORTED;
    hazard_state_parse(jstr(rec, "state"), &state);
    const char *name = who->name ? who->name : "";
    hazard_status st;
    *out = NULL;
    if ((st = text_ok(s->measures, HZ_TEXT_MAX, false, true, "measures", err, errcap)) ||
        (st = text_ok(s->funds, HZ_TEXT_MAX, false, true, "funds", err, errcap)) ||
        (st = text_ok(s->note, HZ_TEXT_MAX, false, true, "note", err, errcap)))
        return st;
    if (s->action == HAZARD_ACT_SUPERVISE) {
        if (who->kind != HAZARD_ACTOR_REGULATOR)
            return hz_fail(err, errcap, HAZARD_EFORBIDDEN, "only the regulator supervises");
    } else if (who->kind == HAZARD_ACTOR_REGULATOR) {
        return hz_fail(err, errcap, HAZARD_EFORBIDDEN,
                       "the regulator reads hazards and supervises them; it may not %s",
                       hazard_action_name(s->action));
    }
    json_t *c = json_object();
    switch (s->action) {
        case HAZARD_ACT_ASSIGN: {
            if (state != HAZARD_REPORTED && state != HAZARD_ASSIGNED) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_ESTATE,
                               "a %s hazard cannot be (re)assigned: only before rectification",
                               hazard_state_name(state));
            }
            const person *p =
                hz->people && s->assignee ? people_find(hz->people, s->assignee) : NULL;
            if (!s->assignee || !*s->assignee) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL, "assignee: required (a person id)");
            }
            if (!p) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL, "assignee: no person \"%.63s\"",
                               s->assignee);
            }
            if (strcmp(p->enterprise, jstr(rec, "enterprise"))) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL,
                               "assignee: %s works for %s, not for the hazard's enterprise %s",
                               p->id, *p->enterprise ? p->enterprise : "the park",
                               jstr(rec, "enterprise"));
            }
            if (s->deadline_ms && (s->deadline_ms <= now_ms || s->deadline_ms > HZ_LAST_MS)) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL,
                               "deadline_ms: must be in the future (and before 2100)");
            }
            json_object_set_new(c, "assignee", json_string(p->id));
            json_object_set_new(c, "deadline_ms", json_integer(s->deadline_ms));
            if (s->measures) json_object_set_new(c, "measures", json_string(s->measures));
            if (s->funds) json_object_set_new(c, "funds", json_string(s->funds));
            json_object_set_new(c, "state", json_string("assigned"));
            break;
        }
        case HAZARD_ACT_RECTIFY:
            if (state != HAZARD_ASSIGNED) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_ESTATE,
                               "a %s hazard cannot be rectified: assign it first",
                               hazard_state_name(state));
            }
            json_object_set_new(c, "rectifier", json_string(name));
            json_object_set_new(c, "rectified_ms", json_integer(now_ms));
            json_object_set_new(c, "rectify_note", json_string(s->note ? s->note : ""));
            if (s->measures) json_object_set_new(c, "measures", json_string(s->measures));
            json_object_set_new(c, "state", json_string("rectified"));
            break;
        case HAZARD_ACT_VERIFY:
        case HAZARD_ACT_REJECT: {
            bool verify = s->action == HAZARD_ACT_VERIFY;
            if (verify ? state != HAZARD_RECTIFIED
                       : state != HAZARD_RECTIFIED && state != HAZARD_VERIFIED) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_ESTATE,
                               verify ? "a %s hazard cannot be verified: it is not rectified"
                                      : "a %s hazard has no rectification to reject",
                               hazard_state_name(state));
            }
            if (!strcmp(name, jstr(rec, "rectifier"))) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EFORBIDDEN,
                               "the verifier must not be the rectifier (%s)", name);
            }
            if (!verify && (!s->note || !*s->note)) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL, "note: the reason is required");
            }
            if (verify) {
                json_object_set_new(c, "verifier", json_string(name));
                json_object_set_new(c, "verified_ms", json_integer(now_ms));
                json_object_set_new(c, "verify_note", json_string(s->note ? s->note : ""));
                json_object_set_new(c, "state", json_string("verified"));
            } else { /* back to the assignee; the journal keeps the round */
                json_object_set_new(c, "rejection", json_string(s->note));
                json_object_set_new(c, "rejected_by", json_string(name));
                json_object_set_new(c, "rectifier", json_string(""));
                json_object_set_new(c, "rectified_ms", json_integer(0));
                json_object_set_new(c, "verifier", json_string(""));
                json_object_set_new(c, "verified_ms", json_integer(0));
                json_object_set_new(c, "state", json_string("assigned"));
            }
            break;
        }
        case HAZARD_ACT_CLOSE:
            if (state != HAZARD_VERIFIED) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_ESTATE,
                               "a %s hazard cannot be closed: it is not verified",
                               hazard_state_name(state));
            }
            if (json_object_get(rec, "supervised") && who->kind != HAZARD_ACTOR_PARK) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EFORBIDDEN,
                               "a supervised hazard is written off by the park, not by the "
                               "enterprise");
            }
            json_object_set_new(c, "closed_ms", json_integer(now_ms));
            json_object_set_new(c, "closed_by", json_string(name));
            json_object_set_new(c, "close_note", json_string(s->note ? s->note : ""));
            json_object_set_new(c, "state", json_string("closed"));
            break;
        case HAZARD_ACT_SUPERVISE:
            if (state == HAZARD_CLOSED || json_object_get(rec, "supervised")) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_ESTATE, "a %s hazard cannot be supervised",
                               state == HAZARD_CLOSED ? "closed" : "supervised");
            }
            if (!s->note || !*s->note) {
                json_decref(c);
                return hz_fail(err, errcap, HAZARD_EINVAL, "note: required");
            }
            json_object_set_new(c, "supervised",
                                json_pack("{s:s,s:I,s:s}", "by", name, "ts_ms", (json_int_t)now_ms,
                                          "note", s->note));
            break;
        default:
            json_decref(c);
            return hz_fail(err, errcap, HAZARD_EINVAL,
                           "action: assign, rectify, verify, reject, close or supervise");
    }
    *out = c;
    return HAZARD_OK;
}

hazard_status hazards_act(hazards *hz, const hazard_actor *who, uint64_t id,
                          const hazard_step *step, int64_t now_ms, char *err, size_t errcap) {
    pthread_rwlock_wrlock(&hz->lock);
    json_t *rec, *ch = NULL;
    hazard_status st = hz_load_for(hz, who, id, &rec, err, errcap);
    if (!st) st = step_changes(hz, who, rec, step, now_ms, &ch, err, errcap);
    if (!st) st = hz_commit(hz, id, rec, step->action, who, ch, now_ms, err, errcap);
    pthread_rwlock_unlock(&hz->lock);
    json_decref(rec);
    return st;
}

/* ---- reading ---- */

static void add_overdue(json_t *rec, int64_t now_ms) {
    hazard_state s = HAZARD_REPORTED;
    hazard_state_parse(jstr(rec, "state"), &s);
    int64_t dl = jint(rec, "deadline_ms");
    bool overdue = dl && dl < now_ms && s != HAZARD_CLOSED;
    json_object_set_new(rec, "overdue", json_boolean(overdue));
    json_object_set_new(rec, "escalated_to", overdue ? json_string("park") : json_null());
}

/* The record of id as it was at at_ms, from its events. */
static json_t *replay_one(hazards *hz, uint64_t id, int64_t at_ms) {
    uint8_t lo[17], hi[9];
    key_two(lo, 'e', id, 0);
    key_id(hi, 'e', id + 1);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = rocksdb_create_iterator(hz->db, ro);
    json_t *rec = NULL;
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof lo); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(it, &vl);
        json_t *ev = json_loadb(v, vl, 0, NULL);
        bool later = jint(ev, "ts_ms") > at_ms;
        if (!later) {
            if (!rec) rec = json_object();
            json_object_update(rec, json_object_get(ev, "changes"));
        }
        json_decref(ev);
        if (later) break; /* events of a hazard are in time order */
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rec;
}

hazard_status hazards_get(hazards *hz, const hazard_actor *who, uint64_t id, int64_t at_ms,
                          int64_t now_ms, json_t **out, char *err, size_t errcap) {
    *out = NULL;
    pthread_rwlock_rdlock(&hz->lock);
    bool seen = id && id <= hz->ix.n && actor_sees(who, hz->ent_ids[hz->ix.e[id - 1].ent]);
    json_t *rec = !seen ? NULL : at_ms >= 0 ? replay_one(hz, id, at_ms) : load_record(hz, id);
    pthread_rwlock_unlock(&hz->lock);
    if (!rec)
        return hz_fail(err, errcap, HAZARD_ENOTFOUND, "no hazard %llu%s", (unsigned long long)id,
                       seen ? " at that time" : "");
    add_overdue(rec, at_ms >= 0 && at_ms < now_ms ? at_ms : now_ms);
    *out = rec;
    return HAZARD_OK;
}

/* ---- lists ---- */

typedef struct sort_key {
    int64_t deadline; /* INT64_MAX: none */
    uint64_t id;
    uint8_t rank; /* 0 overdue, 1 not */
} sort_key;

static int key_cmp(const sort_key *a, const sort_key *b) {
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->deadline != b->deadline) return a->deadline < b->deadline ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}
static int key_qcmp(const void *a, const void *b) {
    return key_cmp(a, b);
}

/* a max-heap of the k smallest keys */
static void heap_push(sort_key *h, size_t *n, size_t k, sort_key v) {
    if (*n == k) {
        if (key_cmp(&v, &h[0]) >= 0) return;
        size_t i = 0; /* replace the root, sift down */
        for (;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            const sort_key *big = &v;
            if (l < *n && key_cmp(&h[l], big) > 0) m = l, big = &h[l];
            if (r < *n && key_cmp(&h[r], big) > 0) m = r;
            if (m == i) break;
            h[i] = h[m];
            i = m;
        }
        h[i] = v;
        return;
    }
    size_t i = (*n)++;
    while (i && key_cmp(&h[(i - 1) / 2], &v) < 0) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static bool cursor_parse(const char *s, sort_key *k) {
    unsigned rank;
    long long dl;
    unsigned long long id;
    int used = 0;
    if (sscanf(s, "%u.%lld.%llu%n", &rank, &dl, &id, &used) != 3 || s[used] || rank > 1)
        return false;
    k->rank = (uint8_t)rank, k->deadline = dl, k->id = id;
    return true;
}

/* The register at at_ms, from the journal, into ix (entries of hazards
 * not yet reported then are left with state HAZARD_STATE_COUNT). */
static hazard_status replay_index(hazards *hz, int64_t at_ms, hz_index *ix, char *err,
                                  size_t errcap) {
    json_t **recs = calloc(hz->ix.n ? hz->ix.n : 1, sizeof *recs);
    if (!recs) return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    uint8_t hi[9];
    key_id(hi, 'j', (uint64_t)at_ms + 1);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = rocksdb_create_iterator(hz->db, ro);
    for (rocksdb_iter_seek(it, "j", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(it, &vl);
        json_t *ev = json_loadb(v, vl, 0, NULL);
        uint64_t id = (uint64_t)jint(ev, "hazard");
        if (id && id <= hz->ix.n) {
            if (!recs[id - 1]) recs[id - 1] = json_object();
            json_object_update(recs[id - 1], json_object_get(ev, "changes"));
        }
        json_decref(ev);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    hazard_status st = HAZARD_OK;
    json_t *none = json_pack("{s:s}", "enterprise", hz->n_ents ? hz->ent_ids[0] : "");
    for (size_t i = 0; i < hz->ix.n && !st; i++) {
        if (index_put(hz, ix, i + 1, recs[i] ? recs[i] : none, false) != 0)
            st = hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
        else if (!recs[i])
            ix->e[i].state = HAZARD_STATE_COUNT;
        json_decref(recs[i]);
    }
    json_decref(none);
    free(recs);
    return st;
}

hazard_status hazards_list(hazards *hz, const hazard_actor *who, const hazard_filter *f,
                           int64_t at_ms, int64_t now_ms, const char *cursor, size_t offset,
                           size_t limit, uint64_t *ids, size_t *n, size_t *total,
                           char next_cursor[HAZARDS_CURSOR], char *err, size_t errcap) {
    *n = *total = 0;
    next_cursor[0] = 0;
    if (limit < 1 || limit > HAZARDS_LIST_MAX)
        return hz_fail(err, errcap, HAZARD_EINVAL, "limit: 1..%d", HAZARDS_LIST_MAX);
    if (offset > 100000 - limit)
        return hz_fail(err, errcap, HAZARD_EINVAL, "offset: offset + limit at most 100000");
    sort_key after = {0};
    bool has_after = cursor && *cursor;
    if (has_after && !cursor_parse(cursor, &after))
        return hz_fail(err, errcap, HAZARD_EINVAL, "cursor: not one this server gave");
    size_t k = offset + limit;
    sort_key *heap = malloc(k * sizeof *heap);
    char needle[256];
    size_t nl = 0;
    if (f->text) {
        nl = strlen(f->text);
        if (nl > 255) {
            free(heap);
            return hz_fail(err, errcap, HAZARD_EINVAL, "q: at most 255 bytes");
        }
        for (size_t i = 0; i < nl; i++) {
            char c = f->text[i];
            needle[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
    }
    if (!heap) return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    pthread_rwlock_rdlock(&hz->lock);
    hz_index past = {0};
    const hz_index *ix = &hz->ix;
    hazard_status st = HAZARD_OK;
    if (at_ms >= 0) {
        st = replay_index(hz, at_ms, &past, err, errcap);
        ix = &past;
        if (at_ms < now_ms) now_ms = at_ms;
    }
    int ent = -1; /* the one enterprise to list, or -1: all */
    const char *want = who->kind == HAZARD_ACTOR_ENTERPRISE ? who->enterprise : f->enterprise;
    if (want) ent = ent_intern(hz, want, false);
    bool none = want && ent < 0;
    if (who->kind == HAZARD_ACTOR_ENTERPRISE && f->enterprise && want &&
        strcmp(f->enterprise, want))
        none = true;
    size_t hn = 0, matched = 0, past_cursor = 0;
    for (size_t i = 0; !st && !none && i < ix->n; i++) {
        const hz_entry *e = &ix->e[i];
        if (e->state == HAZARD_STATE_COUNT) continue;
        if (ent >= 0 && e->ent != ent) continue;
        if (f->state >= 0 && e->state != f->state) continue;
        if (f->grade >= 0 && ((e->flags & HZ_MAJOR) != 0) != (f->grade == HAZARD_MAJOR)) continue;
        bool overdue = entry_overdue(e, now_ms);
        if (f->overdue >= 0 && overdue != (f->overdue == 1)) continue;
        if (f->supervised >= 0 && ((e->flags & HZ_SUPERVISED) != 0) != (f->supervised == 1))
            continue;
        if (nl && !memmem(ix->titles + e->title_off, e->title_len, needle, nl)) continue;
        matched++;
        sort_key sk = {e->deadline_ms ? e->deadline_ms : INT64_MAX, i + 1, overdue ? 0 : 1};
        if (has_after && key_cmp(&sk, &after) <= 0) continue;
        past_cursor++;
        heap_push(heap, &hn, k, sk);
    }
    pthread_rwlock_unlock(&hz->lock);
    index_free(&past);
    if (!st) {
        qsort(heap, hn, sizeof *heap, key_qcmp);
        for (size_t i = offset; i < hn; i++) ids[(*n)++] = heap[i].id;
        *total = matched;
        if (past_cursor > k && *n) {
            const sort_key *last = &heap[hn - 1];
            snprintf(next_cursor, HAZARDS_CURSOR, "%u.%lld.%llu", last->rank,
                     (long long)last->deadline, (unsigned long long)last->id);
        }
    }
    free(heap);
    return st;
}

/* ---- statistics ---- */

static void stats_add(hazard_stats *s, const hz_entry *e, int64_t now_ms) {
    s->found++;
    if (e->state == HAZARD_CLOSED) {
        s->closed++;
        if (!e->deadline_ms || e->closed_ms <= e->deadline_ms) s->closed_on_time++;
    } else {
        s->open++;
    }
    if (entry_overdue(e, now_ms)) s->overdue++;
    if (e->flags & HZ_MAJOR) s->major++;
    if (e->flags & HZ_SUPERVISED) s->supervised++;
}

hazard_status hazards_stats(hazards *hz, const hazard_actor *who, int64_t now_ms,
                            hazard_stats *park, hazard_stats **per, size_t *n, char *err,
                            size_t errcap) {
    memset(park, 0, sizeof *park);
    *per = NULL, *n = 0;
    pthread_rwlock_rdlock(&hz->lock);
    size_t ne = hz->n_ents;
    hazard_stats *rows = calloc(ne ? ne : 1, sizeof *rows);
    if (!rows) {
        pthread_rwlock_unlock(&hz->lock);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    }
    for (size_t i = 0; i < hz->ix.n; i++) {
        const hz_entry *e = &hz->ix.e[i];
        if (!actor_sees(who, hz->ent_ids[e->ent])) continue;
        stats_add(&rows[e->ent], e, now_ms);
        stats_add(park, e, now_ms);
    }
    size_t w = 0;
    for (size_t i = 0; i < ne; i++)
        if (rows[i].found) {
            rows[w] = rows[i];
            snprintf(rows[w].enterprise, sizeof rows[w].enterprise, "%s", hz->ent_ids[i]);
            w++;
        }
    pthread_rwlock_unlock(&hz->lock);
    *per = rows, *n = w;
    return HAZARD_OK;
}

/* ---- the journal ---- */

hazard_status hazards_journal(hazards *hz, const hazard_actor *who, int64_t from_ms, int64_t to_ms,
                              size_t limit, json_t **out, bool *more, char *err, size_t errcap) {
    *more = false;
    *out = NULL;
    if (from_ms < 0 || to_ms <= from_ms)
        return hz_fail(err, errcap, HAZARD_EINVAL, "from, to: 0 <= from < to");
    json_t *arr = json_array();
    if (!arr) return hz_fail(err, errcap, HAZARD_EIO, "hazards: out of memory");
    uint8_t lo[9], hi[9];
    key_id(lo, 'j', (uint64_t)from_ms);
    key_id(hi, 'j', (uint64_t)to_ms);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    pthread_rwlock_rdlock(&hz->lock);
    rocksdb_iterator_t *it = rocksdb_create_iterator(hz->db, ro);
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof lo); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(it, &vl);
        json_t *ev = json_loadb(v, vl, 0, NULL);
        if (!json_is_object(ev) || !actor_sees(who, jstr(ev, "enterprise"))) {
            json_decref(ev);
            continue;
        }
        if (json_array_size(arr) == limit) {
            json_decref(ev);
            *more = true;
            break;
        }
        json_array_append_new(arr, ev);
    }
    rocksdb_iter_destroy(it);
    pthread_rwlock_unlock(&hz->lock);
    rocksdb_readoptions_destroy(ro);
    *out = arr;
    return HAZARD_OK;
}
