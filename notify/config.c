/*
 * config.c - the "notify" object checked whole where it enters: named
 * channels, rosters per enterprise and for the park, policies with their
 * escalation steps and quiet hours. An error names the field
 * ("notify.channels.sms.url"); nothing is half-loaded. Rosters are
 * checked for gaps minute by minute over a week (10,080 minutes, cheap):
 * each gap becomes a warning, not an error, as the park's roster may cover
 * an enterprise's nights. Who is on call is answered here too: a holiday
 * (its local date) replaces the shifts of that day.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "notify/internal.h"

static const char *type_names[] = {"sms_http", "smtp", "wecom", "dingtalk", "webhook", "mqtt"};

const char *nt_type_name(nt_type t) {
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "?";
}

/* ---- small checked readers ---- */

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

/* A string member: absent is *out = NULL when optional, an error otherwise. */
static int get_str(const json_t *o, const char *key, bool required, const char *where,
                   const char **out, char *err, size_t errcap) {
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) return required ? pw_fail(err, errcap, "%s.%s: missing", where, key) : 0;
    if (!json_is_string(v) || (required && !json_string_length(v)))
        return pw_fail(err, errcap, "%s.%s: must be a %sstring", where, key,
                       required ? "non-empty " : "");
    *out = json_string_value(v);
    return 0;
}

static int get_int(const json_t *o, const char *key, long long lo, long long hi, long long dflt,
                   const char *where, long long *out, char *err, size_t errcap) {
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return pw_fail(err, errcap, "%s.%s: must be an integer in %lld..%lld", where, key, lo, hi);
    *out = json_integer_value(v);
    return 0;
}

/* "HH:MM" (00:00 .. 24:00) into minutes of the day. */
static int get_hhmm(const json_t *o, const char *key, const char *where, int *out, char *err,
                    size_t errcap) {
    const char *s;
    if (get_str(o, key, true, where, &s, err, errcap)) return -1;
    int h, m;
    char tail;
    if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || m < 0 || m > 59 || h > 24 ||
        (h == 24 && m))
        return pw_fail(err, errcap, "%s.%s: \"%s\" is not HH:MM (local time, UTC+8 by default)",
                       where, key, s);
    *out = h * 60 + m;
    return 0;
}

static int get_people(const json_t *o, const char *where, const people *pp, const person **out,
                      size_t *n, char *err, size_t errcap) {
    json_t *a = json_object_get(o, "people");
    *n = 0;
    if (!json_is_array(a) || !json_array_size(a))
        return pw_fail(err, errcap, "%s.people: must be a non-empty array of people ids", where);
    if (json_array_size(a) > NT_MAX_PEOPLE)
        return pw_fail(err, errcap, "%s.people: at most %d", where, NT_MAX_PEOPLE);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        const person *p = json_is_string(v) && pp ? people_find(pp, json_string_value(v)) : NULL;
        if (!p)
            return pw_fail(err, errcap, "%s.people[%zu]: %s is not in the people directory", where,
                           i, json_is_string(v) ? json_string_value(v) : "(not a string)");
        out[(*n)++] = p;
    }
    return 0;
}

/* ---- channels ---- */

static int load_channel(const char *name, const json_t *o, nt_channel *ch, char *err,
                        size_t errcap) {
    char where[128];
    snprintf(where, sizeof where, "notify.channels.%s", name);
    if (!json_is_object(o)) return pw_fail(err, errcap, "%s: must be an object", where);
    if (strlen(name) >= sizeof ch->name || !*name)
        return pw_fail(err, errcap, "%s: name must be 1..63 bytes", where);
    snprintf(ch->name, sizeof ch->name, "%s", name);
    const char *type, *url = NULL, *s;
    if (get_str(o, "type", true, where, &type, err, errcap)) return -1;
    size_t t = 0;
    while (t < 6 && strcmp(type, type_names[t])) t++;
    if (t == 6)
        return pw_fail(
            err, errcap,
            "%s.type: \"%s\" is not one of sms_http, smtp, wecom, dingtalk, webhook, mqtt", where,
            type);
    ch->type = (nt_type)t;
    if (ch->type != NT_MQTT) {
        if (get_str(o, "url", true, where, &url, err, errcap)) return -1;
        bool smtp = !strncmp(url, "smtp://", 7) || !strncmp(url, "smtps://", 8);
        bool http = !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
        if (ch->type == NT_SMTP ? !smtp : !http)
            return pw_fail(err, errcap, "%s.url: must start with %s", where,
                           ch->type == NT_SMTP ? "smtp:// or smtps://" : "http:// or https://");
        ch->url = strdup(url);
    }
    long long v;
    if (get_int(o, "flood_per_min", 1, 1000000, 5, where, &v, err, errcap)) return -1;
    ch->flood_per_min = (unsigned)v;
    if (get_int(o, "queue", 1, 1000000, 10000, where, &v, err, errcap)) return -1;
    ch->queue_cap = (size_t)v;
    if (get_int(o, "retry_min_ms", 10, 600000, 500, where, &v, err, errcap)) return -1;
    ch->retry_min_ms = (int)v;
    if (get_int(o, "retry_max_ms", ch->retry_min_ms, 3600000, 30000, where, &v, err, errcap))
        return -1;
    ch->retry_max_ms = (int)v;
    if (get_int(o, "timeout_ms", 100, 120000, 5000, where, &v, err, errcap)) return -1;
    ch->timeout_ms = (int)v;
    switch (ch->type) {
        case NT_SMS: {
            if (get_str(o, "method", false, where, &s, err, errcap)) return -1;
            if (s && strcmp(s, "POST") && strcmp(s, "GET") && strcmp(s, "PUT"))
                return pw_fail(err, errcap, "%s.method: GET, POST or PUT", where);
            ch->method = strdup(s ? s : "POST");
            if (get_str(o, "content_type", false, where, &s, err, errcap)) return -1;
            ch->content_type = strdup(s ? s : "application/json");
            if (get_str(o, "body", strcmp(ch->method, "GET") != 0, where, &s, err, errcap))
                return -1;
            ch->body = dup_or_null(s);
            if (get_str(o, "receipt_field", false, where, &s, err, errcap)) return -1;
            ch->receipt_field = dup_or_null(s);
            json_t *h = json_object_get(o, "headers");
            if (h && !json_is_object(h))
                return pw_fail(err, errcap, "%s.headers: must be an object of strings", where);
            ch->headers = calloc(json_object_size(h) + 1, sizeof *ch->headers);
            const char *k;
            json_t *hv;
            json_object_foreach((json_t *)h, k, hv) {
                if (!json_is_string(hv) || strpbrk(json_string_value(hv), "\r\n") ||
                    strpbrk(k, ":\r\n "))
                    return pw_fail(err, errcap, "%s.headers.%s: must be a one-line string", where,
                                   k);
                char line[1024];
                snprintf(line, sizeof line, "%s: %s", k, json_string_value(hv));
                ch->headers[ch->n_headers++] = strdup(line);
            }
            break;
        }
        case NT_SMTP: {
            if (get_str(o, "from", true, where, &s, err, errcap)) return -1;
            if (!strchr(s, '@')) return pw_fail(err, errcap, "%s.from: not an address", where);
            ch->from = strdup(s);
            if (get_str(o, "user", false, where, &s, err, errcap)) return -1;
            ch->user = dup_or_null(s);
            if (get_str(o, "password", false, where, &s, err, errcap)) return -1;
            ch->password = dup_or_null(s);
            json_t *st = json_object_get(o, "starttls");
            if (st && !json_is_boolean(st))
                return pw_fail(err, errcap, "%s.starttls: true or false", where);
            ch->starttls = st ? json_is_true(st) : false;
            break;
        }
        case NT_WECOM:
        case NT_DINGTALK: {
            if (get_str(o, "secret", false, where, &s, err, errcap)) return -1;
            if (s && ch->type == NT_WECOM)
                return pw_fail(err, errcap, "%s.secret: WeCom robots are not signed", where);
            ch->secret = dup_or_null(s);
            if (get_str(o, "format", false, where, &s, err, errcap)) return -1;
            if (s && strcmp(s, "markdown") && strcmp(s, "text"))
                return pw_fail(err, errcap, "%s.format: markdown or text", where);
            ch->markdown = !s || !strcmp(s, "markdown");
            break;
        }
        case NT_WEBHOOK:
            break;
        case NT_MQTT:
            if (get_str(o, "topic", false, where, &s, err, errcap)) return -1;
            ch->topic = strdup(s ? s : "park/notify/{enterprise}");
            break;
    }
    return 0;
}

/* ---- rosters ---- */

static int day_bits(const json_t *a, const char *where, unsigned *out, char *err, size_t errcap) {
    *out = 0;
    if (!a) {
        *out = 0xfe; /* every day */
        return 0;
    }
    size_t i;
    json_t *v;
    if (!json_is_array(a) || !json_array_size(a))
        return pw_fail(err, errcap, "%s.days: an array of 1 (Monday) .. 7 (Sunday)", where);
    json_array_foreach(a, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 7)
            return pw_fail(err, errcap, "%s.days[%zu]: 1 (Monday) .. 7 (Sunday)", where, i);
        *out |= 1u << json_integer_value(v);
    }
    return 0;
}

/* Whether shift s covers local minute-of-week wm (0: Monday 00:00). */
static bool shift_covers(const nt_shift *s, int wm) {
    int day = wm / 1440 + 1, m = wm % 1440;
    if (s->start_min < s->end_min)
        return (s->days >> day & 1) && m >= s->start_min && m < s->end_min;
    if (s->start_min == s->end_min) return s->days >> day & 1; /* round the clock */
    /* past midnight: the evening of its day, the morning of the next */
    int prev = day == 1 ? 7 : day - 1;
    return ((s->days >> day & 1) && m >= s->start_min) || ((s->days >> prev & 1) && m < s->end_min);
}

static void add_warning(nt_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_warning(nt_config *c, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **w = realloc(c->warn, (c->n_warn + 1) * sizeof *w);
    if (!w) return;
    c->warn = w;
    if ((w[c->n_warn] = strdup(line))) c->n_warn++;
}

static void report_gaps(nt_config *c, const nt_roster *r) {
    static const char *days[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    int gap_start = -1, reported = 0;
    for (int wm = 0; wm <= 7 * 1440; wm++) {
        bool covered = wm == 7 * 1440;
        for (size_t i = 0; !covered && i < r->n_shifts; i++)
            covered = shift_covers(&r->shifts[i], wm);
        if (!covered && gap_start < 0) gap_start = wm;
        if (covered && gap_start >= 0) {
            if (reported++ < 8)
                add_warning(
                    c, "notify.rosters %s: nobody on call %s %02d:%02d .. %s %02d:%02d (local)",
                    r->enterprise[0] ? r->enterprise : "(park)", days[gap_start / 1440 + 1],
                    gap_start % 1440 / 60, gap_start % 60, days[wm / 1440 % 7 + 1], wm % 1440 / 60,
                    wm % 60);
            gap_start = -1;
        }
    }
}

static int load_roster(const json_t *o, size_t idx, const people *pp, nt_roster *r, char *err,
                       size_t errcap) {
    char where[96];
    snprintf(where, sizeof where, "notify.rosters[%zu]", idx);
    if (!json_is_object(o)) return pw_fail(err, errcap, "%s: must be an object", where);
    const char *ent;
    if (get_str(o, "enterprise", false, where, &ent, err, errcap)) return -1;
    if (ent && strlen(ent) >= sizeof r->enterprise)
        return pw_fail(err, errcap, "%s.enterprise: at most 31 bytes", where);
    snprintf(r->enterprise, sizeof r->enterprise, "%s", ent ? ent : "");
    json_t *sh = json_object_get(o, "shifts"), *ho = json_object_get(o, "holidays");
    if (!json_is_array(sh) || !json_array_size(sh))
        return pw_fail(err, errcap, "%s.shifts: must be a non-empty array", where);
    if (ho && !json_is_array(ho))
        return pw_fail(err, errcap, "%s.holidays: must be an array", where);
    r->shifts = calloc(json_array_size(sh), sizeof *r->shifts);
    r->holidays = calloc(json_array_size(ho) + 1, sizeof *r->holidays);
    if (!r->shifts || !r->holidays) return pw_fail(err, errcap, "%s: out of memory", where);
    size_t i;
    json_t *v;
    json_array_foreach(sh, i, v) {
        char w2[128];
        snprintf(w2, sizeof w2, "%s.shifts[%zu]", where, i);
        nt_shift *s = &r->shifts[r->n_shifts++];
        if (!json_is_object(v)) return pw_fail(err, errcap, "%s: must be an object", w2);
        if (day_bits(json_object_get(v, "days"), w2, &s->days, err, errcap) ||
            get_hhmm(v, "start", w2, &s->start_min, err, errcap) ||
            get_hhmm(v, "end", w2, &s->end_min, err, errcap) ||
            get_people(v, w2, pp, s->p, &s->n_p, err, errcap))
            return -1;
        if (s->end_min == 1440) s->end_min = 0;
        if (s->start_min == 1440) s->start_min = 0;
    }
    json_array_foreach(ho, i, v) {
        char w2[128];
        snprintf(w2, sizeof w2, "%s.holidays[%zu]", where, i);
        nt_holiday *h = &r->holidays[r->n_holidays++];
        const char *d;
        int y, m, dd;
        char tail;
        if (!json_is_object(v)) return pw_fail(err, errcap, "%s: must be an object", w2);
        if (get_str(v, "date", true, w2, &d, err, errcap)) return -1;
        if (sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3 || y < 1970 || m < 1 || m > 12 ||
            dd < 1 || dd > 31)
            return pw_fail(err, errcap, "%s.date: \"%s\" is not YYYY-MM-DD", w2, d);
        h->date = y * 10000 + m * 100 + dd;
        if (get_people(v, w2, pp, h->p, &h->n_p, err, errcap)) return -1;
    }
    return 0;
}

/* ---- policies ---- */

static int load_step(const json_t *o, const char *where, const nt_config *c, bool first,
                     nt_step *st, char *err, size_t errcap) {
    if (!json_is_object(o)) return pw_fail(err, errcap, "%s: must be an object", where);
    long long v;
    if (!first) {
        if (!json_object_get(o, "after_s"))
            return pw_fail(err, errcap, "%s.after_s: missing", where);
        if (get_int(o, "after_s", 1, 7 * 86400, 0, where, &v, err, errcap)) return -1;
        st->after_ms = v * 1000;
    }
    json_t *chs = json_object_get(o, "channels"), *posts = json_object_get(o, "posts");
    if (!json_is_array(chs) || !json_array_size(chs) || json_array_size(chs) > NT_MAX_CHANS)
        return pw_fail(err, errcap, "%s.channels: 1..%d channel names", where, NT_MAX_CHANS);
    size_t i;
    json_t *e;
    json_array_foreach(chs, i, e) {
        size_t k = 0;
        while (json_is_string(e) && k < c->n_ch && strcmp(c->ch[k].name, json_string_value(e))) k++;
        if (!json_is_string(e) || k == c->n_ch)
            return pw_fail(err, errcap, "%s.channels[%zu]: no such channel in notify.channels",
                           where, i);
        st->ch[st->n_ch++] = k;
    }
    if (posts && !json_is_array(posts)) return pw_fail(err, errcap, "%s.posts: an array", where);
    json_array_foreach(posts, i, e) {
        people_post p;
        if (!json_is_string(e) || !people_post_parse(json_string_value(e), &p))
            return pw_fail(err, errcap,
                           "%s.posts[%zu]: not a post (shift_leader, "
                           "safety_director, duty_officer, maintenance, manager)",
                           where, i);
        st->posts |= 1u << p;
    }
    json_t *ro = json_object_get(o, "roster");
    if (ro && !json_is_string(ro)) return pw_fail(err, errcap, "%s.roster: a string", where);
    const char *rs = ro ? json_string_value(ro) : (posts ? "none" : "enterprise");
    if (!strcmp(rs, "enterprise"))
        st->roster = true;
    else if (!strcmp(rs, "park"))
        st->park_roster = true;
    else if (!strcmp(rs, "both"))
        st->roster = st->park_roster = true;
    else if (strcmp(rs, "none"))
        return pw_fail(err, errcap, "%s.roster: enterprise, park, both or none", where);
    return 0;
}

static int load_policy(const json_t *o, size_t idx, nt_config *c, nt_policy *p, char *err,
                       size_t errcap) {
    char where[64], w2[128];
    snprintf(where, sizeof where, "notify.policies[%zu]", idx);
    if (!json_is_object(o)) return pw_fail(err, errcap, "%s: must be an object", where);
    const char *name;
    if (get_str(o, "name", false, where, &name, err, errcap)) return -1;
    snprintf(p->name, sizeof p->name, "%.63s", name ? name : where + 7);
    size_t i;
    json_t *v, *a = json_object_get(o, "priorities");
    if (a && !json_is_array(a)) return pw_fail(err, errcap, "%s.priorities: an array", where);
    json_array_foreach(a, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4)
            return pw_fail(err, errcap, "%s.priorities[%zu]: 1..4", where, i);
        p->priorities |= 1u << json_integer_value(v);
    }
    a = json_object_get(o, "kinds");
    if (a && !json_is_array(a)) return pw_fail(err, errcap, "%s.kinds: an array", where);
    json_array_foreach(a, i, v) {
        alert_kind k;
        if (!json_is_string(v) || !alert_kind_parse(json_string_value(v), &k))
            return pw_fail(err, errcap, "%s.kinds[%zu]: not an alarm kind", where, i);
        p->kinds |= 1u << k;
    }
    a = json_object_get(o, "enterprises");
    if (a && !json_is_array(a)) return pw_fail(err, errcap, "%s.enterprises: an array", where);
    p->enterprises = calloc(json_array_size(a) + 1, sizeof *p->enterprises);
    if (!p->enterprises) return pw_fail(err, errcap, "out of memory");
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || json_string_length(v) >= 32)
            return pw_fail(err, errcap, "%s.enterprises[%zu]: an id of at most 31 bytes", where, i);
        snprintf(p->enterprises[p->n_enterprises++], 32, "%s", json_string_value(v));
    }
    snprintf(w2, sizeof w2, "%s.notify", where);
    if (load_step(json_object_get(o, "notify"), w2, c, true, &p->steps[0], err, errcap)) return -1;
    p->n_steps = 1;
    a = json_object_get(o, "escalation");
    if (a && (!json_is_array(a) || json_array_size(a) > NT_MAX_STEPS - 1))
        return pw_fail(err, errcap, "%s.escalation: an array of at most %d steps", where,
                       NT_MAX_STEPS - 1);
    json_array_foreach(a, i, v) {
        snprintf(w2, sizeof w2, "%s.escalation[%zu]", where, i);
        nt_step *st = &p->steps[p->n_steps];
        if (load_step(v, w2, c, false, st, err, errcap)) return -1;
        if (st->after_ms <= p->steps[p->n_steps - 1].after_ms)
            return pw_fail(err, errcap, "%s.after_s: must grow step by step", w2);
        p->n_steps++;
    }
    json_t *q = json_object_get(o, "quiet_hours");
    if (q) {
        snprintf(w2, sizeof w2, "%s.quiet_hours", where);
        if (!json_is_object(q)) return pw_fail(err, errcap, "%s: an object", w2);
        if (get_hhmm(q, "start", w2, &p->quiet_start_min, err, errcap) ||
            get_hhmm(q, "end", w2, &p->quiet_end_min, err, errcap))
            return -1;
        p->quiet = p->quiet_start_min != p->quiet_end_min;
    }
    return 0;
}

/* ---- the whole ---- */

int nt_config_load(const json_t *cfg, const people *pp, nt_config *c, char *err, size_t errcap) {
    memset(c, 0, sizeof *c);
    if (!json_is_object(cfg)) return pw_fail(err, errcap, "notify: must be an object");
    long long off;
    if (get_int(cfg, "utc_offset_min", -720, 840, 480, "notify", &off, err, errcap)) return -1;
    c->utc_offset_min = (int)off;
    json_t *chs = json_object_get(cfg, "channels"), *ros = json_object_get(cfg, "rosters"),
           *pos = json_object_get(cfg, "policies");
    if (!json_is_object(chs) || !json_object_size(chs))
        return pw_fail(err, errcap, "notify.channels: must be an object of named channels");
    if (ros && !json_is_array(ros)) return pw_fail(err, errcap, "notify.rosters: an array");
    if (!json_is_array(pos)) return pw_fail(err, errcap, "notify.policies: must be an array");
    c->ch = calloc(json_object_size(chs), sizeof *c->ch);
    c->ro = calloc(json_array_size(ros) + 1, sizeof *c->ro);
    c->po = calloc(json_array_size(pos) + 1, sizeof *c->po);
    if (!c->ch || !c->ro || !c->po) return pw_fail(err, errcap, "notify: out of memory");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)chs, k, v) {
        if (load_channel(k, v, &c->ch[c->n_ch++], err, errcap)) return -1;
    }
    size_t i;
    json_array_foreach(ros, i, v) {
        nt_roster *r = &c->ro[c->n_ro];
        if (load_roster(v, i, pp, r, err, errcap)) {
            c->n_ro++;
            return -1;
        }
        c->n_ro++;
        for (size_t j = 0; j + 1 < c->n_ro; j++)
            if (!strcmp(c->ro[j].enterprise, r->enterprise))
                return pw_fail(err, errcap,
                               "notify.rosters[%zu].enterprise: a second roster for %s", i,
                               r->enterprise[0] ? r->enterprise : "the park");
        report_gaps(c, r);
    }
    json_array_foreach(pos, i, v) {
        if (load_policy(v, i, c, &c->po[c->n_po++], err, errcap)) return -1;
    }
    return 0;
}

void nt_config_free(nt_config *c) {
    for (size_t i = 0; i < c->n_ch; i++) {
        nt_channel *ch = &c->ch[i];
        free(ch->url), free(ch->method), free(ch->content_type), free(ch->body), free(ch->topic);
        free(ch->from), free(ch->user), free(ch->password), free(ch->secret);
        free(ch->receipt_field);
        for (size_t j = 0; j < ch->n_headers; j++) free(ch->headers[j]);
        free(ch->headers);
    }
    for (size_t i = 0; i < c->n_ro; i++) free(c->ro[i].shifts), free(c->ro[i].holidays);
    for (size_t i = 0; i < c->n_po; i++) free(c->po[i].enterprises);
    for (size_t i = 0; i < c->n_warn; i++) free(c->warn[i]);
    free(c->ch), free(c->ro), free(c->po), free(c->warn);
    memset(c, 0, sizeof *c);
}

/* ---- who is on call ---- */

void nt_local_time(int64_t ms, int utc_offset_min, int *week_min, int *date) {
    int64_t local_min = ms / 60000 + utc_offset_min;
    if (ms < 0 && ms % 60000) local_min--;
    int64_t days = local_min >= 0 ? local_min / 1440 : (local_min - 1439) / 1440;
    int mod = (int)(local_min - days * 1440);
    int wd = (int)((days % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday: 0 Monday */
    if (week_min) *week_min = wd * 1440 + mod;
    if (date) { /* civil from days (H. Hinnant's algorithm) */
        int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
        int64_t m = mp < 10 ? mp + 3 : mp - 9;
        *date = (int)((y + (m <= 2)) * 10000 + m * 100 + d);
    }
}

size_t nt_roster_oncall(const nt_roster *r, int64_t now_ms, int utc_offset_min, const person **out,
                        size_t cap) {
    int wm, date;
    nt_local_time(now_ms, utc_offset_min, &wm, &date);
    size_t n = 0;
    for (size_t i = 0; i < r->n_holidays; i++)
        if (r->holidays[i].date == date) {
            for (size_t j = 0; j < r->holidays[i].n_p; j++) {
                if (n < cap) out[n] = r->holidays[i].p[j];
                n++;
            }
            return n;
        }
    for (size_t i = 0; i < r->n_shifts; i++)
        if (shift_covers(&r->shifts[i], wm))
            for (size_t j = 0; j < r->shifts[i].n_p; j++) {
                bool seen = false;
                for (size_t k = 0; k < n && k < cap; k++) seen |= out[k] == r->shifts[i].p[j];
                if (seen) continue;
                if (n < cap) out[n] = r->shifts[i].p[j];
                n++;
            }
    return n;
}

const nt_roster *nt_roster_find(const nt_config *c, const char *enterprise) {
    for (size_t i = 0; i < c->n_ro; i++)
        if (!strcmp(c->ro[i].enterprise, enterprise ? enterprise : "")) return &c->ro[i];
    return NULL;
}
