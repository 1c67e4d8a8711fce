/*
 * pick.c - selection the Parkwatch way: label patterns (exact, list, glob,
 * regex) turned into the catalog's matchers, and the Parkwatch tag and
 * name, which are not labels, matched on the series' names.
 */
#include "promql/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool put(char *out, size_t cap, size_t *n, const char *s) {
    size_t l = strlen(s);
    if (*n + l + 1 > cap) return false;
    memcpy(out + *n, s, l + 1);
    *n += l;
    return true;
}

/* The pattern as an RE2 expression (the catalog anchors it) into out;
 * *exact when it is one literal. False if too long. */
static bool pattern_regex(const char *pat, char *out, size_t cap, bool *exact) {
    size_t n = 0;
    *exact = false;
    out[0] = 0;
    if (pat[0] == '~') return put(out, cap, &n, pat + 1);
    *exact = strpbrk(pat, ",*?") == NULL;
    for (const char *p = pat; *p; p++) {
        char lit[3] = {0};
        const char *piece = lit;
        if (*p == ',')
            piece = "|";
        else if (*p == '*')
            piece = ".*";
        else if (*p == '?')
            piece = ".";
        else if (strchr("\\.^$+()[]{}|", *p))
            lit[0] = '\\', lit[1] = *p;
        else
            lit[0] = *p;
        if (!put(out, cap, &n, piece)) return false;
    }
    return true;
}

static bool is_name_part(const char *label) {
    return !strcmp(label, "tag") || !strcmp(label, "series");
}

/* The Parkwatch name, or its tag part (after the second '/'). */
static const char *name_part(pq_engine *e, uint32_t id, const char *label, char *buf, size_t cap) {
    hist_series_info si;
    if (hist_series_get(pq_engine_hist(e), id, &si, NULL) != HIST_OK) return "";
    const char *v = si.name;
    if (!strcmp(label, "tag")) {
        const char *a = strchr(si.name, '/');
        const char *b = a ? strchr(a + 1, '/') : NULL;
        v = b ? b + 1 : "";
    }
    snprintf(buf, cap, "%s", v);
    return buf;
}

int pq_pick_series(pq_engine *e, const pq_pick *picks, size_t n, const char *scope, size_t max,
                   uint32_t **ids, size_t *n_ids, pq_error *err) {
    *ids = NULL, *n_ids = 0;
    if (pq_engine_learn(e, err)) return -1;
    pq_matcher m[PQ_MAX_LABELS + 1];
    pq_regex *name_re[16] = {0};
    const char *name_label[16];
    size_t nm = 0, nn = 0;
    pq_regex *all = NULL; /* ".+" when only tags or names are picked */
    int rc = -1;
    char rx[PQ_REGEX_MAX_PATTERN + 8], msg[300];
    for (size_t i = 0; i < n; i++) {
        bool exact;
        if (!pattern_regex(picks[i].pattern, rx, sizeof rx, &exact)) {
            snprintf(msg, sizeof msg, "the pattern of %s is longer than %d bytes", picks[i].label,
                     PQ_REGEX_MAX_PATTERN);
            pq_fail(err, 400, "bad_data", "%s", msg);
            goto done;
        }
        pq_regex *re = pq_regex_compile(rx, strlen(rx), msg, sizeof msg);
        if (!re) {
            pq_fail(err, 400, "bad_data", "%s", msg);
            goto done;
        }
        if (is_name_part(picks[i].label)) {
            if (nn == 16) {
                pq_regex_free(re);
                pq_fail(err, 400, "bad_data", "at most 16 tag or series patterns");
                goto done;
            }
            name_re[nn] = re, name_label[nn++] = picks[i].label;
            continue;
        }
        if (nm == PQ_MAX_LABELS) {
            pq_regex_free(re);
            pq_fail(err, 400, "bad_data", "too many patterns");
            goto done;
        }
        const char *label = !strcmp(picks[i].label, "name") ? "__name__" : picks[i].label;
        m[nm++] = (pq_matcher){.name = label,
                               .value = picks[i].pattern,
                               .op = exact ? PQ_M_EQ : PQ_M_RE,
                               .re = exact ? NULL : re};
        if (exact) pq_regex_free(re);
    }
    /* nothing named but tags or names: every series of the scope */
    if (nm == 0) {
        all = pq_regex_compile(".+", 2, msg, sizeof msg);
        m[nm++] = (pq_matcher){.name = "__name__", .value = ".+", .op = PQ_M_RE, .re = all};
    }
    bool matches_empty = true;
    for (size_t i = 0; i < nm && matches_empty; i++)
        matches_empty = pq_matcher_matches_empty(&m[i]);
    if (matches_empty) {
        pq_fail(err, 400, "bad_data",
                "the patterns match series without those labels too: name one "
                "that needs a value");
    } else {
        pq_idlist l = {0};
        /* tag and series patterns filter after the catalog: its limit then
         * counts candidates, not picks, so it is applied here */
        if (pq_catalog_select(pq_engine_catalog(e), m, nm, scope, nn ? 0 : max, &l, msg,
                              sizeof msg) != 0) {
            pq_fail(err, strstr(msg, "too many") ? 413 : 500, "execution", "%s", msg);
            pq_idlist_free(&l); /* what the select had gathered */
        } else {
            size_t k = 0;
            char buf[HIST_SERIES_NAME_MAX + 1];
            for (size_t i = 0; i < l.n; i++) {
                bool keep = true;
                for (size_t j = 0; j < nn && keep; j++) {
                    const char *v = name_part(e, l.ids[i], name_label[j], buf, sizeof buf);
                    keep = pq_regex_match(name_re[j], v, strlen(v));
                }
                if (keep) l.ids[k++] = l.ids[i];
            }
            l.n = k;
            if (max && k > max) {
                snprintf(msg, sizeof msg, "too many series: the selection matches more than %zu",
                         max);
                pq_fail(err, 413, "execution", "%s", msg);
                pq_idlist_free(&l);
            } else {
                *ids = l.ids, *n_ids = l.n;
                rc = 0;
            }
        }
    }
    pq_regex_free(all);
done:
    for (size_t i = 0; i < nm; i++)
        if (m[i].re && m[i].re != all) pq_regex_free(m[i].re);
    for (size_t i = 0; i < nn; i++) pq_regex_free(name_re[i]);
    return rc;
}

const char *pq_series_label(pq_engine *e, uint32_t id, const char *name, char *buf, size_t cap) {
    if (is_name_part(name)) return name_part(e, id, name, buf, cap);
    size_t nl;
    const pq_label *l = pq_catalog_labels(pq_engine_catalog(e), id, &nl);
    const char *want = !strcmp(name, "name") ? "__name__" : name;
    for (size_t i = 0; i < nl; i++)
        if (!strcmp(l[i].name, want)) return l[i].value;
    return "";
}
