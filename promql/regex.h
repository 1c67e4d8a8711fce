/*
 * regex.h - regular expressions of label matchers (=~, !~), with RE2's
 * linear-time matching: no pattern can make a match take more than time
 * proportional to the text, so a query cannot hang parkd. RE2's syntax is
 * Go's regexp syntax, which is Prometheus's. regex.cc is a thin C shim
 * over Debian's libre2 (C++).
 *
 * A pattern is anchored at both ends, as Prometheus anchors it
 * ("^(?:pattern)$"). Compiled patterns are immutable: pq_regex_match may be
 * called from any number of threads at once.
 */
#ifndef PARKWATCH_PROMQL_REGEX_H
#define PARKWATCH_PROMQL_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pq_regex pq_regex;

/* Longest pattern accepted, and RE2's memory budget for one pattern. */
#define PQ_REGEX_MAX_PATTERN 4096
#define PQ_REGEX_MAX_MEM     (1 << 20)

/* Compiles pattern (len bytes). NULL on error, with RE2's reason in err. */
pq_regex *pq_regex_compile(const char *pattern, size_t len, char *err, size_t errcap);
bool pq_regex_match(const pq_regex *re, const char *text, size_t len);
/* True when the pattern matches "" (a matcher that matches the empty
 * string also selects series without the label). */
bool pq_regex_matches_empty(const pq_regex *re);
/* When the pattern is a plain alternation of literals ("a|b|c"), or one
 * literal, true with their count in *n; lets the catalog look values up
 * instead of scanning them. pq_regex_literal(re, i) gives each. */
bool pq_regex_literals(const pq_regex *re, size_t *n);
const char *pq_regex_literal(const pq_regex *re, size_t i);
void pq_regex_free(pq_regex *re);

#ifdef __cplusplus
}
#endif
#endif
