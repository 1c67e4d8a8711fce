/*
 * parkd_riskunits.c - parkd's risk units (parkd_riskunits.h): opening the
 * store, the start-up import, and the live levels from the alarm engine.
 *
 * The live inputs are counted here, not in riskunits/ (which knows neither
 * the alarm engine nor the hazard register): once every few seconds the
 * active alarms are listed once, each annunciated one (not shelved,
 * suppressed or out of service) keyed by its rule's asset, and each unit's
 * assets looked up among them. A park has tens of active alarms and
 * hundreds of units: a sorted array and a binary search are enough.
 *
 * Open hidden hazards (hazards/) count for a unit of their enterprise when
 * their position lies inside the unit's polygon (within UNIT_POINT_M of a
 * point unit), or their location names the unit's id. At most
 * UNIT_HAZARDS_MAX open hazards are looked at a round (each is one read
 * of the register); a park past that is told so once.
 */
#include "tools/parkd_riskunits.h"

#include "common/clock.h"
#include "hazards/hazards.h"

#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parkd_riskunits {
    riskunits *store;
    int64_t last_ms;
    bool hazards_capped; /* said once */
};

#define UNIT_HAZARDS_MAX 5000
#define UNIT_POINT_M     30.0

/* An open hidden hazard, as the units see it. */
typedef struct open_hazard {
    char enterprise[32], location[64];
    bool has_pos, major, overdue;
    double lon, lat;
    char reason[RU_REASON_MAX];
} open_hazard;

static const char *str_of(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The open hazards (reported, assigned, rectified, verified), at most
 * UNIT_HAZARDS_MAX; *capped when there were more. */
static open_hazard *open_hazards(hazards *hz, int64_t now_ms, size_t *n_out, bool *capped) {
    *n_out = 0, *capped = false;
    open_hazard *v = calloc(UNIT_HAZARDS_MAX, sizeof *v);
    if (!v) return NULL;
    hazard_actor park = {HAZARD_ACTOR_PARK, "parkd", NULL};
    uint64_t ids[HAZARDS_LIST_MAX];
    char cursor[HAZARDS_CURSOR] = "", next[HAZARDS_CURSOR], err[256];
    size_t n = 0;
    for (int st = HAZARD_REPORTED; st < HAZARD_CLOSED && n < UNIT_HAZARDS_MAX; st++) {
        cursor[0] = 0;
        do {
            hazard_filter f = {.state = st, .grade = -1, .overdue = -1, .supervised = -1};
            size_t got = 0, total = 0;
            if (hazards_list(hz, &park, &f, -1, now_ms, cursor, 0, HAZARDS_LIST_MAX, ids, &got,
                             &total, next, err, sizeof err) != HAZARD_OK)
                break;
            for (size_t i = 0; i < got; i++) {
                if (n == UNIT_HAZARDS_MAX) {
                    *capped = true;
                    break;
                }
                json_t *h = NULL;
                if (hazards_get(hz, &park, ids[i], -1, now_ms, &h, err, sizeof err) != HAZARD_OK)
                    continue;
                open_hazard *o = &v[n++];
                const char *title = json_string_value(json_object_get(h, "title"));
                snprintf(o->enterprise, sizeof o->enterprise, "%s", str_of(h, "enterprise"));
                snprintf(o->location, sizeof o->location, "%s", str_of(h, "location"));
                json_t *lon = json_object_get(h, "lon"), *lat = json_object_get(h, "lat");
                o->has_pos = json_is_number(lon) && json_is_number(lat);
                o->lon = json_number_value(lon), o->lat = json_number_value(lat);
                const char *grade = json_string_value(json_object_get(h, "grade"));
                o->major = grade && !strcmp(grade, "major");
                o->overdue = json_is_true(json_object_get(h, "overdue"));
                snprintf(o->reason, sizeof o->reason, "hidden hazard %llu%s%s: %s",
                         (unsigned long long)ids[i], o->major ? " (major)" : "",
                         o->overdue ? " overdue" : "", title ? title : "");
                json_decref(h);
            }
            snprintf(cursor, sizeof cursor, "%s", next);
        } while (cursor[0] && n < UNIT_HAZARDS_MAX);
    }
    *n_out = n;
    return v;
}

/* Whether (lon, lat) lies inside ring (GeoJSON positions): even-odd rule. */
static bool in_ring(const json_t *ring, double lon, double lat) {
    bool in = false;
    size_t n = json_array_size(ring);
    for (size_t i = 0, j = n ? n - 1 : 0; i < n; j = i++) {
        const json_t *a = json_array_get(ring, i), *b = json_array_get(ring, j);
        double xi = json_number_value(json_array_get(a, 0)),
               yi = json_number_value(json_array_get(a, 1));
        double xj = json_number_value(json_array_get(b, 0)),
               yj = json_number_value(json_array_get(b, 1));
        if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

/* Whether a hazard at (lon, lat) lies in the unit's geometry: inside its
 * outer ring and no hole, or within UNIT_POINT_M of a point unit. */
static bool in_geometry(const json_t *g, double lon, double lat) {
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *c = json_object_get(g, "coordinates");
    if (type && !strcmp(type, "Point")) {
        double dlon = lon - json_number_value(json_array_get(c, 0)),
               dlat = lat - json_number_value(json_array_get(c, 1));
        double m_per_deg = 111320.0;
        double dx = dlon * m_per_deg * cos(lat * M_PI / 180), dy = dlat * m_per_deg;
        return sqrt(dx * dx + dy * dy) <= UNIT_POINT_M;
    }
    if (!type || strcmp(type, "Polygon") || !in_ring(json_array_get(c, 0), lon, lat)) return false;
    for (size_t k = 1; k < json_array_size(c); k++)
        if (in_ring(json_array_get(c, k), lon, lat)) return false;
    return true;
}

/* One active, annunciated alarm on an asset. */
typedef struct asset_alarm {
    char asset[64];
    int priority;
    char reason[RU_REASON_MAX];
} asset_alarm;

static int cmp_asset_alarm(const void *a, const void *b) {
    const asset_alarm *x = a, *y = b;
    int c = strcmp(x->asset, y->asset);
    return c ? c : x->priority - y->priority;
}

static int import_file(riskunits *ru, const char *path, size_t *imported, char *err,
                       size_t errcap) {
    FILE *f = fopen(path, "rb");
    if (!f) return snprintf(err, errcap, "risk_units.import: cannot open %s", path), -1;
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            if (cap > (64u << 20)) break; /* a park's CSV is kilobytes */
            cap = cap ? cap * 2 : 65536;
            char *nt = realloc(text, cap);
            if (!nt) break;
            text = nt;
        }
        size_t got = fread(text + n, 1, cap - n, f);
        n += got;
        if (!got) break;
    }
    bool whole = feof(f) && text;
    fclose(f);
    if (!whole) {
        free(text);
        return snprintf(err, errcap, "risk_units.import: %s: cannot read it whole", path), -1;
    }
    char ierr[320];
    int rc = riskunits_import_csv(ru, text, n, "parkd (risk_units.import)", NULL, pw_wall_ms(),
                                  imported, ierr, sizeof ierr);
    free(text);
    if (rc) return snprintf(err, errcap, "risk_units.import: %s: %s", path, ierr), -1;
    return 0;
}

int parkd_riskunits_open(const char *data_dir, const json_t *config, parkd_riskunits **out,
                         size_t *imported, char *err, size_t errcap) {
    *out = NULL;
    *imported = 0;
    if (config && !json_is_object(config))
        return snprintf(err, errcap, "risk_units: an object {\"bands\", \"import\"}"), -1;
    ru_bands bands;
    ru_bands_default(&bands);
    char berr[200];
    if (ru_bands_load(json_object_get(config, "bands"), &bands, berr, sizeof berr) != 0)
        return snprintf(err, errcap, "risk_units.bands: %s", berr), -1;
    const json_t *imp = json_object_get(config, "import");
    if (imp && !json_is_string(imp))
        return snprintf(err, errcap, "risk_units.import: the path of a CSV file"), -1;
    parkd_riskunits *p = calloc(1, sizeof *p);
    if (!p) return snprintf(err, errcap, "out of memory"), -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/riskunits", data_dir);
    char oerr[PATH_MAX + 200];
    if (riskunits_open(dir, &bands, &p->store, oerr, sizeof oerr) != 0) {
        free(p);
        return snprintf(err, errcap, "risk units: %s", oerr), -1;
    }
    if (imp && import_file(p->store, json_string_value(imp), imported, err, errcap) != 0) {
        parkd_riskunits_close(p);
        return -1;
    }
    *out = p;
    return 0;
}

riskunits *parkd_riskunits_store(parkd_riskunits *p) {
    return p ? p->store : NULL;
}

/* The active, annunciated alarms with an asset, sorted by asset. */
static asset_alarm *asset_alarms(alert_engine *alarms, size_t *n_out) {
    *n_out = 0;
    alert_status *st = NULL;
    size_t n_st = 0;
    if (!alarms || alert_list_active(alarms, &st, &n_st) != 0) return NULL;
    asset_alarm *v = calloc(n_st ? n_st : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < n_st; i++) {
        alert_rule ru;
        if (!st[i].active || st[i].shelved || st[i].suppressed || st[i].out_of_service ||
            alert_rule_get(alarms, st[i].rule, &ru) != 0 || !ru.asset || !*ru.asset ||
            ru.priority < 1 || ru.priority > 4)
            continue;
        snprintf(v[n].asset, sizeof v[n].asset, "%s", ru.asset);
        v[n].priority = ru.priority;
        snprintf(v[n].reason, sizeof v[n].reason, "%s: %s %s (P%d)", ru.asset,
                 ru.series_name ? ru.series_name : "", alert_kind_name(ru.kind), ru.priority);
        n++;
    }
    free(st);
    if (v) qsort(v, n, sizeof *v, cmp_asset_alarm);
    *n_out = n;
    return v;
}

void parkd_riskunits_tick(parkd_riskunits *p, alert_engine *alarms, hazards *hz, int64_t now_ms,
                          void (*say)(const char *line)) {
    if (!p || now_ms - p->last_ms < RISKUNITS_LIVE_EVERY_MS) return;
    p->last_ms = now_ms;
    /* the units once, as the API lists them (ids, enterprises, assets,
     * geometry); none: nothing to count, no register read */
    json_t *list = riskunits_list(p->store, NULL);
    if (!json_array_size(list)) {
        json_decref(list);
        return;
    }
    size_t n_alarms, n_hz = 0;
    asset_alarm *aa = asset_alarms(alarms, &n_alarms);
    bool capped = false;
    open_hazard *oh = hz ? open_hazards(hz, now_ms, &n_hz, &capped) : NULL;
    if (capped && !p->hazards_capped && say)
        say("risk units: more than 5000 open hidden hazards; the units' live levels count the "
            "first 5000");
    p->hazards_capped = capped;
    size_t u;
    const json_t *uj;
    json_array_foreach(list, u, uj) {
        const char *id = str_of(uj, "id"), *ent = str_of(uj, "enterprise");
        ru_live_inputs in = {0};
        const char *reasons[RU_REASONS_MAX];
        size_t a;
        const json_t *asset;
        json_array_foreach(json_object_get(uj, "assets"), a, asset) {
            const char *name = json_string_value(asset);
            if (!aa || !name) continue;
            /* the first alarm of the asset, then its others */
            size_t lo = 0, hi = n_alarms;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(aa[mid].asset, name) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t k = lo; k < n_alarms && !strcmp(aa[k].asset, name); k++) {
                in.alarms_by_priority[aa[k].priority - 1]++;
                if (in.n_reasons < RU_REASONS_MAX) reasons[in.n_reasons++] = aa[k].reason;
            }
        }
        const json_t *geom = json_object_get(uj, "geometry");
        for (size_t k = 0; k < n_hz; k++) {
            const open_hazard *o = &oh[k];
            if (strcmp(o->enterprise, ent) ||
                !(!strcmp(o->location, id) || (o->has_pos && in_geometry(geom, o->lon, o->lat))))
                continue;
            in.hazards_open++;
            in.hazards_overdue += o->overdue;
            in.hazards_major_open += o->major;
            if (in.n_reasons < RU_REASONS_MAX) reasons[in.n_reasons++] = o->reason;
        }
        in.reasons = reasons;
        riskunits_update_live(p->store, id, &in, now_ms);
    }
    free(aa);
    free(oh);
    json_decref(list);
}

void parkd_riskunits_close(parkd_riskunits *p) {
    if (!p) return;
    riskunits_close(p->store);
    free(p);
}
