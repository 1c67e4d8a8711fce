/*
 * parkd_alarms.c - parkd's alarm rules and series units at start (see
 * parkd_alarms.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "assets/assets.h"
#include "tools/parkd_alarms.h"
#include "tools/parkd_conditions.h"

/* The series registered at start: name, unit, interval; found by name
 * through an open-addressing index (slot: position + 1), as every rule of
 * a large park looks its series up. */
typedef struct series_defs {
    hist_series_def *v;
    uint32_t *ids;
    size_t n, cap;
    size_t *slot, n_slots; /* a power of two, at least twice n */
} series_defs;

static size_t name_hash(const char *s) {
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot holding name, or the empty one where it would go. */
static size_t def_slot(const series_defs *d, const char *name) {
    size_t i = name_hash(name) & (d->n_slots - 1);
    while (d->slot[i] && strcmp(d->v[d->slot[i] - 1].name, name)) i = (i + 1) & (d->n_slots - 1);
    return i;
}

static int def_grow_index(series_defs *d) {
    size_t n = d->n_slots ? d->n_slots * 2 : 4096;
    size_t *old = d->slot, old_n = d->n_slots;
    if (!(d->slot = calloc(n, sizeof *d->slot))) {
        d->slot = old;
        return -1;
    }
    d->n_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i]) d->slot[def_slot(d, d->v[old[i] - 1].name)] = old[i];
    free(old);
    return 0;
}

/* The config's unit of a series: its exact name, else the longest "*suffix". */
static const char *config_unit(json_t *units, const char *name) {
    const char *u = json_string_value(json_object_get(units, name)), *key;
    if (u) return u;
    size_t best = 0, nl = strlen(name);
    json_t *v;
    json_object_foreach(units, key, v) {
        size_t kl = strlen(key);
        if (kl < 2 || key[0] != '*' || kl - 1 > nl || kl - 1 <= best || !json_is_string(v))
            continue;
        if (!strcmp(name + nl - (kl - 1), key + 1)) best = kl - 1, u = json_string_value(v);
    }
    return u;
}

static int64_t interval_of(const parkd_alarm_setup *s, const char *name) {
    size_t el = strcspn(name, "/");
    for (size_t i = 0; i < s->n_ents; i++)
        if (strlen(s->ents[i].id) == el && !strncmp(s->ents[i].id, name, el))
            return s->ents[i].interval_ms;
    return 0;
}

/* Adds a series (once); unit may be NULL (an existing unit is kept). */
static long def_add(series_defs *d, const parkd_alarm_setup *s, const char *name,
                    const char *unit) {
    if (2 * (d->n + 1) > d->n_slots && def_grow_index(d) != 0) return -1;
    size_t at = def_slot(d, name);
    if (d->slot[at]) {
        long i = (long)d->slot[at] - 1;
        if (unit && !d->v[i].unit) d->v[i].unit = unit;
        return i;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        hist_series_def *nv = realloc(d->v, cap * sizeof *nv);
        if (!nv) return -1;
        d->v = nv, d->cap = cap;
    }
    const char *cu = config_unit(s->units, name);
    d->v[d->n] = (hist_series_def){name, cu ? cu : unit, NULL, interval_of(s, name)};
    d->slot[at] = d->n + 1;
    return (long)d->n++;
}

/* A config rule ("alarms.rules[k]") into *r, its series registered. */
static int config_rule(const parkd_alarm_setup *s, size_t k, json_t *jr, series_defs *d,
                       alert_rule *r, long *series_def, long *paired_def, char *ent, size_t entcap,
                       char *err, size_t errcap) {
    const char *kn = json_string_value(json_object_get(jr, "kind")),
               *series = json_string_value(json_object_get(jr, "series")),
               *paired = json_string_value(json_object_get(jr, "paired"));
    alert_kind kind;
    if (!series || !kn || !alert_kind_parse(kn, &kind) ||
        !json_is_number(json_object_get(jr, "limit"))) {
        snprintf(err, errcap, "alarms.rules[%zu] needs series, kind and limit", k);
        return -1;
    }
    snprintf(ent, entcap, "%.*s", (int)strcspn(series, "/"), series);
    json_t *v;
    *r = (alert_rule){.series_name = series,
                      .enterprise = ent,
                      .kind = kind,
                      .limit = json_number_value(json_object_get(jr, "limit")),
                      .priority = 2,
                      .origin = ALERT_ORIGIN_CONFIG,
                      .basis = "config: alarms.rules"};
    if (json_is_number(v = json_object_get(jr, "deadband"))) r->deadband = json_number_value(v);
    if (json_is_number(v = json_object_get(jr, "limit_low"))) r->limit_low = json_number_value(v);
    if (json_is_integer(v = json_object_get(jr, "on_delay_ms")))
        r->on_delay_ms = json_integer_value(v);
    if (json_is_integer(v = json_object_get(jr, "off_delay_ms")))
        r->off_delay_ms = json_integer_value(v);
    if (json_is_integer(v = json_object_get(jr, "priority")))
        r->priority = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(jr, "window_ms"))) r->window_ms = json_integer_value(v);
    *series_def = def_add(d, s, series, NULL);
    *paired_def = -1;
    if (kind == ALERT_DEVIATION || kind == ALERT_IMBALANCE) {
        if (!paired || !strcmp(paired, series)) {
            snprintf(err, errcap, "alarms.rules[%zu]: a %s rule needs another series in \"paired\"",
                     k, kn);
            return -1;
        }
        *paired_def = def_add(d, s, paired, NULL);
    }
    return *series_def < 0 ? -1 : 0;
}

/* The overrides handed to assets_derive: the config's "limits", with the
 * alarms' hazard margin as the gas detectors' default. malloc'd. */
static char *overrides_text(const parkd_alarm_setup *s) {
    json_t *o = s->limits ? json_deep_copy(s->limits) : json_object();
    json_t *gd = json_object_get(o, "gas_detector");
    if (!gd) json_object_set_new(o, "gas_detector", gd = json_object());
    if (!json_object_get(gd, "hazard_margin_m"))
        json_object_set_new(gd, "hazard_margin_m", json_real(s->hazard_margin_m));
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return txt;
}

/* The gas detectors' GB/T 50493 rules, the ones earlier versions made. */
static bool legacy_rule(const geo_layout *g, const assets_rule *a) {
    return geo_get(g, a->feature)->kind == GEO_GAS_DETECTOR &&
           (a->rule.kind == ALERT_HIGH || a->rule.kind == ALERT_HIGH_HIGH ||
            a->rule.kind == ALERT_STALE);
}

int parkd_setup_alarms(const parkd_alarm_setup *s, parkd_alarm_counts *counts, char *err,
                       size_t errcap) {
    memset(counts, 0, sizeof *counts);
    assets_rules ar = {0};
    series_defs d = {0};
    size_t n_cfg = json_array_size(s->rules);
    alert_rule *rules = NULL;
    long *sdef = NULL, *pdef = NULL;
    char(*ents)[64] = NULL;
    uint32_t *ids = NULL;
    int rc = -1;
    if (s->layout) {
        char *ov = overrides_text(s);
        int dr = !ov ? -1 : s->derive ? assets_derive(s->layout, ov, &ar, err, errcap) : 0;
        if (!ov) snprintf(err, errcap, "out of memory");
        free(ov);
        if (dr != 0) goto out;
        /* every series of the layout, with its unit */
        for (size_t i = 0; i < geo_count_all(s->layout); i++) {
            const geo_feature *f = geo_get(s->layout, i);
            for (size_t k = 0; k < f->n_series; k++) {
                const char *u = assets_unit_of(f, f->series[k]);
                if (def_add(&d, s, f->series[k], *u ? u : NULL) < 0) goto oom;
            }
        }
    }
    size_t n = ar.n + n_cfg, k = 0;
    rules = calloc(n ? n : 1, sizeof *rules);
    sdef = calloc(n ? n : 1, sizeof *sdef);
    pdef = calloc(n ? n : 1, sizeof *pdef);
    ents = calloc(n_cfg ? n_cfg : 1, sizeof *ents);
    if (!rules || !sdef || !pdef || !ents) goto oom;
    /* the order: the legacy gas rules, the config's, the other derived */
    size_t legacy = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ar.n; i++) {
            if (legacy_rule(s->layout, &ar.v[i]) != (pass == 0)) continue;
            if (pass == 1 && k == legacy) k += n_cfg; /* room for the config's */
            rules[k] = ar.v[i].rule;
            sdef[k] = def_add(&d, s, ar.v[i].rule.series_name, NULL);
            pdef[k] = ar.v[i].paired_name ? def_add(&d, s, ar.v[i].paired_name, NULL) : -1;
            if (sdef[k] < 0 || (ar.v[i].paired_name && pdef[k] < 0)) goto oom;
            k++, counts->derived++;
            if (pass == 0) legacy = k;
        }
    size_t j;
    json_t *jr;
    json_array_foreach(s->rules, j, jr) {
        if (config_rule(s, j, jr, &d, &rules[legacy + j], &sdef[legacy + j], &pdef[legacy + j],
                        ents[j], sizeof ents[j], err, errcap) != 0)
            goto out;
    }
    counts->configured = n_cfg;
    /* register every series at once, then point the rules at them */
    d.ids = malloc((d.n ? d.n : 1) * sizeof *d.ids);
    hist_error he;
    if (!d.ids) goto oom;
    if (d.n && hist_series_ensure(s->historian, d.v, d.n, d.ids, &he) != HIST_OK) {
        snprintf(err, errcap, "registering the layout's series: %.200s", he.msg);
        goto out;
    }
    for (size_t i = 0; i < d.n; i++) counts->series_with_units += d.v[i].unit != NULL;
    for (size_t i = 0; i < n; i++) {
        rules[i].series = d.ids[sdef[i]];
        if (pdef[i] >= 0) rules[i].paired_series = d.ids[pdef[i]];
        if (!rules[i].unit) rules[i].unit = d.v[sdef[i]].unit;
    }
    ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) goto oom;
    if (alert_add_rules(s->alarms, rules, n, ids, err, errcap) != 0 ||
        (s->conditions && parkd_conditions_open(s->conditions_dir, s->historian, s->alarms,
                                                s->conditions, err, errcap) != 0) ||
        alert_restore(s->alarms, err, errcap) != 0)
        goto out;
    if (s->manual_rules_file &&
        api_manual_rules_apply(s->manual_rules_file, s->alarms, &counts->manual, err, errcap) != 0)
        goto out;
    rc = 0;
    goto out;
oom:
    snprintf(err, errcap, "out of memory");
out:
    free(ids);
    free(rules);
    free(sdef);
    free(pdef);
    free(ents);
    free(d.v);
    free(d.ids);
    free(d.slot);
    assets_rules_free(&ar);
    return rc;
}
