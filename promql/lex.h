/*
 * lex.h - the PromQL lexer (internal to promql/: lex.c, used by parse.c).
 *
 * A port of Prometheus 2.42's promql/parser/lex.go: the same tokens, the
 * same states (inside braces, after '[' a duration comes first, a ':'
 * inside brackets) and the same error texts, so that parse.c's messages
 * read as Prometheus's. The lexer never allocates; a token is a span of
 * the query.
 */
#ifndef PARKWATCH_PROMQL_LEX_H
#define PARKWATCH_PROMQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pq_tok {
    T_EOF,
    T_ERROR, /* the lexer's message is in the lexer */
    T_COMMA,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_LBRACKET,
    T_RBRACKET,
    T_COLON,
    T_EQL, /* = */
    T_IDENT,
    T_METRIC_IDENT, /* an identifier with ':' */
    T_NUMBER,
    T_STRING,
    T_DURATION,
    /* operators */
    T_ADD,
    T_SUB,
    T_MUL,
    T_DIV,
    T_MOD,
    T_POW,
    T_EQLC, /* == */
    T_NEQ,
    T_LSS,
    T_LTE,
    T_GTR,
    T_GTE,
    T_EQL_REGEX,
    T_NEQ_REGEX,
    T_LAND,
    T_LOR,
    T_LUNLESS,
    T_AT,
    T_ATAN2,
    /* aggregators */
    T_AVG,
    T_BOTTOMK,
    T_COUNT,
    T_COUNT_VALUES,
    T_GROUP,
    T_MAX,
    T_MIN,
    T_QUANTILE,
    T_STDDEV,
    T_STDVAR,
    T_SUM,
    T_TOPK,
    /* keywords */
    T_BOOL,
    T_BY,
    T_GROUP_LEFT,
    T_GROUP_RIGHT,
    T_IGNORING,
    T_OFFSET,
    T_ON,
    T_WITHOUT,
    /* @ modifier preprocessors */
    T_START,
    T_END
} pq_tok;

#define PQ_TOK_IS_OP(t)    ((t) >= T_ADD && (t) <= T_ATAN2)
#define PQ_TOK_IS_AGG(t)   ((t) >= T_AVG && (t) <= T_TOPK)
#define PQ_TOK_IS_KWORD(t) ((t) >= T_BOOL && (t) <= T_WITHOUT)

typedef struct pq_token {
    pq_tok type;
    size_t pos, len; /* the token's bytes in the query */
} pq_token;

typedef struct pq_lexer {
    const char *s;
    size_t len;
    size_t pos;   /* next byte to read */
    size_t start; /* start of the token being read */
    size_t width; /* of the last rune read, for backup */
    long paren_depth;
    bool brace_open, bracket_open, got_colon;
    bool want_duration; /* right after '[' */
    bool done;          /* EOF or an error was returned: only EOF/errors follow */
    char msg[160];      /* a T_ERROR's message */
} pq_lexer;

void pq_lex_init(pq_lexer *l, const char *s, size_t len);
/* The next token, comments skipped. After T_ERROR, l->msg holds the text
 * and every later call returns T_ERROR again. */
pq_token pq_lex_next(pq_lexer *l);

/* Decodes a string token (quotes included, already validated by the
 * lexer) into out (at least len bytes); returns the length written. */
size_t pq_lex_unquote(const char *tok, size_t len, char *out);

/* How Prometheus names a token in "unexpected ..." messages
 * (Item.desc()): `identifier "foo"`, `<op:*>`, `"("`, `end of input`. */
void pq_tok_desc(const char *query, pq_token t, char *out, size_t cap);

/* Go's %q of a byte string into out (truncated to cap). At most max_runes
 * runes of s are quoted when max_runes > 0 (Go's %.10q). */
void pq_go_quote(const char *s, size_t n, size_t max_runes, char *out, size_t cap);

/* Decodes one UTF-8 rune as Go's utf8.DecodeRune does: an invalid
 * encoding is U+FFFD with width 1. n > 0. */
uint32_t pq_utf8_decode(const unsigned char *s, size_t n, size_t *width);

#endif
