/*
 * test_substances.c - the shared substance catalogue (views/substances.h):
 * every name of every entry finds that entry, and the risk and plume views
 * resolve it alike; chlorine under every name a tank may carry has a Q and
 * a plume (issue 17: a chlorine tank counted in risk but got no plume).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "views/plume.h"
#include "views/risk.h"
#include "views/substances.h"

/* name finds e; risk and plume see e's row and data. */
static void check_name(const substance *e, const char *name) {
    if (!name) return;
    const substance *got = substance_find(name);
    /* a CAS shared by ammonium nitrate's grades finds the first */
    if (got != e && !(substance_find_cas(name) && substance_has_cas(got, name)))
        fail_msg("%s: \"%s\" finds %s", e->name, name, got ? got->name : "nothing");
    if (got != e) return;
    if (risk_substance_find(name) != substance_for_risk(e))
        fail_msg("%s: risk sees \"%s\" otherwise", e->name, name);
    if (plume_substance_find(name) != substance_for_plume(e))
        fail_msg("%s: plume sees \"%s\" otherwise", e->name, name);
}

static void test_every_name(void **state) {
    (void)state;
    size_t n, n_gb;
    const substance *all = substances_all(&n);
    substances_gb18218(&n_gb);
    assert_true(n_gb >= 39);
    for (size_t i = 0; i < n; i++) {
        const substance *e = &all[i];
        /* the Table 1 rows lead; the rest have none of their own */
        assert_true(i < n_gb ? e->q_crit_t > 0 : e->q_crit_t == 0);
        check_name(e, e->name);
        check_name(e, e->name_zh);
        check_name(e, e->formula);
        for (size_t k = 0; k < SUBST_MAX_ALIASES && e->aliases[k]; k++)
            check_name(e, e->aliases[k]);
        for (size_t k = 0; k < SUBST_MAX_CAS && e->cas[k]; k++) {
            check_name(e, e->cas[k]);
            if (!risk_cas_valid(e->cas[k])) fail_msg("%s: bad CAS %s", e->name, e->cas[k]);
        }
        /* every entry is of use to someone, and redirects land */
        if (!substance_for_risk(e) && !substance_for_plume(e)) fail_msg("%s: unused", e->name);
        if (e->risk_as && !substance_for_risk(e)) fail_msg("%s: risk_as dangles", e->name);
        if (e->plume_as && !substance_for_plume(e)) fail_msg("%s: plume_as dangles", e->name);
    }
}

static void test_chlorine(void **state) {
    (void)state;
    const char *names[] = {"liquid chlorine", "液氯",           "chlorine", "Cl2",
                           "7782-50-5",       " Chlorine Gas ", "氯气",     "CL2",
                           "LIQUID-CHLORINE"};
    const substance *cl = substance_find("chlorine");
    assert_non_null(cl);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (substance_find(names[i]) != cl) fail_msg("\"%s\" is not chlorine", names[i]);
        const risk_substance *r = risk_substance_find(names[i]);
        const plume_substance *p = plume_substance_find(names[i]);
        if (!r || !p) fail_msg("\"%s\": risk %p, plume %p", names[i], (void *)r, (void *)p);
        assert_true(r->q_crit_t == 5);
        assert_true(p->erpg_ppm[1] == 3);
        assert_true(fabs(p->molar_mass_g_mol - 70.90) < 1e-12);
    }
    /* Chinese names match exactly: no loose second pass */
    assert_null(substance_find("液 氯"));
    assert_null(substance_find("chlorin"));
}

static void test_redirects(void **state) {
    (void)state;
    const substance *lpg = risk_substance_find("LPG");
    assert_non_null(lpg);
    /* propane and butane count under LPG, with their own dispersion data */
    assert_ptr_equal(risk_substance_find("propane"), lpg);
    assert_ptr_equal(risk_substance_find("丁烷"), lpg);
    assert_true(plume_substance_find("butane")->lel_pct_vol == 1.5);
    assert_ptr_equal(plume_substance_find("LPG"), plume_substance_find("propane"));
    /* a Table 3 gas without a Table 1 row: a plume, no Q */
    assert_null(risk_substance_find("CO"));
    assert_non_null(plume_substance_find("一氧化碳"));
    /* a Table 1 row without dispersion data */
    assert_non_null(risk_substance_find("TDI"));
    assert_null(plume_substance_find("TDI"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_name),
        cmocka_unit_test(test_chlorine),
        cmocka_unit_test(test_redirects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
