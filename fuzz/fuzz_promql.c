/*
 * fuzz_promql.c - libFuzzer target of the PromQL parser (pq_parse,
 * pq_ast_free, pq_parse_duration; promql/ast.h).
 *
 * The input is the query. Besides the sanitizers (and the leak checker:
 * every tree is freed, the regexes with it), the target checks what ast.h
 * promises: a failure returns -1 with *out and *root NULL and a message
 * "L:C: parse error: ..."; a success gives a tree no deeper than
 * PQ_MAX_DEPTH whose nodes are typed as the parser's checks require
 * (binary operands scalar or instant vector, aggregations over instant
 * vectors, ranges only on selectors, selectors with at least one matcher
 * that does not match "", regex matchers compiled); parsing twice gives
 * the same result; a truncated error buffer stays NUL-terminated; a
 * duration pq_parse_duration accepts is within 1..2^53 ms. A broken
 * property aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/ast.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_promql: property failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool vectorish(const pq_node *n) {
    return n->type == PQ_T_SCALAR || n->type == PQ_T_VECTOR;
}

/* Walks the tree; returns its depth. Also hashes it, so that two parses
 * can be compared. */
static int walk(const pq_node *n, size_t len, uint64_t *h) {
    CHECK(n);
    CHECK(n->pos >= 0 && (size_t)n->pos < len);
    *h = (*h ^ (uint64_t)n->kind ^ ((uint64_t)n->type << 8) ^ ((uint64_t)n->pos << 16)) *
         0x100000001b3ull;
    int d = 0, c;
    switch (n->kind) {
        case PQ_N_NUMBER:
            CHECK(n->type == PQ_T_SCALAR);
            break;
        case PQ_N_STRING:
            CHECK(n->type == PQ_T_STRING && n->u.string);
            *h ^= strlen(n->u.string);
            break;
        case PQ_N_SELECTOR: {
            CHECK(n->type == (n->u.sel.range_ms > 0 ? PQ_T_MATRIX : PQ_T_VECTOR));
            CHECK(n->u.sel.range_ms >= 0 && n->u.sel.range_ms <= (INT64_C(1) << 53));
            CHECK(llabs(n->u.sel.offset_ms) <= (INT64_C(1) << 53));
            CHECK(n->u.sel.n_matchers >= 1);
            bool non_empty = false;
            for (size_t i = 0; i < n->u.sel.n_matchers; i++) {
                const pq_matcher *m = &n->u.sel.matchers[i];
                CHECK(m->name && m->value && m->name[0]);
                bool re = m->op == PQ_M_RE || m->op == PQ_M_NRE;
                CHECK(re == (m->re != NULL));
                bool empty = m->op == PQ_M_EQ    ? !m->value[0]
                             : m->op == PQ_M_NEQ ? m->value[0] != 0
                             : m->op == PQ_M_RE  ? pq_regex_matches_empty(m->re)
                                                 : !pq_regex_matches_empty(m->re);
                if (re) (void)pq_regex_match(m->re, m->value, strlen(m->value));
                non_empty |= !empty;
                *h = (*h ^ strlen(m->name) ^ (strlen(m->value) << 20)) * 0x100000001b3ull;
            }
            if (n->u.sel.metric) {
                CHECK(strcmp(n->u.sel.matchers[0].name, "__name__") == 0);
                CHECK(n->u.sel.matchers[0].op == PQ_M_EQ);
                CHECK(strcmp(n->u.sel.matchers[0].value, n->u.sel.metric) == 0);
                for (size_t i = 1; i < n->u.sel.n_matchers; i++)
                    CHECK(strcmp(n->u.sel.matchers[i].name, "__name__") != 0);
            } else {
                CHECK(non_empty);
            }
            break;
        }
        case PQ_N_CALL:
            CHECK((unsigned)n->u.call.func < PQ_F_COUNT__);
            CHECK(strcmp(pq_func_name(n->u.call.func), "?") != 0);
            CHECK(n->type == (n->u.call.func == PQ_F_SCALAR || n->u.call.func == PQ_F_TIME
                                  ? PQ_T_SCALAR
                                  : PQ_T_VECTOR));
            CHECK(n->u.call.n_args <= 3);
            for (size_t i = 0; i < n->u.call.n_args; i++) {
                CHECK(n->u.call.args[i]->type != PQ_T_STRING);
                if ((c = walk(n->u.call.args[i], len, h)) > d) d = c;
            }
            break;
        case PQ_N_AGG:
            CHECK((unsigned)n->u.agg.op < PQ_A_COUNT__ && n->type == PQ_T_VECTOR);
            CHECK(n->u.agg.expr->type == PQ_T_VECTOR);
            CHECK((n->u.agg.param != NULL) ==
                  (n->u.agg.op == PQ_A_TOPK || n->u.agg.op == PQ_A_BOTTOMK ||
                   n->u.agg.op == PQ_A_QUANTILE));
            for (size_t i = 0; i < n->u.agg.n_grouping; i++) CHECK(n->u.agg.grouping[i][0]);
            if (n->u.agg.param) {
                CHECK(n->u.agg.param->type == PQ_T_SCALAR);
                if ((c = walk(n->u.agg.param, len, h)) > d) d = c;
            }
            if ((c = walk(n->u.agg.expr, len, h)) > d) d = c;
            break;
        case PQ_N_BINARY: {
            const pq_node *l = n->u.bin.lhs, *r = n->u.bin.rhs;
            CHECK(vectorish(l) && vectorish(r));
            bool scalars = l->type == PQ_T_SCALAR && r->type == PQ_T_SCALAR;
            CHECK(n->type == (scalars ? PQ_T_SCALAR : PQ_T_VECTOR));
            bool cmp = n->u.bin.op >= PQ_B_EQ && n->u.bin.op <= PQ_B_LE;
            bool set = n->u.bin.op >= PQ_B_AND && n->u.bin.op <= PQ_B_UNLESS;
            CHECK(!n->u.bin.return_bool || cmp);
            if (cmp && scalars) CHECK(n->u.bin.return_bool);
            if (set) CHECK(l->type == PQ_T_VECTOR && r->type == PQ_T_VECTOR);
            if (set) CHECK(n->u.bin.card == PQ_CARD_MANY_TO_MANY);
            if (!set) CHECK(n->u.bin.card != PQ_CARD_MANY_TO_MANY);
            if (l->type != PQ_T_VECTOR || r->type != PQ_T_VECTOR)
                CHECK(n->u.bin.n_match_labels == 0 && n->u.bin.card == PQ_CARD_ONE_TO_ONE);
            if ((c = walk(l, len, h)) > d) d = c;
            if ((c = walk(r, len, h)) > d) d = c;
            break;
        }
        case PQ_N_NEG:
        case PQ_N_PAREN:
            CHECK(n->type == n->u.unary.expr->type);
            if (n->kind == PQ_N_NEG) CHECK(vectorish(n));
            if ((c = walk(n->u.unary.expr, len, h)) > d) d = c;
            break;
        default:
            CHECK(!"unknown node kind");
    }
    return d + 1;
}

static int parse(const char *q, size_t size, uint64_t *h, char *err, size_t cap) {
    pq_ast *a = (pq_ast *)1;
    pq_node *root = (pq_node *)1;
    int rc = pq_parse(q, size, &a, &root, err, cap);
    CHECK(rc == 0 || rc == -1);
    *h = 0xcbf29ce484222325ull;
    if (rc == 0) {
        CHECK(a && root);
        CHECK(size <= PQ_MAX_QUERY_BYTES);
        CHECK(walk(root, size, h) <= PQ_MAX_DEPTH);
        pq_ast_free(a);
    } else {
        CHECK(!a && !root);
        if (cap) CHECK(strnlen(err, cap) < cap);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exactly sized copy: a read past the query is caught */
    char *q = malloc(size ? size : 1);
    if (!q) return 0;
    memcpy(q, data, size);
    char err[512], err2[512], small[12];
    uint64_t h1, h2;
    int rc = parse(q, size, &h1, err, sizeof err);
    if (rc != 0) CHECK(strstr(err, "parse error: ") != NULL);
    /* deterministic */
    CHECK(parse(q, size, &h2, err2, sizeof err2) == rc);
    CHECK(h1 == h2);
    if (rc != 0) CHECK(strcmp(err, err2) == 0);
    /* a small error buffer, and none */
    CHECK(parse(q, size, &h2, small, sizeof small) == rc);
    if (rc != 0) CHECK(strncmp(small, err, sizeof small - 1) == 0);
    CHECK(parse(q, size, &h2, NULL, 0) == rc);
    /* the input as a duration */
    int64_t ms = 0;
    if (pq_parse_duration(q, size, &ms)) CHECK(ms > 0 && ms <= (INT64_C(1) << 53));
    free(q);
    return 0;
}
