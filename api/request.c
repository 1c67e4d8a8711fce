/*
 * request.c - a request's parameters and body, checked where they enter (the
 * numbers through params.c) and turned into what the handlers use.
 */
#include "api/internal.h"

const char *api_arg(struct MHD_Connection *c, const char *name) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

static int hex_digit(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

size_t api_form_unescape(char *dst, const char *src, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '+') {
            dst[w++] = ' ';
        } else if (src[i] == '%' && n - i > 2 && hex_digit(src[i + 1]) >= 0 &&
                   hex_digit(src[i + 2]) >= 0) {
            dst[w++] = (char)(hex_digit(src[i + 1]) * 16 + hex_digit(src[i + 2]));
            i += 2;
        } else {
            dst[w++] = src[i];
        }
    }
    return w;
}

bool api_parse_size(const char *s, size_t *out) {
    uint64_t v;
    if (!api_parse_count(s, 0, SIZE_MAX, &v)) return false;
    *out = (size_t)v;
    return true;
}

/* ?enterprise=: an enterprise token may name only its own (403
 * otherwise, on every endpoint alike); 0, or the error is sent. */
int api_want_enterprise(req *r, struct MHD_Connection *c, const char **ent, enum MHD_Result *sent) {
    *ent = api_arg(c, "enterprise");
    if (*ent && !api_scope_sees(r, *ent, false)) {
        *sent = api_send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                               r->tok.enterprise);
        return -1;
    }
    return 0;
}

/* The enterprise a request acts for: ?enterprise= as api_want_enterprise
 * checks it, and for an enterprise token its own when none is named. */
int api_want_own_enterprise(req *r, struct MHD_Connection *c, const char **ent,
                            enum MHD_Result *sent) {
    if (api_want_enterprise(r, c, ent, sent)) return -1;
    if (!*ent && r->tok.role == API_ROLE_ENTERPRISE) *ent = r->tok.enterprise;
    return 0;
}

/* The request's body as a JSON object into *out (the caller decrefs it).
 * An empty body is NULL when optional; 0, or the 400 is sent. */
int api_want_body_object(req *r, struct MHD_Connection *c, bool optional, json_t **out,
                         enum MHD_Result *sent) {
    *out = NULL;
    if (!r->body_n && optional) return 0;
    json_error_t je;
    json_t *b = json_loadb(r->body ? r->body : "", r->body_n, 0, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        *sent =
            api_send_error(r, c, 400, "bad_request", "the body must be a JSON object: %s", je.text);
        return -1;
    }
    *out = b;
    return 0;
}

/* Looks up a series the caller may see: 0, or sends the error and returns -1. */
int api_want_series(req *r, struct MHD_Connection *c, const char *name, uint32_t *id,
                    enum MHD_Result *sent) {
    hist_error he;
    if (!name) {
        *sent = api_send_error(r, c, 400, "bad_request", "the \"series\" parameter is required");
        return -1;
    }
    /* Another enterprise's series is reported as not found, as one that
     * does not exist: its existence is not the caller's business. */
    if (!api_scope_sees_series(r, name) ||
        hist_series_lookup(r->srv->o.historian, name, id, &he) != HIST_OK) {
        *sent = api_send_error(r, c, 404, "not_found", "no series \"%s\"", name);
        return -1;
    }
    return 0;
}

bool api_want_csv(struct MHD_Connection *c) {
    const char *f = api_arg(c, "format");
    if (f) return !strcmp(f, "csv");
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    return acc && strstr(acc, "text/csv") && !strstr(acc, "application/json");
}

/* from/to (to defaults to now, from to default_span before to) and the
 * span limit. */
int api_want_range_span(req *r, struct MHD_Connection *c, int64_t default_span, int64_t *from,
                        int64_t *to, enum MHD_Result *sent) {
    int64_t now = pw_wall_ms();
    *to = now + 1;
    if (api_arg(c, "to") && !api_parse_time(api_arg(c, "to"), now, to)) {
        *sent = api_send_error(r, c, 400, "bad_request", "to: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    *from = *to - default_span;
    if (api_arg(c, "from") && !api_parse_time(api_arg(c, "from"), now, from)) {
        *sent = api_send_error(r, c, 400, "bad_request", "from: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    if (*from >= *to) {
        *sent = api_send_error(r, c, 400, "bad_request", "from must be before to");
        return -1;
    }
    if (*to - *from > r->srv->o.max_span_ms) {
        *sent = api_send_error(r, c, 400, "limit_exceeded",
                               "the range spans more than %lld days (max_span)",
                               (long long)(r->srv->o.max_span_ms / 86400000));
        return -1;
    }
    return 0;
}

int api_want_range(req *r, struct MHD_Connection *c, int64_t *from, int64_t *to,
                   enum MHD_Result *sent) {
    return api_want_range_span(r, c, 3600000, from, to, sent);
}

void api_series_set_free(series_set *ss) {
    free(ss->ids);
    free(ss->names);
    free(ss->buf);
    free(ss->infos);
    memset(ss, 0, sizeof *ss);
}

/* Fills ss with the series asked for; unknown or unseen names are left
 * out when lenient, else an error is sent. */
int api_want_series_set(req *r, struct MHD_Connection *c, series_set *ss, bool lenient,
                        enum MHD_Result *sent) {
    api_server *s = r->srv;
    size_t cap = s->o.max_series_per_req;
    memset(ss, 0, sizeof *ss);
    const char *list0 = api_arg(c, "series");
    size_t want = cap;
    if (list0) { /* as many as named (the limit is checked below) */
        want = 1;
        for (const char *p = list0; *p; p++) want += *p == ',';
        if (want > cap) want = cap;
    }
    ss->ids = malloc(want * sizeof *ss->ids);
    ss->names = malloc(want * sizeof *ss->names);
    if (!ss->ids || !ss->names) {
        *sent = api_send_error(r, c, 500, "internal", "out of memory");
        return -1;
    }
    hist_error he;
    const char *list = api_arg(c, "series"), *ent = api_arg(c, "enterprise");
    if (list) {
        ss->buf = strdup(list);
        char **names = malloc(want * sizeof *names);
        bool over;
        size_t n = ss->buf && names ? api_split_list(ss->buf, names, want, &over) : 0;
        if (ss->buf && names && over) {
            free(names);
            *sent =
                api_send_error(r, c, 400, "limit_exceeded", "at most %zu series a request", cap);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t id;
            if (api_scope_sees_series(r, names[i]) &&
                hist_series_lookup(s->o.historian, names[i], &id, &he) == HIST_OK) {
                ss->ids[ss->n] = id;
                ss->names[ss->n++] = names[i];
            } else if (!lenient) {
                *sent = api_send_error(r, c, 404, "not_found", "no series \"%s\"", names[i]);
                free(names);
                return -1;
            }
        }
        free(names);
        return 0;
    }
    if (!ent) {
        *sent = api_send_error(r, c, 400, "bad_request", "give series=a,b,c or enterprise=E");
        return -1;
    }
    if (!api_scope_sees(r, ent, false)) {
        *sent = api_send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                               r->tok.enterprise);
        return -1;
    }
    hist_series_list l = {0};
    if (hist_series_find(s->o.historian, ent, &l, &he) != HIST_OK) {
        *sent = api_send_error(r, c, 500, "internal", "historian: %s", he.msg);
        return -1;
    }
    if (l.n > cap) {
        hist_series_list_free(&l);
        *sent = api_send_error(r, c, 400, "limit_exceeded",
                               "enterprise %s has more than %zu series; name them", ent, cap);
        return -1;
    }
    ss->infos = malloc((l.n ? l.n : 1) * sizeof *ss->infos);
    for (size_t i = 0; ss->infos && i < l.n; i++)
        if (hist_series_get(s->o.historian, l.ids[i], &ss->infos[ss->n], &he) == HIST_OK) {
            ss->ids[ss->n] = l.ids[i];
            ss->names[ss->n] = ss->infos[ss->n].name;
            ss->n++;
        }
    hist_series_list_free(&l);
    return 0;
}
