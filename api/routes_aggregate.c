/*
 * routes_aggregate.c - GET /api/v1/aggregate: many series in one call, the
 * Parkwatch way. Series are picked by enterprise, device, kind, unit,
 * metric name, tag or name (exact, list, glob or ~regex: promql.h's
 * pq_pick), grouped by any of those labels, aggregated within each time
 * bucket (the historian's rollups serve long ranges) and across each
 * group, and optionally cut to the top or bottom k groups; or, with at=,
 * the state at one time. "The highest reading of every toxic detector of
 * E007 this week" is one call:
 *   /api/v1/aggregate?enterprise=E007&kind=gas_detector&from=-7d&agg=max&group_by=device
 */
#include "api/internal.h"

static const char *const pick_labels[] = {"enterprise", "device", "kind",  "unit",
                                          "name",       "tag",    "series"};
#define N_PICK       (sizeof pick_labels / sizeof pick_labels[0])
#define MAX_GROUP_BY 4

typedef enum { ACR_AVG, ACR_MIN, ACR_MAX, ACR_SUM, ACR_COUNT } across_op;

static const char *const across_names[] = {"avg", "min", "max", "sum", "count"};

static bool across_parse(const char *s, across_op *out) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, across_names[i])) return *out = (across_op)i, true;
    return false;
}

/* A group's running value at one bucket. */
typedef struct acc {
    double v, sum;
    double n;      /* series that had the bucket */
    double points; /* points behind it */
} acc;

static void acc_add(acc *a, across_op op, double v, double points) {
    if (a->n == 0) {
        a->v = v;
    } else if (op == ACR_MIN) {
        if (v < a->v) a->v = v;
    } else if (op == ACR_MAX) {
        if (v > a->v) a->v = v;
    }
    a->sum += v;
    a->n += 1;
    a->points += points;
}

static double acc_value(const acc *a, across_op op) {
    switch (op) {
        case ACR_AVG:
            return a->sum / a->n;
        case ACR_SUM:
            return a->sum;
        case ACR_COUNT:
            return a->n;
        default:
            return a->v;
    }
}

typedef struct group {
    char *key; /* the group_by values joined by '\x1f' */
    const char *vals[MAX_GROUP_BY];
    size_t n_series;
    acc *b;      /* per bucket */
    double rank; /* for top/bottom */
} group;

/* The groups' keys hashed (open addressing, index + 1; twice the series
 * count of slots at least): finding a series' group costs one probe, not a
 * walk over every group. */
static size_t find_group(const group *g, size_t n, const uint32_t *slots, size_t nslots,
                         const char *key, size_t *slot) {
    size_t h = api_hash_str(key) & (nslots - 1);
    for (; slots[h]; h = (h + 1) & (nslots - 1))
        if (!strcmp(g[slots[h] - 1].key, key)) break;
    *slot = h;
    return slots[h] ? slots[h] - 1 : n;
}

enum MHD_Result api_h_aggregate(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent = MHD_NO;
    pq_pick picks[N_PICK];
    size_t np = 0;
    for (size_t i = 0; i < N_PICK; i++) {
        const char *v = api_arg(c, pick_labels[i]);
        if (v) picks[np++] = (pq_pick){pick_labels[i], v};
    }
    if (!np)
        return api_send_error(r, c, 400, "bad_request",
                              "pick series by enterprise, device, kind, unit, name, tag or series");
    /* the time: at= (the state then) or from/to with an optional step */
    const char *at_s = api_arg(c, "at");
    int64_t at = 0, from = 0, to = 0, step = 0;
    if (at_s) {
        if (!api_parse_time(at_s, pw_wall_ms(), &at))
            return api_send_error(r, c, 400, "bad_request", "at: a time (ms, RFC 3339, \"now\")");
    } else {
        if (api_want_range(r, c, &from, &to, &sent)) return sent;
        step = to - from;
        if (api_arg(c, "step") && !api_parse_duration(api_arg(c, "step"), &step))
            return api_send_error(r, c, 400, "bad_request",
                                  "step: a duration such as 60000, 10s, 1m, 1h");
    }
    hist_agg agg = HIST_AGG_AVG;
    const char *aggs = api_arg(c, "agg");
    if (aggs && !hist_agg_parse(aggs, &agg))
        return api_send_error(r, c, 400, "bad_request",
                              "agg must be avg, min, max, sum, count, first or last");
    if (at_s && aggs)
        return api_send_error(r, c, 400, "bad_request",
                              "agg is for ranges; at= takes each series' last value");
    across_op across = agg == HIST_AGG_MIN     ? ACR_MIN
                       : agg == HIST_AGG_MAX   ? ACR_MAX
                       : agg == HIST_AGG_SUM   ? ACR_SUM
                       : agg == HIST_AGG_COUNT ? ACR_SUM /* points add up */
                                               : ACR_AVG;
    if (api_arg(c, "across") && !across_parse(api_arg(c, "across"), &across))
        return api_send_error(r, c, 400, "bad_request",
                              "across must be avg, min, max, sum or count");
    /* group_by */
    char gbuf[256] = "series";
    const char *gb[MAX_GROUP_BY];
    size_t ngb = 0;
    if (api_arg(c, "group_by")) snprintf(gbuf, sizeof gbuf, "%s", api_arg(c, "group_by"));
    bool over = false;
    char *pieces[MAX_GROUP_BY];
    ngb = api_split_list(gbuf, pieces, MAX_GROUP_BY, &over);
    if (over)
        return api_send_error(r, c, 400, "bad_request", "group_by names at most %d labels",
                              MAX_GROUP_BY);
    for (size_t i = 0; i < ngb; i++) {
        bool known = false;
        for (size_t k = 0; k < N_PICK && !known; k++) known = !strcmp(pieces[i], pick_labels[k]);
        if (!known)
            return api_send_error(r, c, 400, "bad_request",
                                  "group_by: %s is not one of enterprise, device, kind, unit, "
                                  "name, tag, series",
                                  pieces[i]);
        gb[i] = pieces[i];
    }
    uint64_t top = 0, bottom = 0;
    if ((api_arg(c, "top") && !api_parse_count(api_arg(c, "top"), 1, 10000, &top)) ||
        (api_arg(c, "bottom") && !api_parse_count(api_arg(c, "bottom"), 1, 10000, &bottom)))
        return api_send_error(r, c, 400, "bad_request", "top and bottom: a count, 1..10000");
    if (top && bottom) return api_send_error(r, c, 400, "bad_request", "top or bottom, not both");

    /* output buckets: aligned to multiples of step, as /series/range's; without
     * step one bucket over [from, to), read at the coarsest rollup that fits */
    size_t n_buckets = 1;
    int64_t base = from, hstep = step;
    bool stepped = !at_s && api_arg(c, "step");
    if (stepped) {
        base = from - ((from % step) + step) % step;
        int64_t nb = (to - 1 - base) / step + 1;
        if (nb > (int64_t)s->o.max_points)
            return api_send_error(r, c, 400, "limit_exceeded",
                                  "%lld buckets asked; at most %zu (raise step or shorten the "
                                  "range)",
                                  (long long)nb, s->o.max_points);
        n_buckets = (size_t)nb;
    } else if (!at_s) {
        hstep = to - from >= 2 * 3600000 ? 3600000 : to - from >= 120000 ? 60000 : to - from;
    }
    /* the series */
    uint32_t *ids = NULL;
    size_t n_ids = 0;
    pq_error pe = {0};
    size_t max_series = s->o.max_series_per_req * 10;
    const char *scope = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL;
    if (pq_pick_series(s->prom, picks, np, scope, max_series, &ids, &n_ids, &pe) != 0)
        return api_send_error(r, c,
                              pe.status == 413   ? 413
                              : pe.status >= 500 ? 500
                                                 : 400,
                              pe.status == 413 ? "too_many_series" : "bad_request", "%s", pe.msg);
    if (n_ids * n_buckets > s->o.max_points * 10) {
        free(ids);
        return api_send_error(r, c, 413, "too_many_points",
                              "%zu series x %zu buckets; at most %zu values (pick fewer series or "
                              "raise step)",
                              n_ids, n_buckets, s->o.max_points * 10);
    }
    group *groups = calloc(n_ids ? n_ids : 1, sizeof *groups);
    size_t ng = 0;
    hist_buckets bk = {0};
    hist_value *hv = NULL;
    hist_error he;
    int failed = 0;
    hist_bucket *merged = calloc(n_buckets, sizeof *merged);
    size_t nslots = 16;
    while (nslots < 2 * n_ids) nslots *= 2;
    uint32_t *gslots = calloc(nslots, sizeof *gslots);
    if (!groups || !merged || !gslots) failed = 500;
    if (at_s && !failed) {
        hv = malloc((n_ids ? n_ids : 1) * sizeof *hv);
        if (!hv || hist_snapshot(s->o.historian, at, ids, n_ids, hv, &he) != HIST_OK) failed = 500;
    }
    char lbuf[MAX_GROUP_BY][HIST_SERIES_NAME_MAX + 1];
    for (size_t i = 0; i < n_ids && !failed; i++) {
        /* the series' group */
        char key[4 * (HIST_SERIES_NAME_MAX + 2)] = "";
        const char *vals[MAX_GROUP_BY];
        size_t kl = 0;
        for (size_t k = 0; k < ngb; k++) {
            vals[k] = pq_series_label(s->prom, ids[i], gb[k], lbuf[k], sizeof lbuf[k]);
            kl += (size_t)snprintf(key + kl, sizeof key - kl, "%s\x1f", vals[k]);
            if (kl >= sizeof key) kl = sizeof key - 1;
        }
        size_t slot;
        size_t g = find_group(groups, ng, gslots, nslots, key, &slot);
        if (g == ng) {
            gslots[slot] = (uint32_t)(ng + 1);
            groups[g].key = strdup(key);
            groups[g].b = calloc(n_buckets, sizeof *groups[g].b);
            if (!groups[g].key || !groups[g].b) {
                failed = 500;
                break;
            }
            for (size_t k = 0; k < ngb; k++) {
                /* the value's copy lives in the key */
                const char *p = groups[g].key;
                for (size_t j = 0; j < k; j++) p = strchr(p, '\x1f') + 1;
                groups[g].vals[k] = p;
            }
            ng++;
        }
        groups[g].n_series++;
        if (at_s) {
            if (hv[i].present && !hist_quality_bad(hv[i].quality) && isfinite(hv[i].value))
                acc_add(&groups[g].b[0], across, hv[i].value, 1);
            continue;
        }
        if (hist_query_agg(s->o.historian, ids[i], from, to, hstep, 0, &bk, &he) != HIST_OK) {
            failed = 500;
            break;
        }
        /* the series' buckets merged into the output's, then its value into the group */
        memset(merged, 0, n_buckets * sizeof *merged);
        for (size_t j = 0; j < bk.n; j++) {
            const hist_bucket *hb = &bk.v[j];
            size_t k = stepped ? (size_t)((hb->ts_ms - base) / step) : 0;
            if (k >= n_buckets || !hb->count) continue;
            hist_bucket *m = &merged[k];
            if (!m->count) {
                *m = *hb;
                continue;
            }
            m->min = hb->min < m->min ? hb->min : m->min;
            m->max = hb->max > m->max ? hb->max : m->max;
            m->sum += hb->sum;
            m->last = hb->last; /* buckets come in time order */
            m->count += hb->count;
        }
        for (size_t k = 0; k < n_buckets; k++)
            if (merged[k].count)
                acc_add(&groups[g].b[k], across, hist_bucket_value(&merged[k], agg),
                        merged[k].count);
    }
    if (failed) {
        for (size_t g = 0; g < ng; g++) free(groups[g].key), free(groups[g].b);
        free(groups), free(ids), free(hv), free(merged), free(gslots);
        hist_buckets_free(&bk);
        return api_send_error(r, c, 500, "internal", "historian: %s", he.msg);
    }
    /* top / bottom k groups: by their highest (top) or lowest (bottom) bucket */
    size_t keep = ng;
    if (top || bottom) {
        for (size_t g = 0; g < ng; g++) {
            double rank = top ? -INFINITY : INFINITY;
            for (size_t k = 0; k < n_buckets; k++) {
                if (!groups[g].b[k].n) continue;
                double v = acc_value(&groups[g].b[k], across);
                if (top ? v > rank : v < rank) rank = v;
            }
            groups[g].rank = rank;
        }
        /* selection sort of the k best: k is small */
        size_t k = top ? top : bottom;
        if (k > ng) k = ng;
        for (size_t i = 0; i < k; i++) {
            size_t best = i;
            for (size_t j = i + 1; j < ng; j++)
                if (top ? groups[j].rank > groups[best].rank : groups[j].rank < groups[best].rank)
                    best = j;
            group t = groups[i];
            groups[i] = groups[best], groups[best] = t;
        }
        keep = k;
    }
    textbuf b = {0};
    tb_str(&b, "{");
    if (at_s)
        tb_printf(&b, "\"at\":%lld", (long long)at);
    else
        tb_printf(&b, "\"from\":%lld,\"to\":%lld,\"step_ms\":%lld,\"agg\":\"%s\"", (long long)from,
                  (long long)to, (long long)step, hist_agg_name(agg));
    tb_printf(&b, ",\"across\":\"%s\",\"series_selected\":%zu,\"group_by\":[", across_names[across],
              n_ids);
    for (size_t k = 0; k < ngb; k++) {
        if (k) tb_str(&b, ",");
        tb_jstr(&b, gb[k]);
    }
    tb_str(&b, "],\"groups\":[");
    for (size_t g = 0; g < keep; g++) {
        if (g) tb_str(&b, ",");
        tb_str(&b, "{\"labels\":{");
        for (size_t k = 0; k < ngb; k++) {
            if (k) tb_str(&b, ",");
            tb_jstr(&b, gb[k]);
            tb_str(&b, ":");
            char v[HIST_SERIES_NAME_MAX + 1];
            const char *end = strchr(groups[g].vals[k], '\x1f');
            snprintf(v, sizeof v, "%.*s", (int)(end - groups[g].vals[k]), groups[g].vals[k]);
            tb_jstr(&b, v);
        }
        tb_printf(&b, "},\"series\":%zu,\"buckets\":[", groups[g].n_series);
        bool first = true;
        for (size_t k = 0; k < n_buckets; k++) {
            const acc *a = &groups[g].b[k];
            if (!a->n) continue;
            if (!first) tb_str(&b, ",");
            first = false;
            int64_t t = at_s ? at : stepped ? base + (int64_t)k * step : from;
            tb_printf(&b, "{\"t\":%lld,\"v\":", (long long)t);
            api_tb_num(&b, acc_value(a, across));
            tb_printf(&b, ",\"series\":%.0f,\"points\":%.0f}", a->n, a->points);
        }
        tb_str(&b, "]}");
    }
    tb_str(&b, "]}");
    for (size_t g = 0; g < ng; g++) free(groups[g].key), free(groups[g].b);
    free(groups), free(ids), free(hv), free(merged), free(gslots);
    hist_buckets_free(&bk);
    return api_send_sb(r, c, 200, "application/json", &b);
}
