/*
 * routes_replay.c - the live and replay event streams' requests (their
 * pacing is stream.c's pump).
 */
#include "api/internal.h"

static char **dup_names(char *const *names, size_t n) {
    char **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = strdup(names[i]);
    return v;
}

/* GET /api/v1/live/stream?series=a,b[&interval=1s]: every new value of the
 * chosen series, polled from the historian's last values. */
enum MHD_Result api_h_live_stream(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    series_set ss;
    if (api_want_series_set(r, c, &ss, false, &sent)) {
        api_series_set_free(&ss);
        return sent;
    }
    int64_t interval = 1000;
    if (api_arg(c, "interval") &&
        (!api_parse_duration(api_arg(c, "interval"), &interval) || interval < 200)) {
        api_series_set_free(&ss);
        return api_send_error(r, c, 400, "bad_request", "interval: a duration of 200ms or more");
    }
    stream *st = calloc(1, sizeof *st);
    if (!st) {
        api_series_set_free(&ss);
        return api_send_error(r, c, 500, "internal", "out of memory");
    }
    st->kind = ST_LIVE;
    st->n_ids = ss.n;
    st->ids = malloc((ss.n ? ss.n : 1) * sizeof *st->ids);
    st->sent_ts = calloc(ss.n ? ss.n : 1, sizeof *st->sent_ts);
    st->names = dup_names(ss.names, ss.n);
    if (st->ids) memcpy(st->ids, ss.ids, ss.n * sizeof *st->ids);
    st->interval_ms = interval;
    api_series_set_free(&ss);
    if (!st->ids || !st->sent_ts || !st->names) {
        api_stream_release(st);
        return api_send_error(r, c, 500, "internal", "out of memory");
    }
    return api_start_stream(r, c, st, NULL, 0);
}

static int cmp_item(const void *a, const void *b) {
    int64_t x = ((const replay_item *)a)->ts_ms, y = ((const replay_item *)b)->ts_ms;
    return x < y ? -1 : x > y;
}

/* GET /api/v1/replay/stream?from&to&speed&series=a,b: the state at from,
 * then the points and alarm transitions in [from, to) in time order,
 * played at speed times real time (0: as fast as the client reads). */
enum MHD_Result api_h_replay_stream(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    int64_t from, to;
    if (!api_arg(c, "from") || !api_arg(c, "to"))
        return api_send_error(r, c, 400, "bad_request", "from and to are required");
    if (api_want_range(r, c, &from, &to, &sent)) return sent;
    double speed = 1;
    if (api_arg(c, "speed")) {
        if (!api_parse_real(api_arg(c, "speed"), 0, 1e6, &speed))
            return api_send_error(r, c, 400, "bad_request", "speed: 0 (no pacing) to 1000000");
    }
    series_set ss;
    memset(&ss, 0, sizeof ss);
    if ((api_arg(c, "series") || api_arg(c, "enterprise")) &&
        api_want_series_set(r, c, &ss, false, &sent)) {
        api_series_set_free(&ss);
        return sent;
    }
    stream *st = calloc(1, sizeof *st);
    size_t cap = 1024, budget = s->o.max_points;
    replay_item *items = malloc(cap * sizeof *items);
    size_t n = 0;
    bool over = false;
    textbuf first = {0};
    if (!st || !items) goto oom;
    /* the state at from */
    hist_value *v = calloc(ss.n ? ss.n : 1, sizeof *v);
    hist_error he;
    if (!v || hist_snapshot(s->o.historian, from - 1, ss.ids, ss.n, v, &he) != HIST_OK) {
        free(v);
        goto oom;
    }
    textbuf d = {0};
    tb_printf(&d, "{\"at\":%lld,\"values\":[", (long long)from);
    api_tb_values(&d, s, &ss, v);
    tb_str(&d, "]}");
    free(v);
    api_tb_sse(&first, 0, "state", d.p ? d.p : "{}");
    free(d.p);
#define PUSH_ITEM(ts, sb)                                                                          \
    do {                                                                                           \
        if (n == cap) {                                                                            \
            replay_item *ni = realloc(items, 2 * cap * sizeof *ni);                                \
            if (!ni) goto oom;                                                                     \
            items = ni, cap *= 2;                                                                  \
        }                                                                                          \
        items[n].ts_ms = (ts);                                                                     \
        items[n++].text = (sb).p;                                                                  \
    } while (0)
    for (size_t i = 0; i < ss.n && !over; i++) {
        hist_samples sm = {0};
        if (hist_query_raw(s->o.historian, ss.ids[i], from, to, budget + 1, &sm, &he) != HIST_OK) {
            hist_samples_free(&sm);
            goto oom;
        }
        for (size_t k = 0; k < sm.n; k++) {
            if (!budget) {
                over = true;
                break;
            }
            budget--;
            textbuf e = {0};
            tb_str(&e, "event: point\ndata: {\"series\":");
            tb_jstr(&e, ss.names[i]);
            tb_printf(&e, ",\"ts\":%lld,\"value\":", (long long)sm.v[k].ts_ms);
            api_tb_num(&e, sm.v[k].value);
            tb_printf(&e, ",\"quality\":%u}\n\n", sm.v[k].quality);
            if (e.oom) {
                hist_samples_free(&sm);
                goto oom;
            }
            PUSH_ITEM(sm.v[k].ts_ms, e);
        }
        hist_samples_free(&sm);
    }
    const char *ent_asked = api_arg(c, "enterprise");
    if (s->o.alarms && !over) {
        alert_event *ev;
        size_t ne;
        if (alert_journal_range(s->o.alarms, from, to, &ev, &ne) == 0) {
            for (size_t i = 0; i < ne; i++) {
                alert_rule ru;
                if (alert_rule_get(s->o.alarms, ev[i].rule, &ru) != 0) continue;
                if (!api_scope_sees(r, ru.enterprise, false) ||
                    !api_alarm_asked(&ss, ent_asked, &ru))
                    continue;
                if (!budget) {
                    over = true;
                    break;
                }
                budget--;
                textbuf e = {0}, dd = {0};
                api_tb_event(&dd, r->srv, &ev[i], &ru);
                tb_str(&e, "event: alarm\ndata: ");
                tb_str(&e, dd.p ? dd.p : "{}");
                tb_str(&e, "\n\n");
                free(dd.p);
                if (e.oom) {
                    free(ev);
                    goto oom;
                }
                PUSH_ITEM(ev[i].ts_ms, e);
            }
            free(ev);
        }
    }
#undef PUSH_ITEM
    if (over) {
        for (size_t i = 0; i < n; i++) free(items[i].text);
        free(items), free(st), free(first.p);
        api_series_set_free(&ss);
        return api_send_error(r, c, 400, "limit_exceeded",
                              "the replay holds more than %zu points and transitions; shorten it",
                              s->o.max_points);
    }
    /* stable order: points and transitions at one instant keep their order */
    qsort(items, n, sizeof *items, cmp_item);
    st->kind = ST_REPLAY;
    st->items = items, st->n_items = n;
    st->from_ms = from, st->to_ms = to, st->speed = speed;
    st->start_mono = pw_mono_s();
    api_series_set_free(&ss);
    enum MHD_Result rc = api_start_stream(r, c, st, first.p, first.oom ? 0 : first.n);
    free(first.p);
    return rc;
oom:
    for (size_t i = 0; items && i < n; i++) free(items[i].text);
    free(items), free(st), free(first.p);
    api_series_set_free(&ss);
    return api_send_error(r, c, 500, "internal", "out of memory or historian failure");
}
