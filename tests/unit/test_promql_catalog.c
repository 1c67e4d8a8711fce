/*
 * test_promql_catalog.c - the label catalog (promql/catalog.h): labels
 * derived from series names, selection with every matcher op against a
 * brute-force scan of random data, the literal and general regex paths
 * agreeing, scope isolation, label replacement, 100,000 series, and
 * readers racing a writer (for TSan).
 *
 * PQ_CATALOG_BENCH=1 prints select timings over 100,000 series; nothing
 * here asserts a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <time.h>

#include "promql/catalog.h"

/* ---- helpers ---- */

/* "name=value;..." of a label array, for table comparisons. */
static const char *render(const pq_label *l, size_t n) {
    static char s[4096];
    size_t len = 0;
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, sizeof s - len, "%s%s=%s", i ? ";" : "", l[i].name,
                                l[i].value);
    return s;
}

/* The labels of id, rendered (n is set before it is read). */
static const char *labels_of(pq_catalog *c, uint32_t id) {
    size_t n;
    const pq_label *l = pq_catalog_labels(c, id, &n);
    return render(l, n);
}

static const char *ids_str(const pq_idlist *l) {
    static char s[4096];
    size_t len = 0;
    s[0] = 0;
    for (size_t i = 0; i < l->n && len < sizeof s - 16; i++)
        len += (size_t)snprintf(s + len, sizeof s - len, "%s%u", i ? "," : "", l->ids[i]);
    return s;
}

static pq_matcher mk(pq_match_op op, const char *name, const char *value) {
    pq_matcher m = {name, value, op, NULL};
    if (op == PQ_M_RE || op == PQ_M_NRE) {
        char err[256];
        m.re = pq_regex_compile(value, strlen(value), err, sizeof err);
        if (!m.re) fail_msg("regex %s: %s", value, err);
    }
    return m;
}

static void unmk(pq_matcher *m, size_t n) {
    for (size_t i = 0; i < n; i++) pq_regex_free(m[i].re);
}

/* Selects and renders the ids ("" for none, "ERR:<msg>" on failure). */
static const char *sel(pq_catalog *c, pq_matcher *m, size_t n, const char *scope, size_t max) {
    static char s[4096];
    pq_idlist out = {0};
    char err[128];
    if (pq_catalog_select(c, m, n, scope, max, &out, err, sizeof err) < 0)
        snprintf(s, sizeof s, "ERR:%s", err);
    else
        snprintf(s, sizeof s, "%s", ids_str(&out));
    pq_idlist_free(&out);
    unmk(m, n);
    return s;
}

#define SEL(c, scope, ...)                                                                         \
    sel(c, (pq_matcher[]){__VA_ARGS__}, sizeof((pq_matcher[]){__VA_ARGS__}) / sizeof(pq_matcher),  \
        scope, 0)

static void set_str(pq_catalog *c, uint32_t id, const char *spec) {
    /* spec: "a=1;b=2" */
    char buf[512];
    pq_label l[PQ_MAX_LABELS];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        *eq = 0;
        l[n++] = (pq_label){tok, eq + 1};
    }
    assert_int_equal(pq_catalog_set(c, id, l, n), 0);
}

static const char *joined(const char **s, long n) {
    static char out[4096];
    size_t len = 0;
    out[0] = 0;
    for (long i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "," : "", s[i]);
    return out;
}

static const char *names_of(pq_catalog *c, const pq_idlist *ids, const char *scope) {
    const char **s;
    long n = pq_catalog_label_names(c, ids, scope, &s);
    assert_true(n >= 0);
    const char *r = joined(s, n);
    free(s);
    return r;
}

static const char *values_of(pq_catalog *c, const char *name, const pq_idlist *ids,
                             const char *scope) {
    const char **s;
    long n = pq_catalog_label_values(c, name, ids, scope, &s);
    assert_true(n >= 0);
    const char *r = joined(s, n);
    free(s);
    return r;
}

/* ---- pq_labels_of_series ---- */

static void test_labels_table(void **state) {
    (void)state;
    static const struct {
        const char *name, *unit, *kind, *want;
    } cases[] = {
        {"e24/d01234/sensor.v", NULL, NULL, "__name__=sensor_v;device=d01234;enterprise=e24"},
        {"E012/tankfarm-3/tank,unit=m.level", "", NULL,
         "__name__=tank_level;device=tankfarm-3;enterprise=E012;exported_unit=m"},
        {"E012/pump/rpm,site=north", NULL, NULL,
         "__name__=pump_rpm;device=pump;enterprise=E012;site=north"},
        {"E001/gd-03/gas", "%LEL", "gas_detector",
         "__name__=gas;device=gd-03;enterprise=E001;kind=gas_detector;unit=%LEL"},
        {"E1/x/9abc.def", NULL, NULL, "__name__=_9abc_def;device=x;enterprise=E1"},
        {"E1/x/T301.level", "", "", "__name__=T301_level;device=x;enterprise=E1"},
        {"E1/x/rpm", NULL, NULL, "__name__=rpm;device=x;enterprise=E1"},
        {"E1/x/a:b-c", NULL, NULL, "__name__=a:b_c;device=x;enterprise=E1"},
        {"E1/x/a/b", NULL, NULL, "__name__=a_b;device=x;enterprise=E1"},
        {"E1/9x/rpm,k=v", NULL, NULL, "__name__=_9x_rpm;device=9x;enterprise=E1;k=v"},
        /* bytewise order: uppercase, then __name__, then lowercase */
        {"E1/x/m,Zone=a.f", NULL, NULL, "Zone=a;__name__=m_f;device=x;enterprise=E1"},
        /* tag keys: sanitised (no ':'), a leading digit, the last '.' splits the field */
        {"E1/x/m,1k=v,c:d=w,host-name=a.b.f", NULL, NULL,
         "_1k=v;__name__=m_f;c_d=w;device=x;enterprise=E1;host_name=a.b"},
        /* collisions: reserved keys always, then again while taken */
        {"E1/x/m,exported_unit=a,unit=b.f", "mm", NULL,
         "__name__=m_f;device=x;enterprise=E1;exported_exported_unit=b;exported_unit=a;unit=mm"},
        {"E1/x/rpm,a-b=1,a_b=2", NULL, NULL,
         "__name__=x_rpm;a_b=1;device=x;enterprise=E1;exported_a_b=2"},
        {"E1/x/m,__name__=n,device=d,enterprise=e,kind=k.f", NULL, "K",
         "__name__=m_f;device=x;enterprise=E1;exported___name__=n;exported_device=d;"
         "exported_enterprise=e;exported_kind=k;kind=K"},
        /* a part without '=' belongs to the value before it */
        {"E1/x/m,k=a,b.f", NULL, NULL, "__name__=m_f;device=x;enterprise=E1;k=a,b"},
        {"E1/x/m,k=a,b", NULL, NULL, "__name__=x_m;device=x;enterprise=E1;k=a,b"},
        /* malformed tags: the whole tag is the name */
        {"E1/x/a,b", NULL, NULL, "__name__=a_b;device=x;enterprise=E1"},
        {"E1/x/m,=v.f", NULL, NULL, "__name__=m__v_f;device=x;enterprise=E1"},
        {"E1/x/m,k=v.", NULL, NULL, "__name__=m_k_v_;device=x;enterprise=E1"},
        {"E1/x/m,k=.f", NULL, NULL, "__name__=m_k__f;device=x;enterprise=E1"},
        {"E1/x/m,k=", NULL, NULL, "__name__=m_k_;device=x;enterprise=E1"},
        {"E1/x/,k=v", NULL, NULL, "__name__=_k_v;device=x;enterprise=E1"},
        {"E1/x/m,", NULL, NULL, "__name__=m_;device=x;enterprise=E1"},
        /* non-ASCII: each byte of a name becomes '_', values stay */
        {"E1/d\xC3\xA9/temp\xC3\xA9,z=\xC3\xA9", NULL, NULL,
         "__name__=d___temp__;device=d\xC3\xA9;enterprise=E1;z=\xC3\xA9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024];
        pq_label out[PQ_MAX_LABELS];
        size_t n = pq_labels_of_series(cases[i].name, cases[i].unit, cases[i].kind, buf, sizeof buf,
                                       out, PQ_MAX_LABELS);
        if (n == 0) fail_msg("%s: 0 labels", cases[i].name);
        if (strcmp(render(out, n), cases[i].want) != 0)
            fail_msg("%s:\n got  %s\n want %s", cases[i].name, render(out, n), cases[i].want);
        for (size_t j = 0; j < n; j++) { /* every string lives in buf */
            assert_true(out[j].name >= buf && out[j].name < buf + sizeof buf);
            assert_true(out[j].value >= buf && out[j].value < buf + sizeof buf);
        }
    }
}

static void test_labels_invalid(void **state) {
    (void)state;
    static const char *const bad[] = {"", "E1", "E1/x", "E1/x/", "/x/t", "E1//t", "//"};
    char buf[256];
    pq_label out[PQ_MAX_LABELS];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pq_labels_of_series(bad[i], NULL, NULL, buf, sizeof buf, out, 40), 0);
    assert_int_equal(pq_labels_of_series(NULL, NULL, NULL, buf, sizeof buf, out, 40), 0);
    assert_int_equal(pq_labels_of_series("E/d/t", NULL, NULL, NULL, 0, out, 40), 0);
}

/* The longest series name the historian takes holds 62 tags: with kind and
 * unit that is PQ_MAX_LABELS labels. */
static void test_labels_most(void **state) {
    (void)state;
    static const char keys[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char name[256], buf[2048];
    size_t len = (size_t)snprintf(name, sizeof name, "E/D/f");
    for (size_t i = 0; i < 62; i++)
        len += (size_t)snprintf(name + len, sizeof name - len, ",%c=v", keys[i]);
    assert_true(len <= 255);
    pq_label out[PQ_MAX_LABELS];
    assert_int_equal(pq_labels_of_series(name, "u", "k", buf, sizeof buf, out, PQ_MAX_LABELS),
                     PQ_MAX_LABELS);
    assert_string_equal(out[0].name, "A");
    assert_string_equal(out[26].name, "_0");
    assert_string_equal(out[36].name, "__name__");
    assert_string_equal(out[36].value, "D_f");
}

/* Exactly the bytes of the strings fit; one fewer does not, at any size. */
static void test_labels_buffer(void **state) {
    (void)state;
    static const char *const names[] = {"E012/tankfarm-3/tank,unit=m.level",
                                        "E1/x/m,exported_unit=a,unit=b.f", "e24/d01234/sensor.v"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char buf[512];
        pq_label out[PQ_MAX_LABELS];
        size_t n = pq_labels_of_series(names[k], "mm", "tank", buf, sizeof buf, out, 40);
        assert_true(n > 0);
        size_t need = 0;
        for (size_t i = 0; i < n; i++) need += strlen(out[i].name) + strlen(out[i].value) + 2;
        char *exact = malloc(need);
        assert_non_null(exact);
        assert_int_equal(pq_labels_of_series(names[k], "mm", "tank", exact, need, out, 40), n);
        for (size_t cap = 0; cap < need; cap++) {
            char *small = malloc(cap ? cap : 1);
            assert_int_equal(pq_labels_of_series(names[k], "mm", "tank", small, cap, out, 40), 0);
            free(small);
        }
        free(exact);
        assert_int_equal(pq_labels_of_series(names[k], "mm", "tank", buf, sizeof buf, out, n), n);
        assert_int_equal(pq_labels_of_series(names[k], "mm", "tank", buf, sizeof buf, out, n - 1),
                         0);
    }
}

/* ---- set, labels, replacement ---- */

static void test_set_and_labels(void **state) {
    (void)state;
    pq_catalog *c = pq_catalog_new();
    assert_non_null(c);
    size_t n;
    assert_null(pq_catalog_labels(c, 3, &n));
    assert_int_equal(n, 0);
    assert_false(pq_catalog_has(c, 3));
    pq_label l[] = {{"zone", "z1"}, {"__name__", "m"}, {"Up", "1"}, {"empty", ""}};
    assert_int_equal(pq_catalog_set(c, 3, l, 4), 0);
    assert_true(pq_catalog_has(c, 3));
    assert_false(pq_catalog_has(c, 4));
    assert_int_equal(pq_catalog_count(c), 1);
    const pq_label *got = pq_catalog_labels(c, 3, &n);
    /* sorted copy; the empty value is absent, as in Prometheus */
    assert_string_equal(render(got, n), "Up=1;__name__=m;zone=z1");
    assert_ptr_not_equal(got[2].value, l[0].value);
    /* interned: equal strings of two series are one copy */
    pq_label l2[] = {{"zone", "z1"}, {"__name__", "m2"}};
    assert_int_equal(pq_catalog_set(c, 4000000000u, l2, 2), 0);
    const pq_label *got2 = pq_catalog_labels(c, 4000000000u, &n);
    assert_ptr_equal(got2[1].value, got[2].value);
    assert_ptr_equal(got2[1].name, got[2].name);
    assert_int_equal(pq_catalog_count(c), 2);
    /* a duplicated name is refused and changes nothing */
    pq_label dup[] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    assert_int_equal(pq_catalog_set(c, 3, dup, 3), -1);
    assert_int_equal(pq_catalog_set(c, 5, dup, 3), -1);
    assert_false(pq_catalog_has(c, 5));
    assert_string_equal(labels_of(c, 3), "Up=1;__name__=m;zone=z1");
    pq_label nul[] = {{"a", NULL}};
    assert_int_equal(pq_catalog_set(c, 6, nul, 1), -1);
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "zone", "z1")), "3,4000000000");
    pq_catalog_free(c);
}

static void test_replace(void **state) {
    (void)state;
    pq_catalog *c = pq_catalog_new();
    set_str(c, 1, "__name__=a;zone=z1;enterprise=E1");
    set_str(c, 7, "__name__=a;zone=z1;enterprise=E1");
    set_str(c, 9, "__name__=a;zone=z2;enterprise=E1");
    size_t n;
    const pq_label *old = pq_catalog_labels(c, 7, &n);
    set_str(c, 7, "__name__=b;enterprise=E2");
    /* the old array is kept as it was */
    assert_string_equal(render(old, n), "__name__=a;enterprise=E1;zone=z1");
    assert_string_equal(labels_of(c, 7), "__name__=b;enterprise=E2");
    assert_int_equal(pq_catalog_count(c), 3);
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "zone", "z1")), "1");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a")), "1,9");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "b")), "7");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "__name__", ".+"), mk(PQ_M_EQ, "zone", "")), "7");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_RE, "__name__", ".+")), "1,9");
    assert_string_equal(SEL(c, "E2", mk(PQ_M_RE, "__name__", ".+")), "7");
    assert_string_equal(values_of(c, "zone", NULL, "E2"), "");
    assert_string_equal(names_of(c, NULL, "E2"), "__name__,enterprise");
    /* a value left with no series is no longer listed */
    set_str(c, 9, "__name__=a;enterprise=E1");
    assert_string_equal(values_of(c, "zone", NULL, NULL), "z1");
    set_str(c, 1, "__name__=a;enterprise=E1");
    assert_string_equal(values_of(c, "zone", NULL, NULL), "");
    assert_string_equal(names_of(c, NULL, NULL), "__name__,enterprise");
    /* same labels again: nothing moves, the array is kept */
    const pq_label *before = pq_catalog_labels(c, 1, &n);
    set_str(c, 1, "enterprise=E1;__name__=a");
    assert_ptr_equal(pq_catalog_labels(c, 1, &n), before);
    /* one value changed: only its postings move */
    set_str(c, 9, "__name__=a;enterprise=E3");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_EQ, "__name__", "a")), "1");
    assert_string_equal(SEL(c, "E3", mk(PQ_M_EQ, "__name__", "a")), "9");
    set_str(c, 9, "__name__=a;enterprise=E1");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a")), "1,9");
    pq_catalog_free(c);
}

/* ---- select ---- */

static pq_catalog *small_catalog(void) {
    pq_catalog *c = pq_catalog_new();
    set_str(c, 1, "__name__=a;enterprise=E1;device=d1;zone=z1");
    set_str(c, 2, "__name__=a;enterprise=E1;device=d2");
    set_str(c, 3, "__name__=b;enterprise=E2;device=d1;zone=z2");
    set_str(c, 5, "__name__=a;enterprise=E2;device=d3;zone=z1");
    set_str(c, 8, "__name__=c.d;enterprise=E2;device=d|x;zone=z10");
    return c;
}

static void test_select_ops(void **state) {
    (void)state;
    pq_catalog *c = small_catalog();
    /* = */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a")), "1,2,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_EQ, "zone", "z1")),
                        "1,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "nope")), "");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "nope", "a")), "");
    /* a missing label is "" */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_EQ, "zone", "")), "2");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_EQ, "nope", "")),
                        "1,2,5");
    /* != */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_NEQ, "zone", "z1")),
                        "2");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_NEQ, "zone", "")), "1,3,5,8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_NEQ, "nope", "x")),
                        "1,2,5");
    /* =~ : literals, a general pattern, anchoring, the empty string */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "device", "d1|d3")), "1,3,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "device", "d[13]")), "1,3,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "device", "d")), "");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "zone", "z1")), "1,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "zone", "z1.*")), "1,5,8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "__name__", "c.d")), "8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "device", "d\\|x")), "8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_RE, "zone", "z2|")),
                        "2");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_EQ, "__name__", "a"), mk(PQ_M_RE, "zone", ".*")),
                        "1,2,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "__name__", ".+"), mk(PQ_M_RE, "zone", "|z1")),
                        "1,2,5");
    /* !~ */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "__name__", ".+"), mk(PQ_M_NRE, "zone", "z1")),
                        "2,3,8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_RE, "__name__", ".+"), mk(PQ_M_NRE, "zone", "z.*")),
                        "2");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_NRE, "zone", "")), "1,3,5,8");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_NRE, "zone", "z1|")), "3,8");
    /* every matcher ANDed; negative-only selects from the universe */
    assert_string_equal(SEL(c, NULL, mk(PQ_M_NEQ, "device", "d1"), mk(PQ_M_NRE, "zone", "z2"),
                            mk(PQ_M_RE, "enterprise", "E.*"), mk(PQ_M_NEQ, "__name__", "c.d")),
                        "2,5");
    assert_string_equal(SEL(c, NULL, mk(PQ_M_NEQ, "device", "d1")), "2,5,8");
    /* the limit */
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_EQ, "__name__", "a")}, 1, NULL, 3), "1,2,5");
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_EQ, "__name__", "a")}, 1, NULL, 2),
                        "ERR:too many series: the selector matches more than 2");
    /* a matcher without a compiled regex is refused */
    pq_idlist out = {0};
    char err[64];
    pq_matcher bad = {"zone", "z1", PQ_M_RE, NULL};
    assert_int_equal(pq_catalog_select(c, &bad, 1, NULL, 0, &out, err, sizeof err), -1);
    assert_string_equal(err, "invalid matcher");
    pq_idlist_free(&out);
    pq_catalog_free(c);
}

static void test_label_names_values(void **state) {
    (void)state;
    pq_catalog *c = small_catalog();
    assert_string_equal(names_of(c, NULL, NULL), "__name__,device,enterprise,zone");
    assert_string_equal(values_of(c, "zone", NULL, NULL), "z1,z10,z2");
    assert_string_equal(values_of(c, "nope", NULL, NULL), "");
    pq_idlist ids = {(uint32_t[]){2, 3, 4, 99}, 4, 4};
    assert_string_equal(names_of(c, &ids, NULL), "__name__,device,enterprise,zone");
    ids.n = 1;
    assert_string_equal(names_of(c, &ids, NULL), "__name__,device,enterprise");
    assert_string_equal(values_of(c, "zone", &ids, NULL), "");
    ids.n = 4;
    assert_string_equal(values_of(c, "device", &ids, NULL), "d1,d2");
    assert_string_equal(values_of(c, "device", &ids, "E1"), "d2");
    assert_string_equal(values_of(c, "__name__", NULL, "E2"), "a,b,c.d");
    assert_string_equal(values_of(c, "__name__", NULL, "E3"), "");
    const char **s = (const char **)1;
    assert_int_equal(pq_catalog_label_names(c, NULL, "E3", &s), 0);
    assert_null(s);
    pq_catalog_free(c);
}

/* ---- scope isolation ---- */

static void test_scope(void **state) {
    (void)state;
    pq_catalog *c = pq_catalog_new();
    set_str(c, 10, "__name__=a;enterprise=E1;device=d1");
    set_str(c, 11, "__name__=a;enterprise=E1;device=d2");
    set_str(c, 12, "__name__=b;enterprise=E1;device=d3");
    for (uint32_t id = 0; id < 1000; id++) {
        char spec[128];
        snprintf(spec, sizeof spec, "__name__=a;enterprise=E2;device=d%u;secret=s%u", id % 7, id);
        set_str(c, id < 10 ? id : id + 100, spec);
    }
    /* only E1's series exist for E1: the limit counts only them */
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_RE, "__name__", ".+")}, 1, "E1", 3),
                        "10,11,12");
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_EQ, "__name__", "a")}, 1, "E1", 2), "10,11");
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_RE, "__name__", ".+")}, 1, "E1", 2),
                        "ERR:too many series: the selector matches more than 2");
    assert_string_equal(sel(c, (pq_matcher[]){mk(PQ_M_RE, "__name__", ".+")}, 1, NULL, 3),
                        "ERR:too many series: the selector matches more than 3");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_EQ, "device", "d1")), "10");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_NEQ, "device", "d1")), "11,12");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_EQ, "secret", "")), "10,11,12");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_RE, "secret", ".+")), "");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_NRE, "device", "d[12]")), "12");
    assert_string_equal(SEL(c, "E1", mk(PQ_M_EQ, "enterprise", "E2")), "");
    assert_string_equal(SEL(c, "E3", mk(PQ_M_RE, "__name__", ".*")), "");
    assert_string_equal(SEL(c, "", mk(PQ_M_RE, "__name__", ".*")), "");
    assert_string_equal(names_of(c, NULL, "E1"), "__name__,device,enterprise");
    assert_string_equal(values_of(c, "device", NULL, "E1"), "d1,d2,d3");
    assert_string_equal(values_of(c, "secret", NULL, "E1"), "");
    /* ids from elsewhere are not shown under a scope */
    pq_idlist ids = {(uint32_t[]){5, 10, 500}, 3, 3};
    assert_string_equal(names_of(c, &ids, "E1"), "__name__,device,enterprise");
    assert_string_equal(values_of(c, "device", &ids, "E1"), "d1");
    assert_string_equal(names_of(c, &ids, NULL), "__name__,device,enterprise,secret");
    pq_catalog_free(c);
}

/* ---- random data against a brute-force scan ---- */

enum { P_NAMES = 5, P_SERIES = 3000, P_QUERIES = 3000 };
static const char *const p_names[P_NAMES] = {"__name__", "enterprise", "device", "zone", "k"};

typedef struct model {
    char v[P_SERIES][P_NAMES][16]; /* "" when absent */
} model;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void random_series(pq_catalog *c, model *md, uint32_t id) {
    char(*v)[16] = md->v[id];
    snprintf(v[0], 16, "m%u", rnd(5));
    snprintf(v[1], 16, "E%u", rnd(4));
    snprintf(v[2], 16, "d%u", rnd(300));
    if (rnd(10) < 7)
        snprintf(v[3], 16, "z%u", rnd(12));
    else
        v[3][0] = 0;
    if (rnd(10) < 3)
        snprintf(v[4], 16, "%c", 'a' + rnd(4));
    else
        v[4][0] = 0;
    pq_label l[P_NAMES];
    size_t n = 0;
    for (size_t j = 0; j < P_NAMES; j++)
        if (v[j][0]) l[n++] = (pq_label){p_names[j], v[j]};
    assert_int_equal(pq_catalog_set(c, id, l, n), 0);
}

static void random_value(char *out, size_t cap, size_t name) {
    static const char *const any[] = {"", "x", "z1", "d7", "a", "m2", "E1"};
    switch (rnd(3)) {
        case 0:
            snprintf(out, cap, "%s", any[rnd(sizeof any / sizeof any[0])]);
            break;
        default: {
            static const char pre[] = {'m', 'E', 'd', 'z', 'a'};
            static const uint32_t range[] = {6, 5, 310, 13, 5};
            if (name == 4)
                snprintf(out, cap, "%c", 'a' + rnd(5));
            else
                snprintf(out, cap, "%c%u", pre[name], rnd(range[name]));
        }
    }
}

/* A literal alternation of 1..4 values, or a general pattern. */
static void random_regex(char *out, size_t cap, size_t name, bool *literal) {
    static const char *const general[] = {".*",   ".+",      "z1.*", "d1.*",     "z[0-3]", "m[02]",
                                          "E1|.", "(z1|z2)", "d.*7", "(?:a|b|)", "[^z].*", "x*"};
    *literal = rnd(2) == 0;
    if (!*literal) {
        snprintf(out, cap, "%s", general[rnd(sizeof general / sizeof general[0])]);
        return;
    }
    size_t len = 0, k = 1 + rnd(4);
    out[0] = 0;
    for (size_t i = 0; i < k; i++) {
        char v[16];
        random_value(v, sizeof v, name);
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "|" : "", v);
    }
}

static void brute(const model *md, const pq_matcher *m, size_t n, const char *scope,
                  pq_idlist *out) {
    out->n = 0;
    for (uint32_t id = 0; id < P_SERIES; id++) {
        if (scope && strcmp(md->v[id][1], scope) != 0) continue;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            const char *v = "";
            for (size_t j = 0; j < P_NAMES; j++)
                if (strcmp(m[i].name, p_names[j]) == 0) v = md->v[id][j];
            ok = pq_matcher_matches(&m[i], v);
        }
        if (ok) out->ids[out->n++] = id;
    }
}

static void assert_same(const pq_idlist *a, const pq_idlist *b, const char *what) {
    if (a->n != b->n || (a->n && memcmp(a->ids, b->ids, a->n * sizeof *a->ids) != 0))
        fail_msg("%s: got %zu ids, want %zu", what, a->n, b->n);
}

static void test_property(void **state) {
    (void)state;
    pq_catalog *c = pq_catalog_new();
    model *md = calloc(1, sizeof *md);
    assert_non_null(md);
    for (uint32_t id = 0; id < P_SERIES; id++) random_series(c, md, id);
    pq_idlist want = {malloc(P_SERIES * sizeof(uint32_t)), 0, P_SERIES}, got = {0}, alt = {0};
    static const char *const scopes[] = {NULL, NULL, "E0", "E2", "E9"};
    char vals[3][64], alts[3][200], what[512], err[128];
    size_t literal_queries = 0;
    for (int q = 0; q < P_QUERIES; q++) {
        if (q == P_QUERIES / 2) /* replace a tenth of the series midway */
            for (int i = 0; i < P_SERIES / 10; i++) random_series(c, md, rnd(P_SERIES));
        size_t n = 1 + rnd(3);
        pq_matcher m[3], m2[3];
        bool any_literal = false;
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            size_t name = rnd(P_NAMES + 1);
            pq_match_op op = (pq_match_op)rnd(4);
            bool literal = false;
            if (op == PQ_M_EQ || op == PQ_M_NEQ)
                random_value(vals[i], sizeof vals[i], name < P_NAMES ? name : 0);
            else
                random_regex(vals[i], sizeof vals[i], name < P_NAMES ? name : 0, &literal);
            m[i] = mk(op, name < P_NAMES ? p_names[name] : "nope", vals[i]);
            /* the same pattern through the general path */
            snprintf(alts[i], sizeof alts[i], "(?:%s)", vals[i]);
            m2[i] = literal ? mk(op, m[i].name, alts[i]) : mk(op, m[i].name, vals[i]);
            if (literal) {
                size_t nl;
                assert_true(pq_regex_literals(m[i].re, &nl));
                assert_false(pq_regex_literals(m2[i].re, &nl));
                any_literal = true;
            }
            len += (size_t)snprintf(what + len, sizeof what - len, "%s%d\"%s\" ", m[i].name,
                                    (int)op, vals[i]);
        }
        const char *scope = scopes[rnd(sizeof scopes / sizeof scopes[0])];
        brute(md, m, n, scope, &want);
        assert_int_equal(pq_catalog_select(c, m, n, scope, 0, &got, err, sizeof err), 0);
        assert_same(&got, &want, what);
        assert_int_equal(pq_catalog_select(c, m2, n, scope, 0, &alt, err, sizeof err), 0);
        assert_same(&alt, &want, what);
        if (any_literal) literal_queries++;
        /* the limit: exactly the count passes, one less fails */
        if (want.n > 0) {
            assert_int_equal(pq_catalog_select(c, m, n, scope, want.n, &got, err, sizeof err), 0);
            assert_int_equal(pq_catalog_select(c, m, n, scope, want.n - 1, &got, err, sizeof err),
                             want.n == 1 ? 0 : -1);
        }
        /* label names and values of the result agree with the model */
        if (q % 10 == 0) {
            const char **s;
            long k = pq_catalog_label_values(c, "zone", &want, scope, &s);
            assert_true(k >= 0);
            for (long i = 0; i < k; i++) {
                bool found = false;
                for (size_t j = 0; j < want.n && !found; j++)
                    found = strcmp(md->v[want.ids[j]][3], s[i]) == 0;
                assert_true(found);
                if (i) assert_true(strcmp(s[i - 1], s[i]) < 0);
            }
            for (size_t j = 0; j < want.n; j++) {
                if (!md->v[want.ids[j]][3][0]) continue;
                bool found = false;
                for (long i = 0; i < k && !found; i++)
                    found = strcmp(md->v[want.ids[j]][3], s[i]) == 0;
                assert_true(found);
            }
            free(s);
        }
        unmk(m, n);
        unmk(m2, n);
    }
    assert_true(literal_queries > P_QUERIES / 4);
    pq_idlist_free(&want);
    pq_idlist_free(&got);
    pq_idlist_free(&alt);
    free(md);
    pq_catalog_free(c);
}

/* ---- 100,000 series ---- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the select reps times; returns the count and prints the mean time
 * when PQ_CATALOG_BENCH is set. */
static size_t timed(pq_catalog *c, const char *label, pq_matcher *m, size_t n, const char *scope) {
    const bool bench = getenv("PQ_CATALOG_BENCH") != NULL;
    const int reps = bench ? 50 : 1;
    pq_idlist out = {0};
    char err[128];
    double t0 = now_s();
    for (int r = 0; r < reps; r++)
        assert_int_equal(pq_catalog_select(c, m, n, scope, 0, &out, err, sizeof err), 0);
    double dt = (now_s() - t0) / reps;
    if (bench) printf("bench: %-40s %7zu ids %10.1f us\n", label, out.n, dt * 1e6);
    for (size_t i = 1; i < out.n; i++) assert_true(out.ids[i - 1] < out.ids[i]);
    size_t r = out.n;
    pq_idlist_free(&out);
    unmk(m, n);
    return r;
}

#define TIMED(c, label, scope, ...)                                                                \
    timed(c, label, (pq_matcher[]){__VA_ARGS__},                                                   \
          sizeof((pq_matcher[]){__VA_ARGS__}) / sizeof(pq_matcher), scope)

static void test_100k(void **state) {
    (void)state;
    pq_catalog *c = pq_catalog_new();
    double t0 = now_s();
    for (uint32_t i = 0; i < 100000; i++) {
        char name[64], buf[512];
        pq_label l[PQ_MAX_LABELS];
        if (i % 10 == 9)
            snprintf(name, sizeof name, "e%02u/tankfarm-%u/tank,unit=m.level", i % 24, i);
        else
            snprintf(name, sizeof name, "e%02u/d%05u/sensor.v", i % 24, i);
        size_t n = pq_labels_of_series(name, i % 2 ? "bar" : "", NULL, buf, sizeof buf, l, 40);
        assert_true(n >= 3);
        assert_int_equal(pq_catalog_set(c, i + 1, l, n), 0);
    }
    if (getenv("PQ_CATALOG_BENCH"))
        printf("bench: %-40s %7d ids %10.1f ms\n", "set 100,000 series", 100000,
               (now_s() - t0) * 1e3);
    assert_int_equal(pq_catalog_count(c), 100000);
    assert_int_equal(TIMED(c, "{__name__=\"sensor_v\"}", NULL, mk(PQ_M_EQ, "__name__", "sensor_v")),
                     90000);
    assert_int_equal(TIMED(c, "{device=\"d01234\"}", NULL, mk(PQ_M_EQ, "device", "d01234")), 1);
    assert_int_equal(
        TIMED(c, "{device=~\"d0123.*\"} (regex scan)", NULL, mk(PQ_M_RE, "device", "d0123.*")), 9);
    assert_int_equal(TIMED(c, "{device=~\"d01234|d05678\"} (literals)", NULL,
                           mk(PQ_M_RE, "device", "d01234|d05678")),
                     2);
    assert_int_equal(TIMED(c, "{__name__=\"sensor_v\",enterprise=\"e05\"}", NULL,
                           mk(PQ_M_EQ, "__name__", "sensor_v"), mk(PQ_M_EQ, "enterprise", "e05")),
                     3333);
    assert_int_equal(TIMED(c, "scope e05 {__name__=~\"sensor_v|tank_level\"}", "e05",
                           mk(PQ_M_RE, "__name__", "sensor_v|tank_level")),
                     4167);
    assert_int_equal(
        TIMED(c, "scope e05 {device=~\"tank.*\"}", "e05", mk(PQ_M_RE, "device", "tank.*")), 834);
    assert_int_equal(TIMED(c, "{__name__=\"tank_level\",unit=\"\"}", NULL,
                           mk(PQ_M_EQ, "__name__", "tank_level"), mk(PQ_M_EQ, "unit", "")),
                     0);
    assert_int_equal(TIMED(c, "{__name__=\"sensor_v\",unit!=\"bar\"}", NULL,
                           mk(PQ_M_EQ, "__name__", "sensor_v"), mk(PQ_M_NEQ, "unit", "bar")),
                     50000);
    assert_int_equal(TIMED(c, "{device!~\"d.*\"}", NULL, mk(PQ_M_NRE, "device", "d.*")), 10000);
    assert_int_equal(TIMED(c, "{device=\"d01234\",__name__=~\"sens.*\"}", NULL,
                           mk(PQ_M_EQ, "device", "d01234"), mk(PQ_M_RE, "__name__", "sens.*")),
                     1);
    const char **s;
    long n = pq_catalog_label_values(c, "device", NULL, "e05", &s);
    assert_int_equal(n, 4167);
    free(s);
    assert_string_equal(names_of(c, NULL, "e05"), "__name__,device,enterprise,exported_unit,unit");
    pq_catalog_free(c);
}

/* ---- readers and a writer at once ---- */

typedef struct race {
    pq_catalog *c;
    int stop;
    pthread_mutex_t mu;
} race;

static bool race_stopped(race *r) {
    pthread_mutex_lock(&r->mu);
    bool s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void *reader(void *arg) {
    race *r = arg;
    char err[64];
    pq_idlist out = {0};
    pq_matcher m[2] = {mk(PQ_M_RE, "zone", "z[13]"), mk(PQ_M_EQ, "enterprise", "E1")};
    long rounds = 0;
    while (!race_stopped(r) || rounds < 50) {
        if (pq_catalog_select(r->c, m, 2, rounds % 2 ? "E1" : NULL, 0, &out, err, sizeof err) < 0)
            break;
        for (size_t i = 0; i < out.n; i++) {
            size_t n;
            const pq_label *l = pq_catalog_labels(r->c, out.ids[i], &n);
            /* the labels may have moved on since, but they are readable */
            for (size_t j = 0; j < n; j++)
                if (strlen(l[j].name) == 0) return (void *)1;
            if (i && out.ids[i - 1] >= out.ids[i]) return (void *)1;
        }
        const char **s;
        long k = pq_catalog_label_values(r->c, "zone", &out, "E1", &s);
        if (k < 0) return (void *)1;
        free(s);
        rounds++;
    }
    unmk(m, 2);
    pq_idlist_free(&out);
    return NULL;
}

static void test_concurrent(void **state) {
    (void)state;
    race r = {pq_catalog_new(), 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
    for (uint32_t k = 0; k < 20000; k++) {
        char spec[128];
        uint32_t id = k % 3000;
        snprintf(spec, sizeof spec, "__name__=m;enterprise=E%u;zone=z%u", k % 3, k % 5);
        set_str(r.c, id, spec);
    }
    pthread_mutex_lock(&r.mu);
    r.stop = 1;
    pthread_mutex_unlock(&r.mu);
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    pq_catalog_free(r.c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_table),   cmocka_unit_test(test_labels_invalid),
        cmocka_unit_test(test_labels_buffer),  cmocka_unit_test(test_labels_most),
        cmocka_unit_test(test_set_and_labels), cmocka_unit_test(test_replace),
        cmocka_unit_test(test_select_ops),     cmocka_unit_test(test_label_names_values),
        cmocka_unit_test(test_scope),          cmocka_unit_test(test_property),
        cmocka_unit_test(test_100k),           cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
