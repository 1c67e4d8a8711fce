/*
 * specialwork.c - the permits (specialwork.h): filing, the state machine,
 * gas tests, each change an event of the event store, and the rebuild at
 * open from the store's state of every "permit:" entity.
 *
 * A change is made on a copy of the record, appended to the store, and
 * only then put in place: a refused append leaves the permit as it was.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errmsg.h"
#include "common/jsonfmt.h"
#include "specialwork/internal.h"

#define END_OF_TIME 4102444800000LL /* 2100-01-01: the event store's bound */

sw_status sw_fail(char *err, size_t errcap, sw_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pw_verrf(err, errcap, fmt, ap);
    va_end(ap);
    return st;
}

static const char *const state_names[SW_STATE_COUNT] = {"filed", "active", "suspended", "closed",
                                                        "cancelled"};
static const char *const action_names[SW_ACTION_COUNT] = {"start", "suspend", "resume", "close",
                                                          "cancel"};

const char *sw_state_name(sw_state s) {
    return (unsigned)s < SW_STATE_COUNT ? state_names[s] : "unknown";
}

bool sw_state_parse(const char *name, sw_state *out) {
    for (int i = 0; name && i < SW_STATE_COUNT; i++)
        if (!strcmp(name, state_names[i])) return *out = (sw_state)i, true;
    return false;
}

const char *sw_action_name(sw_action a) {
    return (unsigned)a < SW_ACTION_COUNT ? action_names[a] : "unknown";
}

bool sw_action_parse(const char *name, sw_action *out) {
    for (int i = 0; name && i < SW_ACTION_COUNT; i++)
        if (!strcmp(name, action_names[i])) return *out = (sw_action)i, true;
    return false;
}

void specialwork_options_default(specialwork_options *o) {
    memset(o, 0, sizeof *o);
    o->utc_offset_min = 480;
}

bool sw_sees(const sw_actor *who, const sw_permit *p) {
    return who->kind != SW_ACTOR_ENTERPRISE ||
           (who->enterprise && !strcmp(who->enterprise, p->enterprise));
}

/* "2026-12-07T08:00:00Z" for messages */
static const char *iso(int64_t ms, char buf[32]) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static int64_t int_of(const json_t *rec, const char *k) {
    return (int64_t)json_integer_value(json_object_get(rec, k));
}

static void permit_free(sw_permit *p) {
    if (!p) return;
    json_decref(p->rec);
    free(p->ll);
    free(p);
}

/* The struct's fields from its record (stolen on success). */
static sw_status derive(sw_permit *p, json_t *rec, char *err, size_t errcap) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *ent = json_string_value(json_object_get(rec, "enterprise"));
    sw_category cat;
    sw_state st;
    double *ll;
    size_t n;
    bool poly;
    if (!id || strlen(id) >= SW_ID_MAX || !ent || strlen(ent) > 32 ||
        !sw_category_parse(json_string_value(json_object_get(rec, "category")), &cat) ||
        !sw_state_parse(json_string_value(json_object_get(rec, "state")), &st))
        return sw_fail(err, errcap, SW_EIO,
                       "a permit record without id, enterprise, category or "
                       "state");
    sw_status s = sw_geom_parse(json_object_get(rec, "location"), &ll, &n, &poly, err, errcap);
    if (s) return SW_EIO;
    free(p->ll);
    json_decref(p->rec);
    p->rec = rec;
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->enterprise, sizeof p->enterprise, "%s", ent);
    p->cat = cat, p->state = st;
    p->ll = ll, p->n = n, p->polygon = poly;
    p->from_ms = int_of(rec, "window_from_ms"), p->to_ms = int_of(rec, "window_to_ms");
    p->filed_ms = int_of(rec, "filed_ms");
    p->closed_ms = st == SW_CLOSED      ? int_of(rec, "closed_ms")
                   : st == SW_CANCELLED ? int_of(rec, "cancelled_ms")
                                        : 0;
    p->last_pass_ms = 0, p->gas_failures = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rec, "gas_tests"), i, t) {
        if (json_is_true(json_object_get(t, "pass"))) {
            int64_t ts = int_of(t, "ts_ms");
            if (ts > p->last_pass_ms) p->last_pass_ms = ts;
        } else
            p->gas_failures++;
    }
    return SW_OK;
}

static long find(const specialwork *sw, const char *id) {
    size_t lo = 0, hi = sw->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(sw->p[mid]->id, id);
        if (!c) return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static sw_status insert(specialwork *sw, sw_permit *p, char *err, size_t errcap) {
    long at = find(sw, p->id);
    if (at >= 0) return sw_fail(err, errcap, SW_EIO, "permit %s twice", p->id);
    if (sw->n >= SW_MAX_PERMITS)
        return sw_fail(err, errcap, SW_EIO, "specialwork: %d permits held, no room for more",
                       SW_MAX_PERMITS);
    if (sw->n == sw->cap) {
        size_t cap = sw->cap ? sw->cap * 2 : 64;
        sw_permit **np = realloc(sw->p, cap * sizeof *np);
        if (!np) return sw_fail(err, errcap, SW_EIO, "out of memory");
        sw->p = np, sw->cap = cap;
    }
    size_t pos = (size_t)(-at - 1);
    memmove(sw->p + pos + 1, sw->p + pos, (sw->n - pos) * sizeof *sw->p);
    sw->p[pos] = p;
    sw->n++;
    return SW_OK;
}

/* Appends rec as the permit's state to the store. Lock held. */
static sw_status store(specialwork *sw, const char *id, const char *ent, const json_t *rec,
                       int64_t now_ms, char *err, size_t errcap) {
    size_t len;
    char *body = pw_json_text(rec, &len);
    if (!body) return sw_fail(err, errcap, SW_EIO, "out of memory");
    if (len > EV_BODY_MAX) {
        free(body);
        return sw_fail(err, errcap, SW_EINVAL,
                       "the permit's record would be %zu bytes, more than the store's %d", len,
                       EV_BODY_MAX);
    }
    char entity[EV_ENTITY_MAX + 1];
    snprintf(entity, sizeof entity, "permit:%s", id);
    ev_record r = {.ts_ms = now_ms,
                   .kind = "permit",
                   .enterprise = ent,
                   .entities = {entity},
                   .n_entities = 1,
                   .body = body,
                   .body_len = len,
                   .state_of_first = true};
    char eerr[256];
    ev_status es = ev_append(sw->o.events, &r, 1, NULL, eerr, sizeof eerr);
    free(body);
    if (es == EV_EINVAL) return sw_fail(err, errcap, SW_EINVAL, "event store: %s", eerr);
    if (es) return sw_fail(err, errcap, SW_EIO, "event store: %s", eerr);
    return SW_OK;
}

sw_status specialwork_open(const specialwork_options *o, specialwork **out, char *err,
                           size_t errcap) {
    *out = NULL;
    if (!o || !o->events) return sw_fail(err, errcap, SW_EINVAL, "specialwork: no event store");
    specialwork *sw = calloc(1, sizeof *sw);
    if (!sw) return sw_fail(err, errcap, SW_EIO, "out of memory");
    sw->o = *o;
    if (!(sw->o.near_gas_m > 0)) sw->o.near_gas_m = 30;
    if (sw->o.gas_test_max_age_ms <= 0) sw->o.gas_test_max_age_ms = 30 * 60000LL;
    pthread_mutex_init(&sw->mu, NULL);
    /* every permit's last state; the store's end of time, not the clock's
     * now, so a change stamped a little ahead of this host's clock counts */
    ev_list l = {0};
    char eerr[256];
    if (ev_state_at(o->events, "permit:", END_OF_TIME - 1, NULL, SW_MAX_PERMITS, &l, eerr,
                    sizeof eerr) != EV_OK) {
        specialwork_close(sw);
        return sw_fail(err, errcap, SW_EIO, "specialwork: event store: %s", eerr);
    }
    for (size_t i = 0; i < l.n; i++) {
        json_t *rec = json_loadb(l.v[i].body, l.v[i].body_len, 0, NULL);
        sw_permit *p = calloc(1, sizeof *p);
        char perr[256];
        if (!p) {
            json_decref(rec);
            ev_list_free(&l);
            specialwork_close(sw);
            return sw_fail(err, errcap, SW_EIO, "out of memory");
        }
        /* a state that is no permit of ours (another writer's, a damaged
         * one) is left out and counted, not a reason to refuse to start */
        if (!rec || derive(p, rec, perr, sizeof perr) || insert(sw, p, perr, sizeof perr)) {
            if (p->rec != rec) json_decref(rec);
            permit_free(p);
            sw->skipped++;
        }
    }
    ev_list_free(&l);
    *out = sw;
    return SW_OK;
}

void specialwork_close(specialwork *sw) {
    if (!sw) return;
    for (size_t i = 0; i < sw->n; i++) permit_free(sw->p[i]);
    free(sw->p);
    pthread_mutex_destroy(&sw->mu);
    free(sw);
}

size_t specialwork_skipped(specialwork *sw) {
    return sw->skipped;
}

size_t specialwork_count(specialwork *sw) {
    pthread_mutex_lock(&sw->mu);
    size_t n = sw->n;
    pthread_mutex_unlock(&sw->mu);
    return n;
}

json_t *sw_record_out(const sw_permit *p) {
    json_t *o = json_deep_copy(p->rec), *c = json_array();
    static const char *const kinds[SW_C_COUNT] = {"hot_work_near_gas", "no_gas_test",
                                                  "past_window"};
    for (int k = 0; k < SW_C_COUNT; k++)
        if (p->raised & (1u << k)) json_array_append_new(c, json_string(kinds[k]));
    json_object_set_new(o, "conditions", c);
    return o;
}

/* ---- filing ---- */

static bool text_ok(const json_t *b, const char *k, size_t max, bool required, const char **out,
                    char *err, size_t cap) {
    json_t *v = json_object_get(b, k);
    *out = "";
    if (!v || json_is_null(v)) {
        if (required) snprintf(err, cap, "%s: required, 1..%zu bytes", k, max);
        return !required;
    }
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (!s || (required && !n) || n > max) {
        snprintf(err, cap, "%s: a string of %s..%zu bytes", k, required ? "1" : "0", max);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n') {
            snprintf(err, cap, "%s: control characters", k);
            return false;
        }
    *out = s;
    return true;
}

static bool ent_ok(const char *e) {
    size_t n = strlen(e);
    if (!n || n > 32) return false;
    for (size_t i = 0; i < n; i++)
        if (!((e[i] >= 'A' && e[i] <= 'Z') || (e[i] >= 'a' && e[i] <= 'z') ||
              (e[i] >= '0' && e[i] <= '9') || e[i] == '_' || e[i] == '-'))
            return false;
    return true;
}

/* The window's rules; lock held (related permits are looked up). */
static sw_status check_related(specialwork *sw, const sw_actor *who, sw_category cat, int64_t from,
                               int64_t to, const json_t *rel, json_t **out, char *err,
                               size_t errcap) {
    *out = json_array();
    if (!rel || json_is_null(rel)) return SW_OK;
    if (!json_is_array(rel) || json_array_size(rel) > SW_MAX_RELATED)
        return sw_fail(err, errcap, SW_EINVAL, "related: an array of at most %d permit ids",
                       SW_MAX_RELATED);
    size_t i;
    json_t *v;
    json_array_foreach(rel, i, v) {
        const char *rid = json_string_value(v);
        long at = rid ? find(sw, rid) : -1;
        if (at < 0 || !sw_sees(who, sw->p[at]))
            return sw_fail(err, errcap, SW_EINVAL, "related[%zu]: no permit %.64s", i,
                           rid ? rid : "(not a string)");
        const sw_permit *q = sw->p[at];
        /* temporary power serving hot work or confined-space work runs for
         * the same period as that work (reference §1.2) */
        if (cat == SW_TEMPORARY_POWER && (q->cat == SW_HOT_WORK || q->cat == SW_CONFINED_SPACE) &&
            (from < q->from_ms || to > q->to_ms)) {
            char a[32], b[32];
            return sw_fail(err, errcap, SW_EINVAL,
                           "window: temporary power serving %s %s must lie within its window "
                           "%s..%s (reference §1.2)",
                           sw_category_name(q->cat), q->id, iso(q->from_ms, a), iso(q->to_ms, b));
        }
        json_array_append_new(*out, json_string(q->id));
    }
    return SW_OK;
}

/* The permit's location as stored: the checked geometry rebuilt. */
static json_t *location_json(const double *ll, size_t n, bool poly) {
    if (!poly) return json_pack("{s:s,s:[f,f]}", "type", "Point", "coordinates", ll[0], ll[1]);
    json_t *ring = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ring, json_pack("[f,f]", ll[2 * i], ll[2 * i + 1]));
    return json_pack("{s:s,s:[o]}", "type", "Polygon", "coordinates", ring);
}

sw_status specialwork_file(specialwork *sw, const sw_actor *who, const json_t *req, int64_t now_ms,
                           char id[SW_ID_MAX], char *err, size_t errcap) {
    id[0] = 0;
    if (who->kind == SW_ACTOR_REGULATOR)
        return sw_fail(err, errcap, SW_EFORBIDDEN, "the regulator files no permits");
    if (!json_is_object(req)) return sw_fail(err, errcap, SW_EINVAL, "a JSON object");
    char e[200];
    const char *ent, *catname, *grade, *content, *leader, *guardian;
    sw_category cat;
    if (!text_ok(req, "enterprise", 32, false, &ent, e, sizeof e) ||
        !text_ok(req, "category", 32, true, &catname, e, sizeof e) ||
        !text_ok(req, "grade", 16, false, &grade, e, sizeof e) ||
        !text_ok(req, "content", SW_TEXT_MAX, true, &content, e, sizeof e) ||
        !text_ok(req, "leader", SW_NAME_MAX, true, &leader, e, sizeof e) ||
        !text_ok(req, "guardian", SW_NAME_MAX, true, &guardian, e, sizeof e))
        return sw_fail(err, errcap, SW_EINVAL, "%s", e);
    if (who->kind == SW_ACTOR_ENTERPRISE) {
        if (!*ent) ent = who->enterprise;
        if (strcmp(ent, who->enterprise))
            return sw_fail(err, errcap, SW_EFORBIDDEN,
                           "an enterprise files its own permits (%s), not %.32s's", who->enterprise,
                           ent);
    }
    if (!ent_ok(ent))
        return sw_fail(err, errcap, SW_EINVAL,
                       "enterprise: required, 1..32 letters, digits, '_' or '-'");
    if (!sw_category_parse(catname, &cat))
        return sw_fail(err, errcap, SW_EINVAL,
                       "category: hot_work, confined_space, blinding, work_at_height, lifting, "
                       "temporary_power, excavation or road_closure (reference §1.1)");
    int gi;
    const char *why = sw_grade_check(cat, grade, &gi);
    if (why) return sw_fail(err, errcap, SW_EINVAL, "%s", why);
    json_t *wf = json_object_get(req, "window_from_ms"), *wt = json_object_get(req, "window_to_ms");
    if (!json_is_integer(wf) || !json_is_integer(wt))
        return sw_fail(err, errcap, SW_EINVAL,
                       "window_from_ms, window_to_ms: the work's window, ms since 1970");
    int64_t from = json_integer_value(wf), to = json_integer_value(wt);
    if (from < 946684800000LL || to >= END_OF_TIME)
        return sw_fail(err, errcap, SW_EINVAL, "window: between 2000 and 2100");
    if (from >= to)
        return sw_fail(err, errcap, SW_EINVAL, "window: window_from_ms before window_to_ms");
    if (to <= now_ms) return sw_fail(err, errcap, SW_EINVAL, "window: it has already ended");
    const char *basis;
    int64_t max = sw_validity_ms(cat, gi, &basis);
    if (to - from > max)
        return sw_fail(err, errcap, SW_EINVAL,
                       "window: %.1f h, longer than the permit's validity, %s",
                       (double)(to - from) / 3600000.0, basis);
    double *ll;
    size_t n;
    bool poly;
    sw_status st = sw_geom_parse(json_object_get(req, "location"), &ll, &n, &poly, err, errcap);
    if (st) return st;
    /* the id: the filing day in the park's time */
    time_t local = (time_t)(now_ms / 1000 + (int64_t)sw->o.utc_offset_min * 60);
    struct tm tm;
    gmtime_r(&local, &tm);
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s-%04d%02d%02d-", ent, tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
    size_t pl = strlen(prefix);
    pthread_mutex_lock(&sw->mu);
    json_t *related = NULL;
    st = check_related(sw, who, cat, from, to, json_object_get(req, "related"), &related, err,
                       errcap);
    unsigned seq = 0;
    for (size_t i = 0; !st && i < sw->n; i++)
        if (!strncmp(sw->p[i]->id, prefix, pl)) {
            unsigned s = (unsigned)strtoul(sw->p[i]->id + pl, NULL, 10);
            if (s > seq) seq = s;
        }
    if (!st && seq >= 9999)
        st = sw_fail(err, errcap, SW_EINVAL, "%s has filed 9999 permits today", ent);
    sw_permit *p = NULL;
    if (!st) {
        char pid[SW_ID_MAX];
        snprintf(pid, sizeof pid, "%s%04u", prefix, seq + 1);
        json_t *rec = json_pack(
            "{s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:s,s:s,s:s,s:s,s:O,s:s,s:I,s:s,s:I,s:I,s:I,s:I,s:[],"
            "s:{s:s,s:s,s:I,s:s}}",
            "id", pid, "enterprise", ent, "category", catname, "grade",
            gi >= 0 ? json_string(grade) : json_null(), "location", location_json(ll, n, poly),
            "window_from_ms", (json_int_t)from, "window_to_ms", (json_int_t)to, "validity", basis,
            "content", content, "leader", leader, "guardian", guardian, "related", related, "state",
            "filed", "filed_ms", (json_int_t)now_ms, "filed_by", who->name ? who->name : "",
            "started_ms", (json_int_t)0, "suspended_ms", (json_int_t)0, "closed_ms", (json_int_t)0,
            "cancelled_ms", (json_int_t)0, "gas_tests", "last_action", "action", "file", "by",
            who->name ? who->name : "", "ts_ms", (json_int_t)now_ms, "note", "");
        p = calloc(1, sizeof *p);
        if (!rec || !p) {
            json_decref(rec);
            st = sw_fail(err, errcap, SW_EIO, "out of memory");
        } else if (!(st = store(sw, pid, ent, rec, now_ms, err, errcap))) {
            if (derive(p, rec, err, errcap) || insert(sw, p, err, errcap)) {
                st = SW_EIO;
                if (p->rec != rec) json_decref(rec);
            } else {
                p->said = true;
                snprintf(id, SW_ID_MAX, "%s", pid);
                p = NULL;
            }
        } else
            json_decref(rec);
    }
    pthread_mutex_unlock(&sw->mu);
    permit_free(p);
    json_decref(related);
    free(ll);
    return st;
}

/* ---- steps ---- */

/* The permit of id for a change by who; lock held. */
static sw_status permit_for(specialwork *sw, const sw_actor *who, const char *id, bool change,
                            sw_permit **out, char *err, size_t errcap) {
    if (change && who->kind == SW_ACTOR_REGULATOR)
        return sw_fail(err, errcap, SW_EFORBIDDEN, "the regulator changes no permits");
    long at = id ? find(sw, id) : -1;
    if (at < 0 || !sw_sees(who, sw->p[at]))
        return sw_fail(err, errcap, SW_ENOTFOUND, "no permit %.64s", id ? id : "");
    *out = sw->p[at];
    return SW_OK;
}

/* Stores rec (stolen) as p's new state; lock held. */
static sw_status commit(specialwork *sw, sw_permit *p, json_t *rec, int64_t now_ms, char *err,
                        size_t errcap) {
    sw_status st = store(sw, p->id, p->enterprise, rec, now_ms, err, errcap);
    if (!st) {
        sw_permit tmp = *p;
        tmp.rec = NULL, tmp.ll = NULL;
        st = derive(&tmp, rec, err, errcap);
        if (!st) {
            json_decref(p->rec);
            free(p->ll);
            *p = tmp;
            return SW_OK;
        }
    }
    json_decref(rec);
    return st;
}

static void set_last(json_t *rec, const char *action, const sw_actor *who, int64_t now_ms,
                     const char *note) {
    json_object_set_new(rec, "last_action",
                        json_pack("{s:s,s:s,s:I,s:s}", "action", action, "by",
                                  who->name ? who->name : "", "ts_ms", (json_int_t)now_ms, "note",
                                  note ? note : ""));
}

sw_status specialwork_act(specialwork *sw, const sw_actor *who, const char *id, sw_action a,
                          const char *note, int64_t now_ms, char *err, size_t errcap) {
    if ((unsigned)a >= SW_ACTION_COUNT) return sw_fail(err, errcap, SW_EINVAL, "no such step");
    if (note && strlen(note) > SW_TEXT_MAX)
        return sw_fail(err, errcap, SW_EINVAL, "note: at most %d bytes", SW_TEXT_MAX);
    pthread_mutex_lock(&sw->mu);
    sw_permit *p;
    sw_status st = permit_for(sw, who, id, true, &p, err, errcap);
    if (st) goto out;
    static const struct {
        unsigned from; /* bits of sw_state */
        sw_state to;
        const char *stamp;
    } steps[SW_ACTION_COUNT] = {
        [SW_ACT_START] = {1u << SW_FILED, SW_ACTIVE, "started_ms"},
        [SW_ACT_SUSPEND] = {1u << SW_ACTIVE, SW_SUSPENDED, "suspended_ms"},
        [SW_ACT_RESUME] = {1u << SW_SUSPENDED, SW_ACTIVE, NULL},
        [SW_ACT_CLOSE] = {(1u << SW_ACTIVE) | (1u << SW_SUSPENDED), SW_CLOSED, "closed_ms"},
        [SW_ACT_CANCEL] = {1u << SW_FILED, SW_CANCELLED, "cancelled_ms"},
    };
    static const char *const need[SW_ACTION_COUNT] = {
        "a filed permit", "an active permit", "a suspended permit", "an active or suspended permit",
        "a filed permit (one that has started is closed)"};
    if (!(steps[a].from & (1u << p->state))) {
        st = sw_fail(err, errcap, SW_ESTATE, "permit %s is %s: %s takes %s", p->id,
                     sw_state_name(p->state), sw_action_name(a), need[a]);
        goto out;
    }
    char f[32], t[32];
    if ((a == SW_ACT_START && (now_ms < p->from_ms || now_ms >= p->to_ms)) ||
        (a == SW_ACT_RESUME && now_ms >= p->to_ms)) {
        st = sw_fail(err, errcap, SW_ESTATE, "permit %s: %s only inside its window %s..%s", p->id,
                     sw_action_name(a), iso(p->from_ms, f), iso(p->to_ms, t));
        goto out;
    }
    json_t *rec = json_deep_copy(p->rec);
    if (!rec) {
        st = sw_fail(err, errcap, SW_EIO, "out of memory");
        goto out;
    }
    json_object_set_new(rec, "state", json_string(sw_state_name(steps[a].to)));
    if (steps[a].stamp) json_object_set_new(rec, steps[a].stamp, json_integer(now_ms));
    set_last(rec, sw_action_name(a), who, now_ms, note);
    st = commit(sw, p, rec, now_ms, err, errcap);
out:
    pthread_mutex_unlock(&sw->mu);
    return st;
}

sw_status specialwork_gas_test(specialwork *sw, const sw_actor *who, const char *id,
                               const json_t *req, int64_t now_ms, bool *pass, char *err,
                               size_t errcap) {
    if (pass) *pass = false;
    if (!json_is_object(req)) return sw_fail(err, errcap, SW_EINVAL, "a JSON object");
    pthread_mutex_lock(&sw->mu);
    sw_permit *p;
    json_t *test = NULL;
    sw_status st = permit_for(sw, who, id, true, &p, err, errcap);
    if (!st && p->state >= SW_CLOSED)
        st = sw_fail(err, errcap, SW_ESTATE, "permit %s is %s: no more gas tests", p->id,
                     sw_state_name(p->state));
    json_t *tests = st ? NULL : json_object_get(p->rec, "gas_tests");
    if (!st && json_array_size(tests) >= SW_MAX_GAS_TESTS)
        st = sw_fail(err, errcap, SW_ESTATE, "permit %s has %d gas tests, the most one holds",
                     p->id, SW_MAX_GAS_TESTS);
    if (!st) st = sw_gas_judge(p->cat, req, now_ms, who->name, &test, pass, err, errcap);
    if (!st) {
        json_t *rec = json_deep_copy(p->rec);
        json_array_append_new(json_object_get(rec, "gas_tests"), test);
        test = NULL;
        set_last(rec, "gas_test", who, now_ms, NULL);
        st = commit(sw, p, rec, now_ms, err, errcap);
    }
    pthread_mutex_unlock(&sw->mu);
    json_decref(test);
    if (st && pass) *pass = false;
    return st;
}

sw_status specialwork_get(specialwork *sw, const sw_actor *who, const char *id, json_t **out,
                          char *err, size_t errcap) {
    *out = NULL;
    pthread_mutex_lock(&sw->mu);
    sw_permit *p;
    sw_status st = permit_for(sw, who, id, false, &p, err, errcap);
    if (!st && !(*out = sw_record_out(p))) st = sw_fail(err, errcap, SW_EIO, "out of memory");
    pthread_mutex_unlock(&sw->mu);
    return st;
}
