/*
 * substances.c - the substance catalogue (see substances.h): the values
 * that risk.c and plume.c held in their own tables until issue 17, merged
 * by substance, unchanged, with their sources.
 *
 * GB 18218 (Q, beta): docs/reference/major-hazard-gb18218.md, cited
 * as "gb18218.md". Q: section 3 (Table 1 rows from source S3, statuses as
 * there) and its "other Table 1 entries" paragraph (S3; ammonium nitrate
 * from siyuancloud.com/90). beta: Table 3 (section 2, "named toxic gases")
 * where the substance is listed there, else the Table 4 class in
 * beta_class (section 2, "by hazard class"). Where the reference leaves a
 * beta open we take the class a typical SDS gives, the higher where in
 * doubt, so R errs high. CAS numbers: section 3's where it gives one; for
 * the "other entries" and for propane, butane and carbon monoxide the
 * registry numbers are ours, checked by their check digits in the tests.
 *
 * Dispersion: toxic endpoints from docs/reference/gaussian-plume.md
 * section 4 (chlorine, ammonia, hydrogen sulfide); further IDLHs from
 * gas-detection-gb50493.md section 4. LEL: gas-detection-gb50493.md
 * section 2; where sources disagree the lower (conservative: alarms and
 * zones reach further) value is taken, except acetylene where the
 * reference says "use 2.5". [C] confirmed or [U] unconfirmed as in the
 * reference; the [U] ones also in .unconfirmed. Molar masses are not from
 * the reference: computed from IUPAC standard atomic weights (H 1.008,
 * C 12.011, N 14.007, O 15.999, S 32.06, Cl 35.45).
 *
 * Lookups scan about 40 entries linearly: a tank's substance is looked up
 * a few times per view, and the table stays plain data.
 */
#include "views/substances.h"

#include <math.h>
#include <string.h>

#define C  RISK_CONFIRMED
#define D  RISK_DEFECT
#define U  RISK_UNCONFIRMED
#define NA NAN

/* GB 18218: Q (t), beta, Q table, beta table, beta class, Q and beta status. */
#define GB(q, b, qt, bt, cls, qs, bs)                                                              \
    .q_crit_t = (q), .beta = (b), .q_table = (qt), .beta_table = (bt), .beta_class = (cls),        \
    .q_status = (qs), .beta_status = (bs)
/* Dispersion: molar mass (g/mol), AEGL-1/2/3, ERPG-1/2/3 (ppm), IDLH (ppm),
 * LEL (% vol), unconfirmed (SUBST_EP_*). */
#define PL(...) PL_(__VA_ARGS__) /* expands NO3 first */
#define PL_(mm, a1, a2, a3, e1, e2, e3, idlh, lel, unc)                                            \
    .dispersion = true, .molar_mass_g_mol = (mm), .aegl_ppm = {(a1), (a2), (a3)},                  \
    .erpg_ppm = {(e1), (e2), (e3)}, .idlh_ppm = (idlh), .lel_pct_vol = (lel), .unconfirmed = (unc)
#define NO3 NA, NA, NA /* no AEGL or ERPG tabulated */

#define EP_AEGL (SUBST_EP_AEGL1 | SUBST_EP_AEGL2 | SUBST_EP_AEGL3)

/* Row layout: name, Chinese name, formula, {aliases}, {CAS}, then GB(...)
 * for a Table 1 row and PL(...) for dispersion data. */
// clang-format off
static const substance catalogue[] = {
    /* ===== GB 18218 Table 1 rows (gb18218.md section 3) ===== */
    /* Dispersion: AEGL 0.5/2.0/20 [U] (fetch from epa.gov/aegl before
     * release); ERPG-1 1 [U] (0.5 in one source), ERPG-2 3 [C], ERPG-3 20
     * [C]; IDLH 10 [C] (cdc.gov/niosh/idlh/7782505, revised 1994); not
     * flammable. Dense gas. */
    {"chlorine", "液氯", "Cl2", {"liquid chlorine", "氯", "氯气", "chlorine gas"}, {"7782-50-5"},
     GB(5, 4, RISK_T1, RISK_T3, NULL, C, C),
     PL(70.90, 0.5, 2.0, 20, 1, 3, 20, 10, NA, EP_AEGL | SUBST_EP_ERPG1)},
    /* Dispersion: AEGL 30/160/1100 [U]; ERPG 25/150/750 [C]; IDLH 300 [U]
     * (revised; original SCP 500 [C]); LEL 15.0 [C] (Matheson; ntron). */
    {"ammonia", "液氨", "NH3", {"liquid ammonia", "anhydrous ammonia", "氨", "氨气"}, {"7664-41-7"},
     GB(10, 2, RISK_T1, RISK_T3, NULL, C, C),
     PL(17.031, 30, 160, 1100, 25, 150, 750, 300, 15.0, EP_AEGL | SUBST_EP_IDLH)},
    /* "LPG (propane, butane and mixtures)": propane and butane have their
     * own entries, counted under this row. Dispersed as propane. */
    {"liquefied petroleum gas", "液化石油气", NULL, {"LPG"}, {"68476-85-7"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W2", C, C), .plume_as = "propane"},
    /* Dispersion: LEL 5.0 [C] */
    {"methane", "甲烷", "CH4", {"natural gas", "天然气"}, {"74-82-8", "8006-14-2"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W2", C, C),
     PL(16.043, NO3, NO3, NA, 5.0, 0)},
    /* [C?] S3 labels the row "氟" but the CAS is hydrogen's. LEL 4.0 [C] */
    {"hydrogen", "氢", "H2", {"氢气"}, {"1333-74-0"},
     GB(5, 1.5, RISK_T1, RISK_T4, "W2", D, C),
     PL(2.016, NO3, NO3, NA, 4.0, 0)},
    /* [C?] S3 labels the row "磷化氢" but the CAS is hydrogen sulfide's.
     * Dispersion: AEGL 0.51/27/50 [C] and ERPG 0.1/30/100 [C] (PMC5777517
     * table 3); IDLH 100 [C]; LEL 4.0 [C] (Matheson; BS 5345 gives 4.3). */
    {"hydrogen sulfide", "硫化氢", "H2S", {"hydrogen sulphide"}, {"7783-06-4"},
     GB(5, 5, RISK_T1, RISK_T3, NULL, D, C),
     PL(34.076, 0.51, 27, 50, 0.1, 30, 100, 100, 4.0, 0)},
    /* beta [U] (also benzene, toluene): flammable liquid category 2, not
     * W5.1/W5.2, so W5.3. LEL 6.0 [C] (castlegroup; Matheson, ntron 6.7);
     * IDLH 6000 [U] */
    {"methanol", "甲醇", "CH3OH", {"methyl alcohol", "MeOH", "CH4O"}, {"67-56-1"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U),
     PL(32.042, NO3, NO3, 6000, 6.0, SUBST_EP_IDLH)},
    /* LEL 1.2 [C] (ntron, castlegroup; Matheson 1.3); IDLH 500 [U]
     * (revised; original SCP 3000 [C]) */
    {"benzene", "苯", "C6H6", {NULL}, {"71-43-2"},
     GB(50, 1, RISK_T1, RISK_T4, "W5.3", C, U),
     PL(78.114, NO3, NO3, 500, 1.2, SUBST_EP_IDLH)},
    /* LEL 1.2 [C] (NIOSH 1.1 [U] not used); IDLH 500 [U] */
    {"toluene", "甲苯", "C7H8", {NULL}, {"108-88-3"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U),
     PL(92.141, NO3, NO3, 500, 1.2, SUBST_EP_IDLH)},
    /* beta [U]: "1.5 if W5.1 else 1". Many SDSs give gasoline flammable
     * liquid category 1, and the higher beta errs safe: W5.1, 1.5.
     * LEL 1.4 [C] (aarst); a mixture, no molar mass. */
    {"gasoline", "汽油", NULL,
     {"petrol", "ethanol gasoline", "methanol gasoline", "乙醇汽油", "甲醇汽油"}, {"86290-81-5"},
     GB(200, 1.5, RISK_T1, RISK_T4, "W5.1", C, U),
     PL(NA, NO3, NO3, NA, 1.4, 0)},
    /* LEL 2.7 [C] */
    {"ethylene", "乙烯", "C2H4", {"ethene"}, {"74-85-1"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W2", C, C),
     PL(28.054, NO3, NO3, NA, 2.7, 0)},
    /* Q [U]: not in the S3 Table 1 transcription; Table 2 W2 (flammable
     * gas category 1) Q = 10 is inferred, hence q_table T2. LEL 2.0 [C] */
    {"propylene", "丙烯", "C3H6", {"propene"}, {"115-07-1"},
     GB(10, 1.5, RISK_T2, RISK_T4, "W2", U, C),
     PL(42.081, NO3, NO3, NA, 2.0, 0)},
    /* LEL 2.5 [C] (Matheson, castlegroup; ntron's 1.5 an outlier) */
    {"acetylene", "乙炔", "C2H2", {"ethyne"}, {"74-86-2"},
     GB(1, 1.5, RISK_T1, RISK_T4, "W2", C, C),
     PL(26.038, NO3, NO3, NA, 2.5, 0)},
    /* IDLH 50 [U] (gas-detection-gb50493.md section 4) */
    {"hydrogen chloride", "氯化氢(无水)", "HCl", {"anhydrous hydrogen chloride", "氯化氢"},
     {"7647-01-0"},
     GB(20, 3, RISK_T1, RISK_T3, NULL, C, C),
     PL(36.458, NO3, NO3, 50, NA, SUBST_EP_IDLH)},
    /* IDLH 2 [U] */
    {"phosgene", "光气", "COCl2", {"carbonyl chloride", "碳酰氯"}, {"75-44-5"},
     GB(0.3, 20, RISK_T1, RISK_T3, NULL, C, C),
     PL(98.910, NO3, NO3, 2, NA, SUBST_EP_IDLH)},
    /* IDLH 100 [U] */
    {"sulfur dioxide", "二氧化硫", "SO2", {"sulphur dioxide"}, {"7446-09-5"},
     GB(20, 2, RISK_T1, RISK_T3, NULL, C, C),
     PL(64.058, NO3, NO3, 100, NA, SUBST_EP_IDLH)},
    /* [C?] S3 labels the row "甲醇" but the CAS is formaldehyde's. beta [U]
     * "J-class per SDS": formaldehyde is a gas (bp -19 C) of acute
     * inhalation toxicity category 3, so J3 (gas, category 2-3), beta 2.
     * LEL 7.0 [U]; IDLH 20 [U] */
    {"formaldehyde (>90%)", "甲醛(含量>90%)", "CH2O", {"formaldehyde", "甲醛", "HCHO"}, {"50-00-0"},
     GB(5, 2, RISK_T1, RISK_T4, "J3", D, U),
     PL(30.026, NO3, NO3, 20, 7.0, SUBST_EP_IDLH | SUBST_EP_LEL)},
    /* LEL 3.6 [U] */
    {"vinyl chloride", "氯乙烯", "C2H3Cl", {"chloroethylene", "VCM", "chloroethene"}, {"75-01-4"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W2", C, C),
     PL(62.496, NO3, NO3, NA, 3.6, SUBST_EP_LEL)},
    /* New in 2018 (siyuancloud.com/90 + S3). */
    {"oxygen", "氧(压缩的或液化的)", NULL, {"liquid oxygen", "O2", "氧", "氧气", "液氧"},
     {"7782-44-7"},
     GB(200, 1, RISK_T1, RISK_T4, "W4", C, C)},

    /* --- gb18218.md section 3, "other Table 1 entries" (Q [C] S3). beta:
     * Table 3 where listed, else ours [U] by the GHS class noted. --- */
    {"ethylene oxide", "环氧乙烷", NULL, {"EO", "oxirane"}, {"75-21-8"},
     GB(10, 2, RISK_T1, RISK_T3, NULL, C, C)},
    /* flammable gases. Dispersion: LEL 2.0 [C] (Matheson); IDLH 2000 [U]
     * (revised; original 20000 [C]) */
    {"1,3-butadiene", "1,3-丁二烯", "C4H6", {"butadiene", "丁二烯"}, {"106-99-0"},
     GB(5, 1.5, RISK_T1, RISK_T4, "W2", C, U),
     PL(54.092, NO3, NO3, 2000, 2.0, SUBST_EP_IDLH)},
    {"dimethyl ether", "二甲醚", NULL, {"DME"}, {"115-10-6"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W2", C, U)},
    {"hydrogen fluoride", "氟化氢", NULL, {"HF"}, {"7664-39-3"},
     GB(1, 5, RISK_T1, RISK_T3, NULL, C, C)},
    /* Dispersion: IDLH 50 [U] */
    {"hydrogen cyanide", "氰化氢", "HCN", {NULL}, {"74-90-8"},
     GB(1, 10, RISK_T1, RISK_T3, NULL, C, C),
     PL(27.026, NO3, NO3, 50, NA, SUBST_EP_IDLH)},
    /* flammable liquid category 1 or 2 depending on the source (flash
     * point -30 C, bp 46 C): the higher beta, W5.1 */
    {"carbon disulfide", "二硫化碳", NULL, {"carbon disulphide", "CS2"}, {"75-15-0"},
     GB(50, 1.5, RISK_T1, RISK_T4, "W5.1", C, U)},
    /* flammable liquid category 2; its acute toxicity (category 3) is not a
     * J class, which needs category 2 for a liquid boiling above 35 C.
     * Dispersion: IDLH 85 [U] (revised; original 500 [C]) */
    {"acrylonitrile", "丙烯腈", "C3H3N", {"ACN"}, {"107-13-1"},
     GB(50, 1, RISK_T1, RISK_T4, "W5.3", C, U),
     PL(53.064, NO3, NO3, 85, NA, SUBST_EP_IDLH)},
    /* flammable liquid category 3 */
    {"styrene", "苯乙烯", NULL, {NULL}, {"100-42-5"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.4", C, U)},
    /* flammable liquids category 2 */
    {"acetone", "丙酮", NULL, {NULL}, {"67-64-1"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U)},
    {"ethanol", "乙醇", NULL, {"ethyl alcohol"}, {"64-17-5"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U)},
    {"ethyl acetate", "乙酸乙酯", NULL, {NULL}, {"141-78-6"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U)},
    {"n-hexane", "正己烷", NULL, {"hexane"}, {"110-54-3"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U)},
    {"cyclohexane", "环己烷", NULL, {NULL}, {"110-82-7"},
     GB(500, 1, RISK_T1, RISK_T4, "W5.3", C, U)},
    /* flammable liquid category 1 (flash point -37 C, bp 34 C) */
    {"propylene oxide", "环氧丙烷", NULL, {"PO", "1,2-epoxypropane"}, {"75-56-9"},
     GB(10, 1.5, RISK_T1, RISK_T4, "W5.1", C, U)},
    /* acute inhalation toxicity category 2, a liquid boiling above 35 C: J5
     * (mixed isomers, 2,4- and 2,6-) */
    {"toluene diisocyanate", "甲苯二异氰酸酯", NULL, {"TDI"}, {"26471-62-5", "584-84-9", "91-08-7"},
     GB(100, 1, RISK_T1, RISK_T4, "J5", C, U)},
    {"methyl isocyanate", "异氰酸甲酯", NULL, {"MIC"}, {"624-83-9"},
     GB(0.75, 20, RISK_T1, RISK_T3, NULL, C, C)},
    /* emits a flammable gas in contact with water */
    {"calcium carbide", "电石", NULL, {"碳化钙", "CaC2"}, {"75-20-7"},
     GB(100, 1, RISK_T1, RISK_T4, "W11", C, U)},
    /* Ammonium nitrate: three rows, one CAS (siyuancloud.com/90). The most
     * conservative (smallest Q) comes first and takes the bare names.
     * beta [U]: above 0.2 % combustibles it is an explosive (UN 0222,
     * W1.1); otherwise an oxidizing solid of category 3 (UN 1942, W9.2). */
    {"ammonium nitrate (combustibles > 0.2%)", "硝酸铵(含可燃物>0.2%)", NULL,
     {"ammonium nitrate", "硝酸铵"}, {"6484-52-2"},
     GB(5, 2, RISK_T1, RISK_T4, "W1.1", C, U)},
    {"ammonium nitrate (combustibles <= 0.2%)", "硝酸铵(含可燃物≤0.2%)", NULL, {NULL},
     {"6484-52-2"},
     GB(50, 1, RISK_T1, RISK_T4, "W9.2", C, U)},
    {"ammonium nitrate fertiliser", "硝酸铵基化肥", NULL, {"ammonium nitrate fertilizer"},
     {"6484-52-2"},
     GB(200, 1, RISK_T1, RISK_T4, "W9.2", C, U)},

    /* ===== no Table 1 row of their own ===== */
    /* LPG's components (CAS ours, filed under LPG before). Dispersion:
     * LEL 2.0 [C] (ntron; aarst 2.1), the reference's LPG proxy. */
    {"propane", "丙烷", "C3H8", {NULL}, {"74-98-6"},
     .risk_as = "liquefied petroleum gas",
     PL(44.097, NO3, NO3, NA, 2.0, 0)},
    /* LEL 1.5 [C] (ntron; Matheson 1.8) */
    {"butane", "丁烷", "C4H10", {"n-butane", "正丁烷"}, {"106-97-8"},
     .risk_as = "liquefied petroleum gas",
     PL(58.124, NO3, NO3, NA, 1.5, 0)},
    /* A Table 3 gas only: Q not in the reference. LEL 12.5 [C]; IDLH 1200 [U] */
    {"carbon monoxide", "一氧化碳", "CO", {NULL}, {"630-08-0"},
     PL(28.010, NO3, NO3, 1200, 12.5, SUBST_EP_IDLH)},
};
// clang-format on

#undef C
#undef D
#undef U

#define N_CATALOGUE (sizeof catalogue / sizeof catalogue[0])

const substance *substances_all(size_t *n) {
    if (n) *n = N_CATALOGUE;
    return catalogue;
}

const substance *substances_gb18218(size_t *n) {
    size_t k = 0;
    while (k < N_CATALOGUE && catalogue[k].q_crit_t > 0) k++;
    if (n) *n = k;
    return catalogue;
}

/* ---- lookup ---- */

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Locale-independent ASCII folding; UTF-8 bytes (>= 0x80) pass unchanged,
 * so Chinese names compare byte for byte. */
static unsigned char fold(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool loose_skip(unsigned char c) {
    return c == ' ' || c == '-' || c == '_' || c == ',';
}

/* Whether s[0..len) equals name, ASCII folded; loose also skips
 * loose_skip characters on both sides. */
static bool same(const char *s, size_t len, const char *name, bool loose) {
    if (!name) return false;
    size_t i = 0, j = 0;
    for (;;) {
        if (loose) {
            while (i < len && loose_skip((unsigned char)s[i])) i++;
            while (name[j] && loose_skip((unsigned char)name[j])) j++;
        }
        if (i == len || !name[j]) return i == len && !name[j] && j > 0;
        if (fold((unsigned char)s[i]) != fold((unsigned char)name[j])) return false;
        i++, j++;
    }
}

static bool entry_is(const substance *e, const char *s, size_t len, bool loose) {
    if (same(s, len, e->name, loose) || same(s, len, e->name_zh, loose) ||
        same(s, len, e->formula, loose))
        return true;
    for (size_t k = 0; k < SUBST_MAX_ALIASES && e->aliases[k]; k++)
        if (same(s, len, e->aliases[k], loose)) return true;
    for (size_t k = 0; k < SUBST_MAX_CAS && e->cas[k]; k++)
        if (same(s, len, e->cas[k], loose)) return true;
    return false;
}

/* text trimmed of blanks: false when nothing is left. */
static bool trim(const char *text, const char **s, size_t *len) {
    if (!text) return false;
    while (*text && is_blank(*text)) text++;
    size_t n = strlen(text);
    while (n && is_blank(text[n - 1])) n--;
    *s = text, *len = n;
    return n > 0;
}

const substance *substance_find(const char *text) {
    const char *s;
    size_t len;
    if (!trim(text, &s, &len)) return NULL;
    for (size_t i = 0; i < N_CATALOGUE; i++)
        if (entry_is(&catalogue[i], s, len, false)) return &catalogue[i];
    /* the loose pass is for Latin names only: Chinese names match exactly */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return NULL;
    for (size_t i = 0; i < N_CATALOGUE; i++)
        if (entry_is(&catalogue[i], s, len, true)) return &catalogue[i];
    return NULL;
}

bool substance_has_cas(const substance *e, const char *cas) {
    const char *s;
    size_t len;
    if (!e || !trim(cas, &s, &len)) return false;
    for (size_t k = 0; k < SUBST_MAX_CAS && e->cas[k]; k++)
        if (same(s, len, e->cas[k], false)) return true;
    return false;
}

const substance *substance_find_cas(const char *cas) {
    for (size_t i = 0; i < N_CATALOGUE; i++)
        if (substance_has_cas(&catalogue[i], cas)) return &catalogue[i];
    return NULL;
}

const substance *substance_for_risk(const substance *s) {
    if (s && s->risk_as) s = substance_find(s->risk_as);
    return s && s->q_crit_t > 0 ? s : NULL;
}

const substance *substance_for_plume(const substance *s) {
    if (s && s->plume_as) s = substance_find(s->plume_as);
    return s && s->dispersion ? s : NULL;
}
