/*
 * ast.h - a parsed PromQL expression (internal to promql/: parse.c builds
 * it, eval.c walks it).
 *
 * The subset is the one promql.h lists. Every node and every string of a
 * tree lives in one arena (pq_ast): pq_parse allocates it, pq_ast_free
 * frees all of it at once; nodes never own anything on their own.
 *
 * Times and durations are int64 milliseconds. Types follow Prometheus:
 * a node's `type` is what it evaluates to (scalar, string, instant vector,
 * range vector), checked by the parser, so eval.c never meets a function
 * applied to the wrong type.
 */
#ifndef PARKWATCH_PROMQL_AST_H
#define PARKWATCH_PROMQL_AST_H

#include "promql/regex.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pq_type {
    PQ_T_SCALAR,
    PQ_T_STRING,
    PQ_T_VECTOR, /* instant vector */
    PQ_T_MATRIX  /* range vector */
} pq_type;

typedef enum pq_node_kind {
    PQ_N_NUMBER,   /* 1, 1.5e3, 0x1f, Inf, NaN */
    PQ_N_STRING,   /* "text", 'text', `text` */
    PQ_N_SELECTOR, /* metric{matchers} [range] offset d */
    PQ_N_CALL,     /* func(args) */
    PQ_N_AGG,      /* sum by (a) (expr), topk(3, expr), quantile(0.9, expr) */
    PQ_N_BINARY,   /* lhs op rhs, with bool and vector matching */
    PQ_N_NEG,      /* -expr (unary +expr is the expression itself) */
    PQ_N_PAREN     /* (expr): kept so that errors and offsets read as written */
} pq_node_kind;

typedef enum pq_match_op { PQ_M_EQ, PQ_M_NEQ, PQ_M_RE, PQ_M_NRE } pq_match_op;

typedef struct pq_matcher {
    const char *name;  /* "__name__" for the metric name */
    const char *value; /* unescaped */
    pq_match_op op;
    pq_regex *re; /* PQ_M_RE / PQ_M_NRE: compiled, anchored at both ends; else NULL */
} pq_matcher;

/* Whether m holds for a label value v ("" for a missing label), and
 * whether it holds for "" (a matcher that does then also selects series
 * without the label). One definition for the parser, the catalog and
 * pick.c. */
bool pq_matcher_matches(const pq_matcher *m, const char *v);
bool pq_matcher_matches_empty(const pq_matcher *m);

typedef enum pq_func {
    /* range vector -> instant vector */
    PQ_F_RATE,
    PQ_F_IRATE,
    PQ_F_INCREASE,
    PQ_F_DELTA,
    PQ_F_IDELTA,
    PQ_F_DERIV,
    PQ_F_AVG_OVER_TIME,
    PQ_F_MIN_OVER_TIME,
    PQ_F_MAX_OVER_TIME,
    PQ_F_SUM_OVER_TIME,
    PQ_F_COUNT_OVER_TIME,
    PQ_F_LAST_OVER_TIME,
    PQ_F_QUANTILE_OVER_TIME, /* (scalar, range vector) */
    PQ_F_CHANGES,
    PQ_F_RESETS,
    PQ_F_ABSENT_OVER_TIME,
    /* instant vector -> instant vector */
    PQ_F_ABS,
    PQ_F_CEIL,
    PQ_F_FLOOR,
    PQ_F_ROUND,     /* (v [, to_nearest scalar]) */
    PQ_F_CLAMP,     /* (v, min, max) */
    PQ_F_CLAMP_MIN, /* (v, min) */
    PQ_F_CLAMP_MAX, /* (v, max) */
    PQ_F_ABSENT,    /* (v): 1 with the selector's equality labels when v is empty */
    PQ_F_SQRT,
    PQ_F_EXP,
    PQ_F_LN,
    PQ_F_LOG2,
    PQ_F_LOG10,
    PQ_F_TIMESTAMP,
    PQ_F_SORT,
    PQ_F_SORT_DESC,
    /* conversions */
    PQ_F_SCALAR, /* (v) -> scalar */
    PQ_F_VECTOR, /* (s) -> vector */
    PQ_F_TIME,   /* () -> scalar */
    PQ_F_COUNT__
} pq_func;

typedef enum pq_agg_op {
    PQ_A_SUM,
    PQ_A_AVG,
    PQ_A_MIN,
    PQ_A_MAX,
    PQ_A_COUNT,
    PQ_A_GROUP,
    PQ_A_STDDEV,
    PQ_A_STDVAR,
    PQ_A_TOPK,     /* param: scalar k */
    PQ_A_BOTTOMK,  /* param: scalar k */
    PQ_A_QUANTILE, /* param: scalar phi */
    PQ_A_COUNT__
} pq_agg_op;

typedef enum pq_bin_op {
    PQ_B_ADD,
    PQ_B_SUB,
    PQ_B_MUL,
    PQ_B_DIV,
    PQ_B_MOD,
    PQ_B_POW,
    PQ_B_EQ, /* == */
    PQ_B_NE, /* != */
    PQ_B_GT,
    PQ_B_LT,
    PQ_B_GE,
    PQ_B_LE,
    PQ_B_AND,
    PQ_B_OR,
    PQ_B_UNLESS
} pq_bin_op;

/* One-to-one unless group_left / group_right; many-to-many for the set
 * operators and, or, unless. */
typedef enum pq_card {
    PQ_CARD_ONE_TO_ONE,
    PQ_CARD_MANY_TO_ONE,
    PQ_CARD_ONE_TO_MANY,
    PQ_CARD_MANY_TO_MANY
} pq_card;

typedef struct pq_node pq_node;
struct pq_node {
    pq_node_kind kind;
    pq_type type;
    int pos; /* byte offset in the query where the node starts, for errors */
    union {
        double number;            /* PQ_N_NUMBER */
        const char *string;       /* PQ_N_STRING, unescaped */
        struct {                  /* PQ_N_SELECTOR */
            const char *metric;   /* the name written before '{', or NULL */
            pq_matcher *matchers; /* the metric name, when written, is matchers[0] (__name__ =) */
            size_t n_matchers;
            int64_t range_ms;  /* > 0 for a range vector [5m]; 0 for an instant vector */
            int64_t offset_ms; /* offset 5m (may be negative: offset -5m) */
        } sel;
        struct { /* PQ_N_CALL */
            pq_func func;
            pq_node **args;
            size_t n_args;
        } call;
        struct { /* PQ_N_AGG */
            pq_agg_op op;
            pq_node *param; /* topk/bottomk/quantile's first argument, else NULL */
            pq_node *expr;
            const char **grouping; /* the labels of by (...) or without (...) */
            size_t n_grouping;
            bool without; /* true: without (...); false: by (...) or no clause */
        } agg;
        struct { /* PQ_N_BINARY */
            pq_bin_op op;
            pq_node *lhs, *rhs;
            bool return_bool; /* comparison with the bool modifier */
            /* vector matching, meaningful when both sides are vectors */
            pq_card card;
            bool on;                   /* true: on (...); false: ignoring (...) or none */
            const char **match_labels; /* the labels of on (...) / ignoring (...) */
            size_t n_match_labels;
            const char **include; /* group_left (...) / group_right (...) labels */
            size_t n_include;
        } bin;
        struct { /* PQ_N_NEG, PQ_N_PAREN */
            pq_node *expr;
        } unary;
    } u;
};

typedef struct pq_ast pq_ast; /* the arena of one parsed query */

/* Limits of what a query may be: longer queries or deeper trees are a
 * parse error, so that neither parsing nor evaluation recurses without bound. */
#define PQ_MAX_QUERY_BYTES (64 * 1024)
#define PQ_MAX_DEPTH       64

/* Parses query (len bytes, not necessarily NUL-terminated). On success
 * returns 0, *out the arena, *root its root node. On failure returns -1
 * and writes Prometheus's style of message into err ("1:5: parse error:
 * unexpected ..." or "... not supported by Parkwatch: subqueries"), *out
 * NULL. Regular expressions are compiled here (pq_regex), so a bad one is
 * a parse error too. */
int pq_parse(const char *query, size_t len, pq_ast **out, pq_node **root, char *err, size_t errcap);
void pq_ast_free(pq_ast *a);

/* Names, for messages and for the tests. */
const char *pq_func_name(pq_func f);
const char *pq_agg_name(pq_agg_op op);
const char *pq_bin_name(pq_bin_op op);
const char *pq_type_name(pq_type t);

/* Parses a Prometheus duration ("5m", "1h30m", "250ms", "1d", "1w", "1y")
 * into ms; returns false when malformed, zero or over 2^53 ms. */
bool pq_parse_duration(const char *s, size_t len, int64_t *ms);

#endif
