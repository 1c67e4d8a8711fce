/*
 * test_promql_parse.c - unit tests of the PromQL parser (promql/ast.h):
 * a table of valid queries with their trees printed in a canonical form,
 * a table of invalid ones with a fragment of the expected message (many of
 * both taken from Prometheus 2.42's promql/parser/parse_test.go), then
 * durations, the limits (length, depth, 100,000 parentheses), regexes,
 * unicode, and seeded random queries that must never crash or leak.
 *
 * Every parse runs on an exactly sized heap copy of the query, so under
 * AddressSanitizer any read past the end is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/ast.h"

/* ---- the canonical printer ---- */

typedef struct out {
    char buf[8192];
    size_t n;
} out;

static void put(out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (o->n < sizeof o->buf) {
        int k = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
        if (k > 0) o->n += (size_t)k;
        if (o->n > sizeof o->buf - 1) o->n = sizeof o->buf - 1;
    }
    va_end(ap);
}

static void put_str(out *o, const char *s) {
    put(o, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            put(o, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            put(o, "\\x%02x", *c);
        else
            put(o, "%c", *c);
    }
    put(o, "\"");
}

static void put_list(out *o, const char *const *l, size_t n) {
    put(o, "(");
    for (size_t i = 0; i < n; i++) put(o, "%s%s", i ? "," : "", l[i]);
    put(o, ")");
}

static void print_node(out *o, const pq_node *n) {
    static const char *const mops[] = {"=", "!=", "=~", "!~"};
    switch (n->kind) {
        case PQ_N_NUMBER:
            if (isnan(n->u.number))
                put(o, "NaN");
            else if (isinf(n->u.number))
                put(o, "%sInf", n->u.number < 0 ? "-" : "+");
            else
                put(o, "%.17g", n->u.number);
            break;
        case PQ_N_STRING:
            put_str(o, n->u.string);
            break;
        case PQ_N_SELECTOR:
            if (n->u.sel.metric) put(o, "%s", n->u.sel.metric);
            put(o, "{");
            for (size_t i = 0; i < n->u.sel.n_matchers; i++) {
                const pq_matcher *m = &n->u.sel.matchers[i];
                put(o, "%s%s%s", i ? "," : "", m->name, mops[m->op]);
                put_str(o, m->value);
                assert_true((m->op == PQ_M_RE || m->op == PQ_M_NRE) == (m->re != NULL));
            }
            put(o, "}");
            if (n->u.sel.range_ms) put(o, "[%lld]", (long long)n->u.sel.range_ms);
            if (n->u.sel.offset_ms) put(o, " offset %lld", (long long)n->u.sel.offset_ms);
            break;
        case PQ_N_CALL:
            put(o, "%s(", pq_func_name(n->u.call.func));
            for (size_t i = 0; i < n->u.call.n_args; i++) {
                if (i) put(o, ", ");
                print_node(o, n->u.call.args[i]);
            }
            put(o, ")");
            break;
        case PQ_N_AGG:
            put(o, "%s", pq_agg_name(n->u.agg.op));
            if (n->u.agg.n_grouping || n->u.agg.without) {
                put(o, n->u.agg.without ? " without" : " by");
                put_list(o, n->u.agg.grouping, n->u.agg.n_grouping);
            }
            put(o, "(");
            if (n->u.agg.param) {
                print_node(o, n->u.agg.param);
                put(o, ", ");
            }
            print_node(o, n->u.agg.expr);
            put(o, ")");
            break;
        case PQ_N_BINARY:
            put(o, "(");
            print_node(o, n->u.bin.lhs);
            put(o, " %s", pq_bin_name(n->u.bin.op));
            if (n->u.bin.return_bool) put(o, " bool");
            if (n->u.bin.on || n->u.bin.n_match_labels) {
                put(o, n->u.bin.on ? " on" : " ignoring");
                put_list(o, n->u.bin.match_labels, n->u.bin.n_match_labels);
            }
            switch (n->u.bin.card) {
                case PQ_CARD_ONE_TO_ONE:
                    break;
                case PQ_CARD_MANY_TO_ONE:
                    put(o, " group_left");
                    put_list(o, n->u.bin.include, n->u.bin.n_include);
                    break;
                case PQ_CARD_ONE_TO_MANY:
                    put(o, " group_right");
                    put_list(o, n->u.bin.include, n->u.bin.n_include);
                    break;
                case PQ_CARD_MANY_TO_MANY:
                    put(o, " m2m");
                    break;
            }
            put(o, " ");
            print_node(o, n->u.bin.rhs);
            put(o, ")");
            break;
        case PQ_N_NEG:
            put(o, "-");
            print_node(o, n->u.unary.expr);
            break;
        case PQ_N_PAREN:
            put(o, "paren(");
            print_node(o, n->u.unary.expr);
            put(o, ")");
            break;
    }
}

/* Parses q from an exactly sized heap copy. */
static int parse(const char *q, size_t len, pq_ast **a, pq_node **root, char *err, size_t cap) {
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, q, len);
    int rc = pq_parse(copy, len, a, root, err, cap);
    free(copy);
    return rc;
}

/* ---- valid queries ---- */

typedef struct valid_case {
    const char *q;
    const char *tree;
    pq_type type;
} valid_case;

#define SC PQ_T_SCALAR
#define ST PQ_T_STRING
#define VE PQ_T_VECTOR
#define MA PQ_T_MATRIX

static const valid_case valid[] = {
    /* numbers */
    {"1", "1", SC},
    {"+Inf", "+Inf", SC},
    {"-Inf", "-Inf", SC},
    {"inF", "+Inf", SC},
    {"NaN", "NaN", SC},
    {"-nan", "NaN", SC},
    {".5", "0.5", SC},
    {"5.", "5", SC},
    {"123.4567", "123.4567", SC},
    {"5e-3", "0.0050000000000000001", SC},
    {"5e3", "5000", SC},
    {"1E+2", "100", SC},
    {"0x3d", "61", SC},
    {"0X1F", "31", SC},
    {"0755", "493", SC},
    {"089", "89", SC},
    {"1e-400", "0", SC},
    {"-0x7fffffffffffffff", "-9.2233720368547758e+18", SC},
    {"99999999999999999999", "1e+20", SC},
    {"-1", "-1", SC},
    {"+1", "1", SC},
    {"- - 1", "1", SC},
    {"-(1)", "-paren(1)", SC},
    /* scalar arithmetic and precedence */
    {"1 + 1", "(1 + 1)", SC},
    {"1 - 1", "(1 - 1)", SC},
    {"1 * 1", "(1 * 1)", SC},
    {"1 % 1", "(1 % 1)", SC},
    {"1 / 1", "(1 / 1)", SC},
    {"1 == bool 1", "(1 == bool 1)", SC},
    {"1 != bool 1", "(1 != bool 1)", SC},
    {"1 > bool 1", "(1 > bool 1)", SC},
    {"1 >= bool 1", "(1 >= bool 1)", SC},
    {"1 < bool 1", "(1 < bool 1)", SC},
    {"1 <= bool 1", "(1 <= bool 1)", SC},
    {"-1^2", "-(1 ^ 2)", SC},
    {"-1*2", "(-1 * 2)", SC},
    {"-1+2", "(-1 + 2)", SC},
    {"-1^-2", "-(1 ^ -2)", SC},
    {"2^3^2", "(2 ^ (3 ^ 2))", SC},
    {"1 + 2 * 3", "(1 + (2 * 3))", SC},
    {"1 * 2 + 3", "((1 * 2) + 3)", SC},
    {"1 - 2 - 3", "((1 - 2) - 3)", SC},
    {"2 * 3 ^ 2", "(2 * (3 ^ 2))", SC},
    {"2 ^ -1 * 3", "((2 ^ -1) * 3)", SC},
    {"+1 + -2 * 1", "(1 + (-2 * 1))", SC},
    {"1 + 2/(3*1)", "(1 + (2 / paren((3 * 1))))", SC},
    {"1 < bool 2 - 1 * 2", "(1 < bool (2 - (1 * 2)))", SC},
    {"-some_metric", "-some_metric{__name__=\"some_metric\"}", VE},
    {"+some_metric", "some_metric{__name__=\"some_metric\"}", VE},
    {"-a ^ b", "-(a{__name__=\"a\"} ^ b{__name__=\"b\"})", VE},
    {"-a * b", "(-a{__name__=\"a\"} * b{__name__=\"b\"})", VE},
    {"a or b and c", "(a{__name__=\"a\"} or m2m (b{__name__=\"b\"} and m2m c{__name__=\"c\"}))",
     VE},
    {"a unless b or c",
     "((a{__name__=\"a\"} unless m2m b{__name__=\"b\"}) or m2m c{__name__=\"c\"})", VE},
    {"a > b + c", "(a{__name__=\"a\"} > (b{__name__=\"b\"} + c{__name__=\"c\"}))", VE},
    {"a == b and c", "((a{__name__=\"a\"} == b{__name__=\"b\"}) and m2m c{__name__=\"c\"})", VE},
    /* vector binary operations and matching */
    {"foo * bar", "(foo{__name__=\"foo\"} * bar{__name__=\"bar\"})", VE},
    {"foo * sum", "(foo{__name__=\"foo\"} * sum{__name__=\"sum\"})", VE},
    {"foo == 1", "(foo{__name__=\"foo\"} == 1)", VE},
    {"foo == bool 1", "(foo{__name__=\"foo\"} == bool 1)", VE},
    {"2.5 / bar", "(2.5 / bar{__name__=\"bar\"})", VE},
    {"foo and bar", "(foo{__name__=\"foo\"} and m2m bar{__name__=\"bar\"})", VE},
    {"foo or bar", "(foo{__name__=\"foo\"} or m2m bar{__name__=\"bar\"})", VE},
    {"foo unless bar", "(foo{__name__=\"foo\"} unless m2m bar{__name__=\"bar\"})", VE},
    {"foo + bar or bla and blub",
     "((foo{__name__=\"foo\"} + bar{__name__=\"bar\"}) or m2m (bla{__name__=\"bla\"} and m2m "
     "blub{__name__=\"blub\"}))",
     VE},
    {"foo and bar unless baz or qux",
     "(((foo{__name__=\"foo\"} and m2m bar{__name__=\"bar\"}) unless m2m baz{__name__=\"baz\"}) "
     "or m2m qux{__name__=\"qux\"})",
     VE},
    {"bar + on(foo) bla / on(baz, buz) group_right(test) blub",
     "(bar{__name__=\"bar\"} + on(foo) (bla{__name__=\"bla\"} / on(baz,buz) group_right(test) "
     "blub{__name__=\"blub\"}))",
     VE},
    {"foo * on(test,blub) bar", "(foo{__name__=\"foo\"} * on(test,blub) bar{__name__=\"bar\"})",
     VE},
    {"foo * on(test,blub) group_left bar",
     "(foo{__name__=\"foo\"} * on(test,blub) group_left() bar{__name__=\"bar\"})", VE},
    {"foo and on(test,blub) bar",
     "(foo{__name__=\"foo\"} and on(test,blub) m2m bar{__name__=\"bar\"})", VE},
    {"foo and on() bar", "(foo{__name__=\"foo\"} and on() m2m bar{__name__=\"bar\"})", VE},
    {"foo and ignoring(test,blub) bar",
     "(foo{__name__=\"foo\"} and ignoring(test,blub) m2m bar{__name__=\"bar\"})", VE},
    {"foo and ignoring() bar", "(foo{__name__=\"foo\"} and m2m bar{__name__=\"bar\"})", VE},
    {"foo unless on(bar) baz", "(foo{__name__=\"foo\"} unless on(bar) m2m baz{__name__=\"baz\"})",
     VE},
    {"foo / on(test,blub) group_left(bar) bar",
     "(foo{__name__=\"foo\"} / on(test,blub) group_left(bar) bar{__name__=\"bar\"})", VE},
    {"foo / ignoring(test,blub) group_left(blub) bar",
     "(foo{__name__=\"foo\"} / ignoring(test,blub) group_left(blub) bar{__name__=\"bar\"})", VE},
    {"foo - on(test,blub) group_right(bar,foo) bar",
     "(foo{__name__=\"foo\"} - on(test,blub) group_right(bar,foo) bar{__name__=\"bar\"})", VE},
    {"foo - ignoring(test,blub) group_right(bar,foo) bar",
     "(foo{__name__=\"foo\"} - ignoring(test,blub) group_right(bar,foo) bar{__name__=\"bar\"})",
     VE},
    {"foo > bool ON(a) bar", "(foo{__name__=\"foo\"} > bool on(a) bar{__name__=\"bar\"})", VE},
    {"foo + on(sum, by, offset) bar",
     "(foo{__name__=\"foo\"} + on(sum,by,offset) bar{__name__=\"bar\"})", VE},
    /* selectors */
    {"foo", "foo{__name__=\"foo\"}", VE},
    {"min", "min{__name__=\"min\"}", VE},
    {"by", "by{__name__=\"by\"}", VE},
    {"offset", "offset{__name__=\"offset\"}", VE},
    {"start", "start{__name__=\"start\"}", VE},
    {"foo:bar", "foo:bar{__name__=\"foo:bar\"}", VE},
    {":foo", ":foo{__name__=\":foo\"}", VE},
    {"foo offset 5m", "foo{__name__=\"foo\"} offset 300000", VE},
    {"foo offset -7m", "foo{__name__=\"foo\"} offset -420000", VE},
    {"foo OFFSET 1h30m", "foo{__name__=\"foo\"} offset 5400000", VE},
    {"foo OFFSET 1m30ms", "foo{__name__=\"foo\"} offset 60030", VE},
    {"foo:bar{a=\"bc\"}", "foo:bar{__name__=\"foo:bar\",a=\"bc\"}", VE},
    {"foo{NaN='bc'}", "foo{__name__=\"foo\",NaN=\"bc\"}", VE},
    {"foo{bar='}'}", "foo{__name__=\"foo\",bar=\"}\"}", VE},
    {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\"}",
     "foo{__name__=\"foo\",a=\"b\",foo!=\"bar\",test=~\"test\",bar!~\"baz\"}", VE},
    {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\",}",
     "foo{__name__=\"foo\",a=\"b\",foo!=\"bar\",test=~\"test\",bar!~\"baz\"}", VE},
    {"{__name__=~\"foo.+\"}", "{__name__=~\"foo.+\"}", VE},
    {"{__name__=\"bar\"}", "{__name__=\"bar\"}", VE},
    {"{foo=\"bar\"}", "{foo=\"bar\"}", VE},
    {"{x=\"\", y=\"a\"}", "{x=\"\",y=\"a\"}", VE},
    {"{by=\"a\", on=\"b\", sum=\"c\"}", "{by=\"a\",on=\"b\",sum=\"c\"}", VE},
    {"foo{}", "foo{__name__=\"foo\"}", VE},
    {"sum{a=\"b\"}", "sum{__name__=\"sum\",a=\"b\"}", VE},
    {"foo # a comment\n", "foo{__name__=\"foo\"}", VE},
    {"foo{ # comment\n a=\"b\" }", "foo{__name__=\"foo\",a=\"b\"}", VE},
    {"foo\t+\r\nbar", "(foo{__name__=\"foo\"} + bar{__name__=\"bar\"})", VE},
    /* ranges */
    {"test[5s]", "test{__name__=\"test\"}[5000]", MA},
    {"test[5m]", "test{__name__=\"test\"}[300000]", MA},
    {"test[5m30s]", "test{__name__=\"test\"}[330000]", MA},
    {"test[5h] OFFSET 5m", "test{__name__=\"test\"}[18000000] offset 300000", MA},
    {"test[5d] OFFSET 10s", "test{__name__=\"test\"}[432000000] offset 10000", MA},
    {"test[5w] offset 2w", "test{__name__=\"test\"}[3024000000] offset 1209600000", MA},
    {"test[1y]", "test{__name__=\"test\"}[31536000000]", MA},
    {"test[ 5m ]", "test{__name__=\"test\"}[300000]", MA},
    {"test[250ms]", "test{__name__=\"test\"}[250]", MA},
    {"test{a=\"b\"}[5y] OFFSET 3d",
     "test{__name__=\"test\",a=\"b\"}[157680000000] offset 259200000", MA},
    {"test{a=\"b\"}[5m] offset -1h", "test{__name__=\"test\",a=\"b\"}[300000] offset -3600000", MA},
    /* functions */
    {"time()", "time()", SC},
    {"rate(foo[5m])", "rate(foo{__name__=\"foo\"}[300000])", VE},
    {"rate (foo[5m])", "rate(foo{__name__=\"foo\"}[300000])", VE},
    {"irate(foo[5m])", "irate(foo{__name__=\"foo\"}[300000])", VE},
    {"increase(foo[1h] offset 1d)", "increase(foo{__name__=\"foo\"}[3600000] offset 86400000)", VE},
    {"delta(foo[5m])", "delta(foo{__name__=\"foo\"}[300000])", VE},
    {"idelta(foo[5m])", "idelta(foo{__name__=\"foo\"}[300000])", VE},
    {"deriv(foo[5m])", "deriv(foo{__name__=\"foo\"}[300000])", VE},
    {"avg_over_time(foo[5m])", "avg_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"min_over_time(foo[5m])", "min_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"max_over_time(foo[5m])", "max_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"sum_over_time(foo[5m])", "sum_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"count_over_time(foo[5m])", "count_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"last_over_time(foo[5m])", "last_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"quantile_over_time(0.9, foo[5m])",
     "quantile_over_time(0.90000000000000002, foo{__name__=\"foo\"}[300000])", VE},
    {"changes(foo[5m])", "changes(foo{__name__=\"foo\"}[300000])", VE},
    {"resets(foo[5m])", "resets(foo{__name__=\"foo\"}[300000])", VE},
    {"absent_over_time(foo[5m])", "absent_over_time(foo{__name__=\"foo\"}[300000])", VE},
    {"abs(foo)", "abs(foo{__name__=\"foo\"})", VE},
    {"ceil(foo)", "ceil(foo{__name__=\"foo\"})", VE},
    {"floor(some_metric{foo!=\"bar\"})",
     "floor(some_metric{__name__=\"some_metric\",foo!=\"bar\"})", VE},
    {"round(foo)", "round(foo{__name__=\"foo\"})", VE},
    {"round(foo, 5)", "round(foo{__name__=\"foo\"}, 5)", VE},
    {"clamp(foo, 0, 1)", "clamp(foo{__name__=\"foo\"}, 0, 1)", VE},
    {"clamp_min(foo, -1)", "clamp_min(foo{__name__=\"foo\"}, -1)", VE},
    {"clamp_max(foo, 1)", "clamp_max(foo{__name__=\"foo\"}, 1)", VE},
    {"absent(nonexistent{job=\"myjob\"})",
     "absent(nonexistent{__name__=\"nonexistent\",job=\"myjob\"})", VE},
    {"sqrt(foo)", "sqrt(foo{__name__=\"foo\"})", VE},
    {"exp(foo)", "exp(foo{__name__=\"foo\"})", VE},
    {"ln(foo)", "ln(foo{__name__=\"foo\"})", VE},
    {"log2(foo)", "log2(foo{__name__=\"foo\"})", VE},
    {"log10(foo)", "log10(foo{__name__=\"foo\"})", VE},
    {"timestamp(foo)", "timestamp(foo{__name__=\"foo\"})", VE},
    {"sort(foo)", "sort(foo{__name__=\"foo\"})", VE},
    {"sort_desc(foo)", "sort_desc(foo{__name__=\"foo\"})", VE},
    {"scalar(foo)", "scalar(foo{__name__=\"foo\"})", SC},
    {"vector(1)", "vector(1)", VE},
    {"vector(time())", "vector(time())", VE},
    {"scalar(foo) + 1", "(scalar(foo{__name__=\"foo\"}) + 1)", SC},
    {"scalar(foo) > bool 1", "(scalar(foo{__name__=\"foo\"}) > bool 1)", SC},
    {"-rate(foo[5m])", "-rate(foo{__name__=\"foo\"}[300000])", VE},
    /* aggregations */
    {"sum by (foo)(some_metric)", "sum by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"avg by (foo)(some_metric)", "avg by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"max by (foo)(some_metric)", "max by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"sum without (foo) (some_metric)", "sum without(foo)(some_metric{__name__=\"some_metric\"})",
     VE},
    {"sum (some_metric) without (foo)", "sum without(foo)(some_metric{__name__=\"some_metric\"})",
     VE},
    {"stddev(some_metric)", "stddev(some_metric{__name__=\"some_metric\"})", VE},
    {"stdvar by (foo)(some_metric)", "stdvar by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"sum by ()(some_metric)", "sum(some_metric{__name__=\"some_metric\"})", VE},
    {"sum by (foo,bar,)(some_metric)", "sum by(foo,bar)(some_metric{__name__=\"some_metric\"})",
     VE},
    {"sum by (foo,)(some_metric)", "sum by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"sum without () (some_metric)", "sum without()(some_metric{__name__=\"some_metric\"})", VE},
    {"SUM BY (foo) (some_metric)", "sum by(foo)(some_metric{__name__=\"some_metric\"})", VE},
    {"Count(foo)", "count(foo{__name__=\"foo\"})", VE},
    {"group(foo)", "group(foo{__name__=\"foo\"})", VE},
    {"min(foo) by (a)", "min by(a)(foo{__name__=\"foo\"})", VE},
    {"topk(5, some_metric)", "topk(5, some_metric{__name__=\"some_metric\"})", VE},
    {"bottomk by (a) (5, some_metric)", "bottomk by(a)(5, some_metric{__name__=\"some_metric\"})",
     VE},
    {"quantile(0.2, some_metric)",
     "quantile(0.20000000000000001, some_metric{__name__=\"some_metric\"})", VE},
    {"sum by (sum, count, on, bool, offset, START)(x)",
     "sum by(sum,count,on,bool,offset,START)(x{__name__=\"x\"})", VE},
    {"sum(rate(foo[5m])) by (job) / on(job) sum(rate(bar[5m])) by (job)",
     "(sum by(job)(rate(foo{__name__=\"foo\"}[300000])) / on(job) sum "
     "by(job)(rate(bar{__name__=\"bar\"}[300000])))",
     VE},
    /* strings */
    {"\"double-quoted string \\\" with escape\"", "\"double-quoted string \\\" with escape\"", ST},
    {"'single-quoted string \\' with escape'", "\"single-quoted string ' with escape\"", ST},
    {"`backtick-quoted string`", "\"backtick-quoted string\"", ST},
    {"\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xFF\\377\\u1234\\U00010111\\U0001011111☺\"",
     "\"\\x07\\x08\\x0c\\x0a\\x0d\\x09\\x0b\\\\\\\" - \xff\xff\xe1\x88\xb4\xf0\x90\x84\x91\xf0\x90"
     "\x84\x91\x31\x31\xe2\x98\xba\"",
     ST},
    {"'\\a\\b\\f\\n\\r\\t\\v\\\\\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺'",
     "\"\\x07\\x08\\x0c\\x0a\\x0d\\x09\\x0b\\\\' - \xff\xff\xe1\x88\xb4\xf0\x90\x84\x91\xf0\x90"
     "\x84\x91\x31\x31\xe2\x98\xba\"",
     ST},
    {"`\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺`",
     "\"\\\\a\\\\b\\\\f\\\\n\\\\r\\\\t\\\\v\\\\\\\\\\\\\\\"\\\\' - "
     "\\\\xFF\\\\377\\\\u1234\\\\U00010111"
     "\\\\U0001011111☺\"",
     ST},
    {"\"Gefahrstofflager Süd – 氯气\"", "\"Gefahrstofflager Süd – 氯气\"", ST},
    {"{site=\"Bahnhofstraße\", gas=~\"氯.*\"}", "{site=\"Bahnhofstraße\",gas=~\"氯.*\"}", VE},
    {"(\"a\")", "paren(\"a\")", ST},
    /* parentheses */
    {"(foo)", "paren(foo{__name__=\"foo\"})", VE},
    {"((1))", "paren(paren(1))", SC},
    {"(foo + bar) * 2", "(paren((foo{__name__=\"foo\"} + bar{__name__=\"bar\"})) * 2)", VE},
};

static void test_valid(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const valid_case *c = &valid[i];
        pq_ast *a = NULL;
        pq_node *root = NULL;
        char err[512];
        int rc = parse(c->q, strlen(c->q), &a, &root, err, sizeof err);
        if (rc != 0) fail_msg("query %s: %s", c->q, err);
        out o = {{0}, 0};
        print_node(&o, root);
        if (strcmp(o.buf, c->tree) != 0)
            fail_msg("query %s:\n   got  %s\n   want %s", c->q, o.buf, c->tree);
        if (root->type != c->type)
            fail_msg("query %s: type %s, want %s", c->q, pq_type_name(root->type),
                     pq_type_name(c->type));
        pq_ast_free(a);
        n++;
    }
    print_message("%zu valid queries\n", n);
}

/* ---- invalid queries ---- */

typedef struct invalid_case {
    const char *q;
    const char *msg; /* a fragment of the message */
} invalid_case;

static const invalid_case invalid[] = {
    {"", "1:1: parse error: no expression found in input"},
    {"# just a comment\n\n", "no expression found in input"},
    {"1+", "1:3: parse error: unexpected end of input"},
    {".", "1:1: parse error: unexpected character: '.'"},
    {"2.5.", "unexpected character: '.'"},
    {"100..4", "unexpected number \".4\""},
    {"0deadbeef", "bad number or duration syntax: \"0de\""},
    {"1 /", "unexpected end of input"},
    {"*1", "1:1: parse error: unexpected <op:*>"},
    {"(1))", "unexpected right parenthesis ')'"},
    {"((1)", "unclosed left parenthesis"},
    {"999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
     "999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
     "999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
     "999999999999999999999999999999999999999999999999999999999999999",
     "out of range"},
    {"1e400", "value out of range"},
    {"1e", "error parsing number"},
    {"0x", "error parsing number"},
    {"0x1.8", "error parsing number"},
    {"0xffffffffffffffffff", "error parsing number"},
    {"(", "unclosed left parenthesis"},
    {"1 and 1", "set operator \"and\" not allowed in binary scalar expression"},
    {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
    {"1 or 1", "set operator \"or\" not allowed in binary scalar expression"},
    {"1 unless 1", "set operator \"unless\" not allowed in binary scalar expression"},
    {"1 !~ 1", "unexpected character after '!': '~'"},
    {"1 =~ 1", "unexpected character after '=': '~'"},
    {"-\"string\"",
     "unary expression only allowed on expressions of type scalar or instant vector, got "
     "\"string\""},
    {"-test[5m]",
     "unary expression only allowed on expressions of type scalar or instant vector, got \"range "
     "vector\""},
    {"+test[5m]", "got \"range vector\""},
    {"*test", "unexpected <op:*>"},
    {"1 offset 1d",
     "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
     "vector selector or a subquery"},
    {"foo offset 1s offset 2s", "offset may not be set multiple times"},
    {"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
    {"foo and 1", "set operator \"and\" not allowed in binary scalar expression"},
    {"1 and foo", "set operator \"and\" not allowed in binary scalar expression"},
    {"foo or 1", "set operator \"or\" not allowed in binary scalar expression"},
    {"1 unless foo", "set operator \"unless\" not allowed in binary scalar expression"},
    {"1 or on(bar) foo", "vector matching only allowed between instant vectors"},
    {"foo == on(bar) 10", "vector matching only allowed between instant vectors"},
    {"foo + group_left(baz) bar", "unexpected <group_left>"},
    {"foo and on(bar) group_left(baz) bar", "no grouping allowed for \"and\" operation"},
    {"foo and on(bar) group_right(baz) bar", "no grouping allowed for \"and\" operation"},
    {"foo or on(bar) group_left(baz) bar", "no grouping allowed for \"or\" operation"},
    {"foo unless on(bar) group_right(baz) bar", "no grouping allowed for \"unless\" operation"},
    {"http_requests{group=\"production\"} + on(instance) group_left(job,instance) "
     "cpu_count{type=\"smp\"}",
     "label \"instance\" must not occur in ON and GROUP clause at once"},
    {"foo + bool bar", "bool modifier can only be used on comparison operators"},
    {"foo + bool 10", "bool modifier can only be used on comparison operators"},
    {"foo and bool 10", "bool modifier can only be used on comparison operators"},
    {"1 BOOL == BOOL 1", "unexpected <BOOL>"},
    {"foo[5m] + 1",
     "1:1: parse error: binary expression must contain only scalar and instant vector types"},
    {"1 - foo[5m]",
     "1:5: parse error: binary expression must contain only scalar and instant vector types"},
    {"\"a\" + 1", "binary expression must contain only scalar and instant vector types"},
    {"foo atan2 bar", "1:5: parse error: not supported by Parkwatch: the atan2 operator"},
    /* selectors */
    {"{", "unexpected end of input inside braces"},
    {"}", "unexpected character: '}'"},
    {"some{", "unexpected end of input inside braces"},
    {"some}", "unexpected character: '}'"},
    {"some_metric{a=b}", "unexpected identifier \"b\" in label matching, expected string"},
    {"some_metric{a:b=\"b\"}", "unexpected character inside braces: ':'"},
    {"foo{a*\"b\"}", "unexpected character inside braces: '*'"},
    {"foo{a>=\"b\"}", "unexpected character inside braces: '>'"},
    {"some_metric{a=\"\xff\"}", "1:15: parse error: invalid UTF-8 rune"},
    {"foo{gibberish}", "unexpected \"}\" in label matching, expected label matching operator"},
    {"foo{1}", "unexpected character inside braces: '1'"},
    {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"{x=\"\"}", "vector selector must contain at least one non-empty matcher"},
    {"{x=~\".*\"}", "vector selector must contain at least one non-empty matcher"},
    {"{x!~\".+\"}", "vector selector must contain at least one non-empty matcher"},
    {"{x!=\"a\"}", "vector selector must contain at least one non-empty matcher"},
    {"{x=~\"a|\"}", "vector selector must contain at least one non-empty matcher"},
    {"foo{__name__=\"bar\"}", "metric name must not be set twice: \"foo\" or \"bar\""},
    {"foo{__name__= =}", "1:15: parse error: unexpected \"=\" in label matching, expected string"},
    {"foo{,}", "unexpected \",\" in label matching, expected identifier or \"}\""},
    {"foo{__name__ == \"bar\"}",
     "1:15: parse error: unexpected \"=\" in label matching, expected string"},
    {"foo{__name__=\"bar\" lol}",
     "unexpected identifier \"lol\" in label matching, expected \",\" or \"}\""},
    {"foo{a=~\"(\"}", "1:5: parse error: invalid regular expression"},
    {"foo{a!~\"[z-a]\"}", "invalid regular expression"},
    {"foo{a={}", "unexpected left brace '{'"},
    {"foo{a!b}", "unexpected character after '!' inside braces: 'b'"},
    {"foo{a=\"b\"", "unexpected end of input inside braces"},
    /* ranges and offsets */
    {"foo[5mm]", "bad duration syntax: \"5mm\""},
    {"foo[5m1]", "bad duration syntax: \"5m1\""},
    {"foo[5y1hs]", "not a valid duration string: \"5y1hs\""},
    {"foo[5m1h]", "not a valid duration string: \"5m1h\""},
    {"foo[5m1m]", "not a valid duration string: \"5m1m\""},
    {"foo[1.5h]", "not a valid duration string: \"1.5h\""},
    {"foo[0m]", "1:5: parse error: duration must be greater than 0"},
    {"foo[0h0m0s]", "duration must be greater than 0"},
    {"foo[]", "missing unit character in duration"},
    {"foo[1]", "missing unit character in duration"},
    {"foo[5m", "unclosed left bracket"},
    {"foo]", "unexpected right bracket ']'"},
    {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
    {"foo[5m] [", "1:10: parse error: missing unit character in duration"},
    {"foo[5m[5m]]", "unexpected left bracket '['"},
    {"foo[300000000y]", "duration out of range"},
    {"foo[285617y]", "duration out of range"},
    {"foo[99999999999999999999999999ms]", "duration out of range"},
    {"foo offset 9007199254740993ms", "duration out of range"},
    {"some_metric[5m] OFFSET 1", "unexpected number \"1\" in offset, expected duration"},
    {"some_metric[5m] OFFSET 1mm", "bad number or duration syntax: \"1mm\""},
    {"some_metric[5m] OFFSET", "unexpected end of input in offset, expected duration"},
    {"some_metric OFFSET 1m[5m]", "1:22: parse error: no offset modifiers allowed before range"},
    {"(foo + bar)[5m]", "1:12: parse error: ranges only allowed for vector selectors"},
    {"rate(food[1m])[1h] offset 1h", "1:15: parse error: ranges only allowed for vector selectors"},
    {"sum(x) offset 5m", "1:1: parse error: offset modifier must be preceded by"},
    {"(foo) offset 5m", "offset modifier must be preceded by"},
    {"foo offset - 1", "unexpected number \"1\" in offset, expected duration"},
    /* unsupported */
    {"foo[5m:1m]", "1:4: parse error: not supported by Parkwatch: subqueries"},
    {"foo[5m:]", "not supported by Parkwatch: subqueries"},
    {"rate(foo[5m])[30m:1m]", "not supported by Parkwatch: subqueries"},
    {"foo @ 1609746000", "1:5: parse error: not supported by Parkwatch: the @ modifier"},
    {"foo[5m] @ end()", "not supported by Parkwatch: the @ modifier"},
    {"@ 5", "not supported by Parkwatch: the @ modifier"},
    {"count_values(\"value\", foo)",
     "1:1: parse error: not supported by Parkwatch: aggregation \"count_values\""},
    {"limitk(2, foo)", "not supported by Parkwatch: function \"limitk\""},
    {"histogram_quantile(0.9, rate(foo[5m]))",
     "1:1: parse error: not supported by Parkwatch: function \"histogram_quantile\""},
    {"label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")",
     "not supported by Parkwatch: function \"label_replace\""},
    {"label_join(up, \"a\", \",\", \"b\")", "not supported by Parkwatch: function \"label_join\""},
    {"holt_winters(foo[5m], 0.5, 0.5)", "not supported by Parkwatch: function \"holt_winters\""},
    {"predict_linear(foo[5m], 60)", "not supported by Parkwatch: function \"predict_linear\""},
    {"sort_by_label(foo, \"a\")", "not supported by Parkwatch: function \"sort_by_label\""},
    {"day_of_week()", "not supported by Parkwatch: function \"day_of_week\""},
    {"1 + hour(foo)", "1:5: parse error: not supported by Parkwatch: function \"hour\""},
    /* aggregations */
    {"sum without(==)(some_metric)", "unexpected <op:==> in grouping opts, expected label"},
    {"sum without(,)(some_metric)", "unexpected \",\" in grouping opts, expected label"},
    {"sum without(foo,,)(some_metric)", "unexpected \",\" in grouping opts, expected label"},
    {"sum by(a:b)(x)", "unexpected metric identifier \"a:b\" in grouping opts, expected label"},
    {"sum by(a b)(x)", "unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
    {"sum some_metric by (test)", "unexpected identifier \"some_metric\""},
    {"sum (some_metric) by test", "unexpected identifier \"test\" in grouping opts"},
    {"sum () by (test)", "no arguments for aggregate expression provided"},
    {"MIN keep_common (some_metric)", "1:5: parse error: unexpected identifier \"keep_common\""},
    {"MIN (some_metric) keep_common", "unexpected identifier \"keep_common\""},
    {"sum (some_metric) without (test) by (test)", "unexpected <by>"},
    {"sum without (test) (some_metric) by (test)", "unexpected <by>"},
    {"sum by (a) foo", "unexpected identifier \"foo\" in aggregation"},
    {"topk(some_metric)",
     "wrong number of arguments for aggregate expression provided, expected 2, got 1"},
    {"sum(a, b)", "wrong number of arguments for aggregate expression provided, expected 1, got 2"},
    {"topk(some_metric,)", "trailing commas not allowed in function call args"},
    {"topk(some_metric, other_metric)",
     "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"},
    {"quantile(\"a\", foo)", "expected type scalar in aggregation parameter, got string"},
    {"sum(foo[5m])",
     "1:5: parse error: expected type instant vector in aggregation expression, got "
     "range vector"},
    {"sum(1)", "expected type instant vector in aggregation expression, got scalar"},
    {"sum(x) by (a", "unclosed left parenthesis"},
    /* functions */
    {"floor()", "expected 1 argument(s) in call to \"floor\", got 0"},
    {"floor(some_metric, other_metric)", "expected 1 argument(s) in call to \"floor\", got 2"},
    {"floor(some_metric, 1)", "expected 1 argument(s) in call to \"floor\", got 2"},
    {"floor(1)", "expected type instant vector in call to function \"floor\", got scalar"},
    {"time(some_metric)", "expected 0 argument(s) in call to \"time\", got 1"},
    {"non_existent_function_far_bar()",
     "unknown function with name \"non_existent_function_far_bar\""},
    {"Rate(foo[5m])", "unknown function with name \"Rate\""},
    {"rate(some_metric)", "1:6: parse error: expected type range vector in call to function "
                          "\"rate\", got instant vector"},
    {"rate(avg)", "expected type range vector"},
    {"a>b()", "unknown function"},
    {"rate(foo[5m],)", "1:13: parse error: trailing commas not allowed in function call args"},
    {"rate(foo[5m] bar)", "unexpected identifier \"bar\""},
    {"rate(foo[5m]) +", "1:16: parse error: unexpected end of input"},
    {"label_replace(a, `b`, `c\xff`, `d`, `.*`)", "1:23: parse error: invalid UTF-8 rune"},
    {"-=", "unexpected \"=\""},
    {"++-++-+-+-<", "unexpected <op:<>"},
    {"e-+=/(0)", "unexpected \"=\""},
    {"start()", "1:6: parse error: unexpected \"(\""},
    {"end()", "1:4: parse error: unexpected \"(\""},
    {"sum(x) offset", "unexpected end of input in offset, expected duration"},
    {"paren(foo)", "unknown function with name \"paren\""},
    {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
    {"foo\n  bar", "2:3: parse error: unexpected identifier \"bar\""},
    {"foo on", "unexpected <on>"},
    {"\"a\" \"b\"", "unexpected string \"\\\"b\\\"\""},
    {"1 \"a long string here\"", "unexpected string \"\\\"a long st\"..."},
    {"foo\x01", "unexpected character: '\\x01'"},
    {"foo é", "unexpected character: 'é'"},
    {"foo \xff", "unexpected character: '\xef\xbf\xbd'"},
    /* strings */
    {"`\\``", "unterminated raw string"},
    {"\"\\", "escape sequence not terminated"},
    {"\"\\c\"", "unknown escape sequence U+0063 'c'"},
    {"\"\\x.\"", "illegal character U+002E '.' in escape sequence"},
    {"\"\\x", "escape sequence not terminated"},
    {"\"\\uD800\"", "escape sequence is an invalid Unicode code point"},
    {"\"\\U00110000\"", "escape sequence is an invalid Unicode code point"},
    {"\"\\400\"", "escape sequence is an invalid Unicode code point"},
    {"'\\\"'", "unknown escape sequence U+0022 '\"'"},
    {"\"abc", "unterminated quoted string"},
    {"\"ab\nc\"", "unterminated quoted string"},
    {"foo{a=\"b\nc\"}", "unterminated quoted string"},
    {"\"a\" + \"b\"", "binary expression must contain only scalar and instant vector types"},
    {"abs(\"a\")", "expected type instant vector in call to function \"abs\", got string"},
    {"vector(\"a\")", "expected type scalar in call to function \"vector\", got string"},
    {"round(foo, 1, 2)", "expected at most 2 argument(s) in call to \"round\", got 3"},
    {"round()", "expected at least 1 argument(s) in call to \"round\", got 0"},
    {"round(foo, bar)", "expected type scalar in call to function \"round\", got instant vector"},
};

static void expect_error(const char *q, size_t len, const char *fragment) {
    pq_ast *a = (pq_ast *)1;
    pq_node *root = (pq_node *)1;
    char err[512];
    int rc = parse(q, len, &a, &root, err, sizeof err);
    if (rc == 0) {
        out o = {{0}, 0};
        print_node(&o, root);
        pq_ast_free(a);
        fail_msg("query %.80s: parsed as %s, want an error with \"%s\"", q, o.buf, fragment);
    }
    assert_null(a);
    assert_null(root);
    if (!strstr(err, fragment)) fail_msg("query %.80s:\n   got  %s\n   want %s", q, err, fragment);
    if (!strstr(err, "parse error: "))
        fail_msg("query %.80s: message %s without \"parse error: \"", q, err);
}

static void test_invalid(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        expect_error(invalid[i].q, strlen(invalid[i].q), invalid[i].msg);
    print_message("%zu invalid queries\n", sizeof invalid / sizeof invalid[0]);
}

/* Every supported function with one argument too few and one too many. */
static void test_function_arity(void **state) {
    (void)state;
    static const struct {
        pq_func f;
        const char *args; /* a valid argument list */
        int min, max;
    } fs[] = {
        {PQ_F_RATE, "x[5m]", 1, 1},
        {PQ_F_IRATE, "x[5m]", 1, 1},
        {PQ_F_INCREASE, "x[5m]", 1, 1},
        {PQ_F_DELTA, "x[5m]", 1, 1},
        {PQ_F_IDELTA, "x[5m]", 1, 1},
        {PQ_F_DERIV, "x[5m]", 1, 1},
        {PQ_F_AVG_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_MIN_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_MAX_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_SUM_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_COUNT_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_LAST_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_QUANTILE_OVER_TIME, "0.5, x[5m]", 2, 2},
        {PQ_F_CHANGES, "x[5m]", 1, 1},
        {PQ_F_RESETS, "x[5m]", 1, 1},
        {PQ_F_ABSENT_OVER_TIME, "x[5m]", 1, 1},
        {PQ_F_ABS, "x", 1, 1},
        {PQ_F_CEIL, "x", 1, 1},
        {PQ_F_FLOOR, "x", 1, 1},
        {PQ_F_ROUND, "x, 1", 1, 2},
        {PQ_F_CLAMP, "x, 0, 1", 3, 3},
        {PQ_F_CLAMP_MIN, "x, 0", 2, 2},
        {PQ_F_CLAMP_MAX, "x, 1", 2, 2},
        {PQ_F_ABSENT, "x", 1, 1},
        {PQ_F_SQRT, "x", 1, 1},
        {PQ_F_EXP, "x", 1, 1},
        {PQ_F_LN, "x", 1, 1},
        {PQ_F_LOG2, "x", 1, 1},
        {PQ_F_LOG10, "x", 1, 1},
        {PQ_F_TIMESTAMP, "x", 1, 1},
        {PQ_F_SORT, "x", 1, 1},
        {PQ_F_SORT_DESC, "x", 1, 1},
        {PQ_F_SCALAR, "x", 1, 1},
        {PQ_F_VECTOR, "1", 1, 1},
        {PQ_F_TIME, "", 0, 0},
    };
    assert_int_equal(sizeof fs / sizeof fs[0], PQ_F_COUNT__);
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        const char *name = pq_func_name(fs[i].f);
        char q[256], want[256];
        pq_ast *a;
        pq_node *root;
        char err[512];
        /* the valid form parses into a call of that function */
        snprintf(q, sizeof q, "%s(%s)", name, fs[i].args);
        if (parse(q, strlen(q), &a, &root, err, sizeof err) != 0) fail_msg("%s: %s", q, err);
        assert_int_equal(root->kind, PQ_N_CALL);
        assert_int_equal(root->u.call.func, fs[i].f);
        assert_int_equal(root->u.call.n_args, (size_t)fs[i].max);
        pq_ast_free(a);
        /* one argument too many */
        snprintf(q, sizeof q, "%s(%s%sx)", name, fs[i].args, fs[i].max ? ", " : "");
        if (fs[i].min == fs[i].max)
            snprintf(want, sizeof want,
                     "1:1: parse error: expected %d argument(s) in call to \"%s\", got %d",
                     fs[i].max, name, fs[i].max + 1);
        else
            snprintf(want, sizeof want, "expected at most %d argument(s) in call to \"%s\", got %d",
                     fs[i].max, name, fs[i].max + 1);
        expect_error(q, strlen(q), want);
        /* no argument */
        if (fs[i].min > 0) {
            snprintf(q, sizeof q, "%s()", name);
            if (fs[i].min == fs[i].max)
                snprintf(want, sizeof want, "expected %d argument(s) in call to \"%s\", got 0",
                         fs[i].min, name);
            else
                snprintf(want, sizeof want,
                         "expected at least %d argument(s) in call to \"%s\", got 0", fs[i].min,
                         name);
            expect_error(q, strlen(q), want);
        }
        /* function names are case-sensitive */
        snprintf(q, sizeof q, "%c%s(%s)", name[0] - 32, name + 1, fs[i].args);
        expect_error(q, strlen(q), "unknown function with name");
    }
}

/* ---- durations ---- */

static void test_durations(void **state) {
    (void)state;
    static const struct {
        const char *s;
        int64_t ms; /* 0: refused */
    } ds[] = {
        {"1ms", 1},
        {"5s", 5000},
        {"5m", 300000},
        {"1h30m", 5400000},
        {"1d", 86400000},
        {"1w", 604800000},
        {"1y", 31536000000},
        {"1y2w3d4h5m6s7ms",
         31536000000 + 2 * 604800000LL + 3 * 86400000LL + 4 * 3600000LL + 5 * 60000 + 6000 + 7},
        {"10s500ms", 10500},
        {"0s1ms", 1},
        {"9007199254740992ms", 9007199254740992LL},
        {"9007199254740993ms", 0},
        {"285617y", 0},
        {"285616y", 285616LL * 31536000000LL},
        {"99999999999999999999999999999999999s", 0},
        {"0s", 0},
        {"0", 0},
        {"", 0},
        {"5", 0},
        {"m", 0},
        {"5m5h", 0},
        {"5m5m", 0},
        {"1.5h", 0},
        {"-5m", 0},
        {"5M", 0},
        {"5mss", 0},
        {"5 m", 0},
    };
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        int64_t ms = -1;
        bool ok = pq_parse_duration(ds[i].s, strlen(ds[i].s), &ms);
        if (ok != (ds[i].ms != 0) || (ok && ms != ds[i].ms))
            fail_msg("duration %s: %s %lld, want %lld", ds[i].s, ok ? "ok" : "refused",
                     (long long)ms, (long long)ds[i].ms);
    }
    /* not NUL-terminated: only len bytes are read */
    int64_t ms;
    assert_true(pq_parse_duration("5m30s", 2, &ms));
    assert_int_equal(ms, 300000);
}

/* ---- limits ---- */

static void test_limits(void **state) {
    (void)state;
    size_t big = 100000;
    char *q = malloc(big + 64);
    assert_non_null(q);
    /* 100,000 '(': too long, refused before any parsing */
    memset(q, '(', big);
    expect_error(q, big, "query too long");
    /* 60,000 '(' within the length limit: the depth limit, no deep recursion */
    memset(q, '(', 60000);
    expect_error(q, 60000, "expression nested too deeply");
    /* '-' and '+' recurse too */
    memset(q, '-', 60000);
    q[60000] = '1';
    expect_error(q, 60001, "nested too deeply");
    /* right-associative ^ */
    size_t n = 0;
    for (int i = 0; i < 10000; i++) n += (size_t)sprintf(q + n, "1^");
    q[n++] = '1';
    expect_error(q, n, "nested too deeply");
    /* a long left-associative chain makes a deep tree */
    n = 0;
    for (int i = 0; i < 1000; i++) n += (size_t)sprintf(q + n, "a+");
    q[n++] = 'a';
    expect_error(q, n, "nested too deeply");
    /* nested calls */
    n = 0;
    for (int i = 0; i < 100; i++) n += (size_t)sprintf(q + n, "abs(");
    n += (size_t)sprintf(q + n, "x");
    for (int i = 0; i < 100; i++) q[n++] = ')';
    expect_error(q, n, "nested too deeply");
    /* exactly at the limit: 63 parentheses around a number is 64 levels */
    n = 0;
    for (int i = 0; i < PQ_MAX_DEPTH - 1; i++) q[n++] = '(';
    q[n++] = '1';
    for (int i = 0; i < PQ_MAX_DEPTH - 1; i++) q[n++] = ')';
    pq_ast *a;
    pq_node *root;
    char err[512];
    if (parse(q, n, &a, &root, err, sizeof err) != 0) fail_msg("63 parens: %s", err);
    pq_ast_free(a);
    /* one more is one too many */
    memmove(q + 1, q, n);
    q[0] = '(';
    q[n + 1] = ')';
    expect_error(q, n + 2, "nested too deeply");
    /* a 64 KiB query parses; 64 KiB + 1 does not */
    memset(q, ' ', PQ_MAX_QUERY_BYTES);
    memcpy(q, "foo", 3);
    if (parse(q, PQ_MAX_QUERY_BYTES, &a, &root, err, sizeof err) != 0) fail_msg("64 KiB: %s", err);
    pq_ast_free(a);
    expect_error(q, PQ_MAX_QUERY_BYTES + 1, "query too long");
    /* a 64 KiB string literal, in one arena */
    q[0] = '"';
    memset(q + 1, 'x', PQ_MAX_QUERY_BYTES - 2);
    q[PQ_MAX_QUERY_BYTES - 1] = '"';
    if (parse(q, PQ_MAX_QUERY_BYTES, &a, &root, err, sizeof err) != 0)
        fail_msg("64 KiB string: %s", err);
    assert_int_equal(strlen(root->u.string), PQ_MAX_QUERY_BYTES - 2);
    pq_ast_free(a);
    /* many matchers and many arguments grow their arrays */
    n = (size_t)sprintf(q, "foo{");
    for (int i = 0; i < 2000; i++) n += (size_t)sprintf(q + n, "l%d=\"v%d\",", i, i);
    q[n++] = '}';
    if (parse(q, n, &a, &root, err, sizeof err) != 0) fail_msg("2000 matchers: %s", err);
    assert_int_equal(root->u.sel.n_matchers, 2001);
    assert_string_equal(root->u.sel.matchers[2000].name, "l1999");
    assert_string_equal(root->u.sel.matchers[2000].value, "v1999");
    pq_ast_free(a);
    free(q);
}

/* ---- regular expressions ---- */

static void test_regex(void **state) {
    (void)state;
    pq_ast *a;
    pq_node *root;
    char err[512];
    const char *q = "foo{a=~\"(a*)*b\", b!~\"x|y|z\", c=~\"(?i)cl2\"}";
    if (parse(q, strlen(q), &a, &root, err, sizeof err) != 0) fail_msg("%s", err);
    const pq_matcher *m = root->u.sel.matchers;
    assert_int_equal(root->u.sel.n_matchers, 4);
    assert_non_null(m[1].re);
    /* RE2: linear time even for (a*)*b on a long text; anchored */
    char text[20001];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = 0;
    assert_false(pq_regex_match(m[1].re, text, strlen(text)));
    assert_true(pq_regex_match(m[1].re, "aab", 3));
    assert_false(pq_regex_match(m[1].re, "aabc", 4));
    size_t nl;
    assert_true(pq_regex_literals(m[2].re, &nl));
    assert_int_equal(nl, 3);
    assert_true(pq_regex_match(m[3].re, "CL2", 3));
    pq_ast_free(a);
    /* '.' matches a newline, as in Prometheus */
    q = "{a=~\"x.y\"}";
    assert_int_equal(parse(q, strlen(q), &a, &root, err, sizeof err), 0);
    assert_true(pq_regex_match(root->u.sel.matchers[0].re, "x\ny", 3));
    pq_ast_free(a);
    /* escapes are undone before compiling */
    q = "{a=~\"a\\\\.b\"}";
    assert_int_equal(parse(q, strlen(q), &a, &root, err, sizeof err), 0);
    assert_string_equal(root->u.sel.matchers[0].value, "a\\.b");
    assert_true(pq_regex_match(root->u.sel.matchers[0].re, "a.b", 3));
    assert_false(pq_regex_match(root->u.sel.matchers[0].re, "axb", 3));
    pq_ast_free(a);
    /* a regex after a bad one is never compiled; nothing leaks either way */
    q = "{a=~\"x\", b=~\"(\", c=~\"y\"}";
    expect_error(q, strlen(q), "invalid regular expression");
    q = "{a=~\"x\", b=\"y\"} + on(";
    expect_error(q, strlen(q), "unclosed left parenthesis");
}

/* ---- positions, the arena, names ---- */

static void test_positions_and_names(void **state) {
    (void)state;
    pq_ast *a;
    pq_node *root;
    char err[512];
    const char *q = "sum by (a) (rate(foo[5m])) / -bar";
    assert_int_equal(parse(q, strlen(q), &a, &root, err, sizeof err), 0);
    assert_int_equal(root->kind, PQ_N_BINARY);
    assert_int_equal(root->pos, 0);
    assert_int_equal(root->u.bin.lhs->u.agg.expr->pos, 12);
    assert_int_equal(root->u.bin.lhs->u.agg.expr->u.call.args[0]->pos, 17);
    assert_int_equal(root->u.bin.rhs->pos, 29);
    assert_int_equal(root->u.bin.rhs->kind, PQ_N_NEG);
    assert_int_equal(root->u.bin.rhs->u.unary.expr->pos, 30);
    assert_string_equal(root->u.bin.rhs->u.unary.expr->u.sel.metric, "bar");
    assert_null(root->u.bin.lhs->u.agg.param);
    pq_ast_free(a);
    q = "sum(foo)";
    assert_int_equal(parse(q, strlen(q), &a, &root, err, sizeof err), 0);
    assert_int_equal(root->u.agg.n_grouping, 0);
    assert_false(root->u.agg.without);
    pq_ast_free(a);
    q = "{a=\"b\"}";
    assert_int_equal(parse(q, strlen(q), &a, &root, err, sizeof err), 0);
    assert_null(root->u.sel.metric);
    assert_int_equal(root->u.sel.range_ms, 0);
    assert_int_equal(root->u.sel.offset_ms, 0);
    assert_null(root->u.sel.matchers[0].re);
    pq_ast_free(a);
    pq_ast_free(NULL);
    /* a query need not be NUL-terminated */
    assert_int_equal(parse("foo + bar", 3, &a, &root, err, sizeof err), 0);
    assert_int_equal(root->kind, PQ_N_SELECTOR);
    pq_ast_free(a);
    /* a small error buffer is truncated, never overrun */
    char small[8];
    assert_int_equal(pq_parse("1 +", 3, &a, &root, small, sizeof small), -1);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(pq_parse("1 +", 3, &a, &root, NULL, 0), -1);
    assert_int_equal(pq_parse(NULL, 0, &a, &root, err, sizeof err), -1);
    assert_non_null(strstr(err, "no expression found"));

    assert_string_equal(pq_type_name(PQ_T_MATRIX), "range vector");
    assert_string_equal(pq_type_name(PQ_T_VECTOR), "instant vector");
    assert_string_equal(pq_agg_name(PQ_A_BOTTOMK), "bottomk");
    assert_string_equal(pq_bin_name(PQ_B_UNLESS), "unless");
    assert_string_equal(pq_bin_name(PQ_B_LE), "<=");
    assert_string_equal(pq_func_name(PQ_F_TIME), "time");
    assert_string_equal(pq_func_name(PQ_F_QUANTILE_OVER_TIME), "quantile_over_time");
}

/* ---- random queries: no crash, no leak, a message on every failure ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void test_random(void **state) {
    (void)state;
    static const char *const pieces[] = {
        "foo",
        "bar{a=\"b\"}",
        "{x=~\"y.*\"}",
        "[5m]",
        " offset 5m",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "^",
        "==",
        " bool ",
        " and ",
        " or ",
        " on(a) ",
        " group_left(b) ",
        "sum",
        " by (a) ",
        "(",
        "rate(",
        ",",
        "1",
        "0x1f",
        "Inf",
        "\"s\"",
        "topk(",
        "[5m:1m]",
        "@",
        "#c\n",
        "}",
        "{",
        "]",
        "abs(",
        "1e3",
        "`r`",
        "'q'",
        "\\",
        "\xff",
    };
    char q[512];
    size_t ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0, k = rng() % 12 + 1;
        for (size_t i = 0; i < k; i++) {
            const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            if (n + l >= sizeof q) break;
            memcpy(q + n, p, l);
            n += l;
        }
        pq_ast *a;
        pq_node *root;
        char err[256];
        if (parse(q, n, &a, &root, err, sizeof err) == 0) {
            out o = {{0}, 0};
            print_node(&o, root);
            pq_ast_free(a);
            ok++;
        } else {
            assert_non_null(strstr(err, "parse error: "));
        }
    }
    print_message("%zu of 20000 random queries parsed\n", ok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_function_arity),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_positions_and_names),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
