/*
 * test_people.c - the directory of people: a valid one loaded and found by
 * id; every bad field refused with the entry and field named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "people/people.h"

static people *load(const char *text, char *err, size_t cap) {
    json_error_t je;
    json_t *a = json_loads(text, 0, &je);
    assert_non_null(a);
    people *p = NULL;
    int rc = people_load(a, &p, err, cap);
    json_decref(a);
    assert_true(rc == 0 ? p != NULL : p == NULL);
    return p;
}

static void test_load_and_find(void **state) {
    (void)state;
    char err[256];
    people *p = load("[{\"id\": \"park-li\", \"name\": \"Li Na\", \"posts\": [\"duty_officer\"],"
                     " \"phone\": \"+8613900000001\"},"
                     " {\"id\": \"e001-zhang\", \"name_zh\": \"张伟\", \"enterprise\": \"E001\","
                     " \"posts\": [\"shift_leader\", \"maintenance\"], \"email\": \"z@e001.cn\"}]",
                     err, sizeof err);
    assert_non_null(p);
    assert_int_equal(people_count(p), 2);
    const person *z = people_find(p, "e001-zhang");
    assert_non_null(z);
    assert_string_equal(z->enterprise, "E001");
    assert_string_equal(z->name_zh, "张伟");
    assert_int_equal(z->posts, (1u << PEOPLE_POST_SHIFT_LEADER) | (1u << PEOPLE_POST_MAINTENANCE));
    const person *l = people_find(p, "park-li");
    assert_non_null(l);
    assert_string_equal(l->enterprise, "");
    assert_int_equal(l->posts, 1u << PEOPLE_POST_DUTY_OFFICER);
    assert_null(people_find(p, "nobody"));
    assert_null(people_at(p, 2));
    people_free(p);
    /* none at all is an empty directory */
    people *none = NULL;
    assert_int_equal(people_load(NULL, &none, err, sizeof err), 0);
    assert_int_equal(people_count(none), 0);
    assert_null(people_find(none, "x"));
    people_free(none);
}

static void test_refused(void **state) {
    (void)state;
    static const struct {
        const char *json, *names;
    } bad[] = {
        {"{}", "must be an array"},
        {"[1]", "people[0]."},
        {"[{\"name\": \"x\"}]", "people[0].id"},
        {"[{\"id\": \"a b\", \"name\": \"x\"}]", "people[0].id"},
        {"[{\"id\": \"a\"}]", "people[0].name"},
        {"[{\"id\": \"a\", \"name\": \"x\", \"phone\": \"13800000000\"}]", "people[0].phone"},
        {"[{\"id\": \"a\", \"name\": \"x\", \"email\": \"no-at\"}]", "people[0].email"},
        {"[{\"id\": \"a\", \"name\": \"x\", \"posts\": [\"king\"]}]", "people[0].posts"},
        {"[{\"id\": \"a\", \"name\": \"x\\u0007\"}]", "control character"},
        {"[{\"id\": \"a\", \"name\": \"x\"}, {\"id\": \"a\", \"name\": \"y\"}]", "given twice"},
        {"[{\"id\": \"a\", \"name\": \"x\", \"enterprise\": 5}]", "people[0].enterprise"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        json_error_t je;
        json_t *a = json_loads(bad[i].json, JSON_DECODE_ANY, &je);
        assert_non_null(a);
        people *p = (people *)1;
        assert_int_equal(people_load(a, &p, err, sizeof err), -1);
        assert_null(p);
        if (!strstr(err, bad[i].names))
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err, bad[i].names);
        json_decref(a);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_and_find),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
