// regex.cc - the C shim over RE2 that regex.h declares. RE2 guarantees
// matching in time linear in the text, whatever the pattern, and bounds the
// memory a pattern may take (PQ_REGEX_MAX_MEM): a label matcher cannot
// become a denial of service. C++ only here; everything else is C11.
#include "promql/regex.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct pq_regex {
    RE2 *re;
    bool matches_empty;
    bool is_literals;
    std::vector<std::string> literals;
};

// "a|b|c" (or "a") made of characters with no regex meaning: the catalog
// then looks the values up instead of matching every one.
static bool split_literals(const char *p, size_t n, std::vector<std::string> *out) {
    std::string cur;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '|') {
            out->push_back(cur);
            cur.clear();
            continue;
        }
        if (std::strchr("\\.^$*+?()[]{}", c)) return false;
        cur.push_back(c);
    }
    out->push_back(cur);
    return true;
}

extern "C" pq_regex *pq_regex_compile(const char *pattern, size_t len, char *err, size_t errcap) {
    if (len > PQ_REGEX_MAX_PATTERN) {
        if (errcap)
            std::snprintf(err, errcap, "regular expression longer than %d bytes",
                          PQ_REGEX_MAX_PATTERN);
        return nullptr;
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(PQ_REGEX_MAX_MEM);
    o.set_dot_nl(true); // Prometheus compiles with (?s): '.' matches a newline too
    std::string anchored = "^(?:" + std::string(pattern, len) + ")$";
    pq_regex *r = new (std::nothrow) pq_regex();
    if (!r) {
        if (errcap) std::snprintf(err, errcap, "out of memory");
        return nullptr;
    }
    r->re = new (std::nothrow) RE2(anchored, o);
    if (!r->re || !r->re->ok()) {
        if (errcap)
            std::snprintf(err, errcap, "invalid regular expression \"%.*s\": %s",
                          (int)(len > 200 ? 200 : len), pattern,
                          r->re ? r->re->error().c_str() : "out of memory");
        delete r->re;
        delete r;
        return nullptr;
    }
    r->matches_empty = RE2::FullMatch("", *r->re);
    r->is_literals = split_literals(pattern, len, &r->literals);
    return r;
}

extern "C" bool pq_regex_match(const pq_regex *re, const char *text, size_t len) {
    return RE2::FullMatch(re2::StringPiece(text, len), *re->re);
}

extern "C" bool pq_regex_matches_empty(const pq_regex *re) {
    return re->matches_empty;
}

extern "C" bool pq_regex_literals(const pq_regex *re, size_t *n) {
    if (!re->is_literals) return false;
    *n = re->literals.size();
    return true;
}

extern "C" const char *pq_regex_literal(const pq_regex *re, size_t i) {
    return i < re->literals.size() ? re->literals[i].c_str() : nullptr;
}

extern "C" void pq_regex_free(pq_regex *re) {
    if (!re) return;
    delete re->re;
    delete re;
}
