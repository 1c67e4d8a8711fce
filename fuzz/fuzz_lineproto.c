/*
 * fuzz_lineproto.c - libFuzzer target of the InfluxDB line protocol parser
 * (ingest_lp_parse, ingest_lp_series_name; ingest/ingest.h).
 *
 * The input is parsed at every precision. Besides the sanitizers, the
 * callbacks check what ingest.h promises of every good line (non-empty
 * measurement and keys, 1..INGEST_LP_MAX_FIELDS fields, distinct keys,
 * typed values, timestamps within 0..INGEST_LP_MAX_TS_MS), that every
 * rejection carries one of the documented reason codes, that the counts in
 * ingest_lp_stats add up, that a callback's non-zero value stops the parse
 * and is returned, and that ingest_lp_series_name either fails or writes a
 * NUL-terminated name that fits and passes the names rule (ingest_name_check). A broken property
 * aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_lineproto: property failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const reasons[] = {"line_too_long",   "nul_byte",        "missing_measurement",
                                      "bad_tag",         "duplicate_tag",   "too_many_tags",
                                      "missing_fields",  "bad_field",       "duplicate_field",
                                      "too_many_fields", "bad_field_value", "unterminated_string",
                                      "nan_or_inf",      "out_of_range",    "bad_timestamp",
                                      "trailing_data",   "bad_escape",      "no_memory"};

typedef struct ctx {
    size_t good, rejected, fields, stop_after;
    size_t last_line_no;
} ctx;

static int on_line(const ingest_lp_line *l, void *arg) {
    ctx *c = arg;
    CHECK(l->measurement && l->measurement[0]);
    CHECK(l->n_fields >= 1 && l->n_fields <= INGEST_LP_MAX_FIELDS);
    CHECK(l->n_tags <= INGEST_LP_MAX_TAGS);
    CHECK(l->line_no > c->last_line_no);
    c->last_line_no = l->line_no;
    CHECK(l->has_ts ? l->ts_ms >= 0 && l->ts_ms <= INGEST_LP_MAX_TS_MS : l->ts_ms == 0);
    for (size_t i = 0; i < l->n_tags; i++) {
        CHECK(l->tags[i].key[0] && l->tags[i].value[0]);
        if (l->n_tags <= 64)
            for (size_t j = 0; j < i; j++) CHECK(strcmp(l->tags[i].key, l->tags[j].key) != 0);
    }
    for (size_t i = 0; i < l->n_fields; i++) {
        const ingest_lp_field *f = &l->fields[i];
        CHECK(f->key[0]);
        if (l->n_fields <= 64)
            for (size_t j = 0; j < i; j++) CHECK(strcmp(f->key, l->fields[j].key) != 0);
        switch (f->type) {
            case INGEST_LP_FLOAT:
                CHECK(isfinite(f->value) && f->i == 0 && f->u == 0 && !f->str);
                break;
            case INGEST_LP_INT:
                CHECK(f->value == (double)f->i && f->u == 0 && !f->str);
                break;
            case INGEST_LP_UINT:
                CHECK(f->value == (double)f->u && f->i == 0 && !f->str);
                break;
            case INGEST_LP_BOOL:
                CHECK((f->value == 0 || f->value == 1) && !f->str);
                break;
            case INGEST_LP_STRING:
                CHECK(f->str && f->value == 0);
                (void)strlen(f->str);
                break;
            default:
                CHECK(!"unknown field type");
        }
        char name[512];
        if (ingest_lp_series_name(l, i, "E000", name, sizeof name) == 0) {
            size_t n = strnlen(name, sizeof name);
            CHECK(n > 0 && n < sizeof name);
            CHECK(ingest_name_check(name, n, n) == INGEST_NAME_OK); /* the names rule */
        } else {
            CHECK(name[0] == 0);
        }
        char small[8];
        if (ingest_lp_series_name(l, i, NULL, small, sizeof small) == 0)
            CHECK(strnlen(small, sizeof small) < sizeof small);
    }
    CHECK(ingest_lp_series_name(l, l->n_fields, "E000", (char[4]){0}, 4) == -1);
    c->good++;
    c->fields += l->n_fields;
    if (c->stop_after && c->good == c->stop_after) return 7;
    return 0;
}

static void on_reject(size_t line_no, const char *reason, const char *message, void *arg) {
    ctx *c = arg;
    CHECK(line_no >= 1 && line_no > c->last_line_no);
    c->last_line_no = line_no;
    CHECK(message && strlen(message) < 4096);
    size_t k = 0;
    while (k < sizeof reasons / sizeof reasons[0] && strcmp(reason, reasons[k])) k++;
    if (k == sizeof reasons / sizeof reasons[0]) {
        fprintf(stderr, "fuzz_lineproto: undocumented reason \"%s\"\n", reason);
        abort();
    }
    c->rejected++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *buf = (const char *)data;
    static const ingest_lp_precision precs[] = {INGEST_LP_NS, INGEST_LP_US, INGEST_LP_MS,
                                                INGEST_LP_S};
    size_t good_ms = 0;
    for (size_t p = 0; p < 4; p++) {
        ctx c = {0};
        ingest_lp_stats st;
        int rc = ingest_lp_parse(buf, size, precs[p], on_line, on_reject, &c, &st);
        CHECK(rc == 0);
        CHECK(st.good_lines == c.good && st.rejected_lines == c.rejected);
        CHECK(st.fields == c.fields);
        CHECK(st.lines == st.good_lines + st.rejected_lines + st.skipped_lines);
        if (precs[p] == INGEST_LP_MS) good_ms = c.good;
    }
    /* without callbacks and stats */
    CHECK(ingest_lp_parse(buf, size, INGEST_LP_MS, NULL, NULL, NULL, NULL) == 0);
    /* a callback's non-zero value stops the parse and is returned */
    if (good_ms > 0) {
        ctx c = {.stop_after = 1};
        ingest_lp_stats st;
        CHECK(ingest_lp_parse(buf, size, INGEST_LP_MS, on_line, on_reject, &c, &st) == 7);
        CHECK(st.good_lines == 1);
    }
    /* bad arguments */
    CHECK(ingest_lp_parse(buf, size, (ingest_lp_precision)42, NULL, NULL, NULL, NULL) ==
          INGEST_LP_EINVAL);
    return 0;
}
