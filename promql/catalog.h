/*
 * catalog.h - the labels of every historian series and the index that
 * selects series by label matchers (internal to promql/).
 *
 * A Parkwatch series maps to a Prometheus series (pq_labels_of_series says
 * how); the catalog holds each series' label set, sorted by name, and an
 * inverted index (label name -> value -> series ids) so that a selector
 * costs the postings it touches, not a scan of every series. Regular
 * expressions are matched against a label's distinct values, never
 * against every series.
 *
 * Ownership: the catalog owns every string and label array it hands out;
 * they stay valid and unchanged until pq_catalog_free, even when a series'
 * labels are replaced (the old array is kept, not freed), so a query may
 * keep pointers past the call that gave them.
 *
 * Threads: any number of readers at once with one writer (an internal
 * read-write lock); pq_catalog_set may be called from any thread.
 */
#ifndef PARKWATCH_PROMQL_CATALOG_H
#define PARKWATCH_PROMQL_CATALOG_H

#include "promql/ast.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pq_label {
    const char *name;
    const char *value;
} pq_label;

/* At most this many labels a series: the name, enterprise, device, kind,
 * unit and the tags of a series name of HIST_SERIES_NAME_MAX bytes (each
 * ",k=v" takes at least 4 of its 251 bytes of T: 62 tags). */
#define PQ_MAX_LABELS 67

/* The labels of a Parkwatch series, from its name "E/D/T", its unit and
 * its layout kind (either may be NULL or ""):
 *   __name__   the metric name (below);
 *   enterprise E, device D;
 *   kind, unit when not empty;
 *   the line protocol's other tags, when T carries them.
 * T is the tag that ingest built (ingest.h, ingest_lp_series_name):
 *   "meas,k1=v1,...,kn=vn.field" (device from the "device" tag, other tags)
 *       -> __name__ meas_field, k1=v1 ... kn=vn;
 *   "field,k1=v1,...,kn=vn" (device is the measurement: the last part has
 *       no '.' after its '=') -> __name__ D_field, k1=v1 ... kn=vn;
 *   anything else ("sensor.v", "T301.level", "group.tag", "rpm")
 *       -> __name__ = T.
 * A metric name keeps [A-Za-z0-9_:] and turns every other byte into '_'
 * (a leading digit gets a '_' in front), as VictoriaMetrics and Telegraf
 * turn "sensor" + "v" into sensor_v. A tag key that is not a valid label
 * name is sanitised the same way (without ':'); one that collides with
 * __name__, enterprise, device, kind or unit becomes exported_<key>.
 * Strings are written into buf (cap bytes) and out[] points into it;
 * returns the number of labels (sorted by name, bytewise), or 0 when the
 * name is not E/D/T or buf is too small. */
size_t pq_labels_of_series(const char *name, const char *unit, const char *kind, char *buf,
                           size_t cap, pq_label *out, size_t out_cap);

typedef struct pq_catalog pq_catalog;

pq_catalog *pq_catalog_new(void);
void pq_catalog_free(pq_catalog *c);

/* Sets (or replaces) the labels of series id; labels need not be sorted
 * (the catalog sorts its copy) and are copied. Returns 0, or -1 when out
 * of memory or a label is duplicated. */
int pq_catalog_set(pq_catalog *c, uint32_t id, const pq_label *labels, size_t n);
/* Whether id has labels; the number of series with labels. */
bool pq_catalog_has(pq_catalog *c, uint32_t id);
size_t pq_catalog_count(pq_catalog *c);

/* The labels of id (sorted by name), NULL with *n = 0 when unknown. */
const pq_label *pq_catalog_labels(pq_catalog *c, uint32_t id, size_t *n);

typedef struct pq_idlist {
    uint32_t *ids;
    size_t n, cap;
} pq_idlist;
void pq_idlist_free(pq_idlist *l);

/* The ids of the series matching every matcher, ascending, into out
 * (reset first). A missing label matches as "" (Prometheus's rule).
 * scope: when not NULL, only series whose enterprise label equals it
 * exist for this call (an enterprise token's view): nothing about other
 * series shows, not even their number. At most max ids (0: no limit):
 * more is -1 with "too many series" in err. The caller checks that at
 * least one matcher does not match "" (the parser does). Returns 0 or -1
 * (err says why: out of memory, too many series). */
int pq_catalog_select(pq_catalog *c, const pq_matcher *m, size_t n, const char *scope, size_t max,
                      pq_idlist *out, char *err, size_t errcap);

/* Label names of the series in ids (all the scope's series when ids is
 * NULL), distinct, sorted, into names (catalog-owned strings; the array is
 * malloc'd, the caller frees it). Returns the count, or -1 (no memory). */
long pq_catalog_label_names(pq_catalog *c, const pq_idlist *ids, const char *scope,
                            const char ***names);
/* The distinct values of label name over ids (or all the scope's series),
 * sorted; same ownership as above. */
long pq_catalog_label_values(pq_catalog *c, const char *name, const pq_idlist *ids,
                             const char *scope, const char ***values);

#endif
