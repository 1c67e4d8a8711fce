/*
 * lex.c - the PromQL lexer (lex.h): Prometheus 2.42's lex.go state by
 * state, over bytes with Go's UTF-8 decoding, so that token boundaries and
 * error texts are Prometheus's. Strings are validated here (escapes, UTF-8)
 * and decoded later by pq_lex_unquote into the tree's arena.
 */
#include "promql/lex.h"

#include <stdio.h>
#include <string.h>

#define EOF_RUNE  0xFFFFFFFFu
#define RUNE_ERR  0xFFFDu
#define MAX_RUNE  0x10FFFFu
#define LEX_ERROR ((pq_tok)T_ERROR)

uint32_t pq_utf8_decode(const unsigned char *s, size_t n, size_t *width) {
    unsigned c = s[0];
    *width = 1;
    if (c < 0x80) return c;
    size_t need;
    uint32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, r = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, r = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, r = c & 0x07, min = 0x10000;
    } else {
        return RUNE_ERR;
    }
    if (n < need) return RUNE_ERR;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return RUNE_ERR;
        r = (r << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, surrogates and runes past U+10FFFF are invalid in Go */
    if (r < min || r > MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF)) return RUNE_ERR;
    *width = need;
    return r;
}

static size_t utf8_encode(uint32_t r, char *out) {
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

/* ---- Go's quoting, for messages ---- */

/* Appends to out[*o..cap-1], always NUL-terminated. */
static void put(char *out, size_t cap, size_t *o, const char *s, size_t n) {
    if (!cap) return;
    for (size_t i = 0; i < n && *o + 1 < cap; i++) out[(*o)++] = s[i];
    out[*o] = 0;
}

/* One rune escaped as Go's strconv.Quote / QuoteRune do (quote is the
 * delimiter to escape). Non-ASCII runes are taken as printable. */
static void put_escaped(char *out, size_t cap, size_t *o, uint32_t r, const unsigned char *raw,
                        size_t w, char quote) {
    char b[16];
    if (r == RUNE_ERR && w == 1) { /* an invalid byte: \xNN in strings */
        snprintf(b, sizeof b, "\\x%02x", raw[0]);
        put(out, cap, o, b, strlen(b));
        return;
    }
    switch (r) {
        case '\a':
            put(out, cap, o, "\\a", 2);
            return;
        case '\b':
            put(out, cap, o, "\\b", 2);
            return;
        case '\f':
            put(out, cap, o, "\\f", 2);
            return;
        case '\n':
            put(out, cap, o, "\\n", 2);
            return;
        case '\r':
            put(out, cap, o, "\\r", 2);
            return;
        case '\t':
            put(out, cap, o, "\\t", 2);
            return;
        case '\v':
            put(out, cap, o, "\\v", 2);
            return;
        case '\\':
            put(out, cap, o, "\\\\", 2);
            return;
        default:
            break;
    }
    if (r == (uint32_t)(unsigned char)quote) {
        b[0] = '\\', b[1] = quote;
        put(out, cap, o, b, 2);
    } else if (r < 0x20 || r == 0x7F) {
        snprintf(b, sizeof b, "\\x%02x", (unsigned)r);
        put(out, cap, o, b, strlen(b));
    } else {
        put(out, cap, o, (const char *)raw, w);
    }
}

void pq_go_quote(const char *s, size_t n, size_t max_runes, char *out, size_t cap) {
    size_t o = 0;
    put(out, cap, &o, "\"", 1);
    size_t runes = 0;
    for (size_t i = 0; i < n;) {
        if (max_runes && runes == max_runes) break;
        size_t w;
        uint32_t r = pq_utf8_decode((const unsigned char *)s + i, n - i, &w);
        put_escaped(out, cap, &o, r, (const unsigned char *)s + i, w, '"');
        i += w, runes++;
    }
    put(out, cap, &o, "\"", 1);
}

/* Go's %q of a rune: 'x'. */
static void quote_rune(uint32_t r, char *out, size_t cap) {
    size_t o = 0;
    char enc[4];
    put(out, cap, &o, "'", 1);
    if (r == EOF_RUNE || r > MAX_RUNE) r = RUNE_ERR;
    size_t w = utf8_encode(r, enc);
    put_escaped(out, cap, &o, r, (const unsigned char *)enc, w, '\'');
    put(out, cap, &o, "'", 1);
}

/* Go's %#U: U+0063 'c'. */
static void unicode_rune(uint32_t r, char *out, size_t cap) {
    char q[16];
    if (r == EOF_RUNE) r = RUNE_ERR;
    quote_rune(r, q, sizeof q);
    if (r >= 0x20 && r != 0x7F)
        snprintf(out, cap, "U+%04X %s", (unsigned)r, q);
    else
        snprintf(out, cap, "U+%04X", (unsigned)r);
}

/* ---- the lexer ---- */

void pq_lex_init(pq_lexer *l, const char *s, size_t len) {
    memset(l, 0, sizeof *l);
    l->s = s;
    l->len = len;
}

static uint32_t next(pq_lexer *l) {
    if (l->pos >= l->len) {
        l->width = 0;
        return EOF_RUNE;
    }
    uint32_t r = pq_utf8_decode((const unsigned char *)l->s + l->pos, l->len - l->pos, &l->width);
    l->pos += l->width;
    return r;
}

static void backup(pq_lexer *l) {
    l->pos -= l->width;
}

static uint32_t peek(pq_lexer *l) {
    uint32_t r = next(l);
    backup(l);
    return r;
}

static bool accept(pq_lexer *l, const char *valid) {
    uint32_t r = next(l);
    if (r != EOF_RUNE && r < 0x80 && r && strchr(valid, (int)r)) return true;
    backup(l);
    return false;
}

static void accept_run(pq_lexer *l, const char *valid) {
    while (accept(l, valid)) {
    }
}

static bool is_space(uint32_t r) {
    return r == ' ' || r == '\t' || r == '\n' || r == '\r';
}
static bool is_digit(uint32_t r) {
    return r >= '0' && r <= '9';
}
static bool is_alpha(uint32_t r) {
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
}
static bool is_alnum(uint32_t r) {
    return is_alpha(r) || is_digit(r);
}

static pq_token emit(pq_lexer *l, pq_tok t) {
    pq_token k = {t, l->start, l->pos - l->start};
    l->start = l->pos;
    return k;
}

static pq_token errorf(pq_lexer *l, const char *fmt, const char *arg) {
    snprintf(l->msg, sizeof l->msg, fmt, arg);
    l->done = true;
    pq_token k = {LEX_ERROR, l->start, 0};
    return k;
}

static pq_token error_rune(pq_lexer *l, const char *fmt, uint32_t r) {
    char q[24];
    quote_rune(r, q, sizeof q);
    return errorf(l, fmt, q);
}

static pq_token error_span(pq_lexer *l, const char *fmt) {
    char q[96];
    pq_go_quote(l->s + l->start, l->pos - l->start, 0, q, sizeof q);
    return errorf(l, fmt, q);
}

static const struct {
    const char *word;
    pq_tok tok;
} keywords[] = {
    {"and", T_LAND},
    {"or", T_LOR},
    {"unless", T_LUNLESS},
    {"atan2", T_ATAN2},
    {"sum", T_SUM},
    {"avg", T_AVG},
    {"count", T_COUNT},
    {"min", T_MIN},
    {"max", T_MAX},
    {"group", T_GROUP},
    {"stddev", T_STDDEV},
    {"stdvar", T_STDVAR},
    {"topk", T_TOPK},
    {"bottomk", T_BOTTOMK},
    {"count_values", T_COUNT_VALUES},
    {"quantile", T_QUANTILE},
    {"offset", T_OFFSET},
    {"by", T_BY},
    {"without", T_WITHOUT},
    {"on", T_ON},
    {"ignoring", T_IGNORING},
    {"group_left", T_GROUP_LEFT},
    {"group_right", T_GROUP_RIGHT},
    {"bool", T_BOOL},
    {"start", T_START},
    {"end", T_END},
    {"inf", T_NUMBER},
    {"nan", T_NUMBER},
};

static pq_tok keyword(const char *w, size_t n) {
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        const char *k = keywords[i].word;
        if (strlen(k) != n) continue;
        size_t j = 0;
        while (j < n && (w[j] >= 'A' && w[j] <= 'Z' ? w[j] + 32 : w[j]) == k[j]) j++;
        if (j == n) return keywords[i].tok; /* keywords are case-insensitive */
    }
    return T_EOF;
}

/* scanNumber: digits, hex after 0x, '.', exponent; true when what follows
 * cannot continue the number. */
static bool scan_number(pq_lexer *l) {
    const char *digits = "0123456789";
    if (accept(l, "0") && accept(l, "xX")) digits = "0123456789abcdefABCDEF";
    accept_run(l, digits);
    if (accept(l, ".")) accept_run(l, digits);
    if (accept(l, "eE")) {
        accept(l, "+-");
        accept_run(l, "0123456789");
    }
    return !is_alnum(peek(l));
}

static bool accept_remaining_duration(pq_lexer *l) {
    if (!accept(l, "smhdwy")) return false;
    accept(l, "s");
    while (accept(l, "0123456789")) {
        accept_run(l, "0123456789");
        if (!accept(l, "smhdw")) return false;
        accept(l, "s");
    }
    return !is_alnum(next(l));
}

/* Validates a quoted string whose opening quote was read; the escapes are
 * Go's (lexEscape). */
static pq_token lex_string(pq_lexer *l, uint32_t quote) {
    for (;;) {
        uint32_t r = next(l);
        if (r == RUNE_ERR && l->width == 1) return errorf(l, "%s", "invalid UTF-8 rune");
        if (r == EOF_RUNE || r == '\n') return errorf(l, "%s", "unterminated quoted string");
        if (r == quote) return emit(l, T_STRING);
        if (r != '\\') continue;
        uint32_t ch = next(l);
        int n;
        uint32_t base, max;
        switch (ch) {
            case 'a':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
            case 'v':
            case '\\':
                continue;
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
                n = 3, base = 8, max = 255;
                break;
            case 'x':
                ch = next(l), n = 2, base = 16, max = 255;
                break;
            case 'u':
                ch = next(l), n = 4, base = 16, max = MAX_RUNE;
                break;
            case 'U':
                ch = next(l), n = 8, base = 16, max = MAX_RUNE;
                break;
            case EOF_RUNE:
                return errorf(l, "%s", "escape sequence not terminated");
            default: {
                if (ch == quote) continue;
                char u[32];
                unicode_rune(ch, u, sizeof u);
                return errorf(l, "unknown escape sequence %s", u);
            }
        }
        uint32_t x = 0;
        while (n > 0) {
            uint32_t d = 16;
            if (ch >= '0' && ch <= '9') d = ch - '0';
            if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
            if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
            if (d >= base) {
                if (ch == EOF_RUNE) return errorf(l, "%s", "escape sequence not terminated");
                char u[32];
                unicode_rune(ch, u, sizeof u);
                return errorf(l, "illegal character %s in escape sequence", u);
            }
            x = x * base + d; /* at most 8 hex digits: fits in 32 bits */
            if (--n > 0) ch = next(l);
        }
        if (x > max || (x >= 0xD800 && x < 0xE000))
            return errorf(l, "%s", "escape sequence is an invalid Unicode code point");
    }
}

static pq_token lex_raw_string(pq_lexer *l) {
    for (;;) {
        uint32_t r = next(l);
        if (r == RUNE_ERR && l->width == 1) return errorf(l, "%s", "invalid UTF-8 rune");
        if (r == EOF_RUNE) return errorf(l, "%s", "unterminated raw string");
        if (r == '`') return emit(l, T_STRING);
    }
}

static void skip_comment(pq_lexer *l) {
    l->pos++;
    while (l->pos < l->len && l->s[l->pos] != '\n' && l->s[l->pos] != '\r') l->pos++;
    l->start = l->pos;
}

static pq_token lex_inside_braces(pq_lexer *l) {
    for (;;) {
        if (l->pos < l->len && l->s[l->pos] == '#') {
            skip_comment(l);
            continue;
        }
        uint32_t r = next(l);
        if (r == EOF_RUNE) return errorf(l, "%s", "unexpected end of input inside braces");
        if (is_space(r)) {
            l->start = l->pos;
            continue;
        }
        if (is_alpha(r)) {
            while (is_alnum(next(l))) {
            }
            backup(l);
            return emit(l, T_IDENT);
        }
        switch (r) {
            case ',':
                return emit(l, T_COMMA);
            case '"':
            case '\'':
                return lex_string(l, r);
            case '`':
                return lex_raw_string(l);
            case '=':
                if (next(l) == '~') return emit(l, T_EQL_REGEX);
                backup(l);
                return emit(l, T_EQL);
            case '!': {
                uint32_t nr = next(l);
                if (nr == '~') return emit(l, T_NEQ_REGEX);
                if (nr == '=') return emit(l, T_NEQ);
                return error_rune(l, "unexpected character after '!' inside braces: %s", nr);
            }
            case '{':
                return error_rune(l, "unexpected left brace %s", r);
            case '}':
                l->brace_open = false;
                return emit(l, T_RBRACE);
            default:
                return error_rune(l, "unexpected character inside braces: %s", r);
        }
    }
}

/* lexDuration: right after '[' (spaces skipped). */
static pq_token lex_duration(pq_lexer *l) {
    l->want_duration = false;
    if (scan_number(l)) return errorf(l, "%s", "missing unit character in duration");
    if (!accept_remaining_duration(l)) return error_span(l, "bad duration syntax: %s");
    backup(l);
    return emit(l, T_DURATION);
}

static pq_token lex_statements(pq_lexer *l) {
    for (;;) {
        if (l->brace_open) return lex_inside_braces(l);
        if (l->want_duration) return lex_duration(l);
        if (l->pos < l->len && l->s[l->pos] == '#') {
            skip_comment(l);
            continue;
        }
        uint32_t r = next(l);
        if (r == EOF_RUNE) {
            if (l->paren_depth != 0) return errorf(l, "%s", "unclosed left parenthesis");
            if (l->bracket_open) return errorf(l, "%s", "unclosed left bracket");
            l->done = true;
            return emit(l, T_EOF);
        }
        if (is_space(r)) {
            l->start = l->pos;
            continue;
        }
        if (is_digit(r) || (r == '.' && is_digit(peek(l)))) {
            backup(l);
            if (scan_number(l)) return emit(l, T_NUMBER);
            if (accept_remaining_duration(l)) {
                backup(l);
                return emit(l, T_DURATION);
            }
            return error_span(l, "bad number or duration syntax: %s");
        }
        if (is_alpha(r) || r == ':') {
            if (l->bracket_open) {
                if (l->got_colon) return error_rune(l, "unexpected colon %s", r);
                l->got_colon = true;
                return emit(l, T_COLON);
            }
            bool colon = r == ':';
            for (;;) {
                uint32_t c = next(l);
                if (!is_alnum(c) && c != ':') break;
                colon |= c == ':';
            }
            backup(l);
            pq_tok kw = keyword(l->s + l->start, l->pos - l->start);
            if (kw != T_EOF) return emit(l, kw);
            return emit(l, colon ? T_METRIC_IDENT : T_IDENT);
        }
        switch (r) {
            case ',':
                return emit(l, T_COMMA);
            case '*':
                return emit(l, T_MUL);
            case '/':
                return emit(l, T_DIV);
            case '%':
                return emit(l, T_MOD);
            case '+':
                return emit(l, T_ADD);
            case '-':
                return emit(l, T_SUB);
            case '^':
                return emit(l, T_POW);
            case '@':
                return emit(l, T_AT);
            case '=': {
                uint32_t t = peek(l);
                if (t == '=') {
                    next(l);
                    return emit(l, T_EQLC);
                }
                if (t == '~') return error_rune(l, "unexpected character after '=': %s", t);
                return emit(l, T_EQL);
            }
            case '!': {
                uint32_t t = next(l);
                if (t == '=') return emit(l, T_NEQ);
                return error_rune(l, "unexpected character after '!': %s", t);
            }
            case '<':
                if (peek(l) == '=') {
                    next(l);
                    return emit(l, T_LTE);
                }
                return emit(l, T_LSS);
            case '>':
                if (peek(l) == '=') {
                    next(l);
                    return emit(l, T_GTE);
                }
                return emit(l, T_GTR);
            case '"':
            case '\'':
                return lex_string(l, r);
            case '`':
                return lex_raw_string(l);
            case '(':
                l->paren_depth++;
                return emit(l, T_LPAREN);
            case ')':
                if (--l->paren_depth < 0)
                    return error_rune(l, "unexpected right parenthesis %s", r);
                return emit(l, T_RPAREN);
            case '{':
                l->brace_open = true;
                return emit(l, T_LBRACE);
            case '[': {
                if (l->bracket_open) return error_rune(l, "unexpected left bracket %s", r);
                l->got_colon = false;
                pq_token k = emit(l, T_LBRACKET);
                while (l->pos < l->len && is_space((unsigned char)l->s[l->pos])) l->pos++;
                l->start = l->pos;
                l->bracket_open = true;
                l->want_duration = true;
                return k;
            }
            case ']':
                if (!l->bracket_open) return error_rune(l, "unexpected right bracket %s", r);
                l->bracket_open = false;
                return emit(l, T_RBRACKET);
            default:
                return error_rune(l, "unexpected character: %s", r);
        }
    }
}

pq_token pq_lex_next(pq_lexer *l) {
    if (l->done) {
        pq_token k = {l->msg[0] ? LEX_ERROR : T_EOF, l->start, 0};
        return k;
    }
    l->start = l->pos;
    return lex_statements(l);
}

size_t pq_lex_unquote(const char *tok, size_t len, char *out) {
    char q = tok[0];
    size_t o = 0;
    if (q == '`') {
        memcpy(out, tok + 1, len - 2);
        return len - 2;
    }
    for (size_t i = 1; i + 1 < len;) {
        char c = tok[i++];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        c = tok[i++];
        uint32_t x = 0;
        int n = 0, base = 16;
        switch (c) {
            case 'a':
                out[o++] = '\a';
                continue;
            case 'b':
                out[o++] = '\b';
                continue;
            case 'f':
                out[o++] = '\f';
                continue;
            case 'n':
                out[o++] = '\n';
                continue;
            case 'r':
                out[o++] = '\r';
                continue;
            case 't':
                out[o++] = '\t';
                continue;
            case 'v':
                out[o++] = '\v';
                continue;
            case 'x':
                n = 2;
                break;
            case 'u':
                n = 4;
                break;
            case 'U':
                n = 8;
                break;
            default:
                if (c >= '0' && c <= '7') {
                    n = 2, base = 8, x = (uint32_t)(c - '0');
                    break;
                }
                out[o++] = c; /* \\ and the quote */
                continue;
        }
        for (; n > 0; n--) {
            char d = tok[i++];
            uint32_t v = d <= '9' ? (uint32_t)(d - '0') : (uint32_t)((d | 0x20) - 'a' + 10);
            x = x * (uint32_t)base + v;
        }
        /* \x and octal are bytes; \u and \U are runes, written as UTF-8
         * (never longer than the escape: 6 or 10 bytes) */
        if (c == 'u' || c == 'U')
            o += utf8_encode(x, out + o);
        else
            out[o++] = (char)x;
    }
    return o;
}

void pq_tok_desc(const char *query, pq_token t, char *out, size_t cap) {
    const char *v = query + t.pos;
    char q[96];
    switch (t.type) {
        case T_EOF:
            snprintf(out, cap, "end of input");
            return;
        case T_ERROR:
            snprintf(out, cap, "error");
            return;
        case T_IDENT:
        case T_METRIC_IDENT:
            pq_go_quote(v, t.len, 0, q, sizeof q);
            snprintf(out, cap, "%s %s", t.type == T_IDENT ? "identifier" : "metric identifier", q);
            return;
        case T_NUMBER:
        case T_STRING:
        case T_DURATION:
            pq_go_quote(v, t.len, t.len > 10 ? 10 : 0, q, sizeof q);
            snprintf(out, cap, "%s %s%s",
                     t.type == T_NUMBER   ? "number"
                     : t.type == T_STRING ? "string"
                                          : "duration",
                     q, t.len > 10 ? "..." : "");
            return;
        default:
            break;
    }
    if (PQ_TOK_IS_KWORD(t.type)) {
        snprintf(out, cap, "<%.*s>", (int)(t.len > 40 ? 40 : t.len), v);
    } else if (PQ_TOK_IS_OP(t.type)) {
        snprintf(out, cap, "<op:%.*s>", (int)(t.len > 40 ? 40 : t.len), v);
    } else if (PQ_TOK_IS_AGG(t.type)) {
        snprintf(out, cap, "<aggr:%.*s>", (int)(t.len > 40 ? 40 : t.len), v);
    } else {
        pq_go_quote(v, t.len, 0, q, sizeof q);
        snprintf(out, cap, "%s", q);
    }
}
