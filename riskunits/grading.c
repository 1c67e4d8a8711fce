/*
 * grading.c - the four levels and their colours, the bands a park sets,
 * LEC (D = L x E x C) and LS (R = L x S), and the live rule. Pure
 * functions; the facts and their sources are in
 * docs/reference/risk-grading.md.
 *
 * LEC's factors include 0.5, 0.2 and 0.1, so D is computed in hundredths
 * as an integer (each factor times ten, exact for every table value) and
 * compared with the thresholds in hundredths too: D = 320 and D = 321 fall
 * where the table says, not where a rounding error puts them.
 */
#include "riskunits/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const level_names[RU_LEVEL_COUNT] = {"low", "general", "large", "major"};
static const char *const level_colours[RU_LEVEL_COUNT] = {"blue", "yellow", "orange", "red"};

const char *ru_level_name(ru_level l) {
    return (unsigned)l < RU_LEVEL_COUNT ? level_names[l] : "unknown";
}

const char *ru_level_colour(ru_level l) {
    return (unsigned)l < RU_LEVEL_COUNT ? level_colours[l] : "unknown";
}

bool ru_level_parse(const char *name, ru_level *out) {
    for (int i = 0; name && i < RU_LEVEL_COUNT; i++)
        if (!strcmp(name, level_names[i])) {
            *out = (ru_level)i;
            return true;
        }
    return false;
}

/* ---- bands ---- */

void ru_bands_default(ru_bands *b) {
    /* LEC: the 5-band table's grade 1 major, 2 large, 3 general, 4 and 5
     * low (R4b's colours); LS: R6b's bands (R = 9 large), the stricter of
     * the two sources. */
    *b = (ru_bands){.lec_major_above = 320,
                    .lec_large_above = 160,
                    .lec_general_above = 70,
                    .ls_major_min = 20,
                    .ls_large_min = 9,
                    .ls_general_min = 4};
}

static int band_num(const json_t *o, const char *group, const char *key, double lo, double hi,
                    bool integer, double *v, char *err, size_t errcap) {
    const json_t *x = json_object_get(o, key);
    if (!x) return 0;
    if (!json_is_number(x) || (integer && !json_is_integer(x)) || !isfinite(json_number_value(x)) ||
        json_number_value(x) < lo || json_number_value(x) > hi) {
        snprintf(err, errcap, "%s.%s: a%s number from %g to %g", group, key,
                 integer ? "n integer" : "", lo, hi);
        return -1;
    }
    *v = json_number_value(x);
    return 0;
}

int ru_bands_load(const json_t *obj, ru_bands *b, char *err, size_t errcap) {
    if (!obj) return 0;
    if (!json_is_object(obj)) {
        snprintf(err, errcap, "bands: an object {\"lec\": {...}, \"ls\": {...}}");
        return -1;
    }
    const json_t *lec = json_object_get(obj, "lec"), *ls = json_object_get(obj, "ls");
    if ((lec && !json_is_object(lec)) || (ls && !json_is_object(ls))) {
        snprintf(err, errcap, "bands: lec and ls are objects");
        return -1;
    }
    double lmaj = b->lec_major_above, llar = b->lec_large_above, lgen = b->lec_general_above;
    double smaj = b->ls_major_min, slar = b->ls_large_min, sgen = b->ls_general_min;
    if (band_num(lec, "lec", "major_above", 0, 1e6, false, &lmaj, err, errcap) ||
        band_num(lec, "lec", "large_above", 0, 1e6, false, &llar, err, errcap) ||
        band_num(lec, "lec", "general_above", 0, 1e6, false, &lgen, err, errcap) ||
        band_num(ls, "ls", "major_min", 2, 25, true, &smaj, err, errcap) ||
        band_num(ls, "ls", "large_min", 2, 25, true, &slar, err, errcap) ||
        band_num(ls, "ls", "general_min", 2, 25, true, &sgen, err, errcap))
        return -1;
    if (!(lmaj > llar && llar > lgen)) {
        snprintf(err, errcap, "lec: major_above > large_above > general_above");
        return -1;
    }
    if (!(smaj > slar && slar > sgen)) {
        snprintf(err, errcap, "ls: major_min > large_min > general_min");
        return -1;
    }
    *b = (ru_bands){lmaj, llar, lgen, (int)smaj, (int)slar, (int)sgen};
    return 0;
}

/* ---- LEC ---- */

/* The factor tables, times ten (reference §1.3, R5a/R5b). */
static const int lec_l10[] = {100, 60, 30, 10, 5, 2, 1};
static const int lec_e10[] = {100, 60, 30, 20, 10, 5};
static const int lec_c10[] = {1000, 400, 150, 70, 30, 10};

/* The tenths of v when v is in the table, else -1. */
static int factor10(const int *table, size_t n, double v) {
    for (size_t i = 0; i < n; i++)
        if (fabs(v * 10 - table[i]) < 1e-6) return table[i];
    return -1;
}

static int factor10_of(char factor, double v) {
    if (!isfinite(v)) return -1;
    switch (factor) {
        case 'L':
            return factor10(lec_l10, sizeof lec_l10 / sizeof *lec_l10, v);
        case 'E':
            return factor10(lec_e10, sizeof lec_e10 / sizeof *lec_e10, v);
        case 'C':
            return factor10(lec_c10, sizeof lec_c10 / sizeof *lec_c10, v);
        default:
            return -1;
    }
}

bool ru_lec_factor_ok(char factor, double v) {
    return factor10_of(factor, v) >= 0;
}

/* A threshold in hundredths (D's unit here). */
static long long hundredths(double v) {
    return llround(v * 100);
}

static ru_level lec_level100(long long d100, const ru_bands *b) {
    if (d100 > hundredths(b->lec_major_above)) return RU_MAJOR;
    if (d100 > hundredths(b->lec_large_above)) return RU_LARGE;
    if (d100 > hundredths(b->lec_general_above)) return RU_GENERAL;
    return RU_LOW;
}

ru_level ru_lec_level(double d, const ru_bands *b) {
    return lec_level100(hundredths(d), b);
}

int ru_lec_grade(double d) {
    long long d100 = hundredths(d);
    return d100 > 32000 ? 1 : d100 > 16000 ? 2 : d100 > 7000 ? 3 : d100 > 2000 ? 4 : 5;
}

int ru_lec(double l, double e, double c, const ru_bands *b, double *d, ru_level *level, char *err,
           size_t errcap) {
    int l10 = factor10_of('L', l), e10 = factor10_of('E', e), c10 = factor10_of('C', c);
    const char *bad = l10 < 0   ? "l: not an LEC likelihood (10, 6, 3, 1, 0.5, 0.2, 0.1)"
                      : e10 < 0 ? "e: not an LEC exposure (10, 6, 3, 2, 1, 0.5)"
                      : c10 < 0 ? "c: not an LEC consequence (100, 40, 15, 7, 3, 1)"
                                : NULL;
    if (bad) {
        snprintf(err, errcap, "%s", bad);
        return -1;
    }
    /* tenths x tenths x tenths = thousandths; C's are whole, so /10 is exact */
    long long d100 = (long long)l10 * e10 * c10 / 10;
    *d = (double)d100 / 100;
    *level = lec_level100(d100, b);
    return 0;
}

/* ---- LS ---- */

ru_level ru_ls_level(int r, const ru_bands *b) {
    return r >= b->ls_major_min     ? RU_MAJOR
           : r >= b->ls_large_min   ? RU_LARGE
           : r >= b->ls_general_min ? RU_GENERAL
                                    : RU_LOW;
}

int ru_ls(int l, int s, const ru_bands *b, int *r, ru_level *level, char *err, size_t errcap) {
    if (l < 1 || l > 5 || s < 1 || s > 5) {
        snprintf(err, errcap, "%s: an LS factor is an integer 1..5", l < 1 || l > 5 ? "l" : "s");
        return -1;
    }
    *r = l * s;
    *level = ru_ls_level(*r, b);
    return 0;
}

/* ---- the live level ---- */

static void add_reason(char reasons[][RU_REASON_MAX], size_t *n, const char *fmt, unsigned k,
                       const char *level) {
    if (!reasons || *n >= RU_REASONS_MAX) return;
    snprintf(reasons[*n], RU_REASON_MAX, fmt, k, k == 1 ? "" : "s", level);
    (*n)++;
}

ru_level ru_live_level(ru_level assessed, const ru_live_inputs *in, char reasons[][RU_REASON_MAX],
                       size_t *n_reasons) {
    size_t n = 0;
    ru_level live = assessed;
    if (in) {
        if (in->alarms_by_priority[0] || in->hazards_major_open) {
            if (live < RU_LARGE) live = RU_LARGE;
            if (in->alarms_by_priority[0])
                add_reason(reasons, &n, "%u active priority-1 alarm%s: at least %s",
                           in->alarms_by_priority[0], "large");
            if (in->hazards_major_open)
                add_reason(reasons, &n, "%u open major hidden hazard%s: at least %s",
                           in->hazards_major_open, "large");
        }
        if (in->alarms_by_priority[1]) {
            if (live < RU_GENERAL) live = RU_GENERAL;
            add_reason(reasons, &n, "%u active priority-2 alarm%s: at least %s",
                       in->alarms_by_priority[1], "general");
        }
        if (in->hazards_overdue) {
            if (live < RU_MAJOR) live = (ru_level)(live + 1);
            add_reason(reasons, &n, "%u overdue hidden hazard%s: one level up, to %s",
                       in->hazards_overdue, ru_level_name(live));
        }
        unsigned minor = in->alarms_by_priority[2] + in->alarms_by_priority[3];
        if (minor)
            add_reason(reasons, &n, "%u active priority-3/4 alarm%s%s: listed, no raise", minor,
                       "");
        for (size_t i = 0; reasons && in->reasons && i < in->n_reasons && n < RU_REASONS_MAX; i++)
            if (in->reasons[i]) snprintf(reasons[n++], RU_REASON_MAX, "%s", in->reasons[i]);
    }
    if (n_reasons) *n_reasons = n;
    return live;
}
