/*
 * test_risk.c - GB 18218-2018 tables and grading (views/risk.h): table
 * integrity (CAS check digits, unique names, Table 3/4 consistency), the
 * reference's Q and beta values, lookups by name, alias, Chinese name and
 * CAS, every alpha and grade boundary, S >= 1, unknown substances, hazard
 * class fallback, a hand-computed chlorine + LPG + ammonia unit, tank
 * inventories with clamping, and the live risk state's rule table.
 *
 * The expected values are copied from
 * docs/reference/major-hazard-gb18218.md; the test does not read it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "views/risk.h"

#define EPS 1e-9

/* cmocka's assert_float_equal works in float; compare doubles here. */
#define assert_near(a, b, eps) near_at((a), (b), (eps), #a, __LINE__)
static void near_at(double a, double b, double eps, const char *what, int line) {
    if (!(fabs(a - b) <= eps)) fail_msg("line %d: %s = %.12g, expected %.12g", line, what, a, b);
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */
/* ---------------------------------------------------------------------- */

static void test_table_integrity(void **state) {
    (void)state;
    size_t n, nc, ng;
    const risk_substance *rows = risk_substances(&n);
    const risk_hazard_class *classes = risk_hazard_classes(&nc);
    const risk_toxic_gas *gases = risk_toxic_gases(&ng);
    assert_true(n >= 39);
    assert_int_equal(nc, 24); /* J1-J5, W1.1-W1.3, W2-W4, W5.1-W5.4, W6.x, W7.x, W8-W11 */
    assert_int_equal(ng, 14); /* gb18218.md section 2, Table 3 */

    for (size_t i = 0; i < n; i++) {
        const risk_substance *r = &rows[i];
        assert_non_null(r->name);
        assert_non_null(r->name_zh);
        assert_non_null(r->cas[0]);
        assert_true(r->q_crit_t > 0);
        assert_true(r->beta > 0);
        for (size_t k = 0; k < RISK_MAX_CAS && r->cas[k]; k++) {
            if (!risk_cas_valid(r->cas[k])) fail_msg("%s: bad CAS %s", r->name, r->cas[k]);
        }
        /* Every name and alias finds its own row: no two rows share one. */
        assert_ptr_equal(risk_substance_find(r->name), r);
        assert_ptr_equal(risk_substance_find(r->name_zh), r);
        for (size_t k = 0; k < RISK_MAX_ALIASES && r->aliases[k]; k++) {
            if (risk_substance_find(r->aliases[k]) != r)
                fail_msg("%s: alias %s finds another row", r->name, r->aliases[k]);
        }
        /* beta agrees with the table it claims to come from. */
        if (r->beta_table == RISK_T3) {
            assert_null(r->beta_class);
            const risk_toxic_gas *g = risk_toxic_gas_find(r->cas[0]);
            if (!g) fail_msg("%s: beta from Table 3 but not a Table 3 gas", r->name);
            assert_near(r->beta, g->beta, EPS);
        } else {
            assert_int_equal(r->beta_table, RISK_T4);
            const risk_hazard_class *c = risk_hazard_class_find(r->beta_class);
            if (!c) fail_msg("%s: unknown class %s", r->name, r->beta_class);
            assert_near(r->beta, c->beta, EPS);
            /* A Table 3 gas must take its Table 3 beta. */
            if (risk_toxic_gas_find(r->cas[0])) fail_msg("%s is a Table 3 gas", r->name);
        }
        if (r->q_table == RISK_T2) assert_int_equal(r->q_status, RISK_UNCONFIRMED);
    }
    for (size_t i = 0; i < ng; i++) assert_true(risk_cas_valid(gases[i].cas));
    for (size_t i = 0; i < nc; i++)
        assert_ptr_equal(risk_hazard_class_find(classes[i].code), &classes[i]);
}

static void test_cas_validation(void **state) {
    (void)state;
    assert_true(risk_cas_valid("7732-18-5")); /* water */
    assert_true(risk_cas_valid("7782-50-5"));
    assert_true(risk_cas_valid("10102-44-0"));
    assert_false(risk_cas_valid("7782-50-4")); /* check digit */
    assert_false(risk_cas_valid("778250-5"));
    assert_false(risk_cas_valid("7-50-5"));
    assert_false(risk_cas_valid("7782-5a-5"));
    assert_false(risk_cas_valid(""));
    assert_false(risk_cas_valid(NULL));
}

typedef struct expect_row {
    const char *lookup;
    double q_t, beta;
    risk_table q_table, beta_table;
} expect_row;

/* gb18218.md section 3 table and "other Table 1 entries", with the beta the
 * reference gives (or, for [U] and unlisted ones, the class chosen in
 * risk.c). */
static const expect_row expected[] = {
    {"chlorine", 5, 4, RISK_T1, RISK_T3},
    {"ammonia", 10, 2, RISK_T1, RISK_T3},
    {"LPG", 50, 1.5, RISK_T1, RISK_T4},
    {"methane", 50, 1.5, RISK_T1, RISK_T4},
    {"natural gas", 50, 1.5, RISK_T1, RISK_T4},
    {"1333-74-0", 5, 1.5, RISK_T1, RISK_T4}, /* hydrogen, by CAS */
    {"7783-06-4", 5, 5, RISK_T1, RISK_T3},   /* hydrogen sulfide, by CAS */
    {"methanol", 500, 1, RISK_T1, RISK_T4},
    {"benzene", 50, 1, RISK_T1, RISK_T4},
    {"toluene", 500, 1, RISK_T1, RISK_T4},
    {"gasoline", 200, 1.5, RISK_T1, RISK_T4},
    {"ethylene", 50, 1.5, RISK_T1, RISK_T4},
    {"propylene", 10, 1.5, RISK_T2, RISK_T4},
    {"acetylene", 1, 1.5, RISK_T1, RISK_T4},
    {"hydrogen chloride", 20, 3, RISK_T1, RISK_T3},
    {"phosgene", 0.3, 20, RISK_T1, RISK_T3},
    {"sulfur dioxide", 20, 2, RISK_T1, RISK_T3},
    {"50-00-0", 5, 2, RISK_T1, RISK_T4}, /* formaldehyde, by CAS */
    {"vinyl chloride", 50, 1.5, RISK_T1, RISK_T4},
    {"oxygen", 200, 1, RISK_T1, RISK_T4},
    {"ethylene oxide", 10, 2, RISK_T1, RISK_T3},
    {"1,3-butadiene", 5, 1.5, RISK_T1, RISK_T4},
    {"dimethyl ether", 50, 1.5, RISK_T1, RISK_T4},
    {"HF", 1, 5, RISK_T1, RISK_T3},
    {"HCN", 1, 10, RISK_T1, RISK_T3},
    {"carbon disulfide", 50, 1.5, RISK_T1, RISK_T4},
    {"acrylonitrile", 50, 1, RISK_T1, RISK_T4},
    {"styrene", 500, 1, RISK_T1, RISK_T4},
    {"acetone", 500, 1, RISK_T1, RISK_T4},
    {"ethanol", 500, 1, RISK_T1, RISK_T4},
    {"ethyl acetate", 500, 1, RISK_T1, RISK_T4},
    {"n-hexane", 500, 1, RISK_T1, RISK_T4},
    {"cyclohexane", 500, 1, RISK_T1, RISK_T4},
    {"propylene oxide", 10, 1.5, RISK_T1, RISK_T4},
    {"TDI", 100, 1, RISK_T1, RISK_T4},
    {"methyl isocyanate", 0.75, 20, RISK_T1, RISK_T3},
    {"calcium carbide", 100, 1, RISK_T1, RISK_T4},
    {"ammonium nitrate", 5, 2, RISK_T1, RISK_T4},
    {"ammonium nitrate (combustibles <= 0.2%)", 50, 1, RISK_T1, RISK_T4},
    {"ammonium nitrate fertiliser", 200, 1, RISK_T1, RISK_T4},
};

static void test_reference_values(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const expect_row *e = &expected[i];
        const risk_substance *r = risk_substance_find(e->lookup);
        if (!r) fail_msg("%s not found", e->lookup);
        if (fabs(r->q_crit_t - e->q_t) > EPS || fabs(r->beta - e->beta) > EPS)
            fail_msg("%s: Q %g beta %g, expected %g %g", e->lookup, r->q_crit_t, r->beta, e->q_t,
                     e->beta);
        assert_int_equal(r->q_table, e->q_table);
        assert_int_equal(r->beta_table, e->beta_table);
    }
    /* Table 2/4 spot checks (gb18218.md sections 2 and 3). */
    const risk_hazard_class *c = risk_hazard_class_find("J1");
    assert_near(c->q_crit_t, 5, EPS);
    assert_near(c->beta, 4, EPS);
    c = risk_hazard_class_find("w5.4");
    assert_near(c->q_crit_t, 5000, EPS);
    assert_near(c->beta, 1, EPS);
    c = risk_hazard_class_find("W2");
    assert_near(c->q_crit_t, 10, EPS);
    assert_near(c->beta, 1.5, EPS);
    c = risk_hazard_class_find("W1.1");
    assert_near(c->q_crit_t, 1, EPS);
    assert_near(c->beta, 2, EPS);
    assert_null(risk_hazard_class_find("W12"));
    /* Table 3 betas. */
    assert_near(risk_toxic_gas_find("phosphine")->beta, 20, EPS);
    assert_near(risk_toxic_gas_find("nitrogen dioxide")->beta, 10, EPS);
    assert_near(risk_toxic_gas_find("溴甲烷")->beta, 3, EPS);
    assert_near(risk_toxic_gas_find("630-08-0")->beta, 2, EPS);
    assert_near(risk_toxic_gas_find("Cl2")->beta, 4, EPS); /* via the alias */
    assert_null(risk_toxic_gas_find("methane"));
}

static void test_lookup(void **state) {
    (void)state;
    const risk_substance *cl = risk_substance_find("chlorine");
    assert_non_null(cl);
    assert_ptr_equal(risk_substance_find("液氯"), cl);
    assert_ptr_equal(risk_substance_find("CHLORINE"), cl);
    assert_ptr_equal(risk_substance_find("  Chlorine\t"), cl);
    assert_ptr_equal(risk_substance_find("7782-50-5"), cl);
    assert_ptr_equal(risk_substance_find_cas(" 7782-50-5 "), cl);
    assert_null(risk_substance_find_cas("chlorine"));

    const risk_substance *lpg = risk_substance_find("LPG");
    assert_non_null(lpg);
    assert_string_equal(lpg->cas[0], "68476-85-7");
    assert_ptr_equal(risk_substance_find("lpg"), lpg);
    assert_ptr_equal(risk_substance_find("propane"), lpg);
    assert_ptr_equal(risk_substance_find("Butane"), lpg);
    assert_ptr_equal(risk_substance_find("液化石油气"), lpg);
    assert_ptr_equal(risk_substance_find("丙烷"), lpg);
    assert_ptr_equal(risk_substance_find("74-98-6"), lpg); /* propane's CAS */

    assert_ptr_equal(risk_substance_find("液氨"), risk_substance_find("ammonia"));
    assert_ptr_equal(risk_substance_find("8006-14-2"), risk_substance_find("methane"));
    assert_ptr_equal(risk_substance_find("天然气"), risk_substance_find("methane"));
    assert_ptr_equal(risk_substance_find("碳酰氯"), risk_substance_find("phosgene"));

    /* Shared CAS: the first (most conservative) ammonium nitrate row. */
    const risk_substance *an = risk_substance_find_cas("6484-52-2");
    assert_near(an->q_crit_t, 5, EPS);
    assert_ptr_equal(risk_substance_find("硝酸铵"), an);

    assert_null(risk_substance_find("unobtainium"));
    assert_null(risk_substance_find("chlorin"));
    assert_null(risk_substance_find("chlorinex"));
    assert_null(risk_substance_find(""));
    assert_null(risk_substance_find("   "));
    assert_null(risk_substance_find(NULL));
    assert_null(risk_substance_find("carbon monoxide")); /* Table 3 only: Q not in reference */
}

/* ---------------------------------------------------------------------- */
/* alpha and grade                                                         */
/* ---------------------------------------------------------------------- */

static void test_alpha_boundaries(void **state) {
    (void)state;
    /* gb18218.md section 2 alpha table: every band edge. */
    assert_near(risk_alpha(0), 0.5, EPS);
    assert_near(risk_alpha(1), 1.0, EPS);
    assert_near(risk_alpha(29), 1.0, EPS);
    assert_near(risk_alpha(30), 1.2, EPS);
    assert_near(risk_alpha(49), 1.2, EPS);
    assert_near(risk_alpha(50), 1.5, EPS);
    assert_near(risk_alpha(99), 1.5, EPS);
    assert_near(risk_alpha(100), 2.0, EPS);
    assert_near(risk_alpha(100000), 2.0, EPS);
    assert_near(risk_alpha(-1), -1.0, EPS);

    /* Weighted occupants round up, beyond 1e-6 of noise. */
    assert_int_equal(risk_exposed_people(0), 0);
    assert_int_equal(risk_exposed_people(1e-7), 0);
    assert_int_equal(risk_exposed_people(0.01), 1);
    assert_int_equal(risk_exposed_people(0.4), 1);
    assert_int_equal(risk_exposed_people(1), 1);
    assert_int_equal(risk_exposed_people(29), 29);
    assert_int_equal(risk_exposed_people(29.0000000001), 29);
    assert_int_equal(risk_exposed_people(29.01), 30);
    assert_int_equal(risk_exposed_people(49.5), 50);
    assert_int_equal(risk_exposed_people(99.2), 100);
    assert_int_equal(risk_exposed_people(-0.5), -1);
    assert_int_equal(risk_exposed_people(NAN), -1);
    assert_int_equal(risk_exposed_people(INFINITY), -1);
    assert_near(risk_alpha(risk_exposed_people(0.3)), 1.0, EPS);
    assert_near(risk_alpha(risk_exposed_people(29.3)), 1.2, EPS);
    assert_near(risk_alpha(risk_exposed_people(49.01)), 1.5, EPS);
    assert_near(risk_alpha(risk_exposed_people(99.9)), 2.0, EPS);
}

static void test_grade_boundaries(void **state) {
    (void)state;
    /* gb18218.md section 2 grade thresholds: bounds are inclusive below. */
    assert_int_equal(risk_grade(0), 4);
    assert_int_equal(risk_grade(9.999), 4);
    assert_int_equal(risk_grade(10), 3);
    assert_int_equal(risk_grade(49.999), 3);
    assert_int_equal(risk_grade(50), 2);
    assert_int_equal(risk_grade(99.999), 2);
    assert_int_equal(risk_grade(100), 1);
    assert_int_equal(risk_grade(1e6), 1);
    assert_int_equal(risk_grade(10 - 1e-12), 3); /* floating noise below the bound */
    assert_int_equal(risk_grade(-1), -1);
    assert_int_equal(risk_grade(NAN), -1);
}

/* ---------------------------------------------------------------------- */
/* Evaluating a unit                                                       */
/* ---------------------------------------------------------------------- */

static void evaluate(const risk_item *items, size_t n, double occupants, risk_contribution *c,
                     risk_result *r) {
    char err[256];
    if (risk_unit_evaluate(items, n, occupants, c, r, err, sizeof err) != 0) fail_msg("%s", err);
}

/*
 * No worked example from the reference is available (gb18218.md cites S4
 * "reproduced in notes/heldout", which is not present), so this one is
 * ours, computed by hand:
 *
 *   substance  q (t)  Q (t)  beta  q/Q   beta*q/Q
 *   chlorine    12      5     4    2.4     9.6
 *   LPG         40     50     1.5  0.8     1.2
 *   ammonia     15     10     2    1.5     3.0
 *                                  ---    ----
 *                              S = 4.7    13.8
 *
 *   S = 4.7 >= 1: a major hazard.
 *   45.3 weighted occupants round up to 46 people: alpha = 1.2 (30-49).
 *   R = 1.2 * 13.8 = 16.56: 10 <= R < 50, grade 3.
 */
static void test_worked_example(void **state) {
    (void)state;
    risk_item items[] = {{"液氯", 12, NULL, 0}, {"LPG", 40, NULL, 0}, {"ammonia", 15, NULL, 0}};
    risk_contribution c[3];
    risk_result r;
    evaluate(items, 3, 45.3, c, &r);
    assert_near(r.s, 4.7, EPS);
    assert_true(r.is_major);
    assert_int_equal(r.people, 46);
    assert_near(r.alpha, 1.2, EPS);
    assert_near(r.r, 16.56, EPS);
    assert_int_equal(r.grade, 3);
    assert_int_equal(r.n_unknown, 0);
    /* Audit trail per substance. */
    assert_int_equal(c[0].resolution, RISK_BY_TABLE1);
    assert_string_equal(c[0].entry->name, "chlorine");
    assert_string_equal(c[0].substance, "液氯");
    assert_near(c[0].ratio, 2.4, EPS);
    assert_near(c[0].weighted, 9.6, EPS);
    assert_near(c[1].q_crit_t, 50, EPS);
    assert_near(c[1].beta, 1.5, EPS);
    assert_near(c[1].weighted, 1.2, EPS);
    assert_int_equal(c[2].beta_table, RISK_T3);
    assert_near(c[2].weighted, 3.0, EPS);

    /* The same inventory at night with 120 people: alpha 2, R = 27.6. */
    evaluate(items, 3, 120, c, &r);
    assert_near(r.r, 27.6, EPS);
    assert_int_equal(r.grade, 3);

    /* Chlorine 25 t (5.0, 20), LPG 50 t (1.0, 1.5), ammonia 17.5 t (1.75,
     * 3.5): S = 7.75, sum = 25, alpha 2 -> R = 50 exactly: grade 2. */
    risk_item big[] = {{"chlorine", 25, NULL, 0}, {"propane", 50, NULL, 0}, {"NH3", 17.5, NULL, 0}};
    evaluate(big, 3, 100, c, &r);
    assert_near(r.s, 7.75, EPS);
    assert_near(r.r, 50, EPS);
    assert_int_equal(r.grade, 2);
    /* 99 people: alpha 1.5, R = 37.5, grade 3. */
    evaluate(big, 3, 99, c, &r);
    assert_near(r.r, 37.5, EPS);
    assert_int_equal(r.grade, 3);
}

static void test_grade_via_units(void **state) {
    (void)state;
    risk_contribution c[2];
    risk_result r;
    /* Chlorine alone, alpha 1 (10 people): R = 4 q / 5 = 0.8 q. */
    risk_item it = {"chlorine", 12.5, NULL, 0}; /* R = 10 */
    evaluate(&it, 1, 10, c, &r);
    assert_near(r.r, 10, EPS);
    assert_int_equal(r.grade, 3);
    it.q_t = 62.5; /* R = 50 */
    evaluate(&it, 1, 10, c, &r);
    assert_int_equal(r.grade, 2);
    it.q_t = 125; /* R = 100 */
    evaluate(&it, 1, 10, c, &r);
    assert_near(r.r, 100, EPS);
    assert_int_equal(r.grade, 1);
    it.q_t = 124.9;
    evaluate(&it, 1, 10, c, &r);
    assert_int_equal(r.grade, 2);
    /* Phosgene 1 t, nobody around: S = 3.33, R = 0.5 * 20 * 3.33 = 33.3. */
    risk_item ph = {"phosgene", 1, NULL, 0};
    evaluate(&ph, 1, 0, c, &r);
    assert_near(r.alpha, 0.5, EPS);
    assert_near(r.r, 0.5 * 20 / 0.3, 1e-9);
    assert_int_equal(r.grade, 3);
}

static void test_s_boundary(void **state) {
    (void)state;
    risk_contribution c[10];
    risk_result r;
    risk_item it = {"chlorine", 4.999, NULL, 0};
    evaluate(&it, 1, 10, c, &r);
    assert_false(r.is_major);
    assert_int_equal(r.grade, 0); /* not graded */
    it.q_t = 5;                   /* q = Q */
    evaluate(&it, 1, 10, c, &r);
    assert_true(r.is_major);
    assert_near(r.s, 1.0, EPS);
    assert_int_equal(r.grade, 4); /* R = 1 * 4 * 1 = 4 */

    /* 2.5 t chlorine + 5 t ammonia: 0.5 + 0.5 = 1. */
    risk_item two[] = {{"chlorine", 2.5, NULL, 0}, {"ammonia", 5, NULL, 0}};
    evaluate(two, 2, 0, c, &r);
    assert_true(r.is_major);
    /* Ten 0.5 t chlorine cylinders: 0.1 x 10 is 0.9999999999999999 in
     * binary; the unit is still a major hazard. */
    risk_item ten[10];
    for (int i = 0; i < 10; i++) ten[i] = (risk_item){"chlorine", 0.5, NULL, 0};
    evaluate(ten, 10, 0, c, &r);
    assert_true(r.is_major);
    ten[9].q_t = 0.49;
    evaluate(ten, 10, 0, c, &r);
    assert_false(r.is_major);

    /* A unit with S < 1 can have R >= 10, but it is not graded. */
    risk_item mic = {"methyl isocyanate", 0.7, NULL, 0}; /* S 0.93, R 2*20*0.93 */
    evaluate(&mic, 1, 200, c, &r);
    assert_false(r.is_major);
    assert_true(r.r > 10);
    assert_int_equal(r.grade, 0);

    /* An empty unit. */
    evaluate(NULL, 0, 0, NULL, &r);
    assert_near(r.s, 0, EPS);
    assert_false(r.is_major);
}

static void test_unknown_and_class(void **state) {
    (void)state;
    risk_contribution c[4];
    risk_result r;
    risk_item items[] = {
        {"chlorine", 5, NULL, 0},
        {"unobtainium", 1000, NULL, 0},
        {"kryptonite", 3, NULL, 0},
        {"ammonia", 5, NULL, 0},
    };
    evaluate(items, 4, 10, c, &r);
    assert_int_equal(r.n_unknown, 2);
    assert_near(r.s, 1.5, EPS); /* unknowns left out */
    assert_near(r.r, 1.0 * (4 * 1.0 + 2 * 0.5), EPS);
    assert_int_equal(c[1].resolution, RISK_UNKNOWN);
    assert_string_equal(c[1].substance, "unobtainium");
    assert_null(c[1].entry);
    assert_near(c[1].ratio, 0, EPS);
    assert_int_equal(c[2].resolution, RISK_UNKNOWN);
    assert_string_equal(c[2].substance, "kryptonite");

    /* Not in Table 1, classified by the caller: Q from Table 2, beta from
     * Table 3 for a named toxic gas (phosphine, J1: Q 5, beta 20) ... */
    risk_item cls[] = {
        {"phosphine", 1, "J1", 0},
        /* ... else from Table 4 (an unlisted flammable liquid, W5.3). */
        {"isopropanol", 500, "W5.3", 0},
        /* A Table 1 substance ignores the class. */
        {"chlorine", 1, "W5.4", 0},
    };
    evaluate(cls, 3, 0, c, &r);
    assert_int_equal(r.n_unknown, 0);
    assert_int_equal(c[0].resolution, RISK_BY_CLASS);
    assert_near(c[0].q_crit_t, 5, EPS);
    assert_near(c[0].beta, 20, EPS);
    assert_int_equal(c[0].q_table, RISK_T2);
    assert_int_equal(c[0].beta_table, RISK_T3);
    assert_near(c[1].q_crit_t, 1000, EPS);
    assert_near(c[1].beta, 1, EPS);
    assert_int_equal(c[1].beta_table, RISK_T4);
    assert_int_equal(c[2].resolution, RISK_BY_TABLE1);
    assert_near(c[2].q_crit_t, 5, EPS);
    /* S = 0.2 + 0.5 + 0.2 = 0.9 */
    assert_near(r.s, 0.9, EPS);

    /* beta override: gasoline classified by the site as W5.3 (beta 1). */
    risk_item gas = {"gasoline", 400, NULL, 1.0};
    evaluate(&gas, 1, 0, c, &r);
    assert_true(c[0].beta_overridden);
    assert_near(c[0].beta, 1.0, EPS);
    assert_near(r.r, 0.5 * 1.0 * 2, EPS);
}

static void test_bad_input(void **state) {
    (void)state;
    risk_contribution c[1];
    risk_result r = {0};
    char err[128];
    risk_item it = {"chlorine", -1, NULL, 0};
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "chlorine"));
    it.q_t = NAN;
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, err, sizeof err), -1);
    it.q_t = 1;
    assert_int_equal(risk_unit_evaluate(&it, 1, -1, c, &r, err, sizeof err), -1);
    assert_int_equal(risk_unit_evaluate(&it, 1, NAN, c, &r, err, sizeof err), -1);
    it.hazard_class = "W99";
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "W99"));
    it.hazard_class = NULL;
    it.beta_override = -2;
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, err, sizeof err), -1);
    it.beta_override = 0;
    it.substance = NULL;
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, err, sizeof err), -1);
    it.substance = "chlorine";
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, NULL, &r, err, sizeof err), -1);
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, NULL, NULL, 0), -1);
    assert_int_equal(risk_unit_evaluate(&it, 1, 0, c, &r, NULL, 0), 0);
}

/* ---------------------------------------------------------------------- */
/* Tank inventory                                                          */
/* ---------------------------------------------------------------------- */

static void test_tank_inventory(void **state) {
    (void)state;
    double q;
    bool clamped;
    /* Liquid chlorine, 1470 kg/m3: a 20 m3 tank 4 m high at 3 m holds
     * 3/4 * 20 = 15 m3 = 22.05 t. */
    risk_tank t = {3, 4, 20, 0, 1470};
    assert_int_equal(risk_tank_inventory_t(&t, &q, &clamped), 0);
    assert_near(q, 22.05, EPS);
    assert_false(clamped);
    t.level_m = 4; /* full */
    assert_int_equal(risk_tank_inventory_t(&t, &q, &clamped), 0);
    assert_near(q, 29.4, EPS);
    assert_false(clamped);
    t.level_m = 4.3; /* above the top: full, flagged */
    assert_int_equal(risk_tank_inventory_t(&t, &q, &clamped), 0);
    assert_near(q, 29.4, EPS);
    assert_true(clamped);
    t.level_m = -0.2; /* below the bottom: empty, flagged */
    assert_int_equal(risk_tank_inventory_t(&t, &q, &clamped), 0);
    assert_near(q, 0, EPS);
    assert_true(clamped);
    t.level_m = 0;
    assert_int_equal(risk_tank_inventory_t(&t, &q, NULL), 0);
    assert_near(q, 0, EPS);

    /* With a cross-section: 10 m2 x 2.5 m = 25 m3 of methanol (791.8 kg/m3)
     * = 19.795 t; capacity 30 m3 caps a 3.5 m reading at 30 m3. */
    risk_tank a = {2.5, 0, 30, 10, 791.8};
    assert_int_equal(risk_tank_inventory_t(&a, &q, &clamped), 0);
    assert_near(q, 19.795, EPS);
    assert_false(clamped);
    a.level_m = 3.5;
    assert_int_equal(risk_tank_inventory_t(&a, &q, &clamped), 0);
    assert_near(q, 30 * 0.7918, EPS);
    assert_true(clamped);
    /* Area with a height and no capacity: the level is capped at height. */
    risk_tank h = {5, 4, 0, 10, 1000};
    assert_int_equal(risk_tank_inventory_t(&h, &q, &clamped), 0);
    assert_near(q, 40, EPS);
    assert_true(clamped);
    /* Area alone: no cap above. */
    risk_tank o = {5, 0, 0, 10, 1000};
    assert_int_equal(risk_tank_inventory_t(&o, &q, &clamped), 0);
    assert_near(q, 50, EPS);
    assert_false(clamped);

    /* Bad geometry. */
    risk_tank bad = {1, 0, 20, 0, 1000}; /* no height, no area */
    assert_int_equal(risk_tank_inventory_t(&bad, &q, NULL), -1);
    bad = (risk_tank){1, 4, 0, 0, 1000}; /* no capacity, no area */
    assert_int_equal(risk_tank_inventory_t(&bad, &q, NULL), -1);
    bad = (risk_tank){1, 4, 20, 0, 0}; /* no density */
    assert_int_equal(risk_tank_inventory_t(&bad, &q, NULL), -1);
    bad = (risk_tank){NAN, 4, 20, 0, 1000};
    assert_int_equal(risk_tank_inventory_t(&bad, &q, NULL), -1);
    bad = (risk_tank){1, 4, -20, 0, 1000};
    assert_int_equal(risk_tank_inventory_t(&bad, &q, NULL), -1);
    assert_int_equal(risk_tank_inventory_t(NULL, &q, NULL), -1);
}

/* ---------------------------------------------------------------------- */
/* Live risk state                                                         */
/* ---------------------------------------------------------------------- */

static risk_state live(int grade, unsigned p1, unsigned p2, unsigned p3, unsigned p4,
                       unsigned faults, unsigned stale, unsigned detectors, size_t unknown) {
    risk_live in = {.grade = grade,
                    .gas_alarms = {p1, p2, p3, p4},
                    .instrument_faults = faults,
                    .stale_series = stale,
                    .detectors = detectors,
                    .unknown_substances = unknown};
    risk_state st;
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_string_equal(st.level_name, risk_level_name(st.level));
    assert_string_equal(st.colour_hex, risk_level_colour(st.level));
    return st;
}

static void test_live_state(void **state) {
    (void)state;
    risk_state st = live(1, 0, 0, 0, 0, 0, 0, 8, 0);
    assert_int_equal(st.level, RISK_NORMAL);
    assert_string_equal(st.level_name, "normal");
    assert_string_equal(st.colour_hex, "#2E7D32");
    assert_int_equal(st.n_reasons, 0);

    /* A: two priority-1 alarms are critical at any grade. */
    st = live(4, 2, 0, 0, 0, 0, 0, 8, 0);
    assert_int_equal(st.level, RISK_CRITICAL);
    assert_string_equal(st.colour_hex, "#C62828");
    assert_string_equal(st.reasons[0], "2 priority-1 gas alarms");
    assert_string_equal(st.reasons[1], "grade 4 major hazard");
    st = live(0, 2, 0, 0, 0, 0, 0, 8, 0);
    assert_int_equal(st.level, RISK_CRITICAL);
    assert_int_equal(st.n_reasons, 1); /* not graded: no grade reason */

    /* B: one priority-1 alarm: high, critical on grade 1/2. */
    assert_int_equal(live(3, 1, 0, 0, 0, 0, 0, 8, 0).level, RISK_HIGH);
    assert_int_equal(live(0, 1, 0, 0, 0, 0, 0, 8, 0).level, RISK_HIGH);
    st = live(1, 1, 0, 0, 0, 0, 0, 8, 0);
    assert_int_equal(st.level, RISK_CRITICAL);
    assert_string_equal(st.reasons[0], "1 priority-1 gas alarm");
    assert_string_equal(st.reasons[1], "grade 1 major hazard");
    assert_int_equal(live(2, 1, 0, 0, 0, 0, 0, 8, 0).level, RISK_CRITICAL);

    /* C, D: priority 2. */
    assert_int_equal(live(4, 0, 2, 0, 0, 0, 0, 8, 0).level, RISK_HIGH);
    assert_int_equal(live(4, 0, 1, 0, 0, 0, 0, 8, 0).level, RISK_ELEVATED);
    assert_int_equal(live(2, 0, 1, 0, 0, 0, 0, 8, 0).level, RISK_HIGH);

    /* E, F: priority 3 raises to elevated; priority 4 only explains. */
    assert_int_equal(live(1, 0, 0, 1, 0, 0, 0, 8, 0).level, RISK_ELEVATED);
    st = live(1, 0, 0, 0, 3, 0, 0, 8, 0);
    assert_int_equal(st.level, RISK_NORMAL);
    assert_int_equal(st.n_reasons, 1);
    assert_string_equal(st.reasons[0], "3 priority-4 gas alarms");

    /* G, H: blind detectors. */
    st = live(3, 0, 0, 0, 0, 1, 0, 8, 0);
    assert_int_equal(st.level, RISK_ELEVATED);
    assert_string_equal(st.colour_hex, "#F9A825");
    assert_string_equal(st.reasons[0], "1 instrument fault");
    assert_string_equal(st.reasons[1], "grade 3 major hazard");
    st = live(1, 0, 0, 0, 0, 1, 3, 8, 0); /* 4 of 8 blind on a grade 1 unit */
    assert_int_equal(st.level, RISK_HIGH);
    assert_string_equal(st.colour_hex, "#EF6C00");
    assert_string_equal(st.reasons[0], "1 instrument fault");
    assert_string_equal(st.reasons[1], "3 stale detectors");
    assert_string_equal(st.reasons[2], "4 of 8 detectors blind");
    assert_string_equal(st.reasons[3], "grade 1 major hazard");
    assert_int_equal(live(1, 0, 0, 0, 0, 0, 3, 8, 0).level, RISK_ELEVATED); /* 3 of 8 */
    assert_int_equal(live(3, 0, 0, 0, 0, 0, 4, 8, 0).level, RISK_ELEVATED); /* grade 3 */
    st = live(2, 0, 0, 0, 0, 5, 5, 4, 0); /* capped at the detector count */
    assert_int_equal(st.level, RISK_HIGH);
    assert_string_equal(st.reasons[2], "4 of 4 detectors blind");
    st = live(2, 0, 0, 0, 0, 0, 3, 0, 0); /* detectors unknown: 3 or more */
    assert_int_equal(st.level, RISK_HIGH);
    assert_string_equal(st.reasons[1], "3 detectors blind");
    assert_int_equal(live(2, 0, 0, 0, 0, 0, 2, 0, 0).level, RISK_ELEVATED);

    /* I: unclassified substances. */
    st = live(0, 0, 0, 0, 0, 0, 0, 8, 2);
    assert_int_equal(st.level, RISK_ELEVATED);
    assert_string_equal(st.reasons[0], "2 substances not classified");

    /* Everything at once: the worst wins, every reason is listed. */
    st = live(1, 2, 1, 1, 1, 1, 1, 2, 1);
    assert_int_equal(st.level, RISK_CRITICAL);
    assert_int_equal(st.n_reasons, 9);
    assert_string_equal(st.reasons[8], "grade 1 major hazard");

    risk_live bad = {.grade = 5};
    assert_int_equal(risk_live_state(&bad, &st), -1);
    bad.grade = -1;
    assert_int_equal(risk_live_state(&bad, &st), -1);
    assert_int_equal(risk_live_state(NULL, &st), -1);
    assert_string_equal(risk_level_name((risk_level)9), "?");
}

/* J to N: the unit's tanks and pipelines, not only its detectors. */
static void test_live_process(void **state) {
    (void)state;
    risk_state st;
    /* An overfilling tank (high-high, priority 1) on a grade-3 unit whose
     * gas detectors read clean air: high; on grade 1: critical. */
    risk_live in = {.grade = 3, .detectors = 4, .process_alarms = {1, 0, 0, 0}};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_HIGH);
    assert_string_equal(st.reasons[0], "1 priority-1 process alarm");
    assert_string_equal(st.reasons[1], "grade 3 major hazard");
    in.grade = 1;
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_CRITICAL);
    /* K, L: priority 2 and 3. */
    in = (risk_live){.grade = 4, .process_alarms = {0, 2, 0, 0}};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_ELEVATED);
    assert_string_equal(st.reasons[0], "2 priority-2 process alarms");
    in.grade = 2;
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_HIGH);
    in = (risk_live){.grade = 1, .process_alarms = {0, 0, 1, 0}};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_ELEVATED);
    in = (risk_live){.grade = 1, .process_alarms = {0, 0, 0, 1}};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_NORMAL);
    assert_string_equal(st.reasons[0], "1 priority-4 process alarm");
    /* M: its only level transmitter frozen: not normal; high on grade 1. */
    in = (risk_live){.grade = 1, .detectors = 4, .unmonitored = 1, .process_instrument_faults = 1};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_HIGH);
    assert_string_equal(st.reasons[0], "1 critical parameter unmonitored");
    assert_string_equal(st.reasons[1], "1 process instrument fault");
    assert_string_equal(st.reasons[2], "grade 1 major hazard");
    in.grade = 4;
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_ELEVATED);
    /* N alone: one of two level transmitters faulty. */
    in = (risk_live){.grade = 1, .process_instrument_faults = 1};
    assert_int_equal(risk_live_state(&in, &st), 0);
    assert_int_equal(st.level, RISK_ELEVATED);
    assert_int_equal(st.n_reasons, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_process),
        cmocka_unit_test(test_table_integrity),
        cmocka_unit_test(test_cas_validation),
        cmocka_unit_test(test_reference_values),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_alpha_boundaries),
        cmocka_unit_test(test_grade_boundaries),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_grade_via_units),
        cmocka_unit_test(test_s_boundary),
        cmocka_unit_test(test_unknown_and_class),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_tank_inventory),
        cmocka_unit_test(test_live_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
