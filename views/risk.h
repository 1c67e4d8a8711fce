/*
 * risk.h - major hazard installations (重大危险源) after GB 18218-2018:
 * critical quantities, the S and R indexes, the grade, tank inventories,
 * and the live risk state shown on the risk view. A private header of
 * views/; nothing outside views/ includes it.
 *
 * The domain facts come from docs/reference/major-hazard-gb18218.md
 * (cited below as "gb18218.md section N"); the numbers are copied into
 * risk.c so the module builds and tests without that file.
 *
 *   S = sum q_i / Q_i                      the unit is a major hazard if S >= 1
 *   R = alpha * sum beta_i * q_i / Q_i     grade 1 (R >= 100) .. 4 (R < 10)
 *
 * q is the actual quantity of a substance in the unit (tonnes), Q its
 * critical quantity from Table 1 (named substances) or Table 2 (GHS hazard
 * classes), beta its correction factor from Table 3 (named toxic gases) or
 * Table 4 (hazard classes), alpha the correction for people exposed within
 * 500 m outside the plant boundary.
 *
 * The live risk state (risk_live_state) is ours, not the standard's: it
 * combines the static grade with the unit's active alarms and blind
 * detectors through the rule table documented at risk_live_state.
 *
 * Ownership and threads: every function is pure (no I/O, no mutable
 * globals) and thread-safe. Table entries returned by the lookups are
 * static and live for the whole program; do not free them. Outputs go into
 * caller-provided structs; strings in results either point into the static
 * tables or into the caller's own inputs (said per field).
 */
#ifndef PARKWATCH_VIEWS_RISK_H
#define PARKWATCH_VIEWS_RISK_H

#include <stdbool.h>
#include <stddef.h>

#include "views/substances.h"

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */
/* ---------------------------------------------------------------------- */

#define RISK_MAX_ALIASES SUBST_MAX_ALIASES
#define RISK_MAX_CAS     SUBST_MAX_CAS

/* One GB 18218 Table 1 row (or, for propylene, a Table 2 category Q): an
 * entry of the shared substance catalogue (substances.h), whose Q, beta,
 * tables and statuses are the risk fields. */
typedef substance risk_substance;

/* One row of Table 2 (Q) joined with Table 4 (beta) for a GHS hazard
 * class: used for substances that are not in Table 1. */
typedef struct risk_hazard_class {
    const char *code;        /* "J1" .. "J5", "W1.1" .. "W11" */
    const char *description; /* English, short */
    double q_crit_t;         /* Table 2 */
    double beta;             /* Table 4 */
} risk_hazard_class;

/* One row of Table 3: a named toxic gas and its beta. */
typedef struct risk_toxic_gas {
    const char *name;
    const char *name_zh;
    const char *cas;
    double beta;
} risk_toxic_gas;

/* The tables, for listing (the risk view's legend, audits). *n gets the
 * row count; the arrays are static. */
const risk_substance *risk_substances(size_t *n);
const risk_hazard_class *risk_hazard_classes(size_t *n);
const risk_toxic_gas *risk_toxic_gases(size_t *n);

/* Finds a substance's row by any name, alias or CAS number of the shared
 * catalogue (substance_find: trimmed, ASCII case-insensitive, UTF-8 byte
 * for byte), following risk_as (propane is counted under LPG).
 * CAS numbers shared by several rows (ammonium nitrate's three grades)
 * return the first row, which is the one with the smallest Q (the most
 * conservative): look those up by name to get another. NULL when unknown
 * or text is NULL. */
const risk_substance *risk_substance_find(const char *text);
/* The same, by CAS number only ("7782-50-5"). */
const risk_substance *risk_substance_find_cas(const char *cas);
/* Table 2/4 row by code, case-insensitive ("w5.3"); NULL when unknown. */
const risk_hazard_class *risk_hazard_class_find(const char *code);
/* Table 3 row by English name, Chinese name or CAS; NULL when not a
 * Table 3 gas. */
const risk_toxic_gas *risk_toxic_gas_find(const char *text);

/* Whether text is a well-formed CAS registry number (2-7 digits, 2 digits,
 * check digit, dash-separated) with a correct check digit. */
bool risk_cas_valid(const char *text);

/* ---------------------------------------------------------------------- */
/* alpha, grade                                                            */
/* ---------------------------------------------------------------------- */

/* The exposed population as a whole number of people. The park's geo join
 * gives occupants weighted by the share of each building within 500 m, so
 * the count is fractional. We round UP (ceiling): a building partly inside
 * the radius holds people who may be inside it, and rounding to nearest
 * would turn 0.4 weighted occupants into nobody and halve R (alpha 0.5).
 * A fraction below 1e-6 person is taken as floating-point noise and
 * dropped, so 29.0000000001 stays 29. Returns -1 for a negative, NaN or
 * infinite input.
 *
 * GB 18218 counts people outside the plant boundary only: the caller must
 * leave out the enterprise's own buildings. */
long risk_exposed_people(double weighted_occupants);

/* alpha for a number of people (gb18218.md section 2, alpha table):
 * 0 -> 0.5; 1-29 -> 1.0; 30-49 -> 1.2; 50-99 -> 1.5; >= 100 -> 2.0.
 * Returns -1.0 for a negative count. */
double risk_alpha(long people);

/* Grade for an R value (gb18218.md section 2, grade thresholds):
 * R >= 100 -> 1; 50 <= R < 100 -> 2; 10 <= R < 50 -> 3; R < 10 -> 4.
 * Returns -1 for a negative or NaN R. The bounds are exact: R = 10 is
 * grade 3, R = 50 grade 2, R = 100 grade 1. An R less than 1e-9 (relative)
 * below a bound counts as on it: decimal quantities are not exact in
 * binary, and the same tolerance applies to S >= 1. */
int risk_grade(double r);

/* ---------------------------------------------------------------------- */
/* Evaluating a unit                                                       */
/* ---------------------------------------------------------------------- */

/* One substance present in a production or storage unit. */
typedef struct risk_item {
    const char *substance; /* name, alias or CAS; required; borrowed */
    double q_t;            /* actual quantity, tonnes, >= 0 */
    /* Optional Table 2 code ("W2", "J1", ...) for a substance that is not
     * in Table 1: its Q comes from Table 2 and its beta from Table 3 when
     * it is a named toxic gas, else from Table 4 (gb18218.md section 1).
     * Ignored when the substance is in the Table 1 table. NULL = none. */
    const char *hazard_class;
    /* > 0: use this beta instead of the table's (the site's own GHS
     * classification for a [U] beta, e.g. gasoline as W5.1 or not);
     * 0: the table's. Recorded in the contribution. */
    double beta_override;
} risk_item;

/* How an item was resolved. */
typedef enum risk_resolution {
    RISK_UNKNOWN = 0, /* not found: left out of S and R */
    RISK_BY_TABLE1,   /* found in the substance table */
    RISK_BY_CLASS     /* not in Table 1; Q and beta from its hazard class */
} risk_resolution;

/* One item's share of S and R, kept for audit. */
typedef struct risk_contribution {
    const char *substance;        /* the item's string (borrowed from the caller) */
    risk_resolution resolution;   /* RISK_UNKNOWN: the other fields are 0/NULL */
    const risk_substance *entry;  /* RISK_BY_TABLE1: the row; else NULL */
    const risk_hazard_class *cls; /* RISK_BY_CLASS: the class; else NULL */
    double q_t;                   /* the item's q */
    double q_crit_t;              /* Q used */
    double beta;                  /* beta used */
    risk_table q_table, beta_table;
    bool beta_overridden;
    double ratio;    /* q / Q: share of S */
    double weighted; /* beta * q / Q: share of R / alpha */
} risk_contribution;

typedef struct risk_result {
    double s;         /* sum q/Q over resolved items */
    bool is_major;    /* s >= 1 (within 1e-9, see risk_grade) */
    long people;      /* risk_exposed_people(weighted occupants) */
    double alpha;     /* risk_alpha(people) */
    double r;         /* alpha * sum beta q/Q over resolved items */
    int grade;        /* 1..4 when is_major; 0 = not a major hazard, not graded */
    size_t n_unknown; /* items left out (see contributions); S and R are then
                         lower bounds and is_major may be understated */
} risk_result;

/* Evaluates one unit of n items (n may be 0: S = R = 0, not major).
 * contrib must hold n entries; entry i describes items[i], including the
 * unknown ones (resolution RISK_UNKNOWN, substance naming them). Unknown
 * substances do not fail the call: they are counted in out->n_unknown.
 * The grade is only given to a major hazard (GB 18218 grades identified
 * major hazard installations; a unit with S < 1 can still have R >= 10).
 * Returns 0, or -1 with a message in err (NULL items with n > 0, NULL
 * contrib/out, a NULL substance, q < 0 or not finite, a negative or NaN
 * beta_override, an unknown hazard_class code, a bad population). */
int risk_unit_evaluate(const risk_item *items, size_t n, double weighted_occupants,
                       risk_contribution *contrib, risk_result *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* Tank inventory                                                          */
/* ---------------------------------------------------------------------- */

/* A tank whose liquid volume grows linearly with the level: a vertical
 * cylinder or any prism on a flat bottom. Horizontal cylinders, spheres
 * and cone bottoms are not linear: give those a volume from their
 * strapping table instead. The density is the liquid's at storage
 * temperature; for a liquefied gas the vapour above the liquid is
 * neglected (its mass is a few per cent of the liquid's at most). */
typedef struct risk_tank {
    double level_m;       /* measured liquid level above the bottom */
    double height_m;      /* level at which the tank holds capacity_m3 */
    double capacity_m3;   /* volume at height_m */
    double area_m2;       /* > 0: cross-section area, V = level * area;
                             0: V = level / height * capacity */
    double density_kg_m3; /* > 0 */
} risk_tank;

/* q (t) = V (m3) * density (kg/m3) / 1000, with V clamped to 0..capacity
 * (and the level to 0..height when height is used). A negative level (a
 * drifting transmitter) counts as empty and a level above the top as full;
 * *clamped (may be NULL) says it happened, so the caller can flag the
 * reading. With area_m2 > 0, height_m may be 0; the clamp then uses
 * capacity_m3, or nothing above when capacity_m3 is also 0. Returns 0, or
 * -1 for a NaN/infinite/negative field, density <= 0, or missing geometry
 * (area 0 and height or capacity <= 0). */
int risk_tank_inventory_t(const risk_tank *tank, double *q_t, bool *clamped);

/* ---------------------------------------------------------------------- */
/* Live risk state (ours, not GB 18218)                                    */
/* ---------------------------------------------------------------------- */

typedef enum risk_level {
    RISK_NORMAL = 0,
    RISK_ELEVATED,
    RISK_HIGH,
    RISK_CRITICAL,
    RISK_LEVEL_COUNT
} risk_level;

/* "normal", "elevated", "high", "critical"; "?" when out of range. */
const char *risk_level_name(risk_level level);
/* "#2E7D32" green, "#F9A825" amber, "#EF6C00" orange, "#C62828" red;
 * "#9E9E9E" grey when out of range. */
const char *risk_level_colour(risk_level level);

/* Live inputs for one unit. */
typedef struct risk_live {
    int grade; /* static grade 1..4; 0 = not a major hazard */
    /* Active alarms (unacknowledged or acknowledged; not shelved,
     * suppressed or out of service) on the unit's gas detectors, by
     * priority: [0] = priority 1 (highest) .. [3] = priority 4, as in
     * alerting's alert_rule.priority. */
    unsigned gas_alarms[4];
    unsigned instrument_faults; /* detectors reporting bad quality */
    unsigned stale_series;      /* detectors with no reading in time */
    unsigned detectors;         /* detectors on the unit; 0 = not known */
    size_t unknown_substances;  /* risk_result.n_unknown */
    /* Process alarms (alert_kind_class PROCESS) on the unit's tanks and
     * pipelines, by priority as gas_alarms. */
    unsigned process_alarms[4];
    /* Instruments of the unit's tanks and pipelines in an instrument alarm
     * (fault, stale, stuck, out of range, drift, flapping). */
    unsigned process_instrument_faults;
    /* Critical parameters (a tank's level, temperature, pressure) left
     * without a trustworthy transmitter: every transmitter of it is in an
     * instrument alarm. */
    unsigned unmonitored;
} risk_live;

#define RISK_MAX_REASONS 14
#define RISK_REASON_LEN  64

typedef struct risk_state {
    risk_level level;
    const char *level_name; /* static */
    const char *colour_hex; /* static, "#RRGGBB" */
    size_t n_reasons;
    char reasons[RISK_MAX_REASONS][RISK_REASON_LEN]; /* why, in rule order */
} risk_state;

/* The live state. Every rule that holds raises the level to at least its
 * value; the state is the highest. "Major" below means grade 1 or 2.
 *
 *   rule  condition                                 grade 0,3,4   grade 1,2
 *   A     >= 2 priority-1 gas alarms                critical      critical
 *   B     1 priority-1 gas alarm                    high          critical
 *   C     >= 2 priority-2 gas alarms                high          high
 *   D     1 priority-2 gas alarm                    elevated      high
 *   E     >= 1 priority-3 gas alarm                 elevated      elevated
 *   F     >= 1 priority-4 gas alarm                 normal        normal   (reason only)
 *   G     >= 1 blind detector (fault or stale)      elevated      elevated
 *   H     blind >= half the detectors (detectors    elevated      high
 *         known and > 0), or >= 3 when not known
 *   I     >= 1 substance not classified             elevated      elevated
 *   J     >= 1 priority-1 process alarm             high          critical
 *   K     >= 1 priority-2 process alarm             elevated      high
 *   L     >= 1 priority-3 process alarm             elevated      elevated
 *   M     >= 1 critical parameter unmonitored       elevated      high
 *   N     >= 1 process instrument in fault          elevated      elevated
 *
 * Two priority-1 alarms mean two detectors agree (the 2-out-of-N voting
 * used for gas detection), hence critical at any grade. A grade 1/2 unit
 * is raised one step for a single high-priority alarm or for losing its
 * view. Blind = instrument_faults + stale_series (a detector counted twice
 * is possible; the count is capped at detectors when known).
 *
 * Reasons, in this order, one per rule that fired: "2 priority-1 gas
 * alarms", "1 priority-2 gas alarm", "1 priority-3 gas alarm", "1
 * priority-4 gas alarm", "1 instrument fault", "3 stale detectors", "3 of
 * 4 detectors blind" (rule H; "3 detectors blind" when the number of
 * detectors is not known), "2 substances not classified", "1 priority-1
 * process alarm" (J to L, and priority 4 as a reason only), "1 critical
 * parameter unmonitored" (M), "2 process instrument faults" (N);
 * then, when the level is above normal and the unit is graded, "grade N
 * major hazard". A normal state with nothing to say has no reasons.
 * Returns 0, or -1 for NULL pointers or a grade outside 0..4. */
int risk_live_state(const risk_live *live, risk_state *out);

#endif
