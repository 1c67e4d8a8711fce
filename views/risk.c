/*
 * risk.c - GB 18218-2018 major hazard identification and grading, tank
 * inventories and the live risk state (see risk.h for the formulas).
 *
 * The named substances (Table 1 Q, with beta from Table 3 or by hazard
 * class from Table 4) are rows of the shared substance catalogue
 * (substances.c), so the risk and plume views know the same names. This
 * file holds two static tables copied from
 * docs/reference/major-hazard-gb18218.md (cited as "gb18218.md"):
 * hazard classes (Table 2 Q joined with Table 4 beta) and the named toxic
 * gases of Table 3. Each row carries the reference's
 * status, so a [U] value is visible to the caller, and every beta that
 * rests on our reading of a GHS class says which class in beta_class.
 *
 * Where the reference leaves a beta open ("1.5 if W5.1 else 1", "J-class
 * per SDS"), or gives a Q but no beta, we take the beta of the class a
 * typical SDS gives and, where the class is in doubt, the higher of the
 * candidates, so R errs high rather than low. A site that knows better
 * sets risk_item.beta_override, which the audit record keeps.
 *
 * Everything is pure: lookups scan the small tables linearly (about 40
 * rows), which is fast enough for a view recomputed once per update and
 * keeps the tables plain data.
 */
#include "views/risk.h"
#include "common/errmsg.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */
/* ---------------------------------------------------------------------- */

#define C RISK_CONFIRMED
/* The named substances (Table 1) are in the shared catalogue, substances.c. */

/* Table 2 Q (gb18218.md section 3, "Table 2 category Q", [C]) joined with
 * Table 4 beta (gb18218.md section 2, "by hazard class", [C?] S3 only). */
static const risk_hazard_class hazard_classes[] = {
    {"J1", "acute toxicity cat. 1, gas", 5, 4},
    {"J2", "acute toxicity cat. 1, solid or liquid", 50, 1},
    {"J3", "acute toxicity cat. 2-3, gas", 50, 2},
    {"J4", "acute toxicity cat. 2-3 by inhalation, liquid bp <= 35 C", 50, 2},
    {"J5", "acute toxicity cat. 2, other liquids and solids", 500, 1},
    {"W1.1", "explosives, unstable or division 1.1", 1, 2},
    {"W1.2", "explosives, division 1.2-1.5", 10, 2},
    {"W1.3", "explosives, division 1.6", 50, 2},
    {"W2", "flammable gas", 10, 1.5},
    {"W3", "aerosols", 150, 1},
    {"W4", "oxidizing gas", 50, 1},
    {"W5.1", "flammable liquid cat. 1, or cat. 2-3 above boiling point", 10, 1.5},
    {"W5.2", "flammable liquid cat. 2-3 under special process conditions", 50, 1},
    {"W5.3", "flammable liquid cat. 2, other", 1000, 1},
    {"W5.4", "flammable liquid cat. 3, other", 5000, 1},
    {"W6.1", "self-reactive, types A-B", 10, 1.5},
    {"W6.2", "self-reactive, types C-F", 50, 1},
    {"W7.1", "organic peroxides, types A-B", 10, 1.5},
    {"W7.2", "organic peroxides, types C-F", 50, 1},
    {"W8", "pyrophoric liquids and solids", 50, 1},
    {"W9.1", "oxidizing liquids and solids cat. 1", 50, 1},
    {"W9.2", "oxidizing liquids and solids cat. 2-3", 200, 1},
    {"W10", "flammable solids", 200, 1},
    {"W11", "water-reactive, emitting flammable gas", 200, 1},
};

/* Table 3 (gb18218.md section 2, "named toxic gases", [C] S2; S3 agrees).
 * The reference names the gases; the CAS numbers are ours. */
static const risk_toxic_gas toxic_gases[] = {
    {"carbon monoxide", "一氧化碳", "630-08-0", 2},
    {"sulfur dioxide", "二氧化硫", "7446-09-5", 2},
    {"ammonia", "氨", "7664-41-7", 2},
    {"ethylene oxide", "环氧乙烷", "75-21-8", 2},
    {"hydrogen chloride", "氯化氢", "7647-01-0", 3},
    {"methyl bromide", "溴甲烷", "74-83-9", 3},
    {"chlorine", "氯", "7782-50-5", 4},
    {"hydrogen sulfide", "硫化氢", "7783-06-4", 5},
    {"hydrogen fluoride", "氟化氢", "7664-39-3", 5},
    {"nitrogen dioxide", "二氧化氮", "10102-44-0", 10},
    {"hydrogen cyanide", "氰化氢", "74-90-8", 10},
    {"phosgene", "碳酰氯", "75-44-5", 20},
    {"phosphine", "磷化氢", "7803-51-2", 20},
    {"methyl isocyanate", "异氰酸甲酯", "624-83-9", 20},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const risk_substance *risk_substances(size_t *n) {
    return substances_gb18218(n);
}

const risk_hazard_class *risk_hazard_classes(size_t *n) {
    if (n) *n = COUNT(hazard_classes);
    return hazard_classes;
}

const risk_toxic_gas *risk_toxic_gases(size_t *n) {
    if (n) *n = COUNT(toxic_gases);
    return toxic_gases;
}

/* ---------------------------------------------------------------------- */
/* Lookup                                                                  */
/* ---------------------------------------------------------------------- */

/* Locale-independent ASCII case folding; UTF-8 bytes (>= 0x80) pass
 * through unchanged, so Chinese names compare byte for byte. */
static int fold(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* text[0..len) with blanks trimmed. */
static void trim(const char *text, const char **start, size_t *len) {
    const char *b = text;
    while (*b && is_blank(*b)) b++;
    const char *e = b + strlen(b);
    while (e > b && is_blank(e[-1])) e--;
    *start = b;
    *len = (size_t)(e - b);
}

/* Whether the len bytes at s equal the string name, ASCII case folded. */
static bool same_name(const char *s, size_t len, const char *name) {
    if (!name) return false;
    size_t i = 0;
    for (; i < len && name[i]; i++)
        if (fold((unsigned char)s[i]) != fold((unsigned char)name[i])) return false;
    return i == len && name[i] == '\0';
}

const risk_substance *risk_substance_find_cas(const char *cas) {
    return substance_for_risk(substance_find_cas(cas));
}

const risk_substance *risk_substance_find(const char *text) {
    return substance_for_risk(substance_find(text));
}

const risk_hazard_class *risk_hazard_class_find(const char *code) {
    if (!code) return NULL;
    const char *s;
    size_t len;
    trim(code, &s, &len);
    for (size_t i = 0; i < COUNT(hazard_classes); i++)
        if (same_name(s, len, hazard_classes[i].code)) return &hazard_classes[i];
    return NULL;
}

const risk_toxic_gas *risk_toxic_gas_find(const char *text) {
    if (!text) return NULL;
    const char *s;
    size_t len;
    trim(text, &s, &len);
    if (len == 0) return NULL;
    for (size_t i = 0; i < COUNT(toxic_gases); i++) {
        const risk_toxic_gas *g = &toxic_gases[i];
        if (same_name(s, len, g->name) || same_name(s, len, g->name_zh) ||
            same_name(s, len, g->cas))
            return g;
    }
    /* An alias of a Table 1 substance ("Cl2", "液氯"): go by its CAS. */
    const risk_substance *r = risk_substance_find(text);
    if (!r) return NULL;
    for (size_t i = 0; i < COUNT(toxic_gases); i++)
        if (substance_has_cas(r, toxic_gases[i].cas)) return &toxic_gases[i];
    return NULL;
}

bool risk_cas_valid(const char *text) {
    if (!text) return false;
    /* NNNNNNN-NN-N: 2 to 7 digits, 2 digits, 1 check digit. The check digit
     * is the sum of the other digits, each times its position counted from
     * the right (1, 2, ...), modulo 10. */
    size_t len = strlen(text);
    if (len < 7 || len > 12) return false;
    if (text[len - 2] != '-' || text[len - 5] != '-') return false;
    char digits[9]; /* the first two groups, without the dash */
    size_t nd = 0;
    for (size_t i = 0; i < len - 2; i++) {
        if (i == len - 5) continue;
        if (text[i] < '0' || text[i] > '9') return false;
        digits[nd++] = text[i];
    }
    if (text[len - 1] < '0' || text[len - 1] > '9') return false;
    assert(nd >= 4 && nd <= 9);
    unsigned sum = 0;
    for (size_t k = 0; k < nd; k++) sum += (unsigned)(digits[nd - 1 - k] - '0') * (unsigned)(k + 1);
    return sum % 10 == (unsigned)(text[len - 1] - '0');
}

/* ---------------------------------------------------------------------- */
/* alpha, grade                                                            */
/* ---------------------------------------------------------------------- */

/* Below this fraction of a person, a weighted count is floating-point
 * noise, not a person (see risk.h). */
#define PEOPLE_NOISE 1e-6

long risk_exposed_people(double weighted_occupants) {
    if (!isfinite(weighted_occupants) || weighted_occupants < 0) return -1;
    if (weighted_occupants > 1e12) return -1; /* not a population */
    return (long)ceil(weighted_occupants - PEOPLE_NOISE);
}

/* gb18218.md section 2, alpha table (S2, S3): lower bounds of each band. */
static const struct {
    long min_people;
    double alpha;
} alpha_bands[] = {
    {100, 2.0}, {50, 1.5}, {30, 1.2}, {1, 1.0}, {0, 0.5},
};

double risk_alpha(long people) {
    if (people < 0) return -1.0;
    for (size_t i = 0; i < COUNT(alpha_bands); i++)
        if (people >= alpha_bands[i].min_people) return alpha_bands[i].alpha;
    assert(0 && "alpha bands cover 0 and above");
    return -1.0;
}

/* Quantities are decimal numbers that binary doubles do not hold exactly
 * (ten items of 0.5 t chlorine sum to S = 0.9999999999999999), so a value
 * this close below a bound of S or R counts as on it (relative). */
#define BOUND_TOLERANCE 1e-9

static bool at_least(double x, double bound) {
    return x >= bound - BOUND_TOLERANCE * fabs(bound);
}

/* gb18218.md section 2, grade thresholds (S2, S3): lower bounds of R. */
static const struct {
    double min_r;
    int grade;
} grade_bands[] = {
    {100, 1},
    {50, 2},
    {10, 3},
    {0, 4},
};

int risk_grade(double r) {
    if (isnan(r) || r < 0) return -1;
    for (size_t i = 0; i < COUNT(grade_bands); i++)
        if (at_least(r, grade_bands[i].min_r)) return grade_bands[i].grade;
    assert(0 && "grade bands cover 0 and above");
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Evaluating a unit                                                       */
int risk_unit_evaluate(const risk_item *items, size_t n, double weighted_occupants,
                       risk_contribution *contrib, risk_result *out, char *err, size_t errlen) {
    if (!out) return pw_fail(err, errlen, "risk_unit_evaluate: out is NULL");
    if (n > 0 && (!items || !contrib))
        return pw_fail(err, errlen, "risk_unit_evaluate: items or contrib is NULL");
    long people = risk_exposed_people(weighted_occupants);
    if (people < 0)
        return pw_fail(err, errlen, "exposed population %g is not a count of people",
                       weighted_occupants);

    /* Check every item before writing anything, so a failed call leaves
     * the outputs untouched. */
    for (size_t i = 0; i < n; i++) {
        const risk_item *it = &items[i];
        if (!it->substance) return pw_fail(err, errlen, "item %zu: no substance", i);
        if (!isfinite(it->q_t) || it->q_t < 0)
            return pw_fail(err, errlen, "item %zu (%s): quantity %g t is not >= 0", i,
                           it->substance, it->q_t);
        if (!isfinite(it->beta_override) || it->beta_override < 0)
            return pw_fail(err, errlen, "item %zu (%s): beta_override %g is not >= 0", i,
                           it->substance, it->beta_override);
        if (it->hazard_class && !risk_hazard_class_find(it->hazard_class))
            return pw_fail(err, errlen, "item %zu (%s): unknown hazard class \"%s\"", i,
                           it->substance, it->hazard_class);
    }

    risk_result res = {0};
    res.people = people;
    res.alpha = risk_alpha(people);
    double sum_weighted = 0;
    for (size_t i = 0; i < n; i++) {
        const risk_item *it = &items[i];
        risk_contribution c = {0};
        c.substance = it->substance;
        c.q_t = it->q_t;
        const risk_substance *row = risk_substance_find(it->substance);
        const risk_hazard_class *cls =
            it->hazard_class ? risk_hazard_class_find(it->hazard_class) : NULL;
        if (row) {
            c.resolution = RISK_BY_TABLE1;
            c.entry = row;
            c.q_crit_t = row->q_crit_t;
            c.beta = row->beta;
            c.q_table = row->q_table;
            c.beta_table = row->beta_table;
        } else if (cls) {
            /* Not in Table 1: Q from Table 2; beta from Table 3 if the gas is
             * named there, else Table 4 (gb18218.md sections 1 and 2). */
            const risk_toxic_gas *gas = risk_toxic_gas_find(it->substance);
            c.resolution = RISK_BY_CLASS;
            c.cls = cls;
            c.q_crit_t = cls->q_crit_t;
            c.q_table = RISK_T2;
            c.beta = gas ? gas->beta : cls->beta;
            c.beta_table = gas ? RISK_T3 : RISK_T4;
        } else {
            c.resolution = RISK_UNKNOWN;
            res.n_unknown++;
            contrib[i] = c;
            continue;
        }
        if (it->beta_override > 0) {
            c.beta = it->beta_override;
            c.beta_overridden = true;
        }
        assert(c.q_crit_t > 0);
        c.ratio = c.q_t / c.q_crit_t;
        c.weighted = c.beta * c.ratio;
        res.s += c.ratio;
        sum_weighted += c.weighted;
        contrib[i] = c;
    }
    res.is_major = at_least(res.s, 1.0); /* gb18218.md section 1: S >= 1 */
    res.r = res.alpha * sum_weighted;
    res.grade = res.is_major ? risk_grade(res.r) : 0;
    assert(res.grade >= 0 && res.grade <= 4);
    *out = res;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Tank inventory                                                          */
/* ---------------------------------------------------------------------- */

static bool nonneg(double x) {
    return isfinite(x) && x >= 0;
}

int risk_tank_inventory_t(const risk_tank *tank, double *q_t, bool *clamped) {
    if (!tank || !q_t) return -1;
    if (!isfinite(tank->level_m) || !nonneg(tank->height_m) || !nonneg(tank->capacity_m3) ||
        !nonneg(tank->area_m2) || !isfinite(tank->density_kg_m3) || tank->density_kg_m3 <= 0)
        return -1;
    bool clamp = false;
    double volume_m3;
    if (tank->area_m2 > 0) {
        double level = tank->level_m;
        if (level < 0) level = 0, clamp = true;
        if (tank->height_m > 0 && level > tank->height_m) level = tank->height_m, clamp = true;
        volume_m3 = level * tank->area_m2;
        if (tank->capacity_m3 > 0 && volume_m3 > tank->capacity_m3)
            volume_m3 = tank->capacity_m3, clamp = true;
    } else {
        if (tank->height_m <= 0 || tank->capacity_m3 <= 0) return -1;
        double level = tank->level_m;
        if (level < 0) level = 0, clamp = true;
        if (level > tank->height_m) level = tank->height_m, clamp = true;
        volume_m3 = level / tank->height_m * tank->capacity_m3;
    }
    assert(volume_m3 >= 0);
    *q_t = volume_m3 * tank->density_kg_m3 / 1000.0;
    if (clamped) *clamped = clamp;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Live risk state (ours)                                                  */
/* ---------------------------------------------------------------------- */

/* Ours: a traffic-light ramp readable on the map next to the AQI colours. */
static const struct {
    const char *name;
    const char *colour;
} levels[RISK_LEVEL_COUNT] = {
    {"normal", "#2E7D32"},
    {"elevated", "#F9A825"},
    {"high", "#EF6C00"},
    {"critical", "#C62828"},
};

const char *risk_level_name(risk_level level) {
    return ((unsigned)level < RISK_LEVEL_COUNT) ? levels[level].name : "?";
}

const char *risk_level_colour(risk_level level) {
    return ((unsigned)level < RISK_LEVEL_COUNT) ? levels[level].colour : "#9E9E9E";
}

static void add_reason(risk_state *st, const char *fmt, ...) {
    if (st->n_reasons >= RISK_MAX_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->reasons[st->n_reasons], RISK_REASON_LEN, fmt, ap);
    va_end(ap);
    st->n_reasons++;
}

static void raise_to(risk_level *level, risk_level minimum) {
    if (minimum > *level) *level = minimum;
}

int risk_live_state(const risk_live *live, risk_state *out) {
    if (!live || !out) return -1;
    if (live->grade < 0 || live->grade > 4) return -1;
    /* The rule table is in risk.h (risk_live_state). */
    bool major = live->grade == 1 || live->grade == 2;
    risk_state st = {0};
    risk_level level = RISK_NORMAL;

    unsigned p1 = live->gas_alarms[0], p2 = live->gas_alarms[1], p3 = live->gas_alarms[2];
    if (p1 >= 2) /* A */
        raise_to(&level, RISK_CRITICAL);
    else if (p1 == 1) /* B */
        raise_to(&level, major ? RISK_CRITICAL : RISK_HIGH);
    if (p2 >= 2) /* C */
        raise_to(&level, RISK_HIGH);
    else if (p2 == 1) /* D */
        raise_to(&level, major ? RISK_HIGH : RISK_ELEVATED);
    if (p3 >= 1) /* E */
        raise_to(&level, RISK_ELEVATED);
    /* F: priority 4 gives a reason only. */
    for (int p = 0; p < 4; p++)
        if (live->gas_alarms[p])
            add_reason(&st, "%u priority-%d gas alarm%s", live->gas_alarms[p], p + 1,
                       live->gas_alarms[p] == 1 ? "" : "s");

    unsigned long blind = (unsigned long)live->instrument_faults + live->stale_series;
    if (live->detectors > 0 && blind > live->detectors) blind = live->detectors;
    if (blind >= 1) raise_to(&level, RISK_ELEVATED); /* G */
    if (live->instrument_faults)
        add_reason(&st, "%u instrument fault%s", live->instrument_faults,
                   live->instrument_faults == 1 ? "" : "s");
    if (live->stale_series)
        add_reason(&st, "%u stale detector%s", live->stale_series,
                   live->stale_series == 1 ? "" : "s");
    bool mostly_blind = live->detectors > 0 ? 2 * blind >= live->detectors : blind >= 3;
    if (blind >= 1 && mostly_blind) { /* H */
        raise_to(&level, major ? RISK_HIGH : RISK_ELEVATED);
        if (live->detectors > 0)
            add_reason(&st, "%lu of %u detectors blind", blind, live->detectors);
        else
            add_reason(&st, "%lu detectors blind", blind);
    }

    if (live->unknown_substances) { /* I */
        raise_to(&level, RISK_ELEVATED);
        add_reason(&st, "%zu substance%s not classified", live->unknown_substances,
                   live->unknown_substances == 1 ? "" : "s");
    }
    /* J to L: a tank overfilling or a line over its design pressure is the
     * plant itself leaving its limits, before any gas is detected. */
    if (live->process_alarms[0]) raise_to(&level, major ? RISK_CRITICAL : RISK_HIGH);
    if (live->process_alarms[1]) raise_to(&level, major ? RISK_HIGH : RISK_ELEVATED);
    if (live->process_alarms[2]) raise_to(&level, RISK_ELEVATED);
    for (int p = 0; p < 4; p++)
        if (live->process_alarms[p])
            add_reason(&st, "%u priority-%d process alarm%s", live->process_alarms[p], p + 1,
                       live->process_alarms[p] == 1 ? "" : "s");
    /* M: a unit whose only level transmitter is frozen is not "normal":
     * nobody would see it overfill. */
    if (live->unmonitored) {
        raise_to(&level, major ? RISK_HIGH : RISK_ELEVATED);
        add_reason(&st, "%u critical parameter%s unmonitored", live->unmonitored,
                   live->unmonitored == 1 ? "" : "s");
    }
    if (live->process_instrument_faults) { /* N */
        raise_to(&level, RISK_ELEVATED);
        add_reason(&st, "%u process instrument fault%s", live->process_instrument_faults,
                   live->process_instrument_faults == 1 ? "" : "s");
    }
    if (level > RISK_NORMAL && live->grade >= 1)
        add_reason(&st, "grade %d major hazard", live->grade);

    st.level = level;
    st.level_name = risk_level_name(level);
    st.colour_hex = risk_level_colour(level);
    *out = st;
    return 0;
}
