/*
 * test_access.c - the API's permission matrix and route table, white-box
 * (api/internal.h): a capability the matrix does not list is denied to
 * every role, whatever route carries it; the table's rows are well formed.
 * That each route is enforced as the matrix says, over HTTP, is
 * openapi_check.py's "every route, every role".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/internal.h"

static enum MHD_Result never(req *r, struct MHD_Connection *c) {
    (void)r, (void)c;
    return MHD_NO;
}

static void test_unlisted_capability_is_denied(void **state) {
    (void)state;
    /* a route given a capability that no row of the matrix lists */
    api_route rogue = {API_GET, "/api/v1/rogue", API_CAP_COUNT, never, "rogue", 0};
    for (int role = 0; role < API_ROLE_COUNT; role++)
        assert_false(api_route_permits(&rogue, (api_role)role));
    rogue.cap = (api_cap)77;
    for (int role = 0; role < API_ROLE_COUNT; role++)
        assert_false(api_route_permits(&rogue, (api_role)role));
    assert_string_equal(api_cap_name((api_cap)77), "unknown");
    /* and a role outside the enum gets nothing either */
    for (int cap = 0; cap < API_CAP_COUNT; cap++)
        assert_false(api_cap_granted((api_role)API_ROLE_COUNT, (api_cap)cap));
}

static void test_matrix(void **state) {
    (void)state;
    /* what the README and openapi.json promise, role by role */
    static const struct {
        api_role role;
        api_cap cap;
        bool granted;
    } want[] = {
        {API_ROLE_ADMIN, API_CAP_BACKUP, true},
        {API_ROLE_OPERATOR, API_CAP_BACKUP, false},
        {API_ROLE_OPERATOR, API_CAP_ALARM_ACT, true},
        {API_ROLE_OPERATOR, API_CAP_INGEST, false},
        {API_ROLE_REGULATOR, API_CAP_READ, true},
        {API_ROLE_REGULATOR, API_CAP_METRICS, true},
        {API_ROLE_REGULATOR, API_CAP_ALARM_ACT, false},
        {API_ROLE_REGULATOR, API_CAP_INCIDENT, false},
        {API_ROLE_REGULATOR, API_CAP_INGEST, false},
        {API_ROLE_ENTERPRISE, API_CAP_METRICS, false},
        {API_ROLE_ENTERPRISE, API_CAP_INGEST, true},
        {API_ROLE_ENTERPRISE, API_CAP_ALARM_ACT, true},
        {API_ROLE_ENTERPRISE, API_CAP_BACKUP, false},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(api_cap_granted(want[i].role, want[i].cap), want[i].granted);
    /* admin holds every capability there is but one: putting a hidden
     * hazard under supervision (督办) is the regulator's act alone */
    for (int cap = API_CAP_READ; cap < API_CAP_COUNT; cap++)
        assert_true(api_cap_granted(API_ROLE_ADMIN, (api_cap)cap) == (cap != API_CAP_SUPERVISE));
    assert_true(api_cap_granted(API_ROLE_REGULATOR, API_CAP_SUPERVISE));
    assert_false(api_cap_granted(API_ROLE_REGULATOR, API_CAP_HAZARD));
    assert_false(api_cap_granted(API_ROLE_REGULATOR, API_CAP_HANDOVER));
    assert_false(api_cap_granted(API_ROLE_REGULATOR, API_CAP_RISK_UNITS));
    assert_true(api_cap_granted(API_ROLE_ENTERPRISE, API_CAP_HAZARD));
    assert_true(api_cap_granted(API_ROLE_ENTERPRISE, API_CAP_HANDOVER));
}

static void test_route_table(void **state) {
    (void)state;
    assert_true(api_n_routes >= 30);
    for (size_t i = 0; i < api_n_routes; i++) {
        const api_route *rt = &api_routes[i];
        assert_true(rt->method == API_GET || rt->method == API_POST);
        assert_non_null(rt->fn);
        assert_non_null(rt->label);
        assert_true(rt->path[0] == '/');
        assert_true((unsigned)rt->cap < API_CAP_COUNT);
        /* no two rows answer the same method and path */
        for (size_t k = 0; k < i; k++)
            assert_false(api_routes[k].method == rt->method &&
                         !strcmp(api_routes[k].path, rt->path));
        /* the public rows are those a token cannot be asked for (InfluxDB's
         * /ping: its clients probe it before they send one) */
        if (rt->cap == API_CAP_PUBLIC)
            assert_true(!strcmp(rt->path, "/healthz") ||
                        !strcmp(rt->path, "/api/v1/openapi.json") || !strcmp(rt->path, "/ping"));
    }
    assert_string_equal(api_route_label(API_ROUTE_STATIC), "static");
    assert_string_equal(api_route_label(API_ROUTE_NONE), "other");
    /* parkd --routes describes the same rows */
    char *d = api_routes_describe();
    assert_non_null(d);
    json_t *j = json_loads(d, 0, NULL);
    free(d);
    assert_int_equal(json_array_size(json_object_get(j, "routes")), api_n_routes);
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlisted_capability_is_denied),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_route_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
