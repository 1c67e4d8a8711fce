/*
 * parse.c - the PromQL parser (ast.h): Prometheus 2.42's grammar
 * (generated_parser.y, parse.go, functions.go) as a recursive descent
 * parser with precedence climbing.
 *
 * Design:
 *   - Precedence as the .y file declares it, lowest first: or; and unless;
 *     comparisons; + -; * / % atan2; ^ (right-associative). Unary + and -
 *     have the precedence of *, so their operand takes only ^: -1^2 is
 *     -(1^2) and -a*b is (-a)*b. A unary minus on a number literal folds
 *     into the number, as Prometheus does. offset, [range] and @ bind
 *     tighter than anything and apply to the primary before them.
 *   - Two kinds of errors, as in Prometheus: syntax errors (and the checks
 *     Prometheus makes in its grammar actions) stop the parse; type errors
 *     (parse.go's checkAST) are noted, the first one kept, and reported
 *     only when the whole query parsed, so `rate(x) +` reports the missing
 *     operand, not the type.
 *   - Bounded: the query at most PQ_MAX_QUERY_BYTES; the recursion depth
 *     of the parser and the depth of the tree at most PQ_MAX_DEPTH (each
 *     node records its depth beside it in the arena), so neither this file
 *     nor the evaluator recurses without bound whatever the query.
 *   - One arena per tree: nodes, arrays and strings are bump-allocated in
 *     blocks; the compiled regexes (RE2 objects, allocated by regex.cc) are
 *     listed in the arena and freed with it.
 */
#include "promql/ast.h"
#include "promql/lex.h"

#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the arena ---- */

typedef struct blk {
    struct blk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} blk;

typedef struct re_link {
    pq_regex *re;
    struct re_link *next;
} re_link;

struct pq_ast {
    blk *head;
    re_link *regexes;
};

enum { BLOCK_SIZE = 16 * 1024 };

static void *arena_alloc(pq_ast *a, size_t n) {
    const size_t al = alignof(max_align_t);
    if (n > SIZE_MAX / 2) return NULL;
    n = (n + al - 1) / al * al;
    if (!n) n = al;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        blk *b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

void pq_ast_free(pq_ast *a) {
    if (!a) return;
    for (re_link *r = a->regexes; r; r = r->next) pq_regex_free(r->re);
    for (blk *b = a->head; b;) {
        blk *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

/* ---- names ---- */

static const char *const func_names[PQ_F_COUNT__] = {
    [PQ_F_RATE] = "rate",
    [PQ_F_IRATE] = "irate",
    [PQ_F_INCREASE] = "increase",
    [PQ_F_DELTA] = "delta",
    [PQ_F_IDELTA] = "idelta",
    [PQ_F_DERIV] = "deriv",
    [PQ_F_AVG_OVER_TIME] = "avg_over_time",
    [PQ_F_MIN_OVER_TIME] = "min_over_time",
    [PQ_F_MAX_OVER_TIME] = "max_over_time",
    [PQ_F_SUM_OVER_TIME] = "sum_over_time",
    [PQ_F_COUNT_OVER_TIME] = "count_over_time",
    [PQ_F_LAST_OVER_TIME] = "last_over_time",
    [PQ_F_QUANTILE_OVER_TIME] = "quantile_over_time",
    [PQ_F_CHANGES] = "changes",
    [PQ_F_RESETS] = "resets",
    [PQ_F_ABSENT_OVER_TIME] = "absent_over_time",
    [PQ_F_ABS] = "abs",
    [PQ_F_CEIL] = "ceil",
    [PQ_F_FLOOR] = "floor",
    [PQ_F_ROUND] = "round",
    [PQ_F_CLAMP] = "clamp",
    [PQ_F_CLAMP_MIN] = "clamp_min",
    [PQ_F_CLAMP_MAX] = "clamp_max",
    [PQ_F_ABSENT] = "absent",
    [PQ_F_SQRT] = "sqrt",
    [PQ_F_EXP] = "exp",
    [PQ_F_LN] = "ln",
    [PQ_F_LOG2] = "log2",
    [PQ_F_LOG10] = "log10",
    [PQ_F_TIMESTAMP] = "timestamp",
    [PQ_F_SORT] = "sort",
    [PQ_F_SORT_DESC] = "sort_desc",
    [PQ_F_SCALAR] = "scalar",
    [PQ_F_VECTOR] = "vector",
    [PQ_F_TIME] = "time",
};

const char *pq_func_name(pq_func f) {
    return (unsigned)f < PQ_F_COUNT__ ? func_names[f] : "?";
}

static const char *const agg_names[PQ_A_COUNT__] = {
    "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile",
};

const char *pq_agg_name(pq_agg_op op) {
    return (unsigned)op < PQ_A_COUNT__ ? agg_names[op] : "?";
}

static const char *const bin_names[] = {
    "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"};

const char *pq_bin_name(pq_bin_op op) {
    return (unsigned)op < sizeof bin_names / sizeof bin_names[0] ? bin_names[op] : "?";
}

/* Prometheus's DocumentedType. */
const char *pq_type_name(pq_type t) {
    switch (t) {
        case PQ_T_SCALAR:
            return "scalar";
        case PQ_T_STRING:
            return "string";
        case PQ_T_VECTOR:
            return "instant vector";
        case PQ_T_MATRIX:
            return "range vector";
    }
    return "?";
}

/* functions.go's signatures of the supported functions. */
typedef struct func_sig {
    uint8_t nargs;    /* len(ArgTypes) */
    uint8_t variadic; /* optional trailing arguments (of the last type) */
    pq_type args[3];
    pq_type ret;
} func_sig;

#define M PQ_T_MATRIX
#define V PQ_T_VECTOR
#define S PQ_T_SCALAR
static const func_sig func_sigs[PQ_F_COUNT__] = {
    [PQ_F_RATE] = {1, 0, {M}, V},
    [PQ_F_IRATE] = {1, 0, {M}, V},
    [PQ_F_INCREASE] = {1, 0, {M}, V},
    [PQ_F_DELTA] = {1, 0, {M}, V},
    [PQ_F_IDELTA] = {1, 0, {M}, V},
    [PQ_F_DERIV] = {1, 0, {M}, V},
    [PQ_F_AVG_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_MIN_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_MAX_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_SUM_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_COUNT_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_LAST_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_QUANTILE_OVER_TIME] = {2, 0, {S, M}, V},
    [PQ_F_CHANGES] = {1, 0, {M}, V},
    [PQ_F_RESETS] = {1, 0, {M}, V},
    [PQ_F_ABSENT_OVER_TIME] = {1, 0, {M}, V},
    [PQ_F_ABS] = {1, 0, {V}, V},
    [PQ_F_CEIL] = {1, 0, {V}, V},
    [PQ_F_FLOOR] = {1, 0, {V}, V},
    [PQ_F_ROUND] = {2, 1, {V, S}, V},
    [PQ_F_CLAMP] = {3, 0, {V, S, S}, V},
    [PQ_F_CLAMP_MIN] = {2, 0, {V, S}, V},
    [PQ_F_CLAMP_MAX] = {2, 0, {V, S}, V},
    [PQ_F_ABSENT] = {1, 0, {V}, V},
    [PQ_F_SQRT] = {1, 0, {V}, V},
    [PQ_F_EXP] = {1, 0, {V}, V},
    [PQ_F_LN] = {1, 0, {V}, V},
    [PQ_F_LOG2] = {1, 0, {V}, V},
    [PQ_F_LOG10] = {1, 0, {V}, V},
    [PQ_F_TIMESTAMP] = {1, 0, {V}, V},
    [PQ_F_SORT] = {1, 0, {V}, V},
    [PQ_F_SORT_DESC] = {1, 0, {V}, V},
    [PQ_F_SCALAR] = {1, 0, {V}, S},
    [PQ_F_VECTOR] = {1, 0, {S}, V},
    [PQ_F_TIME] = {0, 0, {V}, S},
};
#undef M
#undef V
#undef S

/* Prometheus's functions (2.42 and later) that Parkwatch does not
 * evaluate, each between spaces: named in a clear error rather than
 * "unknown function". */
static const char unsupported_funcs[] =
    " acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh deg rad pi sgn"
    " days_in_month day_of_month day_of_week day_of_year hour minute month year"
    " histogram_count histogram_sum histogram_fraction histogram_quantile histogram_avg"
    " histogram_stddev histogram_stdvar holt_winters double_exponential_smoothing"
    " label_replace label_join predict_linear present_over_time stddev_over_time"
    " stdvar_over_time mad_over_time sort_by_label sort_by_label_desc info limitk limit_ratio ";

/* ---- the parser ---- */

/* A node and the depth of its subtree (the evaluator sees only n). */
typedef struct xnode {
    pq_node n;
    int depth;
} xnode;

static int depth_of(const pq_node *n) {
    return n ? ((const xnode *)(const void *)n)->depth : 0;
}

typedef struct parser {
    const char *q;
    size_t qlen;
    pq_lexer lx;
    pq_token tok, ahead;
    bool has_ahead;
    pq_ast *a;
    int rec; /* parse_expr's recursion depth */
    bool failed, deferred;
    char msg[512];  /* the first syntax error */
    char dmsg[512]; /* the first type error */
} parser;

enum { PREC_OR = 1, PREC_AND, PREC_CMP, PREC_ADD, PREC_MUL, PREC_POW };

/* "line:col: parse error: " as ParseErr.Error() writes it (col in bytes). */
static void vreport(parser *p, char *buf, size_t pos, const char *fmt, va_list ap) {
    int line = 1;
    size_t last_nl = (size_t)-1;
    if (pos > p->qlen) pos = p->qlen;
    for (size_t i = 0; i < pos; i++)
        if (p->q[i] == '\n') line++, last_nl = i;
    int n = snprintf(buf, 512, "%d:%zu: parse error: ", line, pos - last_nl);
    if (n > 0 && n < 512) vsnprintf(buf + n, 512 - (size_t)n, fmt, ap);
}

/* A syntax error: the parse stops. Returns NULL for the callers' convenience. */
static void *fail(parser *p, size_t pos, const char *fmt, ...) {
    if (p->failed) return NULL;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vreport(p, p->msg, pos, fmt, ap);
    va_end(ap);
    return NULL;
}

/* A type error: kept if it is the first, reported if the parse succeeds. */
static void type_error(parser *p, size_t pos, const char *fmt, ...) {
    if (p->deferred || p->failed) return;
    p->deferred = true;
    va_list ap;
    va_start(ap, fmt);
    vreport(p, p->dmsg, pos, fmt, ap);
    va_end(ap);
}

static void advance(parser *p) {
    if (p->has_ahead) {
        p->tok = p->ahead;
        p->has_ahead = false;
    } else {
        p->tok = pq_lex_next(&p->lx);
    }
}

static pq_tok peek2(parser *p) {
    if (!p->has_ahead) {
        p->ahead = pq_lex_next(&p->lx);
        p->has_ahead = true;
    }
    return p->ahead.type;
}

/* parser.unexpected: a lexer error is reported as itself. */
static void *unexpected(parser *p, const char *context, const char *expected) {
    if (p->tok.type == T_ERROR) return fail(p, p->tok.pos, "%s", p->lx.msg);
    char d[128];
    pq_tok_desc(p->q, p->tok, d, sizeof d);
    return fail(p, p->tok.pos, "unexpected %s%s%s%s%s", d, context ? " in " : "",
                context ? context : "", expected ? ", expected " : "", expected ? expected : "");
}

static void *oom(parser *p) {
    return fail(p, 0, "out of memory");
}

static pq_node *new_node(parser *p, pq_node_kind kind, size_t pos, int child_depth) {
    if (child_depth + 1 > PQ_MAX_DEPTH)
        return fail(p, pos, "expression nested too deeply (more than %d levels)", PQ_MAX_DEPTH);
    xnode *x = arena_alloc(p->a, sizeof *x);
    if (!x) return oom(p);
    memset(x, 0, sizeof *x);
    x->depth = child_depth + 1;
    x->n.kind = kind;
    x->n.pos = (int)pos; /* pos < PQ_MAX_QUERY_BYTES */
    return &x->n;
}

static char *arena_strndup(parser *p, const char *s, size_t n) {
    char *c = arena_alloc(p->a, n + 1);
    if (!c) return oom(p);
    memcpy(c, s, n);
    c[n] = 0;
    return c;
}

/* A growable array in the arena (the old copy is left behind: at most
 * twice the final size, and the arena is bounded by the query's size). */
static bool grow(parser *p, void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *na = arena_alloc(p->a, ncap * elem);
    if (!na) return oom(p), false;
    if (n) memcpy(na, *arr, n * elem);
    *arr = na;
    *cap = ncap;
    return true;
}

static bool tok_is(parser *p, pq_tok t) {
    return p->tok.type == t;
}

static const char *tok_text(parser *p) {
    return p->q + p->tok.pos;
}

static pq_node *parse_expr(parser *p, int min_prec);

/* ---- literals ---- */

static void number_error(parser *p, pq_token t, const char *why) {
    char q[96];
    pq_go_quote(p->q + t.pos, t.len, 0, q, sizeof q);
    fail(p, t.pos, "error parsing number: strconv.ParseFloat: parsing %s: %s", q, why);
}

static bool parse_number(parser *p, pq_token t, double *out) {
    switch (pq_lex_number(p->q + t.pos, t.len, out)) {
        case PQ_NUM_OK:
            return true;
        case PQ_NUM_SYNTAX:
            number_error(p, t, "invalid syntax");
            return false;
        case PQ_NUM_RANGE:
            number_error(p, t, "value out of range");
            return false;
        default:
            oom(p);
            return false;
    }
}

static const char *unquote(parser *p, pq_token t) {
    char *out = arena_alloc(p->a, t.len + 1);
    if (!out) return oom(p);
    out[pq_lex_unquote(p->q + t.pos, t.len, out)] = 0;
    return out;
}

static bool duration(parser *p, int64_t *ms) {
    pq_dur_err e = pq_lex_duration(tok_text(p), p->tok.len, ms);
    if (e == PQ_DUR_OK) return true;
    if (e == PQ_DUR_ZERO) return fail(p, p->tok.pos, "duration must be greater than 0"), false;
    if (e == PQ_DUR_RANGE) return fail(p, p->tok.pos, "duration out of range"), false;
    char q[96];
    pq_go_quote(tok_text(p), p->tok.len, 0, q, sizeof q);
    return fail(p, p->tok.pos, "not a valid duration string: %s", q), false;
}

/* ---- selectors ---- */

static bool add_regex(parser *p, pq_regex *re) {
    re_link *l = arena_alloc(p->a, sizeof *l);
    if (!l) {
        pq_regex_free(re);
        return oom(p), false;
    }
    l->re = re;
    l->next = p->a->regexes;
    p->a->regexes = l;
    return true;
}

/* One label matcher: IDENTIFIER match_op STRING. */
static bool parse_matcher(parser *p, pq_matcher *m) {
    if (!tok_is(p, T_IDENT)) return unexpected(p, "label matching", "identifier or \"}\""), false;
    pq_token label = p->tok;
    if (!(m->name = arena_strndup(p, tok_text(p), label.len))) return false;
    advance(p);
    switch (p->tok.type) {
        case T_EQL:
            m->op = PQ_M_EQ;
            break;
        case T_NEQ:
            m->op = PQ_M_NEQ;
            break;
        case T_EQL_REGEX:
            m->op = PQ_M_RE;
            break;
        case T_NEQ_REGEX:
            m->op = PQ_M_NRE;
            break;
        default:
            return unexpected(p, "label matching", "label matching operator"), false;
    }
    advance(p);
    if (!tok_is(p, T_STRING)) return unexpected(p, "label matching", "string"), false;
    if (!(m->value = unquote(p, p->tok))) return false;
    if (m->op == PQ_M_RE || m->op == PQ_M_NRE) {
        char err[384];
        m->re = pq_regex_compile(m->value, strlen(m->value), err, sizeof err);
        if (!m->re) return fail(p, label.pos, "%s", err), false;
        if (!add_regex(p, m->re)) return false;
    }
    advance(p);
    return true;
}

/* metric_identifier? label_matchers?, the name (when given) the current
 * token. */
static pq_node *parse_selector(parser *p, bool named) {
    size_t pos = p->tok.pos;
    pq_matcher *ms = NULL;
    size_t n = 0, cap = 0;
    const char *metric = NULL;
    if (named) {
        if (!(metric = arena_strndup(p, tok_text(p), p->tok.len))) return NULL;
        if (!grow(p, (void **)&ms, &cap, n, sizeof *ms)) return NULL;
        ms[n++] = (pq_matcher){.name = "__name__", .value = metric, .op = PQ_M_EQ};
        advance(p);
    }
    if (tok_is(p, T_LBRACE)) {
        advance(p);
        while (!tok_is(p, T_RBRACE)) {
            if (!grow(p, (void **)&ms, &cap, n, sizeof *ms)) return NULL;
            memset(&ms[n], 0, sizeof ms[n]);
            if (!parse_matcher(p, &ms[n])) return NULL;
            n++;
            if (tok_is(p, T_COMMA))
                advance(p);
            else if (!tok_is(p, T_RBRACE))
                return unexpected(p, "label matching", "\",\" or \"}\"");
        }
        advance(p);
    }
    pq_node *s = new_node(p, PQ_N_SELECTOR, pos, 0);
    if (!s) return NULL;
    s->type = PQ_T_VECTOR;
    s->u.sel.metric = metric;
    s->u.sel.matchers = ms;
    s->u.sel.n_matchers = n;
    if (metric) {
        /* the name is a non-empty matcher; it must not be given twice */
        for (size_t i = 1; i < n; i++) {
            if (strcmp(ms[i].name, "__name__") == 0) {
                char a[96], b[96];
                pq_go_quote(metric, strlen(metric), 0, a, sizeof a);
                pq_go_quote(ms[i].value, strlen(ms[i].value), 0, b, sizeof b);
                type_error(p, pos, "metric name must not be set twice: %s or %s", a, b);
            }
        }
    } else {
        /* no selector may match every series by accident (a typo) */
        bool non_empty = false;
        for (size_t i = 0; i < n && !non_empty; i++) non_empty = !pq_matcher_matches_empty(&ms[i]);
        if (!non_empty)
            type_error(p, pos, "vector selector must contain at least one non-empty matcher");
    }
    return s;
}

/* [range], offset [-]d, and @ (refused) after a primary. */
static pq_node *parse_postfix(parser *p, pq_node *e) {
    while (e) {
        if (tok_is(p, T_LBRACKET)) {
            size_t lb = p->tok.pos;
            int64_t ms;
            advance(p);
            if (!tok_is(p, T_DURATION)) return unexpected(p, "subquery selector", "duration");
            if (!duration(p, &ms)) return NULL;
            advance(p);
            if (tok_is(p, T_COLON) && p->q[p->tok.pos] == ':')
                return fail(p, lb, "not supported by Parkwatch: subqueries");
            if (!tok_is(p, T_RBRACKET)) return unexpected(p, "subquery or range", "\":\" or \"]\"");
            if (e->kind != PQ_N_SELECTOR || e->u.sel.range_ms > 0)
                return fail(p, lb, "ranges only allowed for vector selectors");
            if (e->u.sel.offset_ms != 0)
                return fail(p, lb, "no offset modifiers allowed before range");
            e->u.sel.range_ms = ms;
            e->type = PQ_T_MATRIX;
            advance(p);
        } else if (tok_is(p, T_OFFSET)) {
            bool neg = false;
            int64_t ms;
            advance(p);
            if (tok_is(p, T_SUB)) {
                neg = true;
                advance(p);
            }
            if (!tok_is(p, T_DURATION)) return unexpected(p, "offset", "duration");
            if (!duration(p, &ms)) return NULL;
            if (e->kind != PQ_N_SELECTOR)
                return fail(p, (size_t)e->pos,
                            "offset modifier must be preceded by an instant vector selector or "
                            "range vector selector or a subquery");
            if (e->u.sel.offset_ms != 0)
                return fail(p, (size_t)e->pos, "offset may not be set multiple times");
            e->u.sel.offset_ms = neg ? -ms : ms;
            advance(p);
        } else if (tok_is(p, T_AT)) {
            return fail(p, p->tok.pos, "not supported by Parkwatch: the @ modifier");
        } else {
            break;
        }
    }
    return e;
}

/* ---- calls and aggregations ---- */

/* '(' [expr {',' expr}] ')', the current token '('. */
static bool parse_args(parser *p, pq_node ***args, size_t *n, int *depth) {
    size_t cap = 0;
    *args = NULL;
    *n = 0;
    *depth = 0;
    advance(p);
    if (tok_is(p, T_RPAREN)) {
        advance(p);
        return true;
    }
    for (;;) {
        pq_node *e = parse_expr(p, 0);
        if (!e) return false;
        if (!grow(p, (void **)args, &cap, *n, sizeof **args)) return false;
        (*args)[(*n)++] = e;
        if (depth_of(e) > *depth) *depth = depth_of(e);
        if (tok_is(p, T_COMMA)) {
            size_t comma = p->tok.pos;
            advance(p);
            if (tok_is(p, T_RPAREN))
                return fail(p, comma, "trailing commas not allowed in function call args"), false;
            continue;
        }
        if (tok_is(p, T_RPAREN)) {
            advance(p);
            return true;
        }
        return unexpected(p, NULL, NULL), false;
    }
}

static pq_node *parse_call(parser *p) {
    pq_token name = p->tok;
    const char *s = tok_text(p);
    pq_node **args;
    size_t n;
    int depth;
    advance(p);
    if (!parse_args(p, &args, &n, &depth)) return NULL;
    int f = 0;
    while (f < PQ_F_COUNT__ &&
           !(strlen(func_names[f]) == name.len && memcmp(func_names[f], s, name.len) == 0))
        f++;
    if (f == PQ_F_COUNT__) {
        if (name.len < 32) {
            char word[40];
            snprintf(word, sizeof word, " %.*s ", (int)name.len, s);
            if (strstr(unsupported_funcs, word))
                return fail(p, name.pos, "not supported by Parkwatch: function \"%.*s\"",
                            (int)name.len, s);
        }
        char q[96];
        pq_go_quote(s, name.len, 0, q, sizeof q);
        return fail(p, name.pos, "unknown function with name %s", q);
    }
    pq_node *c = new_node(p, PQ_N_CALL, name.pos, depth);
    if (!c) return NULL;
    const func_sig *sig = &func_sigs[f];
    c->type = sig->ret;
    c->u.call.func = (pq_func)f;
    c->u.call.args = args;
    c->u.call.n_args = n;
    /* checkAST: the arity, then each argument's type */
    const char *fn = func_names[f];
    if (!sig->variadic && n != sig->nargs)
        type_error(p, name.pos, "expected %d argument(s) in call to \"%s\", got %zu", sig->nargs,
                   fn, n);
    if (sig->variadic && n < (size_t)sig->nargs - 1u)
        type_error(p, name.pos, "expected at least %d argument(s) in call to \"%s\", got %zu",
                   sig->nargs - 1, fn, n);
    if (sig->variadic && n > (size_t)sig->nargs - 1u + sig->variadic)
        type_error(p, name.pos, "expected at most %d argument(s) in call to \"%s\", got %zu",
                   sig->nargs - 1 + sig->variadic, fn, n);
    for (size_t i = 0; i < n && i < sig->nargs; i++)
        if (args[i]->type != sig->args[i])
            type_error(p, (size_t)args[i]->pos,
                       "expected type %s in call to function \"%s\", got %s",
                       pq_type_name(sig->args[i]), fn, pq_type_name(args[i]->type));
    return c;
}

/* Labels a grouping may name: identifiers and the keywords the lexer
 * makes of them (maybe_label). */
static bool is_label_token(pq_tok t) {
    return t == T_IDENT || PQ_TOK_IS_AGG(t) || PQ_TOK_IS_KWORD(t) || t == T_LAND || t == T_LOR ||
           t == T_LUNLESS || t == T_START || t == T_END || t == T_ATAN2;
}

/* '(' [label {',' label} [',']] ')' */
static bool parse_grouping(parser *p, const char ***out, size_t *n) {
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!tok_is(p, T_LPAREN)) return unexpected(p, "grouping opts", "\"(\""), false;
    advance(p);
    for (;;) {
        if (tok_is(p, T_RPAREN)) break;
        if (!is_label_token(p->tok.type)) return unexpected(p, "grouping opts", "label"), false;
        if (!grow(p, (void **)out, &cap, *n, sizeof **out)) return false;
        if (!((*out)[*n] = arena_strndup(p, tok_text(p), p->tok.len))) return false;
        (*n)++;
        advance(p);
        if (tok_is(p, T_COMMA))
            advance(p);
        else if (!tok_is(p, T_RPAREN))
            return unexpected(p, "grouping opts", "\",\" or \")\""), false;
    }
    advance(p);
    return true;
}

static pq_node *parse_aggregation(parser *p) {
    pq_token op = p->tok;
    static const pq_agg_op ops[] = {
        [T_AVG - T_AVG] = PQ_A_AVG,       [T_BOTTOMK - T_AVG] = PQ_A_BOTTOMK,
        [T_COUNT - T_AVG] = PQ_A_COUNT,   [T_COUNT_VALUES - T_AVG] = PQ_A_COUNT__,
        [T_GROUP - T_AVG] = PQ_A_GROUP,   [T_MAX - T_AVG] = PQ_A_MAX,
        [T_MIN - T_AVG] = PQ_A_MIN,       [T_QUANTILE - T_AVG] = PQ_A_QUANTILE,
        [T_STDDEV - T_AVG] = PQ_A_STDDEV, [T_STDVAR - T_AVG] = PQ_A_STDVAR,
        [T_SUM - T_AVG] = PQ_A_SUM,       [T_TOPK - T_AVG] = PQ_A_TOPK,
    };
    pq_agg_op a = ops[op.type - T_AVG];
    if (a == PQ_A_COUNT__)
        return fail(p, op.pos, "not supported by Parkwatch: aggregation \"count_values\"");
    const char **grouping = NULL;
    size_t n_grouping = 0;
    bool without = false, modifier = false;
    advance(p);
    if (tok_is(p, T_BY) || tok_is(p, T_WITHOUT)) {
        without = tok_is(p, T_WITHOUT);
        modifier = true;
        advance(p);
        if (!parse_grouping(p, &grouping, &n_grouping)) return NULL;
        if (!tok_is(p, T_LPAREN)) return unexpected(p, "aggregation", NULL);
    }
    pq_node **args;
    size_t n;
    int depth;
    if (!parse_args(p, &args, &n, &depth)) return NULL;
    if (!modifier && (tok_is(p, T_BY) || tok_is(p, T_WITHOUT))) {
        without = tok_is(p, T_WITHOUT);
        advance(p);
        if (!parse_grouping(p, &grouping, &n_grouping)) return NULL;
    }
    if (n == 0) return fail(p, op.pos, "no arguments for aggregate expression provided");
    size_t want = a == PQ_A_TOPK || a == PQ_A_BOTTOMK || a == PQ_A_QUANTILE ? 2 : 1;
    if (n != want)
        return fail(p, op.pos,
                    "wrong number of arguments for aggregate expression provided, expected %zu, "
                    "got %zu",
                    want, n);
    pq_node *g = new_node(p, PQ_N_AGG, op.pos, depth);
    if (!g) return NULL;
    g->type = PQ_T_VECTOR;
    g->u.agg.op = a;
    g->u.agg.param = want == 2 ? args[0] : NULL;
    g->u.agg.expr = args[want - 1];
    g->u.agg.grouping = grouping;
    g->u.agg.n_grouping = n_grouping;
    g->u.agg.without = without;
    pq_node *e = g->u.agg.expr, *param = g->u.agg.param;
    if (e->type != PQ_T_VECTOR)
        type_error(p, (size_t)e->pos,
                   "expected type instant vector in aggregation expression, got %s",
                   pq_type_name(e->type));
    if (param && param->type != PQ_T_SCALAR)
        type_error(p, (size_t)param->pos, "expected type scalar in aggregation parameter, got %s",
                   pq_type_name(param->type));
    return g;
}

/* ---- expressions ---- */

static pq_node *parse_primary(parser *p) {
    pq_token t = p->tok;
    switch (t.type) {
        case T_NUMBER: {
            double v;
            if (!parse_number(p, t, &v)) return NULL;
            pq_node *n = new_node(p, PQ_N_NUMBER, t.pos, 0);
            if (!n) return NULL;
            n->type = PQ_T_SCALAR;
            n->u.number = v;
            advance(p);
            return n;
        }
        case T_STRING: {
            pq_node *n = new_node(p, PQ_N_STRING, t.pos, 0);
            if (!n || !(n->u.string = unquote(p, t))) return NULL;
            n->type = PQ_T_STRING;
            advance(p);
            return n;
        }
        case T_LPAREN: {
            advance(p);
            pq_node *e = parse_expr(p, 0);
            if (!e) return NULL;
            if (!tok_is(p, T_RPAREN)) return unexpected(p, NULL, NULL);
            pq_node *n = new_node(p, PQ_N_PAREN, t.pos, depth_of(e));
            if (!n) return NULL;
            n->type = e->type;
            n->u.unary.expr = e;
            advance(p);
            return n;
        }
        case T_LBRACE:
            return parse_selector(p, false);
        case T_IDENT:
            if (peek2(p) == T_LPAREN) return parse_call(p);
            return parse_selector(p, true);
        case T_METRIC_IDENT:
        case T_BY:
        case T_WITHOUT:
        case T_LAND:
        case T_LOR:
        case T_LUNLESS:
        case T_OFFSET:
        case T_START:
        case T_END:
            return parse_selector(p, true); /* metric_identifier */
        case T_AT:
            return fail(p, t.pos, "not supported by Parkwatch: the @ modifier");
        default:
            break;
    }
    if (PQ_TOK_IS_AGG(t.type)) {
        /* "sum" is an aggregation when its arguments or grouping follow,
         * otherwise a metric name */
        pq_tok n = peek2(p);
        if (n == T_LPAREN || n == T_BY || n == T_WITHOUT) return parse_aggregation(p);
        return parse_selector(p, true);
    }
    return unexpected(p, NULL, NULL);
}

static pq_node *parse_unary(parser *p) {
    if (!tok_is(p, T_ADD) && !tok_is(p, T_SUB)) return parse_postfix(p, parse_primary(p));
    pq_token op = p->tok;
    advance(p);
    /* unary_op expr %prec MUL: the operand takes only ^ */
    pq_node *e = parse_expr(p, PREC_POW);
    if (!e) return NULL;
    if (e->kind == PQ_N_NUMBER) {
        if (op.type == T_SUB) e->u.number = -e->u.number;
        e->pos = (int)op.pos;
        return e;
    }
    if (e->type != PQ_T_SCALAR && e->type != PQ_T_VECTOR)
        type_error(p, op.pos,
                   "unary expression only allowed on expressions of type scalar or instant "
                   "vector, got \"%s\"",
                   pq_type_name(e->type));
    if (op.type == T_ADD) return e;
    pq_node *n = new_node(p, PQ_N_NEG, op.pos, depth_of(e));
    if (!n) return NULL;
    n->type = e->type;
    n->u.unary.expr = e;
    return n;
}

static bool binary_op(pq_tok t, pq_bin_op *op, int *prec) {
    switch (t) {
        case T_LOR:
            *op = PQ_B_OR, *prec = PREC_OR;
            return true;
        case T_LAND:
            *op = PQ_B_AND, *prec = PREC_AND;
            return true;
        case T_LUNLESS:
            *op = PQ_B_UNLESS, *prec = PREC_AND;
            return true;
        case T_EQLC:
            *op = PQ_B_EQ, *prec = PREC_CMP;
            return true;
        case T_NEQ:
            *op = PQ_B_NE, *prec = PREC_CMP;
            return true;
        case T_GTR:
            *op = PQ_B_GT, *prec = PREC_CMP;
            return true;
        case T_LSS:
            *op = PQ_B_LT, *prec = PREC_CMP;
            return true;
        case T_GTE:
            *op = PQ_B_GE, *prec = PREC_CMP;
            return true;
        case T_LTE:
            *op = PQ_B_LE, *prec = PREC_CMP;
            return true;
        case T_ADD:
            *op = PQ_B_ADD, *prec = PREC_ADD;
            return true;
        case T_SUB:
            *op = PQ_B_SUB, *prec = PREC_ADD;
            return true;
        case T_MUL:
            *op = PQ_B_MUL, *prec = PREC_MUL;
            return true;
        case T_DIV:
            *op = PQ_B_DIV, *prec = PREC_MUL;
            return true;
        case T_MOD:
            *op = PQ_B_MOD, *prec = PREC_MUL;
            return true;
        case T_POW:
            *op = PQ_B_POW, *prec = PREC_POW;
            return true;
        default:
            return false;
    }
}

static bool is_comparison(pq_bin_op op) {
    return op >= PQ_B_EQ && op <= PQ_B_LE;
}

static bool is_set_op(pq_bin_op op) {
    return op >= PQ_B_AND;
}

/* checkAST's rules for a binary expression, in its order. */
static void check_binary(parser *p, pq_node *b, size_t op_pos) {
    pq_bin_op op = b->u.bin.op;
    pq_type lt = b->u.bin.lhs->type, rt = b->u.bin.rhs->type;
    const char *name = bin_names[op];
    if (b->u.bin.return_bool && !is_comparison(op))
        type_error(p, op_pos, "bool modifier can only be used on comparison operators");
    if (is_comparison(op) && !b->u.bin.return_bool && lt == PQ_T_SCALAR && rt == PQ_T_SCALAR)
        type_error(p, op_pos, "comparisons between scalars must use BOOL modifier");
    if (is_set_op(op) && b->u.bin.card == PQ_CARD_ONE_TO_ONE) b->u.bin.card = PQ_CARD_MANY_TO_MANY;
    if (b->u.bin.on)
        for (size_t i = 0; i < b->u.bin.n_match_labels; i++)
            for (size_t j = 0; j < b->u.bin.n_include; j++)
                if (strcmp(b->u.bin.match_labels[i], b->u.bin.include[j]) == 0)
                    type_error(p, op_pos,
                               "label \"%s\" must not occur in ON and GROUP clause at once",
                               b->u.bin.match_labels[i]);
    if (lt != PQ_T_SCALAR && lt != PQ_T_VECTOR)
        type_error(p, (size_t)b->u.bin.lhs->pos,
                   "binary expression must contain only scalar and instant vector types");
    if (rt != PQ_T_SCALAR && rt != PQ_T_VECTOR)
        type_error(p, (size_t)b->u.bin.rhs->pos,
                   "binary expression must contain only scalar and instant vector types");
    if (lt != PQ_T_VECTOR || rt != PQ_T_VECTOR) {
        if (b->u.bin.n_match_labels > 0)
            type_error(p, (size_t)b->pos, "vector matching only allowed between instant vectors");
        /* no vector matching without two vectors */
        b->u.bin.card = PQ_CARD_ONE_TO_ONE;
        b->u.bin.on = false;
        b->u.bin.match_labels = b->u.bin.include = NULL;
        b->u.bin.n_match_labels = b->u.bin.n_include = 0;
    } else if (is_set_op(op)) {
        if (b->u.bin.card == PQ_CARD_ONE_TO_MANY || b->u.bin.card == PQ_CARD_MANY_TO_ONE)
            type_error(p, (size_t)b->pos, "no grouping allowed for \"%s\" operation", name);
    }
    if ((lt == PQ_T_SCALAR || rt == PQ_T_SCALAR) && is_set_op(op))
        type_error(p, (size_t)b->pos, "set operator \"%s\" not allowed in binary scalar expression",
                   name);
    b->type = lt == PQ_T_SCALAR && rt == PQ_T_SCALAR ? PQ_T_SCALAR : PQ_T_VECTOR;
}

static pq_node *parse_binary_rest(parser *p, pq_node *lhs, int min_prec) {
    for (;;) {
        pq_bin_op op;
        int prec;
        if (tok_is(p, T_ATAN2) && PREC_MUL >= min_prec)
            return fail(p, p->tok.pos, "not supported by Parkwatch: the atan2 operator");
        if (!binary_op(p->tok.type, &op, &prec) || prec < min_prec) return lhs;
        size_t op_pos = p->tok.pos;
        advance(p);
        /* bool, on/ignoring (...), group_left/group_right [(...)] */
        bool rb = false, on = false;
        pq_card card = PQ_CARD_ONE_TO_ONE;
        const char **ml = NULL, **inc = NULL;
        size_t nml = 0, ninc = 0;
        if (tok_is(p, T_BOOL)) {
            rb = true;
            advance(p);
        }
        if (tok_is(p, T_ON) || tok_is(p, T_IGNORING)) {
            on = tok_is(p, T_ON);
            advance(p);
            if (!parse_grouping(p, &ml, &nml)) return NULL;
            if (tok_is(p, T_GROUP_LEFT) || tok_is(p, T_GROUP_RIGHT)) {
                card = tok_is(p, T_GROUP_LEFT) ? PQ_CARD_MANY_TO_ONE : PQ_CARD_ONE_TO_MANY;
                advance(p);
                if (tok_is(p, T_LPAREN) && !parse_grouping(p, &inc, &ninc)) return NULL;
            }
        }
        pq_node *rhs = parse_expr(p, op == PQ_B_POW ? prec : prec + 1);
        if (!rhs) return NULL;
        int d = depth_of(lhs) > depth_of(rhs) ? depth_of(lhs) : depth_of(rhs);
        pq_node *b = new_node(p, PQ_N_BINARY, (size_t)lhs->pos, d);
        if (!b) return NULL;
        b->u.bin.op = op;
        b->u.bin.lhs = lhs;
        b->u.bin.rhs = rhs;
        b->u.bin.return_bool = rb;
        b->u.bin.card = card;
        b->u.bin.on = on;
        b->u.bin.match_labels = ml;
        b->u.bin.n_match_labels = nml;
        b->u.bin.include = inc;
        b->u.bin.n_include = ninc;
        check_binary(p, b, op_pos);
        lhs = b;
    }
}

static pq_node *parse_expr(parser *p, int min_prec) {
    if (p->rec >= PQ_MAX_DEPTH)
        return fail(p, p->tok.pos, "expression nested too deeply (more than %d levels)",
                    PQ_MAX_DEPTH);
    p->rec++;
    pq_node *e = parse_unary(p);
    if (e) e = parse_binary_rest(p, e, min_prec);
    p->rec--;
    return e;
}

int pq_parse(const char *query, size_t len, pq_ast **out, pq_node **root, char *err,
             size_t errcap) {
    if (out) *out = NULL;
    if (root) *root = NULL;
    if (errcap) err[0] = 0;
    if (!out || !root || (!query && len)) {
        if (errcap) snprintf(err, errcap, "parse error: invalid arguments");
        return -1;
    }
    if (len > PQ_MAX_QUERY_BYTES) {
        if (errcap)
            snprintf(err, errcap, "1:1: parse error: query too long (%zu bytes, at most %d)", len,
                     PQ_MAX_QUERY_BYTES);
        return -1;
    }
    parser *p = calloc(1, sizeof *p);
    pq_ast *a = calloc(1, sizeof *a);
    if (!p || !a) {
        free(p);
        free(a);
        if (errcap) snprintf(err, errcap, "1:1: parse error: out of memory");
        return -1;
    }
    p->q = query ? query : "";
    p->qlen = len;
    p->a = a;
    pq_lex_init(&p->lx, p->q, len);
    advance(p);
    pq_node *r = NULL;
    if (tok_is(p, T_EOF)) {
        fail(p, 0, "no expression found in input");
    } else {
        r = parse_expr(p, 0);
        if (r && !tok_is(p, T_EOF)) unexpected(p, NULL, NULL);
    }
    if (p->failed || p->deferred) {
        if (errcap) snprintf(err, errcap, "%s", p->failed ? p->msg : p->dmsg);
        free(p);
        pq_ast_free(a);
        return -1;
    }
    free(p);
    *out = a;
    *root = r;
    return 0;
}
