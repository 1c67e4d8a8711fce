/*
 * router.c - walks the route table (routes.c) for each request, and checks
 * everything a route asks of a request before its handler runs: the path
 * and its {parameters}, the token (401), the token's rate (429), the
 * method (405) and the capability (403, access.c's matrix). A path no row
 * matches is the dashboard's files outside /api/v1 and /metrics, a 404
 * inside (after authentication: without a token, unknown paths say
 * nothing).
 */
#include "api/internal.h"

/* Whether url matches pattern; the {parameters} are copied into r->pbuf. */
static bool path_match(const char *pattern, const char *url, req *r) {
    size_t n_param = 0, used = 0;
    const char *p = pattern, *u = url;
    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t len = strcspn(u, "/");
            if (!close || !len || n_param == API_MAX_PATH_PARAMS || used + len + 1 > sizeof r->pbuf)
                return false;
            /* {name:digits}: the segment is a number (alarms/{rule}/...) */
            const char *colon = memchr(p, ':', (size_t)(close - p));
            if (colon && !strncmp(colon, ":digits}", 8))
                for (size_t k = 0; k < len; k++)
                    if (!isdigit((unsigned char)u[k])) return false;
            memcpy(r->pbuf + used, u, len);
            r->pbuf[used + len] = 0;
            r->param[n_param++] = r->pbuf + used;
            used += len + 1;
            p = close + 1, u += len;
            continue;
        }
        if (*p != *u) return false;
        p++, u++;
    }
    return !*p && !*u;
}

static int method_of(const char *m) {
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) return API_GET;
    if (!strcmp(m, "POST")) return API_POST;
    return 0;
}

static const char *allowed_text(int methods) {
    return methods == (API_GET | API_POST) ? "GET or POST"
           : methods == API_POST           ? "POST only"
                                           : "GET only";
}

/* The rows whose pattern matches url: literal rows first, so that a fixed
 * path never reads as another row's {parameter}. *methods gets the
 * methods of the first shape that matched and *named its first row (-1:
 * none), which names the path for the metrics and its publicness; returns
 * the row for method, or -1. */
static int find_route(req *r, const char *url, int method, int *methods, int *named) {
    *methods = 0;
    *named = -1;
    for (int literal = 1; literal >= 0; literal--) {
        int hit = -1;
        for (size_t i = 0; i < api_n_routes; i++) {
            const api_route *rt = &api_routes[i];
            if ((strchr(rt->path, '{') == NULL) != literal) continue;
            if (!path_match(rt->path, url, r)) continue;
            *methods |= rt->method;
            if (*named < 0) *named = (int)i;
            if (rt->method == method && hit < 0) hit = (int)i;
        }
        if (*methods) {
            if (hit >= 0) *named = hit, path_match(api_routes[hit].path, url, r); /* its params */
            return hit;
        }
    }
    return -1;
}

int api_route_of_url(const char *url) {
    req scratch = {0};
    int methods, named;
    find_route(&scratch, url, API_GET, &methods, &named);
    return named >= 0 ? named : API_ROUTE_NONE;
}

enum MHD_Result api_dispatch(req *r, struct MHD_Connection *c, const char *url,
                             const char *method) {
    api_server *s = r->srv;
    int m = method_of(method), methods, named;
    int idx = find_route(r, url, m, &methods, &named);
    bool api = !strncmp(url, PREFIX "/", sizeof PREFIX) || !strcmp(url, "/metrics") ||
               !strncmp(url, "/prom/", 6);
    if (!methods && !api) {
        r->route = API_ROUTE_STATIC;
        if (m != API_GET) return api_send_error(r, c, 405, NULL, "GET only");
        return api_h_static(r, c, url);
    }
    r->route = named >= 0 ? named : API_ROUTE_NONE;
    bool public_path = named >= 0 && api_routes[named].cap == API_CAP_PUBLIC;
    if (!public_path) {
        if (!api_authenticate(r, c, url, api_route_flags(r->route)))
            return api_send_error(r, c, 401, "unauthorized",
                                  "a valid token is required (Authorization: Bearer <token>)");
        r->have_tok = true;
        if (!api_rate_ok(s, r->tok.id)) {
            s->rate_limited++;
            return api_send_error(r, c, 429, "rate_limited", "too many requests for this token");
        }
    }
    if (!methods) return api_send_error(r, c, 404, "not_found", "no endpoint %s", url);
    if (idx < 0) return api_send_error(r, c, 405, NULL, "%s", allowed_text(methods));
    const api_route *rt = &api_routes[idx];
    if (!api_route_permits(rt, r->tok.role))
        return api_send_error(r, c, 403, "forbidden", "a %s token may not %s",
                              api_role_name(r->tok.role), api_cap_name(rt->cap));
    return rt->fn(r, c);
}

char *api_routes_describe(void) {
    json_t *routes = json_array(), *matrix = json_object();
    for (size_t i = 0; i < api_n_routes; i++) {
        const api_route *rt = &api_routes[i];
        /* the OpenAPI template: {rule:digits} is {rule} there */
        char tpl[256];
        size_t k = 0;
        for (const char *q = rt->path; *q && k + 1 < sizeof tpl; q++) {
            if (*q == ':')
                while (q[1] && q[1] != '}') q++;
            else
                tpl[k++] = *q;
        }
        tpl[k] = 0;
        json_t *roles = json_array();
        for (int role = 0; role < API_ROLE_COUNT; role++)
            if (rt->cap != API_CAP_PUBLIC && api_route_permits(rt, (api_role)role))
                json_array_append_new(roles, json_string(api_role_name((api_role)role)));
        json_array_append_new(routes,
                              json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:o}", "method",
                                        rt->method == API_POST ? "POST" : "GET", "path", tpl,
                                        "capability", api_cap_name(rt->cap), "label", rt->label,
                                        "stream", (rt->flags & API_ROUTE_STREAM) != 0, "public",
                                        rt->cap == API_CAP_PUBLIC, "roles", roles));
    }
    for (int k = 0; k < API_ROLE_COUNT; k++) {
        json_t *caps = json_array();
        for (int cap = 0; cap < API_CAP_COUNT; cap++)
            if (api_cap_granted((api_role)k, (api_cap)cap))
                json_array_append_new(caps, json_string(api_cap_name((api_cap)cap)));
        json_object_set_new(matrix, api_role_name((api_role)k), caps);
    }
    json_t *doc = json_pack("{s:o,s:o}", "routes", routes, "matrix", matrix);
    char *text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return text;
}
