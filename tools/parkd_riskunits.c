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
 */
#include "tools/parkd_riskunits.h"

#include "common/clock.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parkd_riskunits {
    riskunits *store;
    int64_t last_ms;
};

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

/* The units' ids and assets, copied out of the store's lock. */
typedef struct unit_assets {
    char id[64];
    char (*assets)[64];
    size_t n_assets;
} unit_assets;

typedef struct unit_list {
    unit_assets *v;
    size_t n, cap;
    bool oom;
} unit_list;

static void collect_unit(void *ctx, const char *id, const char *enterprise,
                         const char *const *assets, size_t n_assets) {
    (void)enterprise;
    unit_list *l = ctx;
    if (l->oom) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        unit_assets *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) {
            l->oom = true;
            return;
        }
        l->v = nv, l->cap = cap;
    }
    unit_assets *u = &l->v[l->n];
    snprintf(u->id, sizeof u->id, "%s", id);
    u->assets = calloc(n_assets ? n_assets : 1, sizeof *u->assets);
    if (!u->assets) {
        l->oom = true;
        return;
    }
    for (size_t i = 0; i < n_assets; i++) snprintf(u->assets[i], 64, "%s", assets[i]);
    u->n_assets = n_assets;
    l->n++;
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

void parkd_riskunits_tick(parkd_riskunits *p, alert_engine *alarms, int64_t now_ms) {
    if (!p || now_ms - p->last_ms < RISKUNITS_LIVE_EVERY_MS) return;
    p->last_ms = now_ms;
    size_t n_alarms;
    asset_alarm *aa = asset_alarms(alarms, &n_alarms);
    unit_list units = {0};
    riskunits_each(p->store, collect_unit, &units);
    for (size_t u = 0; u < units.n; u++) {
        ru_live_inputs in = {0};
        const char *reasons[RU_REASONS_MAX];
        for (size_t a = 0; aa && a < units.v[u].n_assets; a++) {
            asset_alarm key;
            snprintf(key.asset, sizeof key.asset, "%s", units.v[u].assets[a]);
            /* the first alarm of the asset, then its others */
            size_t lo = 0, hi = n_alarms;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(aa[mid].asset, key.asset) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t k = lo; k < n_alarms && !strcmp(aa[k].asset, key.asset); k++) {
                in.alarms_by_priority[aa[k].priority - 1]++;
                if (in.n_reasons < RU_REASONS_MAX) reasons[in.n_reasons++] = aa[k].reason;
            }
        }
        /* TODO(hazards): fill hazards_open, hazards_overdue and
         * hazards_major_open from the hidden-hazard register (hazards/)
         * for this unit when that module lands; zero until then. */
        in.hazards_open = in.hazards_overdue = in.hazards_major_open = 0;
        in.reasons = reasons;
        riskunits_update_live(p->store, units.v[u].id, &in, now_ms);
        free(units.v[u].assets);
    }
    free(units.v);
    free(aa);
}

void parkd_riskunits_close(parkd_riskunits *p) {
    if (!p) return;
    riskunits_close(p->store);
    free(p);
}
