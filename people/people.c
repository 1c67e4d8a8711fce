/*
 * people.c - the directory of people (people.h): loaded and checked once,
 * then read-only; kept sorted by id for people_find's binary search.
 */
#include "people/people.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct people {
    person *v;
    size_t n;
};

static const char *const post_names[PEOPLE_POST_COUNT] = {
    [PEOPLE_POST_SHIFT_LEADER] = "shift_leader", [PEOPLE_POST_SAFETY_DIRECTOR] = "safety_director",
    [PEOPLE_POST_DUTY_OFFICER] = "duty_officer", [PEOPLE_POST_MAINTENANCE] = "maintenance",
    [PEOPLE_POST_MANAGER] = "manager",
};

const char *people_post_name(people_post p) {
    return (unsigned)p < PEOPLE_POST_COUNT ? post_names[p] : "unknown";
}

bool people_post_parse(const char *name, people_post *out) {
    for (int i = 0; name && i < PEOPLE_POST_COUNT; i++)
        if (!strcmp(name, post_names[i])) {
            *out = (people_post)i;
            return true;
        }
    return false;
}

static int fail(char *err, size_t cap, size_t i, const char *field, const char *why) {
    snprintf(err, cap, "people[%zu].%s: %s", i, field, why);
    return -1;
}

/* A string field: absent is "", else a string of at most cap-1 bytes
 * without control characters. */
static int get_str(const json_t *o, const char *key, char *out, size_t cap, size_t i, char *err,
                   size_t errcap) {
    const json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v) return 0;
    if (!json_is_string(v)) return fail(err, errcap, i, key, "must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n >= cap) return fail(err, errcap, i, key, "too long");
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return fail(err, errcap, i, key, "holds a control character");
    memcpy(out, s, n + 1);
    return 0;
}

static bool valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63) return false;
    for (size_t k = 0; k < n; k++)
        if (!isalnum((unsigned char)s[k]) && !strchr("._-", s[k])) return false;
    return true;
}

static bool valid_phone(const char *s) {
    if (s[0] != '+') return false;
    size_t digits = 0;
    for (const char *p = s + 1; *p; p++) {
        if (!isdigit((unsigned char)*p)) return false;
        digits++;
    }
    return digits >= 6 && digits <= 15;
}

static bool valid_email(const char *s) {
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strchr(s, ' ');
}

static int by_id(const void *a, const void *b) {
    return strcmp(((const person *)a)->id, ((const person *)b)->id);
}

static int load_one(const json_t *o, size_t i, person *p, char *err, size_t errcap) {
    if (!json_is_object(o)) return fail(err, errcap, i, "", "must be an object");
    memset(p, 0, sizeof *p);
    if (get_str(o, "id", p->id, sizeof p->id, i, err, errcap) ||
        get_str(o, "name", p->name, sizeof p->name, i, err, errcap) ||
        get_str(o, "name_zh", p->name_zh, sizeof p->name_zh, i, err, errcap) ||
        get_str(o, "enterprise", p->enterprise, sizeof p->enterprise, i, err, errcap) ||
        get_str(o, "phone", p->phone, sizeof p->phone, i, err, errcap) ||
        get_str(o, "email", p->email, sizeof p->email, i, err, errcap) ||
        get_str(o, "wecom_userid", p->wecom_userid, sizeof p->wecom_userid, i, err, errcap) ||
        get_str(o, "dingtalk_mobile", p->dingtalk_mobile, sizeof p->dingtalk_mobile, i, err,
                errcap))
        return -1;
    if (!valid_id(p->id)) return fail(err, errcap, i, "id", "must be [A-Za-z0-9._-], 1..63");
    if (!p->name[0] && !p->name_zh[0])
        return fail(err, errcap, i, "name", "name or name_zh needed");
    if (p->phone[0] && !valid_phone(p->phone))
        return fail(err, errcap, i, "phone", "must be + and 6..15 digits");
    if (p->email[0] && !valid_email(p->email))
        return fail(err, errcap, i, "email", "must be one @ with text on each side");
    const json_t *posts = json_object_get(o, "posts");
    if (posts && !json_is_array(posts)) return fail(err, errcap, i, "posts", "must be an array");
    size_t k;
    const json_t *v;
    json_array_foreach(posts, k, v) {
        people_post post;
        if (!json_is_string(v) || !people_post_parse(json_string_value(v), &post))
            return fail(err, errcap, i, "posts",
                        "unknown post (shift_leader, safety_director, duty_officer, maintenance, "
                        "manager)");
        p->posts |= 1u << post;
    }
    return 0;
}

int people_load(const json_t *array, people **out, char *err, size_t errcap) {
    *out = NULL;
    if (array && !json_is_array(array)) {
        snprintf(err, errcap, "people: must be an array");
        return -1;
    }
    people *d = calloc(1, sizeof *d);
    size_t n = array ? json_array_size(array) : 0;
    if (!d || (n && !(d->v = calloc(n, sizeof *d->v)))) {
        free(d);
        snprintf(err, errcap, "people: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (load_one(json_array_get(array, i), i, &d->v[i], err, errcap) != 0) {
            people_free(d);
            return -1;
        }
        d->n++;
    }
    if (d->n > 1) qsort(d->v, d->n, sizeof *d->v, by_id);
    for (size_t i = 1; i < d->n; i++)
        if (!strcmp(d->v[i].id, d->v[i - 1].id)) {
            snprintf(err, errcap, "people: the id \"%s\" is given twice", d->v[i].id);
            people_free(d);
            return -1;
        }
    *out = d;
    return 0;
}

void people_free(people *p) {
    if (!p) return;
    free(p->v);
    free(p);
}

size_t people_count(const people *p) {
    return p ? p->n : 0;
}

const person *people_at(const people *p, size_t i) {
    return p && i < p->n ? &p->v[i] : NULL;
}

const person *people_find(const people *p, const char *id) {
    if (!p || !id || !p->n) return NULL;
    person key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return bsearch(&key, p->v, p->n, sizeof *p->v, by_id);
}
