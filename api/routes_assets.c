/*
 * routes_assets.c - the park's assets as a regulator asks about them: the
 * enterprises with their status (GET /enterprises), instrument health and
 * its figures by day (GET /health), major hazard sources missing a
 * critical parameter (GET /assets/monitoring), and an operator's own
 * limit for a rule (POST /alarms/rules/{rule}), kept in a file parkd
 * applies at every start (api_manual_rules_apply).
 */
#include <fcntl.h>
#include <unistd.h>

#include "api/internal.h"
#include "assets/assets.h"
#include "common/clock.h"
#include "health/health.h"

/* ---- the config's enterprises ---- */

int api_copy_enterprises(api_server *s, const api_enterprise *e, size_t n) {
    if (!n) return 0;
    s->ents = calloc(n, sizeof *s->ents);
    if (!s->ents) return -1;
    s->n_ents = n;
    for (size_t i = 0; i < n; i++) {
        s->ents[i].id = api_xstrdup(e[i].id ? e[i].id : "");
        s->ents[i].name = api_xstrdup(e[i].name ? e[i].name : "");
        s->ents[i].name_zh = api_xstrdup(e[i].name_zh ? e[i].name_zh : "");
        if (!s->ents[i].id || !s->ents[i].name || !s->ents[i].name_zh) return -1;
    }
    return 0;
}

void api_free_enterprises(api_server *s) {
    for (size_t i = 0; i < s->n_ents; i++) {
        free((char *)s->ents[i].id);
        free((char *)s->ents[i].name);
        free((char *)s->ents[i].name_zh);
    }
    free(s->ents);
    s->ents = NULL, s->n_ents = 0;
}

static const api_enterprise *config_enterprise(const api_server *s, const char *id) {
    for (size_t i = 0; id && i < s->n_ents; i++)
        if (!strcmp(s->ents[i].id, id)) return &s->ents[i];
    return NULL;
}

/* The layout's enterprise plot of an id, or NULL. */
static const geo_feature *enterprise_plot(const api_server *s, const char *id) {
    const geo_layout *g = s->o.layout;
    if (!g || !id || !*id) return NULL;
    long i = geo_find(g, id);
    const geo_feature *f = i >= 0 ? geo_get(g, (size_t)i) : NULL;
    return f && f->kind == GEO_ENTERPRISE ? f : NULL;
}

/* The config's name, else the layout plot's, else "". */
const char *api_enterprise_name(const api_server *s, const char *id) {
    const api_enterprise *e = config_enterprise(s, id);
    if (e && *e->name) return e->name;
    const geo_feature *f = enterprise_plot(s, id);
    return f ? f->name : "";
}

static const char *enterprise_name_zh(const api_server *s, const char *id) {
    const api_enterprise *e = config_enterprise(s, id);
    if (e && *e->name_zh) return e->name_zh;
    const geo_feature *f = enterprise_plot(s, id);
    return f ? f->name_zh : "";
}

/* What every alarm row and rule says beyond its state: the unit of value
 * and limit, the class, the asset, where the limit comes from and whose
 * it is. Appended as members of an open object. */
void api_tb_rule_meta(textbuf *b, const api_server *s, const alert_rule *ru) {
    tb_str(b, ",\"unit\":");
    tb_jstr(b, ru->unit ? ru->unit : "");
    tb_printf(b, ",\"class\":\"%s\",\"origin\":\"%s\",\"asset\":",
              alert_class_name(alert_kind_class(ru->kind)), alert_origin_name(ru->origin));
    tb_jstr(b, ru->asset ? ru->asset : "");
    tb_str(b, ",\"basis\":");
    tb_jstr(b, ru->basis ? ru->basis : "");
    tb_str(b, ",\"enterprise_name\":");
    tb_jstr(b, api_enterprise_name(s, ru->enterprise));
    if (ru->kind == ALERT_RANGE) {
        tb_str(b, ",\"limit_low\":");
        api_tb_num(b, ru->limit_low);
    }
    if (ru->window_ms > 0) tb_printf(b, ",\"window_ms\":%lld", (long long)ru->window_ms);
}

/* ---- GET /enterprises ---- */

/* The ids to list: the config's (with a layout, those with a plot in it:
 * the park's own series, "PARK", are not an enterprise), else the
 * layout's enterprise plots. */
static size_t enterprise_ids(const api_server *s, const char ***out) {
    size_t n = 0;
    const char **ids = NULL;
    if (s->n_ents) {
        ids = malloc(s->n_ents * sizeof *ids);
        for (size_t i = 0; ids && i < s->n_ents; i++)
            if (!s->o.layout || enterprise_plot(s, s->ents[i].id)) ids[n++] = s->ents[i].id;
    } else if (s->o.layout) {
        size_t all = geo_count_all(s->o.layout);
        ids = malloc((all ? all : 1) * sizeof *ids);
        for (size_t i = 0; ids && i < all; i++) {
            const geo_feature *f = geo_get(s->o.layout, i);
            if (f->kind == GEO_ENTERPRISE) ids[n++] = f->id;
        }
    }
    *out = ids;
    return ids ? n : 0;
}

typedef struct ent_counts {
    unsigned process[4], instrument[4];
} ent_counts;

enum MHD_Result api_h_enterprises(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const char **ids;
    size_t n = enterprise_ids(s, &ids);
    ent_counts *counts = calloc(n ? n : 1, sizeof *counts);
    if (!counts) {
        free(ids);
        return api_send_error(r, c, 500, "internal", "out of memory");
    }
    /* Active alarms (annunciated: not shelved, suppressed or out of
     * service) by class and priority. */
    alert_status *st = NULL;
    size_t n_st = 0;
    if (s->o.alarms && alert_list_active(s->o.alarms, &st, &n_st) != 0) n_st = 0;
    for (size_t i = 0; i < n_st; i++) {
        alert_rule ru;
        if (!st[i].active || st[i].shelved || st[i].suppressed || st[i].out_of_service ||
            alert_rule_get(s->o.alarms, st[i].rule, &ru) != 0 || ru.priority < 1 || ru.priority > 4)
            continue;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(ids[k], ru.enterprise)) {
                if (alert_kind_class(ru.kind) == ALERT_CLASS_INSTRUMENT)
                    counts[k].instrument[ru.priority - 1]++;
                else
                    counts[k].process[ru.priority - 1]++;
                break;
            }
    }
    free(st);
    int64_t now = pw_wall_ms();
    textbuf b = {0};
    tb_str(&b, "{\"enterprises\":[");
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) {
        if (!api_scope_sees(r, ids[k], false)) continue;
        tb_str(&b, shown++ ? ",{\"id\":" : "{\"id\":");
        tb_jstr(&b, ids[k]);
        tb_str(&b, ",\"name\":");
        tb_jstr(&b, api_enterprise_name(s, ids[k]));
        tb_str(&b, ",\"name_zh\":");
        tb_jstr(&b, enterprise_name_zh(s, ids[k]));
        const geo_feature *f = enterprise_plot(s, ids[k]);
        if (f && isfinite(f->bbox[0])) {
            tb_str(&b, ",\"centre\":[");
            api_tb_num(&b, (f->bbox[0] + f->bbox[2]) / 2);
            tb_str(&b, ",");
            api_tb_num(&b, (f->bbox[1] + f->bbox[3]) / 2);
            tb_str(&b, "],\"bbox\":[");
            for (int q = 0; q < 4; q++) {
                if (q) tb_str(&b, ",");
                api_tb_num(&b, f->bbox[q]);
            }
            tb_str(&b, "]");
        }
        health_figures now_f = {0}, day_f = {0};
        char herr[128];
        bool have_health = s->o.health &&
                           health_now(s->o.health, ids[k], now, &now_f, herr, sizeof herr) == 0 &&
                           health_day(s->o.health, ids[k], health_day_start(now), now, &day_f, herr,
                                      sizeof herr) == 0;
        if (have_health) {
            tb_printf(&b, ",\"series\":%zu,\"online\":%zu,\"online_rate\":", now_f.instruments,
                      now_f.online);
            api_tb_num(&b, now_f.online_rate);
            tb_str(&b, ",\"completeness_today\":");
            api_tb_num(&b, day_f.completeness);
            tb_str(&b, ",\"healthy_share\":");
            api_tb_num(&b, now_f.healthy_share);
            const char *status = !now_f.instruments || !now_f.online ? "offline"
                                 : now_f.online < now_f.instruments  ? "partial"
                                                                     : "online";
            tb_printf(&b, ",\"status\":\"%s\"", status);
        } else {
            tb_str(&b, ",\"status\":null");
        }
        tb_str(&b, ",\"alarms\":{\"process\":[");
        for (int p = 0; p < 4; p++) tb_printf(&b, "%s%u", p ? "," : "", counts[k].process[p]);
        tb_str(&b, "],\"instrument\":[");
        for (int p = 0; p < 4; p++) tb_printf(&b, "%s%u", p ? "," : "", counts[k].instrument[p]);
        tb_str(&b, "]}}");
    }
    tb_printf(&b, "],\"count\":%zu}", shown);
    free(counts);
    free(ids);
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* ---- GET /health ---- */

static void tb_day(textbuf *b, const char *key, int64_t day_ms) {
    /* the day's date at UTC+8, the park's clock */
    time_t t = (time_t)((day_ms + 8 * 3600000LL) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tb_printf(b, "\"%s\":\"%04d-%02d-%02d\"", key, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void tb_figures(textbuf *b, const health_figures *f, bool now) {
    tb_printf(b,
              "\"instruments\":%zu,\"online\":%zu,\"healthy\":%zu,\"online_rate\":", f->instruments,
              f->online, f->healthy);
    api_tb_num(b, f->online_rate);
    tb_str(b, ",\"healthy_share\":");
    api_tb_num(b, f->healthy_share);
    if (!now) {
        tb_str(b, ",\"completeness\":");
        api_tb_num(b, f->completeness);
        tb_printf(b, ",\"points_received\":%llu,\"points_expected\":%llu",
                  (unsigned long long)f->points_received, (unsigned long long)f->points_expected);
    }
    tb_str(b, ",\"by_kind\":{");
    bool first = true;
    for (int k = 0; k < ALERT_KIND_COUNT; k++) {
        if (alert_kind_class((alert_kind)k) != ALERT_CLASS_INSTRUMENT) continue;
        tb_printf(b, "%s\"%s\":%u", first ? "" : ",", alert_kind_name((alert_kind)k),
                  f->by_kind[k]);
        first = false;
    }
    tb_str(b, "}");
}

enum MHD_Result api_h_health_figures(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    if (!s->o.health)
        return api_send_error(r, c, 503, "unavailable", "instrument health is not configured");
    const char *ent;
    enum MHD_Result sent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    size_t days = 7;
    const char *d = api_arg(c, "days");
    if (d && (!api_parse_size(d, &days) || days < 1 || days > 90))
        return api_send_error(r, c, 400, "bad_request", "days: 1 to 90");
    int64_t now = pw_wall_ms();
    char herr[160];
    health_figures f;
    if (health_now(s->o.health, ent, now, &f, herr, sizeof herr) != 0)
        return api_send_error(r, c, 500, "internal", "%s", herr);
    textbuf b = {0};
    tb_str(&b, "{\"enterprise\":");
    if (ent)
        tb_jstr(&b, ent);
    else
        tb_str(&b, "null");
    tb_printf(&b, ",\"now\":{\"ts_ms\":%lld,", (long long)now);
    tb_figures(&b, &f, true);
    tb_str(&b, "},\"days\":[");
    int64_t today = health_day_start(now);
    for (size_t i = 0; i < days; i++) {
        int64_t day = today - (int64_t)(days - 1 - i) * 86400000LL;
        if (health_day(s->o.health, ent, day, now, &f, herr, sizeof herr) != 0) {
            free(b.p);
            return api_send_error(r, c, 500, "internal", "%s", herr);
        }
        tb_str(&b, i ? ",{" : "{");
        tb_day(&b, "day", day);
        tb_printf(&b, ",\"day_ms\":%lld,", (long long)day);
        tb_figures(&b, &f, false);
        tb_str(&b, "}");
    }
    tb_str(&b, "]");
    if (!ent) { /* the park's: each enterprise's figures of today */
        const char **ids;
        size_t n = enterprise_ids(s, &ids);
        tb_str(&b, ",\"enterprises\":[");
        for (size_t k = 0, shown = 0; k < n; k++) {
            health_figures t;
            if (health_day(s->o.health, ids[k], today, now, &t, herr, sizeof herr) != 0) continue;
            tb_str(&b, shown++ ? ",{\"id\":" : "{\"id\":");
            tb_jstr(&b, ids[k]);
            tb_str(&b, ",\"name\":");
            tb_jstr(&b, api_enterprise_name(s, ids[k]));
            tb_str(&b, ",\"name_zh\":");
            tb_jstr(&b, enterprise_name_zh(s, ids[k]));
            tb_str(&b, ",\"online_rate\":");
            api_tb_num(&b, t.online_rate);
            tb_str(&b, ",\"completeness\":");
            api_tb_num(&b, t.completeness);
            tb_str(&b, ",\"healthy_share\":");
            api_tb_num(&b, t.healthy_share);
            tb_str(&b, "}");
        }
        tb_str(&b, "]");
        free(ids);
    }
    tb_str(&b, "}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* ---- GET /assets/monitoring ---- */

enum MHD_Result api_h_monitoring(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const geo_layout *g = s->o.layout;
    if (!g) return api_send_error(r, c, 503, "unavailable", "no layout is loaded");
    const char *ent;
    enum MHD_Result sent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    assets_gaps gaps = {0};
    char err[160];
    if (assets_check_monitoring(g, &gaps, err, sizeof err) != 0)
        return api_send_error(r, c, 500, "internal", "%s", err);
    textbuf b = {0};
    tb_printf(&b, "{\"sources_checked\":%zu,\"gaps\":[", gaps.sources_checked);
    size_t shown = 0;
    for (size_t i = 0; i < gaps.n; i++) {
        const geo_feature *hs = geo_get(g, gaps.v[i].hazard_source),
                          *a = geo_get(g, gaps.v[i].asset);
        if (!api_scope_sees(r, hs->enterprise, false)) continue;
        if (ent && strcmp(ent, hs->enterprise)) continue;
        tb_str(&b, shown++ ? ",{\"hazard_source\":" : "{\"hazard_source\":");
        tb_jstr(&b, hs->id);
        tb_str(&b, ",\"enterprise\":");
        tb_jstr(&b, hs->enterprise);
        tb_str(&b, ",\"enterprise_name\":");
        tb_jstr(&b, api_enterprise_name(s, hs->enterprise));
        tb_str(&b, ",\"asset\":");
        tb_jstr(&b, a->id);
        tb_printf(&b, ",\"asset_kind\":\"%s\",\"missing\":", geo_kind_name(a->kind));
        tb_jstr(&b, gaps.v[i].missing);
        tb_str(&b, "}");
    }
    tb_printf(&b, "],\"count\":%zu}", shown);
    assets_gaps_free(&gaps);
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* ---- an operator's limits ---- */

/* The file: {"version": 1, "rules": [{"series", "kind", "limit",
 * "limit_low", "deadband", "priority", "by", "at_ms", "comment"}]}, one
 * entry per series and kind (the newest), written atomically. */
static int save_manual(const char *path, json_t *doc, char *err, size_t errcap) {
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errcap, "the manual rules file's name is too long");
        return -1;
    }
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        snprintf(err, errcap, "cannot write %.200s", tmp);
        return -1;
    }
    int fd = open(tmp, O_RDONLY);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errcap, "cannot replace %.200s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static json_t *load_manual(const char *path, char *err, size_t errcap) {
    if (access(path, F_OK) != 0) return json_pack("{s:i,s:[]}", "version", 1, "rules");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "rules"))) {
        snprintf(err, errcap, "%s: not a manual rules file (%s)", path, je.text);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

#define LIMIT_MAX 1e12

/* Fills *out from an entry over the rule's current settings. */
static int entry_rule(json_t *e, alert_rule *out, char *err, size_t errcap) {
    static const char *const nums[] = {"limit", "limit_low", "deadband"};
    double *dst[] = {&out->limit, &out->limit_low, &out->deadband};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(e, nums[i]);
        if (!v || json_is_null(v)) continue;
        /* an engineering value, not a number's extremes (2^53, 1e308) */
        if (!json_is_number(v) || !(fabs(json_number_value(v)) <= LIMIT_MAX)) {
            snprintf(err, errcap, "%s must be a number of at most 1e12 in magnitude", nums[i]);
            return -1;
        }
        *dst[i] = json_number_value(v);
    }
    json_t *p = json_object_get(e, "priority");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 4) {
            snprintf(err, errcap, "priority must be 1 to 4");
            return -1;
        }
        out->priority = (int)json_integer_value(p);
    }
    out->origin = ALERT_ORIGIN_MANUAL;
    return 0;
}

static void manual_basis(json_t *e, char *out, size_t cap) {
    const char *by = json_string_value(json_object_get(e, "by")),
               *why = json_string_value(json_object_get(e, "comment"));
    snprintf(out, cap, "manual: set by %s%s%s", by && *by ? by : "an operator",
             why && *why ? ": " : "", why && *why ? why : "");
}

int api_manual_rules_apply(const char *path, alert_engine *al, size_t *applied, char *err,
                           size_t errcap) {
    *applied = 0;
    json_t *doc = load_manual(path, err, errcap);
    if (!doc) return -1;
    size_t n = alert_rule_count(al), i;
    json_t *e;
    int rc = 0;
    json_array_foreach(json_object_get(doc, "rules"), i, e) {
        const char *series = json_string_value(json_object_get(e, "series")),
                   *kn = json_string_value(json_object_get(e, "kind"));
        alert_kind kind;
        if (!series || !kn || !alert_kind_parse(kn, &kind)) continue;
        for (uint32_t id = 0; id < n; id++) {
            alert_rule ru;
            if (alert_rule_get(al, id, &ru) != 0 || ru.kind != kind ||
                strcmp(ru.series_name, series))
                continue;
            char basis[256], why[192];
            manual_basis(e, basis, sizeof basis);
            if (entry_rule(e, &ru, why, sizeof why) != 0 ||
                (ru.basis = basis, alert_rule_update(al, id, &ru, why, sizeof why) != 0)) {
                snprintf(err, errcap, "%s: %s %s: %s", path, series, kn, why);
                rc = -1;
            } else {
                (*applied)++;
            }
            break;
        }
    }
    json_decref(doc);
    return rc;
}

/* POST /alarms/rules/{rule}: {"limit", "limit_low", "deadband",
 * "priority", "comment"}; any of them. */
enum MHD_Result api_h_rule_set(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    alert_engine *al = s->o.alarms;
    if (!al) return api_send_error(r, c, 503, "unavailable", "alarms are not configured");
    if (!s->manual_rules_file)
        return api_send_error(r, c, 503, "unavailable", "manual limits are not configured");
    char *end;
    errno = 0;
    unsigned long id = strtoul(r->param[0], &end, 10);
    alert_rule ru;
    if (*end || errno || id > UINT32_MAX || alert_rule_get(al, (uint32_t)id, &ru) != 0 ||
        !api_scope_sees(r, ru.enterprise, false))
        return api_send_error(r, c, 404, "not_found", "no rule %s", r->param[0]);
    if (ru.kind == ALERT_FAULT)
        return api_send_error(r, c, 422, "unprocessable", "a fault alarm has no limit to set");
    json_t *body;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, false, &body, &sent)) return sent;
    static const char *const known[] = {"limit", "limit_low", "deadband", "priority", "comment"};
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) ok |= !strcmp(key, known[k]);
        if (!ok) { /* said before the body (which holds key) is released */
            enum MHD_Result sent_u =
                api_send_error(r, c, 400, "bad_request",
                               "unknown member \"%.64s\" (limit, limit_low, deadband, priority, "
                               "comment)",
                               key);
            json_decref(body);
            return sent_u;
        }
    }
    const char *comment = json_string_value(json_object_get(body, "comment"));
    json_t *entry = json_pack("{s:s,s:s,s:s,s:I,s:s}", "series", ru.series_name, "kind",
                              alert_kind_name(ru.kind), "by", r->tok.name, "at_ms",
                              (json_int_t)pw_wall_ms(), "comment", comment ? comment : "");
    static const char *const copied[] = {"limit", "limit_low", "deadband", "priority"};
    for (size_t k = 0; entry && k < 4; k++)
        if (json_object_get(body, copied[k]))
            json_object_set(entry, copied[k], json_object_get(body, copied[k]));
    json_decref(body);
    char err[256], basis[256];
    if (!entry) return api_send_error(r, c, 500, "internal", "out of memory");
    if (entry_rule(entry, &ru, err, sizeof err) != 0) {
        json_decref(entry);
        return api_send_error(r, c, 400, "bad_request", "%s", err);
    }
    manual_basis(entry, basis, sizeof basis);
    ru.basis = basis;
    pthread_mutex_lock(&s->mrmu);
    json_t *doc = load_manual(s->manual_rules_file, err, sizeof err);
    int rc = doc ? 0 : -1;
    if (rc == 0 && alert_rule_update(al, (uint32_t)id, &ru, err, sizeof err) != 0) rc = 422;
    if (rc == 0) {
        json_t *rules = json_object_get(doc, "rules");
        for (size_t i = json_array_size(rules); i-- > 0;) {
            json_t *o = json_array_get(rules, i);
            const char *os = json_string_value(json_object_get(o, "series")),
                       *ok = json_string_value(json_object_get(o, "kind"));
            if (os && ok && !strcmp(os, ru.series_name) && !strcmp(ok, alert_kind_name(ru.kind)))
                json_array_remove(rules, i);
        }
        json_array_append(rules, entry);
        if (save_manual(s->manual_rules_file, doc, err, sizeof err) != 0) rc = -1;
    }
    pthread_mutex_unlock(&s->mrmu);
    json_decref(doc);
    if (rc == 0) api_audit(s, r, "rule_set", json_incref(entry));
    json_decref(entry);
    if (rc == 422) return api_send_error(r, c, 422, "unprocessable", "%s", err);
    if (rc) return api_send_error(r, c, 500, "internal", "%s", err);
    alert_status st;
    if (alert_rule_get(al, (uint32_t)id, &ru) != 0 || alert_get(al, (uint32_t)id, &st) != 0)
        return api_send_error(r, c, 500, "internal", "the rule vanished");
    textbuf b = {0};
    api_tb_rule(&b, s, &st, &ru);
    return api_send_sb(r, c, 200, "application/json", &b);
}
