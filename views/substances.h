/*
 * substances.h - the one catalogue of the park's substances, shared by the
 * risk view (GB 18218 critical quantities, risk.c) and the emergency view
 * (dispersion data, plume.c). A private header of views/.
 *
 * One entry per substance: its canonical name, Chinese name, formula,
 * aliases and CAS numbers, then what each consumer needs. A tank's
 * "substance" is looked up once here, so a name the risk view knows the
 * plume knows too ("liquid chlorine", "液氯", "Cl2", "7782-50-5").
 *
 * Some entries stand in for another in one consumer: propane and butane
 * are counted under GB 18218's LPG row (risk_as), and LPG is dispersed as
 * propane, the reference's LPG proxy (plume_as).
 *
 * Order: the GB 18218 Table 1 rows come first (risk_substances lists them
 * as an array), then entries that have no row of their own.
 *
 * Threads: constant data and pure functions; entries live for the program.
 */
#ifndef PARKWATCH_VIEWS_SUBSTANCES_H
#define PARKWATCH_VIEWS_SUBSTANCES_H

#include <stdbool.h>
#include <stddef.h>

/* Which table of GB 18218-2018 a Q or beta comes from (gb18218.md,
 * implementation notes). RISK_TABLE_NONE marks a value that is not in the
 * standard at all (not used by the built-in tables). */
typedef enum risk_table {
    RISK_TABLE_NONE = 0,
    RISK_T1 = 1, /* named substances: Q */
    RISK_T2 = 2, /* hazard classes: Q */
    RISK_T3 = 3, /* named toxic gases: beta */
    RISK_T4 = 4  /* hazard classes: beta */
} risk_table;

/* How sure the reference is of a value (gb18218.md status legend). */
typedef enum risk_status {
    RISK_CONFIRMED = 0, /* [C] */
    RISK_DEFECT,        /* [C?] source found, with a defect (e.g. mislabelled row) */
    RISK_UNCONFIRMED    /* [U] ours or inferred: verify against the standard */
} risk_status;

/* Bits of substance.unconfirmed: dispersion values marked [U] in the
 * reference. */
#define SUBST_EP_AEGL1 (1u << 0)
#define SUBST_EP_AEGL2 (1u << 1)
#define SUBST_EP_AEGL3 (1u << 2)
#define SUBST_EP_ERPG1 (1u << 3)
#define SUBST_EP_ERPG2 (1u << 4)
#define SUBST_EP_ERPG3 (1u << 5)
#define SUBST_EP_IDLH  (1u << 6)
#define SUBST_EP_LEL   (1u << 7)

#define SUBST_MAX_ALIASES 8
#define SUBST_MAX_CAS     3

typedef struct substance {
    const char *name;                       /* canonical, English, lower case */
    const char *name_zh;                    /* GB 18218's name where it has one (UTF-8) */
    const char *formula;                    /* "Cl2"; NULL when none */
    const char *aliases[SUBST_MAX_ALIASES]; /* NULL-terminated; UTF-8 */
    const char *cas[SUBST_MAX_CAS];         /* NULL-terminated; first is the entry's */

    /* GB 18218-2018 Table 1 (risk.c); q_crit_t 0 when the entry has no row */
    double q_crit_t;        /* Q, tonnes */
    double beta;            /* default beta (see beta_class) */
    risk_table q_table;     /* RISK_T1, or RISK_T2 if inferred */
    risk_table beta_table;  /* RISK_T3 or RISK_T4 */
    const char *beta_class; /* Table 4 code ("W2", "J3"), NULL for T3 */
    risk_status q_status, beta_status;
    const char *risk_as; /* counted under this entry's row instead; NULL: itself */

    /* Dispersion (plume.c); dispersion false when the entry has none */
    bool dispersion;
    double molar_mass_g_mol; /* NAN for mixtures (gasoline) */
    double aegl_ppm[3];      /* AEGL-1/2/3, 60 min; NAN when not tabulated */
    double erpg_ppm[3];      /* ERPG-1/2/3 */
    double idlh_ppm;         /* NIOSH IDLH */
    double lel_pct_vol;      /* lower explosive limit, % vol in air; NAN if not flammable
                                or not tabulated */
    unsigned unconfirmed;    /* SUBST_EP_* of the values marked [U] */
    const char *plume_as;    /* dispersed as this entry instead; NULL: itself */
} substance;

/* All entries; *n gets the count. */
const substance *substances_all(size_t *n);
/* The leading GB 18218 Table 1 rows; *n gets their count. */
const substance *substances_gb18218(size_t *n);

/* By canonical name, Chinese name, formula, alias or CAS number. Leading
 * and trailing blanks are ignored; ASCII letters compare case-insensitively
 * (locale-independent); UTF-8 names must match byte for byte. Latin text
 * that matches nothing as given is tried again without ' ', '-', '_' and
 * ',' ("Hydrogen-Sulphide"). A CAS number shared by several entries
 * (ammonium nitrate's grades) gives the first. NULL when unknown or NULL. */
const substance *substance_find(const char *text);
/* By CAS number only. */
const substance *substance_find_cas(const char *cas);
/* Whether the entry lists this CAS number (trimmed, exact). */
bool substance_has_cas(const substance *s, const char *cas);

/* What each consumer uses for an entry (following risk_as, plume_as):
 * NULL when it has no GB 18218 row, or no dispersion data. */
const substance *substance_for_risk(const substance *s);
const substance *substance_for_plume(const substance *s);

#endif
